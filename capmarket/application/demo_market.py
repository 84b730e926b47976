"""A deterministic synthetic capacity market in the shape of Japan's (the demo of ``make demo`` and test data).

Nine areas with their TSOs; providers from a few large utilities owning nuclear, coal, LNG and hydro units of
hundreds of MW, to many small companies with solar, wind, aggregated renewables and demand response; retailers
(some companies hold several roles); FY2025 contracts of the main auction at area prices (3,495 円/kW, 5,242 円/kW
in Hokkaido and Kyushu), about 10 % with the transitional deduction, a few from an additional auction; valid
qualified-invoice numbers and Zengin bank accounts; notices; users for every role with one known password.

Company, resource and person names are invented (except the nine TSOs); the same seed always gives the same
market. Amounts are computed by the engine (``calc.contract_amount``) with the rule set ``jp-2025``.
"""

# long module: the whole synthetic market from one seed in one reading (split, the order of
# the random draws that makes it deterministic would be hard to follow)

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.db import transaction
from zengin_code import Bank

from capmarket.application import (
    demo_access,
    demo_alerts,
    demo_contract_changes,
    demo_documents,
    demo_helpdesk,
    demo_predelivery,
    demo_treasury,
)
from capmarket.application.settlement.demo import build_demo_settlement
from capmarket.calc.market import AREA_NAMES_JA, AREAS
from capmarket.domain.accounts import operations as account_ops
from capmarket.domain.accounts.models import Role, User
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import Auction, CapacityContract, ContractState
from capmarket.domain.notices.operations import post_notice
from capmarket.domain.registry import operations as registry_ops
from capmarket.domain.registry.models import AccountType, Participant, Resource, ResourceStatus
from capmarket.domain.registry.validators import corporate_number_check_digit

#: The one password of every demo login (satisfies the policy: ≥ 12 characters, ≥ 3 character classes).
DEMO_PASSWORD: Final = "Youryou-Demo-2025"  # noqa: S105 — published demo password, not a secret
DEMO_USER_PREFIX: Final = "demo-"
DELIVERY_YEAR: Final = 2025
#: How far before the wall clock a caller starts the demo's synthetic clock (``now``). The demo dates its records at
#: ``now`` and, where one act must follow another (the settlement runs are read as of the moments their data were
#: stored; ``settlement.demo.TICKS`` of them, a second apart), a little after it — so started this far back, nothing
#: it writes is dated after the moment it returns, and a run started right after ``make demo`` sees everything.
CLOCK_LEAD: Final = dt.timedelta(minutes=2)
#: FY2025 main auction clearing prices (円/kW): 3,495 nationally, 5,242 in Hokkaido and Kyushu.
MAIN_PRICE_YEN_PER_KW: Final[dict[str, int]] = dict.fromkeys(AREAS, 3495) | {"hokkaido": 5_242, "kyushu": 5_242}
#: Synthetic price of the (few) additional-auction contracts.
ADDITIONAL_PRICE_YEN_PER_KW: Final = 3_980
#: Area shares of resources, roughly by demand.
AREA_WEIGHTS: Final[dict[str, float]] = {
    "hokkaido": 0.05,
    "tohoku": 0.10,
    "tokyo": 0.31,
    "chubu": 0.14,
    "hokuriku": 0.03,
    "kansai": 0.15,
    "chugoku": 0.07,
    "shikoku": 0.04,
    "kyushu": 0.11,
}

