"""`/privacy/`: anyone asks (access, erasure, correction, opt-out of sale); nothing
happens until the person confirms from the address, by the emailed code or the
single-use link; then it runs or waits for review, as the operator configured."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from anonymizer.models import ErasureRequest
from audit.models import AuditEvent
from preferences.models import DataExport, PurposeConsent, RightsRequest, Subject
from preferences.privacy.rights import services
from preferences.tokens import make_preferences_token

PRIVACY = "/privacy/"


def ask(client, email, kind="access", **extra):
    return client.post(PRIVACY, {"kind": kind, "email": email, "method": "code", **extra})


def sent_code(to: str) -> str:
    """The code in the newest mail to `to`: what the person reads."""
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return re.search(r"Your code is (\d{6})", message.body).group(1)


def enter(client, rights_request, code):
    return client.post(reverse("preferences:privacy_verify", args=[rights_request.key]),
                       {"code": code})


@pytest.fixture
def mailed(django_capture_on_commit_callbacks):
    """Run what is queued after commit (the mail tasks) in-process."""
    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)
    return run


def test_the_answer_is_the_same_for_known_and_unknown_addresses(client, mailed, alice):
    known = mailed(ask, client, "alice@example.com")
    unknown = mailed(ask, client, "nobody@example.net")
    assert known.status_code == unknown.status_code == 302
    keys = [str(r.key) for r in RightsRequest.objects.order_by("pk")]
    pages = [re.sub(r'value="[^"]{64}"', "", client.get(r["Location"]).content.decode()
                    .replace(key, "K")) for r, key in zip((known, unknown), keys, strict=True)]
    assert pages[0] == pages[1]
    # both get a code, and nothing was looked up yet
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["nobody@example.net"]]
    assert not RightsRequest.objects.filter(subject_public_id__isnull=False).exists()
    assert not DataExport.objects.exists()


def test_a_preference_link_erasure_does_nothing_until_verified(client, mailed, alice):
    url = reverse("preferences:center", args=[make_preferences_token(subject=alice)])
    response = mailed(client.post, url, {"action": "erase", "confirm": "on"})
    rights_request = RightsRequest.objects.get()
    assert response["Location"] == reverse("preferences:privacy_verify",
                                           args=[rights_request.key])
    assert rights_request.state == "awaiting_verification"
    assert not ErasureRequest.objects.exists()  # the link alone is not enough
    assert Subject.objects.get(pk=alice.pk).email == "alice@example.com"

    page = mailed(enter, client, rights_request, sent_code("alice@example.com"))
    assert page.status_code == 200
    assert "Our privacy team will review it" in page.content.decode()
    rights_request.refresh_from_db()
    assert rights_request.state == "awaiting_review"
    erasure = ErasureRequest.objects.get()
    assert erasure.key == rights_request.erasure_key
    assert erasure.status == "awaiting_review"  # reviewed by default: nothing erased yet
    assert Subject.objects.get(pk=alice.pk).erased_at is None


def test_the_center_download_goes_through_verification(client, mailed, alice, settings,
                                                       tmp_path):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    url = reverse("preferences:center", args=[make_preferences_token(subject=alice)])
    mailed(client.post, url, {"action": "export"})
    assert not DataExport.objects.exists()
    rights_request = RightsRequest.objects.get(kind="access")
    mailed(enter, client, rights_request, sent_code("alice@example.com"))
    export = DataExport.objects.get()
    assert export.subject == alice and export.status == "sent"  # access runs at once
    assert any("/d/" in m.body for m in mail.outbox)


def test_a_wrong_code_costs_a_try_and_five_end_it(client, mailed, alice):
    mailed(ask, client, "alice@example.com")
    rights_request = RightsRequest.objects.get()
    code = sent_code("alice@example.com")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    first = enter(client, rights_request, wrong)
    assert first.status_code == 400
    assert "You have 4 tries left" in first.content.decode()
    for _ in range(4):
        last = enter(client, rights_request, wrong)
    assert "Too many wrong codes" in last.content.decode()
    refused = enter(client, rights_request, code)  # even the right one, now
    assert refused.status_code == 400
    rights_request.refresh_from_db()
    assert rights_request.state == "awaiting_verification"
    assert not DataExport.objects.exists()
    assert AuditEvent.objects.filter(action="rights.code_wrong").count() == 5


def test_an_expired_code_is_refused(client, mailed, alice):
    mailed(ask, client, "alice@example.com")
    rights_request = RightsRequest.objects.get()
    RightsRequest.objects.filter(pk=rights_request.pk).update(
        code_sent_at=timezone.now() - timedelta(minutes=16))
    response = enter(client, rights_request, sent_code("alice@example.com"))
    assert response.status_code == 400
    assert "That code has expired" in response.content.decode()
    assert not DataExport.objects.exists()


def test_a_replayed_code_is_refused(client, mailed, alice, settings, tmp_path):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    mailed(ask, client, "alice@example.com")
    rights_request = RightsRequest.objects.get()
    code = sent_code("alice@example.com")
    assert mailed(enter, client, rights_request, code).status_code == 200
    again = mailed(enter, client, rights_request, code)
    assert again.status_code == 400
    assert "confirmed already" in again.content.decode()
    assert DataExport.objects.count() == 1


def test_the_link_works_once_and_get_changes_nothing(client, mailed, alice, settings,
                                                    tmp_path):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    mailed(client.post, PRIVACY, {"kind": "access", "email": "alice@example.com",
                                  "method": "link"})
    body = mail.outbox[-1].body
    assert "Your code is" not in body
    link = re.search(r"https://hush\.example\.com(/privacy/confirm/[^/\s]+/)", body).group(1)
    assert client.get(link).status_code == 200
    assert RightsRequest.objects.get().state == "awaiting_verification"  # a scanner's GET
    assert mailed(client.post, link).status_code == 200
    assert client.post(link).status_code == 400
    assert DataExport.objects.count() == 1


def test_a_visitor_unknown_to_us_is_told_we_hold_nothing(client, mailed, db):
    mailed(ask, client, "stranger@example.org")
    rights_request = RightsRequest.objects.get()
    mailed(enter, client, rights_request, sent_code("stranger@example.org"))
    rights_request.refresh_from_db()
    assert rights_request.state == "done"
    assert "we hold no data about this email address" in mail.outbox[-1].body
    assert rights_request.email is None  # the address left with the outcome mail
    assert not Subject.objects.exists()


def test_an_opt_out_of_sale_runs_at_once(client, mailed, carol, purposes):
    mailed(ask, client, "carol@example.net", kind="opt_out_sale")
    mailed(enter, client, RightsRequest.objects.get(), sent_code("carol@example.net"))
    consent = PurposeConsent.objects.get(subject=carol, purpose=purposes["partner_sharing"])
    assert consent.granted is False and consent.source == "privacy_request"
    assert not PurposeConsent.objects.filter(subject=carol, granted=True).exists()


def test_a_correction_waits_for_review_then_changes_the_address(client, mailed, alice,
                                                                admin_user):
    mailed(ask, client, "alice@example.com", kind="correction",
           new_email="alice.new@example.com")
    rights_request = RightsRequest.objects.get()
    mailed(enter, client, rights_request, sent_code("alice@example.com"))
    rights_request.refresh_from_db()
    assert rights_request.state == "awaiting_review"
    assert Subject.objects.get(pk=alice.pk).email == "alice@example.com"
    mailed(services.rights_request_approve, key=rights_request.key, actor=admin_user)
    assert Subject.objects.get(pk=alice.pk).email == "alice.new@example.com"


def test_a_correction_needs_the_new_address(client, db):
    response = ask(client, "alice@example.com", kind="correction")
    assert response.status_code == 400
    assert not RightsRequest.objects.exists()


def test_which_kinds_are_reviewed_is_configurable(client, mailed, alice, settings):
    settings.HUSH_RIGHTS_REVIEWED = []
    mailed(ask, client, "alice@example.com", kind="erasure")
    mailed(enter, client, RightsRequest.objects.get(), sent_code("alice@example.com"))
    erasure = ErasureRequest.objects.get()
    assert erasure.status in ("done", "running", "pending")
    assert Subject.objects.get(pk=alice.pk).erased_at is not None


def test_unverified_requests_expire_and_their_data_goes(client, mailed, alice):
    mailed(ask, client, "alice@example.com")
    mailed(ask, client, "bob@example.org")
    RightsRequest.objects.filter(email_digest__isnull=False).update(
        created_at=timezone.now() - timedelta(hours=1))
    assert services.rights_requests_expire() == 2
    assert not RightsRequest.objects.exists()
    assert AuditEvent.objects.filter(action="rights.expired").count() == 2


def test_requests_are_rate_limited_per_address_and_client(client, settings, db):
    settings.HUSH_RIGHTS_RATE_PER_ADDRESS, settings.HUSH_RIGHTS_RATE_PER_CLIENT = "2/h", "4/h"
    statuses = [ask(client, "alice@example.com").status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert ask(client, "other@example.com").status_code == 302  # another address
    assert ask(client, "third@example.com").status_code == 429  # this client, now
    assert RightsRequest.objects.count() == 3


def test_the_api_shows_an_erasure_awaiting_review(client, mailed, api, alice):
    mailed(ask, client, "alice@example.com", kind="erasure")
    mailed(enter, client, RightsRequest.objects.get(), sent_code("alice@example.com"))
    key = RightsRequest.objects.get().erasure_key
    response = api("erasure").get(f"/api/v1/erasures/{key}")
    assert response.status_code == 200
    assert response.json()["status"] == "awaiting_review"


def test_the_page_is_linked_from_the_center_and_sign_up(client, alice, newsletter):
    url = reverse("preferences:center", args=[make_preferences_token(subject=alice)])
    assert 'href="/privacy/"' in client.get(url).content.decode()
    assert 'href="/privacy/"' in client.get("/s/").content.decode()


def test_the_page_speaks_french(client, db):
    page = client.get(PRIVACY, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Vos droits sur vos données" in page and "Envoyer ma demande" in page


def test_an_agent_files_and_the_person_still_verifies(client, mailed, alice):
    refused = ask(client, "alice@example.com", agent="on", agent_name="Dana Agent")
    assert refused.status_code == 400  # an agent gives a declaration too
    mailed(ask, client, "alice@example.com", agent="on", agent_name="Dana Agent",
           agent_declaration="Alice signed a power of attorney on 2026-11-01.")
    rights_request = RightsRequest.objects.get()
    assert rights_request.agent_name == "Dana Agent"
    message = mail.outbox[-1]
    assert message.to == ["alice@example.com"]  # the code goes to the person, not the agent
    assert "authorized agent: Dana Agent" in message.body
    assert rights_request.state == "awaiting_verification"
    audited = AuditEvent.objects.get(action="rights.requested")
    assert audited.details["agent"] is True and "Dana" not in str(audited.details)
