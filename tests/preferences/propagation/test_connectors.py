"""Each email-provider connector's contract (its docstring), against a local server on
127.0.0.1 playing the provider: the calls it makes for each event, and how success,
429 with Retry-After, 5xx, 4xx and a timeout are read."""

import base64
import hashlib
import json

import pytest

from preferences.models import Delivery, Destination
from preferences.propagation.transport import CONNECTORS
from tests.preferences.propagation.provider_server import ProviderServer

ADDRESS = "ada+news@example.com"
SUBJECT = {"id": "0f3e9a1c-1111-4c2b-9d6e-aaaaaaaaaaaa", "external_id": None, "email": ADDRESS}
OPTIONS = {
    "sendgrid": {"lists": {"newsletter": 4242}},
    "mailgun": {"domain": "mg.example.com", "lists": {"newsletter": "newsletter"}},
    "ses": {"region": "eu-west-1", "contact_list": "customers",
            "lists": {"newsletter": "Newsletter"}},
    "postmark": {"stream": "broadcast", "lists": {"newsletter": "newsletter-stream"}},
    "listmonk": {"lists": {"newsletter": 3}},
    "mailchimp": {"lists": {"newsletter": "a1b2c3d4e5"}},
}
SECRETS = {"sendgrid": "SG.key", "mailgun": "key-mg", "ses": "AKIDEXAMPLE:wJalrXUtnFEMI",
           "postmark": "server-token", "listmonk": "hush:token", "mailchimp": "mc-key-us6"}
MEMBER = hashlib.md5(ADDRESS.encode(), usedforsecurity=False).hexdigest()
ENCODED = "ada%2Bnews%40example.com"


@pytest.fixture
def provider():
    with ProviderServer() as server:
        yield server


def destination(kind, server):
    return Destination(name=kind, kind=kind, url=server.url, secret=SECRETS[kind],
                       include_email=True, options=OPTIONS[kind])


def event(kind, **data):
    return {"type": kind, "id": "d-1", "sequence": 1, "subject": dict(SUBJECT), **data}


def send(kind, server, body):
    return CONNECTORS[kind].send(destination(kind, server), body,
                                 {"Hush-Delivery": "d-1", "Hush-Event": body["type"]})


def calls(server):
    return [(c["method"], c["path"], c["body"]) for c in server.calls]


LISTMONK_FOUND = {"data": {"results": [{"id": 77, "email": ADDRESS}], "total": 1}}
LISTMONK_QUERY = ("/api/subscribers?query=subscribers.email+%3D+%27ada%2Bnews%40example.com%27"
                  "&per_page=1")

CASES = [
    ("sendgrid", event("subscription.changed", topic="newsletter", new="unsubscribed"),
     [("POST", "/v3/asm/groups/4242/suppressions", {"recipient_emails": [ADDRESS]})]),
    ("sendgrid", event("subscription.changed", topic="newsletter", new="subscribed"),
     [("DELETE", f"/v3/asm/groups/4242/suppressions/{ENCODED}", None)]),
    ("sendgrid", event("subject.suppressed", new="complaint"),
     [("POST", "/v3/asm/suppressions/global", {"recipient_emails": [ADDRESS]})]),
    ("sendgrid", event("subject.unsuppressed", new=""),
     [("DELETE", f"/v3/asm/suppressions/global/{ENCODED}", None)]),
    ("mailgun", event("subscription.changed", topic="newsletter", new="unsubscribed"),
     [("POST", "/v3/mg.example.com/unsubscribes", {"address": ADDRESS, "tag": "newsletter"})]),
    ("mailgun", event("subject.erased"),
     [("POST", "/v3/mg.example.com/unsubscribes", {"address": ADDRESS, "tag": "*"})]),
    ("mailgun", event("subject.unsuppressed"),
     [("DELETE", f"/v3/mg.example.com/unsubscribes/{ENCODED}", None)]),
    ("ses", event("subject.suppressed", new="bounce"),
     [("PUT", "/v2/email/suppression/addresses", {"EmailAddress": ADDRESS, "Reason": "BOUNCE"})]),
    ("ses", event("subject.erased"),
     [("PUT", "/v2/email/suppression/addresses", {"EmailAddress": ADDRESS,
                                                  "Reason": "COMPLAINT"}),
      ("DELETE", f"/v2/email/contact-lists/customers/contacts/{ENCODED}", None)]),
    ("ses", event("subscription.changed", topic="newsletter", new="unsubscribed"),
     [("PUT", f"/v2/email/contact-lists/customers/contacts/{ENCODED}", {"TopicPreferences": [
         {"TopicName": "Newsletter", "SubscriptionStatus": "OPT_OUT"}]})]),
    ("postmark", event("subscription.changed", topic="newsletter", new="unsubscribed"),
     [("POST", "/message-streams/newsletter-stream/suppressions",
       {"Suppressions": [{"EmailAddress": ADDRESS}]})]),
    ("postmark", event("subject.unsuppressed"),
     [("POST", "/message-streams/broadcast/suppressions/delete",
       {"Suppressions": [{"EmailAddress": ADDRESS}]}),
      ("POST", "/message-streams/newsletter-stream/suppressions/delete",
       {"Suppressions": [{"EmailAddress": ADDRESS}]})]),
    ("mailchimp", event("subscription.changed", topic="newsletter", new="unsubscribed"),
     [("PUT", f"/3.0/lists/a1b2c3d4e5/members/{MEMBER}",
       {"email_address": ADDRESS, "status_if_new": "unsubscribed", "status": "unsubscribed"})]),
    ("mailchimp", event("subject.erased"),
     [("POST", f"/3.0/lists/a1b2c3d4e5/members/{MEMBER}/actions/delete-permanent", None)]),
]


