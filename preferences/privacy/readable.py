""""Download my data" as a person reads it: the export's entries grouped by what they
mean (contact, subscriptions, choices, history, other), each with the title,
description and column labels its PII catalog entry gives for people (`ForPerson`),
values in words (choices by name, times with their time zone, yes and no).

Presentation only: the JSON file beside the page stays complete. What an entry does
not name for people (digests, internal ids, staff notes) is left off the page."""

from contextlib import suppress
from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anonymizer import catalog
from anonymizer.catalog import Category, ForPerson, Meaning
from preferences.models import Purpose, Subscription, Topic

NONE = "\u2013"  # an en dash: no value
GROUPS = (
    (Meaning.CONTACT, gettext_lazy("Contact")),
    (Meaning.SUBSCRIPTIONS, gettext_lazy("Subscriptions")),
    (Meaning.CHOICES, gettext_lazy("Choices")),
    (Meaning.HISTORY, gettext_lazy("History")),
    (Meaning.OTHER, gettext_lazy("Other records")),
)
STATUSES = dict(Subscription.Status.choices)  # a consent event's before and after


def _default_for_person(entry) -> ForPerson:
    """An entry with no words for people (the company's tables, say): its catalogued
    fields by their plain names, but never a credential or a digest."""
    columns = []
    for pii_field in entry.fields:
        if pii_field.category == Category.CREDENTIAL or pii_field.name.endswith("_digest"):
            continue
        columns.append((pii_field.name, _field_label(entry, pii_field.name)))
    return ForPerson(Meaning.OTHER, _("Records in our other systems"), columns=tuple(columns))


def _field_label(entry, name: str) -> str:
    label = name
    if not entry.external:
        with suppress(FieldDoesNotExist):
            label = str(entry.model._meta.get_field(name).verbose_name)
    return label.replace("_", " ").strip().capitalize()


class _Names:
    """Topic and purpose names for the slugs the export holds (one query each)."""

    def __init__(self):
        self._topics = self._purposes = None

    def topic(self, slug):
        if self._topics is None:
            self._topics = dict(Topic.objects.values_list("slug", "name"))
        return self._topics.get(slug, slug)

    def purpose(self, slug):
        if self._purposes is None:
            self._purposes = dict(Purpose.objects.values_list("slug", "name"))
        return self._purposes.get(slug, slug)


def _when(value) -> str | None:
    moment = value if isinstance(value, datetime) else (
        parse_datetime(value) if isinstance(value, str) and len(value) >= 19 else None)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    moment = timezone.localtime(moment)
    return f"{formats.date_format(moment, 'DATETIME_FORMAT')} ({moment.tzname()})"


def _words(entry, column: str, value, names: _Names) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if column in ("topic", "topic_slug"):
        return names.topic(value)
    if column == "purpose":
        return names.purpose(value)
    if column in ("old_status", "new_status"):
        return str(STATUSES.get(value, value))
    if column == "locale":
        try:
            return translation.get_language_info(value)["name_translated"]
        except KeyError:
            return value
    when = _when(value)
    if when:
        return when
    if not entry.external:
        try:
            choices = dict(entry.model._meta.get_field(column).flatchoices)
        except FieldDoesNotExist:
            choices = {}
        if value in choices:
            return str(choices[value])
    return str(value)


def _newest_first(rows: list[dict], columns) -> list[dict]:
    """History reads newest first: by the first column that holds a time."""
    for column, _label in columns:
        if any(isinstance(r.get(column), datetime) for r in rows):
            epoch = datetime.min.replace(tzinfo=UTC)
            return sorted(rows, key=lambda r: r.get(column) or epoch, reverse=True)
    return rows


def readable(data: dict) -> list[dict]:
    """[{"meaning", "title", "entries": [{"title", "description", "labels", "rows",
    "fields"}]}],
    groups in the order of GROUPS, entries that hold nothing left out."""
    names, grouped = _Names(), {meaning: [] for meaning, _title in GROUPS}
    for section in data["entries"]:
        try:
            entry = catalog.entry(section["key"])
        except KeyError:
            continue  # unregistered since: the JSON still has it
        person = entry.for_person or _default_for_person(entry)
        if not section["rows"] or not person.columns:
            continue
        labels = [str(label) for _column, label in person.columns]
        rows = [[_words(entry, column, row.get(column), names)
                 for column, _label in person.columns]
                for row in _newest_first(section["rows"], person.columns)]
        grouped[person.meaning].append({
            "title": str(person.title), "description": str(person.description),
            "labels": labels, "rows": rows,
            # One row reads as labelled fields, many as a table.
            "fields": list(zip(labels, rows[0], strict=True)) if len(rows) == 1 else None,
        })
    return [{"meaning": meaning.value, "title": str(title), "entries": grouped[meaning]}
            for meaning, title in GROUPS if grouped[meaning]]
