"""The life of a Delivery: claim, send, record the outcome, sweep.

pending --claim--> in_flight --2xx--> delivered
                       |--retryable, under the limits--> pending (later)
                       '--otherwise--> failed (dead letter, retryable by staff)
A lease that runs out (a killed worker) puts the row back to pending.
"""

import logging
import random
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from kombu.exceptions import ChannelError

import audit
from common.tasks import task_send
from preferences.models import Delivery, Destination
from preferences.propagation.outbox import outbox_enqueue
from preferences.propagation.relay import DELIVERY_TASK
from preferences.propagation.transport import KINDS, Outcome

Status = Delivery.Status
_OPEN = (Status.PENDING, Status.IN_FLIGHT)


def _earlier_open():
    """An earlier, unfinished delivery of the same subject to the same destination."""
    return Delivery.objects.filter(
        destination_id=OuterRef("destination_id"), subject_key=OuterRef("subject_key"),
        id__lt=OuterRef("id"), status__in=_OPEN,
    )


# The two statements every delivery runs, in plain SQL on PostgreSQL: compiling
# them with the ORM (a join to the destination, a NOT EXISTS) cost a worker more
# CPU than PostgreSQL spent running them. They do what the ORM code below them does.
_CLAIM = """
UPDATE preferences_delivery AS d
SET status = 'in_flight', attempts = d.attempts + 1, lease_until = %(lease)s
FROM preferences_destination AS t
WHERE d.id = %(id)s AND d.status = 'pending' AND d.next_attempt_at <= %(now)s
  AND t.id = d.destination_id AND t.enabled AND (%(probe)s OR t.paused_at IS NULL)
  AND NOT EXISTS (SELECT 1 FROM preferences_delivery e
                  WHERE e.destination_id = d.destination_id AND e.subject_key = d.subject_key
                    AND e.id < d.id AND e.status IN ('pending', 'in_flight'))
RETURNING d.*
"""

# Delivered, and the destination's health noted in the same statement; `healthy`
# is 0 when the destination was paused meanwhile (the caller then resumes it).
_DELIVERED = """
WITH mine AS (
    UPDATE preferences_delivery
    SET status = 'delivered', delivered_at = %(now)s, lease_until = NULL,
        last_status_code = %(code)s, last_error = ''
    WHERE id = %(id)s AND status = 'in_flight' AND attempts = %(attempts)s
    RETURNING destination_id
), health AS (
    UPDATE preferences_destination AS t
    SET last_success_at = %(now)s, consecutive_failures = 0
    FROM mine WHERE t.id = mine.destination_id AND t.paused_at IS NULL
    RETURNING t.id
)
SELECT (SELECT count(*) FROM mine), (SELECT count(*) FROM health)
"""


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Exponential with jitter (half fixed, half random); never sooner than Retry-After."""
    ceiling = min(settings.HUSH_DELIVERY_BACKOFF_CAP,
                  settings.HUSH_DELIVERY_BACKOFF_BASE * 2 ** max(0, attempts - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not secrecy
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.HUSH_DELIVERY_BACKOFF_CAP))
    return delay


def delivery_claim(*, delivery_id: int, probe: bool = False) -> Delivery | None:
    """Take the delivery for this worker, or None if it is not ours to send now
    (already taken or done, not due, behind an earlier one, or its destination
    paused). One conditional UPDATE, so two workers never send it at once."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.HUSH_DELIVERY_LEASE)
    if connection.vendor == "postgresql":
        # Claimed and read in one statement; the destination by its id (the subject
        # loads only if its email is to be sent). raw() applies the fields' converters.
        claimed = list(Delivery.objects.raw(_CLAIM, {"id": delivery_id, "now": now,
                                                      "lease": lease_until, "probe": probe}))
        if not claimed:
            return None
        delivery = claimed[0]
        delivery.destination = next(iter(Destination.objects.raw(
            "SELECT * FROM preferences_destination WHERE id = %s", [delivery.destination_id])))
        return delivery
    rows = Delivery.objects.filter(id=delivery_id, status=Status.PENDING,
                                   next_attempt_at__lte=now, destination__enabled=True)
    if not probe:
        rows = rows.filter(destination__paused_at__isnull=True)
    claimed = rows.filter(~Exists(_earlier_open())).update(
        status=Status.IN_FLIGHT, attempts=F("attempts") + 1, lease_until=lease_until,
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("destination", "subject").get(id=delivery_id)


def delivery_body(delivery: Delivery) -> dict:
    """The JSON a destination receives; the email only where it is allowed."""
    body = {**delivery.payload, "id": str(delivery.key), "sequence": delivery.id}
    subject = dict(body.get("subject", {}))
    if delivery.destination.include_email and delivery.subject is not None:
        subject["email"] = delivery.subject.email
    body["subject"] = subject
    return body


def delivery_send(delivery: Delivery) -> Outcome:
    sender = KINDS[delivery.destination.kind]
    headers = {"Hush-Delivery": str(delivery.key), "Hush-Event": delivery.event_type}
    return sender.send(delivery.destination, delivery_body(delivery), headers)


def delivery_record_outcome(*, delivery: Delivery, outcome: Outcome) -> str:
    """Move the claimed delivery on; returns its new status. Only the worker
    holding the claim (same attempt number, still in flight) can record."""
    now = timezone.now()
    mine = Delivery.objects.filter(id=delivery.id, status=Status.IN_FLIGHT,
                                   attempts=delivery.attempts)
    destination = delivery.destination
    with transaction.atomic():
        if outcome.ok and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_DELIVERED, {"id": delivery.id, "attempts": delivery.attempts,
                                            "now": now, "code": outcome.status_code})
                ours, healthy = cursor.fetchone()
            if not ours:
                return "lost-claim"
            if not healthy:  # paused meanwhile: this success resumes it
                _resume(destination, now)
            new_status = Status.DELIVERED
        elif outcome.ok:
            if not mine.update(status=Status.DELIVERED, delivered_at=now, lease_until=None,
                               last_status_code=outcome.status_code, last_error=""):
                return "lost-claim"
            _resume(destination, now)
            new_status = Status.DELIVERED
        else:
            age = (now - (delivery.retried_at or delivery.created_at)).total_seconds()
            give_up = (not outcome.retryable
                       or delivery.attempts >= settings.HUSH_DELIVERY_MAX_ATTEMPTS
                       or age >= settings.HUSH_DELIVERY_MAX_AGE)
            common = {"lease_until": None, "last_status_code": outcome.status_code,
                      "last_error": outcome.error[:300]}
            if give_up:
                updated = mine.update(status=Status.FAILED, **common)
                new_status = Status.FAILED
            else:
                delay = backoff(delivery.attempts, outcome.retry_after)
                updated = mine.update(status=Status.PENDING, queued_at=None,
                                      next_attempt_at=now + timedelta(seconds=delay), **common)
                new_status = Status.PENDING
            if not updated:
                return "lost-claim"
            _count_failure(destination)
            if give_up:
                audit.record(actor=audit.SYSTEM, action="delivery.failed", target=destination,
                             details={"delivery": str(delivery.key), "attempts": delivery.attempts,
                                      "reason": outcome.error[:100]})
    if new_status != Status.PENDING:
        transaction.on_commit(lambda: _queue_next(delivery))
    return new_status


