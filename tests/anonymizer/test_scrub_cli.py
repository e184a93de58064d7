"""`python -m anonymizer scrub`: a real subprocess, stdin to stdout, no Django settings."""

import json
import os
import subprocess
import sys

import pytest

ENV = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}


def run(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "anonymizer", "scrub", *args], input=stdin,
                          capture_output=True, text=True, env=ENV, timeout=60)


def test_it_scrubs_plain_lines():
    result = run(stdin="login ann@example.com from 203.0.113.9\nnothing here\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "login [EMAIL] from [IP_ADDRESS]\nnothing here\n"


def test_it_scrubs_json_lines_and_falls_back_to_text():
    lines = [json.dumps({"email": "ann@example.com", "msg": "card 4111 1111 1111 1111"}),
             "not json: call +44 20 7946 0958", "", "[1, 2]"]
    result = run("--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '{"email":"[EMAIL]","msg":"card [CREDIT_CARD]"}', "not json: call [PHONE]", "", "[1,2]"]


def test_it_streams_line_by_line():
    proc = subprocess.Popen([sys.executable, "-m", "anonymizer", "scrub"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        proc.stdin.write("first ann@example.com\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "first [EMAIL]\n"  # before stdin is closed
        proc.stdin.write("second bob@example.com\n")
        proc.stdin.close()
        assert proc.stdout.readline() == "second [EMAIL]\n"
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


@pytest.mark.parametrize("args, message", [
    (["--policy", "EMAIL"], "KIND=TRANSFORM"),
    (["--policy", "NOPE=redact"], "unknown kind"),
    (["--policy", "EMAIL=no-such"], "--policy"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_bad_arguments_exit_2_with_a_message(args, message):
    result = run(*args, stdin="ann@example.com\n")
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_it_does_not_load_django():
    code = ("import sys\nfrom anonymizer.__main__ import main\nrc = main(['scrub'])\n"
            "assert 'django' not in sys.modules, 'django was imported'\nsys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], input="a@example.com\n",
                            capture_output=True, text=True, env=ENV, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[EMAIL]\n"


def test_it_carries_bytes_that_are_not_utf8():
    result = subprocess.run([sys.executable, "-m", "anonymizer", "scrub"],
                            input=b"caf\xe9 ann@example.com\n", capture_output=True, env=ENV,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"caf\xe9 [EMAIL]\n"


def test_policies_name_transforms():
    result = run("--policy", "EMAIL=mask", "--policy", "ip_address=generalize",
                 stdin="ann@example.com from 203.0.113.9\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a***@example.com from 203.0.113.0/24\n"


def test_pseudonymise_takes_its_key_from_the_environment():
    env = {**ENV, "HUSH_SCRUB_KEY": "k1"}
    args = [sys.executable, "-m", "anonymizer", "scrub", "--policy", "EMAIL=pseudonymise"]
    first = subprocess.run(args, input="ann@example.com\n", capture_output=True, text=True,
                           env=env, timeout=60)
    again = subprocess.run(args, input="ann@example.com\n", capture_output=True, text=True,
                           env=env, timeout=60)
    assert first.returncode == 0 and first.stdout == again.stdout
    assert first.stdout.startswith("pseu_")
    missing = run("--policy", "EMAIL=pseudonymise", stdin="ann@example.com\n")
    assert missing.returncode == 2 and "HUSH_SCRUB_KEY" in missing.stderr


def test_workers_scrub_in_parallel_and_keep_the_lines_in_order():
    import subprocess
    import sys

    lines = "".join(f"{i} mail user{i}@example.com or call +44 20 7946 {i % 10000:04d}\n"
                    if i % 3 else f'{{"n": {i}, "email": "u{i}@example.org"}}\n'
                    for i in range(3000))
    runs = [subprocess.run([sys.executable, "-m", "anonymizer", "scrub", "--json",
                            "--workers", str(n)], input=lines, capture_output=True, text=True,
                           timeout=300) for n in (1, 2)]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr
    assert runs[1].stdout == runs[0].stdout
    out = runs[1].stdout.splitlines()
    assert len(out) == 3000 and out[1].startswith("1 mail [EMAIL]") and "@" not in runs[1].stdout


def test_workers_must_be_a_sensible_number():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "anonymizer", "scrub", "--workers", "0"],
                       input="", capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--workers" in r.stderr
