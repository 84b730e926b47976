"""Data intake (一括登録): every input dataset of ``case-format.md`` uploaded, validated, checked for rights and stored.

One code path for the web screen, the REST endpoint and the command line: ``upload`` reads the file (CSV in UTF-8
with or without BOM or CP932, Parquet where the case format allows it, Excel .xlsx), validates it with the
engine's validator (``capmarket.calc.io.validate``: the same codes and messages as ``capmarket calc``), checks the
uploader's rights row by row, and — only when the whole file is valid — stores it:

- slot series and the other case tables become an immutable dataset version (``domain.timeseries``) that
  supersedes earlier data only for its keys; the same content twice creates no new version;
- ``providers``, ``resources`` and ``contracts`` go to the registry and contracts (with history);
- ``outages`` also registers or changes outage plans (``domain.outages``, seed 004 B00);
- ``reserve_margins`` files (OCCTO's layout) are stored as the published margins per area and slot.

A rejected file changes nothing. Large files are staged and processed by a background job (``intake.upload``)
running the very same function, with progress.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from capmarket.calc.io.validate import (
    TABLES,
    Column,
    ValidationContext,
    ValidationError,
    decode_csv_bytes,
    parse_table,
)
from capmarket.calc.reserve_margins import latest_margins, parse_reserve_margin_file
from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.contracts.models import CapacityContract, ContractState
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.outages import operations as outage_ops
from capmarket.domain.registry import operations as registry_ops
from capmarket.domain.registry.models import Participant, Resource
from capmarket.domain.timeseries import handlers as ts_handlers
from capmarket.domain.timeseries import operations as ts_ops
from capmarket.domain.timeseries import queries as ts_queries
from capmarket.domain.timeseries.models import DATASETS as STORED_DATASETS
from capmarket.domain.timeseries.models import DatasetVersion

# ----------------------------------------------------------------------------------------------- datasets


@dataclass(frozen=True)
class Dataset:
    name: str
    label_ja: str
    parquet: bool = True  # case-format.md: every table may be CSV or Parquet
    registry: bool = False  # stored in the registry / contracts, not as a dataset version
    by_year: bool = False  # stored with a delivery_year key column (values that hold for one delivery year)


DATASETS: Final[dict[str, Dataset]] = {
    d.name: d
    for d in (
        Dataset("generation", "発電上限・発電計画"),
        Dataset("outages", "容量停止計画"),
        Dataset("bids", "市場応札量"),
        Dataset("instructions", "供給指示"),
        Dataset("dispatch_orders", "発動指令"),
        Dataset("metering", "計量値（送電端）"),
        Dataset("baselines", "ベースライン"),
        Dataset("tight_slots", "低予備率アセスメント対象コマ"),
        Dataset("reserve_margins", "広域予備率（公表ファイル）", parquet=False),
        Dataset("multipliers", "停止係数カレンダー"),
        Dataset("areas", "エリア別H3需要・価格", by_year=True),
        Dataset("retailers", "小売電気事業者の最大需要電力", by_year=True),
        Dataset("wheeling", "託送契約電力"),
        Dataset("receipts", "入金"),
        Dataset("providers", "容量提供事業者", registry=True),
        Dataset("resources", "電源等", registry=True),
        Dataset("contracts", "容量確保契約", registry=True),
    )
}

#: Datasets a provider uploads for its own resources; a TSO uploads these for resources in its area.
PROVIDER_DATASETS: Final[frozenset[str]] = frozenset({"generation", "outages", "bids", "metering", "baselines"})
TSO_DATASETS: Final[frozenset[str]] = frozenset({"instructions", "dispatch_orders"})

#: Key columns of the stored versions (``domain.timeseries.models.DATASETS`` plus the delivery year where it holds).
YEAR_COLUMN: Final[str] = "delivery_year"

#: Stable codes of the intake's own messages (seed 004 G30); the validator's codes are in ``calc.io.messages``.
MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "FILE_EMPTY": ("ファイルが空です（データ行がありません）", "the file is empty (no data rows)"),
    "FILE_TOO_LARGE": (
        "ファイルが大きすぎます（{size} バイト、上限 {limit} バイト）",
        "the file is too large ({size} bytes, limit {limit})",
    ),
    "TOO_MANY_ROWS": (
        "行数が上限を超えています（{rows} 行、上限 {limit} 行）",
        "too many rows ({rows}, limit {limit})",
    ),
    "UNSUPPORTED_FORMAT": (
        "このデータ種別では {format} 形式は使えません（CSV・Excel{parquet}）",
        "{format} is not accepted for this dataset (CSV, Excel{parquet})",
    ),
    "UNKNOWN_DATASET": ("データ種別が不明です: {value}", "unknown dataset: {value}"),
    "DATASET_NOT_ALLOWED": (
        "このデータ種別を登録する権限がありません: {value}",
        "you may not upload this dataset: {value}",
    ),
    "RESOURCE_NOT_OWN": (
        "他の事業者の電源等です（自社の電源等のみ登録できます）: {value}",
        "resource of another company (only your own resources): {value}",
    ),
    "RESOURCE_OUTSIDE_AREA": (
        "自社の供給区域外の電源等です: {value}",
        "resource outside your supply area: {value}",
    ),
    "FORMULA_LIKE_VALUE": (
        "= + - @ やタブ・改行で始まる値は使えません（数式と解釈されるおそれ）: {value}",
        "a value must not start with = + - @, tab or CR (it could be read as a formula): {value}",
    ),
    "EXCEL_UNREADABLE": ("Excel ファイルを読み込めません: {detail}", "cannot read the Excel file: {detail}"),
    "REGISTRY_REFUSED": ("登録できません: {detail}", "cannot be registered: {detail}"),
    "PROVIDER_MISMATCH": (
        "電源等の容量提供事業者と一致しません: {value}",
        "does not match the resource's provider: {value}",
    ),
}

FORMULA_PREFIXES: Final[tuple[str, ...]] = ("=", "+", "-", "@", "\t", "\r")


def intake_error(*, file: str, line: int, column: str, code: str, **params: object) -> ValidationError:
    ja, en = MESSAGES[code]
    return ValidationError(
        file=file, line=line, column=column, code=code, message_ja=ja.format(**params), message_en=en.format(**params)
    )


def max_bytes() -> int:
    return int(getattr(settings, "CAPMARKET_INTAKE_MAX_BYTES", 512 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "CAPMARKET_INTAKE_MAX_ROWS", 10_000_000))


def inline_max_bytes() -> int:
    return int(getattr(settings, "CAPMARKET_INTAKE_INLINE_MAX_BYTES", 2 * 1024 * 1024))


def delivery_year_of(moment: dt.datetime | dt.date) -> int:
    """The delivery (fiscal) year a day belongs to: April to March."""
    return moment.year if moment.month >= 4 else moment.year - 1


# ----------------------------------------------------------------------------------------------- rights


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_operator_staff", False)) and can(user, Action.VIEW_ALL_PARTICIPANTS)


def _participant(user: Any) -> Participant | None:
    if not getattr(user, "is_participant_member", False):
        return None
    return getattr(user, "participant", None)


def allowed_datasets(*, user: Any) -> list[str]:
    """The datasets ``user`` may upload: staff all; a provider its resources' data; a TSO instructions and
    dispatch orders; a retailer none."""
    if user is None or not getattr(user, "is_active", False):
        return []
    if is_staff(user):
        return list(DATASETS)
    participant = _participant(user)
    if participant is None:
        return []
    allowed: set[str] = set()
    if participant.is_provider:
        allowed |= PROVIDER_DATASETS
    if participant.is_tso and participant.tso_area:
        allowed |= TSO_DATASETS
    return [name for name in DATASETS if name in allowed]


def _resource_rights(user: Any, dataset: str) -> tuple[set[str] | None, str]:
    """Resource codes ``user`` may upload rows of ``dataset`` for (None: any), and the code of the refusal."""
    if is_staff(user):
        return None, ""
    participant = _participant(user)
    allowed: set[str] = set()
    code = "RESOURCE_NOT_OWN"
    if participant is None:
        return allowed, code
    if dataset in PROVIDER_DATASETS and participant.is_provider:
        allowed |= set(Resource.objects.filter(participant=participant).values_list("resource_code", flat=True))
    if dataset in TSO_DATASETS and participant.is_tso and participant.tso_area:
        allowed |= set(Resource.objects.filter(area=participant.tso_area).values_list("resource_code", flat=True))
        code = "RESOURCE_OUTSIDE_AREA"
    return allowed, code


# ----------------------------------------------------------------------------------------------- reading files


class UploadRefused(Exception):
    """The file cannot be read as a table (a whole-file error)."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(error.message_en)
        self.error = error


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == 0 and value.microsecond == 0:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def read_excel(data: bytes, *, file: str) -> pl.DataFrame:
    """The first sheet of an .xlsx workbook as a frame of strings (header row first), like a CSV."""
    from openpyxl import load_workbook  # noqa: PLC0415 - only needed for Excel uploads

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UploadRefused(
            intake_error(file=file, line=0, column="", code="EXCEL_UNREADABLE", detail=type(exc).__name__)
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return pl.DataFrame()
    names = [str(h).strip() if h is not None else f"__blank{i}" for i, h in enumerate(header)]
    columns: list[list[str | None]] = [[] for _ in names]
    for row in rows:
        if row is None or all(v is None for v in row):
            continue
        for i in range(len(names)):
            columns[i].append(_cell_text(row[i]) if i < len(row) else None)
    book.close()
    return pl.DataFrame({n: pl.Series(n, c, dtype=pl.String) for n, c in zip(names, columns, strict=True)})


def read_table(*, data: bytes, filename: str, dataset: str) -> pl.DataFrame:
    """The uploaded file as a frame (CSV and Excel: every column a string; Parquet as stored)."""
    suffix = Path(filename).suffix.lower()
    spec = DATASETS[dataset]
    if suffix == ".xlsx":
        return read_excel(data, file=filename)
    if suffix == ".parquet":
        if not spec.parquet:
            raise UploadRefused(
                intake_error(file=filename, line=0, column="", code="UNSUPPORTED_FORMAT", format="Parquet", parquet="")
            )
        try:
            return pl.read_parquet(io.BytesIO(data))
        except Exception as exc:
            raise UploadRefused(
                _validator_error(file=filename, code="FILE_UNREADABLE", detail=str(exc).splitlines()[0])
            ) from None
    decoded = decode_csv_bytes(data)
    if decoded is None:
        raise UploadRefused(_validator_error(file=filename, code="FILE_ENCODING"))
    try:
        return pl.read_csv(decoded, infer_schema=False, raise_if_empty=False, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as exc:
        raise UploadRefused(
            _validator_error(file=filename, code="FILE_UNREADABLE", detail=str(exc).splitlines()[0])
        ) from None


def _validator_error(*, file: str, code: str, **params: object) -> ValidationError:
    from capmarket.calc.io.validate import make_error  # noqa: PLC0415

    params.setdefault("detail", "")
    return make_error(file=file, line=0, column="", code=code, **params)


# ----------------------------------------------------------------------------------------------- checking


@dataclass
class Checked:
    """A file read and checked: the typed frame to store, and every error (empty: the file is accepted)."""

    dataset: str
    frame: pl.DataFrame
    errors: list[ValidationError]
    rows: int


def _formula_errors(raw: pl.DataFrame, columns: Sequence[Column], *, file: str, budget: int) -> list[ValidationError]:
    """Identifier and text cells that a spreadsheet would run as a formula (numbers are checked by type)."""
    errors: list[ValidationError] = []
    for column in columns:
        if column.kind not in ("id", "text") or column.name not in raw.columns or raw[column.name].dtype != pl.String:
            continue
        s = raw[column.name]
        bad = s.str.starts_with(FORMULA_PREFIXES[0])
        for prefix in FORMULA_PREFIXES[1:]:
            bad = bad | s.str.starts_with(prefix)
        hits = raw.select(s.alias("v")).with_row_index("i").filter(bad.fill_null(False)).head(budget)
        for i, value in hits.iter_rows():
            errors.append(
                intake_error(file=file, line=int(i) + 2, column=column.name, code="FORMULA_LIKE_VALUE", value=value)
            )
    return errors


def _rights_errors(
    raw: pl.DataFrame, *, user: Any, dataset: str, file: str, budget: int, known: set[str]
) -> list[ValidationError]:
    """Rows for a resource the uploader may not upload for (known resources only: unknown ones are the
    validator's). The line is named; one such row rejects the file."""
    allowed, code = _resource_rights(user, dataset)
    if allowed is None or "resource_id" not in raw.columns:
        return []
    ids = raw["resource_id"].cast(pl.String).str.strip_chars()
    refused = ids.is_in(list(known)) & ~ids.is_in(list(allowed))
    hits = pl.DataFrame({"v": ids}).with_row_index("i").filter(refused.fill_null(False)).head(budget)
    return [
        intake_error(file=file, line=int(i) + 2, column="resource_id", code=code, value=v) for i, v in hits.iter_rows()
    ]


def _known_resources() -> pl.DataFrame:
    codes = list(Resource.objects.order_by("resource_code").values_list("resource_code", flat=True))
    return pl.DataFrame({"resource_id": pl.Series(codes, dtype=pl.String)})


def _known_providers(extra: Iterable[str] = ()) -> pl.DataFrame:
    codes = set(
        Participant.objects.filter(is_provider=True)
        .order_by("participant_code")
        .values_list("participant_code", flat=True)
    ) | set(extra)
    return pl.DataFrame({"provider_id": pl.Series(sorted(codes), dtype=pl.String)})


def _known_retailers(*, delivery_year: int, now: dt.datetime) -> pl.DataFrame | None:
    try:
        stored = ts_queries.read_as_of(dataset="retailers", as_of=now).collect()
    except ts_queries.NoVersionInForce:
        return None
    if YEAR_COLUMN in stored.columns:
        stored = stored.filter(pl.col(YEAR_COLUMN) == delivery_year)
    return stored.select("retailer_id", "area")


def check(
    *,
    dataset: str,
    data: bytes,
    filename: str,
    user: Any,
    delivery_year: int,
    now: dt.datetime,
    context: ValidationContext | None = None,
) -> Checked:
    """Read and check one uploaded file: format, limits, every value (the engine's validator), the uploader's
    rights. Nothing is stored."""
    file = Path(filename).name or f"{dataset}.csv"
    empty = pl.DataFrame()
    if dataset not in DATASETS:
        return Checked(
            dataset, empty, [intake_error(file=file, line=0, column="", code="UNKNOWN_DATASET", value=dataset)], 0
        )
    if dataset not in allowed_datasets(user=user):
        err = intake_error(file=file, line=0, column="", code="DATASET_NOT_ALLOWED", value=DATASETS[dataset].label_ja)
        return Checked(dataset, empty, [err], 0)
    if len(data) > max_bytes():
        err = intake_error(file=file, line=0, column="", code="FILE_TOO_LARGE", size=len(data), limit=max_bytes())
        return Checked(dataset, empty, [err], 0)
    if dataset == "reserve_margins":
        return _check_reserve_margins(data=data, file=file)
    try:
        raw = read_table(data=data, filename=file, dataset=dataset)
    except UploadRefused as exc:
        return Checked(dataset, empty, [exc.error], 0)
    if raw.height == 0:
        return Checked(dataset, empty, [intake_error(file=file, line=0, column="", code="FILE_EMPTY")], 0)
    if raw.height > max_rows():
        err = intake_error(file=file, line=0, column="", code="TOO_MANY_ROWS", rows=raw.height, limit=max_rows())
        return Checked(dataset, empty, [err], raw.height)
    spec = TABLES[dataset]
    if context is None:
        context = ValidationContext(delivery_year=delivery_year)
        refs = {r.target for r in spec.references}
        if "resources" in refs:
            context.known["resources"] = _known_resources()
        if "providers" in refs:
            context.known["providers"] = _known_providers()
        if "retailers" in refs:
            retailers = _known_retailers(delivery_year=delivery_year, now=now)
            if retailers is not None:
                context.known["retailers"] = retailers
    parsed = parse_table(dataset, raw, context=context, label=file)
    errors = list(parsed.errors)
    budget = max(context.error_budget - len(errors), 0)
    errors += _formula_errors(raw, spec.columns, file=file, budget=budget)
    known_res = context.known.get("resources")
    known_set = set(known_res["resource_id"].to_list()) if known_res is not None else set()
    errors += _rights_errors(raw, user=user, dataset=dataset, file=file, budget=budget, known=known_set)
    errors.sort(key=lambda e: (e.line, e.column))
    return Checked(dataset, parsed.frame if not errors else empty, errors[: context.error_budget], raw.height)


def _check_reserve_margins(*, data: bytes, file: str) -> Checked:
    frame, problems = parse_reserve_margin_file(name=file, data=data)
    errors = [
        ValidationError(
            file=file,
            line=p.line,
            column=p.column or "",
            code=p.code,
            message_ja=p.message_ja,
            message_en=p.message_en,
        )
        for p in problems
    ]
    if not errors and frame.height == 0:
        errors = [intake_error(file=file, line=0, column="", code="FILE_EMPTY")]
    return Checked("reserve_margins", frame if not errors else pl.DataFrame(), errors, frame.height)


# ----------------------------------------------------------------------------------------------- storing


@dataclass
class Stored:
    """What an accepted file did."""

    dataset: str
    new_version: bool = False
    version_id: str = ""
    sequence: int = 0
    rows: int = 0
    content_sha256: str = ""
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    detail: dict[str, int] = field(default_factory=dict)


def _margins_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return latest_margins(frame).drop("file", "line")


def store(
    *,
    checked: Checked,
    user: Any,
    filename: str,
    delivery_year: int,
    now: dt.datetime,
    progress: Progress = ignore_progress,
) -> Stored:
    """Store a file that ``check`` accepted."""
    if checked.errors:
        raise ValueError("a rejected file cannot be stored")
    dataset = checked.dataset
    spec = DATASETS[dataset]
    if spec.registry:
        return _store_registry(checked=checked, user=user, delivery_year=delivery_year, now=now)
    frame = checked.frame
    keys = list(STORED_DATASETS[dataset][0]) if dataset in STORED_DATASETS else []
    if dataset == "reserve_margins":
        frame = _margins_frame(frame)
    if spec.by_year:
        frame = frame.with_columns(pl.lit(delivery_year, dtype=pl.Int64).alias(YEAR_COLUMN))
        keys = [YEAR_COLUMN, *keys]
    if dataset == "multipliers":
        keys = ["area", "date", "slot_from", "slot_to"]
    participant = _participant(user)

    def report(done: int, total: int | None, message: str = "") -> None:
        progress(done, total, message)

    with transaction.atomic():
        version, created = ts_ops.store_version(
            dataset=dataset,
            frame=frame,
            key_columns=keys,
            uploaded_by=user if getattr(user, "pk", None) else None,
            participant=participant,
            source_name=filename,
            now=now,
            progress=report,
        )
        detail: dict[str, int] = {}
        if dataset == "outages" and created:
            changes = _sync_outages(frame=frame, user=user, now=now)
            detail = {"registered": changes.registered, "changed": changes.changed}
    summary, _ = ts_queries.diff(version=version)
    return Stored(
        dataset=dataset,
        new_version=created,
        version_id=version.version_id.hex,
        sequence=version.sequence,
        rows=version.row_count,
        content_sha256=version.content_sha256,
        added=summary.added if created else 0,
        changed=summary.changed if created else 0,
        unchanged=summary.unchanged if created else version.row_count,
        detail=detail,
    )


def _jst(value: dt.datetime) -> dt.datetime:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    return value.replace(tzinfo=ZoneInfo("Asia/Tokyo"))


def _sync_outages(*, frame: pl.DataFrame, user: Any, now: dt.datetime) -> outage_ops.OutageChanges:
    resources = Resource.objects.in_bulk(frame["resource_id"].unique().to_list(), field_name="resource_code")
    plans = [
        outage_ops.OutageInput(
            outage_code=row["outage_id"],
            resource=resources[row["resource_id"]],
            start_at=_jst(row["start"]),
            end_at=_jst(row["end"]),
            available_kw=int(row["available_kw"]),
        )
        for row in frame.iter_rows(named=True)
    ]
    return outage_ops.register_or_change(actor=user, now=now, plans=plans)


def _store_registry(*, checked: Checked, user: Any, delivery_year: int, now: dt.datetime) -> Stored:
    """Registry tables: create what is new, change what differs (history and audit by the registry's operations)."""
    frame = checked.frame
    counts = {"registered": 0, "changed": 0, "unchanged": 0}
    with transaction.atomic():
        if checked.dataset == "providers":
            for row in frame.iter_rows(named=True):
                counts[_upsert_provider(row, user=user, now=now)] += 1
        elif checked.dataset == "resources":
            for row in frame.iter_rows(named=True):
                counts[_upsert_resource(row, user=user, now=now, capacity_kw=0)] += 1
        else:
            for row in frame.iter_rows(named=True):
                counts[_upsert_contract(row, user=user, now=now, delivery_year=delivery_year)] += 1
    return Stored(
        dataset=checked.dataset,
        new_version=bool(counts["registered"] or counts["changed"]),
        rows=frame.height,
        added=counts["registered"],
        changed=counts["changed"],
        unchanged=counts["unchanged"],
    )


def _upsert_provider(row: dict[str, Any], *, user: Any, now: dt.datetime) -> str:
    code = row["provider_id"]
    name = row.get("name") or code
    current = Participant.objects.filter(participant_code=code).first()
    if current is None:
        registry_ops.create_participant(
            actor=user,
            now=now,
            values={"participant_code": code, "name": name, "name_kana": name, "is_provider": True},
        )
        return "registered"
    values: dict[str, Any] = {}
    if current.name != name:
        values["name"] = name
    if not current.is_provider:
        values["is_provider"] = True
    if not values:
        return "unchanged"
    registry_ops.update_participant(actor=user, now=now, participant=current, values=values)
    return "changed"


def _upsert_resource(row: dict[str, Any], *, user: Any, now: dt.datetime, capacity_kw: int) -> str:
    code = row["resource_id"]
    provider = Participant.objects.get(participant_code=row["provider_id"])
    current = Resource.objects.filter(resource_code=code).first()
    if current is None:
        registry_ops.create_resource(
            actor=user,
            now=now,
            values={
                "resource_code": code,
                "participant": provider,
                "name": code,
                "resource_type": row["resource_type"],
                "area": row["area"],
                "inefficient_coal": bool(row["inefficient_coal"]),
                "installed_capacity_kw": capacity_kw,
                "expected_capacity_kw": capacity_kw,
            },
        )
        return "registered"
    if current.participant_id != provider.pk:
        raise DjangoValidationError({"provider_id": [f"電源等 {code} の容量提供事業者は変更できません。"]})
    values: dict[str, Any] = {
        "resource_type": row["resource_type"],
        "area": row["area"],
        "inefficient_coal": bool(row["inefficient_coal"]),
    }
    if capacity_kw > current.expected_capacity_kw:
        values["installed_capacity_kw"] = max(capacity_kw, current.installed_capacity_kw)
        values["expected_capacity_kw"] = capacity_kw
    if all(getattr(current, k) == v for k, v in values.items()):
        return "unchanged"
    registry_ops.update_resource(actor=user, now=now, resource=current, values=values)
    return "changed"


def _upsert_contract(row: dict[str, Any], *, user: Any, now: dt.datetime, delivery_year: int) -> str:
    resource = Resource.objects.select_related("participant").get(resource_code=row["resource_id"])
    if resource.participant.participant_code != row["provider_id"]:
        raise DjangoValidationError(
            {"provider_id": [f"電源等 {resource.resource_code} の容量提供事業者と一致しません。"]}
        )
    terms: dict[str, Any] = {
        "price_yen_per_kw": int(row["price_yen_per_kw"]),
        "contract_kw": int(row["contract_kw"]),
        "assessment_kw": None if row["assessment_kw"] is None else int(row["assessment_kw"]),
        "transitional": bool(row["transitional"]),
        "amount_override_yen": None if row["amount_yen"] is None else int(row["amount_yen"]),
    }
    current = CapacityContract.objects.filter(contract_code=row["contract_id"]).first()
    if current is None:
        active = CapacityContract.objects.filter(
            resource=resource, delivery_year=delivery_year, state=ContractState.ACTIVE
        ).first()
        if active is None:
            contract_ops.create_contract(
                actor=user,
                now=now,
                resource=resource,
                delivery_year=delivery_year,
                contract_code=row["contract_id"],
                **terms,
            )
            return "registered"
        current = active
    same = (
        current.price_yen_per_kw == terms["price_yen_per_kw"]
        and current.contract_kw == terms["contract_kw"]
        and current.assessment_kw
        == (terms["assessment_kw"] if terms["assessment_kw"] is not None else terms["contract_kw"])
        and current.transitional == terms["transitional"]
        and (current.amount_overridden == (terms["amount_override_yen"] is not None))
        and (terms["amount_override_yen"] is None or current.amount_yen == terms["amount_override_yen"])
    )
    if same:
        return "unchanged"
    contract_ops.change_contract(actor=user, now=now, contract=current, reason="一括登録による変更", **terms)
    return "changed"


# ----------------------------------------------------------------------------------------------- the use case


@dataclass
class UploadOutcome:
    """``accepted`` with ``stored``; or rejected with ``errors``; or ``job`` when it runs in the background."""

    dataset: str
    filename: str
    file_sha256: str
    rows: int
    errors: list[ValidationError]
    stored: Stored | None = None
    job: Job | None = None

    @property
    def accepted(self) -> bool:
        return self.stored is not None

    @property
    def queued(self) -> bool:
        return self.job is not None and self.stored is None and not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "filename": self.filename,
            "file_sha256": self.file_sha256,
            "rows": self.rows,
            "accepted": self.accepted,
            "errors": [error_dict(e) for e in self.errors],
            "stored": None if self.stored is None else self.stored.__dict__,
            "job_id": None if self.job is None else self.job.pk,
        }


def error_dict(e: ValidationError) -> dict[str, Any]:
    return {
        "file": e.file,
        "line": e.line,
        "column": e.column,
        "code": e.code,
        "message_ja": e.message_ja,
        "message_en": e.message_en,
    }


def _registry_refusal(exc: Exception, *, file: str) -> ValidationError:
    detail = "; ".join(exc.messages) if isinstance(exc, DjangoValidationError) else str(exc)
    return intake_error(file=file, line=0, column="", code="REGISTRY_REFUSED", detail=detail)


def process(
    *,
    dataset: str,
    data: bytes,
    filename: str,
    user: Any,
    delivery_year: int,
    now: dt.datetime,
    progress: Progress = ignore_progress,
) -> UploadOutcome:
    """Check and, when valid, store one file, in this process."""
    if dataset == "reserve_margins":
        return _publication(data=data, filename=filename, user=user, now=now)
    sha = hashlib.sha256(data).hexdigest()
    progress(0, 3, "検証中")
    checked = check(dataset=dataset, data=data, filename=filename, user=user, delivery_year=delivery_year, now=now)
    outcome = UploadOutcome(
        dataset=dataset, filename=filename, file_sha256=sha, rows=checked.rows, errors=checked.errors
    )
    if checked.errors:
        progress(3, 3, "エラーがあります")
        return outcome
    progress(1, 3, "登録中")
    try:
        outcome.stored = store(
            checked=checked,
            user=user,
            filename=filename,
            delivery_year=delivery_year,
            now=now,
            progress=lambda done, total, message="": progress(1, 3, message),
        )
    except ts_ops.DuplicateKeys as exc:
        outcome.errors = [
            _validator_error(
                file=Path(filename).name, code="FILE_UNREADABLE", detail=f"キーが重複しています: {exc.examples}"
            )
        ]
    except (DjangoValidationError, contract_ops.ContractError, ts_ops.InvalidUpload) as exc:
        outcome.errors = [_registry_refusal(exc, file=Path(filename).name)]
    progress(3, 3, "完了")
    return outcome


def _publication(*, data: bytes, filename: str, user: Any, now: dt.datetime) -> UploadOutcome:
    """A published reserve-margin file goes to the alerts: stored once as a publication, judged, providers alerted
    (``application.reserve_margins``); its dataset version is what the settlement run reads."""
    from capmarket.application import reserve_margins  # noqa: PLC0415

    name = Path(filename).name
    sha = hashlib.sha256(data).hexdigest()
    try:
        imported = reserve_margins.import_publication_as(data=data, filename=filename, user=user, now=now)
    except reserve_margins.UnableToImportPublication as exc:
        errors = [
            ValidationError(
                file=e.file,
                line=e.line,
                column=e.column or "",
                code=e.code,
                message_ja=e.message_ja,
                message_en=e.message_en,
            )
            for e in exc.errors
        ]
        return UploadOutcome(dataset="reserve_margins", filename=name, file_sha256=sha, rows=0, errors=errors)
    publication = imported.publication
    stored = Stored(
        dataset="reserve_margins",
        new_version=imported.new and publication.dataset_version is not None,
        sequence=publication.dataset_version or 0,
        rows=publication.row_count,
        content_sha256=publication.content_sha256,
        added=publication.latest_slots if imported.new else 0,
        unchanged=0 if imported.new else publication.row_count,
        detail={
            "publication": publication.pk,
            "slots_below": imported.slots_below,
            "emails_queued": imported.emails_queued,
        },
    )
    return UploadOutcome(
        dataset="reserve_margins", filename=name, file_sha256=sha, rows=publication.row_count, errors=[], stored=stored
    )


def upload(
    *,
    dataset: str,
    file: IO[bytes],
    size: int,
    filename: str,
    user: Any,
    delivery_year: int,
    now: dt.datetime,
    background: bool | None = None,
) -> UploadOutcome:
    """The use case behind every way in. Files larger than ``CAPMARKET_INTAKE_INLINE_MAX_BYTES`` (or with
    ``background`` True) are staged and processed by an ``intake.upload`` job; the outcome then carries the job."""
    name = Path(filename).name
    if size > max_bytes():
        err = intake_error(file=name, line=0, column="", code="FILE_TOO_LARGE", size=size, limit=max_bytes())
        return UploadOutcome(dataset=dataset, filename=name, file_sha256="", rows=0, errors=[err])
    if dataset not in allowed_datasets(user=user):
        code = "UNKNOWN_DATASET" if dataset not in DATASETS else "DATASET_NOT_ALLOWED"
        label = DATASETS[dataset].label_ja if dataset in DATASETS else dataset
        err = intake_error(file=name, line=0, column="", code=code, value=label)
        return UploadOutcome(dataset=dataset, filename=name, file_sha256="", rows=0, errors=[err])
    data = file.read()
    go_background = background if background is not None else len(data) > inline_max_bytes()
    if not go_background:
        return process(dataset=dataset, data=data, filename=name, user=user, delivery_year=delivery_year, now=now)
    sha = hashlib.sha256(data).hexdigest()
    staged = ts_handlers.stage(data=data, suffix=Path(name).suffix.lower())  # in the store: any worker reads it
    job, _ = job_ops.enqueue(
        kind="intake.upload",
        owner=user,
        participant=_participant(user),
        inputs={"dataset": dataset, "staged_file": staged, "source_name": name, "delivery_year": delivery_year},
        idempotency_key=f"intake:{staged}",
        now=now,
    )
    return UploadOutcome(dataset=dataset, filename=name, file_sha256=sha, rows=0, errors=[], job=job)


def run_upload_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Job handler of ``intake.upload``: the same ``process`` as an inline upload. Idempotent: storing the same
    content again creates no new version."""
    inputs = job.inputs
    staged = Path(str(inputs["staged_file"])).name
    data = ts_handlers.read_staged(name=staged)
    outcome = process(
        dataset=str(inputs["dataset"]),
        data=data,
        filename=str(inputs.get("source_name", staged)),
        user=job.owner,
        delivery_year=int(inputs["delivery_year"]),
        now=now,
        progress=progress,
    )
    ts_handlers.discard_staged(name=staged)
    return outcome.as_dict()


NoVersionInForce = ts_queries.NoVersionInForce


def outcome_of_job(*, job: Job) -> dict[str, Any] | None:
    """The outcome an ``intake.upload`` job recorded (None while it runs)."""
    return job.result if job.kind == "intake.upload" and job.result else None


# ----------------------------------------------------------------------------------------------- templates, field list


KIND_LABELS: Final[dict[str, str]] = {
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


@dataclass(frozen=True)
class FieldInfo:
    number: int
    name: str
    kind: str
    required: bool
    key: bool


def field_list(*, dataset: str) -> list[FieldInfo]:
    """ファイル項目一覧: the columns of a dataset's file, in order."""
    if dataset == "reserve_margins":
        from capmarket.calc.reserve_margins import REQUIRED_COLUMNS  # noqa: PLC0415

        return [FieldInfo(i + 1, c, "OCCTO 公表形式", True, False) for i, c in enumerate(REQUIRED_COLUMNS)]
    spec = TABLES[dataset]
    return [
        FieldInfo(i + 1, c.name, KIND_LABELS[c.kind], c.required, c.name in spec.key)
        for i, c in enumerate(spec.columns)
    ]


def template_csv(*, dataset: str) -> bytes:
    """A template file: the header row, UTF-8 with BOM (opens in Excel)."""
    names = [f.name for f in field_list(dataset=dataset)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(names)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ----------------------------------------------------------------------------------------------- history, downloads


@dataclass(frozen=True)
class HistoryRow:
    version: DatasetVersion
    added: int
    changed: int
    unchanged: int


def upload_history(*, user: Any, dataset: str, limit: int = 50) -> list[HistoryRow]:
    """Versions of ``dataset`` the user may see, newest first, with what each changed."""
    rows = []
    for version in ts_queries.versions_visible_to(user, dataset=dataset).order_by("-sequence")[:limit]:
        summary, _ = ts_queries.diff(version=version)
        rows.append(HistoryRow(version, summary.added, summary.changed, summary.unchanged))
    return rows


def neutralise(value: str) -> str:
    """A cell Excel would run as a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def csv_bytes(frame: pl.DataFrame, *, encoding: str) -> bytes:
    """Frame as CSV safe to open in Excel (formula-like cells neutralised); ``utf-8-sig`` or ``cp932``."""
    text_frame = frame.with_columns(
        [
            pl.col(c).map_elements(neutralise, return_dtype=pl.String) if frame.schema[c] == pl.String else pl.col(c)
            for c in frame.columns
        ]
    )
    text = text_frame.write_csv(line_terminator="\r\n", datetime_format="%Y-%m-%d %H:%M")
    return text.encode(encoding, errors="replace")


def download(
    *, user: Any, dataset: str, as_of: dt.datetime, encoding: str = "utf-8-sig", limit_rows: int | None = None
) -> bytes:
    """The stored rows of ``dataset`` in force at ``as_of`` that the user may see, as Excel-safe CSV."""
    if encoding not in ("utf-8-sig", "cp932"):
        raise ValueError(f"unsupported encoding {encoding}")
    frame = ts_queries.read_as_of(dataset=dataset, as_of=as_of, sort=True)
    if not is_staff(user):
        allowed, _ = _resource_rights(user, dataset)
        if allowed is None:
            pass
        elif "resource_id" in frame.collect_schema().names():
            frame = frame.filter(pl.col("resource_id").is_in(sorted(allowed)))
        else:
            frame = frame.head(0)
    collected = frame.collect()
    if limit_rows is not None:
        collected = collected.head(limit_rows)
    for out, wh in (("metered_kwh", "metered_wh"), ("baseline_kwh", "baseline_wh")):
        if wh in collected.columns:
            collected = collected.with_columns(kwh_text(pl.col(wh)).alias(out)).drop(wh)
    return csv_bytes(collected, encoding=encoding)


def kwh_text(wh: pl.Expr) -> pl.Expr:
    """Integer Wh as a kWh decimal string with exactly 3 decimals (exact, no floats)."""
    absolute = wh.abs()
    sign = pl.when(wh < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(
        [sign, (absolute // 1000).cast(pl.String), pl.lit("."), (absolute % 1000).cast(pl.String).str.pad_start(3, "0")]
    )


# ----------------------------------------------------------------------------------------------- a whole case


@dataclass
class CaseImport:
    """What ``import_case`` did: the outcome per file, the participants created, and the errors (then nothing
    was stored)."""

    delivery_year: int = 0
    errors: list[ValidationError] = field(default_factory=list)
    outcomes: list[UploadOutcome] = field(default_factory=list)
    participants_created: list[str] = field(default_factory=list)
    ruleset_version: int | None = None


def _create_participant(
    code: str, *, user: Any, now: dt.datetime, name: str = "", roles: dict[str, Any], created: list[str]
) -> None:
    current = Participant.objects.filter(participant_code=code).first()
    if current is None:
        if roles.get("is_tso") and Participant.objects.filter(is_tso=True, tso_area=roles["tso_area"]).exists():
            return  # the area already has its TSO (one per area)
        registry_ops.create_participant(
            actor=user,
            now=now,
            values={"participant_code": code, "name": name or code, "name_kana": name or code, **roles},
        )
        created.append(code)
        return
    missing = {k: v for k, v in roles.items() if k.startswith("is_") and v and not getattr(current, k)}
    if missing:
        if "is_tso" in missing:
            missing["tso_area"] = roles["tso_area"]
        registry_ops.update_participant(actor=user, now=now, participant=current, values=missing)


def _publish_parameters(
    *, case_dir: Path, user: Any, now: dt.datetime, ruleset_name: str, used: dict[str, str]
) -> int | None:
    """A case's ``[parameters]`` become a new version of its rule set (when they differ from the newest)."""
    from capmarket.domain.rulesets import operations as ruleset_ops  # noqa: PLC0415
    from capmarket.domain.rulesets import queries as ruleset_queries  # noqa: PLC0415

    base = ruleset_queries.versions_of(ruleset_name).first()
    if base is None:
        return None
    current = ruleset_queries.values_of(base)
    changed = {k: v for k, v in used.items() if current.get(k) != v}
    if not changed:
        return base.version
    new = ruleset_ops.publish_version(
        actor=user,
        base=base,
        parameters={
            k: ruleset_ops.ParameterInput(value=v, source=f"case {case_dir.name}", confidence="unverified")
            for k, v in changed.items()
        },
        note=f"ケース {case_dir.name} の取込みによるパラメータ変更",
        now=now,
    )
    return new.version


def import_case(*, case_dir: Path, user: Any, now: dt.datetime) -> CaseImport:
    """Load a whole case directory (case-format.md): validate it as ``capmarket calc`` does, create the
    participants it names that do not exist yet (providers, retailers, TSOs), register resources and contracts,
    publish its rule-set parameters, and store every table as a dataset version. An invalid case stores nothing."""
    from capmarket.calc.io.case import InvalidCase, read_case, table_path  # noqa: PLC0415

    result = CaseImport()
    try:
        case = read_case(case_dir)
    except InvalidCase as exc:
        result.errors = exc.errors
        return result
    year = case.data.delivery_year
    result.delivery_year = year
    data = case.data
    with transaction.atomic():
        names = dict(data.providers.select("provider_id", "name").iter_rows()) if data.providers.height else {}
        for code in sorted(set(data.resources["provider_id"].to_list()) | set(names)):
            _create_participant(
                code,
                user=user,
                now=now,
                name=names.get(code) or "",
                roles={"is_provider": True},
                created=result.participants_created,
            )
        for code in sorted(set(data.retailers["retailer_id"].to_list()) | set(data.wheeling["retailer_id"].to_list())):
            _create_participant(
                code, user=user, now=now, roles={"is_retailer": True}, created=result.participants_created
            )
        for area, tso in data.areas.select("area", "tso_id").sort("area").iter_rows():
            _create_participant(
                tso, user=user, now=now, roles={"is_tso": True, "tso_area": area}, created=result.participants_created
            )
        capacity = dict(data.contracts.select("resource_id", "contract_kw").iter_rows())
        for row in data.resources.sort("resource_id").iter_rows(named=True):
            _upsert_resource(row, user=user, now=now, capacity_kw=int(capacity.get(row["resource_id"], 0)))
        for row in data.contracts.sort("contract_id").iter_rows(named=True):
            _upsert_contract(row, user=user, now=now, delivery_year=year)
        result.ruleset_version = _publish_parameters(
            case_dir=case_dir, user=user, now=now, ruleset_name=case.ruleset.name, used=case.parameter_values
        )
        for name in DATASETS:
            if DATASETS[name].registry or name == "reserve_margins":
                continue
            path, _ = table_path(case_dir, name)
            if path is None:
                continue
            outcome = process(
                dataset=name, data=path.read_bytes(), filename=path.name, user=user, delivery_year=year, now=now
            )
            result.outcomes.append(outcome)
            if outcome.errors:
                result.errors = outcome.errors
                transaction.set_rollback(True)
                return result
        margins_dir = case_dir / "reserve_margins"
        if margins_dir.is_dir():
            # each file is a publication of the reserve-margin alerts (stored once, judged; the dataset version
            # holds the rows for which it is the latest publication, rules.md §2.2)
            for file in sorted(p for p in margins_dir.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
                outcome = _publication(
                    data=file.read_bytes(), filename=f"reserve_margins/{file.name}", user=user, now=now
                )
                result.outcomes.append(outcome)
                if outcome.errors:
                    result.errors = outcome.errors
                    transaction.set_rollback(True)
                    return result
    return result
