"""Capture opt-out enforced in flight: decide, per event, whether it may be kept.

An event names its subject (`{"subject": {"id" | "external_id" | "email": ...}}`)
and a purpose (`"purpose": slug`) or an event type (`"type"`) that a capture rule
maps to a purpose. The environment comes from the event's `environment` field or
the request's `X-Hush-Environment` header. Rules (`CaptureRule`, edited in the
admin) say what to do; the subject's choice (or their jurisdiction's default)
decides. Dropped and reduced events leave nothing behind but a counter per
purpose, outcome and reason.
"""

from collections import Counter
from dataclasses import dataclass

from django.db import connection

from preferences import consent_cache, jurisdictions

KEPT, REDUCED, DROPPED = "kept", "reduced", "dropped"
SUBJECT_KINDS = ("id", "external_id", "email")


class UnknownPurpose(ValueError):
    """An event names a purpose (or an event type mapped to none) that does not exist."""


class BadEvent(ValueError):
    """An event whose consent envelope is malformed."""


@dataclass(frozen=True)
class Decision:
    outcome: str
    reason: str
    purpose: str | None
    keep_fields: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "reason": self.reason, "purpose": self.purpose}


def names_subject(event) -> bool:
    return isinstance(event, dict) and "subject" in event


def subject_ref(event) -> tuple[str, str]:
    ref = event.get("subject")
    if not (isinstance(ref, dict) and len(ref) == 1):
        raise BadEvent("subject must be an object with exactly one of id, external_id, email")
    (kind, value), = ref.items()
    if kind not in SUBJECT_KINDS or not isinstance(value, str) or not 0 < len(value) <= 320:
        raise BadEvent("subject must be an object with exactly one of id, external_id, email "
                       "(a string)")
    return kind, value


def _rule_for(config, *, environment: str, event_type: str, subject_pk: int | None):
    for rule in config.rules:  # most specific first
        if ((not rule.environment or rule.environment == environment)
                and (not rule.event_type or rule.event_type == event_type)
                and (rule.subject_id is None or rule.subject_id == subject_pk)):
            return rule
    return None


def _purpose_of(event, config, rule_by_type) -> str:
    purpose = event.get("purpose")
    if purpose is None:
        event_type = event.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise BadEvent("an event that names a subject needs a purpose or a type")
        purpose = rule_by_type(event_type)
        if purpose is None:
            raise UnknownPurpose(f"no purpose is configured for event type {event_type!r}; "
                                 "name a purpose or add a capture rule for the type")
    if not isinstance(purpose, str) or purpose not in config.purposes:
        raise UnknownPurpose(f"unknown purpose {purpose!r}; purposes are "
                             f"{', '.join(sorted(config.purposes)) or 'none yet'}")
    return purpose


def validate(events: list, *, environment: str = "") -> None:
    """Raise UnknownPurpose or BadEvent for the first event that cannot be decided,
    before anything is decided or counted (a bad batch changes nothing)."""
    decide(events, environment=environment, count=False)


def decide(events: list, *, environment: str = "", count: bool = True) -> list[Decision | None]:
    """A Decision for each event that names a subject (None for the others)."""
    indexed = [(i, e) for i, e in enumerate(events) if names_subject(e)]
    if not indexed:
        return [None] * len(events)
    config = consent_cache.config()

    def rule_by_type(event_type):
        for rule in config.rules:
            if rule.event_type == event_type and rule.purpose_slug:
                return rule.purpose_slug
        for rule in config.rules:
            if not rule.event_type and rule.purpose_slug:
                return rule.purpose_slug
        return None

    prepared = []
    for i, event in indexed:
        ref = subject_ref(event)
        purpose = _purpose_of(event, config, rule_by_type)
        env = event.get("environment", environment)
        if not isinstance(env, str):
            raise BadEvent("environment must be a string")
        prepared.append((i, ref, purpose, env, event.get("type") or ""))
    states = consent_cache.subject_states([ref for _, ref, *_ in prepared])
    out: list[Decision | None] = [None] * len(events)
    for (i, _, slug, env, event_type), state in zip(prepared, states, strict=True):
        rule = _rule_for(config, environment=env, event_type=str(event_type),
                         subject_pk=state.pk if state else None)
        out[i] = _decision(config.purposes[slug], state, rule)
    if count:
        counter_add(Counter((d.purpose, d.outcome, d.reason) for d in out
                            if d is not None and d.outcome != KEPT))
    return out


def _decision(purpose, state, rule) -> Decision:
    action = rule.action if rule else "enforce"
    keep_fields = rule.keep_fields if rule else ()
    if action == "keep":
        return Decision(KEPT, "rule_keep", purpose.slug)
    if action == "drop":
        return Decision(DROPPED, "rule_drop", purpose.slug)
    refused = DROPPED if action == "enforce" else REDUCED
    if state is None:
        return Decision(refused, "unknown_subject", purpose.slug, keep_fields)
    if state.pending:
        return Decision(refused, "pending_confirmation", purpose.slug, keep_fields)
    choice = state.choices.get(purpose.id)
    if choice is True:
        return Decision(KEPT, "opted_in", purpose.slug)
    if choice is False:
        return Decision(refused, "opted_out", purpose.slug, keep_fields)
    if jurisdictions.purpose_default(purpose, state.country):
        return Decision(KEPT, "default_on", purpose.slug)
    return Decision(refused, "not_opted_in", purpose.slug, keep_fields)


def reduce(event: dict, decision: Decision) -> dict:
    """The pseudonymous aggregate form: no subject, the type and purpose, the hour,
    and only the fields the rule keeps (they are scrubbed by the caller)."""
    out = {"purpose": decision.purpose}
    if isinstance(event.get("type"), str):
        out["type"] = event["type"]
    when = event.get("occurred_at") or event.get("timestamp")
    if isinstance(when, str) and len(when) >= 13:
        out["hour"] = when[:13]
    for name in decision.keep_fields:
        if name in event and name != "subject":
            out[name] = event[name]
    return out


_COUNTER_SQL = """
INSERT INTO preferences_capturecount (purpose, outcome, reason, count) VALUES {rows}
ON CONFLICT (purpose, outcome, reason)
DO UPDATE SET count = preferences_capturecount.count + EXCLUDED.count
"""


def counter_add(counts: Counter) -> None:
    """One set-based statement for a whole batch (PostgreSQL and SQLite both upsert)."""
    if not counts:
        return
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(counts))
    params = [v for (purpose, outcome, reason), n in sorted(counts.items())
              for v in (purpose, outcome, reason, n)]
    with connection.cursor() as cursor:
        cursor.execute(_COUNTER_SQL.format(rows=rows), params)
