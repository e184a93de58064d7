"""Thin tasks: they take ids or keys and call a service."""

from celery import shared_task

# --- retention ------------------------------------------------------------------


@shared_task(ignore_result=True, acks_late=True, time_limit=6 * 3600,
             soft_time_limit=6 * 3600 - 60)
def retention_purge() -> dict:
    """The periodic run (CELERY_BEAT_SCHEDULE, every HUSH_RETENTION_INTERVAL s).
    A run cut short is simply continued by the next: rows are picked while pending."""
    from anonymizer.retention import retention_run_once

    return retention_run_once()
