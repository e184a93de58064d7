"""The erasure ledger: what was erased (and suppressed), kept outside Hush's own
database, so that restoring a backup cannot bring an erased person back: `manage.py
erasure replay` reads it and applies every entry again.

`HUSH_ERASURE_LEDGER` names a directory (one small JSON file per entry, written to a
temporary name, synced and renamed, so an entry is whole or absent) or a PostgreSQL
URL (a table `hush_erasure_ledger` in a database that is not Hush's). An entry holds
only opaque facts: the subject's opaque id, the keyed email digest, the catalog
entries erased (or the suppression reason) and when. Never an address.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings
from django.utils import timezone
from psycopg.types.json import Jsonb

ERASURE, SUPPRESSION = "erasure", "suppression"
UNSUPPRESSION = "unsuppression"  # a person lifted their own unsubscribe-from-everything
TABLE = """CREATE TABLE IF NOT EXISTS hush_erasure_ledger (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    at timestamptz NOT NULL,
    record jsonb NOT NULL
)"""


class LedgerNotConfigured(Exception):
    """HUSH_ERASURE_LEDGER is not set."""


def configured() -> bool:
    return bool(settings.HUSH_ERASURE_LEDGER)


def _is_url(target: str) -> bool:
    return target.startswith(("postgres://", "postgresql://"))


def ledger_append(*, kind: str, record: dict, at: datetime | None = None) -> bool:
    """Add one entry; False when no ledger is configured. Raises if it cannot be
    written, so the caller's transaction (and the erasure's completion) is retried."""
    target = settings.HUSH_ERASURE_LEDGER
    if not target:
        return False
    at = at or timezone.now()
    entry = {"kind": kind, "at": at.isoformat(), **record}
    if _is_url(target):
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(TABLE)
            conn.execute("INSERT INTO hush_erasure_ledger (kind, at, record) VALUES (%s, %s, %s)",
                         [kind, at, Jsonb(entry)])
        return True
    directory = Path(target)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{kind}-{uuid.uuid4().hex}.json"
    temporary = directory / f".{name}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(entry, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, directory / name)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # the rename itself survives a crash
    finally:
        os.close(descriptor)
    return True


def ledger_read(*, since: datetime | None = None) -> Iterator[dict]:
    """Every entry, oldest first (those at or after `since` only)."""
    target = settings.HUSH_ERASURE_LEDGER
    if not target:
        raise LedgerNotConfigured("HUSH_ERASURE_LEDGER is not set")
    if _is_url(target):
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(TABLE)
            rows = conn.execute(
                "SELECT record FROM hush_erasure_ledger WHERE %(since)s::timestamptz IS NULL "
                "OR at >= %(since)s::timestamptz ORDER BY at, id", {"since": since}).fetchall()
        yield from (row[0] for row in rows)
        return
    directory = Path(target)
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if since is None or datetime.fromisoformat(entry["at"]) >= since:
            yield entry
