"""A subscriber's pages in a real browser: the preference center, one-click
unsubscribe, expired links and asking for a link. Each test asserts what the person
sees and what the database then holds.

alice is subscribed to Newsletter and Offers (email); SMS alerts is another channel.
"""

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from preferences.email import links, preferences_url
from preferences.models import ConsentEvent, Feedback, Source, Subject, Subscription
from preferences.tokens import PREFERENCES_SALT

SUBSCRIBED, UNSUBSCRIBED, PAUSED = (Subscription.Status.SUBSCRIBED,
                                    Subscription.Status.UNSUBSCRIBED,
                                    Subscription.Status.PAUSED)


def status_of(subject, slug):
    return Subscription.objects.get(subject=subject, topic__slug=slug).status


def topic_row(page, slug):
    return page.locator(f'li.topic[data-topic="{slug}"]')


def expect_saved(page):
    expect(page.locator("#status-subscriptions")).to_contain_text("Your subscriptions are saved.")


def displayed_date(value):
    with translation.override("en"):
        return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def expired_preferences_token(subject, *, age_seconds):
    """A genuine preference token, signed `age_seconds` ago."""

    class SignedEarlier(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - age_seconds)

    return SignedEarlier(salt=PREFERENCES_SALT).sign_object([subject.public_id.hex])


@pytest.mark.e2e
def test_it_manages_topics_from_the_preference_center(page, alice, sms_alerts, snap):
    page.goto(preferences_url(alice))

    expect(page.get_by_role("heading", level=1)).to_have_text("Your email preferences")
    email = page.get_by_role("region", name="Email")
    sms = page.get_by_role("region", name="SMS")
    expect(email.locator("li.topic .topic-name")).to_have_text(["Newsletter", "Offers"])
    expect(sms.locator("li.topic .topic-name")).to_have_text(["SMS alerts"])
    expect(topic_row(page, "newsletter").locator(".state")).to_have_text("Subscribed")
    expect(topic_row(page, "offers").locator(".state")).to_have_text("Subscribed")
    expect(topic_row(page, "sms-alerts").locator(".state")).to_have_text("Unsubscribed")
    snap(page, "preference-center")
    save = page.get_by_role("button", name="Save", exact=True)

    # Toggle Newsletter off, then on again: one Save each time.
    page.get_by_role("switch", name="Newsletter").uncheck()
    save.click()
    expect_saved(page)
    expect(topic_row(page, "newsletter").locator(".state")).to_have_text("Unsubscribed")
    assert status_of(alice, "newsletter") == UNSUBSCRIBED

    page.get_by_role("switch", name="Newsletter").check()
    save.click()
    expect(topic_row(page, "newsletter").locator(".state")).to_have_text("Subscribed")
    assert status_of(alice, "newsletter") == SUBSCRIBED

    # Pause everything for 4 weeks.
    everything = page.get_by_role("region", name="Everything at once")
    everything.get_by_label("Pause everything for").select_option("4")
    everything.get_by_role("button", name="Pause everything").click()
    expect(everything.get_by_role("status")).to_have_text("Everything is paused. Undo")
    offers = Subscription.objects.get(subject=alice, topic__slug="offers")
    assert offers.status == PAUSED
    assert abs(offers.paused_until - (timezone.now() + timedelta(weeks=4))) < timedelta(minutes=1)
    until = displayed_date(offers.paused_until)
    expect(topic_row(page, "offers").locator(".state")).to_have_text(f"Paused until {until}")
    expect(everything.get_by_role("button", name="Resume everything")).to_be_visible()

    # Unsubscribe from everything, then come back.
    page.get_by_role("button", name="Unsubscribe from all").click()
    notice = page.get_by_role("region", name="You are unsubscribed from everything")
    expect(notice).to_be_visible()
    expect(topic_row(page, "newsletter").locator(".state")).to_have_text(
        "Paused until " + until)
    alice.refresh_from_db()
    assert alice.unsubscribed_all

    notice.get_by_role("button", name="Resubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed from everything")
           ).to_have_count(0)
    expect(page.get_by_role("button", name="Unsubscribe from all")).to_be_visible()
    alice.refresh_from_db()
    assert not alice.unsubscribed_all
    # Topic choices survived the round trip.
    assert status_of(alice, "newsletter") == PAUSED
    assert status_of(alice, "offers") == PAUSED

    # One history lists those changes, newest first, in plain words.
    history = page.get_by_role("region", name="History of your choices")
    rows = history.locator("tbody tr")
    cells = [[cell.strip() for cell in row.locator("td").all_inner_texts()[1:]]
             for row in rows.all()]
    here = "this page (preference center)"
    iso_until = timezone.localtime(offers.paused_until).strftime("%Y-%m-%d")
    assert cells[:6] == [
        ["All emails", "Came back after unsubscribing from everything", here],
        ["All emails", "Unsubscribed from everything", here],
        ["Offers", f"Paused until {iso_until}", here],
        ["Newsletter", f"Paused until {iso_until}", here],
        ["Newsletter", "Subscribed", here],
        ["Newsletter", "Unsubscribed", here],
    ]
    snap(page, "preference-center-history")

    # On a phone the page (history table included) fits without sideways scrolling.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    events = ConsentEvent.objects.filter(subject=alice, source=Source.PREFERENCE_CENTER)
    assert [(e.kind, e.topic and e.topic.slug, e.new_status)
            for e in events.order_by("-occurred_at", "-id")][:4] == [
        ("resubscribe_all", None, ""),
        ("unsubscribe_all", None, "unsubscribed_all"),
        ("subscription", "offers", "paused"),
        ("subscription", "newsletter", "paused"),
    ]


