"""Scrub structured events: `scrub_event(obj, policy=None, *, key=None, vault=None)`.

Walks JSON-shaped data (dicts, lists, scalars) and returns a new object of the
same shape; the input is never changed. A value under a personal key (email,
phone, ip, name, address, password, lat, ...) is replaced whole, whatever it
looks like; every other string goes through `detect`. Key names are
classified once and cached, since events repeat their keys.
"""

from __future__ import annotations

import re
from typing import Any

from .detect import detect
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
from .redact import Policy, apply_findings, is_delete, resolve_policy

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


def scrub_event(obj: Any, policy: Policy | None = None, *, key: bytes | None = None,
                vault: Any = None) -> Any:
    """A scrubbed copy of `obj` with the same structure (a DELETE transform drops an item)."""
    replacer_for = resolve_policy(policy, key=key, vault=vault)
    result = _walk(obj, None, replacer_for)
    return None if result is _MISSING else result


def _walk(obj: Any, kind: str | None, replacer_for) -> Any:
    if isinstance(obj, str):
        if kind is not None:
            return _whole(obj, kind, replacer_for) if obj else obj
        if len(obj) < 6:
            return obj
        found = detect(obj)
        return apply_findings(obj, found, replacer_for) if found else obj
    if isinstance(obj, dict):
        out = {}
        for k, value in obj.items():
            child_kind = kind
            if isinstance(k, str):
                child_kind = key_kind(k) or kind
                if len(k) >= 6:
                    k = _scrub_key(k, out, replacer_for)
            new = _walk(value, child_kind, replacer_for)
            if new is not _MISSING:
                out[k] = new
        return out
    if isinstance(obj, list | tuple):
        out_list = []
        for item in obj:
            new = _walk(item, kind, replacer_for)
            if new is not _MISSING:
                out_list.append(new)
        return out_list
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int | float):
        if kind is not None:
            return _whole(str(obj), kind, replacer_for)
        if isinstance(obj, int) and abs(obj) >= 1_000_000:
            # A card, phone or SSN stored as a number.
            text = str(obj)
            found = detect(text)
            if found:
                return apply_findings(text, found, replacer_for)
        return obj
    return obj


def _whole(value: str, kind: str, replacer_for) -> Any:
    result = replacer_for(kind)(value, kind)
    if is_delete(result):
        return _MISSING
    return result


def _scrub_key(k: str, out: dict, replacer_for) -> str:
    """Keys can be personal too ({"alice@example.com": 3}); a clash gets a suffix."""
    found = detect(k)
    if not found:
        return k
    new = apply_findings(k, found, replacer_for)
    base, n = new, 2
    while new in out:
        new = f"{base}#{n}"
        n += 1
    return new
