"""The preference center's Privacy section: purposes, Global Privacy Control,
"turn everything off", the history and "download my data"."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from preferences.models import ConsentEvent, DataExport, RightsRequest
from preferences.privacy import selectors as privacy_selectors
from preferences.tokens import make_preferences_token


@pytest.fixture
def url(carol):
    return reverse("preferences:center", args=[make_preferences_token(subject=carol)])


def granted(subject) -> dict[str, bool]:
    return {row["purpose"].slug: row["granted"]
            for row in privacy_selectors.purpose_states(subject)}


def test_it_shows_each_purpose_with_its_description_and_state(client, url, purposes):
    page = client.get(url).content.decode()
    assert "Privacy choices" in page
    for purpose in purposes.values():
        assert purpose.name in page and purpose.description in page
    assert re.search(r'id="purpose-analytics"(?![^>]*checked)', page)  # off
    # carol is in the US: sharing is on by default
    assert re.search(r'id="purpose-partner_sharing"[^>]*checked', page)


def test_a_visit_without_gpc_changes_nothing(client, url, carol, purposes):
    page = client.get(url).content.decode()
    assert "Global Privacy Control" not in page
    assert granted(carol)["partner_sharing"] is True
    assert not ConsentEvent.objects.filter(kind="purpose").exists()


def test_a_visit_with_gpc_turns_sharing_off_once_and_says_so(client, url, carol, purposes):
    page = client.get(url, headers={"Sec-GPC": "1"}).content.decode()
    assert granted(carol)["partner_sharing"] is False
    assert "Global Privacy Control" in page and "Sharing with partners" in page
    assert "we turned off the sale and sharing of your data" in page
    again = client.get(url, headers={"Sec-GPC": "1"}).content.decode()
    assert "we do not sell or share your data" in again
    events = ConsentEvent.objects.filter(kind="purpose")
    assert [(e.purpose.slug, e.source) for e in events] == [("partner_sharing", "gpc")]
    assert granted(carol)["personalisation"] is True  # not a sale or sharing


def test_it_turns_a_purpose_on_and_off(client, url, carol, purposes):
    response = client.post(url, {"action": "purpose_on", "purpose": "analytics"})
    assert response.status_code == 302
    assert granted(carol)["analytics"] is True
    client.post(url, {"action": "purpose_off", "purpose": "analytics"})
    assert granted(carol)["analytics"] is False
    page = client.get(url).content.decode()
    history = page[page.index('id="choice-history"'):]
    assert "Not allowed (description version 1)" in history
    assert "Allowed (description version 1)" in history


def test_it_turns_everything_off(client, url, carol, purposes):
    client.post(url, {"action": "purposes_all_off"})
    assert not any(granted(carol).values())


@pytest.mark.parametrize("data", [{"action": "purpose_on"},
                                  {"action": "purpose_on", "purpose": "no-such"}])
def test_it_refuses_a_missing_or_unknown_purpose(client, url, carol, purposes, data):
    assert client.post(url, data).status_code == 400
    assert not ConsentEvent.objects.filter(kind="purpose").exists()


def test_it_records_a_request_to_download_my_data(client, url, carol, purposes,
                                                  django_capture_on_commit_callbacks,
                                                  mailoutbox, settings, tmp_path):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "export"})  # verified first (test_rights_requests)
    assert not DataExport.objects.exists()
    code = re.search(r"Your code is (\d{6})", mailoutbox[-1].body).group(1)
    mailoutbox.clear()
    rights_request = RightsRequest.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("preferences:privacy_verify", args=[rights_request.key]),
                    {"code": code})
    export = DataExport.objects.get(subject=carol)
    assert export.status == "sent"
    assert AuditEvent.objects.filter(action="export.requested").exists()
    assert [m.to for m in mailoutbox] == [["carol@example.net"]]
    assert "link to download" in client.get(url).content.decode()
