"""Consent events are the subject's history: appended, never changed, and deleted only
with the subject's erasure (or an unconfirmed sign-up's purge)."""

import pytest
from django.db import DatabaseError, connection, transaction

from preferences.models import ConsentEvent


def _sql(statement):
    with transaction.atomic(), connection.cursor() as cursor:
        # The fixtures' rows leave deferred foreign-key checks pending, which TRUNCATE
        # would trip over before it reached the trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)


def test_the_orm_refuses_to_change_an_event(alice):
    event = ConsentEvent.objects.filter(subject=alice).first()
    with pytest.raises(PermissionError):
        ConsentEvent.objects.filter(subject=alice).update(source="staff")
    event.source = "staff"
    with pytest.raises(PermissionError):
        event.save()


@pytest.mark.parametrize("statement", [
    "UPDATE preferences_consentevent SET new_status = 'subscribed'",
    "DELETE FROM preferences_consentevent",
    "TRUNCATE preferences_consentevent CASCADE",
])
def test_the_database_refuses_changes(postgres, alice, statement):
    before = list(ConsentEvent.objects.order_by("pk").values_list("pk", "new_status"))
    with pytest.raises(DatabaseError, match="consent events are append-only"):
        _sql(statement)
    assert list(ConsentEvent.objects.order_by("pk").values_list("pk", "new_status")) == before


def test_deleting_a_subject_outside_erasure_is_refused(postgres, alice):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        alice.delete()
    assert ConsentEvent.objects.filter(subject=alice).exists()


def test_erasure_may_delete_the_history(postgres, alice):
    with ConsentEvent.deletion_allowed():
        ConsentEvent.objects.filter(subject=alice).delete()
    assert not ConsentEvent.objects.filter(subject=alice).exists()
