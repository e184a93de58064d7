"""One-click unsubscribe throughput: `/u/<token>/` against a bare baseline view.

    .venv/bin/python -m bench.oneclick [--turns 3] [--duration 10] [--connections 12]

Recreates the bench database (see bench/harness.py), starts gunicorn with 2 sync
workers in a production-like environment, then runs wrk in turns, alternating the
baseline (`/bench/baseline/<token>/`: token check, one UPDATE and two INSERTs in one
transaction) and the real one-click POST. Every request of every run uses its own
token for a subscribed row, so each does the real work (never the idempotent no-op).
Afterwards it runs `manage.py verify_audit` (which seals first) and reports how long
sealing the backlog took and how many events are left unsealed.

Targets (the issue): one-click req/s >= 0.8 x baseline, p99 < 100 ms, no errors.
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
TARGET_P99_MS = 100.0
KINDS = {"baseline": "/bench/baseline/", "one-click": "/u/"}
OURS = ("gunicorn", "postgres", "wrk")
NOISY_CORES = 0.25  # CPU used by other programs during a run that makes it not count


def wrk(base: str, *, prefix: str, tokens, duration: int, connections: int,
        threads: int) -> dict:
    cmd = [harness.require("wrk"), "-t", str(threads), "-c", str(connections),
           "-d", f"{duration}s", "--timeout", "5s", "-s", str(harness.BENCH / "oneclick.lua"),
           base, "--", prefix, str(tokens), str(threads)]
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
        result = wrk(base, prefix=KINDS[kind], tokens=tokens, **opts)
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
    parser.add_argument("--destinations", type=int, default=0,
                        help="enabled webhook destinations: each unsubscribe then also writes "
                             "that many outbox rows and queues that many tasks (not sent)")
    args = parser.parse_args(argv)
    if args.turns < 1 or not 1 <= args.duration <= 120 or args.connections > 256:
        parser.error("keep runs bounded: turns >= 1, 1-120 s, at most 256 connections")
    if args.with_sealer and args.destinations:
        parser.error("--with-sealer would make the worker send the deliveries: pick one")

    harness.require("wrk")
    harness.use_bench_env()
    print(f"machine: {harness.machine()}")
    print(f"setting up database {harness.DB_NAME} ...")
    harness.recreate_database(subjects=args.subjects, destinations=args.destinations)
    slices = harness.token_slices(2 + 2 * args.turns * (1 + args.retries))
    print(f"  {len(slices[0].read_text().splitlines()):,} tokens per wrk run")

    opts = {"duration": args.duration, "connections": args.connections,
            "threads": args.threads}
    runs: list[dict] = []
    sealer_log: list[dict] = []
    with harness.gunicorn(workers=args.workers) as base:
        print(f"gunicorn: {args.workers} sync workers at {base}; wrk -t{args.threads} "
              f"-c{args.connections} -d{args.duration}s")
        worker = harness.celery_worker() if args.with_sealer else nullcontext()
        with worker:
            for i, kind in enumerate(KINDS):
                wrk(base, prefix=KINDS[kind], tokens=slices[i],
                    **{**opts, "duration": args.warmup})
            slice_no = 2
            for turn in range(1, args.turns + 1):
                order = list(KINDS) if turn % 2 else list(reversed(KINDS))
                for kind in order:
                    for attempt in range(args.retries + 1):
                        result = measure(base, kind, slices[slice_no], opts, args.max_wait)
                        slice_no += 1
                        if result["cpu_cores"]["other"] <= NOISY_CORES:
                            break
                        print(f"  turn {turn} {kind}: other programs used "
                              f"{result['cpu_cores']['other']:.2f} cores; "
                              + ("running it again" if attempt < args.retries else "kept"))
                    result["turn"] = turn
                    runs.append(result)
                    print(f"  turn {turn} {kind:9} {result['rps']:8.1f} req/s  "
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
    by_kind = {k: [r for r in runs if r["kind"] == k] for k in KINDS}
    mean = {k: statistics.mean(r["rps"] for r in v) for k, v in by_kind.items()}
    ratio = mean["one-click"] / mean["baseline"]
    per_turn = [
        round(next(r["rps"] for r in runs if r["turn"] == t and r["kind"] == "one-click")
              / next(r["rps"] for r in runs if r["turn"] == t and r["kind"] == "baseline"), 3)
        for t in range(1, args.turns + 1)
    ]
    # Turns in which neither run shared the machine with other busy programs: the
    # figure the verdict uses when there is one (a noisy baseline inflates the ratio).
    quiet_turns = [t for t in range(1, args.turns + 1)
                   if all(r["cpu_cores"]["other"] <= NOISY_CORES
                          for r in runs if r["turn"] == t)]
    quiet_ratio = (statistics.mean(per_turn[t - 1] for t in quiet_turns)
                   if quiet_turns else None)
    verdict_ratio = quiet_ratio if quiet_ratio is not None else ratio
    worst_p99 = max(r["p99_ms"] for r in by_kind["one-click"])
    errors = sum(r["errors"] for r in runs)
    wrapped = sum(r["wrapped"] for r in runs)

    # On a CPU-bound machine throughput is inversely proportional to the CPU one
    # request costs (app + database + load generator): a ratio that noise from
    # other programs disturbs much less than req/s does.
    cost = {k: statistics.mean(sum(r["cpu_ms_per_request"][g] for g in OURS) for r in v)
            for k, v in by_kind.items()}
    noisy = [f"turn {r['turn']} {r['kind']}" for r in runs
             if r["cpu_cores"]["other"] > NOISY_CORES]

    print()
    print(f"baseline  mean {mean['baseline']:.1f} req/s")
    print(f"one-click mean {mean['one-click']:.1f} req/s")
    print(f"ratio one-click / baseline: {ratio:.3f} (per turn {per_turn})")
    if quiet_ratio is not None:
        print(f"ratio over the quiet turns {quiet_turns}: {quiet_ratio:.3f}")
    print(f"target >= {TARGET_RATIO}: {'MET' if verdict_ratio >= TARGET_RATIO else 'MISSED'} "
          f"({'quiet turns' if quiet_ratio is not None else 'all turns: none was quiet'})")
    print(f"CPU per request (gunicorn + postgres + wrk): baseline {cost['baseline']:.2f} ms, "
          f"one-click {cost['one-click']:.2f} ms; "
          f"cost ratio {cost['baseline'] / cost['one-click']:.3f}")
    if noisy:
        print(f"NOTE: other programs used > {NOISY_CORES} cores during: {', '.join(noisy)}; "
              "rerun on a quiet machine for figures to quote")
    print(f"one-click worst p99: {worst_p99:.1f} ms; target < {TARGET_P99_MS:.0f} ms: "
          f"{'MET' if worst_p99 < TARGET_P99_MS else 'MISSED'}")
    print(f"errors (non-2xx + socket) over all runs: {errors}; "
          f"tokens reused (wrapped): {wrapped}")
    print(f"audit: {audit['unsealed_before']} unsealed before verify_audit, sealed in "
          f"{audit['seconds']} s (~{audit['sealed_per_s']}/s incl. start-up and the full "
          f"verify); {audit['unsealed_after']} unsealed after; exit {audit['exit']}: "
          f"{audit['output']}")
    path = harness.save_result("oneclick", {
        "args": vars(args), "machine": harness.machine(), "runs": runs,
        "mean_rps": mean, "ratio": ratio, "ratio_per_turn": per_turn,
        "quiet_turns": quiet_turns, "quiet_ratio": quiet_ratio,
        "cpu_ms_per_request": cost, "noisy_runs": noisy,
        "worst_p99_ms": worst_p99, "errors": errors, "wrapped": wrapped, "audit": audit,
        "sealer_log": sealer_log,
    })
    print(f"raw results: {path.relative_to(harness.ROOT)}")
    ok = (verdict_ratio >= TARGET_RATIO and worst_p99 < TARGET_P99_MS
          and errors == 0 and wrapped == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
