"""Topic names for the one-click pages, kept in each process: mail scanners GET every
link of every message, and the page needs nothing else from the database. Read
again at most once a minute (a renamed topic shows its new name within a minute),
and never needed while the database is away once it was read."""

import time

from django.db import DatabaseError

from preferences.models import Topic

MAX_AGE_S = 60.0
_names: dict[str, str] = {}
_read_at = float("-inf")


def topic_name(slug: str) -> str | None:
    """The topic's name; None if no such topic. While the database cannot be reached,
    the last names read (the slug for one never seen)."""
    global _read_at
    if slug in _names and time.monotonic() - _read_at < MAX_AGE_S:
        return _names[slug]
    try:
        names = dict(Topic.objects.values_list("slug", "name"))
    except DatabaseError:
        return _names.get(slug, slug)
    _names.clear()
    _names.update(names)
    _read_at = time.monotonic()
    return _names.get(slug)


def forget() -> None:
    """Drop what was read (tests; a process that must see a rename at once)."""
    global _read_at
    _names.clear()
    _read_at = float("-inf")
