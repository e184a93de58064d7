"""The attack: find a page a browser or proxy may cache (someone's choices, the
console's records, a capability link), or one where injected markup would run. Every
page carries a Content-Security-Policy without 'unsafe-inline' and Cache-Control:
no-store, and no template writes an inline script or style."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from preferences.tokens import (
    make_confirmation_token,
    make_preferences_token,
    make_unsubscribe_token,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:",
                    re.I)


@pytest.fixture
def pages(alice, newsletter):
    return {
        "one-click": reverse("preferences:one_click",
                             args=[make_unsubscribe_token(subject=alice, topic=newsletter)]),
        "center": reverse("preferences:center", args=[make_preferences_token(subject=alice)]),
        "confirm": reverse("preferences:confirm",
                           args=[make_confirmation_token(subject=alice,
                                                         topics=["newsletter"])]),
        "link request": "/p/", "sign-up": "/s/", "bad link": "/p/not-a-token/",
        "console": "/console/login/", "console home": "/console/", "admin": "/admin/login/",
        "api docs": "/api/docs/", "api schema": "/api/schema/", "not found": "/nowhere/",
    }


def test_every_page_has_a_strict_policy_and_is_never_stored(client, pages):
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code < 500, name
        policy = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == directives["style-src"] == "'self'", (name, policy)
        assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'", name
        assert "unsafe" not in policy, name
        assert "no-store" in response["Cache-Control"], (name, response["Cache-Control"])


def test_api_answers_are_never_stored_either(api, alice):
    response = api("subjects:read").get(f"/api/v1/subjects/{alice.public_id}")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_no_page_holds_inline_script_or_style(client, pages):
    for name, path in pages.items():
        body = client.get(path).content.decode()
        assert not INLINE.findall(body), (name, INLINE.findall(body))


def test_no_template_writes_inline_script_or_style():
    served = [p for p in TEMPLATES.rglob("*.html")
              # the readable copy inside a "download my data" zip: opened from disk, never
              # served, so it carries its own style; and the HTML emails, which mail
              # clients show only with inline style (no page of Hush's, no CSP)
              if p.relative_to(TEMPLATES).as_posix() != "preferences/export.html"
              and not p.relative_to(TEMPLATES).as_posix().startswith("preferences/email/")]
    offenders = {p.relative_to(TEMPLATES).as_posix(): INLINE.findall(p.read_text())
                 for p in served}
    assert served and not {k: v for k, v in offenders.items() if v}


def test_the_docs_script_is_a_file(client, db):
    response = client.get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()
