"""POST /api/v1/consent/check: which recipients may be sent a topic now."""

from datetime import timedelta

import pytest
from django.utils import timezone

import audit
from common.crypto import email_digest
from preferences import services
from preferences.models import Subscription, Suppression
from tests.common.api import error_of, state

URL = "/api/v1/consent/check"


@pytest.fixture
def checker(api):
    return api("consent:check")


def allowed(client, topic, *recipients):
    response = client.post(URL, {"topic": topic, "recipients": list(recipients)}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"topic", "allowed"}
    assert body["topic"] == topic
    return body["allowed"]


def unsubscribe(subject, topic):
    services.subscription_set(subject=subject, topic=topic, status="unsubscribed",
                              source="api", actor=audit.SYSTEM)


def test_it_allows_subscribed_recipients_by_email_and_by_id(checker, alice, bob):
    recipients = ["alice@example.com", str(bob.public_id)]
    assert allowed(checker, "newsletter", *recipients) == recipients


def test_it_answers_recipients_as_given_in_order(checker, alice, bob):
    recipients = [str(bob.public_id).upper(), " Alice@Example.COM", bob.public_id.hex,
                  "alice@example.com", "alice@example.com"]
    assert allowed(checker, "offers", *recipients) == recipients


def test_it_refuses_an_unsubscribed_topic(checker, alice, offers):
    unsubscribe(alice, offers)
    assert allowed(checker, "offers", "alice@example.com", str(alice.public_id)) == []
    assert allowed(checker, "newsletter", "alice@example.com") == ["alice@example.com"]


def test_it_refuses_a_topic_never_subscribed(checker, alice, sms_alerts):
    assert allowed(checker, "sms-alerts", "alice@example.com", str(alice.public_id)) == []


def test_it_refuses_a_paused_topic(checker, alice, offers):
    services.subscription_pause(subject=alice, topic=offers, weeks=1, source="api",
                                actor=audit.SYSTEM)
    assert allowed(checker, "offers", "alice@example.com", str(alice.public_id)) == []


def test_an_ended_pause_counts_as_subscribed(checker, alice, offers):
    Subscription.objects.filter(subject=alice, topic=offers).update(
        status="paused", paused_until=timezone.now() - timedelta(seconds=1))
    assert allowed(checker, "offers", "alice@example.com") == ["alice@example.com"]


def test_it_refuses_a_global_opt_out(checker, alice, bob):
    services.subject_unsubscribe_all(subject=alice, source="api", actor=audit.SYSTEM)
    assert allowed(checker, "newsletter", "alice@example.com", str(alice.public_id),
                   "bob@example.org") == ["bob@example.org"]


@pytest.mark.parametrize("reason", ["complaint", "bounce", "manual", "erased"])
def test_it_refuses_a_suppressed_address_however_named(checker, alice, bob, reason):
    Suppression.objects.create(email_digest=email_digest("alice@example.com"), reason=reason)
    assert allowed(checker, "newsletter", "alice@example.com", str(alice.public_id),
                   str(bob.public_id)) == [str(bob.public_id)]


def test_it_refuses_unknown_and_malformed_recipients(checker, alice):
    assert allowed(checker, "newsletter", "stranger@example.com", "not-an-id", "123",
                   "@", "alice@example.com.evil") == []


def test_it_judges_an_id_by_its_own_subject(checker, alice, bob, offers):
    # alice may be sent offers, bob may not: bob's id must not borrow alice's consent
    unsubscribe(bob, offers)
    assert allowed(checker, "offers", "alice@example.com", str(bob.public_id),
                   "bob@example.org") == ["alice@example.com"]


def test_it_judges_an_email_by_its_own_subject(checker, alice, bob, offers):
    unsubscribe(alice, offers)
    assert allowed(checker, "offers", str(bob.public_id), "alice@example.com",
                   str(alice.public_id)) == [str(bob.public_id)]


def test_an_id_and_an_email_of_different_subjects_stay_apart(checker, alice, bob, offers):
    # alice's id with bob's email: each is judged on its own subject
    unsubscribe(alice, offers)
    assert allowed(checker, "offers", str(alice.public_id), "bob@example.org") == [
        "bob@example.org"]
    unsubscribe(bob, offers)
    assert allowed(checker, "offers", str(alice.public_id), "bob@example.org") == []


def test_it_allows_a_subject_known_only_by_id(checker, newsletter):
    subject, _ = services.subject_upsert(actor=audit.SYSTEM, source="import",
                                         external_id="app-9")
    assert allowed(checker, "newsletter", str(subject.public_id)) == [str(subject.public_id)]


def test_an_empty_list_allows_no_one(checker, alice):
    assert allowed(checker, "newsletter") == []


def test_it_checks_ten_thousand_recipients(checker, alice, bob):
    recipients = [f"person{i}@example.net" for i in range(9_998)]
    recipients += ["alice@example.com", str(bob.public_id)]
    assert allowed(checker, "newsletter", *recipients) == recipients[-2:]


def test_it_refuses_ten_thousand_and_one_recipients(checker, alice):
    recipients = ["alice@example.com"] * 10_001
    response = checker.post(URL, {"topic": "newsletter", "recipients": recipients},
                            format="json")
    assert list(error_of(response, 400, "invalid")["fields"]) == ["recipients"]


def test_checking_changes_nothing(checker, alice):
    before = state()
    allowed(checker, "newsletter", "alice@example.com")
    assert state() == before


def test_it_answers_404_for_no_such_topic(checker, alice):
    response = checker.post(URL, {"topic": "nope", "recipients": ["alice@example.com"]},
                            format="json")
    error_of(response, 404, "not_found")


@pytest.mark.parametrize("body", [
    {},
    {"topic": "newsletter"},
    {"recipients": ["alice@example.com"]},
    {"topic": "not a slug", "recipients": []},
    {"topic": "newsletter", "recipients": "alice@example.com"},
    {"topic": "newsletter", "recipients": [""]},
    {"topic": "newsletter", "recipients": [None]},
    {"topic": "newsletter", "recipients": ["x" * 321]},
    {"topic": "newsletter", "recipients": ["a\x00@example.com"]},
    {"topic": "newsletter", "recipients": [], "channel": "email"},
])
def test_it_refuses_malformed_requests(checker, alice, body):
    error_of(checker.post(URL, body, format="json"), 400, "invalid")


def test_it_requires_an_api_key(api, alice):
    response = api().post(URL, {"topic": "newsletter", "recipients": ["alice@example.com"]},
                          format="json")
    error_of(response, 401, "not_authenticated")


@pytest.mark.parametrize("scopes", [("subjects:read",), ("subjects:write",),
                                    ("subjects:read", "subjects:write")])
def test_it_requires_the_consent_check_scope(api, alice, scopes):
    response = api(*scopes).post(URL, {"topic": "newsletter",
                                       "recipients": ["alice@example.com"]}, format="json")
    assert "consent:check" in error_of(response, 403, "permission_denied")["message"]
