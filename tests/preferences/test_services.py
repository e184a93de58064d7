from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

import audit
from audit.models import AuditEvent
from common.crypto import email_digest
from preferences import services
from preferences.models import ConsentEvent, Subject, Subscription


def test_upsert_creates_a_subject_with_default_topics(newsletter, offers):
    subject, created = services.subject_upsert(actor=audit.SYSTEM, source="api",
                                               email="New@Example.com", country="de")
    assert created
    assert subject.email == "new@example.com"
    assert subject.email_digest == email_digest("new@example.com")
    assert subject.country == "DE"
    states = dict(subject.subscriptions.values_list("topic__slug", "status"))
    assert states == {"newsletter": "subscribed"}  # offers is not a default topic


def test_upsert_finds_by_email_or_external_id(alice, offers):
    again, created = services.subject_upsert(actor=audit.SYSTEM, source="api",
                                             email="ALICE@example.com", locale="fr")
    assert not created and again.pk == alice.pk and again.locale == "fr"
    by_external, created = services.subject_upsert(actor=audit.SYSTEM, source="api",
                                                   external_id="alice-1",
                                                   subscriptions={"offers": False})
    assert not created and by_external.pk == alice.pk
    assert Subscription.objects.get(subject=alice, topic=offers).status == "unsubscribed"


def test_upsert_refuses_an_email_and_external_id_of_two_subjects(alice, bob):
    with pytest.raises(services.Conflict):
        services.subject_upsert(actor=audit.SYSTEM, source="api", email="alice@example.com",
                                external_id="bob-2")


def test_upsert_refuses_unknown_topics_and_changes_nothing(newsletter):
    with pytest.raises(services.NotFound):
        services.subject_upsert(actor=audit.SYSTEM, source="api", email="x@example.com",
                                subscriptions={"nope": True})
    assert not Subject.objects.exists()


def test_upsert_refuses_a_bad_address(db):
    with pytest.raises(ValueError):
        services.subject_upsert(actor=audit.SYSTEM, source="api", email="not an address")


def test_the_email_is_encrypted_at_rest(alice):
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM preferences_subject WHERE id = %s", [alice.pk])
        stored = cursor.fetchone()[0]
    assert "alice" not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert Subject.objects.get(pk=alice.pk).email == "alice@example.com"


def test_every_change_appends_a_consent_event_and_an_audit_event(alice, newsletter):
    before_consent, before_audit = ConsentEvent.objects.count(), AuditEvent.objects.count()
    assert services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                                     source="staff", actor=audit.SYSTEM)
    event = ConsentEvent.objects.latest("id")
    assert (event.old_status, event.new_status, event.source) == ("subscribed", "unsubscribed",
                                                                  "staff")
    assert ConsentEvent.objects.count() == before_consent + 1
    record = AuditEvent.objects.latest("id")
    assert AuditEvent.objects.count() == before_audit + 1
    assert record.action == "consent.changed"
    assert record.target_id == str(alice.public_id)
    assert record.details == {"kind": "subscription", "old": "subscribed",
                              "new": "unsubscribed", "source": "staff", "topic": "newsletter"}


def test_setting_the_same_state_changes_nothing(alice, newsletter):
    before = ConsentEvent.objects.count()
    assert not services.subscription_set(subject=alice, topic=newsletter, status="subscribed",
                                         source="api", actor=audit.SYSTEM)
    assert ConsentEvent.objects.count() == before


@pytest.mark.parametrize("kwargs", [
    {"status": "paused"},
    {"status": "subscribed", "paused_until": timezone.now() + timedelta(days=1)},
    {"status": "paused", "paused_until": timezone.now() - timedelta(days=1)},
    {"status": "maybe"},
])
def test_it_refuses_inconsistent_states(alice, newsletter, kwargs):
    with pytest.raises(ValueError):
        services.subscription_set(subject=alice, topic=newsletter, source="api",
                                  actor=audit.SYSTEM, **kwargs)
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"


def test_a_failure_inside_the_transaction_leaves_nothing_behind(alice, newsletter, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("audit.services.audit_records", broken)  # every audit write ends here
    with pytest.raises(RuntimeError):
        services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                                  source="api", actor=audit.SYSTEM)
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"
    assert not ConsentEvent.objects.filter(source="api").exists()


def test_consent_events_cannot_be_edited(alice):
    event = ConsentEvent.objects.filter(subject=alice).first()
    event.source = "staff"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        ConsentEvent.objects.update(source="staff")
