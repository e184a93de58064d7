"""Every subscriber page wears a brand: the topic's, the one a link names, or the
default (a Brand row, else the HUSH_BRAND_* settings); and says which address it
manages, masked."""

import pytest
from django.urls import reverse

import audit
from preferences.branding.services import brand_save
from preferences.email import preferences_url, unsubscribe_url
from preferences.models import ConsentEvent, Subscription
from preferences.services import subject_upsert


def page_of(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_without_a_brand_row_pages_wear_the_settings_brand(client, settings, alice):
    settings.HUSH_BRAND_NAME = "Example Co"
    settings.HUSH_BRAND_PRIVACY_POLICY_URL = "https://example.com/privacy"
    settings.HUSH_BRAND_LEGAL_ENTITY = "Example Co Ltd"
    page = page_of(client, preferences_url(alice))
    assert '<span class="brand-name">Example Co</span>' in page
    assert "<title>Your email preferences · Example Co</title>" in page
    assert 'href="https://example.com/privacy">Privacy policy</a>' in page
    assert "Example Co Ltd" in page
    assert reverse("preferences:brand_css", args=["default"]) in page
    css = client.get(reverse("preferences:brand_css", args=["default"]))
    assert css["Content-Type"] == "text/css" and "--accent: #0b5cad;" in css.content.decode()


def test_the_center_says_which_address_it_manages_masked(client, alice):
    page = page_of(client, preferences_url(alice))
    assert "Preferences for a\N{BULLET}\N{BULLET}\N{BULLET}@example.com" in page
    assert "alice@example.com" not in page


def test_a_topic_wears_its_brand_on_the_one_click_page(client, alice, acme, newsletter):
    page = page_of(client, unsubscribe_url(alice, newsletter))
    assert '<span class="brand-name">Acme</span>' in page
    assert 'href="mailto:help@acme.example">Contact us</a>' in page
    assert "Acme Ltd, 1 Main Street, London" in page
    css = client.get(reverse("preferences:brand_css", args=["acme"])).content.decode()
    assert "--accent: #8a1c7c;" in css and "--on-accent: #ffffff;" in css


def test_a_brand_link_shows_that_brand_and_only_its_topics(client, alice, acme, beta, book_club):
    beta_page = page_of(client, preferences_url(alice, brand=beta))
    assert "?brand=beta" in preferences_url(alice, brand=beta)
    assert '<span class="brand-name">Beta Books</span>' in beta_page
    assert 'alt="Beta Books"' in beta_page and reverse(
        "preferences:brand_logo", args=["beta"]) in beta_page
    assert 'data-topic="book-club"' in beta_page and 'data-topic="newsletter"' not in beta_page
    acme_page = page_of(client, preferences_url(alice))
    assert '<span class="brand-name">Acme</span>' in acme_page
    assert 'data-topic="newsletter"' in acme_page and "Beta Books" not in acme_page


def test_the_one_click_answer_wears_the_brand_as_last_saved(client, alice, acme, newsletter,
                                                            django_capture_on_commit_callbacks):
    url = unsubscribe_url(alice, newsletter)
    first = client.post(url, {"List-Unsubscribe": "One-Click"}).content.decode()
    assert '<span class="brand-name">Acme</span>' in first
    acme.name = "Acme Group"
    with django_capture_on_commit_callbacks(execute=True):
        brand_save(brand=acme, actor=audit.SYSTEM)
    again = client.post(url, {"List-Unsubscribe": "One-Click"}).content.decode()
    assert '<span class="brand-name">Acme Group</span>' in again


def test_a_brand_speaks_the_subjects_language(client, acme, newsletter):
    subject, _ = subject_upsert(actor=audit.SYSTEM, source="import", email="chloe@example.fr",
                                locale="fr", subscriptions={"newsletter": True})
    # The one-click page speaks the browser's language (it reads no subject: issue 13).
    page = page_of(client, unsubscribe_url(subject, newsletter), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<span class="brand-name">Acme France</span>' in page
    assert "Acme SAS, Paris" in page


def test_the_logo_is_served_as_an_image_that_can_run_nothing(client, beta):
    response = client.get(reverse("preferences:brand_logo", args=["beta"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content == bytes(beta.logo)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get(reverse("preferences:brand_logo", args=["nope"])).status_code == 404
    assert client.get(reverse("preferences:brand_css", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_a_template_override_folder_changes_one_brands_page(client, settings, tmp_path, alice,
                                                            acme, beta, book_club, newsletter):
    (tmp_path / "beta" / "preferences").mkdir(parents=True)
    (tmp_path / "beta" / "preferences" / "one_click.html").write_text(
        '{% extends "preferences/_layout.html" %}{% block content %}'
        "<h1>Beta's own goodbye</h1>{% endblock %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    assert "Beta's own goodbye" in page_of(client, unsubscribe_url(alice, book_club))
    assert "Beta's own goodbye" not in page_of(client, unsubscribe_url(alice, newsletter))


def test_resubscribe_from_the_done_page(client, alice, acme, newsletter):
    url = unsubscribe_url(alice, newsletter)
    done = client.post(url, {"List-Unsubscribe": "One-Click"}).content.decode()
    assert 'action="resubscribe/"' in done and "Resubscribe to Newsletter" in done
    response = client.post(url + "resubscribe/")
    assert response.status_code == 200
    assert "You are subscribed to Newsletter again" in response.content.decode()
    sub = Subscription.objects.get(subject=alice, topic=newsletter)
    assert sub.status == "subscribed"
    last = ConsentEvent.objects.filter(subject=alice, topic=newsletter).latest("id")
    assert (last.old_status, last.new_status, last.source) == (
        "unsubscribed", "subscribed", "resubscribe")


def test_resubscribe_needs_a_post_and_a_genuine_token(client, alice, newsletter):
    url = unsubscribe_url(alice, newsletter)
    assert client.get(url + "resubscribe/").status_code == 405
    assert client.post(url.replace("/u/", "/u/x") + "resubscribe/").status_code == 404
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"
