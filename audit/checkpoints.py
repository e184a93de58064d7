"""Signed checkpoints of the audit chain, kept where the database cannot reach them.

Whoever holds the database's credentials can switch the append-only triggers off, edit
events, recompute every SHA-256 hash and move the head: the chain then agrees with
itself. So every sealing also appends one line to a file in HUSH_AUDIT_CHECKPOINT_DIR
(one file per UTC day, only ever opened for appending), signed with an Ed25519 key the
database never holds (HUSH_AUDIT_SIGNING_KEY): the head that sealing reached and the
hash of each event it sealed, so a verifier can name the first event rewritten.
`audit.selectors.chain_verify` holds the chain against these lines.
"""

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from common.crypto import ed25519_key_load

VERSION = 1
# Signed along with every line, so a signature made here means nothing anywhere else.
_CONTEXT = b"hush audit checkpoint v1\n"
_HASH = re.compile(r"[0-9a-f]{64}")
_FIELDS = {"v", "first", "seq", "hash", "hashes", "at", "key", "sig"}


@dataclass(frozen=True)
class Checkpoint:
    where: str  # "checkpoints-2026-12-04.jsonl:17"
    first: int
    seq: int
    hash: str
    hashes: tuple[str, ...]


class CheckpointError(Exception):
    """A checkpoint that does not verify (edited, forged, unreadable): `where` names it."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"checkpoint {where}: {problem}")
        self.where, self.problem = where, problem


def configured() -> bool:
    return bool(settings.HUSH_AUDIT_CHECKPOINT_DIR)


def key_id(public_key) -> str:
    """A short name of a public key, written in each line so old keys keep verifying."""
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def _signed_bytes(fields: dict) -> bytes:
    return _CONTEXT + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_write(*, first_seq: int, hashes: list[str]) -> None:
    """Append the signed checkpoint of one sealing: the events first_seq onwards got
    `hashes`, the last of which is now the chain head. Call it after the sealing
    committed: a checkpoint of a head that was rolled back would read as tampering."""
    directory = settings.HUSH_AUDIT_CHECKPOINT_DIR
    if not directory or not hashes:
        return
    if not settings.HUSH_AUDIT_SIGNING_KEY:
        raise ImproperlyConfigured("HUSH_AUDIT_CHECKPOINT_DIR is set but HUSH_AUDIT_SIGNING_KEY "
                                   "is not: sealing would leave the chain unanchored")
    key = ed25519_key_load(settings.HUSH_AUDIT_SIGNING_KEY, private=True)
    now = datetime.now(UTC)
    fields = {"v": VERSION, "first": first_seq, "seq": first_seq + len(hashes) - 1,
              "hash": hashes[-1], "hashes": hashes, "at": now.isoformat(timespec="microseconds"),
              "key": key_id(key.public_key())}
    fields["sig"] = base64.b64encode(key.sign(_signed_bytes(fields))).decode()
    line = (json.dumps(fields, separators=(",", ":")) + "\n").encode()
    folder = Path(directory)
    folder.mkdir(mode=0o750, parents=True, exist_ok=True)
    # O_APPEND: each write lands at the end of the file, so concurrent sealers' lines never
    # overlap and nothing written is rewritten (`chattr +a` makes the kernel insist).
    fd = os.open(folder / f"checkpoints-{now:%Y-%m-%d}.jsonl",
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def verify_keys() -> dict:
    """The public keys a checkpoint may be signed with, by key id: the signing key's own
    and HUSH_AUDIT_VERIFY_KEYS (retired keys, or a verifier that holds no private key)."""
    keys = [ed25519_key_load(text, private=False) for text in settings.HUSH_AUDIT_VERIFY_KEYS]
    if settings.HUSH_AUDIT_SIGNING_KEY:
        keys.append(ed25519_key_load(settings.HUSH_AUDIT_SIGNING_KEY, private=True).public_key())
    return {key_id(key): key for key in keys}


def checkpoints_read() -> Iterator[Checkpoint]:
    """Every checkpoint, oldest file first, each signature checked; raises
    CheckpointError naming the file and line of the first one that does not verify."""
    folder = Path(settings.HUSH_AUDIT_CHECKPOINT_DIR)
    keys = verify_keys()
    if not keys:
        raise CheckpointError(str(folder), "no key to verify with: set HUSH_AUDIT_SIGNING_KEY "
                                           "or HUSH_AUDIT_VERIFY_KEYS")
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("checkpoints-*.jsonl")):
        with open(path, "rb") as lines:
            for number, raw in enumerate(lines, 1):
                yield _checkpoint(raw, keys, f"{path.name}:{number}")


def _checkpoint(raw: bytes, keys: dict, where: str) -> Checkpoint:
    try:
        fields = json.loads(raw)
    except ValueError:
        raise CheckpointError(where, "not a checkpoint line (edited, or torn by a crash)") \
            from None
    if not isinstance(fields, dict) or set(fields) != _FIELDS or fields["v"] != VERSION:
        raise CheckpointError(where, "not a checkpoint line (fields missing or added)")
    key = keys.get(fields["key"])
    if key is None:
        raise CheckpointError(where, f"signed with an unknown key {fields['key']!r}")
    signature = fields.pop("sig")
    try:
        key.verify(base64.b64decode(str(signature), validate=True), _signed_bytes(fields))
    except (InvalidSignature, binascii.Error, ValueError):
        raise CheckpointError(where, "signature does not verify (the line was changed)") \
            from None
    # Signed, so written by a sealer; checked anyway so a bug cannot pass for evidence.
    first, seq, hashes = fields["first"], fields["seq"], fields["hashes"]
    if not (isinstance(first, int) and isinstance(seq, int) and isinstance(hashes, list)
            and 1 <= first <= seq and len(hashes) == seq - first + 1
            and all(isinstance(h, str) and _HASH.fullmatch(h) for h in hashes)
            and hashes[-1] == fields["hash"]):
        raise CheckpointError(where, "malformed checkpoint")
    return Checkpoint(where=where, first=first, seq=seq, hash=fields["hash"],
                      hashes=tuple(hashes))
