"""The mail Hush sends a subscriber: HTML and plain text, from the brand's sender, in
the subject's language, with the headers of automatic mail."""

from django.core import mail

import audit
from preferences.branding.selectors import brand_named
from preferences.services import preference_link_send, subject_upsert


def test_the_preference_link_is_html_and_text_from_the_brand(alice, acme):
    assert preference_link_send(subject_id=str(alice.public_id))
    (message,) = mail.outbox
    assert message.from_email == "Acme News <news@acme.example>"
    assert message.to == ["alice@example.com"]
    assert message.reply_to == ["help@acme.example"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.extra_headers["Content-Language"] == "en"
    assert "/p/" in message.body and "Acme Ltd, 1 Main Street, London" in message.body
    (html, kind), = message.alternatives
    assert kind == "text/html"
    assert 'lang="en"' in html and "Manage my preferences" in html and "#8a1c7c" in html
    assert message.message()["Auto-Submitted"] == "auto-generated"


def test_the_link_for_another_brand_comes_from_it_and_opens_its_center(alice,
                                                                       acme, beta, book_club):
    preference_link_send(subject_id=str(alice.public_id), brand="beta")
    (message,) = mail.outbox
    assert message.from_email == "Beta Books <hello@beta.example>"
    assert "?brand=beta" in message.body
    assert "/b/beta/logo" in message.alternatives[0][0]


def test_mail_speaks_the_subjects_language(acme, newsletter):
    subject, _ = subject_upsert(actor=audit.SYSTEM, source="import", email="chloe@example.fr",
                                locale="fr", subscriptions={"newsletter": True})
    preference_link_send(subject_id=str(subject.public_id))
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "fr"
    assert "Acme SAS, Paris" in message.body
    assert 'lang="fr"' in message.alternatives[0][0]


def test_without_a_brand_mail_comes_from_the_settings_sender(settings, alice):
    settings.DEFAULT_FROM_EMAIL = "Example Co <hello@example.com>"
    assert brand_named(None).slug == "default"
    preference_link_send(subject_id=str(alice.public_id))
    assert mail.outbox[0].from_email == "Example Co <hello@example.com>"
