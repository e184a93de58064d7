"""Each API key has a request budget (HUSH_API_RATE); past it every operation answers 429."""

import pytest

from common.api.auth import ApiKeyRateThrottle
from preferences.models import Subscription
from tests.common.api import IDS, OPERATIONS, call, error_of, state


@pytest.fixture(autouse=True)
def three_a_minute(monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "3/min", raising=False)


def read(client, subject):
    return client.get(f"/api/v1/subjects/{subject.public_id}")


def test_it_answers_429_past_the_rate(api, alice):
    client = api("subjects:read")
    assert [read(client, alice).status_code for _ in range(3)] == [200, 200, 200]
    response = read(client, alice)
    error = error_of(response, 429, "throttled")
    assert "throttled" in error["message"].lower()
    assert 0 < int(response["Retry-After"]) <= 60


def test_every_operation_draws_on_the_same_budget(api, alice):
    client = api("subjects:read", "subjects:write", "consent:check")
    assert read(client, alice).status_code == 200
    assert client.get(f"/api/v1/subjects/{alice.public_id}/links",
                      {"topic": "offers"}).status_code == 200
    assert client.post("/api/v1/consent/check", {"topic": "offers", "recipients": []},
                       format="json").status_code == 200
    response = client.post("/api/v1/subjects", {"email": "carol@example.net"}, format="json")
    error_of(response, 429, "throttled")


def test_a_throttled_request_changes_nothing(api, alice, offers):
    client = api("subjects:write")
    path = f"/api/v1/subjects/{alice.public_id}/subscriptions"

    def change(status):
        return client.patch(path, {"changes": [{"topic": "offers", "status": status}]},
                            format="json")

    assert [change("subscribed").status_code for _ in range(3)] == [200, 200, 200]
    before = state()
    error_of(change("unsubscribed"), 429, "throttled")
    assert state() == before
    assert Subscription.objects.get(subject=alice, topic=offers).status == "subscribed"


def test_each_key_has_its_own_budget(api, alice):
    first, second = api("subjects:read"), api("subjects:read")
    for _ in range(3):
        read(first, alice)
    error_of(read(first, alice), 429, "throttled")
    assert read(second, alice).status_code == 200


def test_the_budget_comes_back_after_the_window(api, alice, monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", lambda self: now[0])
    client = api("subjects:read")
    for _ in range(3):
        read(client, alice)
    error_of(read(client, alice), 429, "throttled")
    now[0] += 61
    assert read(client, alice).status_code == 200


def test_requests_without_a_valid_key_answer_401_not_429(api, alice):
    for _ in range(5):
        error_of(read(api(), alice), 401, "not_authenticated")


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_every_operation_answers_429_past_the_rate(api, alice, operation):
    client = api(operation[2])
    assert [call(client, operation, alice).status_code for _ in range(3)] == [200] * 3
    before = state()
    response = call(client, operation, alice)
    error_of(response, 429, "throttled")
    assert "Retry-After" in response
    assert state() == before
