"""Staff roles: Django groups, each a set of the console's permissions.

The groups are created by migration 0004_roles (which keeps its own frozen copy of
this table); `role_required` checks one permission on every console view.
"""

PRIVACY_OFFICER = "privacy officer"
AUDITOR = "auditor"
ANALYST = "analyst"
SUPPORT = "support"

ALL = [
    "view_overview", "view_audit_trail", "export_audit_trail", "verify_chain",
    "view_deliveries", "manage_deliveries", "lookup_subject", "send_preference_link",
    "view_analytics", "release_analytics", "view_feedback_comments", "view_erasures",
    "manage_erasures", "view_pii_catalog", "view_mail_feedback",
    "manage_imports", "export_consent", "export_consent_emails", "manage_suppressions",
    "view_requests", "decide_requests",
    "manage_brands",
]

ROLES = {
    # Everything, including erasure and retrying deliveries.
    PRIVACY_OFFICER: ALL,
    # The trail, reports and verification; reads only (exporting writes nothing but a file).
    AUDITOR: ["view_overview", "view_audit_trail", "export_audit_trail", "verify_chain",
              "view_deliveries", "view_erasures", "view_pii_catalog", "view_mail_feedback",
              "export_consent", "view_requests"],
    # Aggregates only: never a single subject, never a comment.
    ANALYST: ["view_analytics", "release_analytics", "view_mail_feedback"],
    # One subject at a time, masked; no exports.
    SUPPORT: ["lookup_subject", "send_preference_link"],
}

# Where each permission's home page is, for sending a user to the first page they may see.
HOME_PAGES = [
    ("view_overview", "console:overview"),
    ("view_audit_trail", "console:audit"),
    ("view_analytics", "console:analytics"),
    ("view_mail_feedback", "console:mail_feedback"),
    ("lookup_subject", "console:subjects"),
    ("view_deliveries", "console:deliveries"),
    ("view_requests", "console:requests"),
]


def roles_sync() -> None:
    """Make each role's group hold exactly its permissions (what the migration did);
    for a database emptied since (transactional tests flush every table)."""
    from django.contrib.auth.models import Group, Permission

    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(Permission.objects.filter(content_type__app_label="audit",
                                                        codename__in=codenames))
