"""What the benchmarks share: a production-like environment, a dedicated PostgreSQL
database seeded in bulk, and gunicorn.

Import this module before Django: `use_bench_env()` sets os.environ for this
process (and for the gunicorn and manage.py it starts), then sets Django up.

State (generated secrets, token files, the API key, static files) lives in
HUSH_BENCH_DIR (default /tmp/hush-bench); raw results go to bench/results/.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
STATE = Path(os.environ.get("HUSH_BENCH_DIR", "/tmp/hush-bench"))
PYTHON = sys.executable  # the venv's python: run the benchmarks with .venv/bin/python
BIN = Path(sys.executable).parent

PG = os.environ.get("HUSH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("HUSH_BENCH_DB", "hush_bench")
# A Redis database of its own, so queued tasks never mix with a test run's.
BROKER = os.environ.get("HUSH_BENCH_BROKER", "redis://127.0.0.1:6379/13")

ONE_CLICK_TOPICS = ["bench-a", "bench-b", "bench-c", "bench-d"]
CHECK_TOPIC = "bench-check"
CHECK_SUBJECTS = 10_000
SUBJECTS = 100_000  # x 4 one-click topics: 400,000 subscribed rows


def _secrets() -> dict[str, str]:
    """Generated once per state dir, so a reused database still matches its keys."""
    path = STATE / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    from cryptography.fernet import Fernet

    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HUSH_FIELD_KEYS": Fernet.generate_key().decode(),
        "HUSH_DIGEST_KEY": secrets.token_urlsafe(32),
    }
    STATE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


def bench_env() -> dict[str, str]:
    """Production-like: no HUSH_DEV, DEBUG off, real broker (tasks not eager)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HUSH_DEV", "DEBUG", "CACHE_URL", "HUSH_STATIC_MANIFEST")}
    env.update(_secrets())
    env.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "CELERY_BROKER_URL": BROKER,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "HUSH_BASE_URL": "https://hush.example.com",
        "LOG_LEVEL": "WARNING",
        "HUSH_BENCH_STATIC_ROOT": str(STATE / "static"),
        "PYTHONHASHSEED": "0",
    })
    return env


def use_bench_env() -> None:
    # A SIGTERM still stops gunicorn and the worker we started (finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.clear()
    os.environ.update(bench_env())
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def machine() -> str:
    import platform

    import django

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = subprocess.run(["psql", f"{PG}/postgres", "-Atc", "show server_version"],
                        capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"Django {django.get_version()}, PostgreSQL {pg}")


# --- database -------------------------------------------------------------------


