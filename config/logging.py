"""Logging filters: nothing personal and no capability reaches a log line.

Link tokens are capabilities (whoever holds one can unsubscribe that person), so
request paths are logged without them; and every message, traceback and stack
is passed through the anonymizer before any handler writes it.
"""

import logging
import re

from anonymizer.core.redact import redact

# Any signed token (django.core.signing: payload[:timestamp]:43-character signature), in a
# path, a query, a mail subject or a message, percent-encoded colons included ...
# (Matches start only where a run of token characters starts, and runs are taken whole, so
# a long line costs one pass.)
_SIGNED_TOKEN = re.compile(r"(?<![A-Za-z0-9_\-.])[A-Za-z0-9_\-.]++"
                           r"(?:(?::|%3[Aa])[A-Za-z0-9_\-]++)?(?::|%3[Aa])"
                           r"[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])")
# ... and whatever follows a route that takes a token, even one edited out of shape.
_TOKEN_ROUTES = re.compile(r"/(u|p|d|s/confirm|privacy/confirm)/(?!\[token\])[^/\s\"'?#]+")
_formatter = logging.Formatter()


def redact_tokens(text: str) -> str:
    return _TOKEN_ROUTES.sub(r"/\1/[token]", _SIGNED_TOKEN.sub("[token]", text))


def _freeze_message(record: logging.LogRecord) -> None:
    """Merge the arguments into the message once, so filters see what is written."""
    if record.args:
        record.msg = record.getMessage()
        record.args = None


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        _freeze_message(record)
        if isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        if record.exc_info and not record.exc_text:  # a traceback may quote the path
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_tokens(record.exc_text)
        return True


class RedactPersonalData(logging.Filter):
    """Emails, phones, addresses, cards, secrets ... become labels such as [EMAIL].

    Tracebacks are formatted here (exc_text), because an exception message often
    quotes the value that failed: `invalid email 'alice@example.com'`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        _freeze_message(record)
        if not isinstance(record.msg, str):
            record.msg = str(record.msg)
        record.msg = redact(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
