"""The baseline for the one-click benchmark: the least work an audited, outboxed
unsubscribe needs, written as directly as Django allows.

Check the same signed token as one-click, then in one transaction one UPDATE of the
subscription (old status read in the same statement, row locked) and two INSERTs:
a consent event and an audit event, into the real tables. No ORM, no template.
It runs behind the same middleware as the product, in the same gunicorn.
"""

import json

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt

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
AUDIT_EVENT = """
INSERT INTO audit_auditevent
    (occurred_at, actor_type, actor_id, action, target_type, target_id, details,
     prev_hash, hash)
VALUES (now(), 'subject', %s, 'consent.changed', 'preferences.subject', %s, %s, '', '')
"""


@csrf_exempt
def baseline(request, token):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        claim = read_unsubscribe_token(token)
    except BadToken:
        return HttpResponseNotFound("bad token")
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponse("bad request", status=400)
    subject = str(claim.subject_id)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(UPDATE, [claim.subject_id, claim.topic_slug])
        row = cursor.fetchone()
        if row is not None:
            subject_pk, topic_pk, old = row
            cursor.execute(CONSENT_EVENT, [subject_pk, topic_pk, old])
            details = {"kind": "subscription", "old": old, "new": "unsubscribed",
                       "source": "one_click", "topic": claim.topic_slug}
            cursor.execute(AUDIT_EVENT, [subject, subject, json.dumps(details)])
    return HttpResponse("unsubscribed", content_type="text/plain")
