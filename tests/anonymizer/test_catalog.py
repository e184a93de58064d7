"""The PII catalog: every Hush model was looked at, entries are checked when they
are declared, and the company's tables can be declared in a file."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from anonymizer import catalog
from anonymizer.catalog_file import CatalogFileError, catalog_file_load, catalog_file_read
from config import env

ROOT = Path(__file__).resolve().parents[2]
TEXT_LIKE = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField)


def _text_models():
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        if any(isinstance(f, TEXT_LIKE) for f in model._meta.concrete_fields):
            yield model._meta.label_lower


def test_it_catalogues_or_reviews_every_model_holding_text():
    catalogued = {e.key for e in catalog.entries() if not e.external}
    reviewed = catalog.reviewed()
    missed = [label for label in _text_models() if label not in catalogued | set(reviewed)]
    assert missed == [], ("catalog these in the app's pii.py, or declare them not_pii "
                          f"with a reason: {missed}")
    assert all(reason.strip() for reason in reviewed.values())
    assert not set(reviewed) & catalogued


def test_it_catalogues_how_a_subject_is_found():
    subject = catalog.entry("preferences.subject")
    assert subject.subject == "public_id"
    assert {f.name for f in subject.fields} >= {"email", "email_digest", "external_id",
                                                "locale", "country"}
    assert all(f.erase == "null" for f in subject.fields)
    assert catalog.entry("preferences.subscription").erase_rows
    assert catalog.entry("preferences.consentevent").erase_rows
    assert catalog.entry("preferences.delivery").field("payload").erase == "redact"
    # Evidence and staff data stay: nothing of theirs is erased with a subject.
    assert not catalog.entry("audit.auditevent").erasable
    assert not catalog.entry("auth.user").erasable
    assert catalog.entry("preferences.suppression").field("email_digest").erase is None


def test_every_subject_path_finds_alices_rows_and_not_bobs(alice, bob):
    # bob exists too: a path that matched everyone would count his rows as well.
    found = {}
    for entry in catalog.entries():
        if entry.external or entry.subject is None:
            continue
        value = getattr(alice, entry.subject_by)
        found[entry.key] = entry.model._default_manager.filter(**{entry.subject: value}).count()
    assert found["preferences.subject"] == 1
    assert found["preferences.subscription"] == 2
    assert found["preferences.consentevent"] >= 1
    assert found["anonymizer.erasurerequest"] == 0


def test_retention_entries_name_a_timestamp_and_a_retain_transform():
    with_retention = [e for e in catalog.entries() if e.retention is not None]
    assert {"preferences.delivery", "sessions.session"} <= {e.key for e in with_retention}
    for entry in with_retention:
        assert entry.timestamp
        assert any(f.retain for f in entry.fields)


def test_the_catalog_names_only_transforms_that_exist():
    from anonymizer.core import transforms

    assert set(transforms.TRANSFORMS) >= catalog.TRANSFORM_NAMES


@pytest.mark.parametrize("fields,kwargs,message", [
    ([catalog.PiiField("nope", "contact")], {}, "no field 'nope'"),
    ([catalog.PiiField("payload", "identifier", erase="null")], {}, "cannot be nulled"),
    ([catalog.PiiField("last_error", "free_text", retain="null")],
     {"retention": timedelta(days=1)}, "needs a timestamp"),
    ([catalog.PiiField("last_error", "free_text")],
     {"retention": timedelta(days=1), "timestamp": "created_at"}, "retain transform"),
    ([catalog.PiiField("last_error", "free_text")], {"timestamp": "when"}, "no timestamp"),
])
def test_it_refuses_a_mistaken_entry(fields, kwargs, message):
    from preferences.models import Delivery

    with pytest.raises(ValueError, match=message):
        catalog.register(Delivery, subject="subject_key", fields=fields, **kwargs)
    assert catalog.entry("preferences.delivery").field("payload").erase == "redact"


@pytest.mark.parametrize("options,message", [
    ({"erase": "shred"}, "unknown erase transform"),
    ({"retain": "generalize"}, "generalize needs a kind"),
])
def test_a_field_names_a_known_transform(options, message):
    with pytest.raises(ValueError, match=message):
        catalog.PiiField("x", "contact", **options)
    with pytest.raises(ValueError):
        catalog.PiiField("x", "not-a-category")


# --- the external catalog file ---------------------------------------------------

TOML = """
[[tables]]
database = "shop"
table = "customers"
subject = "email"
subject_by = "email"
retention_days = 365
timestamp = "created_at"
description = "The shop's customer accounts"

[[tables.fields]]
name = "email"
category = "contact"
erase = "null"
kind = "EMAIL"

[[tables.fields]]
name = "last_ip"
category = "network"
erase = "null"
retain = "generalize"
kind = "IP_ADDRESS"

