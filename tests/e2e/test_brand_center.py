"""A branded, translated preference center in a real browser, with and without
JavaScript: two brands, toggles and one Save, undo, pause everything, a frequency,
resubscribe from the one-click done page, the French and German pages and the sign-up
form's errors; axe-core finds no violation on any of them. Screenshots go to
HUSH_E2E_SCREENSHOTS (CI keeps them as artifacts).

alice is subscribed to Newsletter (weekly or monthly) and Offers under Acme, the
default brand; Beta Books has its own topic, Book club.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

import audit
from preferences.email import links, preferences_url
from preferences.models import Brand, ConsentEvent, Subscription, Topic
from preferences.services import subject_upsert
from tests.e2e.axe import axe_violations
from tests.preferences.branding.conftest import png

SUBSCRIBED, UNSUBSCRIBED, PAUSED = "subscribed", "unsubscribed", "paused"


def state(subject, slug):
    return Subscription.objects.get(subject=subject, topic__slug=slug)


def switch(page, slug):
    return page.locator(f"#topic-{slug}")


def expect_accessible(page):
    assert axe_violations(page) == []


@pytest.fixture
def acme(db, newsletter, offers):
    brand = Brand.objects.create(
        slug="acme", name="Acme", is_default=True, accent_colour="#8a1c7c",
        privacy_policy_url="https://acme.example/privacy", contact_url="mailto:help@acme.example",
        legal_entity="Acme Ltd, 1 Main Street, London", sender_name="Acme News",
        sender_email="news@acme.example",
        translations={"fr": {"name": "Acme France"}, "de": {"name": "Acme Deutschland"}})
    Topic.objects.filter(pk=newsletter.pk).update(
        brand=brand, frequencies=["weekly", "monthly"],
        description="What we made this week.",
        translations={"fr": {"name": "Lettre d'information", "description": "Nos nouvelles."},
                      "de": {"name": "Rundbrief", "description": "Unsere Neuigkeiten."}})
    Topic.objects.filter(pk=offers.pk).update(
        brand=brand, translations={"fr": {"name": "Offres"}, "de": {"name": "Angebote"}})
    return brand


@pytest.fixture
def beta(db):
    brand = Brand.objects.create(
        slug="beta", name="Beta Books", accent_colour="#1d6b3a", font="serif",
        privacy_policy_url="https://beta.example/privacy", legal_entity="Beta Books GmbH",
        logo=png(8, 4), logo_type="image/png", logo_alt="Beta Books")
    Topic.objects.create(slug="book-club", name="Book club", channel="email", brand=brand,
                         description="One book a month.")
    return brand


@pytest.fixture
def no_js_page(browser, hush):
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900},
                                  java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.e2e
def test_two_brands_dress_the_center_their_own_way(page, alice, acme, beta, snap):
    page.goto(preferences_url(alice))
    expect(page.locator(".brand-name")).to_have_text("Acme")
    expect(page.get_by_text("Preferences for a\N{BULLET}\N{BULLET}\N{BULLET}@example.com")
           ).to_be_visible()
    expect(page.get_by_role("link", name="Privacy policy")).to_have_attribute(
        "href", "https://acme.example/privacy")
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_css(
        "background-color", "rgb(138, 28, 124)")
    expect(switch(page, "book-club")).to_have_count(0)
    snap(page, "brand-acme-center")
    expect_accessible(page)

    page.goto(preferences_url(alice, brand=beta))
    expect(page.locator(".brand-name")).to_have_text("Beta Books")
    expect(page.get_by_role("img", name="Beta Books")).to_be_visible()
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_css(
        "background-color", "rgb(29, 107, 58)")
    expect(switch(page, "book-club")).to_be_visible()
    expect(switch(page, "newsletter")).to_have_count(0)
    assert "serif" in page.evaluate("getComputedStyle(document.body).fontFamily").lower()
    snap(page, "brand-beta-center")
    expect_accessible(page)


@pytest.mark.e2e
def test_without_javascript_one_save_then_undo(no_js_page, alice, acme, snap):
    page = no_js_page
    page.goto(preferences_url(alice))
    expect(switch(page, "newsletter")).to_be_checked()
    switch(page, "offers").uncheck()
    page.get_by_label("How often: Newsletter").select_option("monthly")
    page.get_by_role("button", name="Save", exact=True).click()

    subscriptions = page.locator("#subscriptions")
    expect(subscriptions.get_by_role("status")).to_contain_text("Your subscriptions are saved.")
    assert page.url.endswith("#subscriptions")
    assert state(alice, "offers").status == UNSUBSCRIBED
    assert state(alice, "newsletter").frequency == "monthly"
    expect(switch(page, "offers")).not_to_be_checked()
    snap(page, "center-saved-no-js")  # (axe needs JavaScript: the same markup is checked below)

    subscriptions.get_by_role("button", name="Undo").click()
    expect(page.locator("#status-subscriptions")).to_contain_text("Your last change is undone.")
    assert state(alice, "offers").status == SUBSCRIBED
    assert (state(alice, "newsletter").frequency or "weekly") == "weekly"  # blank: the first
    expect(switch(page, "offers")).to_be_checked()
    expect(page.get_by_label("How often: Newsletter")).to_have_value("weekly")


@pytest.fixture
def berlin_page(browser, hush):
    """A reader in Berlin: the history's times come out in their zone."""
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 500},
                                  timezone_id="Europe/Berlin")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.e2e
