"""The audit trail: `audit.record(actor=..., action=..., target=..., details=...)`.

The functions here import `audit.services` when called: Django imports this package
while it loads the apps, before any model (`audit.models`) may load.
"""


def record(*, actor, action, target=None, details=None):
    from audit.services import audit_record

    return audit_record(actor=actor, action=action, target=target, details=details)


def record_many(*, actor, action, items):
    """`record` for many (target, details) pairs by one actor, in one INSERT."""
    from audit.services import audit_records

    return audit_records(actor=actor, action=action, items=items)


def actor_of(actor) -> tuple[str, str]:
    """(actor type, actor id) as an audit event records `actor`."""
    from audit.services import actor_of

    return actor_of(actor)


def __getattr__(name):
    if name == "SYSTEM":
        from audit.services import SYSTEM

        return SYSTEM
    raise AttributeError(name)
