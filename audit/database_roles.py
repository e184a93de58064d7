"""The runtime role's grants: what the web and worker processes may do in PostgreSQL.

Two roles (README, "Two database roles"). The owner runs `migrate` and owns every
table; the runtime role, which gunicorn, celery and the other commands connect as, gets
what the product does and no more. On the audit trail that is SELECT and INSERT, UPDATE
of the three columns the sealer stamps (the trigger allows it only on an unsealed row),
and SELECT, INSERT, UPDATE of the chain head: never DELETE or TRUNCATE, and, owning no
table, never ALTER TABLE, so never DISABLE TRIGGER; as no superuser it cannot set
`session_replication_role` either. The owner runs `runtime_role_grant` (`manage.py
runtime_role grant ROLE`) after `migrate`; tables a later migration adds get the plain
grants by default privileges.
"""

from django.db import connections
from psycopg import sql

AUDIT_TABLE = "audit_auditevent"
HEAD_TABLE = "audit_chainhead"
SEAL_COLUMNS = ("seq", "prev_hash", "hash")
_EVERYDAY = "SELECT, INSERT, UPDATE, DELETE"


class RoleError(Exception):
    """The role named cannot be the runtime role (missing, superuser, the owner itself)."""


def _role_facts(cursor, role: str) -> tuple[bool, bool]:
    cursor.execute("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s",
                   [role])
    found = cursor.fetchone()
    if found is None:
        raise RoleError(f"no role {role!r}: create it first (CREATE ROLE {role} LOGIN ...)")
    return found


def runtime_role_grant(*, role: str, using: str = "default") -> None:
    """Give `role` the runtime grants on every table of the current schema, the audit
    trail's narrowed, idempotently. Run as the owner (the role that ran `migrate`)."""
    with connections[using].cursor() as cursor:
        superuser, is_self = _role_facts(cursor, role)
        if superuser or is_self:
            raise RoleError(f"{role!r} is a superuser or the role connected now (the owner): "
                            "the runtime role must be neither")
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        who, where = sql.Identifier(role), sql.Identifier(schema)
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), who),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(where, who),
            sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(where, who),
            sql.SQL(f"GRANT {_EVERYDAY} ON ALL TABLES IN SCHEMA {{}} TO {{}}").format(where, who),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(where, who),
            # Tables a later migration adds: the plain grants, without a second run.
            sql.SQL(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {{}} GRANT {_EVERYDAY} ON TABLES "
                    "TO {}").format(where, who),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES "
                    "TO {}").format(where, who),
            # The audit trail: appended and stamped by the sealer, never changed or removed.
            sql.SQL("REVOKE ALL ON {}, {} FROM {}").format(
                sql.Identifier(AUDIT_TABLE), sql.Identifier(HEAD_TABLE), who),
            sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(sql.Identifier(AUDIT_TABLE), who),
            sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(
                sql.SQL(", ").join(map(sql.Identifier, SEAL_COLUMNS)),
                sql.Identifier(AUDIT_TABLE), who),
            sql.SQL("GRANT SELECT, INSERT, UPDATE ON {} TO {}").format(
                sql.Identifier(HEAD_TABLE), who),
        ]
        for statement in statements:
            cursor.execute(statement)


def runtime_role_problems(*, role: str, using: str = "default") -> list[str]:
    """What `role` could do that the runtime role must not (or lacks and needs), from
    PostgreSQL's own privilege functions; empty when it is fit to run Hush."""
    problems = []
    with connections[using].cursor() as cursor:
        superuser, _ = _role_facts(cursor, role)
        if superuser:
            return [f"{role} is a superuser: it can switch triggers off "
                    "(session_replication_role) and do anything else"]
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND pg_has_role(%s, c.relowner, 'USAGE') ORDER BY 1", [role])
        owned = [name for (name,) in cursor.fetchall()]
        if owned:
            problems.append(f"{role} owns (or is a member of the owner of) {len(owned)} tables, "
                            f"{', '.join(owned[:3])}...: it can ALTER them and disable their "
                            "triggers")
        for privilege in ("UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"):
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, AUDIT_TABLE, privilege])
            if cursor.fetchone()[0]:
                problems.append(f"{role} has {privilege} on {AUDIT_TABLE}")
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s::regclass "
            "AND a.attnum > 0 AND NOT a.attisdropped "
            "AND has_column_privilege(%s, a.attrelid, a.attnum, 'UPDATE') ORDER BY a.attnum",
            [AUDIT_TABLE, role])
        extra = [name for (name,) in cursor.fetchall() if name not in SEAL_COLUMNS]
        if extra:
            problems.append(f"{role} can UPDATE {AUDIT_TABLE} columns {', '.join(extra)}")
        for privilege in ("SELECT", "INSERT"):
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, AUDIT_TABLE, privilege])
            if not cursor.fetchone()[0]:
                problems.append(f"{role} lacks {privilege} on {AUDIT_TABLE}")
    return problems
