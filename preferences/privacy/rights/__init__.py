"""Rights requests: anyone asks on `/privacy/` (or from the preference center) for
access, erasure, correction of their email or an opt-out of sale and sharing; nothing
happens until they confirm from the address the request names; then it runs, or
waits for a privacy officer, with a due date from their jurisdiction.

    awaiting_verification --code or link--> awaiting_review --approve--> running -> done
             |                                   |  '--deny (reason emailed)--> denied
             '--window ends: deleted             '--(kind not reviewed)--> running -> done
"""
