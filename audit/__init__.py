"""The audit trail: `audit.record(actor=..., action=..., target=..., details=...)`."""


def record(*, actor, action, target=None, details=None):
    from audit.services import audit_record

    return audit_record(actor=actor, action=action, target=target, details=details)


def __getattr__(name):
    if name == "SYSTEM":
        from audit.services import SYSTEM

        return SYSTEM
    raise AttributeError(name)
