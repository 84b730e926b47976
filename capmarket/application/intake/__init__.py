"""Data intake (一括登録): every input table of ``case-format.md`` uploaded, validated, checked for rights and
stored; a whole case imported or exported. One code path for the web screen, the REST endpoint and the command line.

The parts (each its own module; this package re-exports what the interfaces call):

- ``catalogue``  — what can be uploaded, the limits, the delivery year of a moment;
- ``parsing``    — reading a file safely (type by extension and content, row and size limits, Japanese headers);
- ``rights``     — who may upload what (permissions from ``domain/accounts/permissions.py`` only);
- ``checking``   — every value checked by the engine's validator, and the intake's own rules;
- ``storing``    — dataset versions, outage plans, and the registry and contracts' bulk create-or-update;
- ``uploading`` — the use case: inline or as a background job (``intake.upload``), retry of a failed job;
- ``fields``     — the field list (ファイル項目一覧) and templates;
- ``downloads``  — upload history and the stored rows as CSV (登録データCSV);
- ``case_import`` / ``case_export`` — a whole case directory in and out (``import-case`` / ``export-case``).
"""

from capmarket.application.intake.case_export import ExportedCase, UnableToExportCase, export_case, parse_as_of
from capmarket.application.intake.case_import import CaseImport, import_case
from capmarket.application.intake.catalogue import DATASETS, Dataset, delivery_year_of
from capmarket.application.intake.checking import Checked, check
from capmarket.application.intake.downloads import (
    NoVersionInForce,
    csv_bytes,
    download,
    has_downloadable_rows,
    upload_history,
)
from capmarket.application.intake.fields import FieldInfo, field_list, template_csv
from capmarket.application.intake.rights import allowed_datasets, is_staff
from capmarket.application.intake.storing import Stored, store
from capmarket.application.intake.uploading import (
    UPLOAD_JOB,
    UnableToRetryUpload,
    UploadOutcome,
    can_retry,
    outcome_of_job,
    process,
    retry,
    run_upload_job,
    upload,
)

__all__ = [
    "DATASETS",
    "UPLOAD_JOB",
    "CaseImport",
    "Checked",
    "Dataset",
    "ExportedCase",
    "FieldInfo",
    "NoVersionInForce",
    "Stored",
    "UnableToExportCase",
    "UnableToRetryUpload",
    "UploadOutcome",
    "allowed_datasets",
    "can_retry",
    "check",
    "csv_bytes",
    "delivery_year_of",
    "download",
    "export_case",
    "field_list",
    "has_downloadable_rows",
    "import_case",
    "is_staff",
    "outcome_of_job",
    "parse_as_of",
    "process",
    "retry",
    "run_upload_job",
    "store",
    "template_csv",
    "upload",
    "upload_history",
]