TSOS: Final[dict[str, tuple[str, str]]] = {
    "hokkaido": ("北海道電力ネットワーク株式会社", "ホッカイドウデンリョクネットワーク"),
    "tohoku": ("東北電力ネットワーク株式会社", "トウホクデンリョクネットワーク"),
    "tokyo": ("東京電力パワーグリッド株式会社", "トウキョウデンリョクパワーグリッド"),
    "chubu": ("中部電力パワーグリッド株式会社", "チュウブデンリョクパワーグリッド"),
    "hokuriku": ("北陸電力送配電株式会社", "ホクリクデンリョクソウハイデン"),
    "kansai": ("関西電力送配電株式会社", "カンサイデンリョクソウハイデン"),
    "chugoku": ("中国電力ネットワーク株式会社", "チュウゴクデンリョクネットワーク"),
    "shikoku": ("四国電力送配電株式会社", "シコクデンリョクソウハイデン"),
    "kyushu": ("九州電力送配電株式会社", "キュウシュウデンリョクソウハイデン"),
}

_PLACES: Final[tuple[tuple[str, str], ...]] = (
    ("北斗", "ホクト"), ("青葉", "アオバ"), ("朝日", "アサヒ"), ("白山", "ハクサン"), ("富士", "フジ"),
    ("瀬戸", "セト"), ("筑紫", "ツクシ"), ("出雲", "イズモ"), ("吉備", "キビ"), ("若葉", "ワカバ"),
    ("大和", "ヤマト"), ("紀州", "キシュウ"), ("信濃", "シナノ"), ("越後", "エチゴ"), ("常磐", "ジョウバン"),
    ("房総", "ボウソウ"), ("湘南", "ショウナン"), ("三河", "ミカワ"), ("近江", "オウミ"), ("播磨", "ハリマ"),
    ("阿波", "アワ"), ("土佐", "トサ"), ("肥後", "ヒゴ"), ("薩摩", "サツマ"), ("日向", "ヒュウガ"),
    ("津軽", "ツガル"), ("奥羽", "オウウ"), ("那須", "ナス"), ("秩父", "チチブ"), ("伊豆", "イズ"),
    ("飛騨", "ヒダ"), ("能登", "ノト"), ("若狭", "ワカサ"), ("丹波", "タンバ"), ("因幡", "イナバ"),
    ("石見", "イワミ"), ("讃岐", "サヌキ"), ("伊予", "イヨ"), ("豊後", "ブンゴ"), ("日高", "ヒダカ"),
    ("十勝", "トカチ"), ("釧路", "クシロ"), ("岩手", "イワテ"), ("会津", "アイヅ"), ("桜", "サクラ"),
    ("若松", "ワカマツ"), ("光", "ヒカリ"), ("未来", "ミライ"), ("緑", "ミドリ"), ("太陽", "タイヨウ"),
    ("風見", "カザミ"), ("虹", "ニジ"), ("星野", "ホシノ"), ("銀河", "ギンガ"), ("黎明", "レイメイ"),
    ("暁", "アカツキ"), ("清流", "セイリュウ"), ("大地", "ダイチ"), ("翼", "ツバサ"), ("岬", "ミサキ"),
    ("湊", "ミナト"), ("峰", "ミネ"), ("樹", "イツキ"), ("葵", "アオイ"), ("楓", "カエデ"),
)  # fmt: skip
_MIDDLES: Final[tuple[str, ...]] = ("", "", "", "グリーン", "クリーン", "スマート", "ネクスト", "ソーラー",
                                   "ウインド", "ローカル", "コミュニティ", "シティ")  # fmt: skip
_PROVIDER_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("電力", "デンリョク"), ("発電", "ハツデン"), ("エナジー", "エナジー"), ("パワー", "パワー"),
    ("エネルギー", "エネルギー"), ("電源開発", "デンゲンカイハツ"),
)  # fmt: skip
_RETAILER_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("電力", "デンリョク"), ("でんき", "デンキ"), ("エネルギー", "エネルギー"), ("ガス", "ガス"),
    ("電気", "デンキ"), ("エナジー", "エナジー"), ("新電力", "シンデンリョク"),
)  # fmt: skip
_BANKS: Final[tuple[str, ...]] = ("0001", "0005", "0009", "0010", "0017", "0116", "0117", "0118", "0130", "0177")
_SURNAMES: Final = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
_GIVEN: Final = ("太郎", "花子", "一郎", "美咲", "健太", "陽菜", "大輔", "結衣", "翔", "葵")


