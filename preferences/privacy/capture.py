"""Capture opt-out enforced in flight: decide, per event, whether it may be kept.

An event names its subject (`{"subject": {"id" | "external_id" | "email": ...}}`)
and a purpose (`"purpose": slug`) or an event type (`"type"`) that a capture rule
maps to a purpose. The environment comes from the event's `environment` field or
the request's `X-Hush-Environment` header. Rules (`CaptureRule`, edited in the
admin) say what to do; the subject's choice (or their jurisdiction's default)
decides. Dropped and reduced events leave nothing behind but a counter per
purpose, outcome and reason.
"""

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from django.db import connection

from preferences.privacy import consent_cache, jurisdictions

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

    @cached_property
    def answer(self) -> dict:
        """What the API answers for this decision (shared: never mutate it)."""
        return {"outcome": self.outcome, "reason": self.reason, "purpose": self.purpose}


def names_subject(event) -> bool:
    return isinstance(event, dict) and "subject" in event


def subject_ref(event) -> tuple[str, str]:
    ref = event.get("subject")
    if type(ref) is dict and len(ref) == 1:  # the common case, checked in one pass
        for kind, value in ref.items():
            if (kind in SUBJECT_KINDS and type(value) is str and 0 < len(value) <= 320
                    and not _CONTROL.search(value)):
                return kind, value
    if not (isinstance(ref, dict) and len(ref) == 1):
        raise BadEvent("subject must be an object with exactly one of id, external_id, email")
    (kind, value), = ref.items()
    if kind not in SUBJECT_KINDS or not isinstance(value, str) or not 0 < len(value) <= 320:
        raise BadEvent("subject must be an object with exactly one of id, external_id, email "
                       "(a string)")
    if _CONTROL.search(value):
        raise BadEvent("a subject reference may not hold a control character")
    return kind, value


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _rule_for(config, *, environment: str, event_type: str, subject_pk: int | None):
    for rule in config.rules:  # most specific first
        if ((not rule.environment or rule.environment == environment)
                and (not rule.event_type or rule.event_type == event_type)
                and (rule.subject_id is None or rule.subject_id == subject_pk)):
            return rule
    return None


def _purpose_of(event, config) -> str:
    purpose = event.get("purpose")
    if purpose is None:
        event_type = event.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise BadEvent("an event that names a subject needs a purpose or a type")
        purpose = _rule_purpose(config, event_type)
        if purpose is None:
            raise UnknownPurpose(f"no purpose is configured for event type {event_type!r}; "
                                 "name a purpose or add a capture rule for the type")
    if not isinstance(purpose, str) or purpose not in config.purposes:
        raise UnknownPurpose(f"unknown purpose {purpose!r}; purposes are "
                             f"{', '.join(sorted(config.purposes)) or 'none yet'}")
    return purpose


def decide(events: list, *, environment: str = "", count: bool = True) -> list[Decision | None]:
    """A Decision for each event that names a subject (None for the others).

    One pass over the events: a subject this thread has seen since the last
    change and an event naming its purpose cost a few dict lookups. Whatever the
    pass could not decide (subjects not seen yet, rules) is decided after one
    batched lookup.
    """
    out: list[Decision | None] = [None] * len(events)
    config = None
    later = []  # (index, ref, purpose slug, environment, event type)
    for i, event in enumerate(events):
        if not (type(event) is dict and "subject" in event) and not names_subject(event):
            continue
        if config is None:
            config = consent_cache.sync()
            purposes, rules = config.purposes, config.rules
            seen = consent_cache.seen_states()
            opted_in = {p.id: _decided(KEPT, "opted_in", slug) for slug, p in purposes.items()}
        ref = subject_ref(event)
        slug = event.get("purpose")
        if type(slug) is not str or slug not in purposes:
            slug = _purpose_of(event, config)
        env = event.get("environment", environment)
        if type(env) is not str:
            raise BadEvent("environment must be a string")
        state = seen.get(ref)
        if state is None or rules:
            later.append((i, ref, slug, env, event.get("type") or ""))
            continue
        purpose = purposes[slug]
        if not state.pending and state.choices.get(purpose.id) is True:
            out[i] = opted_in[purpose.id]  # the common case, without a call
        else:
            out[i] = _decision(purpose, state, None)
    if later:
        states = consent_cache.subject_states([item[1] for item in later])
        for (i, _, slug, env, event_type), state in zip(later, states, strict=True):
            rule = _rule_for(config, environment=env, event_type=str(event_type),
                             subject_pk=state.pk if state else None) if rules else None
            out[i] = _decision(purposes[slug], state, rule)
    if count and config is not None:
        refused = Counter((d.purpose, d.outcome, d.reason) for d in out
                          if d is not None and d.outcome != KEPT)
        counter_add(refused)
    return out


def _rule_purpose(config, event_type):
    for rule in config.rules:
        if rule.event_type == event_type and rule.purpose_slug:
            return rule.purpose_slug
    for rule in config.rules:
        if not rule.event_type and rule.purpose_slug:
            return rule.purpose_slug
    return None


_decisions: dict[tuple, Decision] = {}


def _decided(outcome: str, reason: str, slug: str, keep_fields: tuple = ()) -> Decision:
    """Decisions are immutable and few: one object per distinct answer."""
    key = (outcome, reason, slug, keep_fields)
    decision = _decisions.get(key)
    if decision is None:
        decision = _decisions.setdefault(key, Decision(outcome, reason, slug, keep_fields))
    return decision


def _decision(purpose, state, rule) -> Decision:
    if rule is None and state is not None and not state.pending:
        choice = state.choices.get(purpose.id)  # the hot path: no rule, a known subject
        if choice is True:
            return _decided(KEPT, "opted_in", purpose.slug)
    action = rule.action if rule else "enforce"
    keep_fields = rule.keep_fields if rule else ()
    if action == "keep":
        return _decided(KEPT, "rule_keep", purpose.slug)
    if action == "drop":
        return _decided(DROPPED, "rule_drop", purpose.slug)
    refused = DROPPED if action == "enforce" else REDUCED
    if state is None:
        return _decided(refused, "unknown_subject", purpose.slug, keep_fields)
    if state.pending:
        return _decided(refused, "pending_confirmation", purpose.slug, keep_fields)
    choice = state.choices.get(purpose.id)
    if choice is True:
        return _decided(KEPT, "opted_in", purpose.slug)
    if choice is False:
        return _decided(refused, "opted_out", purpose.slug, keep_fields)
    if jurisdictions.purpose_default(purpose, state.country):
        return _decided(KEPT, "default_on", purpose.slug)
    return _decided(refused, "not_opted_in", purpose.slug, keep_fields)


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
