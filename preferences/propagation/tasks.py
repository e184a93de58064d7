"""Thin tasks of propagation: send one delivery, a batch, sweep what was left behind."""

from django.db import InterfaceError, OperationalError

from common.tasks import pinned_task
from preferences.propagation import delivery

# Late ack and reject-on-lost: a killed worker's message goes back to the queue. A
# lost database connection is retried; anything else is left to the sweeper.
DELIVERY_TASK = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True,
                 "autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 1,
                 "max_retries": 5}


@pinned_task("preferences.delivery_run", formerly=("preferences.tasks.deliver",),
             **DELIVERY_TASK, time_limit=40, soft_time_limit=30)
def delivery_run(delivery_id: int, probe: bool = False) -> str:
    return delivery.delivery_run(delivery_id=delivery_id, probe=probe)


@pinned_task("preferences.deliveries_run", formerly=("preferences.tasks.deliver_batch",),
             **DELIVERY_TASK, time_limit=120, soft_time_limit=110)
def deliveries_run(delivery_ids: list[int]) -> list[str]:
    """Deliveries committed together, in id order (what the web relay publishes)."""
    return [delivery.delivery_run(delivery_id=delivery_id) for delivery_id in delivery_ids]


@pinned_task("preferences.deliveries_sweep", formerly=("preferences.tasks.sweep_deliveries",),
             ignore_result=True, time_limit=60, soft_time_limit=50)
def deliveries_sweep() -> dict:
    return delivery.deliveries_sweep()
