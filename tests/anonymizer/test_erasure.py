"""Erasure, in-process: the plan, each step, idempotency, a fault and its retries,
verification, the report, and what alice and bob see afterwards."""

import json

import pytest
from django.db import OperationalError
from django.db import connection as db
from django.utils import timezone

import audit
from anonymizer import catalog, erasure
from anonymizer.erasure import erasure_open, targets
from anonymizer.erasure.selectors import erasure_report
from anonymizer.models import ErasureRequest, ErasureStep
from audit.models import AuditEvent
from common.crypto import email_digest
from preferences import selectors, services
from preferences.models import (
    ConsentEvent,
    Delivery,
    Subject,
    Subscription,
    Suppression,
)
from preferences.propagation.delivery import deliveries_sweep, delivery_run

ALICE_EMAIL = "alice@example.com"


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.HUSH_ERASURE_BACKOFF_BASE = 0.0001
    settings.HUSH_ERASURE_BACKOFF_CAP = 0.001
    settings.HUSH_ERASURE_POLL = 0


@pytest.fixture
def people(webhook, newsletter, offers, alice, bob):
    """alice and bob, each with subscriptions, consent history and deliveries."""
    for subject in (alice, bob):
        services.subscription_set(subject=subject, topic=offers, status="unsubscribed",
                                  source="api", actor=audit.SYSTEM)
    for delivery_id in Delivery.objects.order_by("pk").values_list("pk", flat=True):
        delivery_run(delivery_id=delivery_id)  # what the worker did meanwhile
    assert not Delivery.objects.exclude(status="delivered").exists()
    return alice, bob


def erase(alice, *, actor=None):
    return erasure_open(public_id=alice.public_id, source="preference_center",
                                    actor=actor or alice)


def drive(request, capture, *, rounds=30, time_passes=False) -> ErasureRequest:
    """Run the request as the worker and beat would: its task, then sweeps, with
    every after-commit callback (the queued tasks) run in-process. `time_passes`
    ends every backoff before each sweep."""
    with capture(execute=True):
        erasure.erasure_run(request_id=request.pk)
    before = None
    for _ in range(rounds):
        request.refresh_from_db()
        now = (request.status, list(request.steps.order_by("pk").values_list("status",
                                                                             "attempts")))
        if request.status in ("done", "failed") and now == before:
            break  # settled
        before = now
        if time_passes:
            request.steps.filter(status="pending").update(next_attempt_at=timezone.now())
        with capture(execute=True):
            deliveries_sweep()  # beat runs both sweepers
            erasure.erasure_sweep()
    request.refresh_from_db()
    return request


def state_of(subject) -> tuple:
    """Everything Hush holds for one subject."""
    subject = Subject.objects.get(pk=subject.pk)
    return (
        (subject.email, subject.email_digest, subject.external_id, subject.locale,
         subject.country, subject.unsubscribed_all),
        sorted(Subscription.objects.filter(subject=subject).values_list("topic_id", "status")),
        ConsentEvent.objects.filter(subject=subject).count(),
        sorted(json.dumps(p, sort_keys=True) for p in Delivery.objects.filter(
            subject_key=str(subject.public_id)).values_list("payload", flat=True)),
    )


def catalogued_values():
    """Every value of every catalogued field of Hush's models, read back through the
    ORM (so encrypted ones decrypted): independent of the erasure's own verification."""
    for entry in catalog.entries():
        if entry.external:
            continue
        names = [f.name for f in entry.fields
                 if not (f.erase is None and f.name == entry.subject)]  # the suppression digest
        for name in names:
            for value in entry.model._base_manager.values_list(name, flat=True):
                yield entry.key, name, value


def holding(identifiers) -> list:
    return [(key, name) for key, name, value in catalogued_values()
            if value is not None and any(i.lower() in json.dumps(value, default=str).lower()
                                         for i in identifiers)]


# --- the plan ---------------------------------------------------------------------------

