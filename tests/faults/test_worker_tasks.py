"""The tasks of the foundation on a real worker, broker and database."""

import pytest

import audit
from audit.models import AuditEvent
from audit.selectors import chain_verify
from audit.tasks import chain_seal
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.faults


def test_a_link_request_is_mailed_by_the_worker(worker, client, alice):
    response = client.post("/p/", {"email": "alice@example.com"})
    assert response.status_code == 200
    mails = wait_for(lambda: list(worker["mail_dir"].glob("*.log")), timeout=20,
                     what="the preference-link email")
    body = mails[0].read_text()
    assert "To: alice@example.com" in body
    assert "/p/" in body
    # The broker message named a digest, never the address.
    assert "alice@example.com" not in worker["log"].read_text()


def test_an_unknown_address_sends_nothing(worker, client, alice):
    client.post("/p/", {"email": "nobody@example.com"})
    client.post("/p/", {"email": "alice@example.com"})
    wait_for(lambda: list(worker["mail_dir"].glob("*.log")), timeout=20, what="one email")
    mails = list(worker["mail_dir"].glob("*.log"))
    assert len(mails) == 1 and "To: alice@example.com" in mails[0].read_text()


def test_the_worker_seals_the_audit_trail(worker, alice):
    for i in range(50):
        audit.record(actor=audit.SYSTEM, action="test.sealed", details={"i": i})
    chain_seal.delay()
    wait_for(lambda: not AuditEvent.objects.filter(seq__isnull=True).exists(), timeout=20,
             what="the sealer")
    report = chain_verify()
    assert report.ok and report.unsealed == 0