@pytest.mark.parametrize(("kind", "body", "expected"), CASES,
                         ids=[f"{k}-{b['type']}-{b.get('new', '')}" for k, b, _ in CASES])
def test_each_event_becomes_the_providers_documented_calls(provider, kind, body, expected):
    outcome = send(kind, provider, body)

    assert outcome.ok, outcome
    assert calls(provider) == expected


def test_unmapped_topics_make_no_call(provider):
    for kind in CONNECTORS:
        body = event("subscription.changed", topic="offers", new="unsubscribed")
        assert send(kind, provider, body).ok
    assert provider.calls == []


def test_sendgrid_erasure_suppresses_then_deletes_the_contact(provider):
    provider.answers[("POST", "/v3/marketing/contacts/search")] = (
        200, {"result": {ADDRESS: {"contact": {"id": "c-123", "email": ADDRESS}}}}, {}, 0)

    assert send("sendgrid", provider, event("subject.erased")).ok

    assert [(m, p) for m, p, _ in calls(provider)] == [
        ("POST", "/v3/asm/suppressions/global"), ("POST", "/v3/marketing/contacts/search/emails"),
        ("DELETE", "/v3/marketing/contacts?ids=c-123")]


def test_listmonk_looks_the_subscriber_up_first(provider):
    provider.answers[("GET", "/api/subscribers")] = (200, LISTMONK_FOUND, {}, 0)

    assert send("listmonk", provider, event("subject.suppressed", new="bounce")).ok
    assert send("listmonk", provider, event("subscription.changed", topic="newsletter",
                                            new="unsubscribed")).ok
    assert send("listmonk", provider, event("subject.erased")).ok

    assert calls(provider) == [
        ("GET", LISTMONK_QUERY, None), ("PUT", "/api/subscribers/blocklist", {"ids": [77]}),
        ("GET", LISTMONK_QUERY, None),
        ("PUT", "/api/subscribers/lists", {"ids": [77], "action": "unsubscribe",
                                           "target_list_ids": [3], "status": "confirmed"}),
        ("GET", LISTMONK_QUERY, None), ("DELETE", "/api/subscribers/77", None)]


def test_an_address_unknown_to_listmonk_needs_nothing_more(provider):
    provider.answers[("GET", "/api/subscribers")] = (200, {"data": {"results": []}}, {}, 0)
    assert send("listmonk", provider, event("subject.erased")).ok
    assert len(provider.calls) == 1


def test_ses_creates_the_contact_it_does_not_have_yet(provider):
    provider.then(404, {"message": "Contact does not exist"})
    body = event("subscription.changed", topic="newsletter", new="subscribed")

    assert send("ses", provider, body).ok

    assert [(m, p) for m, p, _ in calls(provider)] == [
        ("PUT", f"/v2/email/contact-lists/customers/contacts/{ENCODED}"),
        ("POST", "/v2/email/contact-lists/customers/contacts")]
    assert provider.calls[1]["body"]["TopicPreferences"][0]["SubscriptionStatus"] == "OPT_IN"