def test_it_plans_one_step_per_catalog_entry_and_destination(people, webhook,
                                                           django_capture_on_commit_callbacks):
    alice, _ = people
    request = erase(alice)
    assert erasure.erasure_plan(request_id=request.pk)
    assert not erasure.erasure_plan(request_id=request.pk)  # planned once
    request.refresh_from_db()
    assert request.status == "running" and request.started_at
    steps = dict(request.steps.values_list("target", "phase"))
    linked = {e.key for e in catalog.entries() if e.subject is not None and (
        e.erase_rows or any(f.erase for f in e.fields))}
    assert set(steps) == {f"destination:{webhook.pk}"} | linked | {"preferences.subject"}
    assert {"preferences.subscription", "preferences.consentevent",
            "preferences.delivery"} <= set(steps)
    assert "preferences.suppression" not in steps  # kept on purpose
    assert steps["preferences.subject"] == max(steps.values())  # the subject row last
    assert steps["preferences.delivery"] > steps[f"destination:{webhook.pk}"]
    # the subject.erased event went to the outbox, with the plan
    step = request.steps.get(target=f"destination:{webhook.pk}")
    assert Delivery.objects.get(pk=step.delivery_id).event_type == "subject.erased"
    # the email is kept for verification, encrypted
    with db.cursor() as cursor:
        cursor.execute("SELECT identifiers FROM anonymizer_erasurerequest WHERE id = %s",
                       [request.pk])
        stored = cursor.fetchone()[0]
    assert stored and "alice" not in stored
    assert json.loads(request.identifiers)["email"] == ALICE_EMAIL
    started = AuditEvent.objects.get(action="erasure.started")
    assert started.details["steps"] == len(steps)


def test_the_request_names_who_asked(alice, make_key):
    from preferences.models import ApiKey

    request = erase(alice)
    assert (request.requested_by_type, request.requested_by_id) == (
        "subject", str(alice.public_id))
    make_key("erasure")
    key = ApiKey.objects.get()
    staff = erasure.erasure_request_for(actor=key, source="api", email="bob@example.org")
    assert (staff.requested_by_type, staff.requested_by_id) == ("api_key", key.prefix)


# --- the whole run ----------------------------------------------------------------------

def test_it_erases_alice_everywhere_and_leaves_bob_alone(
        people, receiver, newsletter, django_capture_on_commit_callbacks):
    alice, bob = people
    digest, bob_before = alice.email_digest, state_of(bob)
    assert holding([ALICE_EMAIL, digest, "alice-1"])  # there is something to erase

    request = drive(erase(alice), django_capture_on_commit_callbacks)

    assert request.status == "done", erasure_report(request)
    subject = Subject.objects.get(pk=alice.pk)
    assert (subject.email, subject.email_digest, subject.external_id) == (None, None, None)
    assert (subject.locale, subject.country) == ("", "")
    assert subject.public_id == alice.public_id  # the opaque id and the request remain
    assert not Subscription.objects.filter(subject=alice).exists()
    assert not ConsentEvent.objects.filter(subject=alice).exists()
    assert Suppression.objects.get(email_digest=digest).reason == "erased"
    # afterwards no catalogued field anywhere holds alice's identifiers
    assert holding([ALICE_EMAIL, digest, "alice-1"]) == []
    assert request.verification["clean"] is True and request.verification["found"] == []
    assert request.identifiers is None  # destroyed after verification
    # the address is never mailed again, by email or by id
    assert selectors.consent_allowed(topic=newsletter,
                                     recipients=[ALICE_EMAIL, str(alice.public_id)]) == []
    assert selectors.consent_allowed(topic=newsletter, recipients=["bob@example.org"]) == [
        "bob@example.org"]
    assert state_of(bob) == bob_before
    # the destination was told
    erased = [r["body"] for r in receiver.received if r["body"]["type"] == "subject.erased"]
    assert [e["subject"]["id"] for e in erased] == [str(alice.public_id)]
    # and everything is on record, without personal data
    actions = list(AuditEvent.objects.filter(target_type="anonymizer.erasurerequest")
                   .values_list("action", flat=True).order_by("id"))
    assert actions == ["erasure.requested", "erasure.started", "erasure.completed"]


