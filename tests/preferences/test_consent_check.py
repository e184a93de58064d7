from datetime import timedelta

from django.utils import timezone

import audit
from preferences import services
from preferences.models import Subscription, Suppression
from preferences.selectors import consent_allowed


def test_it_allows_subscribed_recipients_by_email_or_id(alice, bob, newsletter):
    recipients = ["alice@example.com", str(bob.public_id), "stranger@example.com"]
    assert consent_allowed(topic=newsletter, recipients=recipients) == recipients[:2]


def test_addresses_are_matched_normalised(alice, newsletter):
    assert consent_allowed(topic=newsletter, recipients=[" ALICE@example.com"]) == [
        " ALICE@example.com"]


def test_unsubscribed_paused_and_globally_opted_out_are_refused(alice, bob, newsletter, offers):
    services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                              source="api", actor=audit.SYSTEM)
    services.subscription_pause(subject=bob, topic=newsletter, weeks=1, source="api",
                                actor=audit.SYSTEM)
    assert consent_allowed(topic=newsletter, recipients=["alice@example.com",
                                                         "bob@example.org"]) == []
    services.subject_unsubscribe_all(subject=alice, source="api", actor=audit.SYSTEM)
    assert consent_allowed(topic=offers, recipients=["alice@example.com",
                                                     "bob@example.org"]) == ["bob@example.org"]


def test_an_ended_pause_counts_as_subscribed(bob, newsletter):
    Subscription.objects.filter(subject=bob, topic=newsletter).update(
        status="paused", paused_until=timezone.now() - timedelta(minutes=1))
    assert consent_allowed(topic=newsletter, recipients=["bob@example.org"]) == [
        "bob@example.org"]


def test_a_suppressed_address_is_refused_even_by_id(alice, newsletter):
    Suppression.objects.create(email_digest=alice.email_digest, reason="complaint")
    assert consent_allowed(topic=newsletter,
                           recipients=["alice@example.com", str(alice.public_id)]) == []


def test_garbage_recipients_are_simply_not_allowed(alice, newsletter):
    assert consent_allowed(topic=newsletter, recipients=["", "not-an-id", "123"]) == []
