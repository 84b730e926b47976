"""The one catalogue of the engine's tables: every input table of ``case-format.md`` and every output.

Everything that needs to know what a table looks like reads it from here, and only from here:

- the validator (``calc.io.validate``): column kinds, required values, minimums, key and uniqueness checks,
  references to other tables, row checks;
- the engine (``calc.engine``, ``calc.schemas``): the typed schema of every parsed input and of every output, and
  the sort keys of the outputs;
- the dataset store (``domain.timeseries``): which tables are stored as dataset versions, their key columns and the
  column that partitions them by month;
- the bulk upload (一括登録) screens, templates and the field list (ファイル項目一覧): the Japanese name of each table
  and column, a short Japanese description, the accepted formats.

This module is plain data (frozen dataclasses, tuples and strings): it imports neither Polars nor anything else
with side effects, so any layer can read it cheaply. The Polars types that go with the kinds live in
``calc.schemas``.

Column names are the English identifiers of ``glossary.md`` (the case-format CSV headers); ``label_ja`` is the
Japanese header a participant sees (templates, field list, Japanese CSV headers), unique within its table.

The module is longer than the project's ~500 lines on purpose: it is one declaration of 17 input tables, the
published reserve-margin layout and 8 outputs, and the point of it is that they are all in one place.
"""

# long module: the one catalogue of tables: declarations only, one column per line, read as a table

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

#: What a column holds, and so how it is read and checked (``calc.io.validate``) and typed (``calc.schemas``).
Kind = Literal["id", "text", "area", "resource_type", "bool", "int", "slot", "date", "month", "datetime", "kwh", "rate"]

#: The kinds in Japanese, for the field list (ファイル項目一覧).
KIND_LABELS_JA: Final[dict[str, str]] = {
    "id": "識別子（文字列）",
    "text": "文字列",
    "area": "エリア（hokkaido, tohoku, tokyo, chubu, hokuriku, kansai, chugoku, shikoku, kyushu）",
    "resource_type": "電源種別（stable, variable_single, variable_aggregate, dispatch）",
    "bool": "true / false",
    "int": "整数",
    "slot": "コマ（1〜48）",
    "date": "日付 YYYY-MM-DD（実需給年度内）",
    "month": "年月 YYYY-MM（実需給年度内）",
    "datetime": "日時 YYYY-MM-DD HH:MM（30分単位・終了は含まない）",
    "kwh": "kWh（小数第3位まで）",
    "rate": "0以上の小数",
}

#: File formats a table may be given in.
Format = Literal["csv", "parquet"]


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``required``: a value is required in every row (the column itself is always required). ``minimum``: the
    smallest allowed value of an ``int`` column. ``out``: the name of the parsed column when it differs from the
    file's (kWh are parsed to integer Wh: ``metered_kwh`` → ``metered_wh``).
    """

    name: str
    kind: Kind
    label_ja: str
    description_ja: str = ""
    required: bool = True
    minimum: int = 0
    out: str | None = None

    @property
    def parsed_name(self) -> str:
        """The column's name in the parsed (typed) frame."""
        return self.out or self.name


@dataclass(frozen=True)
class Reference:
    """Values of ``columns`` must be keys of table ``target`` (checked when that table was given); else ``code``."""

    columns: tuple[str, ...]
    target: str
    code: str


@dataclass(frozen=True)
class Unique:
    """No two rows may share the values of ``columns`` (rows with an empty one are not compared); else ``code``."""

    columns: tuple[str, ...]
    code: str = "DUPLICATE_KEY"


@dataclass(frozen=True)
class RowCheck:
    """A check across the columns of one row; the error ``code`` is reported on ``column``.

    ``after``: ``column`` must be later than ``other``; ``not_before``: ``column`` must not be smaller than
    ``other``; ``starts_in_year``: the datetime ``column`` must lie inside the delivery year.
    """

    rule: Literal["after", "not_before", "starts_in_year"]
    column: str
    code: str
    other: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """An input table of a case (``case-format.md``), also a bulk-upload dataset.

    ``key``: the columns that identify a row (the dataset store supersedes earlier versions by it).
    ``unique``: what the validator refuses twice. ``month_column``: the column whose month partitions the stored
    dataset (None: not partitioned). ``series``: a slot series, one row per (resource or area, date, slot);
    ``dense``: a series with a value for every resource and slot of the year (35 million rows at full scale).
    ``per_year``: the values hold for one delivery year (stored with it). ``registry``: master data kept in the
    registry and contracts rather than as dataset versions. ``required_file``: a case must contain the file.
    ``application``: the rows come from reviewed applications (申込, e.g. 電源等差替), never from a bulk upload:
    part of a case, but not a dataset (left out of ``DATASETS``).
    """

    name: str
    label_ja: str
    description_ja: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    unique: tuple[Unique, ...] = ()
    references: tuple[Reference, ...] = ()
    checks: tuple[RowCheck, ...] = ()
    month_column: str | None = None
    series: bool = False
    dense: bool = False
    per_year: bool = False
    registry: bool = False
    required_file: bool = False
    application: bool = False
    formats: tuple[Format, ...] = ("csv", "parquet")

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def parsed_columns(self) -> tuple[tuple[str, Kind], ...]:
        """(name, kind) of every column of the parsed frame, in order."""
        return tuple((c.parsed_name, c.kind) for c in self.columns)


