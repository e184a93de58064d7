"""The four staff roles as groups. A frozen copy of audit/roles.py as it was when
written: later changes to roles come as new migrations."""

from django.db import migrations

PERMISSIONS = {
    "view_overview": "See the console overview",
    "view_audit_trail": "Read the audit trail",
    "export_audit_trail": "Export the audit trail as CSV",
    "verify_chain": "Verify the audit chain",
    "view_deliveries": "See destinations and deliveries",
    "manage_deliveries": "Retry deliveries, pause and resume destinations",
    "lookup_subject": "Find one subject by exact email; see masked data",
    "send_preference_link": "Send a subject a fresh preference link",
    "view_analytics": "See differentially private feedback analytics",
    "release_analytics": "Spend privacy budget on a new analytics release",
    "view_feedback_comments": "Read redacted feedback comments",
    "view_erasures": "See erasure requests and their reports",
    "manage_erasures": "Retry failed erasure steps",
    "view_pii_catalog": "See the PII catalog and the latest PII audit",
}
ROLES = {
    "privacy officer": list(PERMISSIONS),
    "auditor": ["view_overview", "view_audit_trail", "export_audit_trail", "verify_chain",
                "view_deliveries", "view_erasures", "view_pii_catalog"],
    "analyst": ["view_analytics", "release_analytics"],
    "support": ["lookup_subject", "send_preference_link"],
}


def create_roles(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    # Permissions are normally made after all migrations (post_migrate); make them now.
    content_type, _ = ContentType.objects.get_or_create(app_label="audit", model="console")
    perms = {}
    for codename, name in PERMISSIONS.items():
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name})
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*(perms[c] for c in codenames))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_console"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
