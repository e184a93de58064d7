"""Topic, purpose and brand texts per language, and German as a third language for the
pages; the sign-up form's errors name their field."""

import pytest

import audit
from preferences.email import preferences_url, unsubscribe_url
from preferences.models import Purpose, Topic
from preferences.services import subject_upsert


@pytest.fixture
def translated_topics(newsletter, offers):
    Topic.objects.filter(pk=newsletter.pk).update(
        description="What we made this week.",
        translations={"fr": {"name": "Lettre d'information", "description": "Nos nouvelles."},
                      "de": {"name": "Rundbrief", "description": "Unsere Neuigkeiten."}})
    Purpose.objects.create(slug="analytics", name="Analytics", description="Counting visits.",
                           translations={"de": {"name": "Statistik",
                                                "description": "Wir zählen Besuche."}})


def subject_speaking(language):
    subject, _ = subject_upsert(actor=audit.SYSTEM, source="import",
                                email=f"{language}@example.com", locale=language,
                                subscriptions={"newsletter": True})
    return subject


@pytest.mark.parametrize(("language", "heading", "name", "about"), [
    ("de", "Ihre E-Mail-Einstellungen", "Rundbrief", "Unsere Neuigkeiten."),
    ("fr", "Vos préférences e-mail", "Lettre d&#x27;information", "Nos nouvelles."),
    ("en", "Your email preferences", "Newsletter", "What we made this week."),
])
def test_the_center_speaks_the_subjects_language_topics_included(
        client, translated_topics, language, heading, name, about):
    page = client.get(preferences_url(subject_speaking(language))).content.decode()
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert f'class="topic-name">{name}</label>' in page
    assert about in page


def test_purpose_texts_are_translated(client, translated_topics):
    page = client.get(preferences_url(subject_speaking("de"))).content.decode()
    assert ">Statistik</label>" in page and "Wir zählen Besuche." in page


def test_a_translated_description_bumps_the_purposes_wording_version(translated_topics):
    purpose = Purpose.objects.get(slug="analytics")
    assert purpose.version == 1
    purpose.translations = {"de": {"name": "Statistik", "description": "Wir zählen alles."}}
    purpose.save()
    assert purpose.version == 2
    purpose.translations = {"de": {"name": "Statistiken", "description": "Wir zählen alles."}}
    purpose.save()
    assert purpose.version == 3  # the name is shown too: a receipt keeps it (issue 15)
    purpose.save()
    assert purpose.version == 3  # saved unchanged: the same wording


def test_the_one_click_page_in_german(client, translated_topics, newsletter):
    page = client.get(unsubscribe_url(subject_speaking("de"), newsletter),
                      HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Von Rundbrief abmelden?" in page


def test_an_empty_sign_up_names_each_field(client, newsletter):
    response = client.post("/s/", {})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Your email address: Enter your email address." in page
    assert "Topics: Choose at least one topic." in page
    assert "This field is required." not in page


def test_the_sign_up_form_shows_descriptions_and_a_privacy_notice(client, translated_topics,
                                                                   settings):
    settings.HUSH_BRAND_PRIVACY_POLICY_URL = "https://example.com/privacy"
    page = client.get("/s/").content.decode()
    assert "What we made this week." in page
    assert 'id="privacy-notice"' in page and 'href="https://example.com/privacy"' in page


def test_the_sign_up_errors_in_german(client, newsletter):
    page = client.post("/s/", {}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Ihre E-Mail-Adresse: Geben Sie Ihre E-Mail-Adresse ein." in page
    assert "Themen: Wählen Sie mindestens ein Thema." in page
