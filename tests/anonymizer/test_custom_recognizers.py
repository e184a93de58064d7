"""The operator's recognizer file (HUSH_RECOGNIZERS_FILE): own kinds with an optional
checksum and context words, a deny-list and an allow-list, used by the scrub CLI (and
the API and log filter: the same registry); a bad file fails with its line."""

import os
import subprocess
import sys

import pytest

from anonymizer.core.recognizers.custom import RecognizerFileError, load_file

GOOD = """# the shop's own identifiers
[[recognizer]]
kind = "CUSTOMER_ID"
pattern = 'CUST-\\d{6}'

[[recognizer]]
kind = "LOYALTY_CARD"
pattern = 'LC\\d{10}'
checksum = "luhn"
context = ["loyalty"]

[deny]
values = ["Project Falcon"]

[allow]
values = ["support@hush.example", "4111 1111 1111 1111"]
"""


def scrub(tmp_path, toml, lines):
    path = tmp_path / "recognizers.toml"
    path.write_text(toml, encoding="utf-8")
    env = {**os.environ, "HUSH_RECOGNIZERS_FILE": str(path)}
    return subprocess.run([sys.executable, "-m", "anonymizer", "scrub"], input=lines,
                          capture_output=True, text=True, env=env, timeout=120)


def test_a_good_file_adds_kinds_and_honours_the_deny_and_allow_lists(tmp_path):
    out = scrub(tmp_path, GOOD, "\n".join([
        "customer CUST-123456 asked",
        "loyalty card LC4111111110 ok, LC4111111112 bad",
        "LC4111111110 without its context word",
        "project falcon is confidential",
        "mail support@hush.example or jane@example.com",
        "card 4111 1111 1111 1111 or 4242 4242 4242 4242",
    ]) + "\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "customer [CUSTOMER_ID] asked",
        "loyalty card [LOYALTY_CARD] ok, LC4111111112 bad",   # Luhn fails: not reported
        "LC4111111110 without its context word",
        "[DENY_LIST] is confidential",
        "mail support@hush.example or [EMAIL]",
        "card 4111 1111 1111 1111 or [CREDIT_CARD]",
    ]


@pytest.mark.parametrize("toml, line, words", [
    ('[[recognizer]]\nkind = "A_ID"\npattern = "A-\\\\d+"\n\n[[recognizer]]\nkind = "B_ID"\n'
     'pattern = "B(\\\\d"\n', 7, "pattern is not a regular expression"),
    ('[[recognizer]]\nkind = "A_ID"\npattern = "A-\\\\d+"\nchecksum = "crc32"\n', 4,
     "unknown checksum 'crc32'"),
    ('[[recognizer]]\nkind = "lower"\npattern = "A-\\\\d+"\n', 2, "kind must be"),
    ('[[recognizer]]\nkind = "A_ID"\npattern = "\\\\d{6}"\n', 1, "cues must be"),
    ('[allow]\nvalues = "x"\n', 2, "allow values must be a list"),
    ("[deny]\nvalues = [\n", 2, "Invalid"),
    ("[deny]\nvalues = [1, 2]\n", 2, "deny values must be"),
    ('[[recogniser]]\nkind = "A"\n', 1, "unknown table [recogniser]"),
])
def test_a_bad_file_is_refused_with_its_line(tmp_path, toml, line, words):
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(RecognizerFileError) as caught:
        load_file(str(path))
    message = str(caught.value)
    assert f"line {line}" in message and words in message, message
    out = scrub(tmp_path, toml, "x\n")
    assert out.returncode != 0 and f"line {line}" in out.stderr


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(RecognizerFileError, match="cannot read"):
        load_file(str(tmp_path / "nope.toml"))