@dataclass(frozen=True)
class Scale:
    resources: int
    providers: int
    retailers: int  # companies holding the retailer role, providers that also retail included
    dual_role: int  # providers that are retailers as well
    additional: int  # contracts from the additional auction


SCALES: Final[dict[str, Scale]] = {
    "small": Scale(resources=40, providers=8, retailers=12, dual_role=3, additional=1),
    "full": Scale(resources=2_000, providers=300, retailers=700, dual_role=90, additional=12),
}


@dataclass(frozen=True)
class Kind:
    """One kind of resource: type, name pattern, share, installed kW range, expected/installed ratio range."""

    key: str
    resource_type: str
    label: str
    share: float
    kw: tuple[int, int]
    ratio: tuple[float, float]
    large: bool = False


KINDS: Final[tuple[Kind, ...]] = (
    Kind("nuclear", "stable", "原子力発電所", 0.010, (500_000, 1_400_000), (0.93, 0.97), large=True),
    Kind("coal", "stable", "火力発電所", 0.030, (150_000, 1_000_000), (0.90, 0.96), large=True),
    Kind("lng", "stable", "火力発電所", 0.060, (100_000, 800_000), (0.90, 0.96), large=True),
    Kind("oil", "stable", "火力発電所", 0.015, (100_000, 600_000), (0.88, 0.95), large=True),
    Kind("hydro", "stable", "水力発電所", 0.040, (10_000, 400_000), (0.70, 0.90), large=True),
    Kind("pumped", "stable", "揚水発電所", 0.015, (200_000, 1_200_000), (0.85, 0.95), large=True),
    Kind("small_thermal", "stable", "バイオマス発電所", 0.100, (1_000, 100_000), (0.85, 0.95)),
    Kind("battery", "stable", "蓄電所", 0.030, (1_000, 50_000), (0.80, 0.95)),
    Kind("geothermal", "stable", "地熱発電所", 0.005, (10_000, 50_000), (0.85, 0.95)),
    Kind("solar", "variable_single", "メガソーラー", 0.160, (1_000, 100_000), (0.03, 0.12)),
    Kind("wind", "variable_single", "風力発電所", 0.065, (2_000, 100_000), (0.10, 0.25)),
    Kind("vre_aggregate", "variable_aggregate", "再エネアグリゲーション", 0.170, (1_000, 30_000), (0.05, 0.20)),
    Kind("dr", "dispatch", "DRアグリゲーション", 0.300, (1_000, 50_000), (0.80, 1.00)),
)


@dataclass(frozen=True)
class DemoSummary:
    participants: int
    providers: int
    retailers: int
    tsos: int
    resources: int
    contracts: int
    transitional_contracts: int
    users: int
    notices: int


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    company: str
    company_kind: str = ""  # 容量提供事業者・小売電気事業者・一般送配電事業者, or 広域機関 for staff


class MarketNotEmpty(Exception):
    """The database already holds participants; the demo market is loaded into an empty one only."""

    def __init__(self) -> None:
        super().__init__("事業者が既に登録されています。デモデータは空のデータベースにのみ作成できます。")


# ---------------------------------------------------------------- helpers


def _half_width_kana_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in range(0xFF66, 0xFFA0):
        half = chr(code)
        full = unicodedata.normalize("NFKC", half)
        table.setdefault(full, half)
    table["\u3099"] = "ﾞ"
    table["\u309a"] = "ﾟ"
    for small, large in zip("ァィゥェォャュョッヮ", "アイウエオヤユヨツワ", strict=True):
        table[small] = table[large]
    table["ー"] = "ｰ"
    table["・"] = " "
    return table


_HALF: Final = _half_width_kana_table()


