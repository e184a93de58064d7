"""Thin tasks for mail in: apply a recorded batch, sweep what waits, poll the mailbox."""

from common.tasks import pinned_task
from preferences.inbound import imap, services


@pinned_task("preferences.inbound_events_apply", ignore_result=True, acks_late=True)
def inbound_events_apply(*, ids: list[int]):
    services.inbound_events_apply(ids=ids)


@pinned_task("preferences.inbound_events_sweep", ignore_result=True)
def inbound_events_sweep():
    services.inbound_events_sweep()


@pinned_task("preferences.inbound_imap_poll", ignore_result=True, time_limit=300,
             soft_time_limit=280)
def inbound_imap_poll():
    imap.mailbox_poll()
