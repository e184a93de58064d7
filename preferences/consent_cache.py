"""The consent state the capture path decides on, cached in Django's cache (Redis
in production) and never stale once a change has committed.

- Per subject: its identifiers, country, pending flag and explicit purpose choices
  (`hush:consent:<pk>`). Defaults are computed from the purposes at decision time,
  so editing a purpose never needs a per-subject invalidation.
- Per identifier (id, external id, email digest): the subject's pk. Verified against
  the subject's entry, so a stale mapping (an address that changed) is only a miss.
- Purposes and capture rules: one entry per generation; any edit bumps the generation.

Every change forgets the subject's entry at once and again on commit, where it also
leaves a short tombstone: a reader that loaded the old state before the commit
cannot write it back (`cache.add` does nothing over a tombstone). Unknown
identifiers are never cached, so a subject created a moment ago is found.
"""

import hashlib
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from preferences.crypto import email_digests

TTL = 300
TOMBSTONE_TTL = 10
TOMBSTONE = "gone"
GENERATION_KEY = "hush:capture:generation"


@dataclass(frozen=True)
class SubjectState:
    pk: int
    public_id: str  # hex
    external_id: str | None
    email_digest: str | None
    country: str
    pending: bool
    choices: dict  # purpose id -> granted


@dataclass(frozen=True)
class PurposeInfo:
    id: int
    slug: str
    legal_basis: str
    is_sale_or_sharing: bool
    version: int


@dataclass(frozen=True)
class RuleInfo:
    environment: str
    event_type: str
    subject_id: int | None
    purpose_slug: str | None
    action: str
    keep_fields: tuple[str, ...]
    specificity: int


@dataclass(frozen=True)
class Config:
    purposes: dict  # slug -> PurposeInfo
    rules: tuple  # RuleInfo, most specific first


# --- subjects ------------------------------------------------------------------------

def _state_key(pk: int) -> str:
    return f"hush:consent:{pk}"


def _ident_key(kind: str, value: str) -> str:
    if kind == "external_id":
        value = hashlib.sha256(value.encode()).hexdigest()
    return f"hush:consent:{kind}:{value}"


def forget_subject(pk: int) -> None:
    """Call on every change to a subject's consent state, inside its transaction."""
    key = _state_key(pk)
    cache.delete(key)
    transaction.on_commit(lambda: cache.set(key, TOMBSTONE, TOMBSTONE_TTL))


def _matches(state: SubjectState, kind: str, value: str) -> bool:
    return {"id": state.public_id, "external_id": state.external_id,
            "email": state.email_digest}[kind] == value


def _normalise(refs):
    """(kind, value) as given -> (kind, lookup value): ids as hex, emails as digests."""
    out = []
    emails = [value for kind, value in refs if kind == "email"]
    digests = iter(email_digests(emails))
    for kind, value in refs:
        if kind == "email":
            out.append(("email", next(digests)))
        elif kind == "id":
            try:
                out.append(("id", uuid.UUID(str(value)).hex))
            except ValueError:
                out.append(("id", None))
        else:
            out.append((kind, value))
    return out


def subject_states(refs: list[tuple[str, str]]) -> list[SubjectState | None]:
    """The state of each subject named by (kind, value), kind one of id, external_id,
    email; None for a subject we do not know. Four cache round trips at most, and one
    query for whatever the cache did not have."""
    looked = _normalise(refs)
    wanted = {ref for ref in looked if ref[1] is not None}
    ident_keys = {ref: _ident_key(*ref) for ref in wanted}
    pks = cache.get_many(list(ident_keys.values()))
    pk_of = {ref: pks.get(key) for ref, key in ident_keys.items()}
    state_keys = {pk: _state_key(pk) for pk in pk_of.values() if pk is not None}
    cached = cache.get_many(list(state_keys.values()))
    found: dict[tuple, SubjectState] = {}
    for ref, pk in pk_of.items():
        state = cached.get(state_keys.get(pk, ""))
        if isinstance(state, SubjectState) and _matches(state, *ref):
            found[ref] = state
    missing = wanted - set(found)
    if missing:
        tombstoned = {pk for pk, key in state_keys.items() if cached.get(key) == TOMBSTONE}
        loaded = _load(missing)
        fresh_states, fresh_idents = {}, {}
        for ref, state in loaded.items():
            found[ref] = state
            fresh_idents[ident_keys[ref]] = state.pk
            if state.pk not in tombstoned:
                fresh_states[_state_key(state.pk)] = state
        for key, value in fresh_states.items():
            cache.add(key, value, TTL)  # never over a tombstone or a newer entry
        cache.set_many(fresh_idents, TTL)
    return [found.get(ref) for ref in looked]