def test_the_report_says_what_was_erased_where_and_when_without_pii(
        people, django_capture_on_commit_callbacks):
    alice, _ = people
    events = ConsentEvent.objects.filter(subject=alice).count()
    request = drive(erase(alice), django_capture_on_commit_callbacks)
    report = erasure_report(request)
    assert report["id"] == str(request.key) and report["subject"] == str(alice.public_id)
    assert report["status"] == "done"
    assert report["progress"] == {"done": len(report["steps"]), "total": len(report["steps"]),
                                  "failed": 0}
    by_target = {s["target"]: s for s in report["steps"]}
    assert by_target["preferences.subscription"]["rows"] == 2
    assert by_target["preferences.consentevent"]["rows"] == events == 3
    assert by_target["preferences.subject"]["fields"][:3] == ["email", "email_digest",
                                                              "external_id"]
    assert "payload" in by_target["preferences.delivery"]["fields"]
    assert all(s["finished_at"] for s in report["steps"])
    text = json.dumps(report, default=str)
    for secret in (ALICE_EMAIL, "alice-1", email_digest(ALICE_EMAIL)):
        assert secret not in text


# --- idempotency --------------------------------------------------------------------------

def test_running_a_step_twice_changes_nothing_more(people, django_capture_on_commit_callbacks):
    alice, bob = people
    request = erase(alice)
    erasure.erasure_plan(request_id=request.pk)
    step = request.steps.get(target="preferences.delivery")
    request.steps.exclude(phase=2).exclude(target="preferences.subject").update(status="done")
    assert erasure.erasure_step_run(step_id=step.pk) == "done"
    after_once = (state_of(alice), state_of(bob))
    step.refresh_from_db()
    assert step.rows_affected > 0 and step.fields_changed == ["payload"]

    assert erasure.erasure_step_run(step_id=step.pk) == "skipped"  # done is done
    # and even forced to run again, the transforms find nothing left to change
    ErasureStep.objects.filter(pk=step.pk).update(status="pending")
    assert erasure.erasure_step_run(step_id=step.pk) == "done"
    step.refresh_from_db()
    assert (step.rows_affected, step.fields_changed) == (0, [])
    assert (state_of(alice), state_of(bob)) == after_once


def test_a_later_phase_waits_for_the_earlier_ones(people):
    alice, _ = people
    request = erase(alice)
    erasure.erasure_plan(request_id=request.pk)
    last = request.steps.get(target="preferences.subject")
    assert erasure.erasure_step_run(step_id=last.pk) == "skipped"
    assert Subject.objects.get(pk=alice.pk).email == ALICE_EMAIL


# --- faults -----------------------------------------------------------------------------

def _failing(monkeypatch, key, times):
    """Make one catalog entry's step raise `times` times, then work."""
    original, calls = targets.erase_entry, {"n": 0}

    def flaky(entry, ids):
        if entry.key == key and calls["n"] < times:
            calls["n"] += 1
            raise OperationalError("could not reach alice@example.com's row")
        return original(entry, ids)

    monkeypatch.setattr(targets, "erase_entry", flaky)
    return calls


def test_a_failing_step_is_retried_with_backoff_and_the_request_completes(
        people, monkeypatch, settings, django_capture_on_commit_callbacks):
    alice, bob = people
    settings.HUSH_ERASURE_BACKOFF_BASE, settings.HUSH_ERASURE_BACKOFF_CAP = 20, 300
    calls = _failing(monkeypatch, "preferences.consentevent", times=2)
    request = erase(alice)
    with django_capture_on_commit_callbacks(execute=True):
        erasure.erasure_run(request_id=request.pk)
    step = request.steps.get(target="preferences.consentevent")
    # the request shows the failed attempt while it waits to retry
    assert (step.status, step.attempts, step.last_error) == ("pending", 1, "OperationalError")
    first_wait = (step.next_attempt_at - timezone.now()).total_seconds()
    assert 9 < first_wait <= 20  # half fixed, half jitter
    with django_capture_on_commit_callbacks(execute=True):
        erasure.erasure_sweep()  # not due yet: nothing runs
    assert ErasureStep.objects.get(pk=step.pk).attempts == 1
    request.refresh_from_db()
    assert request.status == "running"
    report = erasure_report(request)
    assert report["progress"]["done"] < report["progress"]["total"]
    assert "alice@" not in json.dumps(report, default=str)

    request = drive(request, django_capture_on_commit_callbacks, time_passes=True)
    assert calls["n"] == 2
    step.refresh_from_db()
    assert (step.status, step.attempts, step.last_error) == ("done", 3, "")
    assert request.status == "done"
    assert not ConsentEvent.objects.filter(subject=alice).exists()
    assert ConsentEvent.objects.filter(subject=bob).exists()
    assert holding([ALICE_EMAIL, "alice-1"]) == []


