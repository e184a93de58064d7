"""Fixtures for the catalog: a throwaway second PostgreSQL database standing for the
company's own app (`<test db>_ext`, dropped at the end), and a catalog that each
test may add to without leaking entries into the next."""

import contextlib

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from anonymizer import catalog
from tests.conftest import require_service

CUSTOMERS = """
CREATE TABLE customers (
    id serial PRIMARY KEY,
    email text,
    full_name varchar(200),
    phone text,
    last_ip text,
    notes jsonb,
    plan text NOT NULL DEFAULT 'free',
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


def _server_url(dbname: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{dbname}")


@pytest.fixture(scope="session")
def _external_database(django_db_setup, django_db_blocker):
    """Create `<test db>_ext` once per session; yields its URL."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            yield None
            return
        name = f"{connection.settings_dict['NAME']}_ext"
    with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _server_url(name)
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


@pytest.fixture
def shop(_external_database, postgres, settings):
    """The company's database as `shop`: only an empty `customers` table, per test."""
    require_service(_external_database is not None, "needs PostgreSQL")
    settings.HUSH_EXTERNAL_DATABASES = {"shop": _external_database}
    with psycopg.connect(_external_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS crm CASCADE")
        conn.execute("CREATE SCHEMA public")
        conn.execute(CUSTOMERS)
    return _external_database


@pytest.fixture
def shop_sql(shop):
    """Run SQL on the shop database (autocommit); returns rows for a SELECT."""
    def run(query, params=None):
        with psycopg.connect(shop, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else cur.rowcount
    return run


@pytest.fixture(autouse=True)
def restore_catalog():
    """Entries a test registers are gone afterwards."""
    before = dict(catalog._entries)
    yield
    with contextlib.suppress(Exception):
        catalog._entries.clear()
        catalog._entries.update(before)
