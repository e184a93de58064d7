""""Download my data": every catalogued field of every catalog entry, Hush's own
and the company's database, behind a signed, expiring, single-use link."""
# ruff: noqa: F811  (the shop database fixtures are imported from the catalog's suite)

import io
import json
import os
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from anonymizer import catalog
from anonymizer.catalog import Category, PiiField
from audit.models import AuditEvent
from preferences.models import ConsentEvent, DataExport
from preferences.privacy import exports
from preferences.privacy import services as privacy_services
from tests.anonymizer.conftest import (  # noqa: F401
    _external_database,
    restore_catalog,
    shop,
    shop_sql,
)


@pytest.fixture
def export_dir(settings, tmp_path):
    settings.HUSH_EXPORT_DIR = str(tmp_path / "exports")
    return tmp_path / "exports"


@pytest.fixture
def customers(shop_sql):
    shop_sql("INSERT INTO customers (email, full_name, phone, last_ip) VALUES "
             "('Alice@Example.com', 'Alice Liddell', '+44 20 7946 0001', '203.0.113.7'), "
             "('bob@example.org', 'Bob Stone', '+33 1 23 45 67 89', '198.51.100.4')")
    return catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        fields=[PiiField("email", Category.CONTACT, kind="EMAIL"),
                PiiField("full_name", Category.IDENTIFIER, kind="PERSON"),
                PiiField("phone", Category.CONTACT, kind="PHONE"),
                PiiField("last_ip", Category.NETWORK, kind="IP_ADDRESS")])


def request_export(subject, capture) -> DataExport:
    with capture(execute=True):
        exports.export_request(subject=subject, source="preference_center", actor=subject)
    return DataExport.objects.filter(subject=subject).latest("requested_at")


