"""URL: the personal parts of a URL (query values under personal keys, the path segment
after a people collection such as /users/), while the scheme, host and the rest stay
readable for whoever debugs the log line. Emails, phones and tokens inside a URL are
found by their own recognizers in the same pass."""

import re
from itertools import pairwise

from . import Recognizer

_URL_TAIL = re.compile(r"[^\s\"'<>\\^`{|}\x00]*")
_SCHEME_REVERSED = re.compile(r"[A-Za-z0-9+.\-]*[A-Za-z]")
_PARAM = re.compile(r"([^=&;#]+)=([^&;#]*)")
# Keys whose value is personal (lower-cased, without "_", "-", ".").
_PERSONAL_KEYS = frozenset((
    "email", "mail", "emailaddress", "name", "fname", "lname", "firstname", "lastname",
    "fullname", "givenname", "familyname", "surname", "user", "username", "userid", "uid",
    "login", "phone", "tel", "mobile", "msisdn", "address", "addr", "street", "zip", "zipcode",
    "postcode", "postalcode", "dob", "birthdate", "birthday", "ssn", "ip", "customer",
    "customerid", "memberid", "accountid", "account", "recipient", "to", "cc", "contact",
))
_OWNER_SEGMENTS = frozenset((
    "users", "user", "customers", "customer", "members", "member", "people", "person",
    "profiles", "profile", "accounts", "account", "contacts", "contact", "employees",
    "employee", "patients", "patient", "students", "student", "subscribers", "subscriber",
    "~",
))
_OWNER = re.compile("(?i)/(?:" + "|".join(sorted(map(re.escape, _OWNER_SEGMENTS))) + ")/")
_SEGMENT = re.compile(r"[^/]+")
# What follows /users/ without being anyone ("/users/me", "/users/new").
_NOT_SOMEONE = frozenset(("me", "new", "edit", "search", "list", "all", "self", "current",
                          "index", "create", "settings", "login", "logout", "signup", ""))


def personal_parts(text: str, cue: int) -> list[tuple[int, int]]:
    """`cue` is where "://" stands."""
    scheme = _SCHEME_REVERSED.match(text[max(0, cue - 32):cue][::-1])
    if scheme is None:
        return []
    end = _URL_TAIL.match(text, cue + 3).end()
    while end > cue + 3 and text[end - 1] in ".,;:!?)]":
        end -= 1  # sentence punctuation after the URL
    url_start = cue + 3
    slash = text.find("/", url_start, end)
    if slash < 0:
        return []
    query = text.find("?", slash, end)
    if query < 0 and _OWNER.search(text, slash, end) is None:
        return []  # most URLs in logs: a path and nothing personal
    spans: list[tuple[int, int]] = []
    path_end = end
    for mark in "?#":
        at = text.find(mark, slash, end)
        if at >= 0:
            path_end = min(path_end, at)
    segments = [(m.start(), m.end()) for m in _SEGMENT.finditer(text[slash:path_end])]
    for (a, b), nxt in pairwise(segments):
        if text[slash + a:slash + b].lower() in _OWNER_SEGMENTS:
            value = text[slash + nxt[0]:slash + nxt[1]]
            if value.lower() not in _NOT_SOMEONE:
                spans.append((slash + nxt[0], slash + nxt[1]))
    if query >= 0:
        for m in _PARAM.finditer(text, query + 1, end):
            key = m.group(1).lower().replace("_", "").replace("-", "").replace(".", "")
            if key in _PERSONAL_KEYS and m.end(2) > m.start(2):
                spans.append((m.start(2), m.end(2)))
    return spans


RECOGNIZERS = [
    Recognizer(kind="URL", rule="url_personal", validate=bool, cues=("://",),
               find=personal_parts),
]
