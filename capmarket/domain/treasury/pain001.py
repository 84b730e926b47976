"""The same transfer batch as an ISO 20022 customer credit transfer initiation, ``pain.001.001.03``.

Japanese banks take bulk transfers as ISO 20022 XML besides the Zengin fixed-length file: the 全銀EDIシステム
(ZEDI) moved domestic remittances to XML, and the banks' file-transfer services accept ``pain.001``. Version
``001.03`` (ISO 20022 2009) is the one that banks' host-to-host and global cash-management channels accept most
widely; ``docs/bank-statement-format.md`` records the choice and the mapping.

The XML is written from a :class:`~capmarket.domain.treasury.zengin_transfer.CheckedBatch`, so it carries exactly
the transfers, names (Zengin kana) and totals of the 総合振込 file:

- one ``PmtInf`` for the pay date (``ReqdExctnDt``), the operator's account as ``DbtrAcct``, ``ChrgBr`` DEBT;
- banks and branches as Zengin clearing codes: ``ClrSysId/Cd`` ``JPZGN``, ``MmbId`` = bank code + branch code
  (7 digits), the branch also as ``BrnchId``; accounts as ``Othr/Id`` (7 digits) with the Zengin 預金種目 code as
  ``Tp/Prtry``; amounts in whole yen (``Ccy="JPY"``);
- per transfer ``EndToEndId`` = the customer code (document number) or ``NOTPROVIDED``, EDI information as
  ``RmtInf/Ustrd``.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from xml.etree import ElementTree as ET

from capmarket.domain.treasury.zengin_transfer import CheckedBatch

NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
CLEARING_SYSTEM: Final = "JPZGN"  # ISO external code: Japan Zengin clearing code


class UnableToWritePain001(ValueError):
    """A message id or timestamp the message cannot carry."""


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _agent(parent: ET.Element, tag: str, *, bank_code: str, bank_name: str, branch_code: str, branch_name: str) -> None:
    agent = _add(parent, tag)
    institution = _add(agent, "FinInstnId")
    member = _add(institution, "ClrSysMmbId")
    _add(_add(member, "ClrSysId"), "Cd", CLEARING_SYSTEM)
    _add(member, "MmbId", bank_code + branch_code)
    _add(institution, "Nm", bank_name)
    branch = _add(agent, "BrnchId")
    _add(branch, "Id", branch_code)
    _add(branch, "Nm", branch_name)


def _account(parent: ET.Element, tag: str, account_type: str, account_number: str, *, currency: bool) -> None:
    account = _add(parent, tag)
    _add(_add(_add(account, "Id"), "Othr"), "Id", account_number)
    _add(_add(account, "Tp"), "Prtry", account_type)
    if currency:
        _add(account, "Ccy", "JPY")


def write_pain001(*, batch: CheckedBatch, message_id: str, created_at: dt.datetime) -> bytes:
    """``pain.001.001.03`` XML (UTF-8) for a checked transfer batch.

    ``message_id`` identifies the batch to the bank (at most 35 characters; e.g. the batch number) and
    ``created_at`` is the moment the file is made (timezone-aware; the caller passes the clock).
    """
    if not 1 <= len(message_id) <= 35:
        raise UnableToWritePain001("message_id must have 1 to 35 characters")
    if created_at.tzinfo is None:
        raise UnableToWritePain001("created_at must be timezone-aware")
    ET.register_namespace("", NAMESPACE)
    document = ET.Element(f"{{{NAMESPACE}}}Document")
    initiation = _add(document, "CstmrCdtTrfInitn")
    count = str(len(batch.transfers))
    total = str(batch.total_yen)
    origin = batch.requester

    header = _add(initiation, "GrpHdr")
    _add(header, "MsgId", message_id)
    _add(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _add(header, "NbOfTxs", count)
    _add(header, "CtrlSum", total)
    initiating = _add(header, "InitgPty")
    _add(initiating, "Nm", origin.name)
    _add(_add(_add(_add(initiating, "Id"), "OrgId"), "Othr"), "Id", origin.requester_code)

    payment = _add(initiation, "PmtInf")
    _add(payment, "PmtInfId", message_id)
    _add(payment, "PmtMtd", "TRF")
    _add(payment, "BtchBookg", "true")
    _add(payment, "NbOfTxs", count)
    _add(payment, "CtrlSum", total)
    _add(_add(_add(payment, "PmtTpInf"), "CtgyPurp"), "Cd", "SUPP")
    _add(payment, "ReqdExctnDt", batch.pay_date.isoformat())
    debtor = _add(payment, "Dbtr")
    _add(debtor, "Nm", origin.name)
    _add(_add(_add(_add(debtor, "Id"), "OrgId"), "Othr"), "Id", origin.requester_code)
    _account(payment, "DbtrAcct", origin.account_type, origin.account_number, currency=True)
    _agent(
        payment,
        "DbtrAgt",
        bank_code=origin.bank_code,
        bank_name=origin.bank_name,
        branch_code=origin.branch_code,
        branch_name=origin.branch_name,
    )
    _add(payment, "ChrgBr", "DEBT")

    for number, transfer in enumerate(batch.transfers, start=1):
        transaction = _add(payment, "CdtTrfTxInf")
        identification = _add(transaction, "PmtId")
        _add(identification, "InstrId", str(number))
        end_to_end = (transfer.customer_code1 + transfer.customer_code2) or transfer.edi_info or "NOTPROVIDED"
        _add(identification, "EndToEndId", end_to_end[:35])
        _add(_add(transaction, "Amt"), "InstdAmt", str(transfer.amount_yen), Ccy="JPY")
        _agent(
            transaction,
            "CdtrAgt",
            bank_code=transfer.bank_code,
            bank_name=transfer.bank_name,
            branch_code=transfer.branch_code,
            branch_name=transfer.branch_name,
        )
        _add(_add(transaction, "Cdtr"), "Nm", transfer.payee_name)
        _account(transaction, "CdtrAcct", transfer.account_type, transfer.account_number, currency=False)
        remittance = transfer.edi_info or " ".join(c for c in (transfer.customer_code1, transfer.customer_code2) if c)
        if remittance:
            _add(_add(transaction, "RmtInf"), "Ustrd", remittance)
    ET.indent(document)
    return bytes(ET.tostring(document, encoding="utf-8", xml_declaration=True))
