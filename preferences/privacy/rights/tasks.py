"""Thin tasks of rights requests: they take ids and call one service."""

from common.tasks import pinned_task
from preferences.privacy.rights import mail, services

MAIL_TASK = {"ignore_result": True, "acks_late": True, "autoretry_for": (OSError,),
             "retry_backoff": 5, "max_retries": 5, "time_limit": 60, "soft_time_limit": 50}


@pinned_task("preferences.rights_verification_send", **MAIL_TASK)
def rights_verification_send(*, request_id: int) -> bool:
    return mail.rights_verification_send(request_id=request_id)


@pinned_task("preferences.rights_outcome_send", **MAIL_TASK)
def rights_outcome_send(*, request_id: int, outcome: str) -> bool:
    return mail.rights_outcome_send(request_id=request_id, outcome=outcome)


@pinned_task("preferences.rights_requests_expire", ignore_result=True, time_limit=120,
             soft_time_limit=110)
def rights_requests_expire() -> int:
    return services.rights_requests_expire()
