"""Crypto wallet addresses: Bitcoin (base58check and bech32/bech32m checksums, python-
stdnum's `bitcoin`) and Ethereum (0x and 40 hex digits)."""

import re

from . import Recognizer, stdnum_check

_BASE58 = re.compile(r"[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![0-9A-Za-z])")
_BECH32 = re.compile(r"(?:bc1[02-9ac-hj-np-z]{11,71}|BC1[02-9AC-HJ-NP-Z]{11,71})(?![0-9A-Za-z])")
_ETH = re.compile(r"0x[0-9a-fA-F]{40}(?![0-9A-Za-z])")


def _eth_ok(value: str) -> bool:
    # EIP-55's mixed-case checksum needs Keccak-256, which hashlib lacks: every 0x + 40 hex
    # value is reported (a 160-bit hex id after "0x" is an address in practice).
    return len(value) == 42


RECOGNIZERS = [
    Recognizer(kind="CRYPTO", rule="bitcoin_base58", validate=stdnum_check("bitcoin"), runs=26,
               pattern=_BASE58, bare=_BASE58, compact=lambda v: v),
    Recognizer(kind="CRYPTO", rule="bitcoin_bech32", validate=stdnum_check("bitcoin"),
               cues=("bc1",), pattern=_BECH32, bare=_BECH32, compact=lambda v: v),
    Recognizer(kind="CRYPTO", rule="ethereum", validate=_eth_ok, cues=("0x",), pattern=_ETH,
               bare=_ETH, compact=lambda v: v),
]
