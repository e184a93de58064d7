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
