"""Real worker processes on the embedded broker (kombu's filesystem transport, no server).

A worker subprocess runs a job sent through the queue and records its progress; a worker killed with SIGKILL
mid-job leaves the job to a restarted worker, which completes it exactly once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.utils import timezone

from capmarket.domain.accounts.models import Role
from capmarket.domain.jobs import operations
from capmarket.domain.jobs.models import Job, JobState
from tests.factories import make_participant, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

START_TIMEOUT = 90.0
JOB_TIMEOUT = 120.0


@pytest.fixture
def queue_env(shared_database: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "CAPMARKET_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "capmarket.config.settings",
            "DATABASE_URL": shared_database,
            "CAPMARKET_VAR_DIR": str(tmp_path / "var"),
            "CAPMARKET_QUEUE_DIR": str(tmp_path / "queue"),
            "CAPMARKET_DATASETS_DIR": str(tmp_path / "datasets"),
            "CAPMARKET_JOB_LEASE_SECONDS": "2",
            "CAPMARKET_JOB_REDISPATCH_SECONDS": "3600",  # only the queue message or a dead worker's lease count
            "CAPMARKET_LOG_LEVEL": "INFO",
        }
    )
    return env


def _capmarket() -> list[str]:
    script = Path(sys.executable).with_name("capmarket")
    return [str(script)] if script.exists() else [sys.executable, "-m", "capmarket.interfaces.cli.main"]


class Workers:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*_capmarket(), "worker", "--concurrency=1", "--loglevel=INFO", f"--hostname={name}@%h"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the pool children die with it
            )
        self.procs.append(proc)
        _wait(lambda: "ready." in log.read_text(errors="replace") or proc.poll() is not None, START_TIMEOUT, log)
        if proc.poll() is not None:
            pytest.fail(f"worker {name} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill(proc)

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in self.logs.glob("*.log"))


def _wait(condition: Callable[[], bool], timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    detail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    pytest.fail(f"timed out after {timeout}s\n{detail}")


@pytest.fixture
def workers(queue_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    pool = Workers(queue_env, logs)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def send(queue_env: dict[str, str]) -> Iterator[Callable[[int], Any]]:
    """Send "run job N" through the embedded broker, as the web server does."""
    queue = Path(queue_env["CAPMARKET_QUEUE_DIR"])
    app = Celery("capmarket-test-sender", broker="filesystem://", set_as_current=False)
    app.conf.broker_transport_options = {
        "data_folder_in": str(queue / "messages"),
        "data_folder_out": str(queue / "messages"),
        "control_folder": str(queue / "control"),
    }
    yield lambda job_id: app.send_task("capmarket.run_job", args=[job_id])
    app.close()


def _job(owner: Any, participant: Any, key: str, steps: int, step_seconds: float) -> Job:
    job, _ = operations.enqueue(
        kind="diagnostics.count",
        owner=owner,
        participant=participant,
        inputs={"steps": steps, "step_seconds": step_seconds},
        idempotency_key=key,
        now=timezone.now(),  # a fresh job: recovery leaves it to the queue message
    )
    return job


def _state(job_id: int) -> Job:
    return Job.objects.get(pk=job_id)


def test_a_worker_process_runs_a_queued_job_and_records_progress(workers: Workers, send: Callable[[int], Any]) -> None:
    participant = make_participant()
    user = make_user(Role.PARTICIPANT_USER, participant)
    workers.start("first")
    job = _job(user, participant, "real-worker", steps=5, step_seconds=0.6)

    send(job.pk)
    seen: list[tuple[str, int]] = []

    def finished() -> bool:
        current = _state(job.pk)
        seen.append((current.state, current.progress_done))
        return current.is_finished

    _wait(finished, JOB_TIMEOUT)

    done = _state(job.pk)
    assert done.state == JobState.SUCCEEDED, workers.log_tail()
    assert (done.progress_done, done.progress_total) == (5, 5)
    assert done.result == {"counted": 5, "attempt": 1}
    assert done.attempts == 1
    assert done.worker.startswith("first@")
    assert any(state == JobState.RUNNING and 0 < n < 5 for state, n in seen), seen  # progress seen mid-way


def test_a_killed_workers_job_is_completed_once_by_a_restarted_worker(
    workers: Workers, send: Callable[[int], Any]
) -> None:
    participant = make_participant()
    user = make_user(Role.PARTICIPANT_USER, participant)
    doomed = workers.start("doomed")
    job = _job(user, participant, "killed-worker", steps=16, step_seconds=0.5)
    send(job.pk)
    _wait(lambda: _state(job.pk).state == JobState.RUNNING and _state(job.pk).progress_done >= 2, JOB_TIMEOUT)

    workers.kill(doomed)  # SIGKILL: no chance to clean up or hand the message back
    killed = _state(job.pk)
    assert killed.state == JobState.RUNNING
    assert killed.attempts == 1
    assert killed.progress_done < 16

    workers.start("restarted")
    _wait(lambda: _state(job.pk).is_finished, JOB_TIMEOUT)

    done = _state(job.pk)
    assert done.state == JobState.SUCCEEDED, workers.log_tail()
    assert done.attempts == 2
    assert done.result == {"counted": 16, "attempt": 2}
    assert (done.progress_done, done.progress_total) == (16, 16)
    assert done.worker.startswith("restarted@")

    # the message delivered once more (e.g. a broker redelivery): nothing is redone
    send(job.pk)
    time.sleep(3)
    after = _state(job.pk)
    assert (after.attempts, after.finished_at, after.result) == (2, done.finished_at, done.result)


def test_a_worker_asked_to_stop_hands_its_job_back_and_exits(
    workers: Workers, send: Callable[[int], Any], queue_env: dict[str, str]
) -> None:
    """Issue 7 §6: SIGTERM stops a worker cleanly. A job still running after the grace period goes back to the queue
    at its next progress report (not failed, not left to a lease timeout), and the next worker takes it at once."""
    queue_env["CAPMARKET_WORKER_STOP_GRACE_SECONDS"] = "1"
    participant = make_participant()
    user = make_user(Role.PARTICIPANT_USER, participant)
    stopping = workers.start("stopping")
    job = _job(user, participant, "stopped-worker", steps=120, step_seconds=0.5)
    send(job.pk)
    _wait(lambda: _state(job.pk).state == JobState.RUNNING and _state(job.pk).progress_done >= 2, JOB_TIMEOUT)

    started = time.monotonic()
    os.kill(stopping.pid, signal.SIGTERM)  # as `kill PID`, `docker stop`, systemd: to the worker's main process
    stopping.wait(timeout=40)  # well before the ~60 s the job still needs (it would finish first, without hand-back)
    stopped_after = time.monotonic() - started

    handed_back = _state(job.pk)
    assert stopping.returncode == 0, workers.log_tail()
    assert handed_back.state == JobState.QUEUED, workers.log_tail()
    assert (handed_back.attempts, handed_back.finished_at, handed_back.error) == (1, None, "")
    assert handed_back.progress_done < 120
    assert stopped_after < 40
    workers.start("successor")
    _wait(lambda: _state(job.pk).attempts == 2 and _state(job.pk).worker.startswith("successor@"), JOB_TIMEOUT)
    assert _state(job.pk).state in (JobState.RUNNING, JobState.SUCCEEDED)
