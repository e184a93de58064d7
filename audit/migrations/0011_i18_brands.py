"""The console's "Brands" page: its permission, given to the privacy officer (a frozen
copy, as 0004_roles keeps its own)."""


from django.db import migrations

CODENAME = "manage_brands"
NAME = "Set brands: names, logos, colours, footers and senders"
ROLES = ["privacy officer"]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="audit", model="console")
    permission, _ = Permission.objects.get_or_create(content_type=content_type,
                                                     codename=CODENAME, defaults={"name": NAME})
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="audit", codename=CODENAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0010_i15_request_permissions'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='console',
            options={'default_permissions': (), 'managed': False, 'permissions': [('view_overview', 'See the console overview'), ('view_audit_trail', 'Read the audit trail'), ('export_audit_trail', 'Export the audit trail as CSV'), ('verify_chain', 'Verify the audit chain'), ('view_deliveries', 'See destinations and deliveries'), ('manage_deliveries', 'Retry deliveries, pause and resume destinations'), ('lookup_subject', 'Find one subject by exact email; see masked data'), ('send_preference_link', 'Send a subject a fresh preference link'), ('view_analytics', 'See differentially private feedback analytics'), ('release_analytics', 'Spend privacy budget on a new analytics release'), ('view_feedback_comments', 'Read redacted feedback comments'), ('view_erasures', 'See erasure requests and their reports'), ('manage_erasures', 'Retry failed erasure steps'), ('view_pii_catalog', 'See the PII catalog and the latest PII audit'), ('view_mail_feedback', 'See mail feedback: bounces, complaints, the complaint rate'), ('manage_imports', 'Import subjects and suppression lists; read their reports'), ('export_consent', "Download everyone's current consent, by opaque id"), ('export_consent_emails', 'Download the consent export with email addresses'), ('manage_suppressions', 'Suppress or unsuppress an address by typing it'), ('manage_brands', 'Set brands: names, logos, colours, footers and senders')]},
        ),
        migrations.RunPython(grant, revoke),
    ]