def _resume(destination: Destination, now) -> None:
    destination_resume(destination=destination, actor=audit.SYSTEM, by="health probe")
    Destination.objects.filter(pk=destination.pk).update(
        last_success_at=now, consecutive_failures=0)


def destination_resume(*, destination: Destination, actor, by: str) -> bool:
    """Clear a destination's pause, recorded; False if it was not paused."""
    resumed = Destination.objects.filter(pk=destination.pk, paused_at__isnull=False).update(
        paused_at=None, pause_reason="", consecutive_failures=0)
    if resumed:
        audit.record(actor=actor, action="destination.resumed", target=destination,
                     details={"by": by})
    return bool(resumed)


def destination_pause(*, destination: Destination, actor, reason: str = "paused by staff") -> bool:
    """Hold a destination's deliveries (they keep queueing up) until someone resumes it.

    No probe date, so the health probe leaves it alone; False if it was paused already.
    """
    paused = Destination.objects.filter(pk=destination.pk, paused_at__isnull=True).update(
        paused_at=timezone.now(), pause_reason=reason[:200], next_probe_at=None)
    if paused:
        audit.record(actor=actor, action="destination.paused", target=destination,
                     details={"by": "staff"})
    return bool(paused)


def _count_failure(destination: Destination) -> None:
    Destination.objects.filter(pk=destination.pk).update(
        consecutive_failures=F("consecutive_failures") + 1)
    paused = Destination.objects.filter(
        pk=destination.pk, paused_at__isnull=True,
        consecutive_failures__gte=settings.HUSH_DESTINATION_PAUSE_AFTER,
    ).update(paused_at=timezone.now(), pause_reason="too many consecutive failures",
             next_probe_at=timezone.now()
             + timedelta(seconds=settings.HUSH_DESTINATION_PROBE_EVERY))
    if paused:
        audit.record(actor=audit.SYSTEM, action="destination.paused", target=destination,
                     details={"after_failures": settings.HUSH_DESTINATION_PAUSE_AFTER})


