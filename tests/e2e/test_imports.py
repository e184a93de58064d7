"""A privacy officer imports a file in the console, in a real browser, with a real Celery
worker doing the import: she uploads it, watches its progress page refresh itself until
it is done, and downloads the bad-rows report (line and reason, no values)."""

import re
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect

from config.celery import app as celery_app
from preferences.models import Import, Subject
from tests.conftest import require_service
from tests.e2e.test_console import code_from_secret, sign_in, staff
from tests.faults.conftest import CeleryProcess, _subprocess_env, _worker_argv

pytestmark = pytest.mark.e2e
ROWS = 3000


@pytest.fixture
def import_worker(transactional_db, tmp_path, settings):
    require_service(bool(settings.CELERY_BROKER_URL),
                    "needs a broker: set CELERY_BROKER_URL=redis://...")
    settings.HUSH_IMPORT_DIR = str(tmp_path / "imports")
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    env = _subprocess_env(tmp_path, HUSH_IMPORT_DIR=settings.HUSH_IMPORT_DIR,
                          HUSH_IMPORT_BATCH="100")
    worker = CeleryProcess(_worker_argv("--pool=solo"), env=env, log=tmp_path / "worker.log",
                           ready="ready.")
    worker.start()
    yield worker
    worker.stop()


def test_an_officer_uploads_watches_progress_and_downloads_the_report(
        page, hush, snap, newsletter, import_worker, tmp_path, postgres):
    staff("olivia", "privacy officer")
    people = tmp_path / "people.csv"
    with open(people, "w") as out:
        out.write("email,newsletter\n")
        for i in range(ROWS):
            email = f"reader{i}@example.com" if i % 1000 != 10 else f"private-name-{i}@@bad"
            out.write(f"{email},subscribed\n")

    sign_in(page, hush, "olivia")
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(code_from_secret(secret))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="Continue to the console").click()

    page.get_by_role("link", name="Imports").click()
    page.get_by_label("What the file holds").select_option("subjects")
    page.get_by_label("File (CSV with a header, or JSON lines)").set_input_files(str(people))
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", name="Import of people.csv")).to_be_visible()
    seen = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = page.locator("#import-status").get_attribute("data-status")
        seen.add((status, page.locator("#import-percent").inner_text()))
        if status == "done":
            break
        page.wait_for_timeout(300)  # the page reloads itself every 2 s while running
    snap(page, "console-import-done")
    assert status == "done", (seen, [line for line in import_worker.tail(2000).splitlines()
                                     if "import" in line.lower()])
    assert any(s != "done" for s, _ in seen), "never saw the import before it finished"
    expect(page.locator("#import-percent")).to_have_text("100%")
    expect(page.locator("#count-created")).to_have_text(str(ROWS - 3))
    expect(page.locator("#count-bad")).to_have_text("3")
    expect(page.locator("#bad-rows")).not_to_contain_text("private-name")

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the bad-rows report")).click()
    with open(download.value.path()) as got:
        report = got.read().splitlines()
    assert report == ["line,reason,explanation", "12,invalid_address,invalid address",
                      "1012,invalid_address,invalid address",
                      "2012,invalid_address,invalid address"]
    assert Subject.objects.count() == ROWS - 3
    assert Import.objects.get().status == "done"
    assert settings.HUSH_IMPORT_DIR  # the upload itself is gone:
    assert not list((tmp_path / "imports").iterdir())
