"""Thin tasks of imports: run one from its checkpoint, queue again the ones that stopped."""

from django.db import InterfaceError, OperationalError

from common.tasks import pinned_task
from preferences.imports import services


# Late ack and reject-on-lost: a killed worker's message goes back to the queue, and the
# run continues from the last committed batch. A lost database connection is retried.
@pinned_task("preferences.import_run", ignore_result=True, acks_late=True,
             reject_on_worker_lost=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=2, max_retries=10)
def import_run(import_id: int) -> str:
    return services.import_run(job_id=import_id).status


@pinned_task("preferences.imports_sweep", ignore_result=True, time_limit=60,
             soft_time_limit=50)
def imports_sweep() -> int:
    return services.imports_sweep()
