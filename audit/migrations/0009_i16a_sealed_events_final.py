"""On PostgreSQL, a second append-only trigger on the audit table that no session can
lift. django-pgtrigger's triggers (0005) step aside for any session that sets
`pgtrigger.ignore`, which every role may set; with it the runtime role, whose grants
allow updating the sealer's columns, could restamp sealed events. This one is plain
PL/pgSQL: only the table's owner (ALTER TABLE ... DISABLE TRIGGER) or a superuser
(session_replication_role) gets past it, and the signed checkpoints catch what they do.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_final() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only: %% refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_final_update BEFORE UPDATE ON audit_auditevent FOR EACH ROW
  WHEN (NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL) OR
        (OLD.id, OLD.occurred_at, OLD.actor_type, OLD.actor_id, OLD.action, OLD.target_type,
         OLD.target_id, OLD.details) IS DISTINCT FROM
        (NEW.id, NEW.occurred_at, NEW.actor_type, NEW.actor_id, NEW.action, NEW.target_type,
         NEW.target_id, NEW.details))
  EXECUTE FUNCTION audit_event_final();
CREATE TRIGGER audit_event_final_delete BEFORE DELETE ON audit_auditevent FOR EACH ROW
  EXECUTE FUNCTION audit_event_final();
CREATE TRIGGER audit_event_final_truncate BEFORE TRUNCATE ON audit_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_final();
"""

REVERSE = """
DROP TRIGGER IF EXISTS audit_event_final_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_final_delete ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_final_update ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_final();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_i18b_release_delta")]
    operations = [migrations.RunPython(install, uninstall)]
