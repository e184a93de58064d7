"""The outbox: one Delivery row per matching destination, written inside the
transaction that makes the change, and queued only after it commits."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from preferences.models import Delivery, Destination, EventType, Subject, Topic
from preferences.propagation.relay import relay_submit


def outbox_write(*, subject: Subject, event_type: str, topic: Topic | None = None,
                 data: dict | None = None) -> list[Delivery]:
    """Must run inside the change's transaction; queues the deliveries on commit."""
    destinations = Destination.objects.filter(enabled=True)
    if event_type == EventType.SUBSCRIPTION_CHANGED:
        destinations = destinations.filter(Q(topics__isnull=True) | Q(topics=topic)).distinct()
    wanted = [d for d in destinations if d.wants(event_type)]
    if not wanted:
        return []
    now = timezone.now()
    payload = {
        "type": event_type,
        "occurred_at": now.isoformat(),
        "subject": {"id": str(subject.public_id), "external_id": subject.external_id},
        **({"topic": topic.slug} if topic is not None else {}),
        **(data or {}),
    }
    deliveries = Delivery.objects.bulk_create([
        Delivery(destination=d, subject=subject, subject_key=str(subject.public_id),
                 event_type=event_type, payload=payload, created_at=now, queued_at=now)
        for d in wanted
    ])
    ids = [d.pk for d in deliveries]
    if None in ids:  # a backend that does not return ids: the sweeper will queue them
        return deliveries
    transaction.on_commit(lambda: outbox_enqueue(ids))
    return deliveries


def outbox_enqueue(ids: list[int]) -> None:
    """Queue committed deliveries (call only after commit)."""
    relay_submit(ids)
