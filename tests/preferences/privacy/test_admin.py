"""Purposes and capture rules are configured in the admin, without code."""

import pytest

from preferences.models import CaptureRule, Purpose


@pytest.fixture
def staff(admin_client):
    """A superuser past the admin's second factor (tests/conftest.py)."""
    return admin_client


def test_it_edits_a_purposes_wording_and_bumps_its_version(staff, purposes):
    analytics = purposes["analytics"]
    url = f"/admin/preferences/purpose/{analytics.pk}/change/"
    assert staff.get(url).status_code == 200
    response = staff.post(url, {"slug": "analytics", "name": "Analytics",
                                "description": "We count page views and clicks.",
                                "legal_basis": "consent", "position": 0})
    assert response.status_code == 302, response.content[:2000]
    assert Purpose.objects.get(pk=analytics.pk).version == 2


def test_it_adds_a_capture_rule(staff, purposes):
    assert staff.get("/admin/preferences/capturerule/").status_code == 200
    response = staff.post("/admin/preferences/capturerule/add/", {
        "name": "page views", "environment": "production", "event_type": "page_view",
        "purpose": purposes["analytics"].pk, "action": "reduce", "keep_fields": "page"})
    assert response.status_code == 302, response.content[:2000]
    rule = CaptureRule.objects.get()
    assert (rule.event_type, rule.purpose.slug, rule.action) == ("page_view", "analytics",
                                                                 "reduce")
    assert staff.get("/admin/preferences/capturecount/").status_code == 200
