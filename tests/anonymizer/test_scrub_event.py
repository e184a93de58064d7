"""scrub_event(): keys and values, same structure, input untouched."""

import copy

from anonymizer import scrub_event
from anonymizer.core.events import key_kind

EVENT = {
    "ts": "2025-03-04T12:34:56.789Z",
    "level": "info",
    "request_id": "4bf92f35-77b3-4da6-a3ce-929d0e0e4736",
    "user": {"id": 84721, "email": "ann@example.com", "firstName": "Ann", "last_name": "Lee",
             "ip": "203.0.113.9", "address": {"street": "1 Main St", "zip": "94107"}},
    "http": {"path": "/reset?email=bob%40example.org&x=1", "status": 200,
             "headers": {"Authorization": "Bearer abc.def.ghi", "X-Api-Key": "k-123"}},
    "geo": {"lat": 48.8566, "lon": 2.3522},
    "payment": {"card_number": "4111111111111111", "amount": "129.99"},
    "tags": ["vip", "call +44 20 7946 0958"],
    "ok": True,
    "note": None,
}


def test_it_keeps_the_structure_and_scrubs_by_key_and_value():
    out = scrub_event(EVENT)
    assert out["ts"] == EVENT["ts"] and out["request_id"] == EVENT["request_id"]
    assert out["user"] == {"id": 84721, "email": "[EMAIL]", "firstName": "[PERSON]",
                           "last_name": "[PERSON]", "ip": "[IP_ADDRESS]",
                           "address": {"street": "[ADDRESS]", "zip": "[POSTCODE]"}}
    assert out["http"]["path"] == "/reset?email=[EMAIL]&x=1"
    assert out["http"]["headers"] == {"Authorization": "[SECRET]", "X-Api-Key": "[SECRET]"}
    assert out["geo"] == {"lat": "[GPS]", "lon": "[GPS]"}
    assert out["payment"] == {"card_number": "[CREDIT_CARD]", "amount": "129.99"}
    assert out["tags"] == ["vip", "call [PHONE]"]
    assert out["ok"] is True and out["note"] is None and out["http"]["status"] == 200


def test_it_never_changes_its_input():
    before = copy.deepcopy(EVENT)
    scrub_event(EVENT)
    assert before == EVENT


def test_scalars_and_lists_work_on_their_own():
    assert scrub_event("mail ann@example.com") == "mail [EMAIL]"
    assert scrub_event([1, "x", None]) == [1, "x", None]
    assert scrub_event(4111111111111111) == "[CREDIT_CARD]"
    assert scrub_event(12345) == 12345


def test_personal_keys_are_scrubbed_too():
    out = scrub_event({"ann@example.com": 1, "bob@example.com": 2})
    assert out == {"[EMAIL]": 1, "[EMAIL]#2": 2}


def test_a_policy_applies_to_key_and_value_findings():
    out = scrub_event({"email": "ann@example.com", "msg": "from bob@example.org"},
                      {"EMAIL": lambda value, kind: "e-" + str(len(value))})
    assert out == {"email": "e-15", "msg": "from e-15"}


def test_key_names_are_read_like_a_person_would():
    assert key_kind("billing_email") == "EMAIL"
    assert key_kind("E-Mail") == "EMAIL"
    assert key_kind("emailAddress") == "EMAIL"
    assert key_kind("clientIp") == "IP_ADDRESS"
    assert key_kind("remote_addr") == "IP_ADDRESS"
    assert key_kind("customer_name") == "PERSON"
    assert key_kind("DB_PASSWORD") == "SECRET"
    assert key_kind("api_key") == "SECRET"
    assert key_kind("mobile_number") == "PHONE"
    assert key_kind("date_of_birth") == "DATE_OF_BIRTH"
    assert key_kind("latitude") == "GPS"
    for harmless in ("service_name", "hostname", "file_name", "cache_key", "zipped", "status",
                     "ship_date", "token_type", "ip_country", "tooltip"):
        assert key_kind(harmless) is None, harmless


def test_delete_drops_the_key_and_null_keeps_it_empty():
    event = {"email": "ann@example.com", "password": "hunter2", "items": ["a", "x"]}
    out = scrub_event(event, {"EMAIL": "null", "SECRET": "delete"})
    assert out == {"email": None, "items": ["a", "x"]}


def test_named_transforms_apply_to_values_under_personal_keys():
    out = scrub_event({"ip": "203.0.113.9", "geo": {"lat": 48.8566, "lon": 2.3522},
                       "card": "4111 1111 1111 1111"},
                      {"IP_ADDRESS": "generalize", "GPS": "generalize", "CREDIT_CARD": "mask"})
    assert out == {"ip": "203.0.113.0/24", "geo": {"lat": "48.86", "lon": "2.35"},
                   "card": "**** **** **** 1111"}


def test_ids_are_left_alone_but_a_card_of_the_same_length_is_not():
    event = {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
             "ref": "4111111111111111", "request": "2ad93787-8eec-2b7a-cc60-97601e408d4e"}
    out = scrub_event(event)
    assert out == {**event, "ref": "[CREDIT_CARD]"}


def test_a_value_seen_clean_before_is_still_clean_and_a_new_one_is_checked():
    agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"
    assert scrub_event({"ua": agent}) == {"ua": agent}
    assert scrub_event({"ua": agent}) == {"ua": agent}
    assert scrub_event({"ua": agent + " ann@example.com"}) == {"ua": agent + " [EMAIL]"}
