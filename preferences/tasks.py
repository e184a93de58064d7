"""Thin tasks: they take ids (or a keyed digest), never an address, and call a service.

Task names are pinned (`<app>.<thing>_<verb>`); each also answers to the name it had
before, so messages already queued under it still run.
"""

from common.tasks import pinned_task
from preferences import services


@pinned_task("preferences.preference_link_send",
             formerly=("preferences.tasks.send_preference_link",),
             ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def preference_link_send(*, email_digest: str | None = None, subject_id: str | None = None,
                         brand: str | None = None):
    services.preference_link_send(email_digest=email_digest, subject_id=subject_id,
                                  brand=brand)
