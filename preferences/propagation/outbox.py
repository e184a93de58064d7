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
    return outbox_write_many([(subject, event_type, topic, data)])


def outbox_write_many(items: list[tuple]) -> list[Delivery]:
    """`outbox_write` for many (subject, event_type, topic, data) at once: the
    destinations are looked up once per event type and topic, the rows written in one
    INSERT (a batch of suppressions from an email provider)."""
    now = timezone.now()
    wanted_by: dict[tuple, list[Destination]] = {}
    rows = []
    for subject, event_type, topic, data in items:
        key = (event_type, topic.pk if topic is not None else None)
        if key not in wanted_by:
            destinations = Destination.objects.filter(enabled=True)
            if event_type == EventType.SUBSCRIPTION_CHANGED:
                destinations = destinations.filter(Q(topics__isnull=True) | Q(topics=topic)) \
                    .distinct()
            wanted_by[key] = [d for d in destinations if d.wants(event_type)]
        if not wanted_by[key]:
            continue
        payload = {
            "type": event_type,
            "occurred_at": now.isoformat(),
            "subject": {"id": str(subject.public_id), "external_id": subject.external_id},
            **({"topic": topic.slug} if topic is not None else {}),
            **(data or {}),
        }
        rows += [Delivery(destination=d, subject=subject, subject_key=str(subject.public_id),
                          event_type=event_type, payload=payload, created_at=now, queued_at=now)
                 for d in wanted_by[key]]
    if not rows:
        return []
    deliveries = Delivery.objects.bulk_create(rows)
    ids = [d.pk for d in deliveries]
    if None in ids:  # a backend that does not return ids: the sweeper will queue them
        return deliveries
    transaction.on_commit(lambda: outbox_enqueue(ids))
    return deliveries


def outbox_enqueue(ids: list[int]) -> None:
    """Queue committed deliveries (call only after commit)."""
    relay_submit(ids)
