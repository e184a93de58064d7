"""redact(): labels by default, policies by kind, nothing of a finding left behind."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymizer import detect, redact


def test_it_replaces_each_finding_by_its_label():
    text = "Mail john@example.com from 192.168.1.20, card 4111 1111 1111 1111."
    assert redact(text) == "Mail [EMAIL] from [IP_ADDRESS], card [CREDIT_CARD]."


def test_text_without_findings_comes_back_unchanged():
    text = "Order ORD-2025-004512 shipped in 3 days, v2.14.3, 12.99 EUR"
    assert redact(text) is text


def test_a_url_encoded_email_goes_from_local_part_to_domain():
    assert redact("/u?email=jane.doe%40example.com&t=1") == "/u?email=[EMAIL]&t=1"


def test_a_policy_can_use_a_callable_per_kind():
    text = "john@example.com called +44 20 7946 0958"
    out = redact(text, {"EMAIL": lambda value, kind: value.split("@")[1],
                        "*": lambda value, kind: kind.lower()})
    assert out == "example.com called phone"


def test_a_callable_returning_none_removes_the_value():
    assert redact("pw password=hunter2 ok", {"SECRET": lambda v, k: None}) == "pw password= ok"


def test_an_unknown_transform_name_is_refused():
    with pytest.raises((ValueError, ImportError)):
        redact("john@example.com", {"EMAIL": "no-such-transform"})


def test_redacting_twice_changes_nothing_more():
    text = ("Dear Ana Lopez, your password=hunter2 and IBAN DE89 3704 0044 0532 0130 00; "
            "born on 1985-03-12; call +1 201-555-0123 or mail ana@example.com")
    once = redact(text)
    assert redact(once) == once
    assert "hunter2" not in once and "0532" not in once and "ana@" not in once


_words = st.text(alphabet="abcdefgh ijklmnop", max_size=20)
_emails = st.from_regex(r"[a-z][a-z0-9.+_]{0,12}[a-z0-9](@|%40)[a-z]{2,9}\.(com|net|fr)",
                        fullmatch=True)
_phones = st.sampled_from(["+44 20 7946 0958", "+1 201-555-0123", "(201) 555-0123",
                           "07400 123456", "+33 6 12 34 56 78", "+49 30 123456",
                           "+81 3-1234-5678", "201.555.0123"])
_ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
_ibans = st.sampled_from(["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432",
                          "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300"])


def _runs(value):
    """Every alphanumeric run of 4+ characters: none may survive redaction."""
    return [r for r in re.findall(r"[A-Za-z0-9]{4,}", value) if r not in ("40",)]


@given(_words, st.one_of(_emails, _phones, _ipv4, _ibans), _words)
@settings(max_examples=300)
def test_no_part_of_a_generated_value_survives(before, value, after):
    text = f"{before} {value} {after}"
    out = redact(text)
    assert len(detect(text)) >= 1
    for run in _runs(value):
        if run not in before and run not in after:
            assert run not in out, (text, out)


# --- policies through anonymizer.core.transforms ---------------------------

def test_mask_keeps_what_support_needs():
    text = "ann.lee@example.com paid with 4111 1111 1111 1111"
    assert redact(text, {"*": "mask"}) == "a***@example.com paid with **** **** **** 1111"


def test_pseudonymise_is_stable_per_key_and_differs_between_keys():
    text = "from ann@example.com"
    one = redact(text, {"EMAIL": "pseudonymise"}, key=b"k1")
    assert one == redact(text, {"EMAIL": "pseudonymise"}, key=b"k1")
    assert one != redact(text, {"EMAIL": "pseudonymise"}, key=b"k2")
    assert "ann" not in one and one.startswith("from pseu_")


def test_generalize_and_tokenize_through_the_policy():
    from anonymizer.core.transforms import MemoryVault, detokenize

    assert redact("from 203.0.113.9", {"IP_ADDRESS": "generalize"}) == "from 203.0.113.0/24"
    vault = MemoryVault()
    out = redact("mail ann@example.com", {"EMAIL": "tokenize"}, vault=vault)
    token = out.removeprefix("mail ")
    assert token != "ann@example.com" and detokenize(token, vault=vault) == "ann@example.com"


def test_a_transform_that_cannot_apply_falls_back_to_the_label():
    assert redact("mail ann@example.com", {"EMAIL": "generalize"}) == "mail [EMAIL]"
    assert redact("mail ann@example.com", {"EMAIL": "pseudonymise"}) == "mail [EMAIL]"


def test_null_and_delete_remove_the_value_from_text():
    assert redact("pw password=hunter2 ok", {"SECRET": "null"}) == "pw password= ok"
    assert redact("pw password=hunter2 ok", {"SECRET": "delete"}) == "pw password= ok"
