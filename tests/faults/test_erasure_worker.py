"""Erasure on a real worker (prefork, two processes) with beat running the sweepers,
on Redis and PostgreSQL: a request completes, and one whose worker is killed in the
middle of a step still completes once a worker is back."""

import psycopg
import pytest
from django.db import connection

from anonymizer.erasure import erasure_open
from anonymizer.models import ErasureRequest, ErasureStep
from common.crypto import email_digest
from preferences import selectors
from preferences.models import ConsentEvent, Subject, Subscription, Suppression
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.faults

# Erasure timings squeezed to seconds, on top of the propagation ones.
ERASURE_ENV = {
    "HUSH_ERASURE_LEASE": "3",
    "HUSH_ERASURE_REQUEUE_AFTER": "2",
    "HUSH_ERASURE_BACKOFF_BASE_MS": "200",
    "HUSH_ERASURE_BACKOFF_CAP": "2",
    "HUSH_ERASURE_POLL_MS": "200",
    "HUSH_ERASURE_SWEEP_INTERVAL_MS": "500",
}


def _status(request):
    return ErasureRequest.objects.values_list("status", flat=True).get(pk=request.pk)


def _erased_everywhere(alice, bob, newsletter, receiver) -> None:
    subject = Subject.objects.get(pk=alice.pk)
    assert (subject.email, subject.email_digest, subject.external_id) == (None, None, None)
    assert not Subscription.objects.filter(subject=alice).exists()
    assert not ConsentEvent.objects.filter(subject=alice).exists()
    assert Suppression.objects.filter(email_digest=email_digest("alice@example.com"),
                                      reason="erased").exists()
    assert selectors.consent_allowed(topic=newsletter,
                                     recipients=["alice@example.com", str(alice.public_id)]) == []
    assert Subject.objects.get(pk=bob.pk).email == "bob@example.org"
    assert Subscription.objects.filter(subject=bob).count() == 2
    erased = [r["body"]["subject"]["id"] for r in receiver.received
              if r["body"]["type"] == "subject.erased"]
    assert str(alice.public_id) in erased


def test_a_request_completes_on_the_worker(celery_cluster, webhook, receiver, newsletter,
                                           alice, bob, fault_report):
    cluster = celery_cluster(**ERASURE_ENV)
    request = erasure_open(public_id=alice.public_id, source="preference_center", actor=alice)
    wait_for(lambda: _status(request) == "done", timeout=60, what="the erasure to complete")
    request.refresh_from_db()
    assert request.verification["clean"], cluster.logs()
    assert not request.steps.exclude(status="done").exists()
    _erased_everywhere(alice, bob, newsletter, receiver)
    took = (request.finished_at - request.requested_at).total_seconds()
    fault_report(f"erasure on a worker: {request.steps.count()} steps done in {took:.2f} s")


def test_a_worker_killed_mid_step_leaves_nothing_half_done(celery_cluster, webhook, receiver,
                                                           newsletter, alice, bob, fault_report):
    cluster = celery_cluster(**ERASURE_ENV)
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    # Hold alice's subscriptions locked: the worker's step blocks inside its transaction.
    with psycopg.connect(url) as blocker:
        blocker.execute("SELECT id FROM preferences_subscription WHERE subject_id = %s "
                        "FOR UPDATE", [alice.pk])
        request = erasure_open(public_id=alice.public_id, source="preference_center",
                                           actor=alice)
        step = wait_for(lambda: ErasureStep.objects.filter(
            request__pk=request.pk, target="preferences.subscription", status="running").first(),
            timeout=30, what="the subscription step to start")
        cluster.worker.kill()  # SIGKILL, mid-transaction
        blocker.rollback()
    step.refresh_from_db()
    assert step.status == "running"  # as the dead worker left it: claimed, not done
    assert Subscription.objects.filter(subject=alice).count() == 2  # rolled back, not half done
    assert _status(request) == "running"

    cluster.worker.start()
    wait_for(lambda: _status(request) == "done", timeout=60,
             what="the erasure to complete after the restart")
    step.refresh_from_db()
    assert step.status == "done" and step.attempts >= 2, cluster.logs()
    request.refresh_from_db()
    assert request.verification["clean"]
    _erased_everywhere(alice, bob, newsletter, receiver)
    fault_report(f"erasure, worker killed mid-step: completed after restart, the step run "
                 f"{step.attempts} times")
