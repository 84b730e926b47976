"""``capmarket make-test-ca`` and ``capmarket import-client-certificates``: the 710 file the test CA writes is taken
in by the command with the acting user's rights; refused input exits 2 with one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from capmarket.domain.access.models import ClientCertificate
from capmarket.domain.accounts.models import User
from capmarket.domain.registry.models import Participant


def test_the_test_ca_file_is_taken_in_by_the_command(
    tmp_path: Path, company_a: Participant, company_b: Participant, sysadmin: User, admin_a: User
) -> None:
    out = io.StringIO()
    call_command(
        "make_test_ca", str(tmp_path), "--client", "A001:pc1", "--client", "B001:pc1", stdout=out, stderr=io.StringIO()
    )
    lines = [line.split("\t") for line in out.getvalue().splitlines()]
    assert [(code, name) for code, name, _, _ in lines] == [("A001", "pc1"), ("B001", "pc1")]
    register_file = tmp_path / "client-certificates.csv"

    with pytest.raises(CommandError) as refused:
        call_command("import_client_certificates", str(register_file), "--user", "a-admin", stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert "B001" in str(refused.value)
    assert "ほか" not in str(refused.value)
    assert not ClientCertificate.objects.exists()

    result = io.StringIO()
    call_command("import_client_certificates", str(register_file), "--user", "occto-sysadmin", stdout=result)
    again = io.StringIO()
    call_command("import_client_certificates", str(register_file), "--user", "occto-sysadmin", stdout=again)

    assert json.loads(result.getvalue()) == {"registered": 2, "renewed": 0, "unchanged": 0}
    assert json.loads(again.getvalue()) == {"registered": 0, "renewed": 0, "unchanged": 2}
    fingerprints = {line[2] for line in lines}
    assert set(ClientCertificate.objects.values_list("fingerprint_sha256", flat=True)) == fingerprints


def test_unknown_users_and_missing_files_exit_2(tmp_path: Path, sysadmin: User) -> None:
    for args in (
        [str(tmp_path / "none.csv"), "--user", "occto-sysadmin"],
        [str(tmp_path / "none.csv"), "--user", "nobody"],
    ):
        with pytest.raises(CommandError) as refused:
            call_command("import_client_certificates", *args, stdout=io.StringIO())
        assert refused.value.returncode == 2