@dataclass(frozen=True)
class PublishedColumn:
    """A column of a file published by OCCTO, named as in the file (Japanese)."""

    header: str
    description_ja: str
    out: str | None = None  # the parsed column it becomes, if any


@dataclass(frozen=True)
class PublishedFileSpec:
    """A file in a layout published by a third party (``reserve-margin-csv.md``), stored as a dataset.

    ``columns`` are the required columns of the published file; ``optional_columns`` are read when present.
    ``key`` and ``month_column`` describe the stored (parsed) rows.
    """

    name: str
    label_ja: str
    description_ja: str
    columns: tuple[PublishedColumn, ...]
    optional_columns: tuple[PublishedColumn, ...]
    key: tuple[str, ...]
    month_column: str | None
    formats: tuple[Format, ...] = ("csv",)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


# ----------------------------------------------------------------------------------------------- input tables


def _col(
    name: str,
    kind: Kind,
    label_ja: str,
    description_ja: str = "",
    *,
    required: bool = True,
    minimum: int = 0,
    out: str | None = None,
) -> Column:
    return Column(
        name=name,
        kind=kind,
        label_ja=label_ja,
        description_ja=description_ja,
        required=required,
        minimum=minimum,
        out=out,
    )


_RESOURCE_ID = _col("resource_id", "id", "電源等ID", "電源等の識別子（resources の resource_id）")
_PROVIDER_ID = _col("provider_id", "id", "容量提供事業者ID", "容量提供事業者の識別子（providers の provider_id）")
_AREA = _col("area", "area", "エリア", "エリアの識別子（英字）")
_DATE = _col("date", "date", "対象日", "実需給年度内の日付")
_SLOT = _col("slot", "slot", "コマ", "1〜48（コマ1 = 0:00〜0:30）")

_TO_RESOURCE = Reference(("resource_id",), "resources", "UNKNOWN_RESOURCE")
_TO_PROVIDER = Reference(("provider_id",), "providers", "UNKNOWN_PROVIDER")
_END_AFTER_START = RowCheck("after", "end", "END_NOT_AFTER_START", other="start")


def _key(*columns: str) -> tuple[Unique, ...]:
    return (Unique(columns),)


