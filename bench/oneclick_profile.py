"""Where one-click's time goes: both views in-process, no gunicorn, no wrk.

    .venv/bin/python -m bench.oneclick_profile [--requests 2000] [--cprofile]

Uses the database `bench.oneclick` left (run that first, or pass --seed). Calls
Django's WSGI handler directly with the same POST wrk sends, each request on its
own still-subscribed row, one at a time, so nothing competes for the CPU. Reports
per request: CPU in this process (Python, psycopg) and in this connection's
PostgreSQL backend (read from /proc, so other programs do not count), wall time,
the SQL statements, and the CPU of each step of one-click.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from contextlib import contextmanager
from types import SimpleNamespace

from bench import harness

BODY = b"List-Unsubscribe=One-Click"


def environ(path: str) -> dict:
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(BODY)),
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(BODY), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def fresh_tokens(n: int) -> list[str]:
    """Tokens for subscribed rows of the one-click topics (each used once)."""
    from django.db import connection

    from preferences.tokens import make_unsubscribe_token

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT j.public_id, t.slug FROM preferences_subscription s "
            "JOIN preferences_subject j ON j.id = s.subject_id "
            "JOIN preferences_topic t ON t.id = s.topic_id "
            "WHERE t.slug = ANY(%s) AND s.status = 'subscribed' ORDER BY random() LIMIT %s",
            [harness.ONE_CLICK_TOPICS, n])
        rows = cursor.fetchall()
    if len(rows) < n:
        raise SystemExit(f"only {len(rows)} subscribed rows left: rerun with --seed")
    return [make_unsubscribe_token(subject=SimpleNamespace(public_id=pid),
                                   topic=SimpleNamespace(slug=slug)) for pid, slug in rows]


class Steps:
    """Wraps named functions to add up the CPU time spent inside each."""

    def __init__(self):
        self.cpu: dict[str, float] = {}
        self.labels: list[str] = []
        self._patched = []

    def wrap(self, owner, name: str, label: str):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            t0 = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.cpu[label] = self.cpu.get(label, 0.0) + time.process_time() - t0

        setattr(owner, name, timed)
        self.labels.append(label)
        self._patched.append((owner, name, original))

    def undo(self):
        for owner, name, original in reversed(self._patched):
            setattr(owner, name, original)


@contextmanager
def one_click_steps():
    """Time the steps of one-click that exist in the code being measured."""
    import importlib

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import Model, QuerySet
    from django.template import Template

    steps = Steps()
    plan = [
        ("preferences.views", "read_unsubscribe_token", "read token"),
        ("preferences.services", "subscription_unsubscribe_by_token",
         "service: subscription_unsubscribe_by_token (whole transaction)"),
        (QuerySet, "first", "  QuerySet.first (the locked, joined SELECT)"),
        (Model, "save", "  Model.save (UPDATE subscription, INSERT consent and audit events)"),
        ("common.fields:EncryptedTextField", "from_db_value",
         "  EncryptedTextField.from_db_value (decrypts subject.email)"),
        ("preferences.services", "_record_change", "  _record_change"),
        ("preferences.services", "outbox_write", "    outbox_write (destinations, deliveries)"),
        ("audit", "record", "    audit.record (1 INSERT)"),
        (BaseDatabaseWrapper, "commit", "  COMMIT"),
        ("preferences.views", "preferences_url", "after commit: preferences_url (signs a token)"),
        ("preferences.views", "render", "render the answer page (template)"),
        (Template, "render", "  of which Template.render"),
    ]
    for owner, name, label in plan:
        if isinstance(owner, str):  # "module" or "module:Class"
            module, _, cls = owner.partition(":")
            try:
                owner = importlib.import_module(module)
            except ImportError:
                continue
            owner = getattr(owner, cls, None) if cls else owner
        if owner is not None and hasattr(owner, name):
            steps.wrap(owner, name, label)
    try:
        yield steps
    finally:
        steps.undo()


def backend_cpu(pid: int) -> float:
    """CPU seconds of one PostgreSQL backend (this connection's), from /proc."""
    import os
    from pathlib import Path

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(handler, prefix: str, tokens: list[str], *, profile: cProfile.Profile | None = None):
    from django.db import connection

    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(int(status.split()[0]))

    sql: list[str] = []

    def record(execute, statement, params, many, context):
        sql.append(" ".join(statement.split()))
        return execute(statement, params, many, context)

    with connection.execute_wrapper(record):
        handler(environ(prefix + tokens[0] + "/"), start_response)  # the statements
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    pg0 = backend_cpu(backend)
    walls, cpus = [], []
    for token in tokens[1:]:
        env = environ(prefix + token + "/")
        if profile:
            profile.enable()
        w0, c0 = time.perf_counter(), time.process_time()
        response = handler(env, start_response)
        b"".join(response)
        response.close()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
        if profile:
            profile.disable()
    pg_ms = (backend_cpu(backend) - pg0) * 1000 / max(1, len(tokens) - 1)
    bad = [s for s in statuses if not 200 <= s < 300]
    if bad:
        raise SystemExit(f"{prefix}: {len(bad)} non-2xx answers, e.g. {bad[0]}")
    return {"cpu_ms": round(statistics.mean(cpus) * 1000, 3),
            "wall_ms": round(statistics.mean(walls) * 1000, 3),
            "postgres_cpu_ms": round(pg_ms, 3),
            "sql": sql}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per view")
    parser.add_argument("--seed", action="store_true", help="recreate the bench database first")
    parser.add_argument("--cprofile", action="store_true",
                        help="also print cProfile's top functions for one-click")
    args = parser.parse_args(argv)

    harness.use_bench_env()
    if args.seed or not harness.db_exists():
        harness.recreate_database(subjects=harness.SUBJECTS)
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    n = args.requests + 1
    tokens = fresh_tokens(2 * n + 200)
    warm, base_tokens, oc_tokens = tokens[:200], tokens[200:200 + n], tokens[200 + n:]
    run(handler, "/bench/baseline/", warm[:100])
    run(handler, "/u/", warm[100:])

    baseline = run(handler, "/bench/baseline/", base_tokens)
    with one_click_steps() as steps:
        one_click = run(handler, "/u/", oc_tokens)
    per_request = {label: round(steps.cpu[label] * 1000 / (n - 1), 3)
                   for label in steps.labels if label in steps.cpu}

    print(f"machine: {harness.machine()}")
    print(f"{args.requests} requests per view, one at a time, in-process (no gunicorn)\n")
    for name, r in (("baseline", baseline), ("one-click", one_click)):
        print(f"{name:9}  CPU {r['cpu_ms']:.3f} ms/request here + {r['postgres_cpu_ms']:.3f} in "
              f"its PostgreSQL backend; wall {r['wall_ms']:.3f} ms/request; "
              f"{len(r['sql'])} SQL statements (+ BEGIN, COMMIT and the health check's SELECT 1)")
    print(f"\none-click / baseline CPU: {one_click['cpu_ms'] / baseline['cpu_ms']:.2f}x")
    print("\none-click CPU by step (ms/request, including the CPU of the step's SQL round "
          "trips; steps the current code does not call are left out):")
    for label, ms in per_request.items():
        print(f"  {ms:7.3f}  {label}")
    print("\none-click SQL, in order:")
    for sql in one_click["sql"]:
        print(f"  {sql[:160]}")
    print("\nbaseline SQL, in order:")
    for sql in baseline["sql"]:
        print(f"  {sql[:160]}")

    if args.cprofile:
        profile = cProfile.Profile()
        run(handler, "/u/", fresh_tokens(min(args.requests, 1000) + 1), profile=profile)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())
    harness.save_result("oneclick-profile", {
        "requests": args.requests, "baseline": baseline, "one_click": one_click,
        "one_click_steps_ms": per_request})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
