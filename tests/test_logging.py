import logging

from config.logging import RedactLinkTokens, redact_tokens


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
