"""Loading a whole case directory (``case-format.md``, ``capmarket import-case``): validated exactly as ``capmarket
calc`` validates it; the participants it names created, its resources and contracts registered, its rule-set
parameters published, every table stored as a dataset version. An invalid case stores nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction

from capmarket.application.intake.catalogue import DATASETS
from capmarket.application.intake.messages import intake_error
from capmarket.application.intake.storing import contract_rows, resource_rows
from capmarket.application.intake.uploading import UploadOutcome, process, publication
from capmarket.calc.io.case import InvalidCase, read_case, table_path
from capmarket.calc.io.validate import ValidationError
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.registry import operations as registry_ops
from capmarket.domain.rulesets import operations as ruleset_ops
from capmarket.domain.rulesets import queries as ruleset_queries
from capmarket.domain.shared.history import UnableToUpsertRows


@dataclass
class CaseImport:
    """What ``import_case`` did: the outcome per file, the participants created, and the errors (then nothing
    was stored)."""

    delivery_year: int = 0
    errors: list[ValidationError] = field(default_factory=list)
    outcomes: list[UploadOutcome] = field(default_factory=list)
    participants_created: list[str] = field(default_factory=list)
    ruleset_version: int | None = None


def _publish_parameters(
    *, case_dir: Path, user: Any, now: dt.datetime, ruleset_name: str, used: dict[str, str]
) -> int | None:
    """A case's ``[parameters]`` become a new version of its rule set (when they differ from the newest)."""
    base = ruleset_queries.versions_of(name=ruleset_name).first()
    if base is None:
        return None
    current = ruleset_queries.values_of(ruleset=base)
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


def _participants(data: Any) -> list[registry_ops.ParticipantRoles]:
    """Every participant the case names, with the roles it has there."""
    names = dict(data.providers.select("provider_id", "name").iter_rows()) if data.providers.height else {}
    providers = sorted(set(data.resources["provider_id"].to_list()) | set(names))
    retailers = sorted(set(data.retailers["retailer_id"].to_list()) | set(data.wheeling["retailer_id"].to_list()))
    return [
        *(registry_ops.ParticipantRoles(code, name=names.get(code) or "", is_provider=True) for code in providers),
        *(registry_ops.ParticipantRoles(code, is_retailer=True) for code in retailers),
        *(
            registry_ops.ParticipantRoles(tso, tso_area=area)
            for area, tso in data.areas.select("area", "tso_id").sort("area").iter_rows()
        ),
    ]


def _registry_errors(exc: UnableToUpsertRows, *, frame: pl.DataFrame, key: str, file: str) -> list[ValidationError]:
    """The rows the registry refused, named by the line of the case file they came from."""
    line_of = {code: i + 2 for i, code in reversed(list(enumerate(frame[key].to_list())))}
    return [
        intake_error(file=file, line=line_of.get(p.key, 0), column="", code="REGISTRY_REFUSED", detail=p.message)
        for p in exc.problems
    ]


def _store_margins(*, case_dir: Path, user: Any, now: dt.datetime) -> list[UploadOutcome]:
    """Each file of the case's ``reserve_margins/`` is a publication of the reserve-margin alerts (stored once,
    judged; the dataset version holds the rows for which it is the latest publication, rules.md §2.2)."""
    margins_dir = case_dir / "reserve_margins"
    if not margins_dir.is_dir():
        return []
    outcomes = []
    for file in sorted(p for p in margins_dir.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
        outcome = publication(data=file.read_bytes(), filename=f"reserve_margins/{file.name}", user=user, now=now)
        outcomes.append(outcome)
        if outcome.errors:
            break
    return outcomes


def import_case(*, case_dir: Path, user: Any, now: dt.datetime) -> CaseImport:
    """Load a whole case directory: create the participants it names that do not exist yet (providers, retailers,
    TSOs), register its resources and contracts, publish its rule-set parameters, and store every table as a
    dataset version. An invalid case stores nothing."""
    result = CaseImport()
    try:
        case = read_case(case_dir=case_dir)
    except InvalidCase as exc:
        result.errors = exc.errors
        return result
    data = case.data
    year = result.delivery_year = data.delivery_year
    with transaction.atomic():
        result.participants_created = registry_ops.ensure_participants(actor=user, now=now, rows=_participants(data))
        capacity = dict(data.contracts.select("resource_id", "contract_kw").iter_rows())
        try:
            registry_ops.upsert_resources(actor=user, now=now, rows=resource_rows(data.resources, capacity=capacity))
        except UnableToUpsertRows as exc:
            result.errors = _registry_errors(exc, frame=data.resources, key="resource_id", file="resources.csv")
        if not result.errors:
            try:
                contract_ops.upsert_contracts(
                    actor=user, now=now, delivery_year=year, rows=contract_rows(data.contracts)
                )
            except UnableToUpsertRows as exc:
                result.errors = _registry_errors(exc, frame=data.contracts, key="contract_id", file="contracts.csv")
            except contract_ops.ContractError as exc:
                result.errors = [
                    intake_error(file="case.toml", line=0, column="", code="REGISTRY_REFUSED", detail=str(exc))
                ]
        if result.errors:
            transaction.set_rollback(True)
            return result
        result.ruleset_version = _publish_parameters(
            case_dir=case_dir, user=user, now=now, ruleset_name=case.ruleset.name, used=case.parameter_values
        )
        for name, spec in DATASETS.items():
            if spec.registry or name == "reserve_margins":
                continue
            path, _ = table_path(case_dir=case_dir, name=name)
            if path is None:
                continue
            outcome = process(
                dataset=name,
                data=path.read_bytes(),
                filename=path.name,
                user=user,
                delivery_year=year,
                now=now,
                outages_in_year=False,  # a case may hold plans of other years; the engine ignores them
            )
            result.outcomes.append(outcome)
            if outcome.errors:
                result.errors = outcome.errors
                transaction.set_rollback(True)
                return result
        for outcome in _store_margins(case_dir=case_dir, user=user, now=now):
            result.outcomes.append(outcome)
            if outcome.errors:
                result.errors = outcome.errors
                transaction.set_rollback(True)
                return result
    return result
