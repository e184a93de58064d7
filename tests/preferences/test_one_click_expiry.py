"""The attack: an old or forwarded email's one-click link. It unsubscribes for a year
(HUSH_ONE_CLICK_MAX_AGE), then not at all; and unless it is as fresh as a preference
link, its page leads to "email me a link", never straight into the preference center
(where erasure and export are)."""

import re

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from preferences.models import Subscription
from preferences.tokens import UNSUBSCRIBE_SALT, make_unsubscribe_token

DAY = 86400
CENTER_LINK = re.compile(r'href="[^"]*/p/[^"/]+/"')


def token_issued(subject, topic, seconds_ago):
    signer = signing.TimestampSigner(salt=UNSUBSCRIBE_SALT)
    signer.timestamp = lambda: signing.b62_encode(int(timezone.now().timestamp()) - seconds_ago)
    return signer.sign_object([subject.public_id.hex, topic.slug])


def url(token):
    return reverse("preferences:one_click", args=[token])


def status(subject, topic):
    return Subscription.objects.get(subject=subject, topic=topic).status


def test_the_token_carries_its_issue_time(alice, newsletter):
    token = make_unsubscribe_token(subject=alice, topic=newsletter)
    assert abs(signing.b62_decode(token.split(":")[-2]) - timezone.now().timestamp()) < 5


def test_a_link_older_than_a_year_is_refused_and_changes_nothing(client, alice, newsletter):
    old = url(token_issued(alice, newsletter, 366 * DAY))
    assert client.get(old).status_code == 404
    assert client.post(old, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert status(alice, newsletter) == "subscribed"


def test_the_age_is_configurable(client, alice, newsletter, settings):
    settings.HUSH_ONE_CLICK_MAX_AGE = 3600
    two_hours = url(token_issued(alice, newsletter, 7200))
    assert client.post(two_hours, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert status(alice, newsletter) == "subscribed"


def test_a_months_old_link_still_unsubscribes_but_does_not_open_the_center(client, alice,
                                                                           newsletter):
    month_old = url(token_issued(alice, newsletter, 30 * DAY))
    page = client.get(month_old).content.decode()
    assert not CENTER_LINK.search(page) and 'href="https://hush.example.com/p/"' in page
    assert "Email me a link" in page
    done = client.post(month_old, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and status(alice, newsletter) == "unsubscribed"
    answer = done.content.decode()
    assert not CENTER_LINK.search(answer) and 'href="https://hush.example.com/p/"' in answer


def test_a_fresh_link_opens_the_center_as_before(client, alice, newsletter, offers):
    fresh = url(make_unsubscribe_token(subject=alice, topic=newsletter))
    page = client.get(fresh).content.decode()
    assert CENTER_LINK.search(page)
    center = re.search(r'href="https://hush.example.com(/p/[^"/]+/)"', page).group(1)
    assert client.get(center).status_code == 200
    # a stale one for another topic, on the same page cache, still does not
    done = client.post(url(token_issued(alice, offers, 30 * DAY)),
                       {"List-Unsubscribe": "One-Click"}).content.decode()
    assert not CENTER_LINK.search(done)


@pytest.mark.parametrize("age_days", [8, 364])
def test_any_link_past_the_preference_link_age_goes_through_email_me_a_link(
        client, alice, newsletter, age_days):
    page = client.get(url(token_issued(alice, newsletter, age_days * DAY))).content.decode()
    assert not CENTER_LINK.search(page)
