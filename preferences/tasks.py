"""Thin tasks: they take ids (or a keyed digest), never an address, and call a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from preferences.delivery import deliveries_sweep, delivery_run
from preferences.services import confirmation_send, preference_link_send, unconfirmed_purge


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_preference_link(*, email_digest: str | None = None, subject_id: str | None = None):
    preference_link_send(email_digest=email_digest, subject_id=subject_id)


# Late ack and reject-on-lost: a killed worker's message goes back to the queue. A
# lost database connection is retried; anything else is left to the sweeper.
DELIVERY_TASK = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True,
                 "autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 1,
                 "max_retries": 5}


@shared_task(**DELIVERY_TASK, time_limit=40, soft_time_limit=30)
def deliver(delivery_id: int, probe: bool = False) -> str:
    return delivery_run(delivery_id=delivery_id, probe=probe)


@shared_task(**DELIVERY_TASK, time_limit=120, soft_time_limit=110)
def deliver_batch(delivery_ids: list[int]) -> list[str]:
    """Deliveries committed together, in id order (what the web relay publishes)."""
    return [delivery_run(delivery_id=delivery_id) for delivery_id in delivery_ids]


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def sweep_deliveries() -> dict:
    return deliveries_sweep()


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_confirmation(*, subject_id: str, topics: list[str]):
    confirmation_send(subject_id=subject_id, topics=topics)


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def purge_unconfirmed() -> dict:
    return unconfirmed_purge()


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError, InterfaceError, OSError), retry_backoff=5,
             max_retries=5, time_limit=600, soft_time_limit=570)
def build_export(*, export_id: int) -> str:
    from preferences.exports import export_build

    return export_build(export_id=export_id)


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=110)
def expire_exports() -> int:
    from preferences.exports import exports_expire

    return exports_expire()
