"""What one RFC 5322 message means, read with the standard library's `email` parser.

Three kinds are understood; anything else is ignored (and counted):

- an ARF spam complaint (RFC 5965: a `message/feedback-report` part; only the
  feedback types that mean "I did not want this": abuse, fraud, opt-out);
- a delivery status notification (RFC 3464: a `message/delivery-status` part), one
  signal per recipient that failed (5.x.x: hard) or was delayed or failed with a
  transient status (4.x.x: soft);
- a mailto unsubscribe: the one-click token from the subject line (as
  `unsubscribe_headers` writes it) or from an `unsubscribe+<token>@` address.

In a complaint or bounce the person is found by the signed token in the embedded
original's `List-Unsubscribe` header when there is one, else by the reported
recipient. A mailto without a valid token changes nothing, unless the operator
asked to act on the sender and the receiving MTA's `Authentication-Results`
(with its own authserv-id, RFC 8601 section 5) says DMARC passed for the From domain.

Nothing here is logged or returned but the signals: no subject line, body or sender.
"""

import base64
import email
import email.policy
import hashlib
import quopri
import re
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses

from preferences.inbound.signals import Kind, Signal, ignored
from preferences.tokens import BadToken, read_unsubscribe_token

# django.core.signing's output: base64 payload, base62 timestamp, base64 signature.
_SIGNED = r"[A-Za-z0-9_-]{8,400}:[A-Za-z0-9]{1,12}:[A-Za-z0-9_-]{20,100}"
_TOKEN_ANYWHERE = re.compile(rf"(?<![A-Za-z0-9_:-])({_SIGNED})(?![A-Za-z0-9_:-])")
_ONE_CLICK_PATH = re.compile(rf"/u/({_SIGNED})/")
_MAILTO_SUBJECT = re.compile(rf"subject=unsubscribe(?:%20|\+|\s)+({_SIGNED})", re.I)
# A token in a local part: ':' is not atext, so `unsubscribe+<token>@` may carry it
# quoted, or with '.' for ':' (base64url and base62 never contain a '.').
_PLUS_TOKEN = re.compile(r"\+([A-Za-z0-9_.:-]{30,520})\"?@")
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
COMPLAINT_TYPES = {"abuse", "fraud", "opt-out", "opt-out-list"}
MAX_HEADER = 998


def read_message(raw: bytes, *, recipients=(), act_on_sender: bool = False,
                 authserv_id: str = "") -> list[Signal]:
    """The signals in one message; `recipients` are the envelope's (RCPT TO), if known."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        key = _message_key(message, raw)
    except Exception:  # a message the parser cannot even split into headers
        return [ignored("mail:" + hashlib.sha256(raw).hexdigest(), "unreadable")]
    try:
        report = _first_part(message, "message/feedback-report")
        if report is not None:
            return _complaint(key, message, report)
        status = _first_part(message, "message/delivery-status")
        if status is not None:
            return _bounces(key, message, status)
        return [_mailto(key, message, recipients, act_on_sender, authserv_id)]
    except Exception:  # malformed MIME past what `email` tolerates: ignore, don't crash
        return [ignored(key + ":0", "unreadable")]


def _message_key(message: Message, raw: bytes) -> str:
    """The Message-ID names a message across an MTA's retries; without one, its bytes."""
    message_id = str(message.get("Message-ID", "") or "").strip()
    if message_id and len(message_id) <= MAX_HEADER:
        return "mail:" + message_id
    return "mail:sha256:" + hashlib.sha256(raw).hexdigest()


def _first_part(message: Message, content_type: str) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part
    return None


def _field_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/feedback-report or message/delivery-status part."""
    payload = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(payload, list) and encoding not in ("base64", "quoted-printable"):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, list):  # encoded: the parser split text that was not decoded
        payload = "".join(block.as_string() for block in payload if isinstance(block, Message))
    text = payload if isinstance(payload, str) else ""
    if encoding == "base64":
        text = base64.b64decode(text, validate=False).decode("utf-8", "replace")
    elif encoding == "quoted-printable":
        text = quopri.decodestring(text.encode("ascii", "replace")).decode("utf-8", "replace")
    return [HeaderParser(policy=email.policy.default).parsestr(chunk)
            for chunk in re.split(r"\r?\n\s*\r?\n", text.strip()) if chunk.strip()]


def _original_headers(message: Message) -> Message | None:
    """The embedded original (message/rfc822, or text/rfc822-headers)."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
        elif kind in ("text/rfc822-headers", "text/global-headers"):
            text = part.get_content() if hasattr(part, "get_content") else part.get_payload()
            return HeaderParser(policy=email.policy.default).parsestr(str(text))
    return None


def tokens_in_original(original: Message | None) -> tuple[str, ...]:
    """One-click tokens from the List-Unsubscribe header Hush wrote into the original."""
    if original is None:
        return ()
    found = []
    for value in original.get_all("List-Unsubscribe", []) or []:
        text = _header_text(value)
        found += _ONE_CLICK_PATH.findall(text) + _MAILTO_SUBJECT.findall(text)
    return tuple(dict.fromkeys(t for t in found if _valid(t)))


