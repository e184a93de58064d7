"""Erasure is final: once a subject's erasure has begun, nothing writes to them again.

Every service that changes a subject calls `refuse_erased` inside its transaction;
the pages answer `SubjectErased` with the plain "Your data has been erased" page,
the API with 410. The mark (`Subject.erased_at`) is set when the erasure is planned,
so a change cannot slip in between the steps.
"""

from common.gone import Gone
from preferences.models import Subject


class SubjectErased(Gone):
    """The subject was erased (or is being erased): nothing is written."""

    code = "erased"

    def __init__(self):
        super().__init__("the subject was erased: nothing was changed")


def is_erased(subject_or_id) -> bool:
    """From the database, not a loaded row that may predate the erasure."""
    if isinstance(subject_or_id, Subject):
        return Subject.objects.filter(pk=subject_or_id.pk, erased_at__isnull=False).exists()
    return Subject.objects.filter(public_id=subject_or_id, erased_at__isnull=False).exists()


def refuse_erased(subject_or_id) -> None:
    if is_erased(subject_or_id):
        raise SubjectErased
