"""Propagation latency: one-click POST to the receiver's 2xx, with a real worker.

Seeds the bench database (harness), points one enabled webhook Destination at a
local receiver on 127.0.0.1 (a subprocess that records, per delivery, when it
arrived and its key, subject id and topic, and answers 204), starts gunicorn (2 sync
workers), a real Celery worker (prefork) and beat (the sweeper), then offers a
steady rate of one-click POSTs from an open-loop load generator with a fixed
schedule (request i goes at t0 + i/rate whether or not earlier ones were answered).
Each POST is matched to its Delivery row (by subject id and topic) and to the
receiver's record of it (by the delivery key).

Reports p50/p95/p99/max of POST sent -> receiver 2xx and of commit (the Delivery's
created_at) -> receiver 2xx, how many arrived, how many are missing after a drain
period (must be 0), duplicates, errors, the achieved rate and where the CPU went.

Targets (the issue): under a steady 200 unsubscribes/s, p50 < 250 ms and p99 < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from bench import harness

TARGET_P50_MS = 250.0
TARGET_P99_MS = 1000.0
WORKER_NAME = "propagation-bench"


# --- the receiver (runs as a subprocess: `python -m bench.propagation receiver`) -----


def receiver_main(port: int, out_path: str) -> None:
    """Answer every POST with 204 and write one JSON line per delivery: the arrival
    time (time.time(), just before the answer), delivery key, sequence, subject id
    and topic. Keep-alive (HTTP/1.1), as a real endpoint would."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    out = open(out_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw)
                line = json.dumps({"t": time.time(), "key": body.get("id"),
                                   "seq": body.get("sequence"),
                                   "subject": (body.get("subject") or {}).get("id"),
                                   "topic": body.get("topic")})
            except ValueError:
                line = json.dumps({"t": time.time(), "bad": raw[:200].decode(errors="replace")})
            with lock:
                out.write(line + "\n")
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("receiver ready", flush=True)
    server.serve_forever(poll_interval=0.05)
    out.close()


def _other_benchmarks() -> set[str]:
    """Other bench scripts or test suites running now (on the same cores: not quiet)."""
    out = subprocess.run(["pgrep", "-af", r"bench\.(oneclick|consent_check)|-m pytest"],
                         capture_output=True, text=True).stdout
    return {line.split(" ", 1)[1] for line in out.splitlines() if " " in line}


def wait_for_other_benchmarks(max_wait: float) -> None:
    deadline = time.monotonic() + max_wait
    while _other_benchmarks() and time.monotonic() < deadline:
        time.sleep(5)


