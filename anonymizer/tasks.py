"""Thin tasks: they take ids or keys and call a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

# --- retention ------------------------------------------------------------------


@shared_task(ignore_result=True, acks_late=True, time_limit=6 * 3600,
             soft_time_limit=6 * 3600 - 60)
def retention_purge() -> dict:
    """The periodic run (CELERY_BEAT_SCHEDULE, every HUSH_RETENTION_INTERVAL s).
    A run cut short is simply continued by the next: rows are picked while pending."""
    from anonymizer.retention import retention_run_once

    return retention_run_once()


# --- erasure ---------------------------------------------------------------------------
# Late ack and reject-on-lost: a killed worker's message goes back to the queue; the
# step's lease and the sweeper cover a message that is lost all the same.
ERASURE_TASK = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True,
                "autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 1,
                "max_retries": 5}


@shared_task(**ERASURE_TASK, time_limit=120, soft_time_limit=110)
def erasure_run(request_id: int) -> str:
    from anonymizer.erasure import erasure_run as run

    return run(request_id=request_id)


@shared_task(**ERASURE_TASK, time_limit=300, soft_time_limit=290)
def erasure_step(step_id: int) -> str:
    from anonymizer.erasure import erasure_step_run

    return erasure_step_run(step_id=step_id)


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def sweep_erasures() -> dict:
    from anonymizer.erasure import erasure_sweep

    return erasure_sweep()
