"""audit.record refuses details that look like personal data: events outlive erasure."""

import uuid

import pytest

import audit
from audit.models import AuditEvent


@pytest.mark.parametrize("details", [
    {"note": "sent to alice@example.com"},
    {"note": "caller +44 20 7946 0958"},
    {"client": "from 203.0.113.77"},
    {"paid": ["4111 1111 1111 1111"]},
    {"nested": {"deep": "iban GB82 WEST 1234 5698 7654 32"}},
    {"email": "not checked by value: the key alone is refused"},
])
def test_it_refuses_personal_data(db, details):
    with pytest.raises(ValueError, match="personal data"):
        audit.record(actor=audit.SYSTEM, action="test.event", details=details)
    assert not AuditEvent.objects.exists()


def test_it_takes_opaque_ids_counts_and_names_of_things(db):
    details = {"subject": str(uuid.uuid4()), "rows": 10000, "entry": "preferences.subject",
               "fields": ["email", "email_digest"], "at": "2026-11-30T10:00:00+00:00",
               "source": "preference_center", "key": "AbCdEf12", "version": "1.2.3"}
    event = audit.record(actor=audit.SYSTEM, action="test.event", details=details)
    assert AuditEvent.objects.get(pk=event.pk).details == details
