"""Rights requests in a real browser: a visitor who is not a subscriber asks for their
data on /privacy/ and confirms with the emailed code; a privacy officer signs in with
their second factor and, on the Requests queue, approves one erasure and denies another
with a reason, which is emailed."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from anonymizer.models import ErasureRequest
from audit.models import AuditEvent
from audit.roles import roles_sync
from preferences.models import RightsRequest, Subject
from preferences.privacy.rights import services
from tests.audit.console.conftest import totp_now
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.e2e
PASSWORD = "a long staff password 2026"


def code_in(message) -> str:
    return re.search(r"Your code is (\d{6})", message.body).group(1)


def test_a_visitor_asks_for_their_data_and_confirms_with_the_code(page, hush, snap, db):
    page.goto(f"{hush}/privacy/")
    expect(page.get_by_role("heading", name="Your privacy rights")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Access: a copy of my data").check()
    page.get_by_label("The email address the request is about").fill("visitor@example.net")
    page.get_by_role("button", name="Send my request").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    message, = mail.outbox
    assert message.to == ["visitor@example.net"]
    snap(page, "privacy-verify")
    page.get_by_label("The 6-digit code from the email").fill("000000" if code_in(message)
                                                                != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    page.get_by_label("The 6-digit code from the email").fill(code_in(message))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your request is confirmed")
    snap(page, "privacy-verified")

    request = RightsRequest.objects.get()
    assert request.state == "done" and request.verified_at is not None
    outcome = mail.outbox[-1]
    assert outcome.to == ["visitor@example.net"]
    assert "we hold no data about this email address" in outcome.body
    assert not Subject.objects.exists()


def verified_erasure(email) -> RightsRequest:
    request = services.rights_request_open(kind="erasure", email=email,
                                           source="privacy_request")
    message = [m for m in mail.outbox if m.to == [email]][-1]
    services.rights_verify_code(key=request.key, code=code_in(message))
    request.refresh_from_db()
    assert request.state == "awaiting_review"
    return request


def test_an_officer_approves_one_erasure_and_denies_another(page, hush, snap, alice, bob):
    roles_sync()  # the live server's database is emptied between tests
    officer = get_user_model().objects.create_user("olivia", password=PASSWORD, is_staff=True)
    officer.groups.add(Group.objects.get(name="privacy officer"))
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    approve, deny = verified_erasure("alice@example.com"), verified_erasure("bob@example.org")
    mail.outbox.clear()

    page.goto(f"{hush}/console/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(totp_now(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    page.get_by_role("link", name="Requests", exact=True).click()
    expect(page.get_by_role("heading", name="Rights requests")).to_be_visible()
    expect(page.locator("#requests tbody tr")).to_have_count(2)
    snap(page, "console-requests")

    page.locator(f'tr[data-request="{approve.key}"]').get_by_role(
        "button", name="Approve").click()
    expect(page.get_by_role("status").first).to_contain_text("Approved")
    bob_row = page.locator(f'tr[data-request="{deny.key}"]')
    bob_row.get_by_label("Deny because").select_option("legal_hold")
    bob_row.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("status").first).to_contain_text("Denied")
    expect(page.locator(f'tr[data-request="{deny.key}"]')).to_contain_text("Denied")

    approve.refresh_from_db()
    deny.refresh_from_db()
    assert approve.state == "done" and deny.state == "denied"
    assert Subject.objects.get(pk=alice.pk).email is None  # erased
    assert Subject.objects.get(pk=bob.pk).email == "bob@example.org"  # nothing erased
    assert ErasureRequest.objects.get(key=deny.erasure_key).status == "denied"
    denial, = [m for m in mail.outbox if m.to == ["bob@example.org"]]
    assert "We must keep the data by law (legal hold)" in denial.body
    actors = set(AuditEvent.objects.filter(action__in=["rights.approved", "rights.denied"])
                 .values_list("actor_type", "actor_id"))
    assert actors == {("user", str(officer.pk))}
