"""The access rules of the terms of use (seed 002 §2–§3), applied to every request of a logged-in participant.

Web pages (``capmarket.interfaces.web.middleware.AccessPolicyMiddleware``) and the API (the checked token
authentication) ask ``check_request`` the same questions, in this order:

1. the company's registry status — suspended (利用停止) or terminated (利用終了): 403;
2. maintenance in force (§2.4 ①): 503 with ``Retry-After`` (the end of the maintenance);
3. service hours (§2.2; ``CAPMARKET_SERVICE_HOURS``): 503 with ``Retry-After`` (when service resumes);
4. the client certificate (§3.1; ``CAPMARKET_CLIENT_CERTIFICATES``): verified by the TLS front, registered to the
   user's own company, unrevoked, unexpired — and for a web session, the one it logged in with: 403;
5. request limits per client and per company (§2.4 ②): 429 with ``Retry-After``;
6. acting for another company as its contractor (受託者, §2.3): an active delegation to the user's company, and the
   page or endpoint within a delegated function — otherwise 403; the request then runs as that company.

Operator staff are subject to none of these (they run the system, also during maintenance and at night).

**Where the certificate comes from.** A TLS front (nginx, ``deploy/nginx/``) verifies the client certificate and
passes it in ``X-Capmarket-Client-Cert`` (URL-escaped PEM) with ``X-Capmarket-Client-Verify``. Those headers are
believed only when the request also carries ``X-Capmarket-Proxy-Secret`` equal to
``CAPMARKET_CLIENT_CERT_PROXY_SECRET`` (compared in constant time) and, if ``CAPMARKET_CLIENT_CERT_PROXIES`` lists
addresses, comes from one of them. Without that, a request presents no certificate at all, whatever it sends.
"""

from __future__ import annotations

import copy
import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from capmarket.domain.access import operations as access_ops
from capmarket.domain.access import queries as access_queries
from capmarket.domain.access.certificates import CertificateDetails, UnableToReadCertificate, read_certificate
from capmarket.domain.access.models import DelegatedFunction
from capmarket.domain.access.queries import CertificateProblem, CompanyRefusal
from capmarket.domain.access.service_hours import JST
from capmarket.domain.accounts.models import Role

CERT_SESSION_KEY: Final = "capmarket.client_certificate_id"
ACTING_SESSION_KEY: Final = "capmarket.acting_for"
ACTING_HEADER: Final = "HTTP_X_CAPMARKET_ACTING_FOR"
PROXY_SECRET_HEADER: Final = "HTTP_X_CAPMARKET_PROXY_SECRET"  # noqa: S105 (a header name)
CERT_HEADER: Final = "HTTP_X_CAPMARKET_CLIENT_CERT"
VERIFY_HEADER: Final = "HTTP_X_CAPMARKET_CLIENT_VERIFY"
REAL_IP_HEADER: Final = "HTTP_X_REAL_IP"

WEEKDAYS_JA: Final = "月火水木金土日"


def clock() -> dt.datetime:
    """The time the access rules read (tests replace it to stand at a chosen moment)."""
    return timezone.now()


# ---------------------------------------------------------------- the proxy and the certificate it passes


