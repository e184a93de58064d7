"""The privacy section in a real browser: a visitor whose browser sends Global
Privacy Control sees sharing off, turns analytics on and downloads their data.

carol is in the US, where sharing with partners is on until she (or her browser)
says no.
"""

import io
import json
import re
import zipfile

import pytest
from django.core import mail
from playwright.sync_api import expect

from preferences.email import preferences_url
from preferences.models import ConsentEvent
from preferences.privacy import selectors as privacy_selectors


def purpose_row(page, slug):
    return page.locator(f'li.purpose[data-purpose="{slug}"]')


def granted(subject):
    return {row["purpose"].slug: row["granted"]
            for row in privacy_selectors.purpose_states(subject)}


@pytest.fixture
def gpc_page(browser, hush):
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900},
                                  extra_http_headers={"Sec-GPC": "1"}, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.e2e
def test_a_gpc_visitor_sees_sharing_off_turns_analytics_on_and_downloads_their_data(
        gpc_page, carol, purposes, settings, tmp_path, snap):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    page = gpc_page
    page.goto(preferences_url(carol))

    privacy = page.get_by_role("region", name="Privacy choices")
    expect(privacy.locator("#gpc-notice")).to_contain_text(
        "Your browser sent a Global Privacy Control signal")
    expect(privacy.locator("#gpc-notice")).to_contain_text("Sharing with partners")
    expect(purpose_row(page, "partner_sharing").locator(".state")).to_have_text("Off")
    expect(purpose_row(page, "personalisation").locator(".state")).to_have_text("On (default)")
    assert granted(carol)["partner_sharing"] is False
    snap(page, "privacy-gpc")

    page.get_by_role("switch", name="Analytics").check()
    privacy.get_by_role("button", name="Save privacy choices").click()
    expect(page.locator("#status-privacy")).to_contain_text("Your privacy choices are saved.")
    expect(purpose_row(page, "analytics").locator(".state")).to_have_text("On")
    assert granted(carol)["analytics"] is True
    # The signal was recorded once, not again on the visit after the change.
    assert list(ConsentEvent.objects.filter(kind="purpose").order_by("id")
                .values_list("purpose__slug", "source")) == [
        ("partner_sharing", "gpc"), ("analytics", "preference_center")]
    history = page.locator("#choice-history tbody tr")
    expect(history.filter(has_text="Analytics")).to_have_count(1)
    expect(history.filter(has_text="Sharing with partners")).to_contain_text(
        "your browser's Global Privacy Control signal")

    page.get_by_role("button", name="Download my data").click()
    # The preference link alone is not enough: a code goes to carol's address first.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
    page.get_by_label("The 6-digit code from the email").fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your request is confirmed")
    page.goto(preferences_url(carol))
    expect(page.get_by_text("We emailed you a link to download")).to_be_visible()
    message, = [m for m in mail.outbox if "download" in m.subject.lower()]
    link = re.search(r"http\S+/d/\S+/", message.body).group(0)

    with page.expect_download() as download_info:
        page.evaluate("url => { window.location.href = url }", link)
    download = download_info.value
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as archive:
        data = json.loads(archive.read("data.json"))
    subject, = [s for s in data["entries"] if s["key"] == "preferences.subject"]
    assert subject["rows"][0]["email"] == "carol@example.net"

    page.goto(link)  # a second use is refused
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This download link no longer works")