def test_with_javascript_it_saves_in_place_keeps_the_scroll_and_undoes(berlin_page, alice, acme,
                                                                       snap):
    page = berlin_page
    page.goto(preferences_url(alice))
    page.evaluate("window.stayedOnThisPage = true")
    switch(page, "newsletter").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 120)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0

    switch(page, "newsletter").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#status-subscriptions")).to_contain_text(
        "Your subscriptions are saved.")
    assert page.evaluate("window.stayedOnThisPage") is True  # no reload
    assert abs(page.evaluate("window.scrollY") - scrolled) <= 2
    assert state(alice, "newsletter").status == UNSUBSCRIBED
    snap(page, "center-saved-in-place")
    expect_accessible(page)

    page.locator("#status-subscriptions").get_by_role("button", name="Undo").click()
    expect(page.locator("#status-subscriptions")).to_contain_text("Your last change is undone.")
    assert page.evaluate("window.stayedOnThisPage") is True
    expect(switch(page, "newsletter")).to_be_checked()
    assert state(alice, "newsletter").status == SUBSCRIBED

    # The history says it in plain words, in the reader's time zone.
    history = page.get_by_role("region", name="History of your choices")
    expect(history.locator("tbody tr").first).to_contain_text("Subscribed")
    expect(history.locator("tbody tr").first).to_contain_text("this page (preference center)")
    expect(history.locator("time").first).to_contain_text("GMT+1")  # made local by the script


@pytest.mark.e2e
def test_pause_everything_and_resume(page, alice, acme, snap):
    page.goto(preferences_url(alice))
    everything = page.get_by_role("region", name="Everything at once")
    everything.get_by_label("Pause everything for").select_option("4")
    everything.get_by_role("button", name="Pause everything").click()
    expect(everything.get_by_role("status")).to_contain_text("Everything is paused.")
    for slug in ("newsletter", "offers"):
        sub = state(alice, slug)
        assert sub.status == PAUSED
        assert abs(sub.paused_until - (timezone.now() + timedelta(weeks=4))) < timedelta(
            minutes=2)
    expect(page.locator('li.topic[data-topic="offers"] .state')).to_contain_text("Paused until")
    snap(page, "center-paused")
    expect_accessible(page)

    page.get_by_role("region", name="Everything at once").get_by_role(
        "button", name="Resume everything").click()
    expect(page.locator("#status-everything")).to_contain_text("Everything is resumed.")
    assert state(alice, "offers").status == SUBSCRIBED


@pytest.mark.e2e
def test_resubscribe_from_the_one_click_done_page(page, alice, acme, newsletter, snap):
    page.goto(links(alice, newsletter)["unsubscribe_url"])
    expect(page.locator(".brand-name")).to_have_text("Acme")
    expect_accessible(page)
    page.get_by_role("button", name="Unsubscribe", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are unsubscribed from Newsletter")
    assert state(alice, "newsletter").status == UNSUBSCRIBED
    snap(page, "one-click-done-branded")
    expect_accessible(page)

    page.get_by_role("button", name="Resubscribe to Newsletter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are subscribed to Newsletter again")
    assert state(alice, "newsletter").status == SUBSCRIBED
    last = ConsentEvent.objects.filter(subject=alice, topic=newsletter).latest("id")
    assert last.source == "resubscribe"
    expect_accessible(page)


@pytest.mark.e2e
@pytest.mark.parametrize(("language", "heading", "newsletter_name", "brand_name", "save"), [
    ("fr", "Vos préférences e-mail", "Lettre d'information", "Acme France", "Enregistrer"),
    ("de", "Ihre E-Mail-Einstellungen", "Rundbrief", "Acme Deutschland", "Speichern"),
])
def test_the_center_in_french_and_german(page, acme, offers, newsletter, snap, language,
                                         heading, newsletter_name, brand_name, save):
    subject, _ = subject_upsert(actor=audit.SYSTEM, source="import",
                                email=f"{language}@example.com", locale=language,
                                subscriptions={"newsletter": True, "offers": True})
    page.goto(preferences_url(subject))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator('label[for="topic-newsletter"]')).to_have_text(newsletter_name)
    expect(page.locator(".brand-name")).to_have_text(brand_name)
    page.get_by_role("button", name=save, exact=True).click()
    snap(page, f"center-{language}")
    expect_accessible(page)


@pytest.mark.e2e
def test_the_sign_up_form_names_the_fields_in_its_errors(page, hush, acme, snap):
    page.goto(f"{hush}/s/")
    expect(page.get_by_text("What we made this week.")).to_be_visible()
    expect(page.locator("#privacy-notice")).to_contain_text("unsubscribe in one click")
    expect(page.locator("#privacy-notice").get_by_role("link")).to_have_attribute(
        "href", "https://acme.example/privacy")
    expect_accessible(page)
    page.get_by_role("button", name="Sign up").click()
    errors = page.get_by_role("alert")
    expect(errors).to_contain_text("Your email address: Enter your email address.")
    expect(errors).to_contain_text("Topics: Choose at least one topic.")
    expect(page.get_by_label("Your email address")).to_have_attribute("aria-invalid", "true")
    snap(page, "signup-errors")
    expect_accessible(page)
