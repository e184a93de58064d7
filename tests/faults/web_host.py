"""Hush run as the README's "Running for real" says, on a PostgreSQL of the test's own
(`own_postgres`): `migrate`, then gunicorn with 2 sync workers, production settings
(no HUSH_DEV, DEBUG off), every process a subprocess. And a mail provider's side: a
steady stream of RFC 8058 one-click POSTs over 127.0.0.1 that never retries, as mail
clients do not. Static files come from the finders (HUSH_STATIC_MANIFEST=0) so the
test does not need `collectstatic` in the work tree."""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from tests.faults.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BODY = b"List-Unsubscribe=One-Click"

SEED = """
import json, sys
import django
django.setup()
from preferences.models import Destination, Subject, Subscription, Topic
from preferences.tokens import make_preferences_token, make_unsubscribe_token
count, hook = int(sys.argv[1]), sys.argv[2]
topics = [Topic.objects.create(slug=slug, name=slug.title()) for slug in ("news", "offers")]
if hook:
    Destination.objects.create(name="crm", kind="webhook", url=hook, secret="faults-secret")
subjects = Subject.objects.bulk_create([Subject(external_id=f"s{i}") for i in range(count)])
Subscription.objects.bulk_create([Subscription(subject=s, topic=t, status="subscribed")
                                  for s in subjects for t in topics])
# Per subject, its two topics one after the other: an order the relay must keep.
print(json.dumps([[str(s.public_id), t.slug, make_unsubscribe_token(subject=s, topic=t),
                   make_preferences_token(subject=s)] for s in subjects for t in topics]))
"""


def broker_url() -> str:
    """The suite's Redis, in a database of its own (queued tasks never mix with others)."""
    base, _, number = settings.CELERY_BROKER_URL.rpartition("/")
    return f"{base}/{int(number or 0) + 8}"


def production_env(database_url: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HUSH_DEV", "DEBUG", "CACHE_URL", "PYTEST_CURRENT_TEST")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "600",  # long-lived connections: what a cut must not poison
        "CELERY_BROKER_URL": broker_url(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "HUSH_STATIC_MANIFEST": "0",
        "LOG_LEVEL": "WARNING",
        **extra,
    })
    return env


def migrate_and_seed(env: dict, *, subjects: int, hook: str = "") -> list[list[str]]:
    """[subject id, topic slug, one-click token, preferences token] per subscribed
    row, two topics per subject."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True, timeout=300)
    seeded = subprocess.run([sys.executable, "-c", SEED, str(subjects), hook], cwd=ROOT,
                            env=env, check=True, timeout=120, capture_output=True)
    return json.loads(seeded.stdout)


def flush_broker() -> None:
    url = urlsplit(broker_url())
    subprocess.run(["redis-cli", "-h", url.hostname, "-p", str(url.port or 6379),
                    "-n", url.path.strip("/"), "FLUSHDB"], check=False, timeout=30,
                   capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn config.wsgi -w 2 -b 127.0.0.1:PORT` in a process group of its own."""

    def __init__(self, env: dict, log: Path, workers: int = 2):
        self.env, self.log, self.workers = env, log, workers
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "config.wsgi", "-w", str(self.workers),
                 "-b", f"127.0.0.1:{self.port}", "--timeout", "60"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        wait_for(self._answers, timeout=60, what="gunicorn to answer")
        wait_for(lambda: len(self.worker_pids()) == self.workers, timeout=30,
                 what="gunicorn's workers")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.tail()}")
        with contextlib.suppress(OSError):
            return get(self.port, "/u/not-a-token/")[0] == 404
        return False

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(p) for p in path.read_text().split()]
        return []

    def kill_worker(self) -> int:
        """SIGKILL one worker, no warning (an OOM kill); the arbiter starts another."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.read(), dict(answer.getheaders())
    finally:
        conn.close()


def one_click(port: int, token: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", f"/u/{token}/", body=BODY,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


class OneClickStream:
    """`threads` senders, each taking the next subject and POSTing its rows one after
    the other (so each subject's opt-outs have an order); each POST once, never
    retried. Keeps each row's answer (status, or the error) and when it came."""

    def __init__(self, port: int, rows: list[list[str]], *, threads: int = 4,
                 pause: float = 0.0):
        self.port, self.rows, self.pause = port, rows, pause
        groups: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault(row[0], []).append(i)
        self.groups = list(groups.values())
        self.answers: dict[int, tuple[int | str, float]] = {}
        self._next = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _take(self) -> list[int] | None:
        with self._lock:
            if self._next >= len(self.groups):
                return None
            self._next += 1
            return self.groups[self._next - 1]

    def _run(self):
        while (group := self._take()) is not None:
            for i in group:
                try:
                    status = one_click(self.port, self.rows[i][2])[0]
                except OSError as exc:
                    status = f"{type(exc).__name__}: {exc}"
                with self._lock:
                    self.answers[i] = (status, time.monotonic())
                if self.pause:
                    time.sleep(self.pause)

    @property
    def done(self) -> int:
        with self._lock:
            return len(self.answers)

    def __enter__(self) -> "OneClickStream":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        for thread in self._threads:
            thread.join(timeout=300)

    def failures(self) -> dict[int, int | str]:
        return {i: status for i, (status, _) in self.answers.items() if status != 200}
