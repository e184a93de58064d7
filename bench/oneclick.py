"""One-click throughput: Hush's `/u/<token>/` against a bare Django view doing the same work.

    .venv/bin/python -m bench.oneclick [--turns 3] [--duration 10] [--connections 12]

Recreates the bench database (see bench/harness.py) with one webhook destination (so
every unsubscribe writes its outbox row), starts two gunicorns with the same settings
(2 sync workers, production-like environment): Hush, and the bare project of
`bench/bare/` (its own minimal settings, no middleware, the same PostgreSQL). Then
runs wrk in turns, alternating the two, for:

- POST: the bare view checks the signed token and, in one transaction, updates the
  subscription and inserts the consent event and the outbox row; Hush's one-click
  POST does all that and the audit event, the relay and the answer page. Every
  request of every POST run uses its own token for a subscribed row, so each does
  the real work (never the idempotent no-op).
- GET (what mail scanners fetch): the bare view checks the token and renders a small
  template; Hush's confirmation page. Neither may change a row.

Afterwards it runs `manage.py verify_audit` (which seals first) and reports how long
sealing the backlog took and how many events are left unsealed.

Targets (issue 13): for POST and for GET, Hush req/s >= 0.8 x the bare view's in the
same turn, p99 < 50 ms, no errors.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from contextlib import nullcontext

from bench import harness

TARGET_RATIO = 0.8
TARGET_P99_MS = 50.0
# kind: (server, method)
KINDS = {"bare": ("bare", "POST"), "one-click": ("hush", "POST"),
         "bare-get": ("bare", "GET"), "one-click-get": ("hush", "GET")}
PAIRS = {"POST": ("bare", "one-click"), "GET": ("bare-get", "one-click-get")}
OURS = ("gunicorn", "postgres", "wrk")
NOISY_CORES = 0.25  # CPU used by other programs during a run that makes it not count


def wrk(base: str, *, tokens, duration: int, connections: int, threads: int,
        method: str = "POST") -> dict:
    cmd = [harness.require("wrk"), "-t", str(threads), "-c", str(connections),
           "-d", f"{duration}s", "--timeout", "5s", "-s", str(harness.BENCH / "oneclick.lua"),
           base, "--", "/u/", str(tokens), str(threads), method]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = data["duration_us"] / 1e6
    errors = (data["non2xx"] + data["connect_errors"] + data["read_errors"]
              + data["write_errors"] + data["timeouts"])
    return {
        "rps": round(data["requests"] / seconds, 1),
        "p50_ms": round(data["latency_us"]["p50"] / 1000, 1),
        "p90_ms": round(data["latency_us"]["p90"] / 1000, 1),
        "p99_ms": round(data["latency_us"]["p99"] / 1000, 1),
        "max_ms": round(data["latency_us"]["max"] / 1000, 1),
        "requests": data["requests"],
        "errors": errors,
        "wrapped": data["wrapped"],
        "raw": data,
    }


def measure(base: str, kind: str, tokens, opts: dict, max_wait: float) -> dict:
    """One wrk run, with the rows it changed and where the CPU went."""
    quiet = harness.wait_for_quiet(max_wait=max_wait) if max_wait else None
    before = counts()
    with harness.CpuMeter() as cpu:
        result = wrk(base, tokens=tokens, method=KINDS[kind][1], **opts)
    after = counts()
    done = max(1, result["requests"])
    result.update(kind=kind, load_before=quiet, cpu_cores=cpu.cores,
                  cpu_ms_per_request={k: round(v * 1000 / done, 2)
                                      for k, v in cpu.seconds.items()},
                  rows_unsubscribed=after["unsubscribed"] - before["unsubscribed"],
                  unsealed_after=after["unsealed"])
    return result


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM preferences_consentevent), "
            "(SELECT count(*) FROM audit_auditevent), "
            "(SELECT count(*) FROM audit_auditevent WHERE seq IS NULL), "
            "(SELECT count(*) FROM preferences_subscription WHERE status = 'unsubscribed')")
        events, audit_rows, unsealed, unsubscribed = cursor.fetchone()
    connection.close()
    return {"consent_events": events, "audit_events": audit_rows, "unsealed": unsealed,
            "unsubscribed": unsubscribed}


def verify_audit() -> dict:
    before = counts()["unsealed"]
    t0 = time.perf_counter()
    out = subprocess.run([harness.PYTHON, "manage.py", "verify_audit"], cwd=harness.ROOT,
                         env=harness.bench_env(), capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - t0
    after = counts()["unsealed"]
    return {"unsealed_before": before, "unsealed_after": after,
            "seconds": round(seconds, 2), "exit": out.returncode,
            "output": (out.stdout + out.stderr).strip(),
            "sealed_per_s": round(before / seconds) if seconds else None}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=harness.SUBJECTS,
                        help="subjects to seed (x4 topics = one-click rows)")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per kind")
    parser.add_argument("--connections", type=int, default=12)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--max-wait", type=float, default=60,
                        help="before each run, wait up to this many seconds for the machine "
                             "to be idle (0: do not wait)")
    parser.add_argument("--retries", type=int, default=2,
                        help="run a turn again (fresh rows) when other programs used more "
                             f"than {NOISY_CORES} cores during it")
    parser.add_argument("--with-sealer", action="store_true",
                        help="run a Celery worker with beat (the audit sealer) during the runs")
    parser.add_argument("--destinations", type=int, default=1,
                        help="enabled webhook destinations: each unsubscribe then also writes "
                             "that many outbox rows and queues them (not sent)")
    parser.add_argument("--only", choices=sorted(PAIRS), help="measure only POST or GET")
    args = parser.parse_args(argv)
    if args.turns < 1 or not 1 <= args.duration <= 120 or args.connections > 256:
        parser.error("keep runs bounded: turns >= 1, 1-120 s, at most 256 connections")
    if args.with_sealer and args.destinations:
        parser.error("--with-sealer would make the worker send the deliveries: pick one "
                     "(--destinations 0 --with-sealer)")
    pairs = {m: p for m, p in PAIRS.items() if args.only in (None, m)}
    kinds = [k for pair in pairs.values() for k in pair]

    harness.require("wrk")
    harness.use_bench_env()
    print(f"machine: {harness.machine()}")
    print(f"setting up database {harness.DB_NAME} ...")
    harness.recreate_database(subjects=args.subjects, destinations=args.destinations)
    slices = harness.token_slices(3 + 2 * args.turns * (1 + args.retries))
    print(f"  {len(slices[0].read_text().splitlines()):,} tokens per wrk run")

    opts = {"duration": args.duration, "connections": args.connections,
            "threads": args.threads}
    runs: list[dict] = []
    sealer_log: list[dict] = []
    with harness.gunicorn(workers=args.workers) as hush, \
            harness.gunicorn(workers=args.workers, app="bench.bare.wsgi:application",
                             settings="bench.bare.settings", log_name="bare.log") as bare:
        bases = {"hush": hush, "bare": bare}
        print(f"gunicorn: {args.workers} sync workers each, Hush at {hush}, bare at {bare}; "
              f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s")
        worker = harness.celery_worker() if args.with_sealer else nullcontext()
        with worker:
            # Warm-up: POSTs on slices 0 and 1; every GET run reads slice 2 (GET changes
            # nothing, so reusing its tokens is fair).
            get_slice = slices[2]
            for kind in kinds:
                server, method = KINDS[kind]
                warm = slices[0 if server == "bare" else 1] if method == "POST" else get_slice
                wrk(bases[server], tokens=warm, method=method,
                    **{**opts, "duration": args.warmup})
            slice_no = 3
            for turn in range(1, args.turns + 1):
                for method, pair in pairs.items():
                    order = list(pair) if turn % 2 else list(reversed(pair))
                    for kind in order:
                        server, _ = KINDS[kind]
                        for attempt in range(args.retries + 1):
                            if method == "POST":
                                tokens, slice_no = slices[slice_no], slice_no + 1
                            else:
                                tokens = get_slice
                            result = measure(bases[server], kind, tokens, opts, args.max_wait)
                            if result["cpu_cores"]["other"] <= NOISY_CORES:
                                break
                            print(f"  turn {turn} {kind}: other programs used "
                                  f"{result['cpu_cores']['other']:.2f} cores; "
                                  + ("running it again" if attempt < args.retries else "kept"))
                        result["turn"] = turn
                        runs.append(result)
                        print(f"  turn {turn} {kind:13} {result['rps']:8.1f} req/s  "
                              f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                              f"errors {result['errors']}  rows changed "
                              f"{result['rows_unsubscribed']}  wrapped {result['wrapped']}"
                              + (f"  unsealed {result['unsealed_after']}"
                                 if args.with_sealer else ""))
                        print("      cpu ms/request: " + ", ".join(
                            f"{k} {v}" for k, v in result["cpu_ms_per_request"].items())
                            + f"  (other load: {result['cpu_cores']['other']:.2f} cores)")
                        if args.with_sealer:
                            sealer_log.append({"turn": turn, "kind": kind,
                                               "unsealed": result["unsealed_after"]})

    audit = verify_audit()
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    by_kind = {k: [r for r in runs if r["kind"] == k] for k in kinds}
    mean = {k: statistics.mean(r["rps"] for r in v) for k, v in by_kind.items()}
    cost = {k: statistics.mean(sum(r["cpu_ms_per_request"][g] for g in OURS) for r in v)
            for k, v in by_kind.items()}
    print()
    verdicts, summary = [], {}
    for method, (bare_kind, ours) in pairs.items():
        per_turn = [round(next(r["rps"] for r in by_kind[ours] if r["turn"] == t)
                          / next(r["rps"] for r in by_kind[bare_kind] if r["turn"] == t), 3)
                    for t in range(1, args.turns + 1)]
        ratio = statistics.mean(per_turn)
        worst_p99 = max(r["p99_ms"] for r in by_kind[ours])
        errors = sum(r["errors"] for r in by_kind[ours] + by_kind[bare_kind])
        changed_by_get = (sum(r["rows_unsubscribed"] for r in by_kind[ours])
                          if method == "GET" else 0)
        wrapped = (sum(r["wrapped"] for r in by_kind[ours] + by_kind[bare_kind])
                   if method == "POST" else 0)
        ok = (ratio >= TARGET_RATIO and worst_p99 < TARGET_P99_MS and errors == 0
              and wrapped == 0 and changed_by_get == 0)
        verdicts.append(ok)
        summary[method] = {"ratio": ratio, "ratio_per_turn": per_turn, "worst_p99_ms": worst_p99,
                           "errors": errors, "wrapped": wrapped,
                           "rows_changed_by_get": changed_by_get}
        print(f"{method}: bare {mean[bare_kind]:.1f} req/s, Hush {mean[ours]:.1f} req/s; "
              f"ratio {ratio:.3f} (per turn {per_turn}); target >= {TARGET_RATIO}: "
              f"{'MET' if ratio >= TARGET_RATIO else 'MISSED'}")
        print(f"      Hush worst p99 {worst_p99:.1f} ms (target < {TARGET_P99_MS:.0f}: "
              f"{'MET' if worst_p99 < TARGET_P99_MS else 'MISSED'}); errors {errors}; "
              + (f"tokens reused {wrapped}" if method == "POST"
                 else f"rows changed by GET {changed_by_get}"))
        print(f"      CPU per request (gunicorn + postgres + wrk): bare {cost[bare_kind]:.2f} "
              f"ms, Hush {cost[ours]:.2f} ms")
    noisy = [f"turn {r['turn']} {r['kind']}" for r in runs
             if r["cpu_cores"]["other"] > NOISY_CORES]
    if noisy:
        print(f"NOTE: other programs used > {NOISY_CORES} cores during: {', '.join(noisy)}; "
              "the ratios (same turn) hold better than the req/s")
    print(f"load average after the runs: {' '.join(load)}")
    print(f"audit: {audit['unsealed_before']} unsealed before verify_audit, sealed in "
          f"{audit['seconds']} s; {audit['unsealed_after']} unsealed after; exit "
          f"{audit['exit']}: {audit['output']}")
    path = harness.save_result("oneclick", {
        "args": vars(args), "machine": harness.machine(), "runs": runs, "mean_rps": mean,
        "summary": summary, "cpu_ms_per_request": cost, "noisy_runs": noisy,
        "load_after": load, "audit": audit, "sealer_log": sealer_log,
    })
    print(f"raw results: {path.relative_to(harness.ROOT)}")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
