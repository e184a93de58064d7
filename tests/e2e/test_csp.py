"""In a real browser, under the Content-Security-Policy: the pages a person and an API
user open work, and the browser reports no violation (an inline script or style that
the policy blocked would show up here)."""

import pytest

from preferences.email import preferences_url

pytestmark = pytest.mark.e2e


def test_pages_work_under_the_policy_with_no_violation(page, hush, alice):
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(f"{hush}/api/docs/")
    page.locator("#swagger-ui .information-container").wait_for()  # Swagger UI ran
    assert page.locator("#swagger-ui").inner_text().count("/api/v1/") > 5
    for path in ("/p/", "/s/", "/console/login/"):
        page.goto(f"{hush}{path}")
        assert page.locator("form").count() >= 1
    page.goto(preferences_url(alice).replace("https://hush.example.com", hush))
    page.get_by_text("Newsletter").first.wait_for()
    assert violations == []