def link_path(message) -> str:
    url = re.search(r"http\S+/d/\S+/", message.body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def unzip(content: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_it_exports_every_catalogued_field_of_every_entry(
        client, alice, bob, purposes, customers, export_dir, mailoutbox,
        django_capture_on_commit_callbacks):
    privacy_services.purpose_set(subject=alice, purpose=purposes["analytics"], granted=True,
                         source="preference_center", actor=alice)
    export = request_export(alice, django_capture_on_commit_callbacks)
    assert export.status == "sent"
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    stored = list(export_dir.iterdir())
    assert len(stored) == 1 and b"Alice" not in stored[0].read_bytes()  # encrypted at rest

    files = unzip(client.get(link_path(mailoutbox[0])).content)
    assert set(files) == {"data.json", "data.html", "style.css"}
    data = json.loads(files["data.json"])
    sections = {s["key"]: s for s in data["entries"]}
    for entry in catalog.entries():
        if entry.subject is None:
            continue
        assert entry.key in sections, entry.key
        names = {f.name for f in entry.fields}
        for row in sections[entry.key]["rows"]:
            assert names <= set(row), (entry.key, names - set(row))
    subject_row, = sections["preferences.subject"]["rows"]
    assert (subject_row["email"], subject_row["external_id"], subject_row["country"]) == (
        "alice@example.com", "alice-1", "GB")
    shop_row, = sections["external:shop.customers"]["rows"]
    assert shop_row == {"email": "Alice@Example.com", "full_name": "Alice Liddell",
                        "phone": "+44 20 7946 0001", "last_ip": "203.0.113.7"}
    assert len(sections["preferences.subscription"]["rows"]) == 2
    assert [r["granted"] for r in sections["preferences.purposeconsent"]["rows"]] == [True]
    assert "bob" not in files["data.json"].lower()
    assert "Alice Liddell" in files["data.html"] and "alice@example.com" in files["data.html"]


def test_the_link_works_once_and_the_file_goes(client, alice, export_dir, mailoutbox,
                                               django_capture_on_commit_callbacks):
    export = request_export(alice, django_capture_on_commit_callbacks)
    path = link_path(mailoutbox[0])
    first = client.get(path)
    assert first.status_code == 200 and first["Content-Type"] == "application/zip"
    assert client.get(path).status_code == 410
    assert not any(export_dir.iterdir())
    export.refresh_from_db()
    assert export.status == "downloaded"
    actions = list(AuditEvent.objects.filter(target_id=str(alice.public_id),
                                             action__startswith="export.")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["export.requested", "export.delivered", "export.downloaded"]


def test_an_expired_link_is_refused_and_its_file_deleted(client, alice, export_dir,
                                                         mailoutbox,
                                                         django_capture_on_commit_callbacks):
    export = request_export(alice, django_capture_on_commit_callbacks)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now()
                                                   - timedelta(seconds=1))
    assert client.get(link_path(mailoutbox[0])).status_code == 410
    assert exports.exports_expire() == 1
    assert not any(export_dir.iterdir())
    assert DataExport.objects.get(pk=export.pk).status == "expired"
    assert AuditEvent.objects.filter(action="export.expired").exists()


def test_a_link_past_its_signed_age_is_refused(client, alice, export_dir, mailoutbox,
                                               settings, django_capture_on_commit_callbacks):
    export = request_export(alice, django_capture_on_commit_callbacks)
    signer = signing.TimestampSigner(salt=exports.EXPORT_SALT)
    signer.timestamp = lambda: signing.b62_encode(
        int(timezone.now().timestamp()) - settings.HUSH_EXPORT_LINK_MAX_AGE - 60)
    old = signer.sign_object([export.key.hex, alice.public_id.hex])
    assert client.get(reverse("preferences:export_download", args=[old])).status_code == 410


def test_another_subjects_link_is_refused(client, alice, bob, export_dir, mailoutbox,
                                          django_capture_on_commit_callbacks):
    bobs = request_export(bob, django_capture_on_commit_callbacks)
    # A genuine signature over bob's export naming alice, and an edited token.
    mixed = signing.dumps([bobs.key.hex, alice.public_id.hex], salt=exports.EXPORT_SALT)
    assert client.get(reverse("preferences:export_download", args=[mixed])).status_code == 410
    path = link_path(mailoutbox[0])
    assert client.get(path[:-4] + "abc/").status_code == 410
    other_salt = signing.dumps([bobs.key.hex, bob.public_id.hex], salt="hush.preferences.v1")
    assert client.get(reverse("preferences:export_download",
                              args=[other_salt])).status_code == 410
    assert DataExport.objects.get(pk=bobs.pk).status == "sent"
    assert Path(exports.settings.HUSH_EXPORT_DIR, bobs.file_name).exists()


def test_the_api_takes_an_access_request(api, alice, export_dir, mailoutbox):
    response = api("erasure").post(f"/api/v1/subjects/{alice.public_id}/export")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    assert DataExport.objects.get(subject=alice).source == "api"
    assert api("subjects:read").post(
        f"/api/v1/subjects/{alice.public_id}/export").status_code == 403


def test_a_file_left_by_an_erased_subject_goes_at_expiry(alice, export_dir, settings,
                                                         django_capture_on_commit_callbacks):
    export = request_export(alice, django_capture_on_commit_callbacks)
    path = export_dir / export.file_name
    with ConsentEvent.deletion_allowed():  # as erasure deletes its history
        alice.delete()  # erasure deletes the request row with the subject
    assert path.exists()
    assert exports.exports_expire() == 0
    assert path.exists()  # not old enough yet
    old = timezone.now().timestamp() - settings.HUSH_EXPORT_LINK_MAX_AGE - 1
    os.utime(path, (old, old))
    exports.exports_expire()
    assert not path.exists()


def test_a_person_reads_their_download_grouped_by_meaning_in_plain_words(
        client, alice, newsletter, purposes, export_dir, mailoutbox,
        django_capture_on_commit_callbacks):
    """The readable page: labels and descriptions from the PII catalog, grouped as
    contact, subscriptions, choices and history, with no internal names, digests or
    staff notes; the JSON beside it keeps all of them."""
    from preferences import services

    services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                              source="preference_center", actor=alice)
    privacy_services.purpose_set(subject=alice, purpose=purposes["analytics"],
                                 granted=True, source="preference_center", actor=alice)
    export = request_export(alice, django_capture_on_commit_callbacks)
    files = unzip(client.get(link_path(mailoutbox[0])).content)
    page, data = files["data.html"], json.loads(files["data.json"])

    headings = re.findall(r'<h2 id="h-(\w+)">([^<]+)</h2>', page)
    assert headings[:4] == [("contact", "Contact"), ("subscriptions", "Subscriptions"),
                            ("choices", "Choices"), ("history", "History")]
    assert "<dt>Email address</dt><dd>alice@example.com</dd>" in page
    assert "<dt>Country</dt><dd>GB</dd>" in page
    assert "<h3>What you receive</h3>" in page and "Each kind of email we send" in page
    subscriptions = page.split("<h3>What you receive</h3>")[1].split("</table>")[0]
    assert "<td>Newsletter</td><td>Unsubscribed</td>" in subscriptions
    assert "<td>Offers</td><td>Subscribed</td>" in subscriptions
    choices = page.split('id="choices"')[1].split("</section>")[0]
    assert "<dt>Use of your data</dt><dd>Analytics</dd>" in choices
    assert "<dt>Allowed</dt><dd>Yes</dd>" in choices
    history = page.split('id="history"')[1].split("</section>")[0]
    assert "Your changes, and when" in history and "(UTC)" in history
    # Newest first: the unsubscribe comes before the import that subscribed her.
    assert history.index("Unsubscribed") < history.rindex("Subscribed")

    subject = data["entries"][[s["key"] for s in data["entries"]].index(
        "preferences.subject")]["rows"][0]
    for internal in ("preferences.subject", "preferences.subscription", "email_digest",
                     subject["email_digest"], str(alice.public_id), str(export.key),
                     "personal by association", "staff data", "kept on erasure",
                     "subject_key", "hush"):
        assert internal not in page, internal
    # The JSON stays complete and machine-readable.
    assert subject["email_digest"] and subject["public_id"] == str(alice.public_id)
    assert {s["meaning"] for s in data["entries"]} >= {"contact", "subscriptions",
                                                        "choices", "history"}
    assert 'href="style.css"' in page and "<style" not in page
    assert "dl {" in files["style.css"]
