"""A Python callable inside this deployment (a cache, a search index)."""

from django.utils.module_loading import import_string

from preferences.propagation.transport.outcome import Outcome


class CallableSender:
    """A function inside this deployment (a cache, a search index): called with
    the body; returning normally is success, raising is retried."""

    def send(self, destination, body: dict, headers: dict) -> Outcome:
        try:
            function = import_string(destination.callable_path)
        except ImportError:
            return Outcome(ok=False, error="callable not found")
        try:
            function(body)
        except Exception as exc:  # any failure of the receiving code is retried
            return Outcome(ok=False, retryable=True, error=type(exc).__name__)
        return Outcome(ok=True)
