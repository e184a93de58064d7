"""The recognizer registry: every national identifier, CRYPTO and URL. Valid values are
found whole in the forms people write (bare or after their context word, in brackets,
quotes, JSON); a value whose check digit is wrong is not reported as that kind.

Values come from Faker's locale providers where they carry the real check rule (not
written here), otherwise from random bodies completed with the one check digit the
published rule (python-stdnum's) accepts, and from the standards' own examples."""

import random

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import get_cc_module  # noqa: F401 (stdnum is importable: a product dependency)

from anonymizer import detect, redact
from anonymizer.core import recognizers
from anonymizer.core.findings import KINDS
from anonymizer.core.recognizers.national.sg import nric_ok


def found(text):
    return [(f.kind, text[f.start:f.end]) for f in detect(text)]


def _faker(locale, method):
    fake = Faker(locale)

    def make(rng):
        fake.seed_instance(rng.randrange(10**9))
        return getattr(fake, method)()

    return make


def _completed(body, kind, *, fmt=lambda v: v):
    """A random body (a callable of rng) with the check digit that makes it valid
    (by the kind's first, strictest rule)."""
    rules = [r for r in recognizers.RECOGNIZERS if r.kind == kind][:1]

    def make(rng):
        while True:
            start = body(rng)
            for d in "0123456789":
                if any(r.validate(r.compact(start + d)) for r in rules):
                    return fmt(start + d)

    return make


def _digits(n, first="123456789"):
    return lambda rng: rng.choice(first) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def _date6(order="ymd"):
    def make(rng):
        y, m, d = rng.randrange(40, 99), rng.randrange(1, 13), rng.randrange(1, 29)
        return {"ymd": f"{y:02d}{m:02d}{d:02d}", "dmy": f"{d:02d}{m:02d}{y:02d}"}[order]
    return make


def _nric(rng):
    while True:
        prefix = rng.choice("STFG")
        body = "".join(rng.choice("0123456789") for _ in range(7))
        for letter in "ABCDEFGHIJKLMNPQRTUWXZ":
            if nric_ok(prefix + body + letter):
                return prefix + body + letter


def _pan(rng):
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return ("".join(rng.choice(letters) for _ in range(3)) + rng.choice("CPHFATBLJG")
            + rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(4))
            + rng.choice(letters))


def _nino(rng):
    while True:  # HMRC's letters, without the pairs it never issues
        prefix = rng.choice("ABCEHJKLMPRSTWXY") + rng.choice("ABCEGHJKLMPRSTWXY")
        if prefix not in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
            break
    return prefix + "".join(f"{rng.randrange(100):02d}" for _ in range(3)) + rng.choice("ABCD")


# kind: (make a valid value, its context word, whether it stands without the word)
SPECS = {
    "UK_NINO": (_nino, "NI number", True),
    "UK_NHS": (_completed(_digits(9, "4"), "UK_NHS", fmt=lambda v: f"{v[:3]} {v[3:6]} {v[6:]}"),
               "NHS number", False),
    "CA_SIN": (_faker("en_CA", "ssn"), "SIN", True),
    "US_ITIN": (_faker("en_US", "itin"), "ITIN", True),
    "US_PASSPORT": (lambda rng: _digits(9)(rng), "passport", False),
    "IN_AADHAAR": (_completed(_digits(11, "23456789"), "IN_AADHAAR",
                              fmt=lambda v: f"{v[:4]} {v[4:8]} {v[8:]}"), "Aadhaar", True),
    "IN_PAN": (_pan, "PAN", True),
    "ES_NIF": (_faker("es_ES", "nif"), "DNI", True),
    "ES_NIE": (_faker("es_ES", "nie"), "NIE", True),
    "IT_FISCAL_CODE": (_faker("it_IT", "ssn"), "codice fiscale", True),
    "PL_PESEL": (_faker("pl_PL", "pesel"), "PESEL", False),
    "SE_PERSONNUMMER": (_faker("sv_SE", "ssn"), "personnummer", True),
    "FI_HETU": (_faker("fi_FI", "ssn"), "henkilötunnus", True),
    "NL_BSN": (_faker("nl_NL", "ssn"), "BSN", False),
    "FR_NIR": (_faker("fr_FR", "ssn"), "numéro de sécurité sociale", True),
    "BE_NATIONAL_NUMBER": (_faker("nl_BE", "ssn"), "rijksregisternummer", False),
    "DE_TAX_ID": (_completed(_digits(10), "DE_TAX_ID"), "Steuer-ID", False),
    "DK_CPR": (lambda rng: _date6("dmy")(rng) + "-" + _digits(4, "0123")(rng), "CPR-nr.", False),
    "KR_RRN": (_completed(lambda rng: _date6()(rng) + "-" + _digits(6, "12")(rng), "KR_RRN"),
               "주민등록번호", True),
    "SG_NRIC": (_nric, "NRIC", True),
    "AU_TFN": (_completed(_digits(8), "AU_TFN", fmt=lambda v: f"{v[:3]} {v[3:6]} {v[6:]}"),
               "TFN", False),
    "ZA_ID": (_completed(lambda rng: _date6()(rng) + _digits(4)(rng) + "08", "ZA_ID"),
              "ID number", False),
    "BR_CPF": (_faker("pt_BR", "cpf"), "CPF", True),
    "CH_AHV": (_faker("de_CH", "ssn"), "AHV-Nr.", True),
}

WRAPS = ["{}", "({})", "[{}]", '"{}"', "'{}'", "<{}>", "{}.", "{},", ": {};"]


