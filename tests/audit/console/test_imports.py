"""The console's imports page: a privacy officer uploads, follows, downloads the report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from preferences.models import Import, Subject

pytestmark = pytest.mark.django_db

FILE = b"email,newsletter\nada@example.com,subscribed\nsecret@@example.com,subscribed\n"


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    settings.HUSH_IMPORT_DIR = str(tmp_path / "imports")


def _upload(client, content=FILE, **fields):
    return client.post("/console/imports/", {
        "kind": "subjects", "preset": "", "topic": "", "map": "",
        "file": SimpleUploadedFile("people.csv", content, content_type="text/csv"), **fields})


def test_an_officer_uploads_and_reads_the_bad_rows(staff_client, postgres, newsletter,
                                                  django_capture_on_commit_callbacks):
    officer = staff_client("privacy officer")
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(officer)

    job = Import.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/imports/{job.key}/"
    page = officer.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and 'id="count-bad">1<' in page
    assert "invalid address" in page and "secret@@" not in page
    assert Subject.objects.count() == 1

    report = officer.get(f"/console/imports/{job.key}/bad-rows.csv")
    body = b"".join(report.streaming_content).decode()
    assert body.splitlines() == ["line,reason,explanation", "3,invalid_address,invalid address"]
    assert AuditEvent.objects.filter(action="import.report_downloaded").count() == 1
    opened = AuditEvent.objects.get(action="import.opened")
    assert opened.actor_type == "user"


def test_a_running_import_refreshes_itself(staff_client, postgres, newsletter):
    officer = staff_client("privacy officer")
    _upload(officer)  # not committed: the task waits, the import stays queued

    page = officer.get(f"/console/imports/{Import.objects.get().key}/").content.decode()
    assert 'http-equiv="refresh"' in page and 'data-status="queued"' in page


def test_a_file_without_an_address_column_is_refused_on_the_form(staff_client, postgres):
    response = _upload(staff_client("privacy officer"), content=b"name\nAda\n")

    assert response.status_code == 200
    assert "no email or external_id column" in response.content.decode()
    assert not Import.objects.exists()
