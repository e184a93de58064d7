"""Hands committed deliveries to the broker from a background thread.

Publishing a Celery message costs more CPU than the whole one-click transaction,
so a request only drops the ids in a queue. A thread per web process gathers
them for a few milliseconds and publishes one `preferences.deliveries_run` message per batch.
What a crashed process had not yet published is found by the sweeper: a delay,
never a loss.
"""

import atexit
import logging
import os
import queue
import threading
import time

from common.tasks import task_send, tasks_eager

log = logging.getLogger(__name__)
DELIVERY_TASK = "preferences.delivery_run"  # one delivery (and the embedded mode)
BATCH_TASK = "preferences.deliveries_run"  # what the relay thread publishes

LINGER = 0.05  # seconds to gather more ids before publishing a batch
MAX_BATCH = 200

_ids: queue.SimpleQueue = queue.SimpleQueue()
_lock = threading.Lock()
_owner_pid: int | None = None


def relay_submit(ids: list[int]) -> None:
    """Queue committed deliveries for publishing (call after commit)."""
    if tasks_eager():  # embedded mode: send now, in-process
        for delivery_id in ids:
            task_send(DELIVERY_TASK, delivery_id)
        return
    _ensure_thread()
    _ids.put(ids)


def _ensure_thread() -> None:
    global _owner_pid
    if _owner_pid == os.getpid():
        return
    with _lock:
        if _owner_pid != os.getpid():  # new process (gunicorn forks): its own thread
            threading.Thread(target=_run, name="hush-outbox-relay", daemon=True).start()
            atexit.register(_flush)  # a short-lived process (a command) exits soon after
            _owner_pid = os.getpid()


def _flush() -> None:
    """Publish what is still waiting when the process exits."""
    batch = []
    while True:
        try:
            batch.extend(_ids.get_nowait())
        except queue.Empty:
            break
    if batch:
        try:
            task_send(BATCH_TASK, sorted(batch))
        except Exception:
            log.warning("could not queue %d deliveries at exit; the sweeper will", len(batch))


def _run() -> None:
    while True:
        batch = list(_ids.get())
        deadline = time.monotonic() + LINGER
        while len(batch) < MAX_BATCH:
            try:
                batch.extend(_ids.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        try:
            task_send(BATCH_TASK, sorted(batch))
        except Exception:  # the broker is down: the sweeper re-queues these later
            log.warning("could not queue %d deliveries; the sweeper will", len(batch))
