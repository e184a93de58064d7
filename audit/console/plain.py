"""The console in words a person reads: durations, rates, audit details as labelled
fields, actors by name and role, and a destination's state from its own figures.

Presentation only: nothing here reads more than the rows it is given names for."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.contrib.auth import get_user_model
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.models import AuditEvent
from preferences.models import ApiKey, Subject, Subscription

NONE = "\u2013"  # an en dash: no value

# --- durations and rates -------------------------------------------------------------

_UNITS = (
    (365 * 86400, lambda n: ngettext("%(n)d year", "%(n)d years", n)),
    (86400, lambda n: ngettext("%(n)d day", "%(n)d days", n)),
    (3600, lambda n: ngettext("%(n)d hour", "%(n)d hours", n)),
    (60, lambda n: ngettext("%(n)d minute", "%(n)d minutes", n)),
    (1, lambda n: ngettext("%(n)d second", "%(n)d seconds", n)),
)


def duration_words(value: float | timedelta | None, *, parts: int = 2) -> str:
    """149.0 -> "2 minutes 29 seconds"; timedelta(days=365) -> "1 year"; the two
    largest units only (a person does not read "1 day 0 hours 0 minutes 3 seconds")."""
    if value is None:
        return NONE
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 1:
        return _("under a second") if seconds > 0 else _("no time")
    remaining, words = round(seconds), []
    for size, word in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            words.append(word(count) % {"n": count})
        elif words:
            break  # "1 day" rather than "1 day 0 hours"; a unit after a gap is noise
        if len(words) == parts:
            break
    return " ".join(words)


def milliseconds_words(value: float | None) -> str:
    """Latency: "40 ms" under a second, then in words."""
    if value is None:
        return NONE
    if value < 1000:
        return _("%(n)s ms") % {"n": formats.number_format(round(value))}
    return duration_words(value / 1000)


def rate_words(failed: int, attempts: int) -> str:
    """"every attempt failed", "none failed", "3 of 40 attempts failed (8 %)"."""
    if not attempts:
        return _("no attempts")
    if failed <= 0:
        return _("none failed")
    if failed >= attempts:
        return ngettext("the attempt failed", "all %(n)d attempts failed", attempts) % {
            "n": attempts}
    return ngettext("%(failed)d of %(n)d attempt failed (%(pct)d %%)",
                    "%(failed)d of %(n)d attempts failed (%(pct)d %%)", attempts) % {
        "failed": failed, "n": attempts, "pct": round(100 * failed / attempts)}


def status_words(value: str | None) -> str:
    """A subscription status as the console shows it elsewhere ("Unsubscribed"); no
    value (a first subscription had no "before") as "none yet"."""
    if not value:
        return _("none yet")
    return str(dict(Subscription.Status.choices).get(value, value))


# --- a destination's state from its figures -------------------------------------------

@dataclass(frozen=True)
class State:
    key: str  # healthy | failing | degraded | behind | paused | disabled | idle
    words: str
    good: bool


BEHIND_SECONDS = 600  # an opt-out waiting 10 minutes is late, whatever else is fine
DEGRADED_RATE = 0.2


def destination_state(destination, health: dict) -> State:
    """What the figures say, not just whether the switch is on: a destination that
    fails every delivery is "failing", not "active"."""
    if not destination.enabled:
        return State("disabled", _("disabled"), False)
    if health["paused"]:
        return State("paused", _("paused: its deliveries wait"), False)
    rate = health.get("failure_rate")
    if rate is not None and rate >= 1:
        return State("failing", _("failing: no delivery succeeds"), False)
    if rate is not None and rate >= DEGRADED_RATE:
        return State("degraded", _("unreliable: many deliveries fail"), False)
    oldest = health.get("oldest_pending_seconds")
    if oldest is not None and oldest >= BEHIND_SECONDS:
        return State("behind", _("behind: opt-outs are waiting"), False)
    if health.get("failed"):
        return State("degraded", _("working, with failed deliveries to retry"), False)
    if rate is None and not health.get("delivered"):
        return State("idle", _("nothing sent yet"), True)
    return State("healthy", _("healthy"), True)


# --- audit events ----------------------------------------------------------------------

DETAIL_LABELS = {
    "throttled": gettext_lazy("Slowed down (too many requests)"),
    "found": gettext_lazy("Found"),
    "filters": gettext_lazy("Filters"),
    "ok": gettext_lazy("Intact"),
    "checked": gettext_lazy("Events checked"),
    "sealed_now": gettext_lazy("Sealed first"),
    "broken_seq": gettext_lazy("Broken at event"),
    "reason": gettext_lazy("Reason"),
    "by": gettext_lazy("By"),
    "epsilon": gettext_lazy("Privacy loss ε"),
    "delta": gettext_lazy("δ"),
    "scale": gettext_lazy("Noise scale"),
    "threshold": gettext_lazy("Shown from"),
    "min_cell": gettext_lazy("Minimum cell"),
    "period_start": gettext_lazy("Budget period from"),
    "topic": gettext_lazy("Topic"),
    "topics": gettext_lazy("Topics"),
    "source": gettext_lazy("Source"),
    "status": gettext_lazy("Status"),
    "old_status": gettext_lazy("Before"),
    "new_status": gettext_lazy("After"),
    "count": gettext_lazy("How many"),
    "attempts": gettext_lazy("Attempts"),
    "destination": gettext_lazy("Destination"),
    "scopes": gettext_lazy("Scopes"),
    "name": gettext_lazy("Name"),
    "role": gettext_lazy("Role"),
    "roles": gettext_lazy("Roles"),
    "steps": gettext_lazy("Steps"),
    "rows": gettext_lazy("Rows"),
    "fields": gettext_lazy("Fields"),
    "export": gettext_lazy("Export"),
    "subject": gettext_lazy("Subject (opaque id)"),
    "step": gettext_lazy("Step"),
    "device": gettext_lazy("Second factor"),
    "known_user": gettext_lazy("Known user"),
    "kind": gettext_lazy("Kind"),
    "sample": gettext_lazy("Sample size"),
    "prefix": gettext_lazy("Key prefix"),
    "include_email": gettext_lazy("Address included"),
    "delivery": gettext_lazy("Delivery"),
    "databases": gettext_lazy("Databases"),
    "columns": gettext_lazy("Columns"),
    "backup_codes": gettext_lazy("Backup codes"),
    "after_failures": gettext_lazy("After failed attempts"),
    "action": gettext_lazy("Action"),
    "actor": gettext_lazy("Actor"),
    "target": gettext_lazy("Target"),
    "since": gettext_lazy("Since"),
    "until": gettext_lazy("Until"),
}


def _label(key: str) -> str:
    if key in DETAIL_LABELS:
        return str(DETAIL_LABELS[key])
    return key.replace("_", " ").strip().capitalize() or key


def value_words(key: str, value) -> str:
    """One detail's value as text: yes/no, lists joined, durations in words, times
    formatted, nested objects as "label: value" pairs."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float)) and (key.endswith("_seconds") or key == "seconds"):
        return duration_words(value)
    if isinstance(value, (int, float)) and key.endswith("_ms"):
        return milliseconds_words(value)
    if isinstance(value, float):
        return formats.number_format(value, decimal_pos=None if value >= 1 else 4)
    if isinstance(value, int):
        return formats.number_format(value)
    if isinstance(value, str):
        moment = parse_datetime(value) if ("T" in value and len(value) >= 19) else None
        return _when(moment) if moment else value
    if isinstance(value, (list, tuple)):
        return ", ".join(value_words(key, v) for v in value) or NONE
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {value_words(k, v)}" for k, v in value.items()) or NONE
    return str(value)