def proxy_trusted(request: HttpRequest) -> bool:
    secret = getattr(settings, "CAPMARKET_CLIENT_CERT_PROXY_SECRET", "")
    if not secret:
        return False
    given = request.META.get(PROXY_SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8")):
        return False
    proxies = getattr(settings, "CAPMARKET_CLIENT_CERT_PROXIES", [])
    return not proxies or request.META.get("REMOTE_ADDR") in proxies


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address: the TLS front's ``X-Real-IP`` when the request came through it, else REMOTE_ADDR."""
    if request is None:
        return None
    if proxy_trusted(request):
        real = str(request.META.get(REAL_IP_HEADER, "")).strip()
        if real:
            return real
    remote = request.META.get("REMOTE_ADDR")
    return str(remote) if remote else None


@dataclass(frozen=True)
class Presented:
    details: CertificateDetails | None
    verified: bool
    verify_status: str


def presented_certificate(request: HttpRequest) -> Presented:
    """The client certificate of this request as the trusted TLS front passed it (nothing, if not trusted)."""
    cached = getattr(request, "_capmarket_presented", None)
    if isinstance(cached, Presented):
        return cached
    presented = Presented(None, False, "NONE")
    if proxy_trusted(request):
        status = request.META.get(VERIFY_HEADER, "NONE").strip() or "NONE"
        raw = unquote(request.META.get(CERT_HEADER, "")).strip()
        details = None
        if raw:
            try:
                details = read_certificate(data=raw)
            except UnableToReadCertificate:
                details = None
        presented = Presented(details, status == "SUCCESS" and details is not None, status)
    request._capmarket_presented = presented  # type: ignore[attr-defined]
    return presented


# ---------------------------------------------------------------- refusals


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    title: str
    message: str
    retry_after: int | None = None
    resumes_at: dt.datetime | None = None
    audit: bool = True
    clear_acting: bool = False

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.message, "code": self.code}
        if self.resumes_at is not None:
            body["resumes_at"] = self.resumes_at.isoformat()
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body


def format_jst(moment: dt.datetime) -> str:
    local = moment.astimezone(JST)
    return f"{local:%Y年%m月%d日}（{WEEKDAYS_JA[local.weekday()]}）{local:%H:%M}"


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


COMPANY_REFUSALS: Final = {
    CompanyRefusal.SUSPENDED: Refusal(
        403,
        CompanyRefusal.SUSPENDED,
        "ご利用を停止しています",
        "貴社による本システムの利用は、現在停止されています（容量市場システム利用規約2.4・2.6）。"
        "詳しくは広域機関にお問い合わせください。",
    ),
    CompanyRefusal.TERMINATED: Refusal(
        403,
        CompanyRefusal.TERMINATED,
        "ご利用いただけません",
        "貴社の本システム利用契約は終了しています（容量市場システム利用規約2.7）。",
    ),
}

_CERTIFICATE_TITLE = "クライアント証明書を確認できません"
CERTIFICATE_REFUSALS: Final = {
    CertificateProblem.MISSING: "本システムは、貴社が登録したクライアント証明書を導入した端末からのみ利用できます"
    "（容量市場システム利用規約3.1）。証明書を導入した端末からアクセスしてください。",
    CertificateProblem.UNVERIFIED: "クライアント証明書を検証できませんでした"
    "（指定の認証局が発行した、有効期間内の証明書をご利用ください）。",
    CertificateProblem.UNREGISTERED: "このクライアント証明書は本システムに登録されていません。"
    "貴社の管理者IDで証明書情報を登録（クライアント証明書情報の登録用ファイル）してください。",
    CertificateProblem.OTHER_COMPANY: "このクライアント証明書は、貴社の証明書として登録されていません。"
    "貴社の端末・証明書をご利用ください。",
    CertificateProblem.REVOKED: "このクライアント証明書は失効しています。別の有効な証明書をご利用ください。",
    CertificateProblem.EXPIRED: "このクライアント証明書は有効期限が切れています。"
    "新しい証明書を取得し、更新用ファイルで登録してください。",
}


def certificate_refusal(problem: CertificateProblem) -> Refusal:
    return Refusal(403, str(problem), _CERTIFICATE_TITLE, CERTIFICATE_REFUSALS[problem])


