"""Reads of preferences."""

import uuid
from itertools import groupby

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from preferences import jurisdictions
from preferences.crypto import email_digest, email_digests
from preferences.models import (
    ConsentEvent,
    Purpose,
    PurposeConsent,
    Subject,
    Subscription,
    Suppression,
    Topic,
)

Status = Subscription.Status


def subject_by_public_id(public_id: uuid.UUID) -> Subject | None:
    return Subject.objects.filter(public_id=public_id).first()


def subject_by_email(email: str) -> Subject | None:
    return Subject.objects.filter(email_digest=email_digest(email)).first()


def subject_subscriptions(subject: Subject) -> dict[str, Subscription]:
    return {s.topic.slug: s for s in subject.subscriptions.select_related("topic")}


def subscription_states(subject: Subject) -> dict[str, dict]:
    """Every topic's state for one subject, as the API shows it."""
    now = timezone.now()
    return {
        slug: {"status": sub.effective_status(now), "paused_until": sub.paused_until
               if sub.effective_status(now) == Status.PAUSED else None}
        for slug, sub in subject_subscriptions(subject).items()
    }


def topics_by_channel(subject: Subject) -> list[tuple[str, list[dict]]]:
    """Every topic grouped by channel, with this subject's state: the preference center."""
    now = timezone.now()
    subs = subject_subscriptions(subject)
    rows = []
    for topic in Topic.objects.all():
        sub = subs.get(topic.slug)
        status = sub.effective_status(now) if sub else Status.UNSUBSCRIBED
        rows.append({
            "topic": topic,
            "status": status,
            "paused_until": sub.paused_until if status == Status.PAUSED else None,
        })
    channels = dict(Topic.Channel.choices)
    return [(channels.get(channel, channel), list(items))
            for channel, items in groupby(rows, key=lambda r: r["topic"].channel)]


def consent_history(subject: Subject, limit: int = 100) -> list[ConsentEvent]:
    return list(subject.consent_events.select_related("topic", "purpose")
                .order_by("-occurred_at", "-id")[:limit])


def purpose_states(subject: Subject) -> list[dict]:
    """Every purpose with this subject's state: explicit choice, else the default
    for their jurisdiction (`source` "default")."""
    consents = {c.purpose_id: c for c in PurposeConsent.objects.filter(subject=subject)}
    rows = []
    for purpose in Purpose.objects.all():
        consent = consents.get(purpose.pk)
        rows.append({
            "purpose": purpose,
            "granted": consent.granted if consent else
            jurisdictions.purpose_default(purpose, subject.country),
            "source": consent.source if consent else "default",
            "version": consent.version if consent else None,
            "updated_at": consent.updated_at if consent else None,
        })
    return rows


def purpose_history(subject: Subject, limit: int = 100) -> list[ConsentEvent]:
    return list(subject.consent_events.filter(kind=ConsentEvent.Kind.PURPOSE)
                .select_related("purpose").order_by("-occurred_at", "-id")[:limit])


def purpose_allowed(*, purpose: Purpose, recipients: list[str]) -> list[str]:
    """Of `recipients` (emails or subject ids), those whose data may be used for
    `purpose` now: their choice, else their jurisdiction's default; never a subject
    still awaiting double opt-in confirmation. Returns them as given, in order."""
    emails = [r for r in recipients if "@" in r]
    digest_of = dict(zip(emails, email_digests(emails), strict=True))
    id_of = {}
    for r in recipients:
        if "@" not in r:
            try:
                id_of[r] = uuid.UUID(r)
            except ValueError:
                continue
    subjects = Subject.objects.filter(
        Q(email_digest__in=set(digest_of.values())) | Q(public_id__in=set(id_of.values())),
        pending_since__isnull=True)
    consents = dict(PurposeConsent.objects.filter(purpose=purpose, subject__in=subjects)
                    .values_list("subject_id", "granted"))
    ok_digests, ok_ids = set(), set()
    for subject in subjects.only("pk", "public_id", "email_digest", "country"):
        granted = consents.get(subject.pk)
        if granted is None:
            granted = jurisdictions.purpose_default(purpose, subject.country)
        if granted:
            ok_ids.add(subject.public_id)
            if subject.email_digest:
                ok_digests.add(subject.email_digest)
    return [r for r in recipients
            if (r in digest_of and digest_of[r] in ok_digests)
            or (r in id_of and id_of[r] in ok_ids)]