def _psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(["psql", f"{PG}/{db}", "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def db_exists() -> bool:
    return _psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'") == "1"


def recreate_database(*, subjects: int, destinations: int = 0) -> None:
    """Drop and create the bench database, migrate, collect static files, seed."""
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    _psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{DB_NAME}"')
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    print(f"  migrated and collected static files in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    seed(subjects=subjects, destinations=destinations)
    print(f"  seeded {subjects:,} subjects x {len(ONE_CLICK_TOPICS)} topics, "
          f"{destinations} destinations in {time.perf_counter() - t0:.1f} s")
    _flush_broker()


def _flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


def seed(*, subjects: int, destinations: int = 0) -> None:
    """Bulk-load subjects (encrypted email, HMAC digest), subscriptions and the
    consent-check fixture with COPY; write the one-click token list and the
    consent-check recipients to the state dir.

    `destinations` enabled webhooks make every change write outbox rows and queue
    a task per row on the broker. Their URL is the discard port on 127.0.0.1; no
    worker sends anything unless one is started (oneclick.py refuses to do both)."""
    from django.db import connection, transaction

    from common.crypto import email_digest, encrypt
    from preferences.models import ApiKey, Topic
    from preferences.tokens import make_unsubscribe_token

    now = datetime.now(UTC)
    rng = random.Random(20261122)  # fixed seed: reproducible data
    people = []  # (public_id hex, email)
    with transaction.atomic():
        for pos, slug in enumerate([*ONE_CLICK_TOPICS, CHECK_TOPIC]):
            Topic.objects.create(slug=slug, name=slug.replace("-", " ").title(), position=pos)
        topics = dict(Topic.objects.values_list("slug", "id"))
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY preferences_subject (public_id, email, email_digest, external_id, "
                "locale, country, unsubscribed_all, created_at, updated_at) FROM STDIN"
            ) as copy:
                for i in range(subjects):
                    public_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
                    email = f"bench-{i}@example.com"
                    people.append((public_id, email))
                    copy.write_row((public_id, encrypt(email), email_digest(email),
                                    f"bench-{i}", "en", "GB", False, now, now))
            cursor.execute(
                "INSERT INTO preferences_subscription (subject_id, topic_id, status, updated_at) "
                "SELECT s.id, t.id, 'subscribed', %s FROM preferences_subject s "
                "CROSS JOIN preferences_topic t WHERE t.slug = ANY(%s)",
                [now, ONE_CLICK_TOPICS],
            )
            _seed_consent_check(cursor, people, topics[CHECK_TOPIC], now)
        _, key = ApiKey.objects.create_key(name="bench", scopes=["consent:check"])
        if destinations:
            from preferences.models import Destination

            for i in range(destinations):
                Destination.objects.create(name=f"bench-{i}", kind="webhook",
                                           url=f"http://127.0.0.1:9/bench-{i}",
                                           secret=secrets.token_urlsafe(32))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # Every one-click POST of a run must hit its own subscribed row.
    pairs = [(pid, slug) for pid, _ in people for slug in ONE_CLICK_TOPICS]
    rng.shuffle(pairs)
    with open(STATE / "tokens.txt", "w") as out:
        for pid, slug in pairs:
            out.write(make_unsubscribe_token(subject=SimpleNamespace(public_id=_uuid(pid)),
                                             topic=SimpleNamespace(slug=slug)) + "\n")
    (STATE / "api_key.txt").write_text(key)


def _uuid(hex_: str) -> uuid.UUID:
    return uuid.UUID(hex=hex_)


def _seed_consent_check(cursor, people, topic_id: int, now) -> None:
    """10,000 recipients for CHECK_TOPIC: half given as emails, half as ids, and
    exactly half allowed (subscribed, or a pause that has ended); the rest are
    unsubscribed, paused into the future, globally opted out or suppressed."""
    recipients, expected = [], []
    rows = []
    suppressed, opted_out = [], []
    for i, (pid, email) in enumerate(people[:CHECK_SUBJECTS]):
        status, paused_until = "subscribed", None
        allowed = i % 2 == 0
        if allowed and i % 10 == 0:
            status, paused_until = "paused", now - timedelta(days=1)
        elif not allowed:
            kind = (i // 2) % 4
            if kind == 0:
                status = "unsubscribed"
            elif kind == 1:
                status, paused_until = "paused", now + timedelta(days=7)
            elif kind == 2:
                opted_out.append(pid)
            else:
                suppressed.append(email)
        rows.append((pid, status, paused_until))
        recipient = email if i % 4 in (0, 1) else str(_uuid(pid))
        recipients.append(recipient)
        if allowed:
            expected.append(recipient)
    from common.crypto import email_digest

    ids = dict(_subject_ids(cursor, [pid for pid, _, _ in rows]))
    with cursor.copy("COPY preferences_subscription (subject_id, topic_id, status, paused_until, "
                     "updated_at) FROM STDIN") as copy:
        for pid, status, paused_until in rows:
            copy.write_row((ids[pid], topic_id, status, paused_until, now))
    cursor.execute("UPDATE preferences_subject SET unsubscribed_all = true "
                   "WHERE public_id = ANY(%s::uuid[])", [opted_out])
    with cursor.copy("COPY preferences_suppression (email_digest, reason, created_at) "
                     "FROM STDIN") as copy:
        for email in suppressed:
            copy.write_row((email_digest(email), "complaint", now))
    (STATE / "recipients.json").write_text(json.dumps(
        {"topic": CHECK_TOPIC, "recipients": recipients, "allowed": expected}))


def _subject_ids(cursor, public_ids):
    cursor.execute("SELECT replace(public_id::text, '-', ''), id FROM preferences_subject "
                   "WHERE public_id = ANY(%s::uuid[])", [public_ids])
    return cursor.fetchall()


def token_slices(n: int) -> list[Path]:
    """Split the token list into n disjoint files, one per wrk run."""
    tokens = (STATE / "tokens.txt").read_text().splitlines()
    size = len(tokens) // n
    paths = []
    for i in range(n):
        path = STATE / f"tokens-{i}.txt"
        path.write_text("\n".join(tokens[i * size:(i + 1) * size]) + "\n")
        paths.append(path)
    return paths


# --- gunicorn -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int = 2, port: int | None = None, app: str = "config.wsgi:application",
             settings: str | None = None, log_name: str = "gunicorn.log"):
    """Start gunicorn (sync workers) on 127.0.0.1; yield its base URL; stop it.
    `app` and `settings` (DJANGO_SETTINGS_MODULE) serve another project (bench/bare)."""
    port = port or free_port()
    log = open(STATE / log_name, "w")  # noqa: SIM115 - closed below
    env = {**bench_env(), **({"DJANGO_SETTINGS_MODULE": settings} if settings else {})}
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), app, "--workers", str(workers),
         "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
         "--log-level", "warning", "--timeout", "30"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {STATE / log_name}")
            try:
                urllib.request.urlopen(base + "/u/x/", timeout=2)
            except urllib.error.HTTPError:
                break  # 404: it answers
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        _stop(proc, log)


def processes(tick: float):
    """(pid, command line, CPU seconds so far) of every process we can read."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield pid, cmd, (int(stat[11]) + int(stat[12])) / tick


def _stop(proc: subprocess.Popen, log) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@contextmanager
def celery_worker(*, pool: str = "solo", concurrency: int = 1):
    """A Celery worker with the beat schedule embedded (it runs the audit sealer and the
    sweepers); `pool="prefork", concurrency=2` for one process per core."""
    log = open(STATE / "celery.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "worker", "-B", "--pool", pool,
         "--concurrency", str(concurrency),
         "--loglevel", "WARNING", "--schedule", str(STATE / "celerybeat-schedule")],
        env=bench_env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(3)
        if proc.poll() is not None:
            raise RuntimeError(f"celery exited; see {STATE / 'celery.log'}")
        yield proc
    finally:
        _stop(proc, log)


# --- where the CPU went ------------------------------------------------------


class CpuMeter:
    """CPU seconds spent during a run, by gunicorn, PostgreSQL (all its backends),
    the bench's own Celery worker (--with-sealer), this process's finished children
    (wrk) and everything else ("other": other
    programs and kernel time not charged to a process, e.g. loopback networking);
    it says how quiet the machine was. Linux /proc only."""

    def __init__(self):
        self._tick = os.sysconf("SC_CLK_TCK")

    def _system_busy(self) -> float:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        return (user + nice + system + irq + softirq + steal) / self._tick

    def _by_pid(self) -> dict[str, tuple[str, float]]:
        found = {}
        for pid, cmd, seconds in processes(self._tick):
            group = ("gunicorn" if b"gunicorn" in cmd and (b"config.wsgi" in cmd
                                                        or b"bench.bare.wsgi" in cmd)
                     else "postgres" if cmd.startswith(b"postgres")
                     else "sealer" if str(STATE / "celerybeat-schedule").encode() in cmd
                     else None)
            if group:
                found[pid] = (group, seconds)
        return found

    def _children(self) -> float:
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def __enter__(self):
        self._t0 = time.monotonic()
        self._busy0, self._pids0, self._child0 = (self._system_busy(), self._by_pid(),
                                                  self._children())
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self._t0
        # Per process, so one that exits meanwhile (another database's backend)
        # lands in "other" instead of making a group's total go negative.
        spent = {"gunicorn": 0.0, "postgres": 0.0, "sealer": 0.0}
        for pid, (group, seconds) in self._by_pid().items():
            spent[group] += seconds - self._pids0.get(pid, (group, 0.0))[1]
        spent["wrk"] = self._children() - self._child0
        spent["other"] = max(0.0, self._system_busy() - self._busy0 - sum(spent.values()))
        self.wall = wall
        self.seconds = {k: round(v, 2) for k, v in spent.items()}
        self.cores = {k: round(v / wall, 2) for k, v in spent.items()}  # in cores, of cpu_count
        return False


def wait_for_quiet(*, threshold: float = 0.15, max_wait: float = 90.0) -> float:
    """Wait (at most max_wait s) until the machine's CPU use over 2 s is below
    threshold cores, the benchmark's own processes being idle; returns the last load.
    On a shared machine another program's burst would otherwise land in a turn."""
    meter = CpuMeter()
    deadline = time.monotonic() + max_wait
    while True:
        busy0 = meter._system_busy()
        time.sleep(2)
        load = (meter._system_busy() - busy0) / 2
        if load < threshold or time.monotonic() > deadline:
            return round(load, 2)


# --- figures --------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "min_ms": round(min(values) * 1000, 1), "max_ms": round(max(values) * 1000, 1)}


def save_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def require(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise SystemExit(f"{tool} is not installed (apt-get install -y {tool})")
    return path
