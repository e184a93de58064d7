"""The consent state the capture path decides on, cached in Django's cache (Redis
in production) and never stale once a change has committed.

- Per subject: its identifiers, country, pending flag and explicit purpose choices
  (`hush:consent:<pk>`). Defaults are computed from the purposes at decision time,
  so editing a purpose never needs a per-subject invalidation.
- Per identifier (id, external id, email digest): the subject's pk. Verified against
  the subject's entry, so a stale mapping (an address that changed) is only a miss.
- Purposes and capture rules: one entry per generation; any edit bumps the generation.

Every change, when it commits, replaces the subject's entry with a short
tombstone: a reader that loaded the old state before the commit cannot write it
back (`cache.add` does nothing over a tombstone). Unknown
identifiers are never cached, so a subject created a moment ago is found.

In front of the shared cache, each process keeps the states it has seen. A batch
starts with one round trip that reads the config generation and a change counter;
every change bumps the counter on commit and logs its subject's pk under the new
number, so the process evicts exactly the subjects changed since its last batch
(or everything, if the log has a gap). A change that has committed
is therefore seen by the next batch in every process.
"""

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from common.crypto import email_digests
from preferences.models import CaptureRule, Purpose, PurposeConsent, Subject

# Changes made through the services (and any ORM save or delete) are seen by the
# next batch. Set-based writes that bypass them (erasure's updates) are seen once
# these lifetimes pass: the shared entry's TTL, and how long a thread keeps its own.
TTL = 60
LOCAL_TTL = 60
TOMBSTONE_TTL = 60  # also how long a change stays in the log a process catches up from
TOMBSTONE = "gone"
GENERATION_KEY = "hush:capture:generation"
VERSION_KEY = "hush:consent:version"
EPOCH_KEY = "hush:consent:epoch"  # new whenever the shared cache lost its keys
LOCAL_MAX = 200_000  # identifiers remembered per process


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
    """Call on every change to a subject's consent state, inside its transaction.

    Nothing happens before the commit: until then every reader sees the old state
    in the database too. On commit, two round trips: bump the change counter, then
    log the subject under the new number and leave the tombstone.
    """
    def committed():
        try:
            version = cache.incr(VERSION_KEY)
        except ValueError:  # no counter yet (or evicted): processes start afresh
            cache.add(VERSION_KEY, 0, None)
            version = cache.incr(VERSION_KEY)
        cache.set_many({_state_key(pk): TOMBSTONE,
                        f"hush:consent:change:{version}": pk}, TOMBSTONE_TTL)

    transaction.on_commit(committed)


class _Local(threading.local):
    """This thread's view (per thread, so one thread's eviction can never race with
    another's fill): identifier as given -> state, and the counters it matches."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.filled_at = time.monotonic()
        self.epoch = None
        self.version = None
        self.states: dict[tuple, SubjectState] = {}
        self.refs_by_pk: dict[int, list] = {}
        self.config: tuple | None = None  # (generation, Config)

    def remember(self, ref, state):
        if len(self.states) >= LOCAL_MAX:
            self.states.clear()
            self.refs_by_pk.clear()
        self.states[ref] = state
        self.refs_by_pk.setdefault(state.pk, []).append(ref)

    def evict(self, pk):
        for ref in self.refs_by_pk.pop(pk, ()):
            self.states.pop(ref, None)


_local = _Local()


def _sync() -> object:
    """One round trip: bring this process's view up to date; returns the generation."""
    values = cache.get_many([GENERATION_KEY, VERSION_KEY, EPOCH_KEY])
    generation, version = values.get(GENERATION_KEY), values.get(VERSION_KEY) or 0
    epoch = values.get(EPOCH_KEY)
    if epoch is None:
        cache.add(EPOCH_KEY, uuid.uuid4().hex, None)
        epoch = cache.get(EPOCH_KEY)
    if epoch != _local.epoch or time.monotonic() - _local.filled_at > LOCAL_TTL:
        _local.clear()
        _local.epoch = epoch
    seen = _local.version
    if seen is None or version < seen or version - seen > 1000:
        _local.states.clear()
        _local.refs_by_pk.clear()
    elif version > seen:
        keys = [f"hush:consent:change:{v}" for v in range(seen + 1, version + 1)]
        changes = cache.get_many(keys)
        if len(changes) < len(keys):  # a gap in the log: start afresh
            _local.states.clear()
            _local.refs_by_pk.clear()
        else:
            for pk in changes.values():
                _local.evict(pk)
    _local.version = version
    return generation


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


def seen_states() -> dict:
    """This thread's states by identifier as given (after `sync()`); read only."""
    return _local.states


def subject_states(refs: list[tuple[str, str]]) -> list[SubjectState | None]:
    """The state of each subject named by (kind, value), kind one of id, external_id,
    email; None for a subject we do not know. Call `sync()` first (once per batch).
    What this process has seen costs a dict lookup; the rest, four cache round trips
    at most and one query for whatever the shared cache did not have."""
    out: list[SubjectState | None] = [None] * len(refs)
    missing = []
    states = _local.states
    for i, ref in enumerate(refs):
        state = states.get(ref)
        if state is None:
            missing.append(i)
        else:
            out[i] = state
    if missing:
        found = _shared_states([refs[i] for i in missing])
        for i, state in zip(missing, found, strict=True):
            out[i] = state
            if state is not None:
                _local.remember(refs[i], state)
    return out


def _shared_states(refs: list[tuple[str, str]]) -> list[SubjectState | None]:
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


def sync() -> Config:
    """Start a batch: one round trip checks what changed; returns the config."""
    generation = _sync()
    if generation is None:
        cache.add(GENERATION_KEY, 1, None)
        generation = cache.get(GENERATION_KEY, 1)
    if _local.config is not None and _local.config[0] == generation:
        return _local.config[1]
    key = f"hush:capture:config:{generation}"
    value = cache.get(key)
    if value is None:
        value = _load_config()
        cache.add(key, value, TTL)
    _local.config = (generation, value)
    return value


def _load_config() -> Config:
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
    for signal in (post_save, post_delete):
        signal.connect(_subject_changed, sender=Subject, dispatch_uid=f"hush-cc-s-{signal}")
        signal.connect(_consent_changed, sender=PurposeConsent,
                       dispatch_uid=f"hush-cc-c-{signal}")
        for model in (Purpose, CaptureRule):
            signal.connect(_config_changed, sender=model,
                           dispatch_uid=f"hush-cc-{model.__name__}-{signal}")
