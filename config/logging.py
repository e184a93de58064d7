"""Logging filters. Link tokens are capabilities (whoever holds one can
unsubscribe that person), so request paths are logged without them."""

import logging
import re

_TOKEN_IN_PATH = re.compile(r"/(u|p)/[^/\s\"']+")


def redact_tokens(text: str) -> str:
    return _TOKEN_IN_PATH.sub(r"/\1/[token]", text)


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        return True