_TABLE_LIST: Final[tuple[TableSpec, ...]] = (
    TableSpec(
        name="providers",
        label_ja="容量提供事業者",
        description_ja="容量確保契約を結ぶ容量提供事業者の一覧",
        columns=(_PROVIDER_ID, _col("name", "text", "事業者名", required=False)),
        key=("provider_id",),
        unique=_key("provider_id"),
        registry=True,
    ),
    TableSpec(
        name="resources",
        label_ja="電源等",
        description_ja="電源等の一覧（エリア・電源種別・非効率石炭火力の別）",
        columns=(
            _RESOURCE_ID,
            _PROVIDER_ID,
            _col("area", "area", "エリア", "電源等が属するエリア"),
            _col("resource_type", "resource_type", "電源種別"),
            _col("inefficient_coal", "bool", "非効率石炭火力", "稼働抑制の対象なら true"),
        ),
        key=("resource_id",),
        unique=_key("resource_id"),
        references=(_TO_PROVIDER,),
        registry=True,
        required_file=True,
    ),
    TableSpec(
        name="contracts",
        label_ja="容量確保契約",
        description_ja="容量確保契約の一覧（電源等ごとに1契約まで）",
        columns=(
            _col("contract_id", "id", "契約ID", "容量確保契約の識別子"),
            _PROVIDER_ID,
            _RESOURCE_ID,
            _col("price_yen_per_kw", "int", "約定価格（円/kW）"),
            _col("contract_kw", "int", "契約容量（kW）"),
            _col(
                "assessment_kw",
                "int",
                "アセスメント対象容量（kW）",
                "空欄なら契約容量",
                required=False,
            ),
            _col("transitional", "bool", "経過措置対象", "経過措置の対象なら true"),
            _col("amount_yen", "int", "容量確保契約金額（円）", "空欄なら算定式で計算", required=False),
        ),
        key=("contract_id",),
        unique=(Unique(("contract_id",)), Unique(("resource_id",), "DUPLICATE_CONTRACT_RESOURCE")),
        references=(_TO_PROVIDER, _TO_RESOURCE),
        registry=True,
        required_file=True,
    ),
    TableSpec(
        name="replacements",
        label_ja="電源等差替",
        description_ja="承認済みの電源等差替（差替開始日から契約のkWの一部または全部を差替先の電源等で評価する）",
        columns=(
            _col("contract_id", "id", "契約ID", "差替元の容量確保契約（contracts の contract_id）"),
            _col("resource_id", "id", "差替先電源等ID", "差替先の電源等（resources の resource_id、契約のない電源等）"),
            _col("kw", "int", "差替容量（kW）", "差替先で評価するアセスメント対象容量", minimum=1),
            _col("valid_from", "date", "差替開始日", "この日から差替先で評価する"),
            _col("valid_to", "date", "差替終了日", "この日を含まない。空欄なら年度末まで", required=False),
        ),
        key=("contract_id", "resource_id", "valid_from"),
        unique=_key("contract_id", "resource_id", "valid_from"),
        references=(Reference(("contract_id",), "contracts", "UNKNOWN_CONTRACT"), _TO_RESOURCE),
        checks=(RowCheck("after", "valid_to", "VALID_TO_NOT_AFTER_FROM", other="valid_from"),),
        application=True,
    ),
    TableSpec(
        name="generation",
        label_ja="発電上限・発電計画",
        description_ja="電源等・コマごとの発電上限と発電計画（全コマ分）",
        columns=(
            _RESOURCE_ID,
            _DATE,
            _SLOT,
            _col("upper_kw", "int", "発電上限（kW）"),
            _col("plan_kw", "int", "発電計画（kW）"),
        ),
        key=("resource_id", "date", "slot"),
        unique=_key("resource_id", "date", "slot"),
        references=(_TO_RESOURCE,),
        month_column="date",
        series=True,
        dense=True,
    ),
    TableSpec(
        name="outages",
        label_ja="容量停止計画",
        description_ja="電源等の停止・出力低下の計画（実需給年度をまたいでもよい）",
        columns=(
            _col("outage_id", "id", "停止計画ID", "容量停止計画の識別子"),
            _RESOURCE_ID,
            _col("start", "datetime", "開始日時"),
            _col("end", "datetime", "終了日時", "この日時を含まない"),
            _col("available_kw", "int", "提供できる供給力の最大値（kW）", "全停止なら 0"),
        ),
        key=("outage_id",),
        unique=_key("outage_id"),
        references=(_TO_RESOURCE,),
        checks=(_END_AFTER_START,),
        month_column="start",
    ),
    TableSpec(
        name="multipliers",
        label_ja="停止係数カレンダー",
        description_ja="エリア・日付・コマ範囲ごとのペナルティの倍率（重なる範囲は大きい倍率）",
        columns=(
            _AREA,
            _DATE,
            _col("slot_from", "slot", "開始コマ"),
            _col("slot_to", "slot", "終了コマ", "このコマを含む"),
            _col("multiplier", "int", "ペナルティの倍率", "1以上の整数", minimum=1),
        ),
        key=("area", "date", "slot_from", "slot_to"),
        unique=_key("area", "date", "slot_from", "slot_to"),
        checks=(RowCheck("not_before", "slot_to", "SLOT_RANGE_REVERSED", other="slot_from"),),
        month_column="date",
    ),
    TableSpec(
        name="tight_slots",
        label_ja="低予備率アセスメント対象コマ",
        description_ja="エリアごとの需給ひっ迫コマ（広域予備率の公表ファイルから導くコマに加える）",
        columns=(_AREA, _DATE, _SLOT),
        key=("area", "date", "slot"),
        unique=_key("area", "date", "slot"),
        month_column="date",
        series=True,
    ),
    TableSpec(
        name="bids",
        label_ja="市場応札量",
        description_ja="電源等・コマごとの市場応札量（行がないコマは 0 kW）",
        columns=(_RESOURCE_ID, _DATE, _SLOT, _col("bid_kw", "int", "市場応札量（kW）")),
        key=("resource_id", "date", "slot"),
        unique=_key("resource_id", "date", "slot"),
        references=(_TO_RESOURCE,),
        month_column="date",
        series=True,
    ),
    TableSpec(
        name="instructions",
        label_ja="供給指示",
        description_ja="一般送配電事業者が安定電源に出した供給指示",
        columns=(_RESOURCE_ID, _DATE, _SLOT, _col("instructed_kw", "int", "供給指示量（kW）")),
        key=("resource_id", "date", "slot"),
        unique=_key("resource_id", "date", "slot"),
        references=(_TO_RESOURCE,),
        month_column="date",
        series=True,
    ),
    TableSpec(
        name="dispatch_orders",
        label_ja="発動指令",
        description_ja="発動指令電源への発動指令（開始日時は実需給年度内）",
        columns=(
            _col("order_id", "id", "発動指令ID", "発動指令の識別子"),
            _RESOURCE_ID,
            _col("start", "datetime", "開始日時"),
            _col("end", "datetime", "終了日時", "この日時を含まない"),
            _col("required_kw", "int", "指令量（kW）", "空欄ならアセスメント対象容量", required=False),
        ),
        key=("order_id",),
        unique=_key("order_id"),
        references=(_TO_RESOURCE,),
        checks=(_END_AFTER_START, RowCheck("starts_in_year", "start", "START_OUTSIDE_YEAR")),
        month_column="start",
    ),
    TableSpec(
        name="metering",
        label_ja="計量値（送電端）",
        description_ja="電源等・コマごとの計量値（送電端）",
        columns=(
            _RESOURCE_ID,
            _DATE,
            _SLOT,
            _col("metered_kwh", "kwh", "計量値（kWh）", "小数第3位まで", out="metered_wh"),
        ),
        key=("resource_id", "date", "slot"),
        unique=_key("resource_id", "date", "slot"),
        references=(_TO_RESOURCE,),
        month_column="date",
        series=True,
        dense=True,
    ),
    TableSpec(
        name="baselines",
        label_ja="ベースライン",
        description_ja="発動指令電源のコマごとのベースライン",
        columns=(
            _RESOURCE_ID,
            _DATE,
            _SLOT,
            _col("baseline_kwh", "kwh", "ベースライン（kWh）", "小数第3位まで", out="baseline_wh"),
        ),
        key=("resource_id", "date", "slot"),
        unique=_key("resource_id", "date", "slot"),
        references=(_TO_RESOURCE,),
        month_column="date",
        series=True,
    ),
    TableSpec(
        name="receipts",
        label_ja="入金",
        description_ja="容量提供事業者からの入金（その実需給月の請求書に対するもの）",
        columns=(
            _PROVIDER_ID,
            _col("delivery_month", "month", "対象実需給月"),
            _col("amount_yen", "int", "入金額（円）"),
        ),
        key=("provider_id", "delivery_month"),
        unique=_key("provider_id", "delivery_month"),
        references=(_TO_PROVIDER,),
        month_column="delivery_month",
    ),
    TableSpec(
        name="areas",
        label_ja="エリア別H3需要・価格",
        description_ja="容量拠出金の算定に使うエリアごとのH3需要・エリアプライス・一般送配電事業者",
        columns=(
            _AREA,
            _col("h3_kw", "int", "H3需要（kW）"),
            _col("price_yen_per_kw", "int", "エリアプライス（円/kW）"),
            _col("tso_id", "id", "一般送配電事業者ID"),
            _col("tso_share_rate", "rate", "一般送配電事業者負担率", "空欄ならルールセットの値", required=False),
        ),
        key=("area",),
        unique=_key("area"),
        per_year=True,
    ),
    TableSpec(
        name="retailers",
        label_ja="小売電気事業者の最大需要電力",
        description_ja="小売電気事業者・エリアごとの前年度夏季・冬季の最大需要電力（空欄は実績なし）",
        columns=(
            _col("retailer_id", "id", "小売電気事業者ID"),
            _AREA,
            _col("summer_peak_kw", "int", "夏季最大需要電力（kW）", required=False),
            _col("summer_peak_wheeling_kw", "int", "夏季ピーク時の託送契約電力（kW）", required=False),
            _col("winter_peak_kw", "int", "冬季最大需要電力（kW）", required=False),
            _col("winter_peak_wheeling_kw", "int", "冬季ピーク時の託送契約電力（kW）", required=False),
        ),
        key=("retailer_id", "area"),
        unique=_key("retailer_id", "area"),
        per_year=True,
    ),
    TableSpec(
        name="wheeling",
        label_ja="託送契約電力",
        description_ja="小売電気事業者・エリア・実需給月ごとの託送契約電力",
        columns=(
            _col("retailer_id", "id", "小売電気事業者ID", "retailers の retailer_id"),
            _AREA,
            _col("month", "month", "対象実需給月"),
            _col("wheeling_kw", "int", "託送契約電力（kW）"),
        ),
        key=("retailer_id", "area", "month"),
        unique=_key("retailer_id", "area", "month"),
        references=(Reference(("retailer_id", "area"), "retailers", "UNKNOWN_RETAILER"),),
        month_column="month",
    ),
)