def _queue_next(delivery: Delivery) -> None:
    """Once a delivery is done, the subject's next one may go at once."""
    # Plain SQL: it runs after every delivery, and compiling the ORM query cost more
    # than running it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM preferences_delivery WHERE destination_id = %s AND subject_key = %s"
            " AND id > %s AND status = %s ORDER BY id LIMIT 1",
            [delivery.destination_id, delivery.subject_key, delivery.id, Status.PENDING.value])
        row = cursor.fetchone()
    following = row[0] if row else None
    if following is not None:
        task_send(DELIVERY_TASK, following)


def delivery_run(*, delivery_id: int, probe: bool = False) -> str:
    """What the `deliver` task does: claim, send, record."""
    delivery = delivery_claim(delivery_id=delivery_id, probe=probe)
    if delivery is None:
        return "skipped"
    return delivery_record_outcome(delivery=delivery, outcome=delivery_send(delivery))


def deliveries_sweep(*, limit: int = 2000) -> dict:
    """Re-queue what a lost message, a restarted broker or a killed worker left
    behind, and probe paused destinations. Runs every few seconds from beat."""
    now = timezone.now()
    expired = Delivery.objects.filter(status=Status.IN_FLIGHT, lease_until__lt=now).update(
        status=Status.PENDING, lease_until=None, queued_at=None)
    # Rows never queued (retries now due, expired leases) always go. A row queued a
    # while ago is presumed lost only once the queue has nearly drained: while a
    # backlog waits, its message is most likely still in it, and queueing it again
    # only lengthens the backlog (which then outlasts REQUEUE_AFTER, and so on).
    stale = now - timedelta(seconds=settings.HUSH_DELIVERY_REQUEUE_AFTER)
    lost = Q(queued_at__lt=stale) if _queue_backlog() <= QUEUE_QUIET else Q(pk__in=[])
    due = list(
        Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now,
                                destination__enabled=True, destination__paused_at__isnull=True)
        .filter(Q(queued_at__isnull=True) | lost)
        .filter(~Exists(_earlier_open()))
        .order_by("id").values_list("id", flat=True)[:limit]
    )
    if due:
        Delivery.objects.filter(id__in=due).update(queued_at=now)
        for delivery_id in due:
            task_send(DELIVERY_TASK, delivery_id)
    probes = 0
    for destination in Destination.objects.filter(enabled=True, paused_at__isnull=False,
                                                  next_probe_at__lte=now):
        # The probe is a real delivery: the oldest one that may go.
        oldest = (Delivery.objects.filter(destination=destination, status=Status.PENDING)
                  .filter(~Exists(_earlier_open())).order_by("id")
                  .values_list("id", flat=True).first())
        Destination.objects.filter(pk=destination.pk).update(
            next_probe_at=now + timedelta(seconds=settings.HUSH_DESTINATION_PROBE_EVERY))
        if oldest is not None:
            Delivery.objects.filter(id=oldest).update(next_attempt_at=now)
            task_send(DELIVERY_TASK, oldest, probe=True)
            probes += 1
    return {"expired_leases": expired, "requeued": len(due), "probes": probes}


# Messages waiting in the deliveries' queue below which the sweeper presumes that a
# row queued more than REQUEUE_AFTER ago has lost its message.
QUEUE_QUIET = 50


def _queue_backlog() -> int:
    """Messages waiting in the broker queue deliveries go to; 0 if it cannot say
    (the sweeper then re-queues as if nothing waited: duplicates, never a loss)."""
    app = current_app
    if app.conf.task_always_eager:
        return 0
    try:
        queue = app.amqp.router.route({}, DELIVERY_TASK, (), {})["queue"].name
        with app.connection_for_read() as conn:
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:  # no such queue (Redis drops an empty list): nothing waits
        return 0
    except Exception:  # a broker we cannot ask must not stop the sweep
        logging.getLogger(__name__).warning("could not read the delivery queue's length")
        return 0


def deliveries_retry(*, ids: list[int] | None = None, actor=None) -> int:
    """Put failed deliveries back in the queue (all failed ones if `ids` is None)."""
    rows = Delivery.objects.filter(status=Status.FAILED)
    if ids is not None:
        rows = rows.filter(id__in=ids)
    retried = list(rows.values_list("id", flat=True))
    if not retried:
        return 0
    with transaction.atomic():
        Delivery.objects.filter(id__in=retried, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), queued_at=None,
            retried_at=timezone.now())
        audit.record(actor=actor or audit.SYSTEM, action="delivery.retried",
                     details={"count": len(retried)})
    transaction.on_commit(lambda: outbox_enqueue(retried))
    return len(retried)
