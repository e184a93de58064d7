"""The one-click unsubscribe as one PostgreSQL statement.

The busiest write in Hush: mail clients POST it for every opt-out. Data-modifying
CTEs lock and update the subscription and append the consent event, the audit
event and the outbox rows in a single round trip, which is also a single
transaction. It writes exactly what `services._record_change` writes (a test
compares the two row by row); other databases use that ORM path.
"""

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone

from preferences.models import EventType, Subject, Subscription, Topic

UNSUBSCRIBE = """
WITH old AS (
    SELECT s.id, s.status, s.subject_id, s.topic_id, j.public_id, j.external_id,
           j.locale, j.country, t.slug, t.name
    FROM preferences_subscription s
    JOIN preferences_subject j ON j.id = s.subject_id
    JOIN preferences_topic t ON t.id = s.topic_id
    WHERE j.public_id = %(subject)s::uuid AND t.slug = %(topic)s::text
    FOR UPDATE OF s
), updated AS (
    UPDATE preferences_subscription s
    SET status = 'unsubscribed', paused_until = NULL, updated_at = %(now)s::timestamptz
    FROM old
    WHERE s.id = old.id AND old.status <> 'unsubscribed'
    RETURNING s.id
), changed AS (
    SELECT old.* FROM old JOIN updated ON updated.id = old.id
), consent AS (
    INSERT INTO preferences_consentevent
        (subject_id, topic_id, kind, old_status, new_status, paused_until, source, occurred_at)
    SELECT subject_id, topic_id, 'subscription', status, 'unsubscribed', NULL,
           %(source)s::text, %(now)s::timestamptz
    FROM changed
), audited AS (
    INSERT INTO audit_auditevent
        (occurred_at, actor_type, actor_id, action, target_type, target_id, details, seq,
         prev_hash, hash)
    SELECT %(now)s::timestamptz, 'subject', public_id::text, 'consent.changed',
           'preferences.subject',
           public_id::text,
           jsonb_build_object('kind', 'subscription', 'old', status, 'new', 'unsubscribed',
                              'source', %(source)s::text, 'topic', slug),
           NULL, '', ''
    FROM changed
), outbox AS (
    INSERT INTO preferences_delivery
        (key, destination_id, subject_id, subject_key, event_type, payload, status, attempts,
         next_attempt_at, lease_until, queued_at, last_status_code, last_error, created_at,
         retried_at, delivered_at)
    SELECT gen_random_uuid(), d.id, c.subject_id, c.public_id::text, %(event)s::text,
           jsonb_build_object(
               'type', %(event)s::text, 'occurred_at', to_jsonb(%(now)s::timestamptz),
               'subject', jsonb_build_object('id', c.public_id::text,
                                             'external_id', c.external_id),
               'topic', c.slug, 'old', c.status, 'new', 'unsubscribed', 'source', %(source)s::text),
           'pending', 0, %(now)s::timestamptz, NULL, %(now)s::timestamptz, NULL, '',
           %(now)s::timestamptz, NULL, NULL
    FROM changed c
    JOIN preferences_destination d ON d.enabled
    WHERE (d.event_types = '[]'::jsonb OR d.event_types ? %(event)s::text)
      AND (NOT EXISTS (SELECT 1 FROM preferences_destination_topics m
                       WHERE m.destination_id = d.id)
           OR EXISTS (SELECT 1 FROM preferences_destination_topics m
                      WHERE m.destination_id = d.id AND m.topic_id = c.topic_id))
    ORDER BY d.id
    RETURNING id
)
SELECT old.id, old.status, old.subject_id, old.topic_id, old.public_id, old.external_id,
       old.locale, old.country, old.slug, old.name,
       (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM outbox)
FROM old
"""


def unsubscribe_in_one_statement(*, subject_id, topic_slug: str, source: str):
    """Returns (subscription, changed, delivery ids), or None when the subject has no
    subscription row for the topic (the caller then takes the ORM path)."""
    connection.ensure_connection()
    # A server-side-binding cursor so PostgreSQL plans the statement once per
    # connection (planning costs about as much as running it). Behind a pooler in
    # transaction mode, set HUSH_PREPARE_ONE_CLICK=0.
    # Through Django's error wrapper: a lost connection then raises Django's
    # OperationalError and flags the connection, so it is closed, never reused.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(UNSUBSCRIBE, {"subject": subject_id, "topic": topic_slug,
                                     "source": source, "now": timezone.now(),
                                     "event": EventType.SUBSCRIPTION_CHANGED.value},
                       prepare=settings.HUSH_PREPARE_ONE_CLICK)
        row = cursor.fetchone()
    if row is None:
        return None
    (sub_pk, old, subject_pk, topic_pk, public_id, external_id, locale, country, slug,
     name, deliveries) = row
    subject = Subject(pk=subject_pk, public_id=public_id, external_id=external_id,
                      locale=locale, country=country)
    topic = Topic(pk=topic_pk, slug=slug, name=name)
    sub = Subscription(pk=sub_pk, subject=subject, topic=topic, status="unsubscribed")
    return sub, old != "unsubscribed", list(deliveries)
