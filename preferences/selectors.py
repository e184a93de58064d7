"""Reads of preferences."""

import uuid
from itertools import groupby

from django.db.models import Q
from django.utils import timezone

from preferences.crypto import email_digest
from preferences.models import ConsentEvent, Subject, Subscription, Suppression, Topic

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
    return list(subject.consent_events.select_related("topic").order_by("-occurred_at", "-id")
                [:limit])


def consent_allowed(*, topic: Topic, recipients: list[str]) -> list[str]:
    """Of `recipients` (emails or subject ids), those that may be sent `topic` now:
    subscribed (or a pause that has ended), no global opt-out, not suppressed.

    Two indexed queries however many recipients; returns them as given, in order.
    """
    by_digest: dict[str, list[str]] = {}
    by_id: dict[str, list[str]] = {}
    for recipient in recipients:
        if "@" in recipient:
            by_digest.setdefault(email_digest(recipient), []).append(recipient)
        else:
            try:
                key = uuid.UUID(recipient).hex
            except ValueError:
                continue  # not an id of ours: never allowed
            by_id.setdefault(key, []).append(recipient)
    if not by_digest and not by_id:
        return []

    now = timezone.now()
    sendable = Q(status=Status.SUBSCRIBED) | Q(status=Status.PAUSED, paused_until__lte=now)
    match = Q()
    if by_digest:
        match |= Q(subject__email_digest__in=list(by_digest))
    if by_id:
        match |= Q(subject__public_id__in=[uuid.UUID(k) for k in by_id])
    rows = (
        Subscription.objects.filter(sendable, match, topic=topic,
                                    subject__unsubscribed_all=False)
        .values_list("subject__public_id", "subject__email_digest")
    )
    rows = list(rows)
    suppressed = set(
        Suppression.objects.filter(email_digest__in=[d for _, d in rows if d])
        .values_list("email_digest", flat=True)
    )
    allowed: set[str] = set()
    for public_id, digest in rows:
        if digest and digest in suppressed:
            continue
        allowed.update(by_id.get(public_id.hex, ()))
        if digest:
            allowed.update(by_digest.get(digest, ()))
    return [r for r in recipients if r in allowed]
