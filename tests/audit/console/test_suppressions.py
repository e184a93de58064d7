"""Suppression by typing an address in the console (privacy officer)."""

import pytest

from preferences.models import Suppression
from preferences.services import subject_unsubscribe_all

pytestmark = pytest.mark.django_db


def test_an_officer_suppresses_and_lifts_in_the_console(staff_client, alice):
    officer = staff_client("privacy officer")
    response = officer.post("/console/suppressions/", {"address": "ALICE@example.com",
                                                       "reason": "bounce", "action": "suppress"})
    assert response.status_code == 302
    assert Suppression.objects.get().reason == "bounce"
    page = officer.get("/console/suppressions/").content.decode()
    assert "will not be mailed again" in page and "alice@example.com" not in page.lower()

    officer.post("/console/suppressions/", {"address": "alice@example.com", "reason": "manual",
                                            "action": "lift"})
    assert not Suppression.objects.exists()


def test_the_console_keeps_a_persons_own_opt_out(staff_client, alice):
    subject_unsubscribe_all(subject=alice, source="one_click", actor=alice)
    officer = staff_client("privacy officer")
    officer.post("/console/suppressions/", {"address": "alice@example.com", "reason": "manual",
                                            "action": "lift"})
    assert Suppression.objects.get().reason == "unsubscribed_all"
    assert "is not lifted by staff" in officer.get("/console/suppressions/").content.decode()
