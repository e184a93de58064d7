"""Each preset with a file shaped as the provider exports it (headers as in the
providers' documentation and export files; the rows are made up)."""

import pytest

from common.crypto import email_digest
from preferences.models import ConsentEvent, Subject, Suppression

pytestmark = pytest.mark.django_db

MAILCHIMP_HEAD = ('"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,'
                  "CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,"
                  "LAST_CHANGED,LEID,EUID,NOTES,TAGS")
MAILCHIMP_SUBSCRIBED = (
    MAILCHIMP_HEAD + "\n"
    'ada@example.com,Ada,Lovelace,4,"2024-03-14 09:12:31",10.0.0.1,"2024-03-14 09:14:00",'
    '10.0.0.1,,,,,,GB,,"2024-03-14 09:14:00",44877845,c2cb0681af,,"""VIP"""\n'
    'grace@example.com,Grace,Hopper,2,,,"2015-03-16 14:40:47",,,,,,,US,,'
    '"2015-03-16 14:40:47",44877846,c2cb0681b0,,\n')
MAILCHIMP_UNSUBSCRIBED = (
    MAILCHIMP_HEAD + ",UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,"
    "UNSUB_REASON_OTHER\n"
    'linus@example.com,Linus,T,2,,,"2016-04-18 13:51:14",,,,,,,FI,,"2021-01-01 00:00:00",'
    '55331253,89501affba,,,"2021-01-01 00:00:00","Spring sale",a1b2c3,"NORMAL",\n')
MAILCHIMP_CLEANED = (
    MAILCHIMP_HEAD + ",CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID\n"
    'gone@example.com,,,1,,,"2016-04-18 13:51:14",,,,,,,,,"2020-02-03 04:05:06",'
    '55331257,c9b2705aaa,,,"2020-02-03 04:05:06","Winter news",d4e5f6\n')


def _status(email, slug="newsletter"):
    subject = Subject.objects.get(email_digest=email_digest(email))
    return subject.subscriptions.get(topic__slug=slug).status


def test_it_reads_mailchimps_subscribed_and_unsubscribed_exports(
        run_import, write_file, newsletter):
    subscribed = run_import("subjects", write_file(MAILCHIMP_SUBSCRIBED), preset="mailchimp",
                            topic_slug="newsletter")
    unsubscribed = run_import("subjects", write_file(MAILCHIMP_UNSUBSCRIBED, "u.csv"),
                              preset="mailchimp", topic_slug="newsletter")

    assert (subscribed.created, subscribed.bad, unsubscribed.created) == (2, 0, 1)
    assert _status("ada@example.com") == "subscribed"
    assert _status("linus@example.com") == "unsubscribed"
    ada = Subject.objects.get(email_digest=email_digest("ada@example.com"))
    assert ada.country == "GB"
    event = ConsentEvent.objects.get(subject=ada)
    assert event.occurred_at.isoformat() == "2024-03-14T09:14:00+00:00"  # CONFIRM_TIME
    linus = ConsentEvent.objects.get(subject__email_digest=email_digest("linus@example.com"))
    assert linus.occurred_at.isoformat() == "2021-01-01T00:00:00+00:00"  # UNSUB_TIME


def test_mailchimp_needs_the_topic_it_feeds(run_import, write_file, newsletter):
    from preferences.imports.rows import PlanError

    with pytest.raises(PlanError, match="--topic"):
        run_import("subjects", write_file(MAILCHIMP_SUBSCRIBED), preset="mailchimp")


def test_mailchimps_unsubscribed_and_cleaned_exports_are_suppression_lists(
        run_import, write_file, postgres):
    run_import("suppressions", write_file(MAILCHIMP_UNSUBSCRIBED), preset="mailchimp")
    run_import("suppressions", write_file(MAILCHIMP_CLEANED, "c.csv"), preset="mailchimp")

    reasons = dict(Suppression.objects.values_list("email_digest", "reason"))
    assert reasons == {email_digest("linus@example.com"): "unsubscribed_all",
                       email_digest("gone@example.com"): "bounce"}


def test_mailchimps_subscribed_export_is_not_a_suppression_list(write_file, run_import):
    from preferences.imports.rows import PlanError

    with pytest.raises(PlanError, match="unsubscribed or cleaned"):
        run_import("suppressions", write_file(MAILCHIMP_SUBSCRIBED), preset="mailchimp")


