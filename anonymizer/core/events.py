"""Scrub structured events: `scrub_event(obj, policy=None, *, key=None, vault=None)`.

Walks JSON-shaped data (dicts, lists, scalars) and returns a new object of the
same shape; the input is never changed. A value under a personal key (email,
phone, ip, name, address, password, lat, ...) is replaced whole, whatever it
looks like; every other string goes through `detect`. Key names are
classified once and cached, since events repeat their keys.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from .detect import spans
from .findings import (
    ADDRESS,
    CREDIT_CARD,
    DATE_OF_BIRTH,
    EMAIL,
    GPS,
    IBAN,
    IP_ADDRESS,
    MAC_ADDRESS,
    PERSON,
    PHONE,
    POSTCODE,
    SECRET,
    US_SSN,
)
from .redact import Policy, apply_findings, is_delete, no_policy, resolve_policy

# Whole keys, lower-cased with separators removed ("e-mail", "E_Mail" -> "email").
_EXACT = {
    **dict.fromkeys(("email", "emailaddress", "mail", "emails", "useremail"), EMAIL),
    **dict.fromkeys(("phone", "phonenumber", "phoneno", "mobile", "mobilephone", "mobilenumber",
                     "tel", "telephone", "cell", "cellphone", "fax", "msisdn"), PHONE),
    **dict.fromkeys(("ip", "ipaddress", "ipaddr", "ipv4", "ipv6", "remoteaddr", "remoteip",
                     "clientip", "clientaddr", "xforwardedfor", "xrealip", "sourceip", "srcip",
                     "peerip"), IP_ADDRESS),
    **dict.fromkeys(("name", "firstname", "lastname", "fullname", "givenname", "familyname",
                     "surname", "middlename", "displayname", "username", "nickname",
                     "cardholder", "cardholdername", "accountholder", "contact", "person",
                     "recipient", "sender", "signature"), PERSON),
    **dict.fromkeys(("address", "street", "streetaddress", "addressline", "addressline1",
                     "addressline2", "address1", "address2", "homeaddress", "billingaddress",
                     "shippingaddress", "mailingaddress", "postaladdress"), ADDRESS),
    **dict.fromkeys(("postcode", "postalcode", "zip", "zipcode", "plz"), POSTCODE),
    **dict.fromkeys(("dob", "birthdate", "dateofbirth", "birthday", "born"), DATE_OF_BIRTH),
    **dict.fromkeys(("password", "passwd", "pwd", "passphrase", "pass", "token", "secret",
                     "apikey", "xapikey", "authorization", "proxyauthorization",
                     "accesstoken", "refreshtoken", "idtoken", "authtoken", "bearertoken",
                     "clientsecret", "privatekey", "secretkey", "accesskey", "sessionid",
                     "sessiontoken", "cookie", "setcookie", "credentials", "credential", "otp",
                     "pin", "cvv", "cvc", "csrftoken", "xcsrftoken"), SECRET),
    **dict.fromkeys(("lat", "lon", "lng", "latitude", "longitude", "coords", "coordinates",
                     "geo", "latlng", "latlon", "geolocation", "gps"), GPS),
    **dict.fromkeys(("card", "cardnumber", "cardno", "creditcard", "creditcardnumber",
                     "ccnumber", "cc", "pan"), CREDIT_CARD),
    **dict.fromkeys(("iban", "bankaccount", "ibannumber"), IBAN),
    **dict.fromkeys(("ssn", "socialsecuritynumber", "socialsecurity"), US_SSN),
    **dict.fromkeys(("mac", "macaddress", "macaddr"), MAC_ADDRESS),
}
# The last word of a compound key ("billing_email", "clientIp", "db_password").
_LAST_WORD = {
    **dict.fromkeys(("email", "mail"), EMAIL),
    **dict.fromkeys(("phone", "mobile", "telephone", "msisdn"), PHONE),
    **dict.fromkeys(("ip", "ipaddress", "ipv4", "ipv6"), IP_ADDRESS),
    **dict.fromkeys(("password", "passwd", "pwd", "passphrase", "secret", "token",
                     "apikey", "credentials"), SECRET),
    **dict.fromkeys(("dob", "birthdate", "birthday"), DATE_OF_BIRTH),
    **dict.fromkeys(("postcode", "zipcode", "zip"), POSTCODE),
    **dict.fromkeys(("lat", "lon", "lng", "latitude", "longitude"), GPS),
    **dict.fromkeys(("iban",), IBAN),
    **dict.fromkeys(("ssn",), US_SSN),
}
# "<word> name" is a person only after these ("customer_name", not "service_name").
_NAME_OWNERS = frozenset((
    "user", "customer", "contact", "first", "last", "full", "given", "family", "middle",
    "display", "holder", "recipient", "sender", "account", "billing", "shipping", "patient",
    "employee", "member", "owner", "person", "client", "buyer", "author", "legal",
))
# "<word> key" is a secret only after these ("api_key", not "cache_key").
_KEY_OWNERS = frozenset(("api", "private", "secret", "access", "signing", "encryption", "client",
                         "master", "license", "ssh"))
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_KEY_CACHE: dict[str, str | None] = {}


def key_kind(key: str) -> str | None:
    """The kind a key announces for its value, or None."""
    try:
        return _KEY_CACHE[key]
    except KeyError:
        pass
    kind = _classify_key(key)
    if len(_KEY_CACHE) > 10000:
        _KEY_CACHE.clear()
    _KEY_CACHE[key] = kind
    return kind


def _classify_key(key: str) -> str | None:
    words = [w.lower() for w in _WORDS.findall(key)]
    if not words:
        return None
    whole = "".join(words)
    if whole in _EXACT:
        return _EXACT[whole]
    last = words[-1]
    if "email" in words or ("mail" in words and last in ("address", "addr")):
        return EMAIL
    if last in ("address", "addr") and len(words) > 1:
        before = words[-2]
        if before in ("ip", "remote", "client"):
            return IP_ADDRESS
        if before == "mac":
            return MAC_ADDRESS
        if before in ("street", "home", "billing", "shipping", "postal", "mailing", "delivery"):
            return ADDRESS
        return None
    if last == "name" and len(words) > 1 and words[-2] in _NAME_OWNERS:
        return PERSON
    if last == "key" and len(words) > 1 and words[-2] in _KEY_OWNERS:
        return SECRET
    if "card" in words and last in ("card", "number", "no", "num", "pan"):
        return CREDIT_CARD
    if last in ("number", "no") and len(words) > 1 and words[-2] in ("phone", "mobile"):
        return PHONE
    if len(words) > 1 and "".join(words[-2:]) in _LAST_WORD:
        return _LAST_WORD["".join(words[-2:])]
    return _LAST_WORD.get(last)


_MISSING = object()
# Values are joined with NUL for one detect() call per event: no pattern crosses it.
_SEPARATOR = "\x00"


def scrub_event(obj: Any, policy: Policy | None = None, *, key: bytes | None = None,
                vault: Any = None) -> Any:
    """A scrubbed copy of `obj` with the same structure (a DELETE transform drops an item)."""
    replacer_for = resolve_policy(policy, key=key, vault=vault)
    pending: list[tuple[Any, Any, str]] = []
    box = _walk([obj], None, replacer_for, pending)  # a scalar needs a slot too
    if pending:
        _scrub_pending(pending, replacer_for)
    return box[0] if box else None


def _walk(obj: Any, kind: str | None, replacer_for, pending: list) -> Any:
    """Copies containers, replaces values under personal keys, and leaves other strings
    in `pending` (container, slot, text) for one detect() over the whole event.
    The common cases (str, dict, list, small int under an ordinary key) are inlined:
    this loop runs for every value of every event."""
    if type(obj) is not dict:
        out_list: list = []
        for item in obj:
            t = type(item)
            if t is str and kind is None:
                if len(item) >= 6 and item not in _CLEAN_VALUES:
                    pending.append((out_list, len(out_list), item))
                out_list.append(item)
                continue
            new = _value(item, kind, replacer_for, pending, out_list, len(out_list))
            if new is not _MISSING:
                out_list.append(new)
        return out_list
    out: dict = {}
    known = _KEYS_SEEN
    clean_values = _CLEAN_VALUES
    for k, value in obj.items():
        # One lookup per key: its kind (or None) when the key itself is known clean.
        found_kind = known.get(k, _UNKNOWN)
        if found_kind is _UNKNOWN:
            if type(k) is str:
                found_kind = key_kind(k)
                new_k = _scrub_key(k, out, replacer_for) if len(k) >= 6 else k
                if new_k is k:
                    if len(known) > 10000:
                        known.clear()
                    known[k] = found_kind
                k = new_k
            else:
                found_kind = None
        child_kind = found_kind or kind
        t = type(value)
        if child_kind is not None:
            if t is str and value and replacer_for is no_policy:
                out[k] = f"[{child_kind}]"
                continue
        else:
            if t is str:
                if len(value) >= 6 and value not in clean_values:
                    pending.append((out, k, value))
                out[k] = value
                continue
            if (t is int and -1_000_000 < value < 1_000_000) or t is float or t is bool or (
                    value is None):
                out[k] = value
                continue
        new = _value(value, child_kind, replacer_for, pending, out, k)
        if new is not _MISSING:
            out[k] = new
    return out


_UNKNOWN = object()
# Keys seen before with nothing personal in the key itself -> the kind they announce.
_KEYS_SEEN: dict[str, str | None] = {}


def _value(value: Any, kind: str | None, replacer_for, pending: list, container, slot) -> Any:
    t = type(value)
    if t is str:
        if kind is not None:
            return _whole(value, kind, replacer_for) if value else value
        if len(value) >= 6 and value not in _CLEAN_VALUES:
            pending.append((container, slot, value))
        return value
    if t is dict or t is list or t is tuple:
        return _walk(value, kind, replacer_for, pending)
    if value is None or t is bool:
        return value
    if t is int or t is float or isinstance(value, int | float):
        if kind is not None:
            return _whole(str(value), kind, replacer_for)
        if t is not float and abs(value) >= 1_000_000:
            # A card, phone or SSN stored as a number: replaced only if detect finds it.
            pending.append((container, slot, str(value)))
        return value
    if isinstance(value, str):
        return _value(str(value), kind, replacer_for, pending, container, slot)
    if isinstance(value, dict | list | tuple):
        return _walk(value, kind, replacer_for, pending)
    return value


# Trace, span and request ids (hex, UUIDs) hold nothing a detector could find.
_ID_LENGTHS = frozenset((16, 24, 32, 36, 40, 64))
# (At least one letter: sixteen digits could be a card number.)
_HEX_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                     r"|[0-9]*[a-f][0-9a-f]*")


# ISO timestamps: every event has one, and a timestamp alone is nobody's data.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d{1,9})?)?"
                        r"(?:Z|[+\-]\d\d:?\d\d)?")


def _needs_detect(text: str) -> bool:
    if len(text) in _ID_LENGTHS and _HEX_ID.fullmatch(text):
        return False
    return not (text[4:5] == "-" and _TIMESTAMP.fullmatch(text))


def _scrub_pending(pending: list, replacer_for) -> None:
    pending = [p for p in pending if _needs_detect(p[2])]
    if not pending:
        return
    texts = [p[2] for p in pending]
    joined = _SEPARATOR.join(texts)
    found = spans(joined)
    if not found:
        if len(joined) <= _CLEAN_MAX_LENGTH * 16:
            if len(_CLEAN_VALUES) > _CLEAN_MAX_ENTRIES:
                _CLEAN_VALUES.clear()
            _CLEAN_VALUES.update(texts)
        else:
            _remember_clean(texts, ())
        return
    bounds = []
    at = 0
    for text in texts:
        bounds.append(at)
        at += len(text) + 1
    per_value: dict[int, list] = {}
    for start, end, kind, rule in found:
        i = bisect_right(bounds, start) - 1
        # A finding belongs to one value; clip it to each value it touches, to be safe.
        while i < len(texts) and bounds[i] < end:
            base = bounds[i]
            s, e = max(start, base) - base, min(end, base + len(texts[i])) - base
            if e > s:
                per_value.setdefault(i, []).append((s, e, kind, rule))
            i += 1
    for i, value_findings in per_value.items():
        container, slot, text = pending[i]
        container[slot] = apply_findings(text, value_findings, replacer_for)
    _remember_clean(texts, per_value)


# Strings seen without personal data (levels, hosts, user agents, referers repeat from
# one event to the next) skip detection next time. Bounded, and only short strings.
_CLEAN_VALUES: set[str] = set()
_CLEAN_MAX_ENTRIES = 20000
_CLEAN_MAX_LENGTH = 256


def _remember_clean(texts: list[str], dirty) -> None:
    if len(_CLEAN_VALUES) > _CLEAN_MAX_ENTRIES:
        _CLEAN_VALUES.clear()
    for i, text in enumerate(texts):
        if i not in dirty and len(text) <= _CLEAN_MAX_LENGTH:
            _CLEAN_VALUES.add(text)


def _whole(value: str, kind: str, replacer_for) -> Any:
    result = replacer_for(kind)(value, kind)
    if is_delete(result):
        return _MISSING
    return result


_CLEAN_KEYS: set[str] = set()


def _scrub_key(k: str, out: dict, replacer_for) -> str:
    """Keys can be personal too ({"alice@example.com": 3}); a clash gets a suffix."""
    if k in _CLEAN_KEYS:
        return k
    found = spans(k)
    if not found:
        if len(_CLEAN_KEYS) > 10000:
            _CLEAN_KEYS.clear()
        _CLEAN_KEYS.add(k)
        return k
    new = apply_findings(k, found, replacer_for)
    base, n = new, 2
    while new in out:
        new = f"{base}#{n}"
        n += 1
    return new
