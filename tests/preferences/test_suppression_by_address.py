"""Suppress and lift an address by typing it: admin, console and API; only its keyed
digest is stored."""

import pytest

from common.crypto import email_digest
from preferences.models import ConsentEvent, Delivery, Suppression

pytestmark = pytest.mark.django_db


def test_the_api_suppresses_and_lifts_and_answers_the_same_either_way(api, alice, webhook):
    client = api("subjects:write")
    for _ in range(2):
        response = client.post("/api/v1/suppressions",
                               {"email": " Alice@Example.com ", "reason": "complaint"},
                               format="json")
        assert response.status_code == 204
    assert client.post("/api/v1/suppressions", {"email": "stranger@example.org"},
                       format="json").status_code == 204

    row = Suppression.objects.get(email_digest=email_digest("alice@example.com"))
    assert row.reason == "complaint"
    assert not Suppression.objects.filter(email_digest__contains="@").exists()
    assert ConsentEvent.objects.filter(subject=alice, kind="suppressed", source="api").count() == 1

    for _ in range(2):
        assert client.post("/api/v1/suppressions/lift", {"email": "alice@example.com"},
                           format="json").status_code == 204
    assert not Suppression.objects.filter(email_digest=email_digest("alice@example.com")).exists()
    lifted = ConsentEvent.objects.filter(subject=alice, kind="suppressed").latest("id")
    assert (lifted.old_status, lifted.new_status) == ("complaint", "")
    assert Delivery.objects.filter(event_type="subject.unsuppressed").count() == 1


def test_the_api_never_lifts_an_erasure_and_does_not_say_so(api, postgres):
    Suppression.objects.create(email_digest=email_digest("gone@example.com"), reason="erased")

    response = api("subjects:write").post("/api/v1/suppressions/lift",
                                          {"email": "gone@example.com"}, format="json")

    assert response.status_code == 204
    assert Suppression.objects.get().reason == "erased"


@pytest.mark.parametrize("body", [{"email": "not an address"}, {"email": "a@example.com",
                                                                 "reason": "erased"},
                                  {"email": "a@example.com", "extra": 1}])
def test_the_api_refuses_bad_input_and_changes_nothing(api, db, body):
    response = api("subjects:write").post("/api/v1/suppressions", body, format="json")
    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_the_api_needs_subjects_write(api, db):
    response = api("subjects:read").post("/api/v1/suppressions", {"email": "a@example.com"},
                                         format="json")
    assert response.status_code == 403


def test_staff_type_the_address_in_the_admin(admin_client, alice):
    response = admin_client.post("/admin/preferences/suppression/add/",
                                 {"address": "alice@example.com", "reason": "manual"})
    assert response.status_code == 302, response.content.decode()[:2000]
    row = Suppression.objects.get()
    assert row.email_digest == email_digest("alice@example.com")
    assert ConsentEvent.objects.filter(subject=alice, kind="suppressed", source="staff").exists()

    response = admin_client.post("/admin/preferences/suppression/", {
        "action": "lift", "_selected_action": [row.pk]})
    assert response.status_code == 302
    assert not Suppression.objects.exists()