def test_a_step_out_of_attempts_fails_the_request_until_staff_retry(
        people, monkeypatch, settings, django_capture_on_commit_callbacks):
    alice, _ = people
    settings.HUSH_ERASURE_MAX_ATTEMPTS = 2
    _failing(monkeypatch, "preferences.subscription", times=2)
    request = drive(erase(alice), django_capture_on_commit_callbacks)
    assert request.status == "failed"
    step = request.steps.get(target="preferences.subscription")
    assert (step.status, step.attempts) == ("failed", 2)
    assert request.steps.get(target="preferences.subject").status == "pending"  # waits
    assert Subject.objects.get(pk=alice.pk).email == ALICE_EMAIL
    failed = AuditEvent.objects.get(action="erasure.step_failed")
    assert failed.details == {"step": "preferences.subscription", "attempts": 2,
                              "error": "OperationalError"}

    staff = _staff()
    with django_capture_on_commit_callbacks(execute=True):
        assert erasure.erasure_retry(request_id=request.pk, actor=staff) == 1
    request = drive(request, django_capture_on_commit_callbacks)
    assert request.status == "done"
    assert AuditEvent.objects.get(action="erasure.retried").details == {"steps": 1}
    assert Subject.objects.get(pk=alice.pk).email is None


def _staff():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("privacy", password="x" * 16, is_staff=True)


def test_a_dead_letter_fails_the_destination_step_and_a_retry_sends_it_again(
        people, receiver, settings, django_capture_on_commit_callbacks):
    alice, _ = people
    settings.HUSH_DELIVERY_MAX_ATTEMPTS = 1
    receiver.status = 400  # refused: a dead letter at once
    request = drive(erase(alice), django_capture_on_commit_callbacks)
    assert request.status == "failed"
    step = request.steps.get(target__startswith="destination:")
    assert step.status == "failed" and "dead letter" in step.last_error
    assert Subject.objects.get(pk=alice.pk).email == ALICE_EMAIL  # not before they are told

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        erasure.erasure_retry(request_id=request.pk, actor=_staff())
    request = drive(request, django_capture_on_commit_callbacks)
    assert request.status == "done"
    assert any(r["body"]["type"] == "subject.erased" for r in receiver.received)


def test_verification_reports_an_identifier_left_behind(
        people, monkeypatch, django_capture_on_commit_callbacks):
    alice, _ = people
    original = targets.erase_entry
    monkeypatch.setattr(targets, "erase_entry", lambda entry, ids: (0, []) if
                        entry.key == "preferences.delivery" else original(entry, ids))
    request = drive(erase(alice), django_capture_on_commit_callbacks)
    assert request.status == "failed"
    found = {(f["entry"], f["field"], f["identifier"]) for f in request.verification["found"]}
    assert ("preferences.delivery", "payload", "external_id") in found
    assert "alice-1" not in json.dumps(request.verification)

    monkeypatch.setattr(targets, "erase_entry", original)
    with django_capture_on_commit_callbacks(execute=True):
        assert erasure.erasure_retry(request_id=request.pk, actor=_staff()) > 1
    request = drive(request, django_capture_on_commit_callbacks)
    assert request.status == "done" and request.verification["clean"]


def test_the_sweeper_takes_back_a_step_whose_worker_died(
        people, django_capture_on_commit_callbacks):
    from datetime import timedelta

    alice, _ = people
    request = erase(alice)
    with django_capture_on_commit_callbacks(execute=True):
        erasure.erasure_plan(request_id=request.pk)
    step = request.steps.get(target="preferences.subscription")
    ErasureStep.objects.filter(pk=step.pk).update(
        status="running", attempts=1, lease_until=timezone.now() - timedelta(seconds=1))
    request = drive(request, django_capture_on_commit_callbacks)
    assert request.status == "done"
    step.refresh_from_db()
    assert (step.status, step.attempts) == ("done", 2)


