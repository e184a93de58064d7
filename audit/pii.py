"""The audit app in the PII catalog.

The audit trail is append-only evidence: it is catalogued with no erasable field
so erasure leaves it alone and `pii_audit` still samples it (its details must
carry opaque ids only, and anything detected there is reported).
"""

from anonymizer.catalog import not_pii, register
from audit.models import AuditEvent, ChainHead

register(
    AuditEvent, subject=None, fields=[],
    description="Append-only, hash-chained record of what happened; names subjects, "
                "keys and staff by opaque id only, so it outlives erasure.",
)

not_pii(ChainHead, reason="the last sequence number and hash of the audit chain")