def _complaint(key: str, message: Message, report: Message) -> list[Signal]:
    blocks = _field_blocks(report)
    fields = blocks[0] if blocks else Message()
    feedback_type = _header_text(fields.get("Feedback-Type", "")).strip().lower()
    if feedback_type not in COMPLAINT_TYPES:
        return [ignored(key + ":0", f"feedback:{feedback_type or 'none'}"[:32]
                        if feedback_type in {"not-spam", "auth-failure", "virus", "other"}
                        else "feedback:unknown")]
    original = _original_headers(message)
    tokens = tokens_in_original(original)
    addresses = _addresses(fields.get_all("Original-Rcpt-To", []) or [])
    addresses += _addresses(fields.get_all("Removal-Recipient", []) or [])
    if not addresses and original is not None:
        addresses = _addresses(original.get_all("To", []) or [])
    address = addresses[0] if len(set(addresses)) == 1 else None
    if not tokens and address is None:
        return [ignored(key + ":0", "complaint:no_recipient")]
    return [Signal(key=key + ":0", kind=Kind.COMPLAINT, address=address, tokens=tokens)]


def _bounces(key: str, message: Message, status_part: Message) -> list[Signal]:
    failed = []
    for block in _field_blocks(status_part):
        action = _header_text(block.get("Action", "")).split("(")[0].strip().lower()
        status = _header_text(block.get("Status", "")).split(" ")[0].strip()
        recipient = _recipient(block)
        if not action or recipient is None:
            continue
        match = _STATUS.match(status)
        if action not in ("failed", "delayed") or match is None or match.group(1) == "2":
            continue
        hard = action == "failed" and match.group(1) == "5"
        failed.append((Kind.HARD_BOUNCE if hard else Kind.SOFT_BOUNCE, recipient))
    if not failed:
        return [ignored(key + ":0", "dsn:no_failure")]
    tokens = tokens_in_original(_original_headers(message)) if len(failed) == 1 else ()
    return [Signal(key=f"{key}:{i}", kind=kind, address=address, tokens=tokens)
            for i, (kind, address) in enumerate(failed)]


def _recipient(block: Message) -> str | None:
    """Original-Recipient if given (the address as the sender wrote it), else Final-."""
    for name in ("Original-Recipient", "Final-Recipient"):
        value = _header_text(block.get(name, ""))
        kind, _, address = value.partition(";")
        if kind.strip().lower() in ("rfc822", "utf-8"):
            found = _addresses([address])
            if found:
                return found[0]
    return None


def _mailto(key, message, recipients, act_on_sender, authserv_id) -> Signal:
    candidates = _TOKEN_ANYWHERE.findall(_header_text(message.get("Subject", "")))
    to = list(recipients)
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        to += [_header_text(v) for v in message.get_all(name, []) or []]
    for address in to:
        candidates += [t.replace(".", ":") for t in _PLUS_TOKEN.findall(address)]
    valid = [t for t in dict.fromkeys(candidates) if _valid(t)]
    if valid:
        return Signal(key=key + ":0", kind=Kind.MAILTO, tokens=(valid[0],))
    if act_on_sender and authserv_id:
        sender = _dmarc_verified_sender(message, authserv_id)
        if sender is not None:
            return Signal(key=key + ":0", kind=Kind.SENDER, address=sender)
    return ignored(key + ":0", "mailto:bad_token" if candidates else "mailto:no_token")


def _dmarc_verified_sender(message: Message, authserv_id: str) -> str | None:
    """The From address, if the topmost Authentication-Results our own MTA added says
    dmarc=pass for its domain; None otherwise (a header anyone else added is not read)."""
    senders = _addresses(message.get_all("From", []) or [])
    if len(senders) != 1:
        return None
    domain = senders[0].rsplit("@", 1)[1].lower()
    for value in message.get_all("Authentication-Results", []) or []:
        parts = [p.strip() for p in _strip_comments(_header_text(value)).split(";")]
        if not parts or parts[0].split()[0:1] != [authserv_id]:
            continue
        for result in parts[1:]:
            words = result.split()
            if not words or words[0].lower() != "dmarc=pass":
                continue
            properties = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            if properties.get("header.from", "").strip().lower() == domain:
                return senders[0]
        return None  # only the topmost header of our MTA counts
    return None


def _strip_comments(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", " ", text)
    return text


def _addresses(values) -> list[str]:
    found = []
    for _, address in getaddresses([_header_text(v) for v in values]):
        address = address.strip().strip("<>")
        if address.count("@") == 1 and address.index("@") > 0 and len(address) <= 320 \
                and "." in address.rsplit("@", 1)[1]:
            found.append(address)
    return found


def _header_text(value) -> str:
    return str(value or "")[:4 * MAX_HEADER]


def _valid(token: str) -> bool:
    try:
        read_unsubscribe_token(token)
    except BadToken:
        return False
    return True