[[tables]]
database = "shop"
table = "crm.notes"
subject = "customer_ref"
subject_by = "external_id"
erase_rows = true
fields = [{name = "body", category = "free_text"}]
"""


def test_it_loads_external_tables_from_a_toml_file(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_text(TOML)
    loaded = catalog_file_load(path, databases={"shop": "postgres://x@h/shop"})
    assert [e.key for e in loaded] == ["external:shop.customers", "external:shop.crm.notes"]
    customers = catalog.entry("external:shop.customers")
    assert customers.external and customers.database == "shop"
    assert customers.retention == timedelta(days=365)
    assert customers.field("last_ip").retain == "generalize"
    assert customers.field("last_ip").category == catalog.Category.NETWORK
    assert catalog.entry("external:shop.crm.notes").erase_rows


def test_it_loads_the_same_from_json(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"tables": [{
        "database": "shop", "table": "orders", "subject": "customer_email_digest",
        "subject_by": "email_digest",
        "fields": [{"name": "shipping_address", "category": "contact", "erase": "redact"}],
    }]}))
    (entry,) = catalog_file_load(path, databases={"shop": "postgres://x@h/shop"})
    assert entry.field("shipping_address").erase == "redact"


def _table(**changes):
    table = {"database": "shop", "table": "customers", "subject": "email",
             "subject_by": "email",
             "fields": [{"name": "email", "category": "contact"}]}
    table.update(changes)
    return {k: v for k, v in table.items() if v is not None}


@pytest.mark.parametrize("table,message", [
    (_table(database="crm"), "database 'crm' is not in HUSH_EXTERNAL_DATABASES"),
    (_table(subject_by="phone"), "`subject_by` must be one of"),
    (_table(table='customers"; DROP TABLE x; --'), "`table` must be a name"),
    (_table(subject="e mail"), "`subject` must be a column name"),
    (_table(retention_days=30), "needs a `timestamp`"),
    (_table(retention_days=30, timestamp="created_at"), "needs a field with `retain`"),
    (_table(retention_days=-1, timestamp="created_at"), "whole number"),
    (_table(fields=[]), "at least one column"),
    (_table(fields=[{"name": "email", "category": "contact", "erase": "shred"}]),
     "field 1: .*unknown erase transform"),
    (_table(fields=[{"name": "email", "category": "secret"}]), "`category` must be one of"),
    (_table(fields=[{"name": "email", "category": "contact", "colour": "red"}]),
     "unknown keys colour"),
    (_table(subject=None), "`subject` is required"),
    (_table(owner="me"), "unknown keys owner"),
])
def test_it_explains_a_bad_table(tmp_path, table, message):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"tables": [_table(table="ok"), table]}))
    with pytest.raises(CatalogFileError, match=message) as raised:
        catalog_file_load(path, databases={"shop": "postgres://x@h/shop"})
    assert "table 2" in str(raised.value)
    assert "external:shop.ok" not in {e.key for e in catalog.entries()}  # all or nothing


def test_it_explains_a_file_that_does_not_parse(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_text("[[tables]\n")
    with pytest.raises(CatalogFileError, match="not valid toml"):
        catalog_file_read(path, databases={})
    path.write_text('tables = "x"')
    with pytest.raises(CatalogFileError, match="`tables`"):
        catalog_file_read(path, databases={})


# --- settings --------------------------------------------------------------------

def test_external_databases_are_read_by_label(monkeypatch):
    monkeypatch.setenv("HUSH_X", "shop=postgres://app@db:5432/shop, crm=postgresql://c@h/crm")
    assert env.env_database_urls("HUSH_X") == {"shop": "postgres://app@db:5432/shop",
                                              "crm": "postgresql://c@h/crm"}
    monkeypatch.setenv("HUSH_X", "")
    assert env.env_database_urls("HUSH_X") == {}


@pytest.mark.parametrize("raw", [
    "postgres://app@db/shop",                   # no label
    "shop=mysql://app@db/shop",                 # not PostgreSQL
    "shop=postgres://app@db",                   # no database name
    "shop=postgres://app@db:port/shop",         # malformed port
    "Shop=postgres://app@db/shop",              # label not lower-case
    "shop=postgres://a@b/c,shop=postgres://a@b/d",
    "default=postgres://a@b/c",
])
def test_malformed_external_databases_are_refused(monkeypatch, raw):
    monkeypatch.setenv("HUSH_X", raw)
    with pytest.raises(ImproperlyConfigured, match="HUSH_X"):
        env.env_database_urls("HUSH_X")


def _check(extra: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT,
                          env={**os.environ, **extra}, capture_output=True, text=True,
                          timeout=60)


def test_start_up_fails_loudly_on_a_bad_external_setting(tmp_path):
    result = _check({"HUSH_EXTERNAL_DATABASES": "shop=mysql://x@y/z"})
    assert result.returncode != 0
    assert "HUSH_EXTERNAL_DATABASES" in result.stderr
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps({"tables": [_table(database="crm")]}))
    result = _check({"HUSH_EXTERNAL_DATABASES": "shop=postgres://x@y/z",
                     "HUSH_PII_CATALOG_FILE": str(bad)})
    assert result.returncode != 0
    assert "not in HUSH_EXTERNAL_DATABASES" in result.stderr
    result = _check({"HUSH_PII_CATALOG_FILE": str(tmp_path / "missing.toml")})
    assert "HUSH_PII_CATALOG_FILE: no file" in result.stderr
