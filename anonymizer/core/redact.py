"""Replace what `detect` finds: `redact(text, policy=None, *, key=None, vault=None)`.

Without a policy each finding becomes its label (`[EMAIL]`). A policy maps a kind
(or "*" for every other kind) to a transform name from
`anonymizer.core.transforms` ("mask", "pseudonymise", ...) or to a
callable(value, kind) -> str.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .detect import Span, spans
from .findings import Finding

Policy = Mapping[str, "str | Callable[[str, str], Any]"]
Replace = Callable[[str, str], Any]


def label(value: str, kind: str) -> str:
    return f"[{kind}]"


def no_policy(kind: str) -> Replace:
    """The replacer of every kind when there is no policy: its label."""
    return label


def _transforms():
    from . import transforms

    return transforms


def resolve_policy(policy: Policy | None, *, key: bytes | None = None,
                   vault: Any = None) -> Callable[[str], Replace]:
    """Check a policy once and return kind -> replace(value, kind).

    Raises ValueError for an unknown transform name, so a bad policy fails
    before any text is touched.
    """
    if not policy:
        return no_policy
    table: dict[str, Replace] = {}
    for kind, how in policy.items():
        name = str(kind).upper() if kind != "*" else "*"
        table[name] = _replacer(how, key=key, vault=vault)
    default = table.get("*", label)
    return lambda kind: table.get(kind, default)


def _replacer(how: Any, *, key: bytes | None, vault: Any) -> Replace:
    if callable(how):
        return how
    if not isinstance(how, str):
        raise ValueError(f"a policy maps a kind to a transform name or a callable, not {how!r}")
    if how == "redact":
        return label
    transforms = _transforms()
    if how not in transforms.TRANSFORMS:
        known = ", ".join(sorted(transforms.TRANSFORMS))
        raise ValueError(f"unknown transform {how!r} (known: {known})")
    apply = transforms.apply

    def replace(value: str, kind: str) -> Any:
        try:
            return apply(how, value, kind=kind, key=key, vault=vault)
        except (ValueError, TypeError):
            # A transform that cannot handle this value (generalize of an EMAIL, a
            # pseudonymise without key) must not let it through: fall back to the label.
            return label(value, kind)

    return replace


def is_delete(result: Any) -> bool:
    """True for the transforms' DELETE sentinel (without importing them needlessly)."""
    if result is None or isinstance(result, str):
        return False
    return result is getattr(_transforms(), "DELETE", object())


def redact(text: str, policy: Policy | None = None, *, key: bytes | None = None,
           vault: Any = None, findings: list[Finding] | None = None) -> str:
    """`text` with every finding replaced; a transform giving None or DELETE removes it."""
    if not text:
        return text
    if findings is None:
        found = spans(text)
    else:
        found = [(f.start, f.end, f.kind, f.rule) for f in findings]
    if not found:
        return text
    replacer_for = resolve_policy(policy, key=key, vault=vault)
    return apply_findings(text, found, replacer_for)


def apply_findings(text: str, found: list[Span], replacer_for: Callable[[str], Replace]) -> str:
    """`text` with each (start, end, kind, rule) span replaced, in order."""
    parts: list[str] = []
    last = 0
    for start, end, kind, _ in found:
        parts.append(text[last:start])
        if replacer_for is no_policy:
            parts.append(f"[{kind}]")
        else:
            result = replacer_for(kind)(text[start:end], kind)
            if result is not None and not is_delete(result):
                parts.append(str(result))
        last = end
    parts.append(text[last:])
    return "".join(parts)
