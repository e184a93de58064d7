"""Erasure: a subject's request carried out, one step per place, and verified.

    request pending --plan--> running --every step done--> verify --> done
                                 |  a step out of attempts --> failed (staff retry)
    step pending --claim--> running --ok--> done
                                |--error, attempts left--> pending (backoff + jitter)
                                '--error, out of attempts--> failed

Steps run phase by phase: first the destinations (each is told `subject.erased`
through the outbox and the step is done once that delivery is) and every catalog
entry but two; then the outbox itself (which carries those events until they are
sent); the subject row last, so the email, which include-email destinations get
at send time, leaves only when nothing needs it. Each step runs in its own
transaction with its result, so a step that committed is done, and one whose
worker died left nothing behind: running it again changes nothing more.

Nothing personal is logged, audited or kept in a step: only entry keys, field
names, counts and times. What verification looks for that the database will no
longer hold (the email) is kept encrypted on the request until then.
"""

from anonymizer.erasure.planning import erasure_plan, erasure_targets
from anonymizer.erasure.requests import NotFound, erasure_request_for, identifiers_of
from anonymizer.erasure.steps import (
    erasure_advance,
    erasure_retry,
    erasure_run,
    erasure_step_run,
    erasure_sweep,
)
from anonymizer.erasure.targets import StepError
from anonymizer.erasure.verification import erasure_verify
from anonymizer.services import erasure_open

__all__ = ["NotFound", "StepError", "erasure_advance", "erasure_open", "erasure_plan",
           "erasure_request_for", "erasure_retry", "erasure_run", "erasure_step_run",
           "erasure_sweep", "erasure_targets", "erasure_verify", "identifiers_of"]
