"""The preference center at /p/<token>/."""

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from anonymizer.models import ErasureRequest
from preferences.models import ConsentEvent, Subscription, Suppression
from preferences.tokens import PREFERENCES_SALT, make_preferences_token, make_unsubscribe_token


@pytest.fixture
def url(alice):
    return reverse("preferences:center", args=[make_preferences_token(subject=alice)])


def status_of(subject, topic):
    return Subscription.objects.get(subject=subject, topic=topic)


def expired_url(subject):
    signer = signing.TimestampSigner(salt=PREFERENCES_SALT)
    signer.timestamp = lambda: signing.b62_encode(int(timezone.now().timestamp()) - 8 * 86400)
    return reverse("preferences:center", args=[signer.sign_object([subject.public_id.hex])])


def test_it_shows_every_topic_grouped_by_channel(client, url, newsletter, offers, sms_alerts):
    page = client.get(url).content.decode()
    assert page.index("<h2 id=\"channel-1\">Email</h2>") < page.index("SMS")
    for name in ("Newsletter", "Offers", "SMS alerts"):
        assert name in page
    assert page.count("state-subscribed") == 2
    assert page.count("state-unsubscribed") == 1


def test_it_unsubscribes_and_resubscribes_a_topic(client, url, alice, offers):
    response = client.post(url, {"action": "unsubscribe", "topic": "offers"})
    assert response.status_code == 302 and response["Location"] == url + "#subscriptions"
    assert status_of(alice, offers).status == "unsubscribed"
    client.post(url, {"action": "subscribe", "topic": "offers"})
    assert status_of(alice, offers).status == "subscribed"
    sources = set(ConsentEvent.objects.filter(topic=offers).values_list("source", flat=True))
    assert "preference_center" in sources


def test_it_pauses_for_the_chosen_weeks(client, url, alice, newsletter):
    client.post(url, {"action": "pause", "topic": "newsletter", "weeks": "4"})
    sub = status_of(alice, newsletter)
    assert sub.status == "paused"
    assert abs(sub.paused_until - (timezone.now() + timedelta(weeks=4))) < timedelta(minutes=1)
    assert "Paused until" in client.get(url).content.decode()


@pytest.mark.parametrize("weeks", ["2", "0", "52", "x", ""])
def test_it_refuses_other_pause_lengths(client, url, alice, newsletter, weeks):
    response = client.post(url, {"action": "pause", "topic": "newsletter", "weeks": weeks})
    assert response.status_code == 400
    assert status_of(alice, newsletter).status == "subscribed"


def test_an_unknown_topic_or_action_is_400(client, url):
    assert client.post(url, {"action": "unsubscribe", "topic": "nope"}).status_code == 400
    assert client.post(url, {"action": "explode"}).status_code == 400


def test_unsubscribe_from_all_and_back(client, url, alice, newsletter):
    client.post(url, {"action": "unsubscribe_all"})
    alice.refresh_from_db()
    assert alice.unsubscribed_all
    assert Suppression.objects.filter(email_digest=alice.email_digest).exists()
    assert "You are unsubscribed from everything" in client.get(url).content.decode()
    # Topic choices are kept for if the person comes back.
    assert status_of(alice, newsletter).status == "subscribed"

    client.post(url, {"action": "resubscribe_all"})
    alice.refresh_from_db()
    assert not alice.unsubscribed_all
    assert not Suppression.objects.filter(email_digest=alice.email_digest).exists()


def test_resubscribing_keeps_a_suppression_for_another_reason(client, url, alice):
    client.post(url, {"action": "unsubscribe_all"})
    Suppression.objects.filter(email_digest=alice.email_digest).update(reason="complaint")
    client.post(url, {"action": "resubscribe_all"})
    assert Suppression.objects.filter(email_digest=alice.email_digest,
                                      reason="complaint").exists()


def test_it_shows_the_history(client, url, alice, newsletter):
    client.post(url, {"action": "unsubscribe", "topic": "newsletter"})
    page = client.get(url).content.decode()
    assert "History of your choices" in page
    row = page[page.index('id="choice-history"'):].split("<tr>")[2]  # the newest change
    assert "<td>Newsletter</td>" in row and "<td>Unsubscribed</td>" in row
    assert "this page (preference center)" in row
    assert " UTC</time>" in row  # the time says its zone (the page's script makes it local)


def test_erasure_needs_the_box_ticked_then_the_emailed_code(client, url, alice):
    assert client.post(url, {"action": "erase"}).status_code == 400  # needs confirmation
    response = client.post(url, {"action": "erase", "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith("/privacy/verify/")
    assert not ErasureRequest.objects.exists()  # nothing until verified (test_rights_requests)


def test_an_erasure_under_way_shows_on_the_center(client, url, alice):
    from anonymizer.services import erasure_open

    erasure_open(public_id=alice.public_id, source="privacy_request", actor=alice,
                 reviewed=True)
    assert "It is being processed" in client.get(url).content.decode()


def test_a_tampered_link_is_404(client, url):
    assert client.get(url[:-3] + "xx/").status_code == 404


def test_a_one_click_token_does_not_open_the_center(client, alice, newsletter):
    token = make_unsubscribe_token(subject=alice, topic=newsletter)
    assert client.get(f"/p/{token}/").status_code == 404


def test_an_expired_link_offers_a_new_one(client, alice):
    url = expired_url(alice)
    response = client.get(url)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert client.post(url, {"action": "unsubscribe", "topic": "newsletter"}).status_code == 410

    sent = client.post(url + "renew/")
    assert sent.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "/p/" in mail.outbox[0].body


def test_renewing_a_fresh_link_just_opens_it(client, url):
    response = client.post(url + "renew/")
    assert response.status_code == 302
    assert not mail.outbox


def test_the_link_expiry_is_configurable(client, alice, settings):
    settings.HUSH_PREFERENCE_LINK_MAX_AGE = 10 * 86400
    assert client.get(expired_url(alice)).status_code == 200


def test_an_erased_subjects_link_is_404(client, url, alice):
    with ConsentEvent.deletion_allowed():  # as erasure deletes its history
        alice.delete()
    assert client.get(url).status_code == 404


def test_posts_need_the_csrf_token(url, alice, offers):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post(url, {"action": "unsubscribe", "topic": "offers"}).status_code == 403
    assert status_of(alice, offers).status == "subscribed"