def _auth(kind, headers):
    if kind == "ses":
        return headers["Authorization"].startswith(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") and "/eu-west-1/ses/aws4_request" in \
            headers["Authorization"] and headers["X-Amz-Date"]
    if kind == "postmark":
        return headers["X-Postmark-Server-Token"] == "server-token"
    if kind == "sendgrid":
        return headers["Authorization"] == "Bearer SG.key"
    user = {"mailgun": "api:key-mg", "listmonk": "hush:token"}.get(kind)
    value = base64.b64decode(headers["Authorization"].removeprefix("Basic ")).decode()
    return value == user if user else value.endswith(":mc-key-us6")


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_each_call_carries_the_providers_auth_and_the_idempotency_key(provider, kind):
    provider.answers[("GET", "/api/subscribers")] = (200, LISTMONK_FOUND, {}, 0)
    assert send(kind, provider, event("subject.suppressed", new="complaint")).ok
    sent = provider.calls[-1]["headers"]
    assert _auth(kind, sent), sent
    assert sent["Idempotency-Key"] == "d-1"


def _first_call_answers(provider, kind, *answer):
    if kind == "listmonk":
        provider.then(200, LISTMONK_FOUND)
    provider.then(*answer)
    return send(kind, provider, event("subject.suppressed", new="complaint"))


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_429_is_retried_no_sooner_than_retry_after(provider, kind):
    outcome = _first_call_answers(provider, kind, 429, {"errors": ["slow down"]},
                                  {"Retry-After": "37"})
    assert (outcome.ok, outcome.retryable, outcome.status_code, outcome.retry_after) == \
        (False, True, 429, 37.0)


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_5xx_is_retried(provider, kind):
    outcome = _first_call_answers(provider, kind, 503, {"message": "unavailable"})
    assert (outcome.ok, outcome.retryable, outcome.status_code) == (False, True, 503)


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_4xx_gives_up_at_once(provider, kind):
    outcome = _first_call_answers(provider, kind, 401, {"message": "bad key"})
    assert (outcome.ok, outcome.retryable, outcome.status_code) == (False, False, 401)


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_a_timeout_is_retried(provider, kind, settings):
    settings.HUSH_DELIVERY_READ_TIMEOUT = 1
    outcome = _first_call_answers(provider, kind, 200, {}, {}, 2.5)
    assert (outcome.ok, outcome.retryable, outcome.error) == (False, True, "timeout")


def test_a_connector_without_the_address_fails_and_says_why(provider):
    body = event("subject.suppressed")
    body["subject"].pop("email")
    outcome = send("sendgrid", provider, body)
    assert (outcome.ok, outcome.retryable) == (False, False)
    assert "include_email" in outcome.error and provider.calls == []


@pytest.mark.django_db
def test_it_delivers_through_the_outbox_like_a_webhook(provider, alice, newsletter,
                                                      django_capture_on_commit_callbacks):
    """The real path: an opt-out writes the outbox row, the delivery task sends it with the
    webhook's life cycle (delivered, or a dead letter on a 4xx)."""
    from preferences.services import subject_unsubscribe_all, subscription_set

    Destination.objects.create(name="sendgrid", kind="sendgrid", url=provider.url,
                               secret="SG.key", include_email=True, options=OPTIONS["sendgrid"])
    with django_capture_on_commit_callbacks(execute=True):
        subscription_set(subject=alice, topic=newsletter, status="unsubscribed", source="api",
                         actor=alice)
    delivered = Delivery.objects.get(event_type="subscription.changed")
    assert delivered.status == "delivered"
    assert calls(provider)[-1] == ("POST", "/v3/asm/groups/4242/suppressions",
                                   {"recipient_emails": ["alice@example.com"]})

    provider.then(400, {"errors": [{"message": "invalid"}]})
    with django_capture_on_commit_callbacks(execute=True):
        subject_unsubscribe_all(subject=alice, source="api", actor=alice)
    dead = Delivery.objects.get(event_type="subject.suppressed")
    assert (dead.status, dead.last_status_code) == ("failed", 400)
    assert json.loads(json.dumps(dead.payload))["subject"].get("email") is None  # not stored


@pytest.mark.django_db
def test_the_command_adds_a_provider_with_its_key_from_the_environment(monkeypatch, newsletter):
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("SENDGRID_KEY", "SG.secret-key")
    call_command("destination", "add", "sg", "--provider", "sendgrid", "--key-env",
                 "SENDGRID_KEY", "--options", '{"lists": {"newsletter": 4242}}')

    added = Destination.objects.get(name="sg")
    assert (added.kind, added.secret, added.include_email) == ("sendgrid", "SG.secret-key", True)
    assert added.options == {"lists": {"newsletter": 4242}}
    from django.db import connection
    with connection.cursor() as cursor:  # encrypted at rest, like a webhook secret
        cursor.execute("SELECT secret FROM preferences_destination WHERE id = %s", [added.pk])
        assert "SG.secret-key" not in cursor.fetchone()[0]
    with pytest.raises(CommandError, match="key-env"):
        call_command("destination", "add", "sg2", "--provider", "mailgun")


def test_ses_signs_as_aws_documents_it():
    """AWS's worked example of Signature Version 4 (IAM ListUsers, 2015-08-30 12:36 UTC)."""
    from datetime import UTC, datetime

    from preferences.propagation.transport.ses import sigv4_headers

    signed = sigv4_headers(
        method="GET", host="iam.amazonaws.com", path="/",
        query="Action=ListUsers&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=b"", access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region="us-east-1", service="iam", now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC))

    assert signed["X-Amz-Date"] == "20150830T123600Z"
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
