"""Objections (issue 9 §7): raised on a line of a company's own confirmed results with checked attachments,
moved by staff through 受付 → 調査中 → 是正, linked to the correcting run and the adjustment it produced."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from capmarket.application.settlement import confirm, objections, runs
from capmarket.domain.audit.models import AuditEvent
from capmarket.domain.objections.models import ObjectionStatus
from capmarket.domain.settlement.models import ConfirmedMonth, ContractAdjustment
from tests.integration.settlement.helpers import confirmed_year

pytestmark = [pytest.mark.django_db]


def _upload(name: str, data: bytes) -> objections.Upload:
    return objections.Upload(name=name, size=len(data), file=io.BytesIO(data))


def test_attachments_are_checked_by_type_content_and_size(settings: object) -> None:
    ok_type, data = objections.check_upload(_upload("根拠.pdf", b"%PDF-1.7\nbody"))
    assert (ok_type, data) == ("application/pdf", b"%PDF-1.7\nbody")
    assert objections.check_upload(_upload("meter.csv", "日付,コマ\n".encode("cp932")))[0] == "text/csv"
    for name, payload, message in (
        ("tool.exe", b"MZ", "添付できるのは"),
        ("fake.pdf", b"\x89PNG\r\n\x1a\nxx", "内容が拡張子"),
        ("big.txt", b"a" * (objections.max_attachment_bytes() + 1), "大きすぎます"),
        ("binary.txt", b"\xff\xfe\x00\x81\x00", "テキストファイル"),
    ):
        with pytest.raises(objections.UnableToRaiseObjection, match=message):
            objections.check_upload(_upload(name, payload))


def test_objection_corrected_by_a_later_run_links_its_adjustment(tmp_path: Path) -> None:
    users = confirmed_year(tmp_path, months=("2025-04",))
    april = ConfirmedMonth.objects.get(month="2025-04")
    now = timezone.now()
    objection = objections.raise_objection(
        actor=users["P1-participant_user"],
        confirmed_month_id=april.pk,
        subject="contract",
        contract_code="K1",
        requirement="supply_instruction",
        area="",
        text="4月10日の計量値が誤っていました。訂正版を登録します。",
        uploads=[_upload("meter.pdf", b"%PDF-1.4 meter")],
        now=now,
    )
    assert objection.status == ObjectionStatus.RECEIVED
    assert objection.attachments.get().sha256
    operator = users["operator"]
    with pytest.raises(objections.UnableToHandleObjection, match="回答を入力"):
        objections.handle(objection=objection, actor=operator, status="answered", message=" ", now=now)
    objections.handle(objection=objection, actor=operator, status="investigating", message="確認します", now=now)
    with pytest.raises(objections.UnableToHandleObjection, match="訂正を確定した精算"):
        objections.handle(objection=objection, actor=operator, status="corrected", message="訂正", now=now)
    with pytest.raises(objections.UnableToHandleObjection, match="権限"):
        objections.handle(
            objection=objection, actor=users["P1-participant_user"], status="answered", message="x", now=now
        )

    (tmp_path / "metering.csv").write_text("resource_id,date,slot,metered_kwh\nR1,2025-04-10,36,40000.000\n")
    call_command("import", "metering", str(tmp_path / "metering.csv"), user="approver", year=2025, stdout=io.StringIO())
    later = timezone.now() + dt.timedelta(seconds=1)
    may = runs.start_run(actor=operator, delivery_year=2025, through_month="2025-05", now=later).run
    runs.compute(run=may, now=later)
    confirm.confirm(run=may, actor=users["approver"], now=later, accept_comment="D1 ベースライン未提出")

    objections.handle(
        objection=objection,
        actor=operator,
        status="corrected",
        message="訂正後の計量値で再算定し、5月分で調整しました。",
        now=later,
        correcting_run_id=may.pk,
    )

    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.CORRECTED
    assert objection.correcting_run == may
    assert objection.contract_adjustment == ContractAdjustment.objects.get(
        run=may, contract_code="K1", kind="supply_instruction", source_month="2025-04"
    )
    assert objection.contract_adjustment.difference_yen == 582_500
    assert [e.to_status for e in objection.events.order_by("at", "pk")] == ["received", "investigating", "corrected"]
    assert AuditEvent.objects.filter(object_type="objection", object_id=str(objection.pk)).count() == 3