def test_it_reads_a_sendgrid_contacts_export(run_import, write_file, newsletter):
    text = ("EMAIL,FIRST_NAME,LAST_NAME,ADDRESS_LINE_1,ADDRESS_LINE_2,CITY,"
            "STATE_PROVINCE_REGION,POSTAL_CODE,COUNTRY,ALTERNATE_EMAILS,PHONE_NUMBER,WHATSAPP,"
            "LINE,FACEBOOK,UNIQUE_NAME,CREATED_AT,UPDATED_AT,CONTACT_ID\n"
            "ada@example.com,Ada,Lovelace,,,London,,,United Kingdom,,,,,,,"
            "2023-05-06T07:08:09Z,2023-05-06T07:08:09Z,0f3e9a1c-1111-4c2b-9d6e-aaaaaaaaaaaa\n"
            "grace@example.com,Grace,,,,,,,US,,,,,,,2023-05-07T07:08:09Z,"
            "2023-05-07T07:08:09Z,0f3e9a1c-2222-4c2b-9d6e-bbbbbbbbbbbb\n")

    job = run_import("subjects", write_file(text), preset="sendgrid", topic_slug="newsletter")

    assert (job.created, job.bad) == (2, 0)
    countries = dict(Subject.objects.values_list("email_digest", "country"))
    assert countries[email_digest("ada@example.com")] == ""  # a name, not an ISO code
    assert countries[email_digest("grace@example.com")] == "US"


@pytest.mark.parametrize(("text", "reason"), [
    ("email,created\nada@example.com,1443651125\n", "unsubscribed_all"),  # global unsubscribes
    ("created,email,reason,status\n1443651125,ada@example.com,"
     '"550 5.1.1 The email account that you tried to reach does not exist",5.1.1\n', "bounce"),
    ("created,email,ip\n1443651125,ada@example.com,10.63.202.100\n", "complaint"),  # spam
])
def test_it_reads_sendgrids_suppression_exports(run_import, write_file, text, reason):
    job = run_import("suppressions", write_file(text), preset="sendgrid")

    assert (job.created, job.bad) == (1, 0)
    suppression = Suppression.objects.get()
    assert (suppression.email_digest, suppression.reason) == (email_digest("ada@example.com"),
                                                              reason)
    assert suppression.created_at.isoformat() == "2015-09-30T22:12:05+00:00"


LISTMONK = ("uuid,email,name,attributes,status,created_at,updated_at\n"
            '5f0bd1b8-63a0-4c3f-a1f6-6e8c5b1f3a01,ada@example.com,Ada,"{""city"": ""London""}",'
            "enabled,2023-01-02 03:04:05.123456+00,2023-01-02 03:04:05.123456+00\n"
            "6a1ce2c9-74b1-4d40-b2a7-7f9d6c2a4b12,linus@example.com,Linus,{},blocklisted,"
            "2022-01-02 03:04:05+00,2024-06-07 08:09:10+00\n")


def test_it_reads_a_listmonk_subscribers_export(run_import, write_file, newsletter):
    subjects = run_import("subjects", write_file(LISTMONK), preset="listmonk",
                          topic_slug="newsletter")
    suppressions = run_import("suppressions", write_file(LISTMONK), preset="listmonk")

    assert (subjects.created, subjects.bad) == (2, 0)
    assert _status("ada@example.com") == "subscribed"
    assert _status("linus@example.com") == "unsubscribed"
    assert (suppressions.created, suppressions.unchanged) == (1, 1)  # only the blocklisted
    assert Suppression.objects.get().email_digest == email_digest("linus@example.com")


def test_it_reads_a_brevo_contacts_export_separated_by_semicolons(
        run_import, write_file, newsletter):
    text = ("CONTACT ID;EMAIL;FIRSTNAME;LASTNAME;SMS;EMAIL_BLACKLISTED;ADDED_TIME;MODIFIED_TIME\n"
            "1;ada@example.com;Ada;Lovelace;;No;2022-05-06 07:08:09;2022-05-06 07:08:09\n"
            "2;linus@example.com;Linus;T;;Yes;2021-05-06 07:08:09;2023-01-01 10:00:00\n")

    job = run_import("subjects", write_file(text), preset="brevo", topic_slug="newsletter")

    assert (job.created, job.bad) == (2, 0)
    assert _status("ada@example.com") == "subscribed"
    assert _status("linus@example.com") == "unsubscribed"
