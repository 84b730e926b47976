"""Reading an auction case (``docs/auction-format.md``): ``auction.toml`` and four tables in, validated, as an
``AuctionCase``; the results are written by ``calc.io.auction_outputs``.

Every invalid value is reported as ``FILE:LINE: column: message [CODE]`` (line 1 is a CSV's header, so a row's
line is its index + 2; a Parquet row gets the same number; 0 means the whole file), in Japanese or English, all
of a file's errors and not only the first, stopping at 1,000.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from capmarket.calc.auction.clearing import Bid, OutOfAuctionSupply
from capmarket.calc.auction.demand import DemandCurve, DemandPoint
from capmarket.calc.market import AREAS, RESOURCE_TYPES

AUCTION_TOML: Final = "auction.toml"
MAX_ERRORS: Final = 1000
TABLES: Final[tuple[str, ...]] = ("bids", "demand_curve", "out_of_auction", "area_limits")
REQUIRED_TABLES: Final[frozenset[str]] = frozenset({"bids", "demand_curve"})
OUTPUTS: Final[tuple[str, ...]] = ("awards", "area_prices", "summary")

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "FILE_MISSING": ("必須ファイル {name} がありません", "required file {name} is missing"),
    "FILE_BOTH_FORMATS": (
        "{name}.csv と {name}.parquet の両方があります。どちらか一方にしてください",
        "both {name}.csv and {name}.parquet are given; give only one",
    ),
    "FILE_UNREADABLE": ("ファイルを読み込めません: {detail}", "cannot read the file: {detail}"),
    "FILE_ENCODING": ("文字コードが UTF-8 でも CP932 でもありません", "the file is neither UTF-8 nor CP932 encoded"),
    "COLUMN_MISSING": ("必須列 {name} がありません", "required column {name} is missing"),
    "VALUE_REQUIRED": ("値が必要です", "a value is required"),
    "NOT_INTEGER": ("整数ではありません: {value}", "not an integer: {value}"),
    "BELOW_MINIMUM": ("{minimum} 以上の値が必要です: {value}", "must be at least {minimum}: {value}"),
    "NOT_DATETIME": (
        "日時 (YYYY-MM-DD HH:MM または YYYY-MM-DD HH:MM:SS) ではありません: {value}",
        "not a datetime (YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS): {value}",
    ),
    "UNKNOWN_AREA": ("エリアが不明です: {value}", "unknown area: {value}"),
    "UNKNOWN_RESOURCE_TYPE": ("電源種別が不明です: {value}", "unknown resource type: {value}"),
    "DUPLICATE_KEY": ("キーが重複しています: {value}", "duplicate key: {value}"),
    "DUPLICATE_RESOURCE_BID": (
        "同じ電源等（応札単位）に2つ以上の応札があります: {value}",
        "more than one bid for bidding unit {value}",
    ),
    "PRICE_ABOVE_LIMIT": (
        "応札価格が上限 {limit} 円/kW を超えています: {value}",
        "bid price above the limit of {limit} yen/kW: {value}",
    ),
    "DEMAND_KW_NOT_INCREASING": (
        "需要曲線の kW が前の点 ({previous}) より大きくありません: {value}",
        "demand curve kW does not increase over the previous point ({previous}): {value}",
    ),
    "DEMAND_PRICE_RISING": (
        "需要曲線の価格が前の点 ({previous}) より高くなっています: {value}",
        "demand curve price rises over the previous point ({previous}): {value}",
    ),
    "DEMAND_CURVE_EMPTY": ("需要曲線に点がありません", "the demand curve has no point"),
    "TOML_INVALID": ("auction.toml を読み込めません: {detail}", "cannot parse auction.toml: {detail}"),
    "TOML_KEY_MISSING": ("auction.toml に {key} がありません", "auction.toml lacks {key}"),
    "TOML_KEY_INVALID": ("auction.toml の {key} が不正です: {value}", "auction.toml: invalid {key}: {value}"),
    "TOML_KEY_UNKNOWN": ("auction.toml のキーが不明です: {key}", "auction.toml: unknown key {key}"),
}


@dataclass(frozen=True)
class AuctionInputError:
    file: str
    line: int
    column: str
    code: str
    message_ja: str
    message_en: str

    def format(self, lang: str = "ja") -> str:
        message = self.message_ja if lang == "ja" else self.message_en
        where = f"{self.column}: " if self.column else ""
        return f"{self.file}:{self.line}: {where}{message} [{self.code}]"


def _error(*, file: str, line: int, column: str, code: str, **params: object) -> AuctionInputError:
    ja, en = MESSAGES[code]
    return AuctionInputError(
        file=file,
        line=line,
        column=column,
        code=code,
        message_ja=ja.format(**params),
        message_en=en.format(**params),
    )


class UnableToReadAuction(Exception):
    def __init__(self, errors: list[AuctionInputError]) -> None:
        super().__init__(f"{len(errors)} errors in the auction case")
        self.errors = errors


@dataclass(frozen=True)
class AuctionCase:
    """A validated auction case, ready to clear."""

    auction_id: str
    delivery_year: int
    dispatch_cap_kw: int | None
    max_bid_price_yen_per_kw: int | None
    bids: tuple[Bid, ...]
    demand: DemandCurve
    out_of_auction: tuple[OutOfAuctionSupply, ...]
    area_minimums: Mapping[str, int]
    input_files: tuple[Path, ...] = field(default=())


# ---------------------------------------------------------------------------------------------- reading


def _decode(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]] | tuple[str, str]:
    """(header, rows as strings) of a CSV or Parquet file; (code, detail) when it cannot be read."""
    try:
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            frame = frame.select(pl.all().cast(pl.String))
            return list(frame.columns), [
                {k: ("" if v is None else str(v)) for k, v in row.items()} for row in frame.iter_rows(named=True)
            ]
        text = _decode(path.read_bytes())
        if text is None:
            return ("FILE_ENCODING", "")
        frame = pl.read_csv(text.encode("utf-8"), infer_schema=False, raise_if_empty=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ("FILE_UNREADABLE", detail)
    return list(frame.columns), [
        {k: ("" if v is None else str(v)) for k, v in row.items()} for row in frame.iter_rows(named=True)
    ]


class _Errors:
    def __init__(self) -> None:
        self.items: list[AuctionInputError] = []

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_ERRORS

    def add(self, **kwargs: object) -> None:
        if not self.full:
            self.items.append(_error(**kwargs))  # type: ignore[arg-type]


_INT = re.compile(r"^[+-]?[0-9]{1,18}$")
_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?$")


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # id | text | area | resource_type | int | datetime
    required: bool = True
    minimum: int = 0


_SPECS: Final[dict[str, tuple[_Column, ...]]] = {
    "bids": (
        _Column("bid_id", "id"),
        _Column("provider_id", "id"),
        _Column("resource_id", "id"),
        _Column("area", "area"),
        _Column("resource_type", "resource_type"),
        _Column("bid_kw", "int", minimum=1),
        _Column("price_yen_per_kw", "int"),
        _Column("submitted_at", "datetime"),
    ),
    "demand_curve": (
        _Column("point", "int", minimum=1),
        _Column("kw", "int"),
        _Column("price_yen_per_kw", "int"),
    ),
    "out_of_auction": (
        _Column("source", "id"),
        _Column("area", "area", required=False),
        _Column("kw", "int"),
    ),
    "area_limits": (
        _Column("area", "area"),
        _Column("minimum_kw", "int"),
    ),
}
#: the columns of ``bids.csv``, in order (``auction_outputs.case_tables`` writes them)
BID_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in _SPECS["bids"])

_KEYS: Final[dict[str, tuple[tuple[tuple[str, ...], str], ...]]] = {
    "bids": ((("bid_id",), "DUPLICATE_KEY"), (("resource_id",), "DUPLICATE_RESOURCE_BID")),
    "demand_curve": ((("point",), "DUPLICATE_KEY"),),
    "out_of_auction": ((("source", "area"), "DUPLICATE_KEY"),),
    "area_limits": ((("area",), "DUPLICATE_KEY"),),
}


def _parse_value(column: _Column, raw: str) -> tuple[object, str | None, dict[str, object]]:
    """(value, error code or None, message parameters)."""
    if raw == "":
        return None, ("VALUE_REQUIRED" if column.required else None), {}
    if column.kind in ("id", "text"):
        return raw, None, {}
    if column.kind == "area":
        return (raw, None, {}) if raw in AREAS else (None, "UNKNOWN_AREA", {"value": raw})
    if column.kind == "resource_type":
        return (raw, None, {}) if raw in RESOURCE_TYPES else (None, "UNKNOWN_RESOURCE_TYPE", {"value": raw})
    if column.kind == "int":
        if not _INT.match(raw):
            return None, "NOT_INTEGER", {"value": raw}
        value = int(raw)
        if value < column.minimum:
            return None, "BELOW_MINIMUM", {"value": raw, "minimum": column.minimum}
        return value, None, {}
    if not _DATETIME.match(raw):
        return None, "NOT_DATETIME", {"value": raw}
    try:
        fmt = "%Y-%m-%d %H:%M:%S" if raw.count(":") == 2 else "%Y-%m-%d %H:%M"
        return dt.datetime.strptime(raw, fmt), None, {}  # noqa: DTZ007 - naive JST wall-clock time
    except ValueError:
        return None, "NOT_DATETIME", {"value": raw}


def _table_path(case_dir: Path, name: str, errors: _Errors) -> Path | None:
    csv, parquet = case_dir / f"{name}.csv", case_dir / f"{name}.parquet"
    if csv.is_file() and parquet.is_file():
        errors.add(file=f"{name}.csv", line=0, column="", code="FILE_BOTH_FORMATS", name=name)
        return None
    if csv.is_file():
        return csv
    if parquet.is_file():
        return parquet
    if name in REQUIRED_TABLES:
        errors.add(file=f"{name}.csv", line=0, column="", code="FILE_MISSING", name=f"{name}.csv")
    return None


def _parse_table(name: str, path: Path, errors: _Errors) -> list[tuple[int, dict[str, object]]]:
    """The valid rows of a table as (line, typed values); every invalid value goes to ``errors``."""
    read = _rows(path)
    if isinstance(read[0], str):
        code, detail = read
        errors.add(file=path.name, line=0, column="", code=code, detail=detail)
        return []
    header, rows = read
    assert isinstance(header, list)
    spec = _SPECS[name]
    missing = [c.name for c in spec if c.name not in header]
    for col in missing:
        errors.add(file=path.name, line=0, column=col, code="COLUMN_MISSING", name=col)
    if missing:
        return []
    parsed: list[tuple[int, dict[str, object]]] = []
    for index, raw_row in enumerate(rows):
        line = index + 2
        values: dict[str, object] = {}
        ok = True
        for column in spec:
            value, problem, params = _parse_value(column, raw_row.get(column.name, ""))
            if problem is not None:
                ok = False
                errors.add(file=path.name, line=line, column=column.name, code=problem, **params)
            values[column.name] = value
        if ok:
            parsed.append((line, values))
        if errors.full:
            break
    for key_cols, code in _KEYS[name]:
        seen: set[tuple[object, ...]] = set()
        kept: list[tuple[int, dict[str, object]]] = []
        for line, values in parsed:
            key = tuple(values[c] for c in key_cols)
            if key in seen:
                shown = " ".join("" if v is None else str(v) for v in key)
                errors.add(file=path.name, line=line, column=key_cols[0], code=code, value=shown)
                continue
            seen.add(key)
            kept.append((line, values))
        parsed = kept
    return parsed


def _toml_line(text: str, key: str) -> int:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 0


_TOML_KEYS: Final[tuple[str, ...]] = ("auction_id", "delivery_year", "dispatch_cap_kw", "max_bid_price_yen_per_kw")


def _read_toml(path: Path, errors: _Errors) -> dict[str, object] | None:
    if not path.is_file():
        errors.add(file=AUCTION_TOML, line=0, column="", code="FILE_MISSING", name=AUCTION_TOML)
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        match = re.search(r"line (\d+)", str(exc))
        errors.add(
            file=AUCTION_TOML, line=int(match.group(1)) if match else 0, column="", code="TOML_INVALID", detail=exc
        )
        return None
    out: dict[str, object] = {}
    for key in data:
        if key not in _TOML_KEYS:
            errors.add(file=AUCTION_TOML, line=_toml_line(text, key), column="", code="TOML_KEY_UNKNOWN", key=key)
    auction_id = data.get("auction_id")
    if auction_id is None:
        errors.add(file=AUCTION_TOML, line=0, column="", code="TOML_KEY_MISSING", key="auction_id")
    elif not isinstance(auction_id, str) or not auction_id.strip() or len(auction_id) > 64:
        errors.add(
            file=AUCTION_TOML,
            line=_toml_line(text, "auction_id"),
            column="",
            code="TOML_KEY_INVALID",
            key="auction_id",
            value=auction_id,
        )
    else:
        out["auction_id"] = auction_id
    year = data.get("delivery_year")
    if year is None:
        errors.add(file=AUCTION_TOML, line=0, column="", code="TOML_KEY_MISSING", key="delivery_year")
    elif not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2999:
        errors.add(
            file=AUCTION_TOML,
            line=_toml_line(text, "delivery_year"),
            column="",
            code="TOML_KEY_INVALID",
            key="delivery_year",
            value=year,
        )
    else:
        out["delivery_year"] = year
    for key in ("dispatch_cap_kw", "max_bid_price_yen_per_kw"):
        value = data.get(key)
        if value is None:
            out[key] = None
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.add(
                file=AUCTION_TOML, line=_toml_line(text, key), column="", code="TOML_KEY_INVALID", key=key, value=value
            )
        else:
            out[key] = value
    return out


def _check_bid_prices(rows: list[tuple[int, dict[str, object]]], *, limit: int, file: str, errors: _Errors) -> None:
    """Bids above the case's price limit."""
    for line, values in rows:
        price = values["price_yen_per_kw"]
        assert isinstance(price, int)
        if price > limit:
            errors.add(
                file=file, line=line, column="price_yen_per_kw", code="PRICE_ABOVE_LIMIT", limit=limit, value=price
            )


