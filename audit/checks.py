"""Deployment checks of the audit trail (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def checkpoints_check(app_configs, **kwargs):
    """Without checkpoints outside the database, whoever holds its credentials can
    rewrite the trail, recompute its hashes and leave `verify_audit` content."""
    found = []
    if not settings.HUSH_AUDIT_CHECKPOINT_DIR:
        found.append(Warning(
            "HUSH_AUDIT_CHECKPOINT_DIR is not set: the audit chain is anchored only in the "
            "database, so whoever holds its credentials can rewrite it unnoticed.",
            hint="Name an append-only directory the database host cannot write "
                 "(README, 'The audit trail').", id="audit.W001"))
    if not settings.HUSH_AUDIT_SIGNING_KEY:
        found.append(Warning(
            "HUSH_AUDIT_SIGNING_KEY is not set: audit checkpoints cannot be signed.",
            hint="An Ed25519 private key, base64 of 32 random bytes (README, 'The audit "
                 "trail').", id="audit.W002"))
    return found
