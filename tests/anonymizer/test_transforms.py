"""Transforms: each does what its name says, and none lets the value through."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymizer.core import transforms as t

KEY = b"k" * 32
emails = st.emails()


def test_it_redacts_to_the_kind_label():
    assert t.redact("alice@example.com", kind="EMAIL") == "[EMAIL]"
    assert t.redact("secret") == "[REDACTED]"


@pytest.mark.parametrize(("value", "kind", "masked"), [
    ("alice@example.com", "EMAIL", "a***@example.com"),
    ("4111 1111 1111 1234", "CREDIT_CARD", "**** **** **** 1234"),
    ("GB82 WEST 1234 5698 7654 32", "IBAN", "GB****************5432"),
    ("+44 20 7946 0958", "PHONE", "**********58"),
    ("123-45-6789", "US_SSN", "*****6789"),
    ("203.0.113.77", "IP_ADDRESS", "203.0.113.0/24"),
    ("Alice", "PERSON", "A***"),
])
def test_it_masks_keeping_only_what_support_needs(value, kind, masked):
    assert t.mask(value, kind=kind) == masked


@given(emails)
def test_it_pseudonymises_stably_per_key(email):
    first = t.pseudonymise(email, key=KEY, kind="EMAIL")
    assert first == t.pseudonymise(email, key=KEY, kind="EMAIL")
    assert first != t.pseudonymise(email, key=b"other" * 8, kind="EMAIL")
    assert email not in first and email.split("@")[1] not in first


def test_it_pseudonymises_case_insensitively():
    assert t.pseudonymise("Alice@Example.com", key=KEY) == t.pseudonymise(
        "alice@example.com", key=KEY)


@given(emails)
def test_a_format_preserving_pseudonym_of_an_email_is_an_email(email):
    pseudonym = t.pseudonymise(email, key=KEY, kind="EMAIL", format_preserving=True)
    local, _, domain = pseudonym.partition("@")
    assert domain == "pseudonym.invalid" and local and "@" not in local


@given(st.ip_addresses())
def test_a_format_preserving_pseudonym_of_an_ip_is_a_reserved_ip(address):
    import ipaddress

    pseudonym = ipaddress.ip_address(
        t.pseudonymise(str(address), key=KEY, kind="IP_ADDRESS", format_preserving=True))
    assert pseudonym.version == address.version
    if pseudonym.version == 4:
        assert pseudonym in ipaddress.ip_network("240.0.0.0/4")
    else:
        assert pseudonym in ipaddress.ip_network("fd00::/8")


def test_a_format_preserving_pseudonym_keeps_the_shape():
    pseudonym = t.pseudonymise("AB12-345", key=KEY, format_preserving=True)
    assert len(pseudonym) == 8 and pseudonym[4] == "-"
    assert pseudonym[:2].isupper() and pseudonym[2:4].isdigit() and pseudonym[5:].isdigit()
    assert pseudonym != "AB12-345"


def test_it_refuses_to_pseudonymise_without_a_key():
    with pytest.raises(ValueError, match="key"):
        t.pseudonymise("x", key=b"")


@given(st.text(min_size=8))
def test_tokenize_round_trips_through_the_vault(value):
    vault = t.MemoryVault()
    token = t.tokenize(value, vault=vault, kind="PERSON")
    assert value not in token
    assert t.detokenize(token, vault=vault) == value
    assert t.tokenize(value, vault=vault, kind="PERSON") == token


def test_an_unknown_token_is_refused():
    with pytest.raises(KeyError):
        t.detokenize("tok_nope", vault=t.MemoryVault())


@pytest.mark.parametrize(("value", "kind", "options", "general"), [
    ("203.0.113.77", "IP_ADDRESS", {}, "203.0.113.0/24"),
    ("2001:db8:abcd:12::1", "IP_ADDRESS", {}, "2001:db8:abcd::/48"),
    ("1984-07-21", "DATE_OF_BIRTH", {}, "1984-07"),
    ("21/07/1984", "DATE_OF_BIRTH", {"level": "year"}, "1984"),
    (date(1984, 7, 21), "DATE", {}, date(1984, 7, 1)),
    (datetime(2026, 11, 30, 12, 5), "TIMESTAMP", {"level": "year"}, datetime(2026, 1, 1)),
    (37, "AGE", {}, "30-39"),
    (93, "AGE", {}, "90+"),
    ("SW1A 1AA", "POSTCODE", {}, "SW1A"),
    ("94110", "POSTCODE", {}, "941"),
    ("51.50735,-0.12776", "GPS", {}, "51.51,-0.13"),
    ("not an ip", "IP_ADDRESS", {}, None),
    ("someday", "DATE_OF_BIRTH", {}, None),
])
def test_it_generalizes(value, kind, options, general):
    assert t.generalize(value, kind=kind, **options) == general


def test_generalize_refuses_a_kind_it_does_not_know():
    with pytest.raises(ValueError, match="EMAIL"):
        t.generalize("alice@example.com", kind="EMAIL")


def test_apply_runs_transforms_by_name():
    assert t.apply("null", "x") is None
    assert t.apply("delete", "x") is t.DELETE
    assert t.apply("redact", "x", kind="PHONE") == "[PHONE]"
    assert t.apply("generalize", "10.1.2.3", kind="IP_ADDRESS") == "10.1.2.0/24"
    assert t.apply("pseudonymise", "x", key=KEY).startswith("pseu_")
    with pytest.raises(ValueError, match="unknown transform 'shred'"):
        t.apply("shred", "x")
