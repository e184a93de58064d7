"""The Celery app: `celery -A config worker` and `celery -A config beat`."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hush")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's AppConfig.ready() imports its tasks modules (its sub-packages' too), so a
# task queued by name is registered in every process: web, worker and beat.
app.autodiscover_tasks()

# A worker process keeps its database connection from task to task, as Django
# keeps one from request to request (DATABASE_CONN_MAX_AGE). Celery's Django
# fixup would otherwise close it around every task, and each delivery would pay
# for a new PostgreSQL connection: about half of its time. As around a request,
# a connection that failed or outlived its age is dropped before and after each
# task, and CONN_HEALTH_CHECKS tests a reused one before its first query.
app.conf.CELERY_DB_REUSE_MAX = 2**31


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **kwargs):
    if sender is None or getattr(sender.request, "is_eager", False):
        return  # in-process (eager) tasks share the caller's connection
    from django.db import close_old_connections

    close_old_connections()


def _closed_redis_transport_is_a_connection_error() -> None:
    """Keep the worker alive through a Redis restart.

    When the broker connection drops, Celery closes it twice; by the second time
    kombu has already detached the transport, and the Redis channel, still asked
    to hand back its unacknowledged messages, fails with an AttributeError
    ('NoneType' object has no attribute 'hostname') that nothing expects, and the
    worker exits ("Unrecoverable error") instead of reconnecting (Celery 5.7,
    kombu 5.7). Reported as what it is, a connection error, it is ignored like
    the others and the worker reconnects. The messages it could not hand back are
    queued again by the sweeper.
    """
    try:
        from kombu.transport import redis as kombu_redis
        from redis.exceptions import ConnectionError as RedisConnectionError
    except ImportError:  # no Redis client: another broker
        return
    original = kombu_redis.Channel._connparams

    def _connparams(self, *args, **kwargs):
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection is already closed")
        return original(self, *args, **kwargs)

    kombu_redis.Channel._connparams = _connparams


_closed_redis_transport_is_a_connection_error()
