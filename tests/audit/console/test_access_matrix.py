"""Who may reach what: every console URL, the admin and the staff API endpoints against
every role, an anonymous visitor, a signed-in user who has not passed the second factor
(`pwd_only`, a privacy officer by role) and a verified user with no role (`norole`).

Reading the table: 200 shown, 302 sent elsewhere (to sign in, or after a POST), 403
refused, 401 the API wants a key (staff sessions are not API credentials).
"""

import pytest
from django.test import Client

from tests.audit.console.conftest import make_staff, verified_client

COLUMNS = ("anon", "pwd_only", "norole", "privacy officer", "auditor", "analyst", "support")

MATRIX = [
    # method, url,                                anon pwd  norole PO   aud  anal supp
    ("GET",  "/console/",                           302, 302, 403, 200, 200, 403, 403),
    ("GET",  "/console/audit/",                     302, 302, 403, 200, 200, 403, 403),
    ("GET",  "/console/audit/?action=x.y",          302, 302, 403, 200, 200, 403, 403),
    ("GET",  "/console/audit/export.csv",           302, 302, 403, 200, 200, 403, 403),
    ("POST", "/console/audit/verify/",              302, 302, 403, 302, 302, 403, 403),
    ("GET",  "/console/deliveries/",                302, 302, 403, 200, 200, 403, 403),
    ("POST", "/console/deliveries/retry/",          302, 302, 403, 302, 403, 403, 403),
    ("POST", "/console/destinations/{dest}/pause/", 302, 302, 403, 302, 403, 403, 403),
    ("POST", "/console/destinations/{dest}/resume/", 302, 302, 403, 302, 403, 403, 403),
    ("GET",  "/console/subjects/",                  302, 302, 403, 200, 403, 403, 200),
    ("POST", "/console/subjects/",                  302, 302, 403, 302, 403, 403, 302),
    ("GET",  "/console/subjects/{subject}/",        302, 302, 403, 200, 403, 403, 200),
    ("POST", "/console/subjects/{subject}/link/",   302, 302, 403, 302, 403, 403, 302),
    ("GET",  "/console/erasures/",                  302, 302, 403, 200, 200, 403, 403),
    ("GET",  "/console/erasures/{erasure}/",        302, 302, 403, 200, 200, 403, 403),
    ("GET",  "/console/erasures/{erasure}/report.json", 302, 302, 403, 200, 200, 403, 403),
    ("POST", "/console/erasures/{erasure}/retry/",  302, 302, 403, 302, 403, 403, 403),
    ("GET",  "/console/pii/",                       302, 302, 403, 200, 200, 403, 403),
    ("GET",  "/console/analytics/",                 302, 302, 403, 200, 403, 200, 403),
    ("POST", "/console/analytics/release/",         302, 302, 403, 302, 403, 302, 403),
    ("GET",  "/console/mail-feedback/",             302, 302, 403, 200, 200, 200, 403),
    ("GET",  "/console/requests/",                  302, 302, 403, 200, 200, 403, 403),
    ("POST", "/console/requests/{request}/approve/", 302, 302, 403, 302, 403, 403, 403),
    ("POST", "/console/requests/{request}/deny/",   302, 302, 403, 302, 403, 403, 403),
    ("POST", "/console/requests/{request}/extend/", 302, 302, 403, 302, 403, 403, 403),
    ("GET",  "/console/consent/",                   302, 302, 403, 200, 200, 403, 403),
    ("GET",  "/console/consent/export",             302, 302, 403, 200, 200, 403, 403),
    ("GET",  "/console/consent/export?with_email=on", 302, 302, 403, 200, 403, 403, 403),
    ("GET",  "/console/suppressions/",              302, 302, 403, 200, 403, 403, 403),
    ("POST", "/console/suppressions/",              302, 302, 403, 302, 403, 403, 403),
    ("GET",  "/console/imports/",                   302, 302, 403, 200, 403, 403, 403),
    ("GET",  "/console/imports/{import_key}/",      302, 302, 403, 200, 403, 403, 403),
    ("GET",  "/console/imports/{import_key}/bad-rows.csv", 302, 302, 403, 200, 403, 403, 403),
    ("GET",  "/console/brands/",                    302, 302, 403, 200, 403, 403, 403),
    ("GET",  "/console/brands/new/",                302, 302, 403, 200, 403, 403, 403),
    ("GET",  "/console/brands/{brand}/",            302, 302, 403, 200, 403, 403, 403),
    ("POST", "/console/brands/{brand}/",            302, 302, 403, 400, 403, 403, 403),
    ("GET",  "/console/no-role/",                   302, 302, 403, 403, 403, 403, 403),
    ("GET",  "/console/login/",                     200, 302, 302, 302, 302, 302, 302),
    ("GET",  "/console/verify/",                    302, 200, 302, 302, 302, 302, 302),
    ("GET",  "/console/enrol/",                     302, 302, 302, 302, 302, 302, 302),
    ("POST", "/console/logout/",                    302, 302, 302, 302, 302, 302, 302),
    ("GET",  "/admin/",                             302, 302, 200, 200, 200, 200, 200),
    ("GET",  "/admin/auth/user/",                   302, 302, 403, 403, 403, 403, 403),
    ("GET",  "/api/v1/destinations",                401, 401, 401, 401, 401, 401, 401),
    ("POST", "/api/v1/deliveries/retry",            401, 401, 401, 401, 401, 401, 401),
    ("POST", "/api/v1/erasures",                    401, 401, 401, 401, 401, 401, 401),
    ("GET",  "/api/v1/erasures/{erasure_key}",      401, 401, 401, 401, 401, 401, 401),
]

