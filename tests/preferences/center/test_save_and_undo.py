"""The preference center's one Save, frequencies, pause everything and undo: what a
person changes is what the database then holds, and bad input changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from preferences.models import ConsentEvent, Subscription, Topic
from preferences.tokens import make_preferences_token

IN_PLACE = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def url(alice):
    return reverse("preferences:center", args=[make_preferences_token(subject=alice)])


@pytest.fixture
def weekly(newsletter):
    Topic.objects.filter(pk=newsletter.pk).update(frequencies=["weekly", "monthly"])
    newsletter.refresh_from_db()
    return newsletter


def states(subject):
    return {s.topic.slug: s.status for s in subject.subscriptions.select_related("topic")}


def test_one_save_sets_every_toggle_and_frequency(client, url, alice, weekly, offers, sms_alerts):
    response = client.post(url, {"action": "save", "topics": ["newsletter", "sms-alerts"],
                                 "frequency-newsletter": "monthly"})
    assert response.status_code == 302 and response["Location"].endswith("#subscriptions")
    assert states(alice) == {"newsletter": "subscribed", "offers": "unsubscribed",
                             "sms-alerts": "subscribed"}
    assert Subscription.objects.get(subject=alice, topic=weekly).frequency == "monthly"
    assert AuditEvent.objects.filter(action="subscription.frequency_changed").count() == 1
    page = client.get(url).content.decode()
    notice = page[page.index('id="status-subscriptions"'):].split("</div>")[0]
    assert "Your subscriptions are saved." in notice and "Undo" in notice
    assert '<option value="monthly" selected>' in page


def test_saving_the_same_choices_changes_nothing_and_says_so(client, url, alice, newsletter,
                                                            offers):
    before = ConsentEvent.objects.count()
    client.post(url, {"action": "save", "topics": ["newsletter", "offers"]})
    assert ConsentEvent.objects.count() == before
    assert "Nothing changed" in client.get(url).content.decode()


def test_undo_puts_back_the_last_change(client, url, alice, weekly, offers):
    client.post(url, {"action": "save", "topics": ["newsletter"],
                      "frequency-newsletter": "monthly"})
    assert states(alice)["offers"] == "unsubscribed"
    client.post(url, {"action": "undo"})
    assert states(alice) == {"newsletter": "subscribed", "offers": "subscribed"}
    assert Subscription.objects.get(subject=alice, topic=weekly).frequency in ("", "weekly")
    page = client.get(url).content.decode()
    assert "Your last change is undone." in page
    client.post(url, {"action": "undo"})  # nothing left to undo
    assert states(alice) == {"newsletter": "subscribed", "offers": "subscribed"}


def test_undo_is_the_visitors_own(client, url, alice, newsletter, offers):
    from django.test import Client

    client.post(url, {"action": "save", "topics": ["newsletter"]})
    other = Client()
    other.post(url, {"action": "undo"})
    assert states(alice)["offers"] == "unsubscribed"


def test_pause_everything_then_resume(client, url, alice, newsletter, offers):
    client.post(url, {"action": "pause_all", "weeks": "4"})
    subs = list(alice.subscriptions.all())
    assert {s.status for s in subs} == {"paused"}
    soon = timezone.now() + timedelta(weeks=4)
    assert all(abs(s.paused_until - soon) < timedelta(minutes=1) for s in subs)
    client.post(url, {"action": "resume_all"})
    assert set(states(alice).values()) == {"subscribed"}


def test_undo_after_unsubscribe_from_all(client, url, alice, newsletter):
    client.post(url, {"action": "unsubscribe_all"})
    alice.refresh_from_db()
    assert alice.unsubscribed_all
    client.post(url, {"action": "undo"})
    alice.refresh_from_db()
    assert not alice.unsubscribed_all


@pytest.mark.parametrize("data", [
    {"action": "save", "topics": ["newsletter"], "frequency-newsletter": "hourly"},
    {"action": "save", "topics": ["newsletter", "no-such-topic"]},
    {"action": "pause_all", "weeks": "3"},
    {"action": "pause_all"},
])
def test_bad_input_is_400_and_changes_nothing(client, url, alice, weekly, offers, data):
    before = (states(alice), ConsentEvent.objects.count(),
              list(Subscription.objects.values_list("frequency", flat=True)))
    response = client.post(url, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert before == (states(alice), ConsentEvent.objects.count(),
                      list(Subscription.objects.values_list("frequency", flat=True)))


def test_with_javascript_the_answer_is_the_page_itself(client, url, alice, newsletter, offers,
                                                       purposes):
    response = client.post(url, {"action": "save", "topics": ["newsletter"]}, **IN_PLACE)
    assert response.status_code == 200
    page = response.content.decode()
    notice = page[page.index('id="status-subscriptions"'):].split("</div>")[0]
    assert "Your subscriptions are saved." in notice
    assert "Undo" in notice
    privacy = page[page.index('id="status-privacy"'):].split("</div>")[0]
    assert "saved" not in privacy  # only where the change happened
    assert states(alice)["offers"] == "unsubscribed"


def test_an_export_request_goes_to_verification_not_that_choices_are_saved(
        client, url, alice, settings, tmp_path):
    """The preference link alone is not enough for a download (issue 15): the center
    sends the person to confirm with an emailed code, and says nothing is saved."""
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    answer = client.post(url, {"action": "export"}, **IN_PLACE)
    assert answer.status_code == 302 and "/privacy/verify/" in answer["Location"]
    page = client.get(answer["Location"]).content.decode()
    assert "Your choices are saved" not in page and "Undo" not in page


def test_a_brand_center_saves_only_its_own_topics(client, alice, newsletter, offers):
    from preferences.email import preferences_url
    from preferences.models import Brand

    beta = Brand.objects.create(slug="beta", name="Beta")
    Topic.objects.filter(pk=offers.pk).update(brand=beta)
    client.post(preferences_url(alice, brand=beta), {"action": "save", "topics": []})
    assert states(alice) == {"newsletter": "subscribed", "offers": "unsubscribed"}
