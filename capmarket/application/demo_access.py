"""Demo data of system access, so that ``make demo`` shows it (seed 002 §2–§3):

- client certificates of the companies that have demo logins (one renewed, one revoked), made by a throwaway local
  CA — the demo runs without a TLS front, so nothing checks them, but the pages show them as a company sees them;
- a contractor: the small provider lets the mid-sized provider's users act for it (registry, bulk upload, alerts, and
  before delivery its expected capacity, auction bids and outage plans — not its contract documents, succession or
  exit, which stay with the company) — log in as the mid-sized provider's user and choose 「受託者として操作」;
- a use application waiting for review (a new company, with its certificate);
- a maintenance announced for the coming weekend, a request limit for one company, and one company suspended
  (one without demo logins).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access.local_ca import ClientSpec, make_local_ca
from capmarket.domain.access.models import DelegatedFunction, RegisteredVia
from capmarket.domain.access.service_hours import JST
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.registry.models import Participant


def load_demo_access(*, user_prefix: str, now: dt.datetime) -> int:
    """Returns the number of records made."""
    admins = list(
        User.objects.filter(username__startswith=user_prefix, role=Role.PARTICIPANT_ADMIN)
        .select_related("participant")
        .order_by("participant__participant_code", "id")
    )
    made = _certificates_and_application(admins, now=now)
    made += _contractor([a for a in admins if a.participant is not None and a.participant.is_provider], now=now)
    made += _maintenance_limits_suspension(admins, user_prefix=user_prefix, now=now)
    return made


def _certificates_and_application(admins: list[User], *, now: dt.datetime) -> int:
    """Two clients per company with demo logins (the first company's first renewed, its second revoked), and a use
    application of a new company waiting for review, all issued by a throwaway local CA."""
    made = 0
    with tempfile.TemporaryDirectory(prefix="capmarket-demo-ca-") as folder:
        specs = [
            ClientSpec(a.participant.participant_code, name)
            for a in admins
            if a.participant
            for name in ("本社-端末1", "本社-端末2")
        ]
        specs += [ClientSpec("N9001", "本社-端末1")]
        if admins and admins[0].participant is not None:
            specs.append(ClientSpec(admins[0].participant.participant_code, "本社-端末1-更新"))
        ca = make_local_ca(folder=Path(folder), clients=specs, days=400, now=now)
        issued = {(c.spec.participant_code, c.spec.client_name): c.cert_path.read_text() for c in ca.clients}
    for admin in admins:
        participant = admin.participant
        assert participant is not None
        for name in ("本社-端末1", "本社-端末2"):
            access_ops.register_certificate(
                actor=admin,
                participant=participant,
                client_name=name,
                certificate=issued[(participant.participant_code, name)],
                via=RegisteredVia.FILE,
                now=now,
            )
            made += 1
    first = admins[0] if admins else None
    if first is not None and first.participant is not None:
        company = first.participant
        access_ops.register_certificate(
            actor=first,
            participant=company,
            client_name="本社-端末1",
            certificate=issued[(company.participant_code, "本社-端末1-更新")],
            renew=True,
            now=now,
        )
        second = company.client_certificates.get(client_name="本社-端末2")
        access_ops.revoke_certificate(actor=first, certificate=second, reason="端末の入替え（廃棄）", now=now)
        made += 1
    access_ops.submit_application(values=_NEW_COMPANY, certificate=issued[("N9001", "本社-端末1")], now=now)
    return made + 1


_NEW_COMPANY = {
    "participant_code": "N9001",
    "name": "みらいエナジー合同会社",
    "name_kana": "ミライエナジー",
    "is_provider": True,
    "address": "東京都港区芝公園1-1-1",
    "phone": "03-1234-5678",
    "email": "contact@mirai-energy.example.jp",
    "admin_full_name": "未来 直子",
    "admin_email": "n.mirai@mirai-energy.example.jp",
    "admin_username": "mirai-admin",
    "is_electricity_supplier": True,
    "intends_to_bid": True,
    "accepts_terms": True,
    "not_antisocial": True,
    "certificate_client_name": "本社-端末1",
}


def _contractor(providers: list[User], *, now: dt.datetime) -> int:
    """The small provider's administrator lets the mid-sized provider act for it: delivery-period functions first,
    then (a change of the delegation, as the screen does it) pre-delivery ones."""
    if len(providers) < 2:
        return 0
    small, mid = providers[-1], providers[len(providers) // 2]
    if small.participant_id == mid.participant_id or mid.participant is None:
        return 0
    delegation = access_ops.grant_delegation(
        actor=small,
        contractor_code=mid.participant.participant_code,
        functions=[DelegatedFunction.REGISTRY, DelegatedFunction.BULK_UPLOAD, DelegatedFunction.ALERTS],
        note="容量市場に関する業務（電源等情報の照会・一括登録・供給力提供通知の確認、期待容量・応札・停止計画）の委託",
        now=now,
    )
    access_ops.change_delegation_functions(
        actor=small,
        delegation=delegation,
        functions=[
            DelegatedFunction.REGISTRY,
            DelegatedFunction.BULK_UPLOAD,
            DelegatedFunction.ALERTS,
            DelegatedFunction.EXPECTED_CAPACITY,
            DelegatedFunction.AUCTION_BIDS,
            DelegatedFunction.OUTAGE_PLANS,
        ],
        now=now,
    )
    return 1


def _maintenance_limits_suspension(admins: list[User], *, user_prefix: str, now: dt.datetime) -> int:
    """A maintenance on the coming Saturday evening; a request limit for one company and one company suspended
    (both without demo logins)."""
    sysadmin = User.objects.get(username=f"{user_prefix}sysadmin")
    approver = User.objects.get(username=f"{user_prefix}approver")
    local = now.astimezone(JST)
    saturday = (local + dt.timedelta(days=(5 - local.weekday()) % 7 or 7)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    access_ops.schedule_maintenance(
        actor=sysadmin,
        title="定期保守作業",
        message="サーバの定期保守（セキュリティパッチの適用）を行います。終了が早まった場合もこの時刻まではご利用いただけません。",
        starts_at=saturday,
        ends_at=saturday + dt.timedelta(hours=4),
        now=now,
    )
    made = 1
    with_logins = {a.participant_id for a in admins if a.participant_id is not None}
    others = Participant.objects.exclude(pk__in=with_logins).filter(is_provider=True).order_by("participant_code")
    limited, suspended = others.first(), others.last()
    if limited is not None:
        access_ops.set_request_limit(
            actor=sysadmin,
            participant=limited,
            per_client=120,
            per_company=300,
            note="自動取得プログラムによる過大なアクセスのため一時的に制限（利用規約2.4②）",
            now=now,
        )
        made += 1
    if suspended is not None and suspended != limited:
        access_ops.suspend_participant(
            actor=approver,
            participant=suspended,
            reason="クライアント証明書の不適切な管理（第三者への貸与）の報告を受けたため（利用規約3.4.4）",
            now=now,
        )
        made += 1
    return made
