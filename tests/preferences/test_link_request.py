"""/p/: ask for a fresh link by email; same answer whether or not the address is known."""

from django.core import mail

from audit.models import AuditEvent


def test_it_sends_a_link_to_a_known_address(client, alice):
    response = client.post("/p/", {"email": "Alice@Example.com "})
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "http" in mail.outbox[0].body and "/p/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="preference_link.sent").exists()


def test_it_answers_the_same_for_an_unknown_address(client, alice):
    known = client.post("/p/", {"email": "alice@example.com"})
    unknown = client.post("/p/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: r.content.decode().replace("alice@example.com", "").replace(  # noqa: E731
        "nobody@example.com", "")
    assert strip(known) == strip(unknown)
    assert len(mail.outbox) == 1


def test_it_rejects_a_malformed_address(client, db):
    response = client.post("/p/", {"email": "not-an-address"})
    assert response.status_code == 400
    assert not mail.outbox


def test_it_limits_requests_per_address(client, alice, settings):
    settings.HUSH_LINK_RATE_PER_ADDRESS = "2/h"
    codes = [client.post("/p/", {"email": "alice@example.com"},
                         REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(4)]
    assert codes == [200, 200, 429, 429]
    assert len(mail.outbox) == 2


def test_it_limits_requests_per_client(client, db, settings):
    settings.HUSH_LINK_RATE_PER_CLIENT = "3/h"
    codes = [client.post("/p/", {"email": f"person{i}@example.com"}).status_code
             for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_the_address_limit_applies_to_unknown_addresses_too(client, db, settings):
    """Otherwise a 429 would tell that an address is known."""
    settings.HUSH_LINK_RATE_PER_ADDRESS = "1/h"
    codes = [client.post("/p/", {"email": "nobody@example.com"},
                         REMOTE_ADDR=f"10.0.1.{i}").status_code for i in range(2)]
    assert codes == [200, 429]


def test_the_task_never_carries_the_address(client, alice, monkeypatch):
    from preferences import tasks

    sent = []
    monkeypatch.setattr(tasks.preference_link_send, "delay", lambda **kw: sent.append(kw))
    client.post("/p/", {"email": "alice@example.com"})
    assert sent == [{"email_digest": alice.email_digest}]
    assert "alice" not in repr(sent)


def test_the_form_page_renders(client, db):  # the page wears the brand, read from the database
    page = client.get("/p/").content.decode()
    assert 'type="email"' in page and "csrfmiddlewaretoken" in page
