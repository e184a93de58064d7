"""Imports at scale: 1,000,000 subjects with 3 topics each, then 1,000,000 suppressions,
each through `manage.py import` on PostgreSQL.

    .venv/bin/python -m bench.imports                      # 1,000,000 rows per file
    .venv/bin/python -m bench.imports --rows 100000 --rerun

Writes two CSV files (in HUSH_BENCH_DIR): subjects (`email,locale,country` and one
column per topic, subscribed or unsubscribed; one row in 1,000 has a bad address) and
suppressions (`email,reason`: half of them addresses of the subjects just imported, so
those get a ConsentEvent too). Times each import; `--rerun` imports each file a second
time and checks that nothing changed. The database is dropped and created each run.

Target (the issue): each import under 120 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import random
import time

from bench import harness

TARGET_S = 120.0
TOPICS = ("news", "offers", "product")


def _write_files(rows: int) -> tuple[str, str]:
    harness.STATE.mkdir(parents=True, exist_ok=True)
    subjects = harness.STATE / f"import-subjects-{rows}.csv"
    suppressions = harness.STATE / f"import-suppressions-{rows}.csv"
    rng = random.Random(17)
    statuses = ("subscribed", "unsubscribed")
    if not subjects.exists():
        with open(subjects, "w") as out:
            out.write("email,locale,country," + ",".join(TOPICS) + "\n")
            for i in range(rows):
                email = f"person{i}@example.com" if i % 1000 != 999 else f"not-an-address-{i}"
                out.write(f"{email},en,DE,{rng.choice(statuses)},{rng.choice(statuses)},"
                          f"{rng.choice(statuses)}\n")
    if not suppressions.exists():
        reasons = ("unsubscribe", "bounce", "complaint")
        with open(suppressions, "w") as out:
            out.write("email,reason\n")
            for i in range(rows):
                who = f"person{i * 2}@example.com" if i < rows // 2 else f"gone{i}@example.org"
                out.write(f"{who},{rng.choice(reasons)}\n")
    return str(subjects), str(suppressions)


def _import(kind: str, path: str) -> dict:
    import audit
    from preferences.imports.services import import_open, import_run

    t0 = time.perf_counter()
    job, _ = import_open(kind=kind, path=path, actor=audit.SYSTEM)
    job = import_run(job_id=job.pk)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 1), "created": job.created, "updated": job.updated,
            "unchanged": job.unchanged, "bad": job.bad, "status": job.status,
            "load": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rerun", action="store_true", help="import each file twice")
    args = parser.parse_args()
    if not 1_000 <= args.rows <= 2_000_000:
        parser.error("--rows must be between 1,000 and 2,000,000")
    harness.use_bench_env()
    from django.core.management import call_command
    from django.db import connections

    from preferences.models import ConsentEvent, Subject, Subscription, Suppression, Topic

    print(f"machine: {harness.machine()}")
    connections.close_all()
    harness._psql(f'DROP DATABASE IF EXISTS "{harness.DB_NAME}" WITH (FORCE)')
    harness._psql(f'CREATE DATABASE "{harness.DB_NAME}"')
    call_command("migrate", verbosity=0, interactive=False)
    for position, slug in enumerate(TOPICS):
        Topic.objects.create(slug=slug, name=slug.title(), position=position)
    subjects_file, suppressions_file = _write_files(args.rows)
    results = {"rows": args.rows, "machine": harness.machine()}
    ok = True
    for kind, path in (("subjects", subjects_file), ("suppressions", suppressions_file)):
        harness.wait_for_quiet(max_wait=20)
        figures = _import(kind, path)
        results[kind] = figures
        print(f"{kind}: {args.rows:,} rows in {figures['seconds']} s "
              f"(target < {TARGET_S:.0f} s, load {figures['load'][0]:.2f}): "
              f"{figures['created']:,} created, {figures['updated']:,} updated, "
              f"{figures['unchanged']:,} unchanged, {figures['bad']:,} bad")
        ok &= figures["seconds"] < TARGET_S and figures["status"] == "done"
        if args.rerun:
            again = _import(kind, path)
            results[f"{kind}_rerun"] = again
            print(f"{kind} again: {again['seconds']} s, {again['created']:,} created, "
                  f"{again['updated']:,} updated (both must be 0)")
            ok &= again["created"] == again["updated"] == 0
    results["rows_written"] = {
        "subjects": Subject.objects.count(), "subscriptions": Subscription.objects.count(),
        "consent_events": ConsentEvent.objects.count(),
        "suppressions": Suppression.objects.count()}
    print(f"rows: {results['rows_written']}")
    path = harness.save_result("imports", results)
    print(f"raw results: {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
