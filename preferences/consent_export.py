"""Everyone's current consent, for an auditor: one row per subject and topic (the
subscription), per subject and purpose (an explicit choice) and per subject that
unsubscribed from everything, each with the time and source of its last change.

Subjects are named by their opaque id; the email only when asked for (a permission of
its own, audited by the caller). Read in chunks with an iterator: streamed, never held.
"""

import csv
import json
from collections.abc import Iterator

from django.db.models import OuterRef, Subquery

from preferences.models import ConsentEvent, PurposeConsent, Subject, Subscription

COLUMNS = ("subject", "kind", "name", "state", "changed_at", "source")
CHUNK = 2000


def consent_rows(*, topic: str = "", with_email: bool = False) -> Iterator[dict]:
    """The rows, topics first (in subject order), then purposes, then global opt-outs.
    `topic` limits them to one topic's subscriptions."""
    last_source = ConsentEvent.objects.filter(
        subject=OuterRef("subject"), topic=OuterRef("topic"), kind=ConsentEvent.Kind.SUBSCRIPTION,
    ).order_by("-occurred_at", "-id").values("source")[:1]
    subscriptions = Subscription.objects.annotate(source=Subquery(last_source)).order_by(
        "subject_id", "topic__slug")
    if topic:
        subscriptions = subscriptions.filter(topic__slug=topic)
    fields = ["subject__public_id", "topic__slug", "status", "updated_at", "source"]
    for row in subscriptions.values_list(*fields, *(["subject__email"] if with_email else []))\
            .iterator(chunk_size=CHUNK):
        yield _row(row, "topic", with_email)
    if topic:
        return
    purposes = PurposeConsent.objects.order_by("subject_id", "purpose__slug").values_list(
        "subject__public_id", "purpose__slug", "granted", "updated_at", "source",
        *(["subject__email"] if with_email else []))
    for row in purposes.iterator(chunk_size=CHUNK):
        row = (row[0], row[1], "granted" if row[2] else "refused", *row[3:])
        yield _row(row, "purpose", with_email)
    last_all = ConsentEvent.objects.filter(
        subject=OuterRef("pk"), kind=ConsentEvent.Kind.UNSUBSCRIBE_ALL,
    ).order_by("-occurred_at", "-id")
    everything = Subject.objects.filter(unsubscribed_all=True).annotate(
        changed=Subquery(last_all.values("occurred_at")[:1]),
        source=Subquery(last_all.values("source")[:1])).order_by("pk").values_list(
        "public_id", "changed", "source", *(["email"] if with_email else []))
    for row in everything.iterator(chunk_size=CHUNK):
        yield _row((row[0], "everything", "unsubscribed", *row[1:]), "all", with_email)


def _row(values, kind: str, with_email: bool) -> dict:
    subject, name, state, changed_at, source = values[:5]
    row = {"subject": str(subject), "kind": kind, "name": name, "state": state,
           "changed_at": changed_at.isoformat() if changed_at else "", "source": source or ""}
    if with_email:
        row["email"] = values[5] or ""
    return row


class _Echo:
    def write(self, value):
        return value


def consent_lines(rows: Iterator[dict], *, fmt: str, with_email: bool) -> Iterator[str]:
    """The rows as CSV (with a header) or JSON lines, one string per line."""
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row) + "\n"
        return
    writer = csv.writer(_Echo())
    yield writer.writerow([*COLUMNS, *(["email"] if with_email else [])])
    for row in rows:
        yield writer.writerow(list(row.values()))
