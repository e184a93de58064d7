"""How a delivery reaches each kind of destination, one module per kind (the shape
of saleor's webhook transports). A new kind (an ESP's suppression API, say) is one
class with `send(destination, body, headers) -> Outcome` and an entry in KINDS."""

from preferences.propagation.transport.function import CallableSender
from preferences.propagation.transport.listmonk import ListmonkConnector
from preferences.propagation.transport.mailchimp import MailchimpConnector
from preferences.propagation.transport.mailgun import MailgunConnector
from preferences.propagation.transport.outcome import Outcome, classify
from preferences.propagation.transport.postmark import PostmarkConnector
from preferences.propagation.transport.sendgrid import SendGridConnector
from preferences.propagation.transport.ses import SesConnector
from preferences.propagation.transport.webhook import WebhookSender

__all__ = ["CONNECTORS", "KINDS", "Outcome", "classify"]

# The email providers: each needs the address (the destination's include_email).
CONNECTORS = {"sendgrid": SendGridConnector(), "mailgun": MailgunConnector(),
              "ses": SesConnector(), "postmark": PostmarkConnector(),
              "listmonk": ListmonkConnector(), "mailchimp": MailchimpConnector()}
KINDS = {"webhook": WebhookSender(), "callable": CallableSender(), **CONNECTORS}