CERTIFICATE_CHANGED = Refusal(
    403,
    "client_certificate_changed",
    _CERTIFICATE_TITLE,
    "ログインしたときと異なるクライアント証明書でアクセスされました。もう一度ログインしてください。",
)
NOT_DELEGATED = Refusal(
    403,
    "not_delegated",
    "受託者として操作できません",
    "この事業者からの委託が登録されていないか、取り消されました。受託者としての操作を終了しました。",
    clear_acting=True,
)
PRINCIPAL_UNAVAILABLE = Refusal(
    403,
    "principal_unavailable",
    "受託者として操作できません",
    "委託元の事業者は現在、本システムを利用できません（利用停止中または利用終了）。受託者としての操作を終了しました。",
    clear_acting=True,
)
FUNCTION_NOT_DELEGATED = Refusal(
    403,
    "function_not_delegated",
    "委託されていない機能です",
    "この画面・機能は、委託元の事業者から委託されていません。",
)


def maintenance_refusal(window: Any, now: dt.datetime) -> Refusal:
    return Refusal(
        503,
        "maintenance",
        "メンテナンス中です",
        f"{window.title}のため、本システムをご利用いただけません。{format_jst(window.ends_at)}に終了する予定です。"
        f"\n{window.message}",
        retry_after=_seconds_until(window.ends_at, now),
        resumes_at=window.ends_at,
        audit=False,
    )


def outside_hours_refusal(resumes_at: dt.datetime | None, now: dt.datetime) -> Refusal:
    when = f"次回は{format_jst(resumes_at)}からご利用いただけます。" if resumes_at else ""
    return Refusal(
        503,
        "outside_service_hours",
        "サービス提供時間外です",
        "本システムのサービス提供時間は、平日および休日にあたる火曜日の9時から18時までです"
        f"（容量市場システム利用規約2.2）。{when}",
        retry_after=_seconds_until(resumes_at, now) if resumes_at else None,
        resumes_at=resumes_at,
        audit=False,
    )


def limit_refusal(exceeded: access_ops.LimitExceeded) -> Refusal:
    scope = "この端末" if exceeded.scope.startswith(("client:", "address:")) else "貴社全体"
    return Refusal(
        429,
        "request_limit",
        "アクセスが上限を超えました",
        f"{scope}からの一定時間内のアクセスが上限（{exceeded.limit}回）を超えたため、一時的に利用を制限しています"
        f"（容量市場システム利用規約2.4②）。{exceeded.retry_after_seconds}秒後に再度お試しください。",
        retry_after=exceeded.retry_after_seconds,
        audit=False,
    )


# ---------------------------------------------------------------- contractors: what a delegated function opens

#: Paths a contractor may use for a company in each delegated function (web and API). Everything else is closed
#: to it while acting, including pages added later, until they are named here.
_PREDELIVERY_SHARED: Final = (
    "/predelivery/applications/",
    "/predelivery/notices/",
    "/api/predelivery/applications/",
    "/api/predelivery/notices/",
)
FUNCTION_PATHS: Final[dict[str, tuple[str, ...]]] = {
    DelegatedFunction.REGISTRY: (
        "/participants/",
        "/resources/",
        "/contracts/",
        "/api/participants/",
        "/api/resources/",
        "/api/contracts/",
    ),
    DelegatedFunction.BULK_UPLOAD: ("/intake/", "/jobs/", "/api/intake/", "/api/jobs/"),
    DelegatedFunction.ALERTS: ("/alerts/", "/vendor/", "/api/alerts/"),
    DelegatedFunction.INQUIRIES: ("/inquiries/", "/faq/", "/api/inquiries/", "/api/faq/"),
    DelegatedFunction.DOCUMENTS: (
        "/results/",
        "/settlement/",
        "/objections/",
        "/documents/",
        "/api/settlement/",
        "/api/objections/",
        "/api/documents/",
    ),
    # the years before delivery: each function's own pages, plus the applications and notices lists (which show
    # a contractor only the kinds of its functions: ``predelivery.queries.APPLICATION_KIND_ACTIONS``). Contract
    # documents, succession and exit are not delegable; the pages they share with a function refuse them in the
    # operations (``permissions.COMPANY_ONLY``).
    DelegatedFunction.EXPECTED_CAPACITY: (
        "/predelivery/expected-capacity/",
        *_PREDELIVERY_SHARED,
    ),
    DelegatedFunction.AUCTION_BIDS: ("/auctions/", "/api/auctions/", *_PREDELIVERY_SHARED),
    DelegatedFunction.REPLACEMENT: (
        "/predelivery/replacement-board/",
        "/predelivery/procedures/",
        "/api/predelivery/replacement-board/",
        "/api/predelivery/procedures/",
        *_PREDELIVERY_SHARED,
    ),
    DelegatedFunction.EFFECTIVENESS_TESTS: (
        "/predelivery/effectiveness-tests/",
        "/api/predelivery/effectiveness-tests/",
        *_PREDELIVERY_SHARED,
    ),
    DelegatedFunction.OUTAGE_PLANS: (
        "/predelivery/outage-adjustment/",
        "/predelivery/outage-plans/",
        "/api/predelivery/outage-adjustment/",
        "/api/predelivery/outage-plans/",
        *_PREDELIVERY_SHARED,
    ),
}
#: Open to a contractor acting for any company: the portal top, its own password, logging out, choosing whom to act
#: for, the company's notices, and who it is.
ALWAYS_OPEN_EXACT: Final = frozenset({"/", "/logout/", "/password/", "/api/me/", "/api/me/password/"})
ALWAYS_OPEN_PREFIXES: Final = ("/access/acting/", "/notices/", "/api/notices/")


