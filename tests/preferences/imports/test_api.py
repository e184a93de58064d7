"""`POST /api/v1/imports` (scope subjects:write): upload, 202, follow, bad rows."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from preferences.models import Import, Subject

pytestmark = pytest.mark.django_db

FILE = b"email,newsletter\nada@example.com,subscribed\nnope,subscribed\n"


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    settings.HUSH_IMPORT_DIR = str(tmp_path / "imports")
    return tmp_path / "imports"


def _upload(client, content=FILE, **fields):
    data = {"file": SimpleUploadedFile("people.csv", content, content_type="text/csv"),
            "kind": "subjects", **fields}
    return client.post("/api/v1/imports", data, format="multipart")


def test_it_answers_202_and_imports_the_file(api, postgres, newsletter, _upload_dir,
                                             django_capture_on_commit_callbacks):
    client = api("subjects:write")
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client)

    assert response.status_code == 202, response.content
    status_url = response.json()["status_url"]
    assert status_url.endswith(f"/api/v1/imports/{response.json()['id']}")
    followed = client.get(status_url).json()
    assert (followed["status"], followed["progress"], followed["created"], followed["bad"]) \
        == ("done", 1.0, 1, 1)
    assert Subject.objects.count() == 1
    problems = client.get(followed["problems_url"]).json()
    assert problems == {"problems": [{"line": 3, "reason": "invalid_address"}], "more": False}
    assert os.listdir(_upload_dir) == []  # the upload went once imported


def test_a_file_that_cannot_be_imported_is_a_400_and_nothing_is_kept(
        api, postgres, newsletter, _upload_dir):
    response = _upload(api("subjects:write"), content=b"name\nAda\n")

    assert response.status_code == 400
    assert "no email or external_id column" in str(response.json())
    assert not Import.objects.exists()
    assert os.listdir(_upload_dir) == []


@pytest.mark.parametrize("fields", [{"kind": "people"}, {"preset": "constant-contact"},
                                    {"map": "email"}, {"topic": "no-such-topic"}])
def test_bad_options_are_a_400(api, postgres, newsletter, fields):
    response = _upload(api("subjects:write"), **fields)

    assert response.status_code == 400
    assert not Import.objects.exists()


def test_it_needs_the_subjects_write_scope(api, postgres, newsletter):
    assert _upload(api("subjects:read")).status_code == 403
    assert _upload(api()).status_code in (401, 403)
    assert not Import.objects.exists()


def test_an_unknown_import_is_a_404(api, postgres):
    client = api("subjects:write")
    assert client.get("/api/v1/imports/not-a-uuid").status_code == 404
    assert client.get("/api/v1/imports/0f3e9a1c-1111-4c2b-9d6e-aaaaaaaaaaaa").status_code == 404
