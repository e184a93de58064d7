"""The bare one-click view, written as directly as Django allows.

GET checks the signed token and renders a small template (no database). POST checks
the token, then in one transaction: one UPDATE of the subscription (old status read
and row locked in the same statement), one INSERT of the consent event and one of
the outbox row per enabled destination. No middleware, no ORM, no audit event."""

import json

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.template.loader import render_to_string

from preferences.tokens import BadToken, read_unsubscribe_token

UPDATE = """
WITH old AS (
    SELECT s.id, s.subject_id, s.topic_id, s.status
    FROM preferences_subscription s
    JOIN preferences_subject j ON j.id = s.subject_id
    JOIN preferences_topic t ON t.id = s.topic_id
    WHERE j.public_id = %s AND t.slug = %s
    FOR UPDATE OF s
)
UPDATE preferences_subscription s
SET status = 'unsubscribed', paused_until = NULL, updated_at = now()
FROM old
WHERE s.id = old.id AND old.status <> 'unsubscribed'
RETURNING s.subject_id, s.topic_id, old.status
"""
CONSENT_EVENT = """
INSERT INTO preferences_consentevent
    (subject_id, topic_id, kind, old_status, new_status, paused_until, source, occurred_at)
VALUES (%s, %s, 'subscription', %s, 'unsubscribed', NULL, 'one_click', now())
"""
OUTBOX = """
INSERT INTO preferences_delivery
    (key, destination_id, subject_id, subject_key, event_type, payload, status, attempts,
     next_attempt_at, queued_at, last_error, created_at)
SELECT gen_random_uuid(), d.id, %s, %s, 'subscription.changed', %s, 'pending', 0, now(),
       now(), '', now()
FROM preferences_destination d WHERE d.enabled
"""


def one_click(request, token):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        claim = read_unsubscribe_token(token)
    except BadToken:
        return HttpResponseNotFound("bad token")
    if request.method == "GET":
        return HttpResponse(render_to_string("one_click.html", {"topic": claim.topic_slug}))
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponse("bad request", status=400)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(UPDATE, [claim.subject_id, claim.topic_slug])
        row = cursor.fetchone()
        if row is not None:
            subject_pk, topic_pk, old = row
            cursor.execute(CONSENT_EVENT, [subject_pk, topic_pk, old])
            payload = {"type": "subscription.changed", "subject": {"id": str(claim.subject_id)},
                       "topic": claim.topic_slug, "old": old, "new": "unsubscribed",
                       "source": "one_click"}
            cursor.execute(OUTBOX, [subject_pk, str(claim.subject_id), json.dumps(payload)])
    return HttpResponse("unsubscribed", content_type="text/plain")