#: The input tables of a case by name, in reading order: referenced tables before the tables that refer to them.
TABLES: Final[dict[str, TableSpec]] = {spec.name: spec for spec in _TABLE_LIST}
TABLE_ORDER: Final[tuple[str, ...]] = tuple(TABLES)

#: The published wide-area reserve margins (広域予備率, ``reserve-margin-csv.md``): a case's ``reserve_margins/``
#: directory, and a bulk-upload dataset stored as the latest published margin per area and slot.
RESERVE_MARGINS: Final[PublishedFileSpec] = PublishedFileSpec(
    name="reserve_margins",
    label_ja="広域予備率（公表ファイル）",
    description_ja="広域機関が公表する広域予備率のCSVファイル（翌日・当日・翌々日）。低予備率のコマを導く",
    columns=(
        PublishedColumn("対象年月日", "YYYY/MM/DD", out="date"),
        PublishedColumn("時刻", "コマの終了時刻 00:30〜24:00", out="slot"),
        PublishedColumn("ブロックNo", "広域ブロックの番号", out="block_no"),
        PublishedColumn("エリア名", "北海道〜九州（沖縄は対象外）", out="area"),
        PublishedColumn("広域ブロック需要(MW)", "小数第3位まで", out="block_demand_kw"),
        PublishedColumn("広域ブロック供給力(MW)", "小数第3位まで", out="block_supply_kw"),
        PublishedColumn("広域ブロック予備力(MW)", "小数第3位まで", out="block_reserve_kw"),
        PublishedColumn("広域予備率(%)", "小数第3位まで、ブラックアウトは ***", out="margin_milli_pct"),
        PublishedColumn("広域使用率(%)", "小数第3位まで", out="usage_milli_pct"),
        PublishedColumn("エリア需要(MW)", "小数第3位まで", out="area_demand_kw"),
        PublishedColumn("エリア供給力(MW)", "小数第3位まで", out="area_supply_kw"),
        PublishedColumn("エリア予備力(MW)", "小数第3位まで", out="area_reserve_kw"),
    ),
    optional_columns=(PublishedColumn("区分名", "翌々日ファイルの区分", out="category"),),
    key=("area", "date", "slot"),
    month_column="date",
)

