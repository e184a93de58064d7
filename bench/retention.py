"""Retention at scale: 1,000,000 old rows generalised, nulled or deleted on PostgreSQL.

Two tables, each with `--rows` rows older than the retention limit and a tenth as
many newer ones that must stay as they are:

- `external`: a table in the company's database (a second PostgreSQL database,
  `<HUSH_BENCH_DB>_ext`), declared like a catalog-file entry: `last_ip` generalised to
  its /24 (/48), `born` generalised to the year, `email` nulled. Set-based SQL.
- `deliveries`: Hush's own outbox rows: old finished ones (delivered or failed)
  deleted. A hundredth as many old rows still pending or in flight must stay too.

Each is run through `anonymizer.retention.retention_run` (the service the beat task
and `manage.py retention_run` call), timed, checked (no pending old row, every new row
untouched) and run a second time (nothing left to do: how long finding that takes).

    .venv/bin/python -m bench.retention                     # 1,000,000 rows per table
    .venv/bin/python -m bench.retention --rows 200000 --batch-size 20000

Bounded: at most 5,000,000 rows; the databases are dropped and created each run.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta

from bench import harness

TARGET_S = 30.0


def _create_databases(ext_name: str) -> None:
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    for name in (harness.DB_NAME, ext_name):
        harness._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        harness._psql(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0, interactive=False)


def _seed_external(url: str, rows: int) -> float:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE visits (id bigserial PRIMARY KEY, email text, "
                     "last_ip text, born date, notes text, created_at timestamptz NOT NULL)")
        # Old rows: IPv4 and (one in ten) IPv6 addresses, dates of birth, emails.
        conn.execute(
            "INSERT INTO visits (email, last_ip, born, notes, created_at) "
            "SELECT 'user' || i || '@example.com', "
            "CASE WHEN i %% 10 = 0 THEN '2001:db8:' || to_hex(i %% 65536) || ':1::' || "
            "to_hex(i %% 4096) ELSE '10.' || (i %% 256) || '.' || ((i / 256) %% 256) || '.' || "
            "((i / 65536) %% 256) END, "
            "date '1950-01-01' + (i %% 20000), 'visit ' || i, "
            "now() - interval '400 days' - (i %% 86400) * interval '1 second' "
            "FROM generate_series(1, %s) i", [rows])
        conn.execute(
            "INSERT INTO visits (email, last_ip, born, notes, created_at) "
            "SELECT 'new' || i || '@example.com', '192.0.2.' || (i %% 250), "
            "date '1990-06-15', 'recent', now() - interval '1 day' "
            "FROM generate_series(1, %s) i", [rows // 10])
        # Rows 40+ days old have long been vacuumed in a real database: so here.
        conn.execute("VACUUM (ANALYZE) visits")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - t0


def _seed_deliveries(rows: int) -> tuple[float, dict]:
    """`rows` old finished deliveries (one in twenty given up), a hundredth as many old
    ones still pending or in flight interleaved with them by id (so key ranges span
    rows that must stay), and a tenth as many new ones. Returns the seconds taken and
    the counts seeded."""
    from django.db import connection

    from preferences.models import Destination

    t0 = time.perf_counter()
    crm = Destination.objects.create(name="bench-crm", kind="webhook",
                                     url="https://crm.invalid/hook")
    unfinished = rows // 100
    with connection.cursor() as cursor:
        # Seeding only: skip the per-row deferred foreign-key checks (superuser).
        cursor.execute("SET session_replication_role = replica")
        # Old rows: every 101st of the first 101 * unfinished is unfinished.
        old_status = ("CASE WHEN i %% 101 = 0 AND i <= %s THEN "
                      "CASE WHEN i %% 202 = 0 THEN 'in_flight' ELSE 'pending' END "
                      "WHEN i %% 20 = 0 THEN 'failed' ELSE 'delivered' END")
        for count, age, status, params in (
                (rows + unfinished, "interval '40 days'", old_status, [101 * unfinished]),
                (rows // 10, "interval '1 day'", "'delivered'", [])):
            cursor.execute(
                "INSERT INTO preferences_delivery (key, destination_id, subject_id, subject_key, "
                "event_type, payload, status, attempts, next_attempt_at, last_error, created_at) "
                "SELECT gen_random_uuid(), %s, NULL, md5(i::text), 'subscription.changed', "
                "jsonb_build_object('type', 'subscription.changed', 'subject', "
                "jsonb_build_object('id', md5(i::text), 'external_id', 'crm-' || i)), "
                f"{status}, 1, now(), 'HTTP 502 from receiver', "
                f"now() - {age} - (i %% 3600) * interval '1 second' "
                "FROM generate_series(1, %s) i", [crm.pk, *params, count])
        cursor.execute("SET session_replication_role = origin")
        cursor.execute("VACUUM (ANALYZE) preferences_delivery")
        cursor.execute("CHECKPOINT")
    seeded = _count_deliveries()
    assert seeded == {"old_finished": rows, "old_unfinished": unfinished, "new": rows // 10}, \
        seeded
    return time.perf_counter() - t0, seeded


def _count_deliveries() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE created_at < now() - interval '30 days' AND "
            "status IN ('delivered', 'failed')), "
            "count(*) FILTER (WHERE created_at < now() - interval '30 days' AND "
            "status IN ('pending', 'in_flight') AND payload ? 'subject' AND last_error <> ''), "
            "count(*) FILTER (WHERE created_at > now() - interval '30 days' AND "
            "payload ? 'subject' AND last_error <> '') FROM preferences_delivery")
        old_finished, old_unfinished, new = cursor.fetchone()
    return {"old_finished": old_finished, "old_unfinished": old_unfinished, "new": new}


def _run(key: str, batch_size: int) -> dict:
    from anonymizer.retention import retention_run

    t0 = time.perf_counter()
    result = retention_run(entry_key=key, batch_size=batch_size)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = retention_run(entry_key=key, batch_size=batch_size)
    second = time.perf_counter() - t0
    progress = result.entries[key]
    done = progress.rows + progress.deleted
    return {"rows": done, "deleted": progress.deleted, "batches": progress.batches,
            "set_based": progress.set_based, "seconds": round(first, 2),
            "rows_per_s": round(done / first) if first else None,
            "second_run_rows": again.total, "second_run_seconds": round(second, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="old rows per table (default 1,000,000; at most 5,000,000)")
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument("--only", choices=["external", "deliveries"])
    args = parser.parse_args()
    if not 1_000 <= args.rows <= 5_000_000:
        parser.error("--rows must be between 1,000 and 5,000,000")

    harness.use_bench_env()
    from django.conf import settings

    from anonymizer import catalog
    from anonymizer.catalog import Category, PiiField

    ext_name = f"{harness.DB_NAME}_ext"
    ext_url = f"{harness.PG}/{ext_name}"
    print(f"machine: {harness.machine()}")
    print(f"databases {harness.DB_NAME} and {ext_name}: creating and migrating")
    _create_databases(ext_name)
    settings.HUSH_EXTERNAL_DATABASES = {"company": ext_url}
    catalog.register_external(
        database="company", table="visits", subject="email", subject_by="email",
        retention=timedelta(days=365), timestamp="created_at",
        fields=[PiiField("email", Category.CONTACT, retain="null", kind="EMAIL"),
                PiiField("last_ip", Category.NETWORK, retain="generalize", kind="IP_ADDRESS"),
                PiiField("born", Category.DEMOGRAPHIC, retain="generalize",
                         kind="DATE_OF_BIRTH", level="year")])

    results = {"rows": args.rows, "batch_size": args.batch_size, "machine": harness.machine()}
    ok = True
    if args.only in (None, "external"):
        seeded = _seed_external(ext_url, args.rows)
        print(f"external: seeded {args.rows:,} old + {args.rows // 10:,} new rows "
              f"in {seeded:.1f} s")
        harness.wait_for_quiet(max_wait=30)
        figures = _run("external:company.visits", args.batch_size)
        figures.update(_check_external(ext_url, args.rows))
        results["external"] = figures
        ok &= _report("external (null email, IP /24 and /48, birth year)", figures, args.rows)
    if args.only in (None, "deliveries"):
        seconds, seeded = _seed_deliveries(args.rows)
        print(f"deliveries: seeded {seeded['old_finished']:,} old finished + "
              f"{seeded['old_unfinished']:,} old pending or in flight + {seeded['new']:,} "
              f"new rows in {seconds:.1f} s")
        harness.wait_for_quiet(max_wait=30)
        figures = _run("preferences.delivery", args.batch_size)
        figures.update(_check_deliveries(seeded))
        results["deliveries"] = figures
        ok &= _report("deliveries (delete old finished rows)", figures, args.rows)
    path = harness.save_result("retention", results)
    print(f"raw results: {path}")
    return 0 if ok else 1


def _check_external(url: str, rows: int) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        pending, untouched = conn.execute(
            "SELECT count(*) FILTER (WHERE created_at < now() - interval '365 days' AND "
            "(email IS NOT NULL OR strpos(last_ip, '/') = 0 OR extract(doy FROM born) <> 1)), "
            "count(*) FILTER (WHERE created_at > now() - interval '365 days' AND "
            "email LIKE 'new%%' AND last_ip LIKE '192.0.2.%%' AND strpos(last_ip, '/') = 0 "
            "AND born = date '1990-06-15') FROM visits").fetchone()
    return {"pending_after": pending, "new_untouched": untouched,
            "new_expected": rows // 10}


def _check_deliveries(seeded: dict) -> dict:
    """Only the old finished rows are gone: the old unfinished and the new ones are
    all there, unchanged."""
    left = _count_deliveries()
    return {"pending_after": left["old_finished"], "new_untouched": left["new"],
            "new_expected": seeded["new"], "old_unfinished_kept": left["old_unfinished"],
            "old_unfinished_expected": seeded["old_unfinished"]}


def _report(name: str, f: dict, rows: int) -> bool:
    met = (f["rows"] == rows and f["pending_after"] == 0 and f["second_run_rows"] == 0
           and f["new_untouched"] == f["new_expected"] and f["seconds"] < TARGET_S
           and f.get("old_unfinished_kept") == f.get("old_unfinished_expected"))
    print(f"{name}: {f['rows']:,} rows in {f['seconds']:.1f} s ({f['rows_per_s']:,} rows/s, "
          f"{f['batches']} batches, {'SQL' if f['set_based'] else 'Python'}); "
          f"second run {f['second_run_rows']} rows in {f['second_run_seconds']:.1f} s; "
          f"pending after {f['pending_after']}, new rows untouched "
          f"{f['new_untouched']:,}/{f['new_expected']:,}{_unfinished(f)} -> "
          f"{'met' if met else 'NOT met'} (< {TARGET_S:.0f} s)")
    return met


def _unfinished(f: dict) -> str:
    if "old_unfinished_kept" not in f:
        return ""
    return (f", old pending or in flight kept {f['old_unfinished_kept']:,}/"
            f"{f['old_unfinished_expected']:,}")


if __name__ == "__main__":
    sys.exit(main())
