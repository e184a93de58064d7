import io
import logging

import pytest

from config.logging import RedactLinkTokens, RedactPersonalData, redact_tokens


def test_it_removes_link_tokens_from_paths():
    assert redact_tokens("Bad Request: /u/WyJhIl0:1x:abc/") == "Bad Request: /u/[token]/"
    assert redact_tokens('"GET /p/abc:def/renew/ HTTP/1.1"') == '"GET /p/[token]/renew/ HTTP/1.1"'
    assert redact_tokens("GET /p/ HTTP/1.1") == "GET /p/ HTTP/1.1"


def test_the_filter_rewrites_formatted_records():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1,
                               "Bad Request: %s", ("/u/secret-token/",), None)
    assert RedactLinkTokens().filter(record)
    assert record.getMessage() == "Bad Request: /u/[token]/"


def test_the_request_log_carries_no_token(client, alice, newsletter, caplog):
    from preferences.tokens import make_unsubscribe_token

    token = make_unsubscribe_token(subject=alice, topic=newsletter)
    logger = logging.getLogger("django.request")
    logger.addFilter(RedactLinkTokens())
    try:
        with caplog.at_level(logging.WARNING, logger="django.request"):
            client.post(f"/u/{token}/", "bad", content_type="text/plain")
    finally:
        logger.filters.clear()
    assert "Bad Request" in caplog.text
    assert token not in caplog.text


def test_every_configured_handler_redacts(settings):
    handlers = settings.LOGGING["handlers"]
    assert handlers and all("redact_tokens" in h.get("filters", []) for h in handlers.values())


def test_every_configured_handler_removes_personal_data(settings):
    handlers = settings.LOGGING["handlers"]
    assert all("redact_pii" in h.get("filters", []) for h in handlers.values())


SEEDED = {
    "email": "alice.liddell@example.com",
    "phone": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
    "ip": "203.0.113.77",
    "secret": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
}


@pytest.fixture
def console_output():
    """What Hush's configured console handler actually writes."""
    handler = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, RedactPersonalData) for f in h.filters))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.parametrize("logger_name", ["preferences.services", "django.request", "celery.task"])
def test_seeded_pii_never_reaches_a_log_line(console_output, logger_name):
    logger = logging.getLogger(logger_name)
    logger.warning("subject %s called from %s with card %s", SEEDED["email"], SEEDED["phone"],
                   SEEDED["card"])
    logger.warning(f"login from {SEEDED['ip']} with api_key={SEEDED['secret']}")
    try:
        raise ValueError(f"invalid address {SEEDED['email']!r}")
    except ValueError:
        logger.exception("upsert failed")
    written = console_output.getvalue()
    assert "upsert failed" in written and "ValueError" in written and "[EMAIL]" in written
    for value in SEEDED.values():
        assert value not in written
    assert "liddell" not in written and "7946" not in written and "1111" not in written


def test_a_request_for_a_path_holding_an_address_logs_it_redacted(client, console_output):
    assert client.get("/lists/alice.liddell@example.com/").status_code == 404
    written = console_output.getvalue()
    assert "Not Found: /lists/[EMAIL]/" in written
    assert "liddell" not in written


# --- every route that takes a token, tested by route -------------------------------------

def _routes_with_tokens(patterns=None, prefix=""):
    from django.urls import URLPattern, URLResolver, get_resolver

    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else prefix
            yield from _routes_with_tokens(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and "token" in pattern.pattern.converters:
            yield f"{prefix}{pattern.name}"


def _tokens(alice, newsletter):
    from preferences.models import DataExport, RightsRequest
    from preferences.privacy.exports import make_export_token
    from preferences.privacy.rights.services import make_link_token
    from preferences.tokens import (
        make_confirmation_token,
        make_preferences_token,
        make_unsubscribe_token,
    )

    export = DataExport.objects.create(subject=alice, source="api")
    rights_request = RightsRequest.objects.create(
        kind="access", source="privacy_request", email_digest="d" * 64, method="link")
    return {
        "preferences:receipt": make_preferences_token(subject=alice),
        "preferences:resubscribe": make_unsubscribe_token(subject=alice, topic=newsletter),
        "preferences:privacy_confirm": make_link_token(rights_request),
        "preferences:one_click": make_unsubscribe_token(subject=alice, topic=newsletter),
        "preferences:center": make_preferences_token(subject=alice),
        "preferences:renew": make_preferences_token(subject=alice),
        "preferences:confirm": make_confirmation_token(subject=alice, topics=["newsletter"]),
        "preferences:export_download": make_export_token(export),
    }


def test_every_route_that_takes_a_token_is_known_here(alice, newsletter):
    assert set(_routes_with_tokens()) == set(_tokens(alice, newsletter))


@pytest.mark.parametrize("route", ["preferences:one_click", "preferences:center",
                                   "preferences:renew", "preferences:confirm",
                                   "preferences:export_download", "preferences:receipt",
                                   "preferences:resubscribe", "preferences:privacy_confirm"])
def test_no_token_of_any_route_reaches_the_log(client, alice, newsletter, console_output,
                                               route):
    """The attack: read the log for a link. An access line with the genuine token, the
    warning Django writes for an edited one, and a traceback quoting it all come out
    without it."""
    from django.urls import reverse

    token = _tokens(alice, newsletter)[route]
    path = reverse(route, args=[token])
    logging.getLogger("django.server").info('"GET %s HTTP/1.1" 200 1234', path)
    logging.getLogger("gunicorn.access").info("GET %s?utm=mail", path.replace(":", "%3A"))
    edited = token[:-1] + ("A" if token[-1] != "A" else "B")
    client.post(reverse(route, args=[edited]), "x", content_type="text/plain")
    try:
        raise LookupError(f"no row for {path}")
    except LookupError:
        logging.getLogger("preferences.views").exception("lookup failed")
    written = console_output.getvalue()
    assert "lookup failed" in written and "[token]" in written
    for secret in (token, edited, token.split(":")[0], token.rsplit(":", 1)[-1]):
        assert secret not in written
