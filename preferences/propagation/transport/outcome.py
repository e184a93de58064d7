"""What one attempt to deliver came to, and how an HTTP answer is read."""

from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from django.utils import timezone


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool = False
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def classify(status_code: int, retry_after: str | None = None) -> Outcome:
    """2xx delivered; 408, 429 and 5xx retried; any other answer fails at once."""
    if 200 <= status_code < 300:
        return Outcome(ok=True, status_code=status_code)
    retryable = status_code in (408, 429) or status_code >= 500
    return Outcome(ok=False, retryable=retryable, status_code=status_code,
                   error=f"HTTP {status_code}", retry_after=_retry_after(retry_after))
