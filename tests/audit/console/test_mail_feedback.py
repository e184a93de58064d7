"""The console's Mail feedback page: per-day counts from what came in, the complaint
rate against the recipients the consent check allowed, Gmail's 0.3% line."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from preferences.inbound import counters
from preferences.inbound.selectors import mail_feedback_days
from preferences.inbound.services import message_record
from preferences.models import DailyCount, InboundEvent
from tests.preferences.inbound import samples


@pytest.fixture
def feedback_today(db, api, alice, bob, newsletter, settings):
    settings.HUSH_UNSUBSCRIBE_MAILTO = "unsubscribe@mail.example.com"
    # 1,000 recipients allowed by the consent check today (alice and bob, 500 times).
    client = api("consent:check")
    for _ in range(500):
        assert client.post("/api/v1/consent/check", {
            "topic": "newsletter", "recipients": ["alice@example.com", "bob@example.org"]},
            format="json").json()["allowed"] == ["alice@example.com", "bob@example.org"]
    for i in range(4):
        message_record(raw=samples.arf(original_rcpt_to=f"c{i}@example.net"), channel="pipe")
    message_record(raw=samples.dsn([("gone@example.org", "failed", "5.1.1")]), channel="smtp")
    message_record(raw=samples.mailto(None, subject="hello"), channel="smtp")  # ignored
    DailyCount.objects.create(day=timezone.now().date(), name=counters.rejected_name("ses"),
                              count=2)


def test_the_day_counts_and_the_complaint_rate(feedback_today):
    today = mail_feedback_days(days=3)[-1]
    assert today["allowed"] == 1000 and today["complaints"] == 4
    assert today["complaint_rate"] == pytest.approx(0.004)
    assert (today["hard_bounces"], today["ignored"], today["rejected"]) == (1, 1, 2)


def test_a_day_without_allowed_recipients_has_no_rate(db):
    InboundEvent.objects.create(key="k", channel="pipe", kind="complaint", status="applied",
                                received_at=timezone.now() - timedelta(days=1))
    yesterday = mail_feedback_days(days=2)[0]
    assert yesterday["complaints"] == 1 and yesterday["complaint_rate"] is None


def test_the_page_draws_the_rate_and_gmails_line(staff_client, feedback_today):
    page = staff_client("analyst").get("/console/mail-feedback/").content.decode()
    assert 'id="gmail-limit"' in page and "Gmail 0.300%" in page
    assert "0.400%" in page  # today's rate, over the line
    assert re.search(r'<rect [^>]*class="over"', page)
    assert "Mail feedback</a>" in page  # the nav link
    for personal in ("@example", "alice", "bob"):
        assert personal not in page


def test_the_nav_link_shows_only_to_roles_that_may_see_it(staff_client, db):
    assert "Mail feedback</a>" not in staff_client("support").get("/console/subjects/") \
        .content.decode()
