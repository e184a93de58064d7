"""The one-statement one-click path (PostgreSQL) writes exactly what the ORM path writes."""

import pytest

import audit
from audit.models import AuditEvent
from preferences import services
from preferences.models import ConsentEvent, Delivery, Destination, Subscription
from preferences.propagation.delivery import delivery_body
from preferences.unsubscribe_sql import unsubscribe_in_one_statement

IGNORED = {"id", "occurred_at", "created_at", "next_attempt_at", "queued_at", "key",
           "subject_id", "subject_key", "target_id", "actor_id"}


def rows(model, **filters):
    return [{k: v for k, v in row.items() if k not in IGNORED}
            for row in model.objects.filter(**filters).order_by("id").values()]


def payload_shape(delivery):
    body = delivery_body(delivery)
    body["subject"] = sorted(body["subject"])
    for volatile in ("id", "occurred_at", "sequence"):
        body.pop(volatile)
    return body


def test_it_writes_what_the_orm_path_writes(postgres, alice, bob, newsletter, offers, webhook):
    only_offers = Destination.objects.create(name="ads", kind="webhook", url=webhook.url)
    only_offers.topics.set([offers])
    Destination.objects.create(name="dwh", kind="webhook", url=webhook.url,
                               event_types=["subject.erased"])
    # alice through the ORM path, bob through the single statement.
    services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                              source="one_click", actor=alice)
    sub, changed, deliveries = unsubscribe_in_one_statement(
        subject_id=bob.public_id, topic_slug="newsletter", source="one_click")
    assert changed and sub.topic.slug == "newsletter" and sub.subject.country == "FR"

    assert rows(ConsentEvent, subject=alice, topic=newsletter, source="one_click") == \
        rows(ConsentEvent, subject=bob, topic=newsletter, source="one_click")
    orm_audit = AuditEvent.objects.filter(target_id=str(alice.public_id),
                                          action="consent.changed").latest("id")
    sql_audit = AuditEvent.objects.get(target_id=str(bob.public_id), action="consent.changed",
                                       details__source="one_click")
    assert (sql_audit.actor_type, sql_audit.actor_id) == ("subject", str(bob.public_id))
    assert orm_audit.details == sql_audit.details
    assert (orm_audit.actor_type, orm_audit.target_type) == (sql_audit.actor_type,
                                                             sql_audit.target_type)
    orm_rows = rows(Delivery, subject=alice)
    sql_rows = rows(Delivery, subject=bob)
    for row in orm_rows + sql_rows:
        row.pop("payload")
    assert orm_rows == sql_rows and len(sql_rows) == 1
    assert deliveries == list(Delivery.objects.filter(subject=bob).values_list("id", flat=True))
    assert payload_shape(Delivery.objects.get(subject=alice)) | {"subject": None} == \
        payload_shape(Delivery.objects.get(subject=bob)) | {"subject": None}
    body = delivery_body(Delivery.objects.get(subject=bob))
    assert body["subject"] == {"id": str(bob.public_id), "external_id": "bob-2"}
    assert body["occurred_at"].endswith("+00:00") and "T" in body["occurred_at"]


def test_it_is_idempotent_and_reports_no_change(postgres, alice, newsletter, webhook):
    first = unsubscribe_in_one_statement(subject_id=alice.public_id, topic_slug="newsletter",
                                         source="one_click")
    second = unsubscribe_in_one_statement(subject_id=alice.public_id, topic_slug="newsletter",
                                          source="one_click")
    assert first[1] is True and second[1] is False and second[2] == []
    assert ConsentEvent.objects.filter(source="one_click").count() == 1
    assert Delivery.objects.count() == 1


def test_it_leaves_a_missing_row_to_the_orm_path(postgres, alice, sms_alerts):
    assert unsubscribe_in_one_statement(subject_id=alice.public_id, topic_slug="sms-alerts",
                                        source="one_click") is None
    sub, changed = services.subscription_unsubscribe_by_token(subject_id=alice.public_id,
                                                              topic_slug="sms-alerts")
    assert changed and Subscription.objects.get(pk=sub.pk).status == "unsubscribed"


@pytest.mark.django_db(transaction=True)
def test_the_sealer_chains_its_audit_rows(postgres, alice, newsletter):
    from audit.selectors import chain_verify
    from audit.services import chain_seal

    services.subscription_unsubscribe_by_token(subject_id=alice.public_id,
                                               topic_slug="newsletter")
    audit.record(actor=audit.SYSTEM, action="after")
    chain_seal()
    assert chain_verify().ok
