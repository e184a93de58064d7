"""A real Celery worker (and beat), started as subprocesses against the real broker
and the test database. Tests here commit for real (transactional_db)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import require_service, runtime_database_url

ROOT = Path(__file__).resolve().parents[2]

# Propagation timings squeezed from minutes to seconds for the subprocesses; what
# each scenario needs on top (a pause threshold, say) it passes to `celery_cluster`.
PROPAGATION_ENV = {
    "HUSH_SWEEP_INTERVAL_MS": "500",
    "HUSH_DELIVERY_REQUEUE_AFTER": "2",
    "HUSH_DELIVERY_LEASE": "5",
    "HUSH_DELIVERY_BACKOFF_BASE_MS": "200",
    "HUSH_DELIVERY_BACKOFF_CAP": "2",
    "HUSH_DELIVERY_READ_TIMEOUT": "2",
    "HUSH_DESTINATION_PROBE_EVERY": "1",
    "HUSH_DESTINATION_PAUSE_AFTER": "1000000",
    # 25 attempts is two days of backoff in production but half a minute here.
    "HUSH_DELIVERY_MAX_ATTEMPTS": "1000",
}


def wait_for(predicate, *, timeout: float, every: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class CeleryProcess:
    """One `celery -A config ...` subprocess in a process group of its own, so a
    SIGKILL takes its pool children with it (as an OOM kill or a lost machine would).
    Its log is appended to across restarts."""

    def __init__(self, argv: list[str], *, env: dict, log: Path, ready: str):
        self.argv, self.env, self.log, self.ready = argv, env, log, ready
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, *, timeout: float = 30) -> None:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *self.argv],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"celery {self.argv[0]} exited at start:\n{self.tail()}")
            with open(self.log) as f:
                f.seek(offset)
                return self.ready in f.read()

        wait_for(ready, timeout=timeout, what=f"celery {self.argv[0]} to start")

    def kill(self) -> None:
        """SIGKILL, no warning, to the process and its pool children."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """Warm shutdown; whatever is left after a few seconds is killed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        self.kill()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _subprocess_env(tmp_path: Path, **extra: str) -> dict:
    return {
        **os.environ,
        # As the runtime role when CI made one (README, "Two database roles").
        "DATABASE_URL": runtime_database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "LOG_LEVEL": "INFO",
        **extra,
    }


def _worker_argv(*pool: str) -> list[str]:
    return ["worker", *pool, "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-Q", "celery", "-n", f"faults-{uuid.uuid4().hex[:8]}@%h", "--loglevel=INFO"]


@pytest.fixture
def real_broker(transactional_db):
    require_service(bool(settings.CELERY_BROKER_URL),
                    "needs a broker: set CELERY_BROKER_URL=redis://...")
    require_service(connection.vendor == "postgresql",
                    "needs PostgreSQL: set DATABASE_URL=postgres://...")
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    yield celery_app


@pytest.fixture
def worker(real_broker, tmp_path):
    """Start `celery -A config worker` on the test database; yields its env."""
    env = _subprocess_env(tmp_path)
    process = CeleryProcess(_worker_argv("--pool=solo"), env=env, log=tmp_path / "worker.log",
                            ready="ready.")
    try:
        process.start()
        yield {"env": env, "mail_dir": tmp_path / "mail", "log": tmp_path / "worker.log"}
    finally:
        process.stop()


class Cluster:
    """A prefork worker (two processes) and beat, which runs the sweeper."""

    def __init__(self, tmp_path: Path, env: dict):
        self.env = env
        self.worker = CeleryProcess(_worker_argv("--pool=prefork", "--concurrency=2"),
                                    env=env, log=tmp_path / "worker.log", ready="ready.")
        self.beat = CeleryProcess(["beat", "--schedule", str(tmp_path / "beat-schedule"),
                                   "--loglevel=INFO"],
                                  env=env, log=tmp_path / "beat.log", ready="beat: Starting")

    def start(self) -> "Cluster":
        self.worker.start()
        self.beat.start()
        return self

    def stop(self) -> None:
        self.beat.stop()
        self.worker.stop()

    def logs(self) -> str:
        return f"--- worker ---\n{self.worker.tail()}\n--- beat ---\n{self.beat.tail(10)}"


@pytest.fixture
def celery_cluster(real_broker, tmp_path):
    """`celery_cluster(**env)` starts worker and beat with PROPAGATION_ENV (and `env`)."""
    started: list[Cluster] = []

    def start(**extra: str) -> Cluster:
        cluster = Cluster(tmp_path, _subprocess_env(tmp_path, **{**PROPAGATION_ENV, **extra}))
        started.append(cluster)
        return cluster.start()

    try:
        yield start
    finally:
        for cluster in started:
            cluster.stop()
        with real_broker.connection_for_write() as conn:  # leave no backlog behind
            conn.default_channel.queue_purge("celery")


_fault_reports: list[str] = []


@pytest.fixture
def fault_report():
    """A line for the terminal summary: what a scenario did and saw."""
    return _fault_reports.append


def pytest_terminal_summary(terminalreporter):
    if _fault_reports:
        terminalreporter.section("fault scenarios")
        for line in _fault_reports:
            terminalreporter.write_line(line)