def _load(refs) -> dict[tuple, SubjectState]:
    from preferences.models import Subject

    by_kind: dict[str, list] = {"id": [], "external_id": [], "email": []}
    for kind, value in refs:
        by_kind[kind].append(value)
    match = (Q(public_id__in=[uuid.UUID(h) for h in by_kind["id"]])
             | Q(external_id__in=by_kind["external_id"])
             | Q(email_digest__in=by_kind["email"]))
    rows = Subject.objects.filter(match).prefetch_related("purpose_consents")
    states = {}
    for subject in rows:
        state = SubjectState(
            pk=subject.pk, public_id=subject.public_id.hex, external_id=subject.external_id,
            email_digest=subject.email_digest, country=subject.country,
            pending=subject.pending_since is not None,
            choices={c.purpose_id: c.granted for c in subject.purpose_consents.all()})
        for ref in (("id", state.public_id), ("external_id", state.external_id),
                    ("email", state.email_digest)):
            if ref in refs:
                states[ref] = state
    return states


# --- purposes and rules --------------------------------------------------------------

def forget_config() -> None:
    """Call when a purpose or capture rule changes: a new generation of config."""
    def bump():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.set(GENERATION_KEY, 1, None)
    bump()
    transaction.on_commit(bump)


def config() -> Config:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, None)
        generation = cache.get(GENERATION_KEY, 1)
    key = f"hush:capture:config:{generation}"
    value = cache.get(key)
    if value is None:
        value = _load_config()
        cache.add(key, value, TTL)
    return value


def _load_config() -> Config:
    from preferences.models import CaptureRule, Purpose

    purposes = {p.slug: PurposeInfo(p.pk, p.slug, p.legal_basis, p.is_sale_or_sharing,
                                    p.version) for p in Purpose.objects.all()}
    rules = sorted(
        (RuleInfo(r.environment, r.event_type, r.subject_id,
                  r.purpose.slug if r.purpose_id else None, r.action,
                  tuple(f.strip() for f in r.keep_fields.split(",") if f.strip()),
                  r.specificity)
         for r in CaptureRule.objects.select_related("purpose")),
        key=lambda r: -r.specificity)
    return Config(purposes=purposes, rules=tuple(rules))


# --- signals: whatever writes these rows, the cache follows ----------------------------

def _subject_changed(sender, instance, **kwargs):
    forget_subject(instance.pk)


def _consent_changed(sender, instance, **kwargs):
    forget_subject(instance.subject_id)


def _config_changed(sender, instance, **kwargs):
    forget_config()


def connect() -> None:
    from preferences.models import CaptureRule, Purpose, PurposeConsent, Subject

    for signal in (post_save, post_delete):
        signal.connect(_subject_changed, sender=Subject, dispatch_uid=f"hush-cc-s-{signal}")
        signal.connect(_consent_changed, sender=PurposeConsent,
                       dispatch_uid=f"hush-cc-c-{signal}")
        for model in (Purpose, CaptureRule):
            signal.connect(_config_changed, sender=model,
                           dispatch_uid=f"hush-cc-{model.__name__}-{signal}")
