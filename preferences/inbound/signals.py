"""What every way in hands to the service: a `Signal` per thing understood.

A parser (mail, a provider's webhook) says what it saw; the service decides what
that changes. The address a signal carries is only ever digested, never stored.
"""

from dataclasses import dataclass

from preferences.models import InboundEvent

Kind = InboundEvent.Kind


@dataclass(frozen=True)
class Signal:
    """`key` names the event uniquely at its origin (a provider's event id, a message's
    id and position): the same key seen again is the same event, applied once.

    `tokens` are one-click token candidates (checked by the service: a forged or
    edited one names nobody); `address` the recipient the event concerns; `topic` a
    topic slug the sender passed along (an email provider's metadata); `reason` why
    an ignored event was ignored (a fixed code, never text from the message).
    """

    key: str
    kind: str
    address: str | None = None
    tokens: tuple[str, ...] = ()
    topic: str = ""
    reason: str = ""

    def __post_init__(self):
        if self.kind not in Kind.values:
            raise ValueError(f"unknown signal kind {self.kind!r}")


def ignored(key: str, reason: str) -> Signal:
    return Signal(key=key, kind=Kind.IGNORED, reason=reason)
