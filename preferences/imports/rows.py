"""One row of an import file into what Hush stores, or a problem (a fixed reason).

`plan_make` reads the header once (with a preset or `--map`) into a `Plan`: which
column holds which field. `subject_parse` and `suppression_parse` then read each row
by it. Nothing here touches the database; values never leave in an error.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from common.crypto import normalise_email
from preferences.imports.presets import FIELDS_SUBJECTS, FIELDS_SUPPRESSIONS, PRESETS
from preferences.models import ImportProblem, Suppression

Reason = ImportProblem.Reason
STATUSES = {"subscribed", "unsubscribed"}
# what providers and people write for a suppression's reason -> Hush's reason
REASONS = {
    "unsubscribe": Suppression.Reason.UNSUBSCRIBED_ALL,
    "unsubscribed": Suppression.Reason.UNSUBSCRIBED_ALL,
    "unsubscribed_all": Suppression.Reason.UNSUBSCRIBED_ALL,
    "bounce": Suppression.Reason.BOUNCE, "bounced": Suppression.Reason.BOUNCE,
    "hard_bounce": Suppression.Reason.BOUNCE, "cleaned": Suppression.Reason.BOUNCE,
    "complaint": Suppression.Reason.COMPLAINT, "spam": Suppression.Reason.COMPLAINT,
    "spam_report": Suppression.Reason.COMPLAINT, "abuse": Suppression.Reason.COMPLAINT,
    "manual": Suppression.Reason.MANUAL,
}
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_HEX = re.compile(r"^[0-9a-f]+$")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d-%m-%Y %H:%M:%S",
                 "%d-%m-%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y")


class PlanError(ValueError):
    """The header cannot be read as the kind of file asked for (a fixed message)."""


class Problem(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Plan:
    kind: str
    columns: dict[str, str] = field(default_factory=dict)  # field -> column
    topics: dict[str, str] = field(default_factory=dict)  # topic slug -> column
    topic_slug: str = ""  # the topic a one-list export's status is for
    status: str = ""  # every row's status (a preset's file kind)
    status_values: dict[str, str] | None = None  # the status column's value -> status
    reason: str = ""  # every row's suppression reason, unless a reason column says
    only: tuple[str, str] | None = None  # (column, value): import only those rows
    lenient_country: bool = False  # a provider's free-text country: keep only ISO codes
    json: bool = False  # JSON lines without --map: the keys name fields and topics


def _find(header: list[str], names) -> str | None:
    lowered = {h.lower(): h for h in header}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def map_parse(text: str) -> dict[str, str]:
    """`email=Email Address,newsletter=Subscribed` -> {field or topic: column}."""
    mapping = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, column = part.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise PlanError("--map takes NAME=COLUMN pairs separated by commas")
        mapping[name.strip()] = column.strip()
    return mapping


def plan_make(*, kind: str, header: list[str] | None, preset: str = "",
              mapping: dict | None = None, topic_slug: str = "") -> Plan:
    """How to read the file's rows. `header` is None for JSON lines (keys name fields)."""
    fields = FIELDS_SUBJECTS if kind == "subjects" else FIELDS_SUPPRESSIONS
    plan = Plan(kind=kind, topic_slug=topic_slug)
    if preset:
        chosen = PRESETS.get(preset)
        if chosen is None:
            raise PlanError(f"unknown preset; choose one of {', '.join(sorted(PRESETS))}")
        if header is None:
            raise PlanError("a preset reads the provider's CSV export, not JSON lines")
        _plan_from_preset(plan, chosen, header)
    elif not mapping:
        names = header if header is not None else list(fields)
        for name in names:
            if name.lower() in fields:
                plan.columns[name.lower()] = name
            elif kind == "subjects" and name != "status":
                plan.topics[name] = name
        if header is None:
            plan.topics, plan.json = {}, True  # the keys that are not fields, per row
    for name, column in (mapping or {}).items():
        if header is not None and column not in header:
            raise PlanError("--map names a column the file does not have")
        if name in fields:
            plan.columns[name] = column
        elif kind == "subjects":
            plan.topics[name] = column
        else:
            raise PlanError("--map names a field suppressions do not have")
    if kind == "subjects" and plan.status and not plan.topic_slug:
        raise PlanError("this export is one list: name the Hush topic it feeds (--topic)")
    if kind == "subjects" and header is not None and not (
            {"email", "external_id"} & set(plan.columns)):
        raise PlanError("the file has no email or external_id column")
    if kind == "suppressions" and header is not None and not (
            {"email", "sha256", "md5"} & set(plan.columns)):
        raise PlanError("the file has no email, sha256 or md5 column")
    return plan


def _plan_from_preset(plan: Plan, preset, header: list[str]) -> None:
    for name, candidates in preset.columns.items():
        column = _find(header, candidates)
        if column:
            plan.columns[name] = column
    plan.lenient_country = True
    plan.status, plan.reason = preset.status, preset.reason
    for marker, status, reason, time_column in preset.file_kinds:
        if _find(header, (marker,)):
            plan.status, plan.reason = status, reason
            plan.columns["consent_at"] = plan.columns["suppressed_at"] = _find(
                header, (time_column,))
    for marker, reason in preset.reason_by_header:
        if _find(header, (marker,)):
            plan.reason = reason
            break
    if preset.status_column and (column := _find(header, (preset.status_column[0],))):
        plan.columns["status"] = column
        plan.status_values = preset.status_column[1]
    if plan.kind == "suppressions":
        plan.columns.pop("country", None)
        plan.columns.pop("consent_at", None)
        if preset.only_status and (column := _find(header, ("status",))):
            plan.only = (column, preset.only_status)
        if not plan.reason:
            raise PlanError("this export holds no suppressions (Mailchimp: import the "
                            "unsubscribed or cleaned members file)")
    else:
        plan.columns.pop("suppressed_at", None)
    if not preset.needs_topic:
        plan.status = ""


