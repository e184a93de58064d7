"""`config.wsgi.application`, what gunicorn serves: `/u/<token>/` takes a shorter
middleware chain, and answers with the same contract as through the whole stack:
the security headers, no cookie, no CSRF check, the same page."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.db import close_old_connections
from django.urls import reverse

from config import wsgi
from preferences.models import Subscription
from preferences.tokens import make_unsubscribe_token

SECURITY_HEADERS = ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                    "Cross-Origin-Opener-Policy", "Content-Language")


@pytest.fixture
def wsgi_call(db):
    """Call the WSGI app as gunicorn does, inside the test's transaction (so, like
    Django's test client, without closing the connection around each request)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    def call(method: str, path: str, body: bytes = b"", **extra):
        environ = {}
        setup_testing_defaults(environ)
        environ.update({"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "testserver",
                        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
                        "CONTENT_TYPE": "application/x-www-form-urlencoded", **extra})
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

        answer["body"] = b"".join(wsgi.application(environ, start_response)).decode()
        return answer

    yield call
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def url(alice, newsletter):
    return reverse("preferences:one_click",
                   args=[make_unsubscribe_token(subject=alice, topic=newsletter)])


def test_one_click_skips_the_middleware_it_never_uses():
    lean = {f"{type(m).__module__}" for m in _chain(wsgi._one_click)}
    assert not any("sessions" in m or "csrf" in m or "axes" in m for m in lean)
    assert any("security" in m for m in lean)


def _chain(handler):
    found, node = [], handler._middleware_chain
    while hasattr(node, "get_response") or hasattr(node, "__wrapped__"):
        node = getattr(node, "__wrapped__", node)
        found.append(node)
        node = getattr(node, "get_response", None)
    return found


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_answer_carries_the_same_headers_as_through_the_whole_stack(
        wsgi_call, client, url, alice, newsletter, method):
    body = b"List-Unsubscribe=One-Click" if method == "POST" else b""
    lean = wsgi_call(method, url, body)
    full = client.generic(method, url, body,
                          content_type="application/x-www-form-urlencoded")
    assert lean["status"] == full.status_code == 200
    for name in SECURITY_HEADERS:
        assert lean["headers"].get(name) == full.headers.get(name), name
    assert "Set-Cookie" not in lean["headers"]
    assert lean["body"].count("One-Click") == full.content.decode().count("One-Click")


def test_a_post_needs_no_csrf_token_and_unsubscribes(wsgi_call, url, alice, newsletter):
    answer = wsgi_call("POST", url, b"List-Unsubscribe=One-Click")
    assert answer["status"] == 200
    assert "You are unsubscribed from Newsletter" in answer["body"]
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"


def test_other_paths_keep_the_whole_stack(wsgi_call):
    answer = wsgi_call("POST", "/p/", b"email=someone%40example.com")
    assert answer["status"] == 403  # CSRF still checked off the one-click path
