"""The RFC 8058 contract of /u/<token>/."""

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from preferences.models import ConsentEvent, Feedback, Subscription, Topic
from preferences.tokens import make_preferences_token, make_unsubscribe_token
from tests.conftest import require_service
from tests.db_cut import terminate_backend

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def url_for(subject, topic):
    return reverse("preferences:one_click",
                   args=[make_unsubscribe_token(subject=subject, topic=topic)])


def status_of(subject, topic):
    return Subscription.objects.get(subject=subject, topic=topic).status


@pytest.fixture
def url(alice, newsletter):
    return url_for(alice, newsletter)


def test_it_unsubscribes_on_a_urlencoded_post(client, alice, newsletter, url):
    response = client.post(url, ONE_CLICK)
    assert response.status_code == 200
    assert status_of(alice, newsletter) == "unsubscribed"
    event = ConsentEvent.objects.get(subject=alice, topic=newsletter, source="one_click")
    assert (event.old_status, event.new_status) == ("subscribed", "unsubscribed")


def test_it_accepts_multipart(client, alice, newsletter, url):
    response = client.post(url, ONE_CLICK)  # the test client sends multipart by default
    assert response["Content-Type"].startswith("text/html")
    urlencoded = client.post(url_for(alice, newsletter), "List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == urlencoded.status_code == 200
    assert status_of(alice, newsletter) == "unsubscribed"


def test_it_answers_without_redirect_cookie_or_csrf(alice, newsletter, url):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(url, "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Location" not in response
    assert not response.cookies
    assert status_of(alice, newsletter) == "unsubscribed"


def test_posting_twice_equals_once(client, alice, newsletter, url):
    client.post(url, ONE_CLICK)
    second = client.post(url, ONE_CLICK)
    assert second.status_code == 200
    assert ConsentEvent.objects.filter(subject=alice, topic=newsletter,
                                       source="one_click").count() == 1
    assert AuditEvent.objects.filter(action="consent.changed",
                                     details__source="one_click").count() == 1


@pytest.mark.parametrize("body,content_type", [
    ("", "application/x-www-form-urlencoded"),
    ("List-Unsubscribe=one-click", "application/x-www-form-urlencoded"),
    ("List-Unsubscribe=", "application/x-www-form-urlencoded"),
    ("List-Unsubscribe=One-Click&extra=1", "application/x-www-form-urlencoded"),
    ("List-Unsubscribe=One-Click&reason=made-up", "application/x-www-form-urlencoded"),
    ('{"List-Unsubscribe": "One-Click"}', "application/json"),
    ("List-Unsubscribe=One-Click", "text/plain"),
    ("Unsubscribe=One-Click", "application/x-www-form-urlencoded"),
])
def test_any_other_body_is_400_and_changes_nothing(client, alice, newsletter, url, body,
                                                   content_type):
    response = client.post(url, body, content_type=content_type)
    assert response.status_code == 400
    assert status_of(alice, newsletter) == "subscribed"
    assert not ConsentEvent.objects.filter(source="one_click").exists()
    assert not Feedback.objects.exists()


def test_get_changes_nothing(client, alice, newsletter, url):
    events = ConsentEvent.objects.count()
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200
    assert status_of(alice, newsletter) == "subscribed"
    assert ConsentEvent.objects.count() == events
    page = response.content.decode()
    assert 'name="List-Unsubscribe" value="One-Click"' in page
    assert "Unsubscribe" in page
    assert "/p/" in page  # a link to the preference center


def test_get_does_not_touch_the_database(client, alice, newsletter, url,
                                         django_assert_num_queries):
    """Mail scanners fetch every link of every message: the page needs only the token
    (and the topic names, read once a minute)."""
    client.get(url)
    other = url_for(alice, Topic.objects.get(slug="offers"))
    with django_assert_num_queries(0):
        first, second = client.get(url), client.get(other)
    assert "Unsubscribe from Newsletter?" in first.content.decode()
    assert "Unsubscribe from Offers?" in second.content.decode()


def test_get_after_unsubscribing_still_offers_the_button(client, alice, newsletter, url):
    client.post(url, ONE_CLICK)
    page = client.get(url).content.decode()
    assert 'name="List-Unsubscribe" value="One-Click"' in page
    assert client.post(url, ONE_CLICK).status_code == 200  # twice equals once
    assert ConsentEvent.objects.filter(subject=alice, source="one_click").count() == 1


def test_get_for_a_topic_that_is_gone_is_an_invalid_link(client, alice, newsletter, url):
    Topic.objects.filter(slug="newsletter").update(slug="renamed")
    assert client.get(url).status_code == 404


def test_the_answer_offers_the_reason_form(client, url):
    page = client.post(url, ONE_CLICK).content.decode()
    assert 'name="reason"' in page
    assert 'value="too_frequent"' in page
    assert "csrfmiddlewaretoken" not in page


def test_a_reason_is_stored_without_linking_the_subject(client, alice, newsletter, url):
    response = client.post(url, {**ONE_CLICK, "reason": "too_frequent"})
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.topic, feedback.reason, feedback.country) == (newsletter, "too_frequent",
                                                                   "GB")
    assert status_of(alice, newsletter) == "unsubscribed"


def test_a_token_cannot_reach_another_subject(client, alice, bob, newsletter, url):
    client.post(url, ONE_CLICK)
    assert status_of(bob, newsletter) == "subscribed"
    assert status_of(alice, newsletter) == "unsubscribed"


def test_it_only_touches_the_topic_in_the_token(client, alice, newsletter, offers, url):
    client.post(url, ONE_CLICK)
    assert status_of(alice, offers) == "subscribed"


def test_a_tampered_token_is_404_and_changes_nothing(client, alice, newsletter, url):
    token = url.split("/")[2]
    response = client.post(f"/u/{token[:-2]}xx/", ONE_CLICK)
    assert response.status_code == 404
    assert status_of(alice, newsletter) == "subscribed"


def test_a_preferences_token_does_not_unsubscribe(client, alice, newsletter):
    token = make_preferences_token(subject=alice)
    assert client.post(f"/u/{token}/", ONE_CLICK).status_code == 404
    assert status_of(alice, newsletter) == "subscribed"


def test_a_subject_without_a_row_for_the_topic_gets_an_unsubscribed_row(client, alice,
                                                                         sms_alerts):
    response = client.post(url_for(alice, sms_alerts), ONE_CLICK)
    assert response.status_code == 200
    assert status_of(alice, sms_alerts) == "unsubscribed"


def test_it_unpauses_into_unsubscribed(client, alice, newsletter, url):
    from preferences.services import subscription_pause

    subscription_pause(subject=alice, topic=newsletter, weeks=4, source="preference_center",
                       actor=alice)
    client.post(url, ONE_CLICK)
    sub = Subscription.objects.get(subject=alice, topic=newsletter)
    assert (sub.status, sub.paused_until) == ("unsubscribed", None)


def test_other_methods_are_refused(client, url):
    assert client.put(url).status_code == 405
    assert client.delete(url).status_code == 405


def test_the_answer_speaks_the_subjects_language(client, alice, newsletter, url):
    alice.locale = "fr"
    alice.save()
    page = client.post(url, ONE_CLICK).content.decode()
    assert '<html lang="fr">' in page


def test_the_page_speaks_the_browsers_language(client, alice, newsletter, url):
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr">' in page


def test_the_one_click_post_is_one_short_transaction(client, alice, newsletter, url,
                                                     django_assert_max_num_queries):
    """The hot path: lock-and-read, one UPDATE, the destinations, and the INSERTs
    (consent, outbox, audit)."""
    with django_assert_max_num_queries(7):
        client.post(url, ONE_CLICK)


def test_one_reason_per_unsubscribe(client, alice, newsletter, url):
    for _ in range(3):
        assert client.post(url, {**ONE_CLICK, "reason": "privacy"}).status_code == 200
    assert Feedback.objects.count() == 1
    # Coming back and leaving again is a new unsubscribe, with room for a new reason.
    from preferences.services import subscription_set

    subscription_set(subject=alice, topic=newsletter, status="subscribed",
                     source="preference_center", actor=alice)
    client.post(url, {**ONE_CLICK, "reason": "too_frequent"})
    assert list(Feedback.objects.order_by("id").values_list("reason", flat=True)) == [
        "privacy", "too_frequent"]


def test_the_page_is_translated_into_french(client, alice, newsletter, url):
    alice.locale = "fr"
    alice.save()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Se désabonner de Newsletter ?" in page
    assert "Vous êtes désabonné de Newsletter" in client.post(url, ONE_CLICK).content.decode()


def test_each_answer_carries_its_own_subjects_preference_link(client, alice, bob, newsletter):
    from preferences.tokens import read_preferences_token

    for subject in (alice, bob, alice):
        page = client.post(url_for(subject, newsletter), ONE_CLICK).content.decode()
        token = page.split('href="')[-1].split('"')[0].rstrip("/").rsplit("/", 1)[1]
        assert read_preferences_token(token) == subject.public_id
        assert "hush-preferences-url-slot" not in page


def test_the_answer_offers_a_comment_box(client, url):
    page = client.post(url, ONE_CLICK).content.decode()
    assert 'name="comment"' in page and 'maxlength="1000"' in page


def test_a_comment_is_stored_only_redacted(client, alice, newsletter, url):
    comment = ("Too many mails to alice.liddell@example.com, call me on +44 20 7946 0958 "
               "if you must")
    response = client.post(url, {**ONE_CLICK, "reason": "too_frequent", "comment": comment})
    assert response.status_code == 200
    feedback = Feedback.objects.get()
    assert feedback.reason == "too_frequent"
    assert feedback.comment.startswith("Too many mails to [EMAIL], call me on [PHONE]")
    assert "liddell" not in feedback.comment and "7946" not in feedback.comment


def test_a_comment_without_a_reason_counts_as_another_reason(client, alice, url):
    client.post(url, {**ONE_CLICK, "comment": "just stop"})
    assert Feedback.objects.get().reason == "other"


def test_a_comment_too_long_is_a_400_and_changes_nothing(client, alice, newsletter, url):
    response = client.post(url, {**ONE_CLICK, "reason": "other", "comment": "x" * 1001})
    assert response.status_code == 400
    assert not Feedback.objects.exists()
    assert status_of(alice, newsletter) == "subscribed"


def test_it_unsubscribes_on_a_fresh_connection_when_postgres_dropped_the_old_one(
        transactional_db, client, alice, newsletter):
    """The one-click statement runs on the raw psycopg connection, where Django never
    sees the error by itself: a terminated connection must be replaced, not reused."""
    require_service(connection.vendor == "postgresql", "needs PostgreSQL")
    url = url_for(alice, newsletter)
    dropped = connection.connection.info.backend_pid
    terminate_backend(dropped)
    response = client.post(url, ONE_CLICK)
    assert response.status_code == 200
    assert status_of(alice, newsletter) == "unsubscribed"
    assert ConsentEvent.objects.filter(subject=alice, topic=newsletter,
                                       source="one_click").count() == 1
    assert connection.connection.info.backend_pid != dropped
