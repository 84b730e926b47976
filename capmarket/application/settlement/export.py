"""``export-run``: a run's exact case and its outputs, so that ``capmarket calc DIR/case`` reproduces ``DIR/out``
byte for byte (``manifest.json`` included).

The case is written by ``case_export.export_case`` as the data stood at the run's moment; before writing, the
dataset versions in force at that moment are checked against the versions the run recorded. The outputs are the
run's stored Parquet tables written as ``capmarket calc`` writes them; each file's SHA-256 is checked against
the one recorded when the run was computed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from capmarket.application.intake import case_export
from capmarket.application.settlement.storage import read_output
from capmarket.calc.io.write import OUTPUT_ORDER, csv_bytes, manifest_bytes, sha256_file
from capmarket.domain.settlement.models import RunInputVersion, RunOutput, RunState, SettlementRun
from capmarket.domain.timeseries import queries as ts_queries
from capmarket.domain.timeseries.models import DATASETS as STORED_DATASETS


class UnableToExportRun(Exception):
    pass


def export_run(*, run: SettlementRun, out_dir: Path) -> Path:
    if run.state not in (RunState.COMPUTED, RunState.CONFIRMED, RunState.SUPERSEDED, RunState.DISCARDED):
        raise UnableToExportRun(f"精算 #{run.pk} は計算が完了していません（{RunState(run.state).label}）。")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UnableToExportRun(f"{out_dir}: 空でないディレクトリには書き出せません。")
    recorded = set(RunInputVersion.objects.filter(run=run).values_list("version_id", flat=True))
    in_force = {v.pk for name in STORED_DATASETS for v in ts_queries.versions_in_force(dataset=name, as_of=run.as_of)}
    if recorded != in_force:
        raise UnableToExportRun(f"精算 #{run.pk} の基準日時に有効なデータセットの版が、精算時の記録と一致しません。")
    case_dir = out_dir / "case"
    out = out_dir / "out"
    case_export.export_case(year=run.delivery_year, as_of=run.as_of, out_dir=case_dir)
    out.mkdir(parents=True, exist_ok=True)
    stored = {o.name: o for o in RunOutput.objects.filter(run=run)}
    hashes: dict[str, str] = {}
    for name in OUTPUT_ORDER:
        if name not in stored:
            continue
        data = csv_bytes(read_output(run=run, name=name, verify=True))
        digest = hashlib.sha256(data).hexdigest()
        if digest != stored[name].csv_sha256:
            raise UnableToExportRun(f"精算 #{run.pk} の出力 {name} の SHA-256 が記録と一致しません。")
        (out / f"{name}.csv").write_bytes(data)
        hashes[f"{name}.csv"] = digest
    inputs = {p.name: sha256_file(p) for p in sorted(case_dir.iterdir()) if p.is_file()}
    (out / "manifest.json").write_bytes(
        manifest_bytes(ruleset=run.ruleset_name, parameters=run.parameters, inputs=inputs, outputs=hashes)
    )
    return out_dir