#: Every dataset of the bulk upload (一括登録): the case tables but those of applications, and the published
#: reserve-margin files.
DATASETS: Final[dict[str, TableSpec | PublishedFileSpec]] = {
    **{name: spec for name, spec in TABLES.items() if not spec.application},
    RESERVE_MARGINS.name: RESERVE_MARGINS,
}


# ----------------------------------------------------------------------------------------------- outputs

#: What an output column holds: ``int`` and ``yen`` are integers; every other kind is text (decimals are printed
#: exactly by the engine: slot counts with 4 decimals, kWh with 3).
OutputKind = Literal["id", "text", "code", "month", "slots", "kwh", "int", "yen", "pct"]


@dataclass(frozen=True)
class OutputColumn:
    name: str
    kind: OutputKind
    label_ja: str


@dataclass(frozen=True)
class OutputSpec:
    """An output file of ``capmarket calc`` (``case-format.md``, Outputs): its columns and its sort key."""

    name: str
    label_ja: str
    columns: tuple[OutputColumn, ...]
    sort_key: tuple[str, ...]
    only_with_areas: bool = False  # written only when the case gives ``areas``

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _out(name: str, kind: OutputKind, label_ja: str) -> OutputColumn:
    return OutputColumn(name=name, kind=kind, label_ja=label_ja)


_CONTRACT_ID = _out("contract_id", "id", "契約ID")
_MONTH = _out("month", "month", "実需給月")
_REQUIREMENT = _out("requirement", "code", "リクワイアメント")

