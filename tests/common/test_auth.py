"""API keys and scopes, the same on every operation: no key or a bad one answers 401,
a key without the operation's scope 403, before anything else is looked at."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from preferences.models import ApiKey
from tests.common.api import (
    ALL_SCOPES,
    IDS,
    OPERATIONS,
    SUBJECT,
    call,
    error_of,
    state,
)


def client_with(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_each_operation_with_a_key_holding_its_scope(api, alice, operation):
    assert call(api(operation[2]), operation, alice).status_code == 200


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_401_without_a_key(api, alice, operation):
    before = state()
    response = call(api(), operation, alice)
    error_of(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"
    assert state() == before


@pytest.mark.parametrize("header", [
    "Api-Key nonsense",
    "Api-Key abcdefgh.0123456789abcdef0123456789abcdef",
])
@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_401_for_a_key_it_does_not_know(alice, operation, header):
    before = state()
    error_of(call(client_with(header), operation, alice), 401, "authentication_failed")
    assert state() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_401_for_a_key_sent_another_way(make_key, alice, operation):
    key = make_key(*ALL_SCOPES)
    for header in (f"Bearer {key}", f"Token {key}", key, "Api-Key "):
        error_of(call(client_with(header), operation, alice), 401, "not_authenticated")


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_401_for_a_revoked_key(make_key, alice, operation):
    key = make_key(*ALL_SCOPES)
    ApiKey.objects.update(revoked=True)
    before = state()
    error_of(call(client_with(f"Api-Key {key}"), operation, alice), 401,
             "authentication_failed")
    assert state() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_401_for_an_expired_key(make_key, alice, operation):
    key = make_key(*ALL_SCOPES)
    ApiKey.objects.update(expiry_date=timezone.now() - timedelta(seconds=1))
    before = state()
    error_of(call(client_with(f"Api-Key {key}"), operation, alice), 401,
             "authentication_failed")
    assert state() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_403_for_a_key_holding_every_other_scope(api, alice, operation):
    others = [scope for scope in ALL_SCOPES if scope != operation[2]]
    before = state()
    response = call(api(*others), operation, alice)
    assert operation[2] in error_of(response, 403, "permission_denied")["message"]
    assert state() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_403_for_a_key_without_scopes(api, make_key, alice, operation):
    key = make_key()
    error_of(call(client_with(f"Api-Key {key}"), operation, alice), 403, "permission_denied")


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_checks_the_key_before_the_request(api, alice, operation):
    # An unknown subject or a bad body still answers 401 / 403 first: the answer
    # never depends on data the key may not see.
    garbage = {"unexpected": True}
    subject = type("Nobody", (), {"public_id": "00000000-0000-4000-8000-00000000dead"})
    error_of(call(api(), operation, subject, garbage), 401, "not_authenticated")
    others = [scope for scope in ALL_SCOPES if scope != operation[2]]
    error_of(call(api(*others), operation, subject, garbage), 403, "permission_denied")


def test_a_key_works_again_for_nothing_once_revoked(make_key, alice):
    key = make_key("subjects:read")
    client = client_with(f"Api-Key {key}")
    path = f"/api/v1/subjects/{alice.public_id}"
    assert client.get(path).status_code == 200
    ApiKey.objects.update(revoked=True)
    error_of(client.get(path), 401, "authentication_failed")


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_it_answers_405_to_a_method_the_operation_lacks(api, alice, operation):
    _, path, scope, _ = operation
    before = state()
    response = api(scope).delete(path.replace(SUBJECT, str(alice.public_id)))
    error_of(response, 405, "method_not_allowed")
    assert state() == before