def read_received(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        with suppress(ValueError):  # a line being written is skipped
            rows.append(json.loads(line))
    return rows


# --- processes --------------------------------------------------------------------


def _stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    with suppress(ProcessLookupError):  # the pool children too, should any be left
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@contextmanager
def process(argv: list[str], *, log_name: str, env: dict | None = None):
    log = open(harness.STATE / log_name, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(argv, env=env or harness.bench_env(), cwd=harness.ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        _stop(proc)
        log.close()


def celery_argv(args) -> tuple[list[str], list[str]]:
    celery = str(harness.BIN / "celery")
    worker = [celery, "-A", "config", "worker", "--pool", args.pool,
              "--concurrency", str(args.concurrency), "-Q", "celery",
              "-n", f"{WORKER_NAME}@%h", "--without-gossip", "--without-mingle",
              "--without-heartbeat", "--loglevel", "WARNING"]
    beat = [celery, "-A", "config", "beat", "--loglevel", "WARNING",
            "--schedule", str(harness.STATE / "propagation-beat-schedule")]
    return worker, beat


# --- CPU accounting ---------------------------------------------------------------


class Cpu(harness.CpuMeter):
    """CPU seconds by gunicorn, PostgreSQL, the Celery worker, beat, the receiver and
    this process (the load generator); "other" is everything else."""

    GROUPS = ("gunicorn", "postgres", "worker", "beat", "receiver", "loadgen")

    def __init__(self, *, port: int, db: str):
        super().__init__()
        # Only our gunicorn (by its port) and the backends of our database: another
        # benchmark's, running meanwhile, lands in "other".
        self._bind = f"127.0.0.1:{port}".encode()
        self._db = f" {db} ".encode()

    def _by_pid(self):
        found = {}
        me = str(os.getpid())
        for pid, cmd, seconds in harness.processes(self._tick):
            group = ("loadgen" if pid == me
                     else "gunicorn" if b"gunicorn" in cmd and self._bind in cmd
                     else "postgres" if cmd.startswith(b"postgres:") and self._db in cmd
                     else "worker" if WORKER_NAME.encode() in cmd
                     else "beat" if b"propagation-beat-schedule" in cmd
                     else "receiver" if b"bench.propagation receiver" in cmd
                     else None)
            if group:
                found[pid] = (group, seconds)
        return found

    def __exit__(self, *exc):
        wall = time.monotonic() - self._t0
        spent = dict.fromkeys(self.GROUPS, 0.0)
        for pid, (group, seconds) in self._by_pid().items():
            spent[group] += seconds - self._pids0.get(pid, (group, 0.0))[1]
        spent["other"] = max(0.0, self._system_busy() - self._busy0 - sum(spent.values()))
        self.wall = wall
        self.seconds = {k: round(v, 2) for k, v in spent.items()}
        self.cores = {k: round(v / wall, 2) for k, v in spent.items()}
        return False


# --- the load generator -------------------------------------------------------------


async def _post(port: int, path: str, rec: dict, timeout: float) -> None:
    body = b"List-Unsubscribe=One-Click"
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    rec["sent"] = time.time()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(request)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        rec["answered"] = time.time()
        rec["status"] = int(status_line.split()[1])
        await asyncio.wait_for(reader.read(), timeout)  # the rest, until gunicorn closes
        writer.close()
    except (OSError, TimeoutError, ValueError, IndexError) as exc:
        rec["error"] = type(exc).__name__
        rec.setdefault("answered", time.time())


async def _drive(port: int, tokens: list[str], rate: float, max_in_flight: int,
                 timeout: float) -> list[dict]:
    """Open loop: request i is started at t0 + i/rate. If max_in_flight requests are
    already waiting, the next start waits too; `late` says how often that (or the
    event loop) delayed a start by more than 10 ms."""
    records = [{"i": i, "token": t} for i, t in enumerate(tokens)]
    gate = asyncio.Semaphore(max_in_flight)
    tasks = []
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05
    wall0 = time.time() + 0.05

    async def one(rec):
        try:
            await _post(port, f"/u/{rec['token']}/", rec, timeout)
        finally:
            gate.release()

    for rec in records:
        due = t0 + rec["i"] / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await gate.acquire()
        rec["scheduled"] = wall0 + rec["i"] / rate
        tasks.append(asyncio.create_task(one(rec)))
    await asyncio.gather(*tasks)
    return records


def drive(port: int, tokens: list[str], rate: float, *, max_in_flight: int = 400,
          timeout: float = 10.0) -> list[dict]:
    return asyncio.run(_drive(port, tokens, rate, max_in_flight, timeout))


# --- figures ----------------------------------------------------------------------


def dist_ms(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {"n": len(v),
            "p50_ms": round(harness.percentile(v, 50) * 1000, 1),
            "p95_ms": round(harness.percentile(v, 95) * 1000, 1),
            "p99_ms": round(harness.percentile(v, 99) * 1000, 1),
            "max_ms": round(v[-1] * 1000, 1),
            "min_ms": round(v[0] * 1000, 1)}


def fmt(d: dict) -> str:
    if not d.get("n"):
        return "(none)"
    return (f"p50 {d['p50_ms']:7.1f}  p95 {d['p95_ms']:7.1f}  p99 {d['p99_ms']:7.1f}  "
            f"max {d['max_ms']:7.1f} ms  (n={d['n']})")


def deliveries() -> dict[tuple[str, str], dict]:
    """(subject hex, topic) -> the Delivery row's times and state."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT replace(subject_key, '-', ''), payload->>'topic', key::text, "
            "extract(epoch FROM created_at), extract(epoch FROM delivered_at), status, "
            "attempts, last_error FROM preferences_delivery")
        rows = cursor.fetchall()
    connection.close()
    return {(s, t): {"key": k, "created": float(c), "delivered": d and float(d),
                     "status": st, "attempts": a, "last_error": e}
            for s, t, k, c, d, st, a, e in rows}


def pending_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM preferences_delivery "
                       "WHERE status IN ('pending', 'in_flight')")
        n = cursor.fetchone()[0]
    connection.close()
    return n


def wait_arrivals(path: Path, expected: int, timeout: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if len({r.get("key") for r in read_received(path)}) >= expected:
            break
        time.sleep(0.25)
    return time.monotonic() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="one-click POSTs per second")
    parser.add_argument("--duration", type=int, default=30, help="seconds of steady load")
    parser.add_argument("--warmup", type=int, default=3,
                        help="seconds of load at the rate before the measured run")
    parser.add_argument("--drain", type=float, default=60,
                        help="seconds to wait for the last deliveries after the run")
    parser.add_argument("--subjects", type=int, default=20_000,
                        help="subjects to seed (x4 topics = one-click rows)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--pool", default="prefork", help="Celery worker pool")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--max-wait", type=float, default=120,
                        help="before the run, wait up to this long for other bench scripts "
                             "(oneclick.py, consent_check.py) and test suites to finish")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for gunicorn, worker and beat (repeatable)")
    args = parser.parse_args(argv)
    if not (1 <= args.rate <= 1000 and 1 <= args.duration <= 120 and 0 <= args.warmup <= 30
            and 0 < args.drain <= 300 and 1 <= args.concurrency <= 16):
        parser.error("keep it bounded: rate 1-1000/s, 1-120 s, warm-up <= 30 s, "
                     "drain <= 300 s, concurrency 1-16")
    extra = dict(x.split("=", 1) for x in args.env)
    needed = int(args.rate * (args.duration + args.warmup)) + 1
    if needed > args.subjects * len(harness.ONE_CLICK_TOPICS):
        parser.error(f"{needed} POSTs need more rows: raise --subjects")

    # A database, state dir and broker database of its own: oneclick.py drops and
    # recreates hush_bench and flushes its Redis database when it starts, which would
    # cut a propagation run in half (and its queued deliveries with it).
    harness.DB_NAME = os.environ.get("HUSH_BENCH_PROPAGATION_DB", "hush_bench_propagation")
    harness.STATE = harness.STATE / "propagation"
    harness.STATE.mkdir(parents=True, exist_ok=True)
    harness.BROKER = os.environ.get("HUSH_BENCH_PROPAGATION_BROKER", "redis://127.0.0.1:6379/12")
    harness.use_bench_env()
    os.environ.update(extra)
    wait_for_other_benchmarks(args.max_wait)
    from preferences.models import Destination
    from preferences.tokens import read_unsubscribe_token

    print(f"machine: {harness.machine()}")
    print(f"setting up database {harness.DB_NAME} ...")
    harness.recreate_database(subjects=args.subjects)
    tokens = (harness.STATE / "tokens.txt").read_text().splitlines()[:needed]
    claims = [read_unsubscribe_token(t) for t in tokens]
    n_warm = int(args.rate * args.warmup)

    received_path = harness.STATE / "propagation-received.jsonl"
    received_path.unlink(missing_ok=True)
    rport = harness.free_port()
    receiver = [harness.PYTHON, "-m", "bench.propagation", "receiver", "--port", str(rport),
                "--out", str(received_path)]
    Destination.objects.all().delete()
    Destination.objects.create(name="bench-receiver", kind="webhook",
                               url=f"http://127.0.0.1:{rport}/hook",
                               secret=secrets.token_urlsafe(32))
    from django.db import connections

    connections.close_all()
    env = {**harness.bench_env(), **extra}
    worker_argv, beat_argv = celery_argv(args)
    t_start = time.time()
    with (process(receiver, log_name="propagation-receiver.log"),
          harness.gunicorn(workers=args.workers) as base,
          process(worker_argv, log_name="propagation-worker.log", env=env) as worker,
          process(beat_argv, log_name="propagation-beat.log", env=env) as beat):
        port = int(base.rsplit(":", 1)[1])
        print(f"gunicorn: {args.workers} sync workers at {base}; celery worker "
              f"--pool {args.pool} --concurrency {args.concurrency}; beat; receiver on "
              f"127.0.0.1:{rport}" + (f"; extra env {extra}" if extra else ""))
        # Warm-up: proves the whole chain works (worker up, destination reachable).
        if n_warm:
            warm = drive(port, tokens[:n_warm], args.rate)
            waited = wait_arrivals(received_path, n_warm, 60)
            got = len({r.get("key") for r in read_received(received_path)})
            print(f"  warm-up: {n_warm} POSTs, {sum(1 for r in warm if r.get('status') == 200)}"
                  f" answered 200, {got} delivered within {waited:.1f} s")
            if got < n_warm * 0.9:
                for name, proc in (("worker", worker), ("beat", beat)):
                    if proc.poll() is not None:
                        print(f"  {name} exited: see {harness.STATE}")
                raise SystemExit("warm-up deliveries did not arrive; see "
                                 f"{harness.STATE}/propagation-*.log")
            time.sleep(1)
        wait_for_other_benchmarks(args.max_wait)
        print(f"  run: {args.rate:g} POSTs/s for {args.duration} s "
              f"({needed - n_warm} POSTs, open loop)")
        others = _other_benchmarks()
        with Cpu(port=port, db=harness.DB_NAME) as cpu:
            records = drive(port, tokens[n_warm:], args.rate)
            others |= _other_benchmarks()
        run_end = time.time()
        expected = needed  # warm-up ones included
        waited = wait_arrivals(received_path, expected, args.drain)
        drain_s = time.time() - run_end
        pending = pending_count()
    total_s = time.time() - t_start

    # --- match -------------------------------------------------------------------
    rows = deliveries()
    received = read_received(received_path)
    first_arrival: dict[str, float] = {}
    dupes = 0
    for r in received:
        key = r.get("key")
        if key in first_arrival:
            dupes += 1
            first_arrival[key] = min(first_arrival[key], r["t"])
        else:
            first_arrival[key] = r["t"]
    measured_claims = claims[n_warm:]
    sent_to_2xx, commit_to_2xx, post_latency, commit_lag, done_lag = [], [], [], [], []
    missing, no_row, errors, non200, late = [], 0, 0, 0, 0
    for rec, claim in zip(records, measured_claims, strict=True):
        if "error" in rec:
            errors += 1
            continue
        if not 200 <= rec.get("status", 0) < 300:
            non200 += 1
            continue
        if rec["sent"] - rec["scheduled"] > 0.010:
            late += 1
        post_latency.append(rec["answered"] - rec["sent"])
        row = rows.get((claim.subject_id.hex, claim.topic_slug))
        if row is None:
            no_row += 1
            continue
        commit_lag.append(row["created"] - rec["sent"])
        t = first_arrival.get(row["key"])
        if t is None:
            missing.append({"key": row["key"], "status": row["status"],
                            "attempts": row["attempts"], "last_error": row["last_error"]})
            continue
        sent_to_2xx.append(t - rec["sent"])
        commit_to_2xx.append(t - row["created"])
        if row["delivered"]:
            done_lag.append(row["delivered"] - t)
    sends = [r["sent"] for r in records if "sent" in r]
    span = max(sends) - min(sends) if len(sends) > 1 else 0.0
    offered = (len(sends) - 1) / span if span else 0.0
    answered = [r["answered"] for r in records if r.get("status") == 200]
    completed_rate = len(answered) / (max(answered) - min(sends)) if answered else 0.0
    arrivals_in_run = [first_arrival[rows[(c.subject_id.hex, c.topic_slug)]["key"]]
                       for c in measured_claims
                       if (c.subject_id.hex, c.topic_slug) in rows
                       and rows[(c.subject_id.hex, c.topic_slug)]["key"] in first_arrival]
    delivered_rate = (len(arrivals_in_run) / (max(arrivals_in_run) - min(sends))
                      if arrivals_in_run else 0.0)

    figures = {
        "post_sent_to_receiver_2xx": dist_ms(sent_to_2xx),
        "commit_to_receiver_2xx": dist_ms(commit_to_2xx),
        "post_latency": dist_ms(post_latency),
        "post_sent_to_commit": dist_ms(commit_lag),
        "receiver_2xx_to_delivered_recorded": dist_ms(done_lag),
    }
    result = {
        "posts": len(records), "offered_rate": round(offered, 1),
        "answered_rate": round(completed_rate, 1), "delivered_rate": round(delivered_rate, 1),
        "late_starts": late, "errors": errors, "non200": non200, "no_delivery_row": no_row,
        "arrived": len(sent_to_2xx), "missing": len(missing), "missing_sample": missing[:10],
        "duplicates_at_receiver": dupes, "pending_after_drain": pending,
        "drain_s": round(drain_s, 1), "drain_wait_s": round(waited, 1),
        "total_s": round(total_s, 1),
        "other_benchmarks_during_run": sorted(others),
        "cpu_cores": cpu.cores, "cpu_seconds": cpu.seconds, **figures,
    }

    print()
    print(f"offered {offered:.1f} POSTs/s over {span:.1f} s ({len(records)} POSTs, "
          f"{late} started > 10 ms late); answered {completed_rate:.1f}/s; "
          f"delivered {delivered_rate:.1f}/s")
    print(f"errors {errors} (socket/timeout), non-200 {non200}, without a delivery row "
          f"{no_row}")
    print(f"arrived {len(sent_to_2xx)}, missing {len(missing)} after a {drain_s:.1f} s drain, "
          f"duplicates at the receiver {dupes}, still pending/in flight {pending}")
    for name, d in figures.items():
        print(f"  {name:36} {fmt(d)}")
    print("cpu (cores): " + ", ".join(f"{k} {v}" for k, v in cpu.cores.items()))
    if others:
        print("NOTE: another benchmark ran meanwhile, on the same cores: "
              + "; ".join(sorted(others)) + ". Rerun for figures to quote.")
    p50 = figures["post_sent_to_receiver_2xx"].get("p50_ms", float("inf"))
    p99 = figures["post_sent_to_receiver_2xx"].get("p99_ms", float("inf"))
    ok = (p50 < TARGET_P50_MS and p99 < TARGET_P99_MS and not missing and not errors
          and not non200 and not no_row and offered >= 0.95 * args.rate)
    print(f"target p50 < {TARGET_P50_MS:.0f} ms: {'MET' if p50 < TARGET_P50_MS else 'MISSED'}; "
          f"p99 < {TARGET_P99_MS:.0f} ms: {'MET' if p99 < TARGET_P99_MS else 'MISSED'}; "
          f"missing 0: {'yes' if not missing else 'NO'}")
    path = harness.save_result("propagation", {"args": vars(args), "machine": harness.machine(),
                                               **result})
    print(f"raw results: {path.relative_to(harness.ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "receiver":
        p = argparse.ArgumentParser()
        p.add_argument("receiver")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--out", required=True)
        a = p.parse_args()
        receiver_main(a.port, a.out)
    else:
        raise SystemExit(main())
