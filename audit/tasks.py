from celery import shared_task

from audit.services import chain_seal


@shared_task(ignore_result=True)
def seal_audit_trail() -> int:
    return chain_seal()
