"""What the audit trail's signed checkpoints cost: sealing and `verify_audit` over
`--events` events on PostgreSQL, with checkpoints off and on, in the same run.

Half the events are sealed with checkpoints off, half with them on (each sealing run
signs and appends one line per batch of `--batch` events); then the whole chain is
verified with checkpoints off (the walk and its hashes) and on (the walk, every
checkpoint's signature, every event held against its signed hash).

    .venv/bin/python -m bench.audit_verify                  # 200,000 events
    .venv/bin/python -m bench.audit_verify --events 50000

Bounded: at most 2,000,000 events; the bench database is dropped and created each run.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import tempfile
import time

from bench import harness


def _recreate_database() -> None:
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    harness._psql(f'DROP DATABASE IF EXISTS "{harness.DB_NAME}" WITH (FORCE)')
    harness._psql(f'CREATE DATABASE "{harness.DB_NAME}"')
    call_command("migrate", verbosity=0, interactive=False)


def _append(n: int) -> None:
    import audit

    for start in range(0, n, 1000):
        audit.record_many(actor=audit.SYSTEM, action="bench.thing",
                          items=[(f"thing:{i}", {"i": i}) for i in range(start,
                                                                         min(n, start + 1000))])


def _seal(batch: int) -> float:
    from audit.services import chain_seal

    t0 = time.perf_counter()
    chain_seal(batch=batch)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000, help="events per sealing batch")
    args = parser.parse_args()
    if not 1000 <= args.events <= 2_000_000:
        parser.error("--events must be between 1,000 and 2,000,000")

    harness.use_bench_env()
    from django.conf import settings

    from audit.selectors import chain_verify

    folder = tempfile.mkdtemp(prefix="hush-bench-checkpoints-")
    try:
        _recreate_database()
        half = args.events // 2
        settings.HUSH_AUDIT_CHECKPOINT_DIR = ""
        _append(half)
        seal_off = _seal(args.batch)
        settings.HUSH_AUDIT_CHECKPOINT_DIR = folder
        settings.HUSH_AUDIT_SIGNING_KEY = base64.b64encode(os.urandom(32)).decode()
        _append(args.events - half)
        seal_on = _seal(args.batch)

        settings.HUSH_AUDIT_CHECKPOINT_DIR = ""
        t0 = time.perf_counter()
        plain = chain_verify()
        verify_off = time.perf_counter() - t0
        settings.HUSH_AUDIT_CHECKPOINT_DIR = folder
        t0 = time.perf_counter()
        anchored = chain_verify()
        verify_on = time.perf_counter() - t0
        assert plain.ok and anchored.ok and anchored.anchored_seq == args.events, anchored
        size = sum(f.stat().st_size for f in os.scandir(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    load = os.getloadavg()[0]
    print(f"machine: {harness.machine()}; load average {load:.1f}")
    print(f"seal, checkpoints off: {half / seal_off:,.0f} events/s ({half:,} events)")
    print(f"seal, checkpoints on:  {(args.events - half) / seal_on:,.0f} events/s "
          f"({anchored.checkpoints} checkpoints, {size / 1e6:.1f} MB)")
    print(f"verify, checkpoints off: {verify_off:.2f} s ({args.events:,} events)")
    print(f"verify, checkpoints on:  {verify_on:.2f} s (x{verify_on / verify_off:.2f})")


if __name__ == "__main__":
    main()
