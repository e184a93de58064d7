"""The token vault: where `tokenize` keeps values it can give back.

Values are encrypted at rest (the same Fernet keys as subjects' emails) and
found again by a keyed digest, so tokenizing a value twice gives one token.
Reading a value back (`vault_detokenize`) needs the `anonymizer.detokenize`
permission and is always audited.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction

import audit
from anonymizer.core import transforms
from common.fields import EncryptedTextField


class TokenVaultEntry(models.Model):
    """One tokenized value. The token is random; only this row links it to the value."""

    token = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=32, blank=True)
    value = EncryptedTextField()
    value_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "anonymizer"
        verbose_name_plural = "token vault entries"
        permissions = [("detokenize", "Can read tokenized values back")]

    def __str__(self):
        return f"{self.token[:12]}… ({self.kind or 'value'})"


def _value_digest(value: str, kind: str | None) -> str:
    key = hmac.new(settings.HUSH_DIGEST_KEY.encode(), b"token-vault", hashlib.sha256).digest()
    return hmac.new(key, f"{kind or ''}\x00{value}".encode(), hashlib.sha256).hexdigest()


class DatabaseVault:
    """`anonymizer.core.transforms.Vault` on TokenVaultEntry."""

    def put(self, value: str, *, kind: str | None) -> str:
        digest = _value_digest(value, kind)
        existing = TokenVaultEntry.objects.filter(value_digest=digest).values_list(
            "token", flat=True).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                return TokenVaultEntry.objects.create(
                    token=transforms.TOKEN_PREFIX + secrets.token_urlsafe(24),
                    kind=kind or "", value=value, value_digest=digest).token
        except IntegrityError:  # tokenized concurrently: the other writer's token wins
            return TokenVaultEntry.objects.get(value_digest=digest).token

    def get(self, token: str) -> str | None:
        entry = TokenVaultEntry.objects.filter(token=token).first()
        return entry.value if entry else None


def vault_detokenize(*, token: str, actor) -> str:
    """Give a tokenized value back to someone allowed to see it, and record that they did."""
    if not getattr(actor, "has_perm", None) or not actor.has_perm("anonymizer.detokenize"):
        audit.record(actor=actor, action="token.detokenize_refused",
                     target=f"token:{token[:12]}")
        raise PermissionDenied("detokenizing needs the anonymizer.detokenize permission")
    entry = TokenVaultEntry.objects.filter(token=token).first()
    if entry is None:
        raise KeyError("unknown token")
    audit.record(actor=actor, action="token.detokenized", target=f"token:{token[:12]}",
                 details={"kind": entry.kind})
    return entry.value