def test_every_national_kind_of_the_issue_has_a_recognizer_and_a_spec():
    wanted = {"UK_NINO", "UK_NHS", "CA_SIN", "US_ITIN", "US_PASSPORT", "IN_AADHAAR", "IN_PAN",
              "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "PL_PESEL", "SE_PERSONNUMMER", "FI_HETU",
              "NL_BSN", "FR_NIR", "BE_NATIONAL_NUMBER", "DE_TAX_ID", "DK_CPR", "KR_RRN",
              "SG_NRIC", "AU_TFN", "ZA_ID", "BR_CPF", "CH_AHV"}
    assert wanted <= set(recognizers.KINDS) and wanted == set(SPECS)
    assert {"CRYPTO", "URL"} <= set(KINDS)


@pytest.mark.parametrize("kind", sorted(SPECS))
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), wrap=st.sampled_from(WRAPS))
def test_a_valid_value_is_found_whole_after_its_context_word(kind, seed, wrap):
    make, word, _ = SPECS[kind]
    value = make(random.Random(seed))
    text = f"{word} " + wrap.format(value) + " on file"
    assert (kind, value) in found(text), (text, found(text))
    assert value not in redact(text)


@pytest.mark.parametrize("kind", sorted(k for k, spec in SPECS.items() if spec[2]))
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), wrap=st.sampled_from(WRAPS))
def test_a_distinctive_form_is_found_without_a_context_word(kind, seed, wrap):
    make, _, _ = SPECS[kind]
    value = make(random.Random(seed))
    text = "on file " + wrap.format(value) + " today"
    [(other, whole)] = [(k, v) for k, v in found(text) if value in v]
    assert whole == value, (text, found(text))
    if other != kind:  # a value that is valid for two kinds ("130529-5311": FI and SE)
        assert other == "CREDIT_CARD" or any(
            r.validate(r.compact(value)) for r in recognizers.RECOGNIZERS if r.kind == other)


def _broken(value):
    """The value with its last digit (or letter) changed: its check rule fails."""
    last = value[-1]
    if last.isdigit():
        return value[:-1] + str((int(last) + 1) % 10)
    return value[:-1] + ("A" if last != "A" else "B")


CHECKED = sorted(set(SPECS) - {"US_PASSPORT", "UK_NINO", "IN_PAN", "DK_CPR", "KR_RRN"})


@pytest.mark.parametrize("kind", CHECKED)
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_a_value_whose_check_fails_is_not_that_kind(kind, seed):
    make, word, _ = SPECS[kind]
    value = _broken(make(random.Random(seed)))
    rules = [r for r in recognizers.RECOGNIZERS if r.kind == kind]
    if any(r.validate(r.compact(value)) for r in rules):
        return  # (a few rules accept two check characters for one body)
    assert kind not in {k for k, _ in found(f"{word} {value} on file")}


@pytest.mark.parametrize("text, kind, value", [
    # the standards' and registries' own examples
    ("NHS number 943 476 5919", "UK_NHS", "943 476 5919"),
    ("ref 401 023 2137 seen", "UK_NHS", "401 023 2137"),  # (no US exchange 023: no phone)
    ("NI number QQ 12 34 56 C", "UK_NINO", "QQ 12 34 56 C"),
    ("PESEL 44051401359", "PL_PESEL", "44051401359"),
    ("codice fiscale RSSMRA85T10A562S", "IT_FISCAL_CODE", "RSSMRA85T10A562S"),
    ("AHV 756.1234.5678.97", "CH_AHV", "756.1234.5678.97"),
    ("CPF 390.533.447-05", "BR_CPF", "390.533.447-05"),
    ("hetu 131052-308T", "FI_HETU", "131052-308T"),
    ("rijksregisternummer 85.07.30-033.28", "BE_NATIONAL_NUMBER", "85.07.30-033.28"),
    ("Steuer-ID 86095742719", "DE_TAX_ID", "86095742719"),
    ("NRIC S1234567D", "SG_NRIC", "S1234567D"),
    ("TFN 123 456 782", "AU_TFN", "123 456 782"),
    ("SA ID 8001015009087", "ZA_ID", "8001015009087"),
    ("BSN 111222333", "NL_BSN", "111222333"),
    ("NIE X1234567L", "ES_NIE", "X1234567L"),
    ("PAN ABCPD1234E", "IN_PAN", "ABCPD1234E"),
])
def test_published_examples(text, kind, value):
    assert found(text) == [(kind, value)]


@pytest.mark.parametrize("text, value", [
    ("to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 today", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    ("p2sh 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy.", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    ('{"btc": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}',
     "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ("eth 0x52908400098527886E0F7030069857D2E4169EE7 paid",
     "0x52908400098527886E0F7030069857D2E4169EE7"),
])
def test_it_finds_wallet_addresses(text, value):
    assert found(text) == [("CRYPTO", value)]


@pytest.mark.parametrize("text", [
    "to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 today",          # base58check fails
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp",            # bech32 checksum fails
    "commit 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",    # a long hex id
    "x 0x5290840009852788 short",
])
def test_checksum_failing_or_short_look_alikes_are_no_wallets(text):
    assert "CRYPTO" not in {k for k, _ in found(text)}


def test_a_url_keeps_its_host_and_loses_its_personal_parts():
    text = ("GET https://shop.example.com/users/jane-doe/orders?email=jane%40x.com"
            "&first_name=Jane&page=2 200")
    assert [v for _, v in found(text)] == ["jane-doe", "jane%40x.com", "Jane"]
    assert found(text)[0] == ("URL", "jane-doe")
    out = redact(text)
    assert "shop.example.com" in out and "page=2" in out and "Jane" not in out


@pytest.mark.parametrize("text", [
    "https://example.com/users/me/settings", "https://example.com/docs?page=2&sort=name",
    "see https://example.com/api/v2/orders/123.",
])
def test_a_url_without_personal_parts_is_left_as_it_is(text):
    assert found(text) == []
