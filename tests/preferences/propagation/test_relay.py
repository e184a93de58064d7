"""The web process's outbox relay: ids in, one deliveries_run message per batch out."""

import time

import pytest

from config.celery import app as celery_app
from preferences.propagation import relay
from preferences.propagation.tasks import deliveries_run


@pytest.fixture
def published(monkeypatch):
    sent: list[list[int]] = []
    monkeypatch.setattr(deliveries_run, "delay", lambda ids: sent.append(ids))
    celery_app.conf.task_always_eager = False  # the autouse fixture puts it back
    return sent


def test_it_publishes_ids_submitted_together_as_one_sorted_batch(published):
    relay.relay_submit([5, 3])
    relay.relay_submit([4])
    deadline = time.monotonic() + 2
    while not published and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(relay.LINGER * 2)
    assert sorted(i for batch in published for i in batch) == [3, 4, 5]
    assert all(batch == sorted(batch) for batch in published)
    assert len(published) < 3  # gathered, not one message per id


def test_what_waits_at_exit_is_published(published):
    relay._ids.put([9, 7])
    relay._flush()
    assert published == [[7, 9]]
