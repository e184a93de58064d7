"""The attack: bad input aimed at every form and API operation. Each is a clear 4xx (JSON
on the API), changes nothing, and logs no traceback."""

import json
import logging

import pytest
from django.urls import reverse

from preferences.models import ConsentEvent, Feedback, Subscription
from preferences.tokens import make_unsubscribe_token
from tests.common.api import ALL_SCOPES, OPERATIONS, SUBJECT, error_of, state

CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]


@pytest.fixture
def no_traceback(caplog):
    caplog.set_level(logging.INFO)
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], \
        [r.getMessage() for r in caplog.records]


# --- pages -------------------------------------------------------------------------------

@pytest.mark.parametrize("char", CONTROL)
def test_a_control_character_in_the_unsubscribe_comment_is_a_400_before_anything_commits(
        client, alice, newsletter, char, no_traceback):
    url = reverse("preferences:one_click",
                  args=[make_unsubscribe_token(subject=alice, topic=newsletter)])
    response = client.post(url, {"List-Unsubscribe": "One-Click", "reason": "too_frequent",
                                 "comment": f"too much{char}mail"})
    assert response.status_code == 400
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"
    assert not Feedback.objects.exists()
    assert not ConsentEvent.objects.filter(source="one_click").exists()
    # the same post without it goes through
    fine = client.post(url, {"List-Unsubscribe": "One-Click", "reason": "too_frequent",
                             "comment": "too much\tmail\r\n"})
    assert fine.status_code == 200
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize("path,field", [("/p/", "email"), ("/s/", "email"),
                                        ("/console/login/", "username")])
def test_a_nul_in_any_public_form_is_a_400(client, db, path, field, mailoutbox, no_traceback):
    response = client.post(path, {field: "alice\x00@example.com", "password": "x"})
    assert response.status_code == 400
    assert mailoutbox == []
    assert client.get(path + "?next=%00").status_code == 400


# --- the API -------------------------------------------------------------------------------

def _strings_replaced(body, value):
    """The body with every string leaf given the bad value appended."""
    if isinstance(body, dict):
        return {k: _strings_replaced(v, value) for k, v in body.items()}
    if isinstance(body, list):
        return [_strings_replaced(v, value) for v in body]
    return body + value if isinstance(body, str) else body


BODIES = [op for op in OPERATIONS if op[3] and any(isinstance(v, str | list)
                                                   for v in op[3].values())]
EXTRA = [
    ("post", "/api/v1/events", "events:ingest",
     {"events": [{"subject": {"external_id": "alice-1"}, "purpose": "analytics"}]}),
    ("post", "/api/v1/erasures", "erasure", {"external_id": "alice-1"}),
    ("post", "/api/v1/subjects", "subjects:write", {"email": "alice@example.com",
                                                    "external_id": "alice-1"}),
]


@pytest.mark.parametrize("operation", BODIES + EXTRA,
                         ids=[f"{m.upper()} {p.replace(SUBJECT, '<id>')}"
                              for m, p, _, _ in BODIES + EXTRA])
@pytest.mark.parametrize("char", ["\x00", "\x01", "\ud800"])
def test_a_control_character_or_lone_surrogate_in_any_api_string_is_a_json_400(
        api, alice, purposes, operation, char, no_traceback):
    if operation[1] == "/api/v1/scrub" and char != "\ud800":
        pytest.skip("scrub takes any JSON (test_scrub_takes_control_characters_as_data)")
    client = api(*ALL_SCOPES)
    before = state()
    body = json.dumps(_strings_replaced(operation[3], char))  # as \u0000, \u0001, \ud800
    path = operation[1].replace(SUBJECT, str(alice.public_id))
    response = getattr(client, operation[0])(path, body, content_type="application/json")
    fields = error_of(response, 400, "invalid")["fields"]
    assert "control character" in str(fields), fields
    assert state() == before


def test_scrub_takes_control_characters_as_data(api, db):
    """Log lines carry ANSI escapes; nothing of a scrub is stored, so they are data."""
    response = api("scrub").post("/api/v1/scrub", {"events": ["\x1b[31mmail bob@example.org\x00"]},
                                 format="json")
    assert response.json() == {"events": ["\x1b[31mmail [EMAIL]\x00"]}


def test_a_control_character_in_an_api_query_is_a_json_400(api, alice, no_traceback):
    response = api("subjects:read").get(f"/api/v1/subjects/{alice.public_id}/links",
                                        {"topic": "news\x00letter"})
    error_of(response, 400, "invalid")
    # and without a key it is still a 401 first
    error_of(api().get(f"/api/v1/subjects/{alice.public_id}/links", {"topic": "\x00"}), 401,
             "not_authenticated")


@pytest.mark.parametrize("depth", [33, 900, 100_000])
def test_json_nested_too_deep_is_refused_before_it_is_walked(api, db, depth, no_traceback):
    body = '{"events": [' + '{"a": ' * depth + "1" + "}" * depth + "]}"
    response = api("scrub").post("/api/v1/scrub", body, content_type="application/json")
    assert "nested deeper than 32" in error_of(response, 400, "parse_error")["message"]


def test_brackets_inside_strings_do_not_count_as_depth(api, db):
    event = {"log": "[" * 500 + '"\\"{{{' + "}" * 40, "nested": {"a": {"b": {"c": "d"}}}}
    response = api("scrub").post("/api/v1/scrub", {"events": [event]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["events"][0]["log"] == event["log"]


def test_tab_newline_and_ordinary_text_pass(api, db):
    response = api("scrub").post("/api/v1/scrub", {"events": ["a\tb\nc\r\n é ✓ 𝄞"]},
                                 format="json")
    assert response.json() == {"events": ["a\tb\nc\r\n é ✓ 𝄞"]}


def test_a_body_too_large_is_a_json_413(api, db, no_traceback):
    body = json.dumps({"events": ["a" * 10_000_000]})
    response = api("scrub").post("/api/v1/scrub", body, content_type="application/json")
    error_of(response, 413, "too_large")


@pytest.mark.parametrize("method,path", [("get", "/api/v1/no-such-thing"),
                                         ("post", "/api/v1/subjects/x/y/z"),
                                         ("get", "/api/v1/erasures/")])
def test_an_unknown_api_route_is_a_json_404(api, db, method, path):
    error_of(getattr(api("subjects:read"), method)(path), 404, "not_found")


def test_a_crash_under_the_api_still_answers_json(api, db, monkeypatch):
    from anonymizer import api as anonymizer_api

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(anonymizer_api, "scrub_event", boom)
    client = api("scrub")
    client.raise_request_exception = False
    response = client.post("/api/v1/scrub", {"events": ["x"]}, format="json")
    error = error_of(response, 500, "server_error")
    assert "a bug" not in error["message"]
