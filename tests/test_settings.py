"""Settings come from the environment and fail loudly on bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("off", False),
                                          ("0", False)])
def test_env_bool_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("HUSH_X", raw)
    assert env.env_bool("HUSH_X") is expected


@pytest.mark.parametrize("helper,raw", [(env.env_bool, "maybe"), (env.env_int, "ten")])
def test_env_helpers_reject_malformed_values(monkeypatch, helper, raw):
    monkeypatch.setenv("HUSH_X", raw)
    with pytest.raises(ImproperlyConfigured, match="HUSH_X"):
        helper("HUSH_X", 1) if helper is env.env_int else helper("HUSH_X")


def test_env_int_enforces_a_minimum(monkeypatch):
    monkeypatch.setenv("HUSH_X", "5")
    with pytest.raises(ImproperlyConfigured, match="at least 60"):
        env.env_int("HUSH_X", 100, minimum=60)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HUSH_X", "a, b,,c")
    assert env.env_list("HUSH_X") == ["a", "b", "c"]


def _start(extra: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECRET_KEY", "HUSH_FIELD_KEYS", "HUSH_DIGEST_KEY", "HUSH_DEV",
                          "DEBUG"}}
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT,
                          env={**clean, **extra}, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_secrets():
    result = _start({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_malformed_field_key():
    result = _start({"SECRET_KEY": "k" * 60, "HUSH_DIGEST_KEY": "d" * 40,
                     "HUSH_FIELD_KEYS": "not-a-fernet-key"})
    assert result.returncode != 0
    assert "HUSH_FIELD_KEYS" in result.stderr


def test_dev_mode_starts_with_throwaway_keys():
    result = _start({"HUSH_DEV": "1"})
    assert result.returncode == 0, result.stderr
