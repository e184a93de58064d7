"""Helpers for the API suite. Personas and the `api` client come from tests/conftest.py."""

from audit.models import AuditEvent
from preferences.models import ApiKey, ConsentEvent, Subject, Subscription, Suppression

ALL_SCOPES = ("subjects:read", "subjects:write", "consent:check", "deliveries:manage",
              "scrub", "events:ingest", "erasure")


def error_of(response, status: int, code: str) -> dict:
    """The body of an error answer, after checking its status and the one error shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) <= {"code", "message", "fields"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def key_prefix() -> str:
    """The prefix of the newest API key: how audit events name the key that acted."""
    return ApiKey.objects.latest("created").prefix


def api_audit(**filters):
    """Audit events written by an API key."""
    return AuditEvent.objects.filter(actor_type="api_key", **filters)


def state():
    """Everything the API can change, to show that a refused request changed nothing."""
    return (
        list(Subject.objects.order_by("pk").values_list(
            "public_id", "email_digest", "external_id", "locale", "country", "unsubscribed_all")),
        list(Subscription.objects.order_by("pk").values_list(
            "subject_id", "topic_id", "status", "paused_until")),
        ConsentEvent.objects.count(),
        AuditEvent.objects.count(),
        Suppression.objects.count(),
    )


SUBJECT = "00000000-0000-4000-8000-000000000000"  # replaced by the subject's id

# (method, path, scope, body): a valid request for alice
OPERATIONS = [
    ("post", "/api/v1/subjects", "subjects:write", {"email": "alice@example.com",
                                                    "locale": "de"}),
    ("get", f"/api/v1/subjects/{SUBJECT}", "subjects:read", None),
    ("patch", f"/api/v1/subjects/{SUBJECT}/subscriptions", "subjects:write",
     {"changes": [{"topic": "offers", "status": "unsubscribed"}]}),
    ("post", f"/api/v1/subjects/{SUBJECT}/unsubscribe-all", "subjects:write", None),
    ("get", f"/api/v1/subjects/{SUBJECT}/links?topic=offers", "subjects:read", None),
    ("post", "/api/v1/consent/check", "consent:check", {"topic": "newsletter",
                                                       "recipients": ["alice@example.com"]}),
    ("get", "/api/v1/destinations", "deliveries:manage", None),
    ("post", "/api/v1/deliveries/retry", "deliveries:manage", {"all": True}),
    ("post", "/api/v1/scrub", "scrub", {"events": ["call alice on +44 20 7946 0958"]}),
]
IDS = [f"{method.upper()} {path.replace(SUBJECT, '<id>')}" for method, path, _, _ in OPERATIONS]


def call(client, operation, subject, body=None):
    method, path, _, valid_body = operation
    return getattr(client, method)(path.replace(SUBJECT, str(subject.public_id)),
                                   valid_body if body is None else body, format="json")
