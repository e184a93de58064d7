"""Cutting the test's own database connection the way a failover does: PostgreSQL
terminates its backend (`pg_terminate_backend`), asked from a second connection."""

import psycopg
from django.db import connection


def terminate_backend(pid: int) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