def _demand_points(rows: list[tuple[int, dict[str, object]]], *, file: str, errors: _Errors) -> list[DemandPoint]:
    """The demand curve's points in order: kW strictly increasing, the price never rising, at least one point."""
    points: list[DemandPoint] = []
    ordered = sorted(rows, key=lambda item: int(str(item[1]["point"])))
    previous: tuple[int, int] | None = None
    for line, values in ordered:
        kw, price = values["kw"], values["price_yen_per_kw"]
        assert isinstance(kw, int)
        assert isinstance(price, int)
        if previous is not None and kw <= previous[0]:
            errors.add(
                file=file, line=line, column="kw", code="DEMAND_KW_NOT_INCREASING", previous=previous[0], value=kw
            )
        elif previous is not None and price > previous[1]:
            errors.add(
                file=file,
                line=line,
                column="price_yen_per_kw",
                code="DEMAND_PRICE_RISING",
                previous=previous[1],
                value=price,
            )
        else:
            points.append(DemandPoint(kw=kw, price_yen_per_kw=price))
        previous = (kw, price)
    if not ordered and not any(e.file == file for e in errors.items):
        errors.add(file=file, line=0, column="", code="DEMAND_CURVE_EMPTY")
    return points


def read_auction(*, case_dir: Path) -> AuctionCase:
    """Read and validate an auction case; raises ``UnableToReadAuction`` with every error (at most 1,000)."""
    errors = _Errors()
    head = _read_toml(case_dir / AUCTION_TOML, errors)
    input_files: list[Path] = [case_dir / AUCTION_TOML]
    tables: dict[str, list[tuple[int, dict[str, object]]]] = {}
    paths: dict[str, Path] = {}
    for name in TABLES:
        path = _table_path(case_dir, name, errors)
        if path is None:
            tables[name] = []
            continue
        input_files.append(path)
        paths[name] = path
        tables[name] = _parse_table(name, path, errors)

    limit = head.get("max_bid_price_yen_per_kw") if head else None
    if isinstance(limit, int) and "bids" in paths:
        _check_bid_prices(tables["bids"], limit=limit, file=paths["bids"].name, errors=errors)
    points: list[DemandPoint] = []
    if "demand_curve" in paths:
        points = _demand_points(tables["demand_curve"], file=paths["demand_curve"].name, errors=errors)

    if errors.items or head is None:
        raise UnableToReadAuction(errors.items[:MAX_ERRORS])
    bids = tuple(
        Bid(
            bid_id=str(v["bid_id"]),
            provider_id=str(v["provider_id"]),
            resource_id=str(v["resource_id"]),
            area=str(v["area"]),
            resource_type=str(v["resource_type"]),
            bid_kw=_int(v["bid_kw"]),
            price_yen_per_kw=_int(v["price_yen_per_kw"]),
            submitted_at=_datetime(v["submitted_at"]),
        )
        for _, v in tables["bids"]
    )
    ooa = tuple(
        OutOfAuctionSupply(area=str(v["area"] or ""), source=str(v["source"]), kw=_int(v["kw"]))
        for _, v in tables["out_of_auction"]
    )
    minimums = {str(v["area"]): _int(v["minimum_kw"]) for _, v in tables["area_limits"]}
    cap = head.get("dispatch_cap_kw")
    return AuctionCase(
        auction_id=str(head["auction_id"]),
        delivery_year=_int(head["delivery_year"]),
        dispatch_cap_kw=cap if isinstance(cap, int) else None,
        max_bid_price_yen_per_kw=limit if isinstance(limit, int) else None,
        bids=bids,
        demand=DemandCurve(points=tuple(points)),
        out_of_auction=ooa,
        area_minimums=minimums,
        input_files=tuple(input_files),
    )


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _datetime(value: object) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    return value
