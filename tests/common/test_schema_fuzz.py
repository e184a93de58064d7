"""Fuzz the API from its own OpenAPI schema (/api/schema/) with schemathesis.

Positive and negative requests for every operation, with a key holding every
scope, against seeded topics and subjects so valid requests reach the 200 paths.
Every answer must be a documented status with a body matching the schema, and
never a 5xx. Separately, every operation answers 401 without a key.
"""

import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import audit
from anonymizer.models import ErasureRequest
from config.wsgi import application
from preferences import services
from preferences.models import Purpose, Subject, Topic
from tests.common.api import ALL_SCOPES

ALICE = uuid.UUID("0a11ce00-0000-4000-8000-000000000001")
BOB = uuid.UUID("0b0b0000-0000-4000-8000-000000000002")
SUBJECT_IDS = [str(ALICE), str(BOB)]
ERASURE = uuid.UUID("e7a5e000-0000-4000-8000-000000000003")  # a request for bob
EMAILS = ["alice@example.com", "bob@example.org"]
TOPICS = ["newsletter", "offers"]
PURPOSES = ["analytics", "partner_sharing"]
PAUSE_ENDS = ["2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z"]  # one to come, one gone
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=True, database=None)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


# --- steer some generated requests onto seeded data, so they reach the 200 paths -------

def _sometimes(params, name, real):
    """Keep the generated value, or put one of `real` in its place."""
    if not isinstance(params, dict) or name not in params:
        return st.just(params)
    return st.sampled_from([params[name], *real]).map(lambda v: {**params, name: v})


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if isinstance(path_parameters, dict) and "erasure_id" in path_parameters:
        return _sometimes(path_parameters, "erasure_id", [str(ERASURE)])
    return _sometimes(path_parameters, "subject_id", SUBJECT_IDS)


@schema.hook
def flatmap_query(context, query):
    return _sometimes(query, "topic", TOPICS)


def _with_real_names(operation_id, body):
    """Strategies that swap generated names in a body for seeded ones."""
    if operation_id == "consent_check":
        recipients = st.lists(st.sampled_from([*EMAILS, *SUBJECT_IDS, "x@example.net"]))
        return st.one_of(
            st.fixed_dictionaries({"topic": st.sampled_from(TOPICS), "recipients": recipients}),
            st.fixed_dictionaries({"purpose": st.sampled_from(PURPOSES),
                                   "recipients": recipients}),
        ).map(lambda real: {k: v for k, v in {**body, **real}.items()
                            if not ("purpose" in real and k == "topic")})
    if operation_id == "subject_purposes_change":
        return st.dictionaries(st.sampled_from(PURPOSES), st.booleans(), min_size=1).map(
            lambda purposes: {**body, "purposes": purposes})
    if operation_id == "events_ingest":
        subject = st.one_of(st.sampled_from(EMAILS).map(lambda e: {"email": e}),
                            st.sampled_from(SUBJECT_IDS).map(lambda i: {"id": i}))
        event = st.fixed_dictionaries({"subject": subject,
                                       "purpose": st.sampled_from(PURPOSES),
                                       "page": st.text(max_size=20)})
        return st.lists(event, min_size=1, max_size=3).map(
            lambda events: {**body, "events": events})
    if operation_id == "subscriptions_change":
        topic = st.sampled_from(TOPICS)
        change = st.one_of(
            st.fixed_dictionaries({"topic": topic,
                                   "status": st.sampled_from(["subscribed", "unsubscribed"])}),
            st.fixed_dictionaries({"topic": topic, "status": st.just("paused"),
                                   "paused_until": st.sampled_from(PAUSE_ENDS)}),
        )
        return st.lists(change, min_size=1, max_size=3).map(
            lambda changes: {**body, "changes": changes})
    if operation_id == "erasures_create":
        return st.one_of(
            st.sampled_from([*EMAILS, "carol@example.net"]).map(lambda e: {"email": e}),
            st.sampled_from(SUBJECT_IDS).map(lambda i: {"subject": i}),
            st.sampled_from(["alice", "nobody-known"]).map(lambda x: {"external_id": x}),
        )
    if operation_id == "subjects_upsert":
        return st.fixed_dictionaries({
            "email": st.sampled_from([*EMAILS, "carol@example.net"]),
            "subscriptions": st.dictionaries(st.sampled_from(TOPICS), st.booleans()),
        }).map(lambda real: {**body, **real})
    return st.just(body)


@schema.hook
def flatmap_body(context, body):
    if not isinstance(body, dict):
        return st.just(body)
    operation_id = context.operation.definition.raw.get("operationId")
    return st.one_of(st.just(body), _with_real_names(operation_id, body))


# --- fixtures ----------------------------------------------------------------------------

@pytest.fixture
def wsgi_in_test_transaction(db):
    """Schemathesis calls the WSGI app, whose request signals would close the test's
    connection mid-transaction; the Django test client disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(wsgi_in_test_transaction):
    for slug in TOPICS:
        Topic.objects.create(slug=slug, name=slug.title(), default_subscribed=slug == TOPICS[0])
    for slug in PURPOSES:
        Purpose.objects.create(slug=slug, name=slug.title(), description=f"{slug} purpose",
                               legal_basis="consent" if slug == "analytics"
                               else "legitimate_interest",
                               is_sale_or_sharing=slug == "partner_sharing")
    for public_id, email in zip((ALICE, BOB), EMAILS, strict=True):
        subject, _ = services.subject_upsert(actor=audit.SYSTEM, source="import", email=email,
                                             external_id=email.split("@")[0],
                                             subscriptions={"offers": True})
        Subject.objects.filter(pk=subject.pk).update(public_id=public_id)
    ErasureRequest.objects.create(key=ERASURE, subject_public_id=BOB, source="api")


@pytest.fixture
def auth_header(seeded, make_key):
    return {"Authorization": f"Api-Key {make_key(*ALL_SCOPES)}"}


# --- tests -------------------------------------------------------------------------------

@schema.parametrize()
@FUZZ
def test_it_answers_every_request_as_documented(case, auth_header):
    case.call_and_validate(headers=auth_header, checks=CHECKS)


@schema.parametrize()
@settings(FUZZ, max_examples=10)
def test_every_operation_answers_401_without_a_key(case, seeded):
    case.headers = {name: value for name, value in (case.headers or {}).items()
                    if name.lower() != "authorization"}
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "not_authenticated"