def consent_allowed(*, topic: Topic, recipients: list[str]) -> list[str]:
    """Of `recipients` (emails or subject ids), those that may be sent `topic` now:
    subscribed (or a pause that has ended), no global opt-out, not suppressed.

    One indexed query however many recipients; returns them as given, in order.
    """
    emails = [r for r in recipients if "@" in r]
    by_digest: dict[str, list[str]] = {}
    for recipient, digest in zip(emails, email_digests(emails), strict=True):
        by_digest.setdefault(digest, []).append(recipient)
    by_id: dict[str, list[str]] = {}
    for recipient in recipients:
        if "@" not in recipient:
            try:
                by_id.setdefault(uuid.UUID(recipient).hex, []).append(recipient)
            except ValueError:
                continue  # not an id of ours: never allowed
    if not by_digest and not by_id:
        return []
    allowed: set[str] = set()
    for public_id, digest in _sendable(topic, list(by_digest), list(by_id)):
        allowed.update(by_id.get(public_id.hex, ()))
        if digest:
            allowed.update(by_digest.get(digest, ()))
    return [r for r in recipients if r in allowed]


_SENDABLE_SQL = """
SELECT j.public_id, j.email_digest
FROM preferences_subject j
JOIN preferences_subscription s ON s.subject_id = j.id AND s.topic_id = %(topic)s
WHERE {match}
  AND NOT j.unsubscribed_all AND j.pending_since IS NULL
  AND (s.status = 'subscribed' OR (s.status = 'paused' AND s.paused_until <= %(now)s))
  AND NOT EXISTS (SELECT 1 FROM preferences_suppression x WHERE x.email_digest = j.email_digest)
"""


def _sendable(topic, digests: list[str], hex_ids: list[str]) -> list[tuple]:
    """(public_id, email_digest) of the matching subjects that may be sent to."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        # Each list travels as one array literal: its items are only hex digests and
        # hex uuids we made ourselves, and one parameter is far cheaper than 10,000.
        parts, params = [], {"topic": topic.pk, "now": now}
        if digests:
            parts.append(_SENDABLE_SQL.format(match="j.email_digest = ANY(%(digests)s::varchar[])"))
            params["digests"] = "{" + ",".join(digests) + "}"
        if hex_ids:
            parts.append(_SENDABLE_SQL.format(match="j.public_id = ANY(%(ids)s::uuid[])"))
            params["ids"] = "{" + ",".join(hex_ids) + "}"
        with connection.cursor() as cursor:
            cursor.execute(" UNION ".join(parts), params)
            return cursor.fetchall()
    sendable = Q(status=Status.SUBSCRIBED) | Q(status=Status.PAUSED, paused_until__lte=now)
    match = Q(subject__email_digest__in=digests) | Q(
        subject__public_id__in=[uuid.UUID(h) for h in hex_ids])
    rows = list(Subscription.objects.filter(sendable, match, topic=topic,
                                            subject__unsubscribed_all=False,
                                            subject__pending_since__isnull=True)
                .values_list("subject__public_id", "subject__email_digest"))
    suppressed = set(Suppression.objects.filter(email_digest__in=[d for _, d in rows if d])
                     .values_list("email_digest", flat=True))
    return [(public_id, digest) for public_id, digest in rows if digest not in suppressed]


def destination_health(destination, *, window_hours: int = 24) -> dict:
    """Last success, backlog, failure rate and propagation latency (commit to 2xx)."""
    from datetime import timedelta

    from django.db.models import Count, Min, Sum

    from preferences.models import Delivery

    now = timezone.now()
    rows = Delivery.objects.filter(destination=destination)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    oldest = rows.filter(status__in=["pending", "in_flight"]).aggregate(m=Min("created_at"))["m"]
    recent = rows.filter(created_at__gte=now - timedelta(hours=window_hours))
    attempts = recent.aggregate(a=Sum("attempts"))["a"] or 0
    delivered_recent = recent.filter(status="delivered")
    delivered_n = delivered_recent.count()
    latencies = sorted(
        (d - c).total_seconds() * 1000
        for c, d in delivered_recent.values_list("created_at", "delivered_at")[:100_000]
    )

    def percentile(p):
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "last_success_at": destination.last_success_at,
        "pending": counts.get("pending", 0) + counts.get("in_flight", 0),
        "failed": counts.get("failed", 0),
        "delivered": counts.get("delivered", 0),
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        "failure_rate": round(1 - delivered_n / attempts, 4) if attempts else None,
        "latency_p50_ms": percentile(0.50),
        "latency_p95_ms": percentile(0.95),
        "paused": destination.paused_at is not None,
    }