@pytest.mark.e2e
def test_it_unsubscribes_in_one_click_and_takes_a_reason(page, alice, newsletter, snap):
    url = links(alice, newsletter)["unsubscribe_url"]

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from Newsletter?")
    button = page.get_by_role("button", name="Unsubscribe", exact=True)
    expect(button).to_be_visible()
    # The stylesheet is served: the primary button wears the accent colour.
    expect(button).to_have_css("background-color", "rgb(11, 92, 173)")
    snap(page, "one-click")
    # Opening the page (as a mail scanner would) changed nothing.
    assert status_of(alice, "newsletter") == SUBSCRIBED
    assert not ConsentEvent.objects.filter(source=Source.ONE_CLICK).exists()

    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are unsubscribed from Newsletter")
    reasons = page.get_by_role("group", name="Would you tell us why? (optional)")
    expect(reasons).to_be_visible()
    snap(page, "one-click-done")
    assert status_of(alice, "newsletter") == UNSUBSCRIBED

    reasons.get_by_label("I get too many emails").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you for telling us why.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are unsubscribed from Newsletter")

    # Sending the reason re-POSTs to the one-click address: still one change.
    events = ConsentEvent.objects.filter(subject=alice, source=Source.ONE_CLICK)
    assert [(e.topic.slug, e.old_status, e.new_status) for e in events] == [
        ("newsletter", "subscribed", "unsubscribed")]
    assert [(f.topic_id, f.reason, f.country) for f in Feedback.objects.all()] == [
        (newsletter.id, "too_frequent", "GB")]
    assert status_of(alice, "offers") == SUBSCRIBED


@pytest.mark.e2e
def test_it_offers_a_fresh_link_when_the_link_has_expired(page, alice, settings, mailoutbox):
    token = expired_preferences_token(alice, age_seconds=settings.HUSH_PREFERENCE_LINK_MAX_AGE
                                      + 3600)

    response = page.goto(f"{settings.HUSH_BASE_URL}/p/{token}/")
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
    expect(page.get_by_role("region", name="Email")).to_have_count(0)  # no preferences shown

    page.get_by_role("button", name="Email me a new link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.com"]
    fresh = re.search(rf"{re.escape(settings.HUSH_BASE_URL)}/p/\S+/", message.body)
    assert fresh, message.body
    assert token not in message.body

    page.goto(fresh.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email preferences")
    expect(topic_row(page, "newsletter").locator(".state")).to_have_text("Subscribed")


@pytest.mark.e2e
def test_it_answers_a_link_request_the_same_for_known_and_unknown_addresses(
        page, alice, hush, mailoutbox):
    def ask(email):
        page.goto(f"{hush}/p/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Manage your email preferences")
        page.get_by_label("Your email address").fill(email)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Send me a link").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
        return answer.value.status, page.title(), page.content()

    known = ask("alice@example.com")
    unknown = ask("nobody@example.net")

    assert known == unknown
    assert known[0] == 200
    expect(page.get_by_role("status")).to_have_text(
        "If that address is on our lists, a link to your preferences is on its way.")
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert f"{hush}/p/" in mailoutbox[0].body
    assert not Subject.objects.exclude(pk=alice.pk).exists()  # asking creates no one


@pytest.mark.e2e
def test_it_unsubscribes_by_keyboard(page, alice, newsletter):
    page.goto(links(alice, newsletter)["unsubscribe_url"])
    button = page.get_by_role("button", name="Unsubscribe", exact=True)

    for _ in range(5):
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are unsubscribed from Newsletter")
    assert status_of(alice, "newsletter") == UNSUBSCRIBED
    assert ConsentEvent.objects.filter(subject=alice, source=Source.ONE_CLICK).count() == 1