_OUTPUT_LIST: Final[tuple[OutputSpec, ...]] = (
    OutputSpec(
        name="assessment",
        label_ja="アセスメント結果",
        columns=(
            _CONTRACT_ID,
            _MONTH,
            _REQUIREMENT,
            _out("unmet_slots", "slots", "未達成コマ数"),
            _out("weighted_unmet_slots", "slots", "倍率考慮後の未達成コマ数"),
            _out("unmet_kwh", "kwh", "未達成電力量（kWh）"),
        ),
        sort_key=("contract_id", "month", "requirement"),
    ),
    OutputSpec(
        name="penalties",
        label_ja="経済的ペナルティ",
        columns=(_CONTRACT_ID, _MONTH, _REQUIREMENT, _out("penalty_yen", "yen", "ペナルティ額（円）")),
        sort_key=("contract_id", "month", "requirement"),
    ),
    OutputSpec(
        name="contract_months",
        label_ja="契約別月次交付額・ペナルティ",
        columns=(
            _CONTRACT_ID,
            _MONTH,
            _out("instalment_yen", "yen", "交付額（円）"),
            _out("raw_penalty_yen", "yen", "上限適用前ペナルティ額（円）"),
            _out("capped_penalty_yen", "yen", "上限適用後ペナルティ額（円）"),
        ),
        sort_key=("contract_id", "month"),
    ),
    OutputSpec(
        name="coal",
        label_ja="稼働抑制（非効率石炭火力）",
        columns=(
            _CONTRACT_ID,
            _out("capacity_factor_pct", "pct", "設備利用率（%）"),
            _out("penalty_yen", "yen", "ペナルティ額（円）"),
        ),
        sort_key=("contract_id",),
    ),
    OutputSpec(
        name="statements",
        label_ja="容量提供事業者別の月次精算",
        columns=(
            _out("provider_id", "id", "容量提供事業者ID"),
            _out("delivery_month", "month", "実需給月"),
            _out("payment_month", "month", "支払月"),
            _out("instalments_yen", "yen", "交付額合計（円）"),
            _out("penalties_yen", "yen", "ペナルティ額合計（円）"),
            _out("net_excl_tax_yen", "yen", "差引額（税抜・円）"),
            _out("tax_yen", "yen", "消費税額（円）"),
            _out("carried_in_yen", "yen", "前月からの繰越額（円）"),
            _out("total_yen", "yen", "差引合計（円）"),
            _out("document", "code", "帳票"),
            _out("amount_yen", "yen", "帳票金額（円）"),
            _out("received_yen", "yen", "入金額（円）"),
            _out("carried_out_yen", "yen", "翌月への繰越額（円）"),
        ),
        sort_key=("provider_id", "delivery_month"),
    ),
    OutputSpec(
        name="contribution_areas",
        label_ja="エリア別容量拠出金",
        columns=(
            _out("area", "code", "エリア"),
            _out("area_total_yen", "yen", "エリア総額（円）"),
            _out("transitional_deduction_yen", "yen", "経過措置控除額（円）"),
            _out("tso_share_yen", "yen", "一般送配電事業者負担額（円）"),
            _out("retailer_total_yen", "yen", "小売電気事業者負担総額（円）"),
        ),
        sort_key=("area",),
        only_with_areas=True,
    ),
    OutputSpec(
        name="contributions",
        label_ja="容量拠出金請求",
        columns=(
            _out("payer_id", "id", "請求先ID"),
            _out("payer_kind", "code", "請求先区分"),
            _out("area", "code", "エリア"),
            _out("delivery_month", "month", "実需給月"),
            _out("billing_month", "month", "請求月"),
            _out("amount_yen", "yen", "請求額（税抜・円）"),
            _out("tax_yen", "yen", "消費税額（円）"),
            _out("total_yen", "yen", "請求額（税込・円）"),
        ),
        sort_key=("payer_id", "payer_kind", "area", "delivery_month"),
        only_with_areas=True,
    ),
    OutputSpec(
        name="data_issues",
        label_ja="データ不備",
        columns=(_out("file", "code", "ファイル"), _out("key", "text", "キー"), _out("problem", "text", "内容")),
        sort_key=("file", "key", "problem"),
    ),
)

#: The outputs of ``capmarket calc`` by name, in the order they are written.
OUTPUTS: Final[dict[str, OutputSpec]] = {spec.name: spec for spec in _OUTPUT_LIST}
OUTPUT_ORDER: Final[tuple[str, ...]] = tuple(OUTPUTS)