# --- asking by address -------------------------------------------------------------------

def test_an_unknown_address_is_handled_like_a_known_one(
        people, django_capture_on_commit_callbacks):
    alice, _ = people
    with django_capture_on_commit_callbacks(execute=False):
        known = erasure.erasure_request_for(actor=audit.SYSTEM, source="staff",
                                            email="ALICE@example.com")
        unknown = erasure.erasure_request_for(actor=audit.SYSTEM, source="staff",
                                              email="stranger@example.net")
        again = erasure.erasure_request_for(actor=audit.SYSTEM, source="staff",
                                            email="stranger@example.net")
    assert known.subject_public_id == alice.public_id
    assert again.pk == unknown.pk  # an open request is found again, as for alice
    assert not Subject.objects.filter(public_id=unknown.subject_public_id).exists()
    unknown = drive(unknown, django_capture_on_commit_callbacks)
    known = drive(known, django_capture_on_commit_callbacks)
    assert unknown.status == known.status == "done"
    # the same steps, as a caller without subjects:read sees them
    shape = [(s["target"], s["status"]) for s in erasure_report(known, details=False)["steps"]]
    assert shape == [(s["target"], s["status"])
                     for s in erasure_report(unknown, details=False)["steps"]]
    assert unknown.steps.get(target__startswith="destination:").delivery_id is None
    assert Suppression.objects.filter(email_digest=email_digest("stranger@example.net"),
                                      reason="erased").exists()
    with pytest.raises(erasure.NotFound):
        erasure.erasure_request_for(actor=audit.SYSTEM, source="staff",
                                    public_id="00000000-0000-4000-8000-000000000000")


def test_a_request_is_queued_only_after_commit(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = erase(alice)
    assert request.status == "pending" and len(callbacks) == 1


# --- the company's own database ------------------------------------------------------------

def test_it_erases_and_verifies_the_subject_in_the_companys_own_database(
        people, shop, shop_sql, django_capture_on_commit_callbacks):
    from anonymizer.catalog import Category, PiiField

    alice, _ = people
    shop_sql("INSERT INTO customers (email, full_name, phone, notes) VALUES "
             "('Alice@Example.com', 'Alice Liddell', '+44 20 7946 0001', %s), "
             "('bob@example.org', 'Bob Stone', '+33 1 23 45 67 89', '{}')",
             [json.dumps({"crm": "alice-1"})])
    shop_sql("CREATE TABLE tickets (customer_ref text, body text)")
    shop_sql("INSERT INTO tickets VALUES ('alice-1', 'parcel lost'), ('bob-2', 'refund')")
    catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        fields=[PiiField("email", Category.CONTACT, erase="redact", kind="EMAIL"),
                PiiField("full_name", Category.IDENTIFIER, erase="null"),
                PiiField("phone", Category.CONTACT, erase="null"),
                PiiField("notes", Category.FREE_TEXT, erase="null")])
    catalog.register_external(
        database="shop", table="tickets", subject="customer_ref", subject_by="external_id",
        erase_rows=True, fields=[PiiField("body", Category.FREE_TEXT)])

    request = drive(erase(alice), django_capture_on_commit_callbacks)

    assert request.status == "done" and request.verification["clean"]
    assert shop_sql("SELECT email, full_name, phone, notes FROM customers ORDER BY id") == [
        ("[EMAIL]", None, None, None), ("bob@example.org", "Bob Stone", "+33 1 23 45 67 89", {})]
    assert shop_sql("SELECT customer_ref FROM tickets") == [("bob-2",)]
    steps = {s.target: s for s in request.steps.all()}
    assert steps["external:shop.customers"].rows_affected == 1
    assert steps["external:shop.tickets"].rows_affected == 1


