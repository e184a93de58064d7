"""How a delivery reaches each kind of destination, one module per kind (the shape
of saleor's webhook transports). A new kind (an ESP's suppression API, say) is one
class with `send(destination, body, headers) -> Outcome` and an entry in KINDS."""

from preferences.propagation.transport.function import CallableSender
from preferences.propagation.transport.outcome import Outcome, classify
from preferences.propagation.transport.webhook import WebhookSender

__all__ = ["KINDS", "Outcome", "classify"]

KINDS = {"webhook": WebhookSender(), "callable": CallableSender()}
