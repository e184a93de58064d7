"""Thin tasks of double opt-in: send the confirmation mail, purge what was never confirmed."""

from common.crypto import decrypt
from common.tasks import pinned_task
from preferences.signup import services


@pinned_task("preferences.signup_receive", ignore_result=True)
def signup_receive(*, sealed_email: str, topics: list[str], locale: str | None = None):
    """The address travels encrypted with the field keys (the broker never sees it)."""
    services.signup_receive(email=decrypt(sealed_email), topics=topics, locale=locale)


@pinned_task("preferences.confirmation_send", formerly=("preferences.tasks.send_confirmation",),
             ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def confirmation_send(*, subject_id: str, topics: list[str]):
    services.confirmation_send(subject_id=subject_id, topics=topics)


@pinned_task("preferences.unconfirmed_purge", formerly=("preferences.tasks.purge_unconfirmed",),
             ignore_result=True, time_limit=300, soft_time_limit=280)
def unconfirmed_purge() -> dict:
    return services.unconfirmed_purge()
