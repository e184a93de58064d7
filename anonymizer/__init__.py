"""Hush's anonymizer.

`detect`, `redact`, `scrub_event` and `Finding` come from `anonymizer.core`
(pure Python, no Django); they are imported on first use so that loading the
Django app stays cheap.
"""

__all__ = ["Finding", "detect", "redact", "scrub_event"]

_EXPORTS = {
    "Finding": ("anonymizer.core.findings", "Finding"),
    "detect": ("anonymizer.core.detect", "detect"),
    "redact": ("anonymizer.core.redact", "redact"),
    "scrub_event": ("anonymizer.core.events", "scrub_event"),
}


def __getattr__(name):
    try:
        module_name, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'anonymizer' has no attribute {name!r}") from None
    from importlib import import_module

    value = getattr(import_module(module_name), attr)
    globals()[name] = value
    return value
