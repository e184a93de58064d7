"""Celery tasks by name: registered under a pinned name, queued by that name.

A service never imports a task: it names it (`task_send_on_commit("preferences.
confirmation_send", ...)`), so the module that does the work and the one that
queues it never import each other, and a task keeps its name when code moves.
"""

from celery import current_app, shared_task
from django.db import transaction


def pinned_task(name: str, *, formerly: tuple[str, ...] = (), **options):
    """Register a task under `name`, and under each of its `formerly` names too, so
    messages already in a broker when it was renamed still find it."""

    def register(function):
        task = shared_task(name=name, **options)(function)
        for old_name in formerly:
            shared_task(name=old_name, **options)(function)
        return task

    return register


def task_send(name: str, /, *args, **kwargs) -> None:
    """Queue the task registered as `name` now (in-process when tasks run eagerly)."""
    current_app.tasks[name].delay(*args, **kwargs)


def task_send_on_commit(name: str, /, *args, **kwargs) -> None:
    """Queue the task once the current transaction commits (at once outside one), so a
    worker never looks for a row that is not there yet."""
    transaction.on_commit(lambda: task_send(name, *args, **kwargs))


def tasks_eager() -> bool:
    """Whether tasks run in-process (the embedded mode, and unit tests)."""
    return bool(current_app.conf.task_always_eager)
