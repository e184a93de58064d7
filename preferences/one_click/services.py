"""Applying the opt-out journal to the database, in the order it was written."""

import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import DatabaseError, connection, transaction

import audit
from preferences import services
from preferences.models import JournaledOptOut, Source, Subscription
from preferences.one_click import journal

log = logging.getLogger(__name__)
Outcome = JournaledOptOut.Outcome


def journal_replay() -> dict[str, int]:
    """Apply every waiting entry of this host's journal, oldest first, then delete its
    file. Raises DatabaseError while the database is still away (nothing is lost:
    the files stay). Returns what the entries did; {} if another process is at it."""
    with journal.replaying() as base:
        if base is None:
            return {}
        journal.rotate(base)
        done: Counter = Counter()
        for path in journal.pending_files(base):
            for entry in journal.read(path):
                done[journal_entry_apply(entry=entry)] += 1
            journal.remove(path)
    if done:
        audit.record(actor=audit.SYSTEM, action="one_click.journal_replayed",
                     details=dict(done))
    return dict(done)


def journal_entry_apply(*, entry: journal.Entry) -> str:
    """Apply one entry, once: its key is recorded in the same transaction."""
    with transaction.atomic():
        record, created = JournaledOptOut.objects.get_or_create(
            key=entry.key, defaults={"accepted_at": entry.accepted_at,
                                     "outcome": Outcome.APPLIED})
        if not created:
            return "already applied"
        later = Subscription.objects.filter(
            subject__public_id=entry.subject_id, topic__slug=entry.topic_slug,
            updated_at__gt=entry.accepted_at).exists()
        if later:
            outcome = Outcome.SUPERSEDED
        else:
            try:
                _, changed = services.subscription_unsubscribe_by_token(
                    subject_id=entry.subject_id, topic_slug=entry.topic_slug,
                    source=Source.ONE_CLICK)
                outcome = Outcome.APPLIED if changed else Outcome.UNCHANGED
            except services.NotFound:
                outcome = Outcome.UNKNOWN
        if outcome != record.outcome:
            record.outcome = outcome
            record.save(update_fields=["outcome"])
    return outcome


_replayer: threading.Thread | None = None
_replayer_lock = threading.Lock()
RETRY_EVERY_S = 1.0


def journal_replay_in_background() -> None:
    """In this web process, a thread that replays the journal as soon as the database
    answers and stops once the journal is empty. One per process at most."""
    global _replayer
    if not settings.HUSH_ONE_CLICK_REPLAY_IN_WEB:
        return
    with _replayer_lock:
        if _replayer is not None and _replayer.is_alive():
            return
        _replayer = threading.Thread(target=_replay_until_empty, daemon=True,
                                     name="one-click-journal")
        _replayer.start()


def _replay_until_empty() -> None:
    try:
        while journal.has_entries():
            try:
                journal_replay()
            except DatabaseError:
                log.info("one-click journal: database still away; retrying in %ss",
                         RETRY_EVERY_S)
            finally:
                connection.close()  # this thread's own connection
            if journal.has_entries():
                time.sleep(RETRY_EVERY_S)
    except Exception:
        log.exception("one-click journal: replay stopped; beat and the next POST restart it")
