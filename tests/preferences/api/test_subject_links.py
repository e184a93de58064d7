"""GET /api/v1/subjects/<id>/links?topic=SLUG: links and headers for an email."""

import json
import uuid
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from preferences.models import Subscription
from tests.common.api import error_of, state


def url(subject_id):
    return f"/api/v1/subjects/{subject_id}/links"


@pytest.fixture
def reader(api):
    return api("subjects:read")


@pytest.fixture
def frozen_clock(monkeypatch):
    """Signed tokens carry a timestamp: fix it so two ways of making links agree."""
    monkeypatch.setattr("django.core.signing.time.time", lambda: 1_800_000_000)


def test_it_answers_the_same_as_manage_py_links(reader, alice, frozen_clock):
    response = reader.get(url(alice.public_id), {"topic": "offers"})
    assert response.status_code == 200
    out = StringIO()
    call_command("links", "alice@example.com", "--topic", "offers", "--json", stdout=out)
    assert response.json() == json.loads(out.getvalue())


def test_it_answers_links_and_headers(reader, alice, settings):
    settings.HUSH_UNSUBSCRIBE_MAILTO = "unsubscribe@mail.example.com"
    body = reader.get(url(alice.public_id), {"topic": "offers"}).json()
    assert set(body) == {"preferences_url", "unsubscribe_url", "headers"}
    assert body["preferences_url"].startswith(settings.HUSH_BASE_URL + "/p/")
    assert body["unsubscribe_url"].startswith(settings.HUSH_BASE_URL + "/u/")
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = body["headers"]["List-Unsubscribe"].split(", ")
    assert https == f"<{body['unsubscribe_url']}>"
    assert mailto.startswith("<mailto:") and mailto.endswith(">")
    assert "alice" not in json.dumps(body)  # tokens carry an opaque id, never the address


def test_the_unsubscribe_link_unsubscribes_from_that_topic_only(reader, client, alice, offers,
                                                                newsletter):
    body = reader.get(url(alice.public_id), {"topic": "offers"}).json()
    response = client.post(urlsplit(body["unsubscribe_url"]).path,
                           "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Subscription.objects.get(subject=alice, topic=offers).status == "unsubscribed"
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"


def test_the_preferences_link_opens_the_preference_center(reader, client, alice):
    body = reader.get(url(alice.public_id), {"topic": "offers"}).json()
    assert client.get(urlsplit(body["preferences_url"]).path).status_code == 200


def test_it_answers_links_for_a_topic_the_subject_never_had(reader, alice, sms_alerts):
    assert reader.get(url(alice.public_id), {"topic": "sms-alerts"}).status_code == 200


def test_asking_for_links_changes_nothing(reader, alice):
    before = state()
    reader.get(url(alice.public_id), {"topic": "offers"})
    assert state() == before


@pytest.mark.parametrize("query", [{}, {"topic": ""}, {"topic": "not a slug"},
                                   {"topic": "a\x00b"}, {"topic": "x" * 65}])
def test_it_needs_a_topic_slug(reader, alice, query):
    response = reader.get(url(alice.public_id), query)
    assert list(error_of(response, 400, "invalid")["fields"]) == ["topic"]


def test_it_answers_404_for_no_such_topic(reader, alice):
    error_of(reader.get(url(alice.public_id), {"topic": "nope"}), 404, "not_found")


@pytest.mark.parametrize("subject_id", [uuid.uuid4(), "not-a-uuid"])
def test_it_answers_404_for_no_such_subject(reader, alice, subject_id):
    error_of(reader.get(url(subject_id), {"topic": "offers"}), 404, "not_found")


def test_it_requires_an_api_key(api, alice):
    error_of(api().get(url(alice.public_id), {"topic": "offers"}), 401, "not_authenticated")


@pytest.mark.parametrize("scopes", [("subjects:write",), ("consent:check",),
                                    ("subjects:write", "consent:check")])
def test_it_requires_the_subjects_read_scope(api, alice, scopes):
    response = api(*scopes).get(url(alice.public_id), {"topic": "offers"})
    assert "subjects:read" in error_of(response, 403, "permission_denied")["message"]
    assert "/u/" not in response.content.decode()
