"""Reads of subjects, their subscriptions and history, and the consent check."""

import uuid
from itertools import groupby

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from common.crypto import email_digest, email_digests
from preferences.models import (
    ConsentEvent,
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


def topics_of(brand=None):
    """The topics a page for `brand` shows: its own; the default brand's page also those
    that belong to no brand. No brand given: every topic."""
    topics = Topic.objects.select_related("brand")
    if brand is None:
        return topics
    if not brand.is_default:
        return topics.filter(brand=brand)
    return topics.filter(Q(brand__isnull=True) | Q(brand=brand)) if brand.pk else topics.filter(
        brand__isnull=True)


def topics_by_channel(subject: Subject, brand=None) -> list[tuple[str, list[dict]]]:
    """Every topic grouped by channel, with this subject's state: the preference center."""
    now = timezone.now()
    subs = subject_subscriptions(subject)
    rows = []
    for topic in topics_of(brand):
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


def unsubscribes_since(when) -> int:
    """Consent events that took someone off a topic, or off everything, since `when`."""
    left = (Q(new_status=Status.UNSUBSCRIBED, kind=ConsentEvent.Kind.SUBSCRIPTION)
            | Q(kind=ConsentEvent.Kind.UNSUBSCRIBE_ALL))
    return ConsentEvent.objects.filter(left, occurred_at__gte=when).count()
