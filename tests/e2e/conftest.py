"""Real-browser fixtures: Debian's headless Chromium driven by Playwright's sync API,
against pytest-django's live server (so every e2e test gets a transactional database).

Playwright's sync API keeps an asyncio loop "running" in the test thread while it is
started. Django would then refuse ORM calls made by the test itself (fixtures and
DB assertions), although they really are synchronous; DJANGO_ALLOW_ASYNC_UNSAFE
is set only while the browser is up, and the browser lives for the e2e package
alone, so no other suite runs with that loop around.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import require_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def browser():
    require_service(os.access(CHROMIUM, os.X_OK),
                    f"needs Debian's chromium at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def hush(live_server, settings):
    """The live server, set up to be reached over plain http; its base URL."""
    settings.HUSH_BASE_URL = live_server.url
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False
    # The manifest storage needs `collectstatic`; the live server serves static
    # files from the source folders (django.contrib.staticfiles is installed).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return live_server.url


@pytest.fixture
def page(browser, hush):
    """A fresh browser context (no cookies) per test, speaking English."""
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def snap():
    """Screenshots for a human to look at: written only when HUSH_E2E_SCREENSHOTS
    names a folder (never the repository)."""
    folder = os.environ.get("HUSH_E2E_SCREENSHOTS")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
