"""The upload use case (一括登録): one code path for the web screen, the REST endpoint and the command line.

``upload`` refuses what is over the limits or not allowed, then either processes the file at once (small files)
or stages it and queues an ``intake.upload`` job that runs the very same ``process``, with progress. What decides
is how much data the file holds once decompressed, not its size on the wire: a small .xlsx can hold a million rows,
and nothing large is ever parsed inside a web request. A job that fails for good keeps its staged file, so it can
be run again (``retry``); the file is deleted once it has been processed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from django.core.exceptions import ValidationError as DjangoValidationError

from capmarket.application import reserve_margins
from capmarket.application.intake import rights
from capmarket.application.intake.catalogue import DATASETS, inline_max_bytes, max_bytes
from capmarket.application.intake.checking import Checked, check
from capmarket.application.intake.messages import UploadRefused, error_dict, intake_error, validator_error
from capmarket.application.intake.parsing import expanded_size
from capmarket.application.intake.storing import Stored, store
from capmarket.calc.io.validate import ValidationError
from capmarket.domain.contracts import operations as contract_ops
from capmarket.domain.jobs import operations as job_ops
from capmarket.domain.jobs.models import Job, JobState
from capmarket.domain.jobs.progress import Progress, ignore_progress
from capmarket.domain.shared.history import UnableToUpsertRows
from capmarket.domain.timeseries import handlers as ts_handlers
from capmarket.domain.timeseries import operations as ts_ops

#: The job kind of a background upload.
UPLOAD_JOB: Final[str] = "intake.upload"

#: The column holding each registry table's natural key, and the file column of each model field.
_KEY_COLUMNS: Final[dict[str, str]] = {
    "providers": "provider_id",
    "resources": "resource_id",
    "contracts": "contract_id",
}
_FIELD_COLUMNS: Final[dict[str, str]] = {
    "participant": "provider_id",
    "resource": "resource_id",
    "amount_override_yen": "amount_yen",
}


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


def _refusals(exc: Exception, *, checked: Checked, file: str) -> list[ValidationError]:
    """A refusal of the registry or the dataset store as errors naming the file, line and column where known."""
    if isinstance(exc, UnableToUpsertRows):
        key_column = _KEY_COLUMNS[checked.dataset]
        keys = checked.frame[key_column].to_list()
        line_of = {key: i + 2 for i, key in reversed(list(enumerate(keys)))}
        return [
            intake_error(
                file=file,
                line=line_of.get(p.key, 0),
                column=_FIELD_COLUMNS.get(p.field, p.field if p.field in checked.frame.columns else ""),
                code="REGISTRY_REFUSED",
                detail=p.message,
            )
            for p in exc.problems
        ]
    if isinstance(exc, ts_ops.DuplicateKeys):
        return [validator_error(file=file, code="FILE_UNREADABLE", detail=f"キーが重複しています: {exc.examples}")]
    detail = "; ".join(exc.messages) if isinstance(exc, DjangoValidationError) else str(exc)
    return [intake_error(file=file, line=0, column="", code="REGISTRY_REFUSED", detail=detail)]


def process(
    *,
    dataset: str,
    data: bytes,
    filename: str,
    user: Any,
    delivery_year: int,
    now: dt.datetime,
    progress: Progress = ignore_progress,
    outages_in_year: bool = True,
) -> UploadOutcome:
    """Check and, when valid, store one file, in this process. A published reserve-margin file goes to the alerts
    instead (``publication``)."""
    if dataset == "reserve_margins":
        return publication(data=data, filename=filename, user=user, now=now)
    sha = hashlib.sha256(data).hexdigest()
    progress(0, 3, "検証中")
    checked = check(
        dataset=dataset,
        data=data,
        filename=filename,
        user=user,
        delivery_year=delivery_year,
        now=now,
        outages_in_year=outages_in_year,
    )
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
    except (
        UnableToUpsertRows,
        DjangoValidationError,
        contract_ops.ContractError,
        ts_ops.InvalidUpload,
    ) as exc:
        outcome.errors = _refusals(exc, checked=checked, file=Path(filename).name)
    progress(3, 3, "完了")
    return outcome


def publication(*, data: bytes, filename: str, user: Any, now: dt.datetime) -> UploadOutcome:
    """A published reserve-margin file goes to the alerts: stored once as a publication, judged, providers alerted
    (``application.reserve_margins``); its dataset version is what the settlement run reads."""
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
    published = imported.publication
    stored = Stored(
        dataset="reserve_margins",
        new_version=imported.new and published.dataset_version is not None,
        sequence=published.dataset_version or 0,
        rows=published.row_count,
        content_sha256=published.content_sha256,
        added=published.latest_slots if imported.new else 0,
        unchanged=0 if imported.new else published.row_count,
        detail={
            "publication": published.pk,
            "slots_below": imported.slots_below,
            "emails_queued": imported.emails_queued,
        },
    )
    return UploadOutcome(
        dataset="reserve_margins", filename=name, file_sha256=sha, rows=published.row_count, errors=[], stored=stored
    )


def staging_dir() -> Path:
    """Where a file waits for its background job (kept after a final failure, for a retry)."""
    path = ts_handlers.staging_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _refusal(*, dataset: str, name: str, error: ValidationError) -> UploadOutcome:
    return UploadOutcome(dataset=dataset, filename=name, file_sha256="", rows=0, errors=[error])


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
    """The use case behind every way in. A file holding more than ``CAPMARKET_INTAKE_INLINE_MAX_BYTES`` of data
    (decompressed), or any file with ``background`` True, is staged and processed by an ``intake.upload`` job; the
    outcome then carries the job."""
    name = Path(filename).name
    if size > max_bytes():
        error = intake_error(file=name, line=0, column="", code="FILE_TOO_LARGE", size=size, limit=max_bytes())
        return _refusal(dataset=dataset, name=name, error=error)
    if dataset not in rights.allowed_datasets(user=user):
        code = "UNKNOWN_DATASET" if dataset not in DATASETS else "DATASET_NOT_ALLOWED"
        label = DATASETS[dataset].label_ja if dataset in DATASETS else dataset
        return _refusal(
            dataset=dataset, name=name, error=intake_error(file=name, line=0, column="", code=code, value=label)
        )
    data = file.read(max_bytes() + 1)
    if len(data) > max_bytes():
        error = intake_error(file=name, line=0, column="", code="FILE_TOO_LARGE", size=len(data), limit=max_bytes())
        return _refusal(dataset=dataset, name=name, error=error)
    go_background = background
    if go_background is None:
        try:
            go_background = expanded_size(data=data, file=name or f"{dataset}.csv") > inline_max_bytes()
        except UploadRefused as exc:
            return _refusal(dataset=dataset, name=name, error=exc.error)
    if not go_background:
        return process(dataset=dataset, data=data, filename=name, user=user, delivery_year=delivery_year, now=now)
    staged = f"upload-{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    (staging_dir() / staged).write_bytes(data)
    job, _ = job_ops.enqueue(
        kind=UPLOAD_JOB,
        owner=user,
        participant=rights.participant_of(user),
        inputs={"dataset": dataset, "staged_file": staged, "source_name": name, "delivery_year": delivery_year},
        idempotency_key=f"intake:{staged}",
        now=now,
    )
    sha = hashlib.sha256(data).hexdigest()
    return UploadOutcome(dataset=dataset, filename=name, file_sha256=sha, rows=0, errors=[], job=job)


def run_upload_job(*, job: Job, progress: Progress, now: dt.datetime) -> dict[str, Any]:
    """Job handler of ``intake.upload``: the same ``process`` as an inline upload. Idempotent: storing the same
    content again creates no new version. The staged file is deleted once processed; if processing raises, it
    stays for the next attempt (or a retry)."""
    inputs = job.inputs
    staged = staging_dir() / Path(str(inputs["staged_file"])).name
    if not staged.is_file():
        raise StagedFileMissing(f"job {job.pk}: the uploaded file is no longer staged ({staged.name})")
    outcome = process(
        dataset=str(inputs["dataset"]),
        data=staged.read_bytes(),
        filename=str(inputs.get("source_name", staged.name)),
        user=job.owner,
        delivery_year=int(inputs["delivery_year"]),
        now=now,
        progress=progress,
    )
    staged.unlink(missing_ok=True)
    return outcome.as_dict()


class StagedFileMissing(FileNotFoundError):
    """The file of a background upload is no longer staged (it was processed, or removed)."""


def outcome_of_job(*, job: Job) -> dict[str, Any] | None:
    """The outcome an ``intake.upload`` job recorded (None while it runs)."""
    return job.result if job.kind == UPLOAD_JOB and job.result else None


def can_retry(*, job: Job) -> bool:
    """Whether a failed upload job can run again: its file is still staged."""
    if job.kind != UPLOAD_JOB or job.state != JobState.FAILED:
        return False
    return (staging_dir() / Path(str(job.inputs.get("staged_file", ""))).name).is_file()


class UnableToRetryUpload(Exception):
    """Only a failed upload whose file is still staged can be run again."""


def retry(*, job: Job, now: dt.datetime) -> Job:
    """Queue a failed upload job again, with its staged file."""
    if not can_retry(job=job):
        raise UnableToRetryUpload(f"job {job.pk} cannot be retried")
    try:
        return job_ops.retry(job=job, now=now)
    except job_ops.JobNotFailed as exc:
        raise UnableToRetryUpload(str(exc)) from None
