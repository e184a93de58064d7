"""The formats real logs and people use: values in brackets, quotes and after punctuation,
network prefixes, cards by their issuers' length table, IBANs of every registry country,
phone numbers with extensions, trunks and in phone context, and the look-alikes that
must stay quiet. Card and IBAN values also come from Faker (not written here)."""

import re

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymizer import detect, redact
from anonymizer.core import validators


def found(text):
    return [(f.kind, text[f.start:f.end]) for f in detect(text)]


# --- around the value --------------------------------------------------------

@pytest.mark.parametrize("text, kind, value", [
    ("seen (192.168.1.1) at noon", "IP_ADDRESS", "192.168.1.1"),
    ("seen [10.20.30.40] at noon", "IP_ADDRESS", "10.20.30.40"),
    ("client:192.168.1.1 ok", "IP_ADDRESS", "192.168.1.1"),
    ("ip=192.168.1.1:8080 ok", "IP_ADDRESS", "192.168.1.1"),
    ('["10.0.0.1"]', "IP_ADDRESS", "10.0.0.1"),
    ("card:4111111111111111;", "CREDIT_CARD", "4111111111111111"),
    ("'4111 1111 1111 1111'", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("(+44 20 7946 0958)", "PHONE", "+44 20 7946 0958"),
    ("<+44 20 7946 0958>", "PHONE", "+44 20 7946 0958"),
    ("tel:+1-201-555-0123.", "PHONE", "+1-201-555-0123"),
    ("{phone:201-555-0123}", "PHONE", "201-555-0123"),
])
def test_it_finds_values_in_brackets_quotes_and_after_punctuation(text, kind, value):
    assert found(text) == [(kind, value)]


def test_a_time_is_still_not_a_number():
    assert found("at 2024-05-01 12:30 done, 12:34:56.789") == []


# --- networks ------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("net 192.168.1.0/24 routed", "192.168.1.0/24"),
    ("deny 10.0.0.0/8;", "10.0.0.0/8"),
    ("net 2001:db8::/32 routed", "2001:db8::/32"),
    ("route fe80::1ff:fe23:4567:890a/64 up", "fe80::1ff:fe23:4567:890a/64"),
    ("addr ::ffff:129.144.52.38 mapped", "::ffff:129.144.52.38"),
    ("via [::ffff:10.0.0.7]:443", "::ffff:10.0.0.7"),
])
def test_it_takes_network_prefixes_and_mapped_addresses_whole(text, value):
    assert found(text) == [("IP_ADDRESS", value)]
    assert value not in redact(text)
    assert "/" not in redact(text).split("]")[-1][:3]


@pytest.mark.parametrize("mac", ["FF:FF:FF:FF:FF:FF", "ff-ff-ff-ff-ff-ff", "00:00:00:00:00:00"])
def test_broadcast_and_zero_macs_name_no_device(mac):
    assert found(f"dst {mac} frame") == []


# --- cards ---------------------------------------------------------------------

@pytest.mark.parametrize("number", [
    "501800000009",          # Maestro, 12 digits
    "6759 6498 2648",        # Maestro, printed 4-4-4
    "180000000000002",       # JCB, 15 digits
    "213100000000001",
    "38520000023237",        # Diners, 14 digits
])
def test_it_finds_cards_of_every_length_their_issuer_uses(number):
    assert validators.luhn_ok(number.replace(" ", ""))
    assert found(f"paid with {number} today") == [("CREDIT_CARD", number)]


@pytest.mark.parametrize("card_type", [
    "maestro", "mastercard", "visa13", "visa16", "visa19", "amex", "discover", "diners",
    "jcb15", "jcb16",
])
def test_it_finds_faker_cards_of_every_network(card_type):
    fake = Faker()
    fake.seed_instance(12)
    for _ in range(100):
        number = fake.credit_card_number(card_type=card_type)
        assert found(f"card {number} paid") == [("CREDIT_CARD", number)]


def test_a_luhn_failing_twelve_digit_number_is_no_card():
    assert "CREDIT_CARD" not in {k for k, _ in found("ref 501800000008 x")}


# --- IBAN ------------------------------------------------------------------------

def test_iban_lengths_match_the_registry_as_python_stdnum_ships_it():
    import stdnum

    # python-stdnum's copy of the SWIFT registry: one line per country, its BBAN format
    # written as "3!n3!n15!n" (lengths of digit / letter / any groups).
    path = stdnum.__file__.replace("__init__.py", "iban.dat")
    lengths = {}
    with open(path, encoding="utf-8") as registry:
        lines = registry.read().splitlines()
    for line in lines:
        m = re.match(r'^([A-Z]{2}) .*bban="([^"]+)"', line)
        if m:
            lengths[m.group(1)] = 4 + sum(int(n) for n in re.findall(r"(\d+)!?[nace]", m.group(2)))
    assert lengths and {c: validators.IBAN_LENGTHS.get(c) for c in lengths} == lengths


