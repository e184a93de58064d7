"""Which subjects are erased, as the GET of a one-click link must know without a query
per request (mail scanners fetch every link of every message; issue 13). Erasures are
rare, so each process keeps the public ids of erased subjects and looks again at most
every REFRESH_S seconds, asking only for those erased since its last look. A link opened
in the seconds after an erasure in another process may still show the button; its POST
asks the database and answers the erased page, so nothing is ever written."""

import time
from datetime import timedelta

from django.db import DatabaseError

from preferences.models import Subject

REFRESH_S = 5.0
COMMIT_MARGIN = timedelta(minutes=5)
_ids: set = set()
_latest = None  # the newest erased_at seen
_read_at = float("-inf")


def subject_erased(public_id) -> bool:
    """True once the subject's erasure has begun (as of the last look). While the
    database cannot be reached, what was last read."""
    global _latest, _read_at
    if time.monotonic() - _read_at >= REFRESH_S:
        rows = Subject.objects.filter(erased_at__isnull=False)
        if _latest is not None:  # with a margin: an erasure committed late, stamped early
            rows = rows.filter(erased_at__gte=_latest - COMMIT_MARGIN)
        try:
            found = list(rows.values_list("public_id", "erased_at"))
        except DatabaseError:
            return public_id in _ids
        for pid, at in found:
            _ids.add(pid)
            _latest = at if _latest is None or at > _latest else _latest
        _read_at = time.monotonic()
    return public_id in _ids


def forget() -> None:
    """Look again at the next call (an erasure planned in this process; tests)."""
    global _latest, _read_at
    _ids.clear()
    _latest, _read_at = None, float("-inf")