def path_allowed(path: str, functions: frozenset[str]) -> bool:
    if path in ALWAYS_OPEN_EXACT or path.startswith(ALWAYS_OPEN_PREFIXES):
        return True
    return any(path.startswith(FUNCTION_PATHS.get(f, ())) for f in functions)


class ActingUserCannotBeSaved(RuntimeError):
    """A contractor's acting identity is a view of the account, never to be written back."""


def acting_user(user: Any, *, delegation: Any, functions: frozenset[str]) -> Any:
    """The account of a contractor's user as it acts for ``delegation.participant``: that company's member (a
    participant user, never its administrator) for every scoping query, with the person kept as the actor.

    A copy: the account itself is unchanged, and the copy refuses to be saved whole (a partial save of the
    person's own fields, such as a password change, goes to the person's account)."""
    acting = copy.copy(user)
    acting.participant = delegation.participant
    acting.role = Role.PARTICIPANT_USER
    acting.acting_for = delegation.participant
    acting.home_participant = user.participant
    acting.acting_functions = functions
    acting.delegation_id = delegation.pk
    original_save = acting.save

    def guarded_save(*args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is None or {"role", "participant", "participant_id"} & set(fields):
            raise ActingUserCannotBeSaved("a contractor's acting identity cannot be saved")
        original_save(*args, **kwargs)

    acting.save = guarded_save
    return acting


# ---------------------------------------------------------------- the decisions


def login_refusal(request: HttpRequest | None, user: Any, *, now: dt.datetime) -> Refusal | None:
    """Checked when a password was right: the company, maintenance, service hours and the certificate."""
    if not getattr(user, "is_participant_member", False):
        return None
    participant = user.participant
    if (company := access_queries.company_refusal(participant=participant)) is not None:
        return COMPANY_REFUSALS[company]
    if (window := access_queries.active_maintenance(now=now)) is not None:
        return maintenance_refusal(window, now)
    if settings.CAPMARKET_SERVICE_HOURS:
        state = access_queries.service_state_at(now=now)
        if not state.open:
            return outside_hours_refusal(state.resumes_at, now)
    if settings.CAPMARKET_CLIENT_CERTIFICATES and request is not None:
        presented = presented_certificate(request)
        check = access_queries.check_certificate(
            participant_id=participant.pk, presented=presented.details, verified=presented.verified, now=now
        )
        if check.problem is not None:
            return certificate_refusal(check.problem)
    return None


@dataclass(frozen=True)
class Decision:
    user: Any
    refusal: Refusal | None = None


def check_request(
    request: HttpRequest, user: Any, *, now: dt.datetime, acting_code: str, session: Any = None
) -> Decision:
    """The access rules for one request of an authenticated ``user`` (see the module's docstring)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_participant_member", False):
        return Decision(user)
    participant = user.participant
    if (company := access_queries.company_refusal(participant=participant)) is not None:
        return Decision(user, COMPANY_REFUSALS[company])
    if (window := access_queries.active_maintenance(now=now)) is not None:
        return Decision(user, maintenance_refusal(window, now))
    if settings.CAPMARKET_SERVICE_HOURS:
        state = access_queries.service_state_at(now=now)
        if not state.open:
            return Decision(user, outside_hours_refusal(state.resumes_at, now))
    certificate = None
    if settings.CAPMARKET_CLIENT_CERTIFICATES:
        presented = presented_certificate(request)
        check = access_queries.check_certificate(
            participant_id=participant.pk, presented=presented.details, verified=presented.verified, now=now
        )
        if check.problem is not None:
            return Decision(user, certificate_refusal(check.problem))
        certificate = check.certificate
        assert certificate is not None
        if session is not None:
            bound = session.get(CERT_SESSION_KEY)
            if bound is None:
                session[CERT_SESSION_KEY] = certificate.pk
            elif bound != certificate.pk:
                return Decision(user, CERTIFICATE_CHANGED)
    client = f"client:{certificate.fingerprint_sha256}" if certificate else f"address:{client_address(request)}"
    per_client, per_company = access_queries.limits_for(participant_id=participant.pk)
    exceeded = access_ops.count_request(
        scopes=[(client, per_client), (f"company:{participant.pk}", per_company)],
        now=now,
        window_seconds=settings.CAPMARKET_REQUEST_LIMIT_WINDOW_SECONDS,
    )
    if exceeded is not None:
        refusal = limit_refusal(exceeded)
        return Decision(user, Refusal(**{**refusal.__dict__, "audit": exceeded.first}))
    effective = user
    if acting_code:
        delegation = access_queries.delegation_by_code(participant_code=acting_code, contractor_id=participant.pk)
        if delegation is None:
            return Decision(user, NOT_DELEGATED)
        if access_queries.company_refusal(participant=delegation.participant) is not None:
            return Decision(user, PRINCIPAL_UNAVAILABLE)
        functions = access_queries.delegation_functions(delegation=delegation)
        effective = acting_user(user, delegation=delegation, functions=functions)
        if not path_allowed(request.path, functions):
            return Decision(effective, FUNCTION_NOT_DELEGATED)  # the page says for whom it acts
    if certificate is not None:
        access_ops.record_certificate_use(
            certificate=certificate,
            user=user,
            now=now,
            ip_address=client_address(request),
            request_path=request.get_full_path()[:300],
        )
    return Decision(effective)


def audit_refusal(request: HttpRequest, user: Any, refusal: Refusal, *, now: dt.datetime) -> None:
    if refusal.audit:
        access_ops.record_access_refused(
            user=user,
            code=refusal.code,
            summary=f"{request.method} {request.path} を拒否: {refusal.title}",
            now=now,
            ip_address=client_address(request),
            request_path=request.get_full_path()[:300],
        )


def application_limit(request: HttpRequest, *, now: dt.datetime) -> Refusal | None:
    """Use applications come without an account: at most ``CAPMARKET_APPLICATION_LIMIT_PER_HOUR`` from one address
    an hour, so the public form cannot be used to flood the reviewers' list."""
    exceeded = access_ops.count_request(
        scopes=[(f"apply:{client_address(request)}", settings.CAPMARKET_APPLICATION_LIMIT_PER_HOUR)],
        now=now,
        window_seconds=3600,
    )
    return limit_refusal(exceeded) if exceeded is not None else None