@pytest.mark.parametrize("value", [
    "gb42nawi04454264788619",
    "LY83002048000020100120361",
    "ly83 0020 4800 0020 1001 2036 1",
])
def test_it_finds_lower_case_and_libyan_ibans(value):
    assert found(f"iban {value}.") == [("IBAN", value)]


@pytest.mark.parametrize("locale", [
    "en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT", "pl_PL", "pt_BR", "tr_TR", "fi_FI",
    "no_NO", "da_DK", "cs_CZ", "uk_UA", "ru_RU",
])
def test_it_finds_faker_ibans_in_upper_and_lower_case(locale):
    fake = Faker(locale)
    fake.seed_instance(3)
    for _ in range(30):
        value = fake.iban()
        for text in (f"iban {value}.", f'{{"iban": "{value.lower()}"}}'):
            assert [(k, v.upper()) for k, v in found(text)] == [("IBAN", value)]


@pytest.mark.parametrize("text", [
    "iban DE88 3704 0044 0532 0130 00 bad",
    "iban DE89 3704 0044 0532 0130 02 02",
    "GB83 WEST 1234 5698 7654 32",
])
def test_the_digit_groups_of_a_bad_iban_are_not_phones(text):
    assert found(text) == []


# --- phones ------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("call 463-612-6138x036 now", "463-612-6138x036"),
    ("call 201-555-0123 ext. 12 now", "201-555-0123 ext. 12"),
    ("call +41 (0)69 979 80 58 now", "+41 (0)69 979 80 58"),
    ("sms sent to +44 7911 922187", "+44 7911 922187"),
    ('{"phone": "+33 6 90 56 48 61"}', "+33 6 90 56 48 61"),
    ("mobile 13812345678", "13812345678"),
    ("手机 138 1234 5678", "138 1234 5678"),
])
def test_it_finds_phones_as_people_write_them(text, value):
    assert found(text) == [("PHONE", value)]


def test_a_possible_but_unallocated_number_needs_phone_context():
    assert found("ref +44 7911 922187 x") == []


@pytest.mark.parametrize("text", [
    "ssn 078-05-0000 bad", "id 000-12-3456", "ssn 666-12-3456",
])
def test_never_issued_ssns_are_not_phones(text):
    assert found(text) == []


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["138", "139", "150", "158", "177", "186", "188", "199"]),
       st.integers(0, 10**8 - 1),
       st.sampled_from(["{}", "({})", '"{}"', "tel:{}", "[{}]"]))
def test_chinese_mobiles_are_found_whole_in_any_wrapping(prefix, rest, wrap):
    number = f"{prefix}{rest:08d}"
    text = "mobile " + wrap.format(number) + " ok"
    assert ("PHONE", number) in found(text)


# --- names after a cue: every alphabet, initials, lower case -----------------------

@pytest.mark.parametrize("text, value", [
    ("Mr. Kozłowski flew to Tallinn", "Kozłowski"),
    ("Dear Anđa Tomić, hello", "Anđa Tomić"),
    ("Ms. Červinková called", "Červinková"),
    ("Dr. Wiśniewski and Mr. Pavlović", "Wiśniewski"),
    ("Dear Ruth R Montez,", "Ruth R Montez"),
    ("Dear John F. Kennedy,", "John F. Kennedy"),
    ("Dear Ηλίας Παπαδόπουλος,", "Ηλίας Παπαδόπουλος"),
    ('{"name": "Zoë Ivanov", "x": 1}', "Zoë Ivanov"),
    ("my name is lena andersson", "lena andersson"),
    ("hi, my name is jan de vries and i live here", "jan de vries"),
])
def test_it_finds_names_after_a_cue_whole(text, value):
    assert ("PERSON", value) in found(text)
    assert value not in redact(text)
    for part in value.split():
        if len(part) > 2:
            assert part not in redact(text)


def test_a_lower_case_ordinary_word_after_my_name_is_is_no_name():
    assert found("my name is not important") == []


def test_a_uuid_tail_is_no_lower_case_iban():
    # "ee85-40f33ee74055..." has an Estonian IBAN's shape and passes mod 97 by chance.
    assert found("req=76b3eb32-ae0a-93d9-ee85-40f33ee74055 took 716ms") == []
