"""The API's JSON parser: what it should never walk is refused before anything walks it."""

import io
import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError


class JSONParser(parsers.JSONParser):
    """JSON bodies, refused before anything walks them when they nest deeper than
    HUSH_API_MAX_JSON_DEPTH (the depth is counted on the raw bytes, so no decoder or
    scrubber recursion is ever reached), and after decoding when a string or key holds a
    control character, NUL or a lone surrogate (none is text anyone types; PostgreSQL
    cannot store NUL and a surrogate cannot be written back as UTF-8). The size limit is
    Django's DATA_UPLOAD_MAX_MEMORY_SIZE, checked before the body is read (a 413)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        limit = settings.HUSH_API_MAX_JSON_DEPTH
        if json_depth(raw, stop_above=limit) > limit:
            raise ParseError(f"JSON parse error - nested deeper than {limit} levels")
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        if _MAY_HOLD_CONTROLS.search(raw):
            found = _refused_character(data, getattr(parser_context.get("view") if
                                                     parser_context else None,
                                                     "free_json_fields", ()))
            if found is not None:
                where, char = found
                raise ValidationError({where: [f"holds the control character U+{ord(char):04X}; "
                                               "only tab, newline and carriage return may "
                                               "appear in text"]})
        return data


# Strings (with their escapes) as one atomic, possessive match: linear on any input.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# Raw JSON cannot hold C0 controls inside strings (the decoder refuses them), so only an
# escape or a raw C1 character (UTF-8 C2 80-9F) can bring one in.
_MAY_HOLD_CONTROLS = re.compile(rb"\\u|\xc2[\x80-\x9f]")
SURROGATES = re.compile("[\ud800-\udfff]")
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def json_depth(raw: bytes, *, stop_above: int | None = None) -> int:
    """How deep brackets nest in a JSON text, brackets inside strings not counted
    (counting stops once it passes `stop_above`)."""
    depth = deepest = 0
    for byte in _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        depth += _STEP[byte]
        if depth > deepest:
            deepest = depth
            if stop_above is not None and deepest > stop_above:
                break
    return deepest


def _refused_character(data, free: tuple[str, ...]):
    """Fields named in the view's `free_json_fields` hold any JSON (events to scrub, as
    logged: an ANSI escape is data there, and nothing of it is stored); only a lone
    surrogate, which cannot even be written back, is refused in them."""
    if not (free and isinstance(data, dict)):
        return first_control_character(data)
    for name, value in data.items():
        found = (first_control_character(value, SURROGATES, where=name) if name in free
                 else first_control_character({name: value}))
        if found is not None:
            return found
    return None


def first_control_character(data, pattern=None, *, where: str = "") -> tuple[str, str] | None:
    """(where, character): the first control character, NUL or lone surrogate in any
    string or key of decoded JSON, `where` a dotted path such as `events.3.note`
    (walked with a stack, not recursion)."""
    pattern = pattern or CONTROL_CHARACTERS
    stack = [(where, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            found = pattern.search(value)
            if found:
                return where or "non_field_errors", found.group()
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((f"{where}.{key}" if where else str(key), item))
                if SURROGATES.search(key):  # a key is a name, never stored as text: a
                    return where or "non_field_errors", SURROGATES.search(key).group()
                # key with a control character names nothing (a 404 where it must name)
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}" if where else str(i), item)
                         for i, item in enumerate(value))
    return None
