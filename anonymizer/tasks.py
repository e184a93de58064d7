"""Thin tasks: they take ids or keys and call a service."""

from django.db import InterfaceError, OperationalError

from anonymizer import erasure, retention
from common.tasks import pinned_task


@pinned_task("anonymizer.retention_run", formerly=("anonymizer.tasks.retention_purge",),
             ignore_result=True, acks_late=True, time_limit=6 * 3600,
             soft_time_limit=6 * 3600 - 60)
def retention_run() -> dict:
    """The periodic run (CELERY_BEAT_SCHEDULE, every HUSH_RETENTION_INTERVAL s).
    A run cut short is simply continued by the next: rows are picked while pending."""
    return retention.retention_run_once()


# Late ack and reject-on-lost: a killed worker's message goes back to the queue; the
# step's lease and the sweeper cover a message that is lost all the same.
ERASURE_TASK = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True,
                "autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 1,
                "max_retries": 5}


@pinned_task("anonymizer.erasure_run", formerly=("anonymizer.tasks.erasure_run",),
             **ERASURE_TASK, time_limit=120, soft_time_limit=110)
def erasure_run(request_id: int) -> str:
    return erasure.erasure_run(request_id=request_id)


@pinned_task("anonymizer.erasure_step_run", formerly=("anonymizer.tasks.erasure_step",),
             **ERASURE_TASK, time_limit=300, soft_time_limit=290)
def erasure_step_run(step_id: int) -> str:
    return erasure.erasure_step_run(step_id=step_id)


@pinned_task("anonymizer.erasures_sweep", formerly=("anonymizer.tasks.sweep_erasures",),
             ignore_result=True, time_limit=60, soft_time_limit=50)
def erasures_sweep() -> dict:
    return erasure.erasure_sweep()
