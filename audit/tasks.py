"""Thin tasks of the audit trail: the sealer, run by beat."""

from audit import services
from common.tasks import pinned_task


@pinned_task("audit.chain_seal", formerly=("audit.tasks.seal_audit_trail",), ignore_result=True)
def chain_seal() -> int:
    return services.chain_seal()
