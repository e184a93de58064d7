"""Thin tasks of "download my data": build the file and mail its link, expire old ones."""

from django.db import InterfaceError, OperationalError

from common.tasks import pinned_task
from preferences.privacy import exports


@pinned_task("preferences.export_build", formerly=("preferences.tasks.build_export",),
             ignore_result=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError, InterfaceError, OSError), retry_backoff=5,
             max_retries=5, time_limit=600, soft_time_limit=570)
def export_build(*, export_id: int) -> str:
    return exports.export_build(export_id=export_id)


@pinned_task("preferences.exports_expire", formerly=("preferences.tasks.expire_exports",),
             ignore_result=True, time_limit=120, soft_time_limit=110)
def exports_expire() -> int:
    return exports.exports_expire()