def _when(moment: datetime) -> str:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i:s T")


def details_fields(details: dict | None) -> list[tuple[str, str]]:
    """[(label, value)] in the order recorded: what the page shows as a <dl>."""
    return [(_label(key), value_words(key, value)) for key, value in (details or {}).items()]


def mask_email(email: str | None) -> str:
    """First letter and domain only: enough to confirm with the person, no more."""
    if not email or "@" not in email:
        return _("(no address kept)")
    local, _at, domain = email.rpartition("@")
    return f"{local[:1]}•••@{domain}"


def _subjects_masked(public_ids) -> dict[str, str]:
    ids = [i for i in public_ids if _is_uuid(i)]
    if not ids:
        return {}
    return {str(pid): mask_email(email) for pid, email
            in Subject.objects.filter(public_id__in=ids).values_list("public_id", "email")}


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _staff_names(ids) -> dict[str, str]:
    users = get_user_model().objects.filter(pk__in=[i for i in ids if i.isdigit()])
    out = {}
    for user in users.prefetch_related("groups"):
        roles = ", ".join(sorted(g.name for g in user.groups.all()))
        out[str(user.pk)] = (_("%(name)s (%(roles)s)") % {"name": user.get_username(),
                                                          "roles": roles}
                             if roles else user.get_username())
    return out


def events_people(events) -> dict:
    """{(type, id): words} for the actors and targets of a page of events: staff by
    username and role, API keys by name, subjects by masked address, Hush itself as
    automatic. One query per kind for the whole page, not one per row."""
    refs = {(e.actor_type, e.actor_id) for e in events}
    refs |= {(e.target_type, e.target_id) for e in events if e.target_type}
    of = {kind: {i for k, i in refs if k == kind} for kind in
          ("user", "api_key", "subject", SUBJECT_TARGET)}
    staff = _staff_names(of["user"])
    keys = dict(ApiKey.objects.filter(prefix__in=of["api_key"]).values_list("prefix", "name")) \
        if of["api_key"] else {}
    subjects = _subjects_masked(of["subject"] | of[SUBJECT_TARGET])
    out = {}
    for kind, ident in refs:
        if kind == AuditEvent.ActorType.USER:
            out[kind, ident] = staff.get(ident) or _("a former staff member")
        elif kind == AuditEvent.ActorType.API_KEY:
            out[kind, ident] = _("API key “%(name)s”") % {"name": keys.get(ident, ident)}
        elif kind in (AuditEvent.ActorType.SUBJECT, SUBJECT_TARGET):
            out[kind, ident] = (_("subject %(address)s") % {"address": subjects[ident]}
                                if ident in subjects else _("a subject no longer on file"))
        elif kind == AuditEvent.ActorType.SYSTEM:
            out[kind, ident] = (_("Hush (automatic: %(part)s)") % {"part": ident} if ident
                                else _("Hush (automatic)"))
        else:  # another target: its kind in words and its id
            name = kind.rpartition(".")[2].replace("_", " ")
            out[kind, ident] = f"{name} {ident}" if ident else name
    return out


SUBJECT_TARGET = "preferences.subject"
