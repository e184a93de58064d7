"""Database connections that die under us (a failover, a restart, `pg_terminate_backend`).

Django learns that a connection broke only from errors raised through its own cursor
wrapper, and reconnects only between requests. Two helpers close that gap:

- `retry_if_connection_lost(fn)`: run `fn`; if the connection was lost, close it (so it
  is never reused) and run `fn` once more on a fresh one. For work that is safe to run
  twice (the one-click statement is: POSTing twice equals once).
- `LostConnectionMiddleware`: a request whose view hit a lost connection before it
  sent any write retries once on a fresh connection; a database that still cannot be
  reached answers 503 with Retry-After instead of a traceback.
"""

import logging
import re

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30
# Statements that change nothing: a request that sent only these may run again.
_READ_ONLY = re.compile(r"\s*(SELECT|SAVEPOINT|RELEASE|ROLLBACK|SET|SHOW)\b", re.IGNORECASE)


def connection_lost(exc: BaseException) -> bool:
    """True when `exc` (a Django database error: raw driver calls go through
    `connection.wrap_database_errors`) says the connection itself failed or could
    not be made, not that a statement was wrong."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    raw = connection.connection
    return raw is None or raw.closed or not connection.is_usable()


def discard_connection() -> None:
    """Drop Django's connection so the next statement opens a fresh one."""
    try:
        connection.close()
    except DatabaseError:  # closing a dead connection may fail too; it is gone either way
        connection.connection = None


def retry_if_connection_lost(fn, *args, **kwargs):
    """`fn(*args, **kwargs)`, once more on a fresh connection if the first one was lost.
    Only outside a transaction: inside one, the whole transaction is lost, not a step."""
    try:
        return fn(*args, **kwargs)
    except DatabaseError as exc:
        if connection.in_atomic_block or not connection_lost(exc):
            raise
        log.warning("database connection lost; retrying once on a new connection")
        discard_connection()
        return fn(*args, **kwargs)


class _WriteTracker:
    """Counts statements that may have changed something, through Django's cursors."""

    def __init__(self):
        self.writes = 0

    def __call__(self, execute, sql, params, many, context):
        if not _READ_ONLY.match(sql if isinstance(sql, str) else str(sql)):
            self.writes += 1
        return execute(sql, params, many, context)


class LostConnectionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request._hush_writes = tracker = _WriteTracker()
        with connection.execute_wrapper(tracker):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DatabaseError) or not connection_lost(exception):
            return None
        tracker = getattr(request, "_hush_writes", None)
        if (tracker is not None and not tracker.writes and not connection.in_atomic_block
                and not getattr(request, "_hush_retried", False)):
            request._hush_retried = True
            log.warning("database connection lost before any write; retrying the request")
            discard_connection()
            match = request.resolver_match
            try:
                return match.func(request, *match.args, **match.kwargs)
            except DatabaseError as again:
                if not connection_lost(again):
                    raise
        discard_connection()
        return database_unavailable(request)


def database_unavailable(request) -> HttpResponse:
    """503 with Retry-After: the database cannot be reached right now."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": {"code": "unavailable",
                       "message": "The service is briefly unavailable; try again shortly."}},
            status=503)
    else:
        # No request context: it would read the session and messages, from the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response
