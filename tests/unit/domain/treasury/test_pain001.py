"""The batch as ISO 20022 pain.001.001.03: valid against ISO's XSD and the same money as the Zengin file."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
import xmlschema

from capmarket.domain.treasury.pain001 import UnableToWritePain001, write_pain001
from capmarket.domain.treasury.zengin_transfer import check_transfer_batch, encode_transfer_file, read_transfer_file

from .test_zengin_transfer import PAY_DATE, REQUESTER, lines

CREATED = dt.datetime(2025, 9, 10, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    # ISO 20022's own XSD for pain.001.001.03, as the sepaxml package ships it
    xsd = resources.files("sepaxml") / "schemas" / "pain.001.001.03.xsd"
    return xmlschema.XMLSchema(xsd.read_text(encoding="utf-8"))


def test_the_xml_is_valid_against_the_iso_schema(schema: xmlschema.XMLSchema) -> None:
    batch = check_transfer_batch(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines())
    xml = write_pain001(batch=batch, message_id="TB-2025-0042", created_at=CREATED)
    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    schema.validate(xml.decode("utf-8"))
    with pytest.raises(xmlschema.XMLSchemaValidationError):  # the check bites: an unknown charge bearer
        schema.validate(xml.decode("utf-8").replace("<ChrgBr>DEBT</ChrgBr>", "<ChrgBr>OURS</ChrgBr>"))


def test_the_xml_carries_the_same_transfers_and_totals_as_the_zengin_file(schema: xmlschema.XMLSchema) -> None:
    batch = check_transfer_batch(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines())
    zengin = read_transfer_file(data=encode_transfer_file(batch=batch).data)
    decoded = schema.to_dict(write_pain001(batch=batch, message_id="TB-2025-0042", created_at=CREATED).decode())
    assert isinstance(decoded, dict)
    initiation = decoded["CstmrCdtTrfInitn"]
    header = initiation["GrpHdr"]
    assert (header["MsgId"], header["CreDtTm"], header["NbOfTxs"]) == ("TB-2025-0042", "2025-09-10T09:30:00+09:00", "3")
    assert int(header["CtrlSum"]) == zengin.total_yen
    (payment,) = initiation["PmtInf"]
    assert payment["ReqdExctnDt"] == "2025-09-16"
    assert payment["Dbtr"]["Nm"] == zengin.header.requester_name
    assert payment["DbtrAcct"]["Id"]["Othr"]["Id"] == "1234567"
    assert payment["DbtrAgt"]["FinInstnId"]["ClrSysMmbId"] == {"ClrSysId": {"Cd": "JPZGN"}, "MmbId": "0001001"}
    transactions = payment["CdtTrfTxInf"]
    assert [int(t["Amt"]["InstdAmt"]["$"]) for t in transactions] == [r.amount_yen for r in zengin.records]
    assert {t["Amt"]["InstdAmt"]["@Ccy"] for t in transactions} == {"JPY"}
    assert [t["Cdtr"]["Nm"] for t in transactions] == [r.payee_name for r in zengin.records]
    assert [t["CdtrAgt"]["FinInstnId"]["ClrSysMmbId"]["MmbId"] for t in transactions] == [
        r.bank_code + r.branch_code for r in zengin.records
    ]
    assert [t["CdtrAcct"]["Id"]["Othr"]["Id"] for t in transactions] == [r.account_number for r in zengin.records]
    assert [t["PmtId"]["EndToEndId"] for t in transactions] == ["PN000123", "PN000124", "INV2025090001"]
    assert transactions[2]["RmtInf"]["Ustrd"] == ["INV2025090001"]


def test_a_naive_timestamp_or_an_overlong_id_is_refused() -> None:
    batch = check_transfer_batch(requester=REQUESTER, pay_date=PAY_DATE, instructions=lines())
    with pytest.raises(UnableToWritePain001, match="timezone"):
        write_pain001(batch=batch, message_id="x", created_at=CREATED.replace(tzinfo=None))
    with pytest.raises(UnableToWritePain001, match="35"):
        write_pain001(batch=batch, message_id="x" * 36, created_at=CREATED)