def zengin_kana(katakana: str) -> str:
    """Full-width katakana as a Zengin account-holder name (half-width, small letters written large)."""
    out = []
    for ch in unicodedata.normalize("NFD", katakana):
        if ch.isascii():
            out.append(ch.upper())
        else:
            out.append(_HALF.get(ch, ""))
    return "".join(out)


def _corporate_number(rng: random.Random) -> str:
    base = f"{rng.randrange(10**12):012d}"
    return f"{corporate_number_check_digit(base12=base)}{base}"


def _round_kw(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


class _Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = {name for name, _ in TSOS.values()}

    def company(self, suffixes: Sequence[tuple[str, str]]) -> tuple[str, str]:
        for attempt in range(1000):
            place, place_kana = self.rng.choice(_PLACES)
            middle = self.rng.choice(_MIDDLES)
            suffix, suffix_kana = self.rng.choice(suffixes)
            stem = f"{place}{middle}{suffix}" if attempt < 50 else f"{place}{middle}{suffix}{attempt}"
            name = f"{stem}合同会社" if self.rng.random() < 0.12 else f"{stem}株式会社"
            if name not in self.used:
                self.used.add(name)
                return name, f"{place_kana}{middle}{suffix_kana}"
        raise RuntimeError("could not draw a unique company name")


def _bank_account(rng: random.Random, kana: str, company_name: str) -> dict[str, str]:
    bank_code = rng.choice(_BANKS)
    if bank_code not in Bank.all:  # the code list shipped with zengin_code changes; fall back to a sure one
        bank_code = "0001"
    branch_code = rng.choice(sorted(Bank.all[bank_code].branches))
    form = "ｺﾞ)" if company_name.endswith("合同会社") else "ｶ)"
    holder = (form + zengin_kana(kana))[:40] if rng.random() < 0.5 else (zengin_kana(kana) + "(" + form[0])[:40]
    return {
        "bank_code": bank_code,
        "branch_code": branch_code,
        "account_type": AccountType.CURRENT if rng.random() < 0.3 else AccountType.ORDINARY,
        "account_number": f"{rng.randrange(10**7):07d}",
        "account_holder_kana": holder,
    }


# ---------------------------------------------------------------- the market


def market_is_empty() -> bool:
    return not Participant.objects.exists()


# long: the demo market built in the order its seeded random draws are made; split,
# that order (which makes the same seed give the same market) would be spread over several functions
def build_demo_market(*, seed: int, scale: str, now: dt.datetime) -> DemoSummary:
    """Load the demo market into an empty database; the same ``seed`` and ``scale`` give the same market."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if not market_is_empty():
        raise MarketNotEmpty
    size = SCALES[scale]
    rng = random.Random(f"capmarket-demo-{seed}-{scale}")  # noqa: S311 — reproducible synthetic data
    names = _Names(rng)
    registered_at = dt.datetime(2021, 4, 1, 9, 0, tzinfo=dt.UTC)

    def stamp() -> dt.datetime:
        return registered_at + dt.timedelta(days=rng.randrange(0, 900), minutes=rng.randrange(0, 600))

    participants: list[Participant] = []

    def add(code: str, name: str, kana: str, **roles: Any) -> Participant:
        at = stamp()
        p = Participant(
            participant_code=code,
            name=name,
            name_kana=kana,
            invoice_registration_no=f"T{_corporate_number(rng)}",
            email=f"contact-{code.lower()}@example.jp",
            phone=f"0{rng.randrange(1, 10)}-{rng.randrange(1000, 10000)}-{rng.randrange(1000, 10000)}",
            address=(
                f"{rng.choice(list(AREA_NAMES_JA.values()))}地方 {rng.choice(_PLACES)[0]}町"
                f"{rng.randrange(1, 30)}-{rng.randrange(1, 20)}"
            ),
            created_at=at,
            updated_at=at,
            **roles,
            **_bank_account(rng, kana, name),
        )
        participants.append(p)
        return p

    for i, area in enumerate(AREAS, start=1):
        name, kana = TSOS[area]
        add(f"TS{i:02d}", name, kana, is_tso=True, tso_area=area, is_retailer=False)
    for i in range(1, size.providers + 1):
        name, kana = names.company(_PROVIDER_SUFFIXES)
        add(f"P{i:04d}", name, kana, is_provider=True, is_retailer=i % max(1, size.providers // size.dual_role) == 0)
    dual = sum(1 for p in participants if p.is_provider and p.is_retailer)
    for i in range(1, size.retailers - dual + 1):
        name, kana = names.company(_RETAILER_SUFFIXES)
        add(f"R{i:04d}", name, kana, is_retailer=True)

    big_count = max(2, min(12, size.providers // 3))

    def resources_of(saved: list[Participant]) -> list[Resource]:
        providers = [p for p in saved if p.is_provider]
        big, others = providers[:big_count], providers[big_count:] or providers
        weights = [1.0 / (i + 1) ** 0.7 for i in range(len(others))]
        counts = {k.key: max(1, round(k.share * size.resources)) for k in KINDS}
        resources: list[Resource] = []
        serial = 0
        for kind in KINDS:
            for _ in range(counts[kind.key]):
                serial += 1
                area = rng.choices(AREAS, weights=[AREA_WEIGHTS[a] for a in AREAS])[0]
                if kind.large:
                    home = [p for j, p in enumerate(big) if AREAS[j % len(AREAS)] == area]
                    owner = rng.choice(home) if home and rng.random() < 0.7 else rng.choice(big)
                else:
                    owner = rng.choices(others, weights=weights)[0]
                lo, hi = kind.kw
                installed = _round_kw(lo * (hi / lo) ** rng.random(), 100 if hi <= 100_000 else 1_000)
                expected = _round_kw(installed * rng.uniform(*kind.ratio), 10)
                expected = min(expected, installed)
                if kind.resource_type == "stable":
                    completion: int | None = (
                        rng.randrange(1970, 2011) if rng.random() < 0.3 else rng.randrange(2011, 2024)
                    )
                elif kind.resource_type == "variable_single":
                    completion = rng.randrange(2012, 2025)
                else:
                    completion = None
                place = rng.choice(_PLACES)[0]
                unit = f"{rng.randrange(1, 8)}号機" if kind.key in {"nuclear", "coal", "lng", "oil", "pumped"} else ""
                if kind.key in {"vre_aggregate", "dr"}:
                    label = f"{owner.name.removesuffix('株式会社').removesuffix('合同会社')} {kind.label}{serial:04d}"
                else:
                    fuel = {"coal": "石炭", "lng": "LNG", "oil": "石油"}.get(kind.key, "")
                    label = f"{place}{fuel}{kind.label}{unit}"
                at = max(stamp(), owner.created_at)
                resources.append(
                    Resource(
                        resource_code=f"R{AREAS.index(area) + 1}{serial:06d}",
                        participant=owner,
                        name=label,
                        resource_type=kind.resource_type,
                        area=area,
                        inefficient_coal=kind.key == "coal" and rng.random() < 0.45,
                        completion_fiscal_year=completion,
                        installed_capacity_kw=installed,
                        expected_capacity_kw=expected,
                        status=ResourceStatus.EXITED if rng.random() < 0.01 else ResourceStatus.ACTIVE,
                        created_at=at,
                        updated_at=at,
                    )
                )
        return resources

    with transaction.atomic():
        resources = registry_ops.bulk_load(participants=participants, resources_of=resources_of, now=now)
        # the database was empty: every resource is the market's own (re-read so that keys are set on every backend)
        saved = list(Resource.objects.select_related("participant").order_by("resource_code", "pk"))
        contracts = _contracts(rng, saved, size)
        contract_ops.bulk_load(contracts=contracts, now=now)
        users = _users(list(Participant.objects.order_by("participant_code")), now=now, big_count=big_count)
        notices = _notices(now=now)
        demo_alerts.load_demo_alerts(now=now)
        demo_contract_changes.load_pending_change_request(user_prefix=DEMO_USER_PREFIX, now=now)
        demo_predelivery.load_demo_predelivery(user_prefix=DEMO_USER_PREFIX, now=now)
        demo_access.load_demo_access(user_prefix=DEMO_USER_PREFIX, now=now)
    build_demo_settlement(seed=seed, scale=scale, now=now)  # issue 9: datasets, runs and confirmed months
    demo_documents.load_demo_documents(user_prefix=DEMO_USER_PREFIX, now=now)  # issue 10: documents and books
    demo_treasury.load_demo_treasury(user_prefix=DEMO_USER_PREFIX, now=now)  # issue 11: receipts and transfers
    demo_helpdesk.load_demo_helpdesk(now=now, generate_reports=scale == "full")  # issue 13: desk and reports

    return DemoSummary(
        participants=len(participants),
        providers=sum(p.is_provider for p in participants),
        retailers=sum(p.is_retailer for p in participants),
        tsos=sum(p.is_tso for p in participants),
        resources=len(resources),
        contracts=len(contracts),
        transitional_contracts=sum(c.transitional for c in contracts),
        users=users,
        notices=notices,
    )


def _contracts(rng: random.Random, resources: list[Resource], size: Scale) -> list[CapacityContract]:
    contracts: list[CapacityContract] = []
    unawarded: list[Resource] = []
    for r in resources:
        if r.status != ResourceStatus.ACTIVE or r.expected_capacity_kw < 1_000 or rng.random() < 0.08:
            unawarded.append(r)
            continue
        contracts.append(_contract(rng, r, Auction.MAIN, MAIN_PRICE_YEN_PER_KW[r.area]))
    candidates = [r for r in unawarded if r.status == ResourceStatus.ACTIVE and r.expected_capacity_kw >= 1_000]
    for r in rng.sample(candidates, min(size.additional, len(candidates))):
        contracts.append(_contract(rng, r, Auction.ADDITIONAL, ADDITIONAL_PRICE_YEN_PER_KW))
    return contracts


def _contract(rng: random.Random, r: Resource, auction: str, price: int) -> CapacityContract:
    kw = _round_kw(r.expected_capacity_kw * rng.uniform(0.85, 1.0), 10)
    kw = min(kw, r.expected_capacity_kw)
    transitional = r.completion_fiscal_year is not None and r.completion_fiscal_year <= 2010
    ruleset, amount = contract_ops.compute_amount(
        delivery_year=DELIVERY_YEAR,
        price_yen_per_kw=price,
        contract_kw=kw,
        transitional=transitional,
        amount_override_yen=None,
    )
    at = dt.datetime(2024 if auction == Auction.ADDITIONAL else 2022, 3, 1, 9, 0, tzinfo=dt.UTC)
    return CapacityContract(
        contract_code=f"K{DELIVERY_YEAR}-{r.resource_code}-01",
        participant=r.participant,
        resource=r,
        delivery_year=DELIVERY_YEAR,
        auction=auction,
        price_yen_per_kw=price,
        contract_kw=kw,
        assessment_kw=kw,
        transitional=transitional,
        gross_amount_yen=amount.gross_yen,
        transitional_deduction_yen=amount.deduction_yen,
        amount_yen=amount.amount_yen,
        amount_overridden=False,
        ruleset_name=ruleset,
        state=ContractState.ACTIVE,
        created_at=at,
        updated_at=at,
    )


_STAFF: Final[tuple[tuple[str, str, str], ...]] = (
    ("operator", Role.OPERATOR, "広域 担当"),
    ("approver", Role.APPROVER, "広域 責任者"),
    ("accountant", Role.ACCOUNTANT, "広域 経理担当"),
    ("accounting-approver", Role.ACCOUNTING_APPROVER, "広域 経理責任者"),
    ("sysadmin", Role.SYSTEM_ADMIN, "広域 システム管理"),
)


def _users(participants: list[Participant], *, now: dt.datetime, big_count: int) -> int:
    """Staff of every role, and an administrator and a user for a few companies of each kind."""
    providers = [p for p in participants if p.is_provider]
    chosen = [
        providers[0],  # a large utility
        providers[min(big_count, len(providers) - 1)],  # a mid-sized provider
        providers[-1],  # a small provider
        next(p for p in participants if p.is_retailer and not p.is_provider),
        next(p for p in participants if p.is_tso and p.tso_area == "tokyo"),
    ]
    users: list[account_ops.UserToLoad] = []

    def add(username: str, role: str, full_name: str, participant: Participant | None) -> None:
        users.append(
            account_ops.UserToLoad(
                username=f"{DEMO_USER_PREFIX}{username}",
                role=role,
                full_name=full_name,
                email=f"{username}@example.jp",
                participant=participant,
            )
        )

    for username, role, full_name in _STAFF:
        add(username, role, full_name, None)
    for i, p in enumerate(dict.fromkeys(chosen)):
        code = p.participant_code.lower()
        add(f"{code}-admin", Role.PARTICIPANT_ADMIN, f"{_SURNAMES[i]} {_GIVEN[i]}", p)
        add(f"{code}-user", Role.PARTICIPANT_USER, f"{_SURNAMES[-1 - i]} {_GIVEN[-1 - i]}", p)
    return account_ops.bulk_load_users(users=users, raw_password=DEMO_PASSWORD, now=now)


def _notices(*, now: dt.datetime) -> int:
    """A few notices (お知らせ), posted by the demo operator through the notices context."""
    operator = User.objects.get(username=f"{DEMO_USER_PREFIX}operator")
    items = (
        (
            "2025年度 実需給期間の開始について",
            "2025年度の実需給期間が4月1日より開始します。リクワイアメントの確認をお願いします。",
            "providers",
            True,
        ),
        ("容量拠出金の請求について", "2025年度の容量拠出金の請求書を本システムで公開します。", "retailers", False),
        (
            "システムメンテナンスのお知らせ",
            "毎月第2日曜日 0:00〜6:00 はメンテナンスのため本システムを利用できません。",
            "all",
            False,
        ),
        (
            "電源等情報の更新のお願い",
            "期待容量の変更がある場合は電源等情報の変更を申請してください。",
            "providers",
            False,
        ),
    )
    for days, (title, body, audience, important) in enumerate(items):
        post_notice(
            actor=operator,
            title=title,
            body=body,
            audience=audience,
            participant=None,
            important=important,
            published_at=now - dt.timedelta(days=3 * days + 1),
            now=now,
        )
    return len(items)


def _company_kind(participant: Participant | None) -> str:
    if participant is None:
        return "広域機関"
    kinds = [
        label
        for flag, label in (
            (participant.is_provider, "容量提供事業者"),
            (participant.is_retailer, "小売電気事業者"),
            (participant.is_tso, "一般送配電事業者"),
        )
        if flag
    ]
    return "・".join(kinds)


def demo_logins() -> list[DemoLogin]:
    """The demo logins (all share ``DEMO_PASSWORD``), staff first."""
    users = User.objects.filter(username__startswith=DEMO_USER_PREFIX).select_related("participant")
    rows = sorted(users, key=lambda u: (u.participant is not None, u.participant_id or 0, u.username))
    return [
        DemoLogin(
            username=u.username,
            password=DEMO_PASSWORD,
            role=u.get_role_display(),
            company=u.participant.name if u.participant else "電力広域的運営推進機関",
            company_kind=_company_kind(u.participant),
        )
        for u in rows
    ]
