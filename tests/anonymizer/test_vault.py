"""The token vault: tokenize is reversible, but only for those allowed, and on the record."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied
from django.db import connection

from anonymizer.policies import field_apply, pseudonym_key
from anonymizer.vault import TokenVaultEntry, vault_detokenize
from audit.models import AuditEvent


@pytest.fixture
def officer(db):
    user = User.objects.create_user("olivia", password="x" * 16, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="detokenize"))
    return User.objects.get(pk=user.pk)  # fresh: permissions are cached per instance


@pytest.fixture
def charlie(db):
    return User.objects.create_user("charlie", password="x" * 16, is_staff=True)


def test_it_keeps_the_value_encrypted_and_gives_one_token_per_value(db):
    token = field_apply("tokenize", "alice@example.com", kind="EMAIL")
    assert token.startswith("tok_")
    assert field_apply("tokenize", "alice@example.com", kind="EMAIL") == token
    assert TokenVaultEntry.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM anonymizer_tokenvaultentry")
        assert "alice" not in cursor.fetchone()[0]


def test_it_gives_the_value_back_to_an_officer_and_records_it(officer):
    token = field_apply("tokenize", "alice@example.com", kind="EMAIL")
    assert vault_detokenize(token=token, actor=officer) == "alice@example.com"
    event = AuditEvent.objects.get(action="token.detokenized")
    assert event.actor_id == str(officer.pk)
    assert "alice" not in str(event.details) and token not in event.target_id


def test_it_refuses_staff_without_the_permission_and_records_the_attempt(charlie):
    token = field_apply("tokenize", "alice@example.com", kind="EMAIL")
    with pytest.raises(PermissionDenied):
        vault_detokenize(token=token, actor=charlie)
    assert AuditEvent.objects.filter(action="token.detokenize_refused",
                                     actor_id=str(charlie.pk)).exists()


def test_an_unknown_token_is_a_key_error(officer):
    with pytest.raises(KeyError):
        vault_detokenize(token="tok_nothing", actor=officer)


def test_pseudonyms_use_a_key_derived_from_but_not_equal_to_the_digest_key(settings):
    from common.crypto import email_digest

    assert pseudonym_key() != settings.HUSH_DIGEST_KEY.encode()
    pseudonym = field_apply("pseudonymise", "alice@example.com", kind="EMAIL")
    assert email_digest("alice@example.com")[:32] not in pseudonym
