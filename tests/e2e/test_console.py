"""The staff console in a real browser: sign in, enrol an authenticator (the code is
computed here from the secret the page shows), the overview, a filtered audit trail,
an erasure report, the analytics charts; and an analyst refused the subjects page."""

import base64
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

import audit
from anonymizer.models import ErasureRequest, ErasureStep
from audit.roles import roles_sync
from preferences.models import Feedback
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.e2e
PASSWORD = "a long staff password 2026"


def code_from_secret(secret: str) -> str:
    """What an authenticator app computes from the key typed in (RFC 6238, 30 s, 6 digits)."""
    key = secret.replace(" ", "")
    key = base64.b32decode(key + "=" * (-len(key) % 8))
    return f"{totp(key):06d}"


def staff(username, role):
    roles_sync()  # the live server's database is emptied between tests
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def sign_in(page, hush, username):
    page.goto(f"{hush}/console/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_an_officer_enrols_then_uses_the_console(page, hush, snap, newsletter, alice):
    staff("alice", "privacy officer")
    erasure = ErasureRequest.objects.create(subject_public_id=alice.public_id, source="api",
                                            status="done", finished_at=timezone.now())
    ErasureStep.objects.create(request=erasure, target="preferences.subject", status="done",
                               rows_affected=1, fields_changed=["email"])
    for _ in range(3):
        audit.record(actor=audit.SYSTEM, action="delivery.retried")
    audit.record(actor=audit.SYSTEM, action="other.thing")
    now = timezone.now()
    Feedback.objects.bulk_create(Feedback(topic=newsletter, reason="too_frequent", country="FR",
                                          created_at=now - timedelta(days=i % 10))
                                 for i in range(300))

    sign_in(page, hush, "alice")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    snap(page, "console-enrol")
    assert axe_violations(page) == []
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(code_from_secret(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    assert axe_violations(page) == []
    page.get_by_role("link", name="Continue to the console").click()

    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert TOTPDevice.objects.get(user__username="alice").confirmed

    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Action").fill("delivery.retried")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#events tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#events")).not_to_contain_text("other.thing")
    snap(page, "console-audit")

    page.get_by_role("link", name="Erasure requests").click()
    page.get_by_role("link", name=f"#{erasure.pk}").click()
    expect(page.locator("#steps")).to_contain_text("preferences.subject")
    expect(page.locator("#progress")).to_have_attribute("value", "1")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (JSON)").click()
    assert download.value.suggested_filename == f"erasure-{erasure.key}.json"
    snap(page, "console-erasure")

    page.get_by_role("link", name="Feedback analytics").click()
    page.get_by_role("button", name="Release figures").click()
    chart = page.locator("#chart-reason")
    expect(chart).to_be_visible()
    expect(chart.locator("rect")).not_to_have_count(0)
    expect(page.locator("#noise")).to_contain_text("discrete Laplace")
    snap(page, "console-analytics")


def test_an_analyst_is_refused_the_subjects_page(page, hush):
    analyst = staff("dana", "analyst")
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    sign_in(page, hush, "dana")
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Feedback analytics")).to_be_visible()
    expect(page.get_by_role("link", name="Subjects")).to_have_count(0)
    response = page.goto(f"{hush}/console/subjects/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_an_analyst_reads_the_mail_feedback_chart(page, hush, snap):
    from preferences.inbound import counters
    from preferences.models import DailyCount, InboundEvent

    analyst = staff("erin", "analyst")
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    today = timezone.now()
    for days_ago, complaints in enumerate([1, 6, 2, 0, 4]):
        day = today - timedelta(days=days_ago)
        InboundEvent.objects.bulk_create(
            [InboundEvent(key=f"c{days_ago}-{i}", channel="sendgrid", kind="complaint",
                          status="applied", received_at=day) for i in range(complaints)]
            + [InboundEvent(key=f"m{days_ago}", channel="smtp", kind="mailto",
                            status="applied", received_at=day)])
        DailyCount.objects.create(day=day.date(), name=counters.CONSENT_ALLOWED, count=1000)
    sign_in(page, hush, "erin")
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("link", name="Mail feedback").click()
    expect(page.get_by_role("heading", name="Mail feedback")).to_be_visible()
    expect(page.locator("#gmail-limit")).to_have_count(1)
    expect(page.locator("#complaint-rate rect.over")).to_have_count(2)  # 0.6% and 0.4%
    expect(page.locator("#totals")).to_contain_text("13 complaints")
    snap(page, "console-mail-feedback")