POST_DATA = {
    "/console/deliveries/retry/": {"all": "1"},
    "/console/subjects/": {"email": "alice@example.com"},
    "/console/suppressions/": {"address": "someone@example.com", "reason": "manual",
                               "action": "suppress"},
}


@pytest.fixture
def clients(db):
    pwd_only = Client()
    pwd_only.force_login(make_staff("pwd_only", "privacy officer"),
                         backend="django.contrib.auth.backends.ModelBackend")
    made = {"anon": Client(), "pwd_only": pwd_only,
            "norole": verified_client(make_staff("norole"))}
    for role in COLUMNS[3:]:
        made[role] = verified_client(make_staff(role.replace(" ", "_"), role))
    return made


@pytest.fixture
def ids(alice, db):
    from django.utils import timezone

    from anonymizer.models import ErasureRequest
    from preferences.models import Brand, Destination, Import, RightsRequest

    dest = Destination.objects.create(name="crm", kind="callable",
                                      callable_path="tests.receiver.nothing")
    erasure = ErasureRequest.objects.create(subject_public_id=alice.public_id, source="api",
                                            status="failed")
    job = Import.objects.create(kind="subjects", file_path="/nonexistent", file_sha256="0" * 64)
    rights_request = RightsRequest.objects.create(
        kind="access", source="privacy_request", email_digest="d" * 64, state="awaiting_review",
        verified_at=timezone.now(), due_at=timezone.now(), law="gdpr")
    brand = Brand.objects.create(slug="acme", name="Acme")
    return {"dest": dest.pk, "subject": alice.public_id, "erasure": erasure.pk,
            "erasure_key": erasure.key, "import_key": job.key, "request": rights_request.key,
            "brand": brand.pk}


def test_the_table_covers_every_console_url():
    from django.urls import get_resolver

    console = {p.pattern._route for p in get_resolver("audit.console.urls").url_patterns}
    routes = {url.split("?")[0].removeprefix("/console/")
              .replace("{dest}", "<int:pk>").replace("{erasure}", "<int:pk>")
              .replace("{subject}", "<uuid:public_id>").replace("{request}", "<uuid:key>")
              .replace("{brand}", "<int:pk>")
              .replace("{subject}", "<uuid:public_id>").replace("{import_key}", "<uuid:key>")
              for _, url, *_ in MATRIX if url.startswith("/console/")}
    assert console - routes == set()


@pytest.mark.parametrize("row", MATRIX, ids=[f"{m} {u}" for m, u, *_ in MATRIX])
def test_it_answers_each_principal_as_the_table_says(row, clients, ids):
    method, url, *expected = row
    url = url.format(**ids)
    got = {}
    for who, client in clients.items():
        send = client.get if method == "GET" else client.post
        got[who] = send(url, POST_DATA.get(url, {})).status_code
    assert got == dict(zip(COLUMNS, expected, strict=True))


def test_anonymous_and_password_only_go_to_sign_in(clients):
    response = clients["anon"].get("/console/audit/")
    assert response["Location"].startswith("/console/login/?next=/console/audit/")
    response = clients["pwd_only"].get("/console/audit/")
    assert response["Location"].startswith("/console/login/")
    assert clients["pwd_only"].get(response["Location"])["Location"].startswith(
        "/console/verify/")
    assert clients["anon"].get("/admin/")["Location"].startswith("/admin/login/")
