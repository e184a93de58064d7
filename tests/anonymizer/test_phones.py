"""anonymizer.core.phones answers what phonenumbers.is_valid_number answers, faster."""

import random

import phonenumbers
import pytest
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneNumberType

from anonymizer.core import phones

_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
          PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP, PhoneNumberType.UAN)
_REGIONS = sorted({r for rs in COUNTRY_CODE_TO_REGION_CODE.values() for r in rs if r != "001"})


def _examples(regions):
    for region in regions:
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                yield region, example


def test_every_example_number_of_every_region_is_valid_with_its_country_code():
    checked = 0
    for region, example in _examples(_REGIONS):
        nsn = phonenumbers.national_significant_number(example)
        assert phones.valid_international(f"{example.country_code}{nsn}"), (region, nsn)
        checked += 1
    assert checked > 900


@pytest.mark.parametrize("region", ["US", "GB", "DE", "FR", "CA", "JE"])
def test_changed_numbers_get_the_answer_phonenumbers_gives(region):
    rnd = random.Random(region)
    valid = 0
    for _, example in _examples([region]):
        nsn = phonenumbers.national_significant_number(example)
        for _ in range(40):
            digits = "".join(c if rnd.random() > 0.3 else rnd.choice("0123456789") for c in nsn)
            number = phonenumbers.parse(f"+{example.country_code}{digits}", None)
            expected = phonenumbers.is_valid_number(number)
            assert phones.valid_international(f"{example.country_code}{digits}") == expected, (
                region, digits)
            valid += expected
    assert valid > 0  # some changed numbers stay valid: both answers were exercised


def test_national_numbers_need_the_regions_trunk_prefix():
    assert phones.valid_national("02079460958", "GB")
    assert not phones.valid_national("2079460958", "GB")  # the "0" is how GB writes it
    assert phones.valid_national("2125550143", "US") and phones.valid_national("12125550143", "US")
    assert not phones.valid_national("1125550143", "US")


@pytest.mark.parametrize("regions", [("US", "GB", "DE", "FR"), ("GB",), ("US",), ("IT", "GB"),
                                     ("RU", "HU", "DE")])
def test_the_national_gate_answers_what_the_regions_one_by_one_answer(regions):
    rnd = random.Random(",".join(regions))
    gate = phones.national_gate(regions)
    opened = 0
    for _ in range(3000):
        digits = rnd.choice(["0", "1", "8", "06", ""]) + "".join(
            rnd.choice("0123456789") for _ in range(rnd.randint(6, 13)))
        expected = any(phones.plausible_national(digits, r) for r in regions)
        assert gate(digits) == expected, (regions, digits)
        opened += expected
    assert 0 < opened < 3000 or "IT" in regions  # Italy writes any digits: always open