def test_verification_looks_in_the_companys_own_database_too(
        people, shop, shop_sql, django_capture_on_commit_callbacks):
    from anonymizer.catalog import Category, PiiField

    alice, _ = people
    # a column the catalog keeps (erase=None) but which holds alice's address
    shop_sql("INSERT INTO customers (email, full_name) VALUES ('x@example.net', %s)",
             ["Alice <alice@example.com>"])
    catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        fields=[PiiField("email", Category.CONTACT, erase="null"),
                PiiField("full_name", Category.IDENTIFIER, erase=None)])
    request = drive(erase(alice), django_capture_on_commit_callbacks)
    assert request.status == "failed"
    assert request.verification["found"] == [{"entry": "external:shop.customers",
                                              "field": "full_name", "identifier": "email",
                                              "rows": 1}]


# --- the command line and the admin ----------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_command_erases_with_a_progress_line_and_reports(newsletter, offers, alice, bob):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("erasure", "request", "--email", "Alice@example.com", "--wait", stdout=out)
    lines = out.getvalue().splitlines()
    request = ErasureRequest.objects.get()
    assert lines[0] == f"erasure request {request.key} (id {request.pk})"
    total = request.steps.count()
    assert lines[-1] == f"[{'#' * 20}] {total}/{total} steps  done"
    assert Subject.objects.get(pk=alice.pk).email is None
    assert Subject.objects.get(pk=bob.pk).email == "bob@example.org"

    out = StringIO()
    call_command("erasure", "status", str(request.pk), stdout=out)
    text = out.getvalue()
    assert f"subject {alice.public_id}" in text and "verification: clean" in text
    assert "preferences.subscription" in text and "rows=2" in text
    assert "alice@" not in text and "alice-1" not in text
    out = StringIO()
    call_command("erasure", "status", str(request.key), "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "done"
    with pytest.raises(CommandError, match="nothing to retry"):
        call_command("erasure", "retry", str(request.pk))
    with pytest.raises(CommandError, match="no erasure request"):
        call_command("erasure", "status", "999999")


def test_staff_retry_failed_steps_from_the_admin(people, admin_client, admin_user, monkeypatch,
                                                 settings, django_capture_on_commit_callbacks):
    alice, _ = people
    settings.HUSH_ERASURE_MAX_ATTEMPTS = 1
    _failing(monkeypatch, "preferences.subscription", times=1)
    request = drive(erase(alice), django_capture_on_commit_callbacks)
    assert request.status == "failed"

    page = admin_client.get(f"/admin/anonymizer/erasurerequest/{request.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "preferences.subscription" in text and "OperationalError" in text
    assert ALICE_EMAIL not in text and "destroyed after verification" not in text
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/anonymizer/erasurerequest/", {
            "action": "retry_failed_steps", "_selected_action": [request.pk]})
    retried = AuditEvent.objects.get(action="erasure.retried")
    assert (retried.actor_type, retried.actor_id) == ("user", str(admin_user.pk))
    request = drive(request, django_capture_on_commit_callbacks)
    assert request.status == "done"
    assert admin_client.get("/admin/anonymizer/erasurerequest/add/").status_code == 403


def test_a_transform_in_python_runs_once_per_value(people):
    from anonymizer.catalog import Category, PiiField

    alice, bob = people
    catalog.register(Delivery, subject="subject_key", fields=[
        PiiField("payload", Category.IDENTIFIER, erase="redact"),
        PiiField("last_error", Category.FREE_TEXT, erase="pseudonymise"),
        PiiField("key", Category.IDENTIFIER, erase=None)])
    Delivery.objects.filter(subject=alice).update(last_error="refused: alice@example.com")
    Delivery.objects.filter(subject=bob).update(last_error="refused: bob@example.org")
    entry = catalog.entry("preferences.delivery")
    ids = {"public_id": str(alice.public_id)}
    rows = Delivery.objects.filter(subject=alice).count()
    assert targets.erase_entry(entry, ids) == (rows, ["payload", "last_error"])
    pseudonyms = set(Delivery.objects.filter(subject=alice).values_list("last_error", flat=True))
    assert len(pseudonyms) == 1 and pseudonyms.pop().startswith("pseu_")
    assert targets.erase_entry(entry, ids) == (0, [])  # nothing more to change
    assert set(Delivery.objects.filter(subject=bob).values_list("last_error", flat=True)) == {
        "refused: bob@example.org"}