@dataclass
class SubjectRecord:
    line: int
    email: str | None
    external_id: str | None
    locale: str | None
    country: str | None
    at: datetime | None
    statuses: dict[str, str]  # topic slug -> subscribed / unsubscribed


@dataclass
class SuppressionRecord:
    line: int
    email: str | None  # normalised
    provider_digest: str | None  # "sha256:<hex>" or "md5:<hex>"
    reason: str
    at: datetime | None


def _text(values: dict, column: str | None) -> str:
    if not column:
        return ""
    value = values.get(column)
    return "" if value is None else str(value).strip()


def email_clean(value: str) -> str:
    email = normalise_email(value)
    if len(email) > 254:
        raise Problem(Reason.INVALID_ADDRESS)
    try:
        validate_email(email)
    except ValidationError:
        raise Problem(Reason.INVALID_ADDRESS) from None
    return email


def time_parse(value: str) -> datetime | None:
    """ISO 8601, "YYYY-MM-DD HH:MM:SS" (UTC unless it says), a few day-first and
    month-first forms, or Unix seconds; never in the future."""
    if not value:
        return None
    parsed = None
    if value.isdigit():
        try:
            parsed = datetime.fromtimestamp(int(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise Problem(Reason.INVALID_VALUE) from None
    else:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            for form in _TIME_FORMATS:
                try:
                    parsed = datetime.strptime(value, form)  # naive: UTC, below
                    break
                except ValueError:
                    continue
    if parsed is None:
        raise Problem(Reason.INVALID_VALUE)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed > timezone.now() or parsed.year < 1990:
        raise Problem(Reason.INVALID_VALUE)
    return parsed


def subject_parse(plan: Plan, line: int, values: dict, topics: set[str]) -> SubjectRecord:
    """Raises Problem for a row that cannot be taken."""
    cols = plan.columns
    raw_email = _text(values, cols.get("email"))
    email = email_clean(raw_email) if raw_email else None
    external_id = _text(values, cols.get("external_id")) or None
    if not email and not external_id:
        raise Problem(Reason.MISSING_ADDRESS)
    if external_id and len(external_id) > 255:
        raise Problem(Reason.INVALID_VALUE)
    locale = _text(values, cols.get("locale")) or None
    if locale and (len(locale) > 16 or not _LOCALE.match(locale)):
        raise Problem(Reason.INVALID_VALUE)
    country = _text(values, cols.get("country")).upper() or None
    if country and not (len(country) == 2 and country.isalpha() and country.isascii()):
        if not plan.lenient_country:
            raise Problem(Reason.INVALID_VALUE)
        country = None
    at = time_parse(_text(values, cols.get("consent_at")))
    statuses = {}
    if plan.topic_slug:
        status = plan.status or "subscribed"
        if plan.status_values is not None and "status" in cols:
            given = _text(values, cols["status"]).lower()
            status = plan.status_values.get(given, "") if given else status
            if not status:
                raise Problem(Reason.INVALID_STATUS)
        statuses[plan.topic_slug] = status
    pairs = plan.topics.items() if not plan.json else (
        (k, k) for k in values if k not in FIELDS_SUBJECTS)
    for slug, column in pairs:
        given = _text(values, column).lower()
        if not given:
            continue
        if slug not in topics:
            raise Problem(Reason.UNKNOWN_TOPIC)
        if given not in STATUSES:
            raise Problem(Reason.INVALID_STATUS)
        if statuses.get(slug, given) != given:
            raise Problem(Reason.CONFLICTING_STATUS)
        statuses[slug] = given
    return SubjectRecord(line, email, external_id, locale, country, at, statuses)


def suppression_parse(plan: Plan, line: int, values: dict) -> SuppressionRecord | None:
    """None for a row the plan skips (a listmonk subscriber not blocklisted)."""
    cols = plan.columns
    if plan.only and _text(values, plan.only[0]).lower() != plan.only[1]:
        return None
    reason = plan.reason or Suppression.Reason.MANUAL
    if "reason" in cols and (given := _text(values, cols["reason"]).lower()):
        reason = REASONS.get(given)
        if reason is None:
            raise Problem(Reason.INVALID_VALUE)
    at = time_parse(_text(values, cols.get("suppressed_at")))
    raw_email = _text(values, cols.get("email"))
    if raw_email:
        return SuppressionRecord(line, email_clean(raw_email), None, reason, at)
    for algorithm, length in (("sha256", 64), ("md5", 32)):
        digest = _text(values, cols.get(algorithm)).lower()
        if digest:
            if len(digest) != length or not _HEX.match(digest):
                raise Problem(Reason.INVALID_DIGEST)
            return SuppressionRecord(line, None, f"{algorithm}:{digest}", reason, at)
    raise Problem(Reason.MISSING_ADDRESS)


def provider_digests(email: str) -> tuple[str, str]:
    """The keyed forms of the SHA-256 and MD5 an email provider exports for an address."""
    lowered = email.lower().encode()
    return (keyed("sha256:" + hashlib.sha256(lowered).hexdigest()),
            keyed("md5:" + hashlib.md5(lowered, usedforsecurity=False).hexdigest()))


def keyed(provider_digest: str) -> str:
    return hmac.new(settings.HUSH_DIGEST_KEY.encode(), provider_digest.encode(),
                    hashlib.sha256).hexdigest()
