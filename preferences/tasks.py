"""Thin tasks: they take ids (or a keyed digest), never an address, and call a service."""

from celery import shared_task

from preferences.services import preference_link_send


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_preference_link(*, email_digest: str | None = None, subject_id: str | None = None):
    preference_link_send(email_digest=email_digest, subject_id=subject_id)
