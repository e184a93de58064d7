"""The console as a privacy officer and an analyst read it, in a real browser: audit
details as labelled fields and actors by name, a failing destination shown failing,
analytics that show nothing by country with five real unsubscribes, Hush's own 404
and 403 pages, the console in French; and "Download my data" read as a person.
axe-core finds no violation on any of these pages; each is kept as a screenshot."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

import audit
from anonymizer.models import ErasureRequest, ErasureStep
from preferences import services
from preferences.models import Delivery, Feedback
from preferences.privacy import exports
from preferences.propagation.delivery import delivery_run
from tests.e2e.axe import axe_violations
from tests.e2e.test_console import PASSWORD, sign_in, staff

pytestmark = pytest.mark.e2e


def signed_in(page, hush, username, role, snap=None):
    user = staff(username, role)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    if snap:
        page.goto(f"{hush}/console/login/")
        accessible(page, snap, "console-login")
    sign_in(page, hush, username)
    if snap:
        accessible(page, snap, "console-verify")
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Verify").click()
    return user


def accessible(page, snap, name):
    snap(page, name)
    assert axe_violations(page) == [], name


def test_an_officer_reads_the_console_in_plain_words(page, hush, snap, alice, newsletter,
                                                    webhook, receiver):
    officer = signed_in(page, hush, "olivia", "privacy officer", snap)
    erasure = ErasureRequest.objects.create(subject_public_id=alice.public_id, source="api",
                                            status="failed", finished_at=timezone.now())
    ErasureStep.objects.create(request=erasure, target="preferences.subject",
                               status="failed", attempts=3, last_error="OperationalError")
    audit.record(actor=officer, action="staff.login_failed", details={"throttled": True})
    audit.record(actor=alice, action="preferences.changed", target=alice,
                 details={"topics": ["newsletter"], "oldest_seconds": 149.0})
    receiver.fail_with(400)
    for status in ("unsubscribed", "subscribed", "unsubscribed"):
        services.subscription_set(subject=alice, topic=newsletter, status=status,
                                  source="api", actor=audit.SYSTEM)
    for delivery in Delivery.objects.filter(status="pending"):
        delivery_run(delivery_id=delivery.pk)
    accessible(page, snap, "console-plain-overview")

    page.get_by_role("link", name="Audit trail").click()
    events = page.locator("#events")
    expect(events).to_contain_text("olivia (privacy officer)")
    expect(events).to_contain_text("subject a•••@example.com")
    expect(events).to_contain_text("Slowed down (too many requests)")
    expect(events).to_contain_text("2 minutes 29 seconds")
    expect(events).not_to_contain_text("{'throttled'")
    accessible(page, snap, "console-plain-audit")

    page.get_by_role("link", name="Deliveries").click()
    row = page.locator("#destinations tbody tr", has_text="crm")
    expect(row.locator("td.state")).to_have_text("failing: no delivery succeeds")
    expect(row.locator("td.rate")).to_have_text("all 3 attempts failed")
    expect(row).not_to_contain_text("active")
    accessible(page, snap, "console-plain-deliveries")

    page.get_by_role("link", name="Subjects").click()
    accessible(page, snap, "console-plain-subjects")
    page.get_by_label("Exact email address").fill("alice@example.com")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subject a•••@example.com")
    accessible(page, snap, "console-plain-subject")

    page.get_by_role("link", name="PII catalog").click()
    expect(page.locator("#catalog")).to_contain_text("30 days")
    expect(page.locator("#catalog")).not_to_contain_text("days, 0:00:00")
    accessible(page, snap, "console-plain-pii")

    page.get_by_role("link", name="Erasure requests").click()
    accessible(page, snap, "console-plain-erasures")
    page.get_by_role("link", name=f"#{erasure.pk}").click()
    expect(page.locator("#steps")).to_contain_text("OperationalError")
    accessible(page, snap, "console-plain-erasure")
    page.get_by_role("link", name="Mail feedback").click()
    accessible(page, snap, "console-plain-mail-feedback")

    response = page.goto(f"{hush}/console/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the console")).to_be_visible()
    accessible(page, snap, "console-404")


def test_an_analyst_sees_nothing_by_country_with_five_unsubscribes(page, hush, snap,
                                                                   newsletter):
    now = timezone.now()
    Feedback.objects.bulk_create(
        Feedback(topic=newsletter, reason="too_frequent", country=country,
                 created_at=now - timedelta(days=1))
        for country in ("FR", "FR", "DE", "AO", "CG"))
    signed_in(page, hush, "andy", "analyst")
    page.get_by_role("link", name="Feedback analytics").click()
    page.get_by_role("button", name="Release figures").click()
    expect(page.locator("#nothing-country")).to_have_text(
        "No country has enough unsubscribes to be shown.")
    expect(page.locator("#chart-country")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("AO")
    expect(page.locator("#delta")).to_be_visible()
    expect(page.locator("#interval")).to_contain_text("±")
    accessible(page, snap, "console-analytics-five")

    response = page.goto(f"{hush}/console/subjects/")
    assert response.status == 403
    accessible(page, snap, "console-403")


def test_an_analyst_reads_released_counts_with_their_intervals(page, hush, snap, newsletter,
                                                                offers):
    now = timezone.now()
    Feedback.objects.bulk_create(
        Feedback(topic=newsletter if i % 3 else offers,
                 reason="too_frequent" if i % 4 else "privacy",
                 country="FR" if i % 2 else "GB", created_at=now - timedelta(days=i % 20))
        for i in range(600))
    signed_in(page, hush, "ada", "analyst")
    page.get_by_role("link", name="Feedback analytics").click()
    page.get_by_role("button", name="Release figures").click()
    expect(page.locator("#chart-country rect")).to_have_count(2)  # FR and GB, no others
    page.locator("section", has_text="by country").locator("summary").click()
    expect(page.locator("section", has_text="by country").locator("tbody tr")).to_have_count(2)
    accessible(page, snap, "console-analytics-released")


def test_the_console_reads_in_french(page, hush, snap, browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1024, "height": 900})
    french = context.new_page()
    try:
        user = staff("odile", "privacy officer")
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        french.goto(f"{hush}/console/login/")
        expect(french.get_by_role("heading", level=1)).to_have_text("Connexion de l'équipe")
        french.get_by_label("Nom d'utilisateur").fill("odile")
        french.get_by_label("Mot de passe").fill(PASSWORD)
        french.get_by_role("button", name="Continuer").click()
        french.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
        french.get_by_role("button", name="Vérifier").click()
        expect(french.get_by_role("heading", level=1)).to_have_text("Vue d'ensemble")
        expect(french.get_by_role("button", name="Se déconnecter")).to_be_visible()
        french.get_by_role("link", name="Journal d'audit").click()
        expect(french.get_by_role("link", name="Exporter ces événements en CSV")).to_be_visible()
        accessible(french, snap, "console-fr-audit")
    finally:
        context.close()


def test_a_subscriber_meets_hushs_own_404(page, hush, snap):
    response = page.goto(f"{hush}/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    expect(page.get_by_role("link", name="Get a new link by email")).to_be_visible()
    icon = page.evaluate("() => document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).status == 200
    accessible(page, snap, "subscriber-404")


def test_a_person_reads_their_download(page, snap, alice, newsletter, purposes, tmp_path):
    services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                              source="preference_center", actor=alice)
    data = exports.export_assemble(alice)
    with zipfile.ZipFile(io.BytesIO(exports._zip(data, "en"))) as archive:
        archive.extractall(tmp_path)
    page.goto((tmp_path / "data.html").as_uri())
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    for heading in ("Contact", "Subscriptions", "History"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(page.locator("main")).to_contain_text("alice@example.com")
    expect(page.locator("main")).not_to_contain_text("email_digest")
    expect(page.locator("main")).not_to_contain_text("preferences.subject")
    # The style sheet beside the page applies (a file, not inline style).
    assert page.evaluate("() => getComputedStyle(document.querySelector('dl')).display") \
        == "grid"
    accessible(page, snap, "download-my-data")


def test_the_accessibility_check_finds_a_violation_when_there_is_one(page):
    """The check that every page above passes is not empty: a page with an image
    without text and an unlabelled field fails it."""
    page.set_content('<!doctype html><html lang="en"><head><title>t</title></head><body>'
                     '<main><h1>t</h1><img src="x.png"><input type="text"></main></body></html>')
    found = " ".join(axe_violations(page))
    assert "image-alt" in found and "label" in found
