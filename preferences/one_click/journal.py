"""The opt-out journal: one-click opt-outs accepted while PostgreSQL could not be
reached, kept on the web host's disk until they are applied.

One file, `live.jsonl`, that every web process of the host appends to: one JSON line
per opt-out, written and fsynced under an exclusive lock before the 200 goes out.
A replay first moves it to `replaying/<ns>.jsonl` (new opt-outs then start a new
live file), applies the moved files oldest first, deletes each once all of its
entries are in the database, and `replaying/` once it is empty: so "anything
waiting?" is two `stat` calls, cheap enough for every POST. A line cut short by a
crash was never answered 200: it is skipped. Each entry has a key, recorded with its
effect in the database, so a file replayed twice (a crash between applying and
deleting) applies nothing twice.

Only what the signed token proves is written (the subject's opaque id and the topic
slug), never an address; a feedback reason sent during an outage is not kept.
"""

import contextlib
import fcntl
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

LIVE = "live.jsonl"
LOCK = "replay.lock"
REPLAYING = "replaying"


@dataclass(frozen=True)
class Entry:
    key: uuid.UUID
    subject_id: uuid.UUID
    topic_slug: str
    accepted_at: datetime


def folder() -> Path:
    return Path(settings.HUSH_ONE_CLICK_JOURNAL)


def append(*, subject_id: uuid.UUID, topic_slug: str) -> Entry:
    """Write one opt-out durably (fsync) and return it; raises OSError if it could not."""
    entry = Entry(key=uuid.uuid4(), subject_id=subject_id, topic_slug=topic_slug,
                  accepted_at=timezone.now())
    line = json.dumps({"key": entry.key.hex, "subject": entry.subject_id.hex,
                       "topic": entry.topic_slug,
                       "at": entry.accepted_at.isoformat()}).encode() + b"\n"
    base = folder()
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = base / LIVE
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not _still_live(fd, path):
                continue  # a replay renamed it while we waited for the lock
            created = os.fstat(fd).st_size == 0
            os.write(fd, line)
            os.fsync(fd)
            if created:
                _sync_folder(base)  # the new file's name must survive a crash too
            return entry
        finally:
            os.close(fd)  # also releases the lock


def _still_live(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _sync_folder(base: Path) -> None:
    fd = os.open(base, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def has_entries() -> bool:
    """Anything waiting? (Two stat calls: cheap enough for every POST.)"""
    base = folder()
    return os.path.exists(base / LIVE) or os.path.exists(base / REPLAYING)


@contextlib.contextmanager
def replaying():
    """The host's replay lock, or None when another process is replaying."""
    base = folder()
    if not base.is_dir():
        yield None
        return
    fd = os.open(base / LOCK, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield base
    finally:
        os.close(fd)


def rotate(base: Path) -> None:
    """Close the live file to writers: what it holds becomes the newest replay file."""
    path = base / LIVE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # no append half done
        if _still_live(fd, path):
            (base / REPLAYING).mkdir(mode=0o700, exist_ok=True)
            os.rename(path, base / REPLAYING / f"{time.time_ns():020d}.jsonl")
            _sync_folder(base / REPLAYING)
            _sync_folder(base)
    finally:
        os.close(fd)


def pending_files(base: Path) -> list[Path]:
    """Files to replay, oldest first (their names sort by when they were moved)."""
    return sorted((base / REPLAYING).glob("*.jsonl"))


def read(path: Path) -> list[Entry]:
    entries = []
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        try:
            data = json.loads(raw)
            entries.append(Entry(key=uuid.UUID(hex=data["key"]),
                                 subject_id=uuid.UUID(hex=data["subject"]),
                                 topic_slug=data["topic"],
                                 accepted_at=datetime.fromisoformat(data["at"])))
        except (ValueError, KeyError, TypeError):
            # Cut short by a crash mid-write: it was never answered 200.
            log.warning("one-click journal: skipped unreadable line %d of %s", number, path.name)
    return entries


def remove(path: Path) -> None:
    """Delete a replayed file; `replaying/` too once it is empty. (Only the holder of
    the replay lock moves files in, so nothing arrives between the two.)"""
    path.unlink(missing_ok=True)
    _sync_folder(path.parent)
    with contextlib.suppress(OSError):  # not empty yet
        path.parent.rmdir()
        _sync_folder(path.parent.parent)
