"""Hush's own 404, 403 and 500 pages, for subscribers and in the console, and a
favicon: a person never meets Django's bare "Not Found" or a 404 for the icon."""

from django.test import Client, RequestFactory

from config import errors, urls


def test_a_missing_subscriber_page_is_hushs_own_and_offers_a_fresh_link(db):
    response = Client().get("/p/not-a-real-page/tok3n-abc/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in body and 'href="/p/"' in body
    assert "tok3n-abc" not in body  # the path (a token, maybe) is never repeated
    assert 'rel="icon"' in body and "Staff console" not in body


def test_a_missing_console_page_is_hushs_own_in_the_console(db):
    body = Client().get("/console/no-such-page/").content.decode()
    assert "This page does not exist" in body and "Back to the console" in body
    assert "console.css" in body and "Staff console" in body  # the console frame


def test_a_refused_form_gets_hushs_own_403(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/console/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_the_500_page_says_nothing_was_changed_and_needs_no_database():
    # No `db` fixture: the page must render while the database is out of reach.
    request = RequestFactory().get("/u/some-token/")
    response = errors.server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body and "nothing was changed" in body
    assert "some-token" not in body
    console = errors.server_error(RequestFactory().get("/console/audit/")).content.decode()
    assert "Back to the console" in console


def test_the_handlers_are_hushs():
    assert urls.handler404 == "config.errors.page_not_found"
    assert urls.handler403 == "config.errors.permission_denied"
    assert urls.handler500 == "config.errors.server_error"


def test_the_favicon_is_served(db, settings):
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    icon = Client().get("/static/favicon.svg")
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])
