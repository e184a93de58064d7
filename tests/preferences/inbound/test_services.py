"""The one service: what each signal changes, once, with its ConsentEvent, audit event
and outbox rows; and what it never changes or keeps."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

import audit
from audit.models import AuditEvent
from common.crypto import email_digest
from preferences import selectors, services
from preferences.inbound import counters
from preferences.inbound.services import (
    event_key,
    inbound_events_sweep,
    message_record,
    signals_record,
)
from preferences.inbound.signals import Kind, Signal
from preferences.models import (
    ConsentEvent,
    DailyCount,
    Delivery,
    InboundEvent,
    Subject,
    Subscription,
    Suppression,
)
from tests.preferences.inbound import samples

pytestmark = pytest.mark.django_db


def allowed(topic, *recipients):
    return selectors.consent_allowed(topic=topic, recipients=list(recipients))


def ignored_today(channel):
    return sum(DailyCount.objects.filter(name=counters.ignored_name(channel))
               .values_list("count", flat=True))


def test_a_mailto_unsubscribes_like_one_click_with_source_mailto(alice, newsletter, offers,
                                                                 token_for, webhook):
    message_record(raw=samples.mailto(token_for(alice, newsletter)), channel="pipe")
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"
    assert Subscription.objects.get(subject=alice, topic=offers).status == "subscribed"
    event = ConsentEvent.objects.get(subject=alice, topic=newsletter, new_status="unsubscribed")
    assert event.source == "mailto"
    assert AuditEvent.objects.filter(action="consent.changed",
                                     details__source="mailto").count() == 1
    delivery = Delivery.objects.get(event_type="subscription.changed", subject=alice)
    assert delivery.payload["source"] == "mailto" and delivery.payload["topic"] == "newsletter"
    assert allowed(newsletter, "alice@example.com") == []


def test_the_same_message_twice_is_applied_once(alice, newsletter, token_for):
    raw = samples.mailto(token_for(alice, newsletter))
    first = message_record(raw=raw, channel="smtp")
    again = message_record(raw=raw, channel="smtp")
    assert (first.new, again.new, again.duplicate) == (1, 0, 1)
    assert ConsentEvent.objects.filter(subject=alice, source="mailto").count() == 1


def test_without_a_valid_token_nothing_changes_and_it_is_counted(alice, newsletter):
    message_record(raw=samples.mailto(None, subject="unsubscribe please"), channel="imap")
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"
    assert not InboundEvent.objects.exists() and ignored_today("imap") == 1


def test_the_dmarc_verified_sender_is_unsubscribed_from_everything_when_asked(
        alice, newsletter, settings):
    settings.HUSH_INBOUND_ACT_ON_SENDER = True
    settings.HUSH_INBOUND_AUTHSERV_ID = "mx.mail.example.com"
    raw = samples.mailto(None, subject="stop", headers=[(
        "Authentication-Results", "mx.mail.example.com; dmarc=pass header.from=example.com")])
    message_record(raw=raw, channel="smtp")
    alice.refresh_from_db()
    assert alice.unsubscribed_all
    assert ConsentEvent.objects.get(subject=alice, kind="unsubscribe_all").source == "mailto"


def test_a_complaint_suppresses_the_subject_the_token_names(alice, bob, newsletter,
                                                            list_unsubscribe, webhook):
    embedded = samples.original(to="someone-else@example.com",
                                list_unsubscribe=list_unsubscribe(alice, newsletter))
    message_record(raw=samples.arf(embedded=embedded), channel="pipe")
    assert Suppression.objects.get(email_digest=alice.email_digest).reason == "complaint"
    event = ConsentEvent.objects.get(subject=alice, kind="suppressed")
    assert (event.source, event.new_status) == ("complaint", "complaint")
    assert Delivery.objects.get(subject=alice, event_type="subject.suppressed").payload["new"] \
        == "complaint"
    assert allowed(newsletter, "alice@example.com", "bob@example.org") == ["bob@example.org"]
    assert not Suppression.objects.filter(email_digest=email_digest("someone-else@example.com"))


def test_a_suppression_holds_for_an_address_hush_does_not_know_yet(newsletter):
    message_record(raw=samples.arf(original_rcpt_to="Dora@Example.net"), channel="pipe")
    assert Suppression.objects.get(email_digest=email_digest("dora@example.net")).reason \
        == "complaint"
    entry = AuditEvent.objects.get(action="suppression.added")
    assert entry.details == {"reason": "complaint", "old": "", "source": "complaint"}
    services.subject_upsert(actor=audit.SYSTEM, source="import", email="dora@example.net",
                            subscriptions={"newsletter": True})
    assert allowed(newsletter, "dora@example.net") == []


def test_a_hard_bounce_suppresses_and_a_delay_does_not(alice, bob, newsletter):
    raw = samples.dsn([("alice@example.com", "failed", "5.1.1"),
                       ("bob@example.org", "delayed", "4.4.7")])
    message_record(raw=raw, channel="smtp")
    assert Suppression.objects.get(email_digest=alice.email_digest).reason == "bounce"
    assert ConsentEvent.objects.get(subject=alice, kind="suppressed").source == "bounce"
    assert not Suppression.objects.filter(email_digest=bob.email_digest).exists()
    assert allowed(newsletter, "bob@example.org") == ["bob@example.org"]


def test_soft_bounces_suppress_at_the_limit_within_the_window(bob, newsletter, settings):
    settings.HUSH_SOFT_BOUNCE_LIMIT, settings.HUSH_SOFT_BOUNCE_WINDOW = 3, 3600

    def soft(key, when=None):
        signals_record(channel="mailgun", signals=[
            Signal(key=key, kind=Kind.SOFT_BOUNCE, address="bob@example.org")])
        if when is not None:
            InboundEvent.objects.filter(key=event_key(key)).update(received_at=when)

    soft("old-1", timezone.now() - timedelta(hours=2))  # outside the window
    soft("a")
    soft("a")  # a retry of the same event does not count twice
    soft("b")
    assert allowed(newsletter, "bob@example.org") == ["bob@example.org"]
    soft("c")
    assert Suppression.objects.get(email_digest=bob.email_digest).reason == "bounce"


def test_a_complaint_outranks_the_subjects_own_unsubscribe_all(alice, newsletter):
    services.subject_unsubscribe_all(subject=alice, source="preference_center", actor=alice)
    message_record(raw=samples.arf(original_rcpt_to="alice@example.com"), channel="pipe")
    assert Suppression.objects.get(email_digest=alice.email_digest).reason == "complaint"
    alice.refresh_from_db()
    services.subject_resubscribe_all(subject=alice, source="preference_center", actor=alice)
    assert Suppression.objects.filter(email_digest=alice.email_digest).exists()
    assert allowed(newsletter, "alice@example.com") == []


def test_an_esp_unsubscribe_leaves_the_tagged_topic_or_everything(alice, newsletter, offers):
    signals_record(channel="sendgrid", signals=[Signal(
        key="sg-1", kind=Kind.ESP_UNSUBSCRIBE, address="alice@example.com", topic="offers")])
    assert Subscription.objects.get(subject=alice, topic=offers).status == "unsubscribed"
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"
    signals_record(channel="sendgrid", signals=[Signal(
        key="sg-2", kind=Kind.ESP_UNSUBSCRIBE, address="alice@example.com")])
    alice.refresh_from_db()
    assert alice.unsubscribed_all
    assert set(ConsentEvent.objects.filter(subject=alice).exclude(source="import")
               .values_list("source", flat=True)) == {"esp_unsubscribe"}


def test_a_large_batch_of_unsubscribes_is_recorded_then_applied_by_workers(
        settings, alice, bob, carol, newsletter, django_capture_on_commit_callbacks):
    settings.HUSH_INBOUND_INLINE_MAX = 2
    signals = [Signal(key=f"k{i}", kind=Kind.ESP_UNSUBSCRIBE, address=address)
               for i, address in enumerate(["alice@example.com", "bob@example.org",
                                            "carol@example.net"])]
    signals.append(Signal(key="bounce", kind=Kind.HARD_BOUNCE, address="gone@example.org"))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        recorded = signals_record(channel="sendgrid", signals=signals)
    # The suppression is applied before the answer; the three unsubscribes wait.
    assert (recorded.new, recorded.applied) == (4, 1)
    assert Suppression.objects.filter(email_digest=email_digest("gone@example.org")).exists()
    assert InboundEvent.objects.filter(status="pending").count() == 3
    for callback in queued:  # tasks run in-process here: what a worker would do
        callback()
    assert not InboundEvent.objects.filter(status="pending").exists()
    assert set(Subject.objects.values_list("unsubscribed_all", flat=True)) == {True}


def test_a_thousand_bounces_are_applied_before_the_answer(settings, newsletter):
    settings.HUSH_INBOUND_INLINE_MAX = 2
    signals = [Signal(key=f"k{i}", kind=Kind.HARD_BOUNCE, address=f"user{i}@example.org")
               for i in range(1000)]
    signals += signals[:10]  # the same event twice in one batch
    recorded = signals_record(channel="sendgrid", signals=signals)
    assert (recorded.new, recorded.applied) == (1000, 1000)
    assert Suppression.objects.filter(reason="bounce").count() == 1000
    assert AuditEvent.objects.filter(action="suppression.added").count() == 1000
    assert not InboundEvent.objects.filter(status="pending").exists()


def test_the_sweeper_applies_what_was_recorded_but_never_applied(
        newsletter, django_capture_on_commit_callbacks):
    InboundEvent.objects.create(key="x", channel="ses", kind="hard_bounce",
                                email_digest=email_digest("lost@example.org"),
                                received_at=timezone.now() - timedelta(minutes=5))
    InboundEvent.objects.create(key="y", channel="ses", kind="hard_bounce",
                                email_digest=email_digest("new@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_events_sweep() == 1  # the fresh one is still in a worker's hands
    assert Suppression.objects.filter(email_digest=email_digest("lost@example.org")).exists()


def test_nothing_of_the_message_is_kept_or_audited(alice, newsletter, token_for):
    message_record(raw=samples.mailto(token_for(alice, newsletter),
                                      sender="alice@example.com"), channel="smtp")
    message_record(raw=samples.dsn([("bob-x@example.org", "failed", "5.1.1")]), channel="smtp")
    for row in InboundEvent.objects.values():
        assert row["email_digest"] == "" and row["subject_public_id"] is None
    dumped = json.dumps(list(AuditEvent.objects.values("details", "target_id", "actor_id")))
    for personal in ("alice@", "bob-x", "client.example.com", "mx.example.org"):
        assert personal not in dumped
