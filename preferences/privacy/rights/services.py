"""Writes of rights requests: open, verify (code or single-use link), carry out, decide,
extend, expire. Each change one transaction with its audit event (opaque ids only)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

import audit
from anonymizer.services import erasure_deny, erasure_open, erasure_release, phantom_id
from common.crypto import email_digest, normalise_email
from common.tasks import task_send_on_commit
from preferences.erased import SubjectErased
from preferences.models import RightsRequest, Source, Subject
from preferences.privacy import exports, jurisdictions
from preferences.privacy.services import purposes_all_off

Kind, State = RightsRequest.Kind, RightsRequest.State
LINK_SALT = "hush.rights.v1"


class VerificationFailed(Exception):
    """The code or link does not verify the request; `reason` says why, without
    telling anything about the address: wrong, expired, used, too_many."""

    def __init__(self, reason: str, *, tries_left: int | None = None):
        super().__init__(reason)
        self.reason, self.tries_left = reason, tries_left


class NotDecidable(Exception):
    """The request is not in a state this decision applies to."""


def reviewed(kind: str) -> bool:
    """Whether this kind waits for a privacy officer after verification (the operator's
    choice, HUSH_RIGHTS_REVIEWED)."""
    return kind in settings.HUSH_RIGHTS_REVIEWED


# --- opening and verifying ---------------------------------------------------------

def rights_request_open(*, kind: str, email: str, source: str, method: str = "code",
                        language: str = "", new_email: str = "",
                        subject: Subject | None = None, agent_name: str = "",
                        agent_declaration: str = "") -> RightsRequest:
    """Record a request and email the code or link (in a task, after commit).

    Nothing here depends on whether the address is known: the lookup comes after
    verification, so the answer (and its timing) is the same for anyone.
    """
    if kind not in Kind.values or method not in RightsRequest.Method.values:
        raise ValueError("unknown kind or method")
    email = normalise_email(email)
    with transaction.atomic():
        request = RightsRequest.objects.create(
            kind=kind, source=source, method=method, email=email,
            email_digest=email_digest(email), language=language,
            new_email=normalise_email(new_email) if new_email else None,
            subject_public_id=subject.public_id if subject is not None else None,
            agent_name=agent_name, agent_declaration=agent_declaration)
        audit.record(actor=audit.SYSTEM, action="rights.requested", target=request,
                     details={"kind": kind, "source": source, "method": method,
                              "agent": bool(agent_name)})
        task_send_on_commit("preferences.rights_verification_send", request_id=request.pk)
    return request


def _code_digest(request: RightsRequest, code: str) -> str:
    return hmac.new(settings.HUSH_DIGEST_KEY.encode(),
                    f"rights-code:{request.key.hex}:{code}".encode(), hashlib.sha256).hexdigest()


def make_link_token(request: RightsRequest) -> str:
    return signing.dumps([request.key.hex, request.link_nonce], salt=LINK_SALT)


def rights_verification_issue(*, request_id: int) -> tuple[RightsRequest, str] | None:
    """A fresh code (6 digits) and single-use link for a request still unverified:
    only their digest and nonce are stored. Returns (request, code) for the mail."""
    with transaction.atomic():
        request = RightsRequest.objects.select_for_update().filter(
            pk=request_id, state=State.AWAITING_VERIFICATION).first()
        if request is None or not request.email:
            return None
        code = f"{secrets.randbelow(10**6):06d}"
        request.code_digest = _code_digest(request, code)
        request.code_sent_at, request.code_attempts = timezone.now(), 0
        request.link_nonce = secrets.token_hex(16)
        request.save(update_fields=["code_digest", "code_sent_at", "code_attempts",
                                    "link_nonce"])
    return request, code


def rights_verify_code(*, key: uuid.UUID, code: str) -> RightsRequest:
    """Check an entered code: 6 digits, HUSH_RIGHTS_CODE_MAX_AGE, HUSH_RIGHTS_CODE_TRIES.
    A wrong code costs a try (committed even though it raises)."""
    failure = None
    with transaction.atomic():
        request = RightsRequest.objects.select_for_update().filter(key=key).first()
        if request is None or request.state != State.AWAITING_VERIFICATION:
            raise VerificationFailed("used")
        if not request.code_digest or request.code_sent_at is None:
            raise VerificationFailed("expired")
        if timezone.now() > request.code_sent_at + timedelta(
                seconds=settings.HUSH_RIGHTS_CODE_MAX_AGE):
            raise VerificationFailed("expired")
        tries = settings.HUSH_RIGHTS_CODE_TRIES
        if request.code_attempts >= tries:
            raise VerificationFailed("too_many", tries_left=0)
        wanted = _code_digest(request, (code or "").strip())
        if not hmac.compare_digest(wanted, request.code_digest):
            request.code_attempts += 1
            if request.code_attempts >= tries:
                request.code_digest = ""  # spent: a new code must be asked for
            request.save(update_fields=["code_attempts", "code_digest"])
            audit.record(actor=audit.SYSTEM, action="rights.code_wrong", target=request,
                         details={"attempts": request.code_attempts})
            left = tries - request.code_attempts
            failure = VerificationFailed("wrong" if left else "too_many", tries_left=left)
        else:
            _verified(request, method="code")
    if failure is not None:
        raise failure
    return request


def rights_verify_link(*, token: str) -> RightsRequest:
    """The emailed link: signed, HUSH_RIGHTS_LINK_MAX_AGE, works once."""
    if not isinstance(token, str) or len(token) > 512:
        raise VerificationFailed("used")
    try:
        key_hex, nonce = signing.loads(token, salt=LINK_SALT,
                                       max_age=settings.HUSH_RIGHTS_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise VerificationFailed("expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise VerificationFailed("used") from None
    try:
        key = uuid.UUID(hex=key_hex)
    except (ValueError, TypeError, AttributeError):
        raise VerificationFailed("used") from None
    with transaction.atomic():
        request = RightsRequest.objects.select_for_update().filter(key=key).first()
        if (request is None or request.state != State.AWAITING_VERIFICATION
                or not request.link_nonce or not isinstance(nonce, str)
                or not hmac.compare_digest(nonce, request.link_nonce)):
            raise VerificationFailed("used")
        _verified(request, method="link")
    return request


def _subject_of(request: RightsRequest) -> Subject | None:
    if request.subject_public_id is not None:
        return Subject.objects.filter(public_id=request.subject_public_id).first()
    return Subject.objects.filter(email_digest=request.email_digest).first()


def _verified(request: RightsRequest, *, method: str) -> None:
    """Confirmed from the address: now the address-dependent work. Runs in the caller's
    transaction, with the request locked."""
    now = timezone.now()
    subject = _subject_of(request)
    if subject is not None and subject.erased_at is not None:
        subject = None  # erased already: there is nothing left to see, erase or change
    request.subject_public_id = subject.public_id if subject is not None else None
    request.verified_at, request.code_digest, request.link_nonce = now, "", ""
    request.law = jurisdictions.law(subject.country if subject is not None else None)
    request.due_at = jurisdictions.due_date(request.law, now)
    request.state = State.AWAITING_REVIEW if reviewed(request.kind) else State.RUNNING
    request.save()
    audit.record(actor=audit.SYSTEM, action="rights.verified", target=request,
                 details={"kind": request.kind, "method": method, "law": request.law,
                          "state": request.state})
    if request.kind == Kind.ERASURE and request.state == State.AWAITING_REVIEW:
        erasure = _open_erasure(request, reviewed=True)
        request.erasure_key = erasure.key
        request.save(update_fields=["erasure_key"])
    if request.state == State.RUNNING:
        _carry_out(request, actor=audit.SYSTEM)


# --- carrying out -------------------------------------------------------------------

def _open_erasure(request: RightsRequest, *, reviewed: bool):
    """Under the subject's id, or for an address Hush does not know under a stable
    opaque one: it runs like any other, and its digest joins the suppression list."""
    common = {"source": "privacy_request", "actor": audit.SYSTEM,
              "reviewed": reviewed}
    if request.subject_public_id is not None:
        return erasure_open(public_id=request.subject_public_id, **common)
    return erasure_open(public_id=phantom_id("email", request.email),
                        identifiers={"email": request.email}, **common)


def _carry_out(request: RightsRequest, *, actor) -> None:
    """Do what was asked (in the caller's transaction), mark it done and email the
    outcome after commit. A subject who is not known gets an honest answer: the
    verified owner of the address may learn that Hush holds nothing on it."""
    subject = _subject_of(request) if request.subject_public_id else None
    outcome = "nothing_held" if subject is None else "done"
    try:
        if request.kind == Kind.ACCESS and subject is not None:
            exports.export_request(subject=subject, source=Source.PRIVACY_REQUEST,
                                   actor=subject)
            outcome = "export"
        elif request.kind == Kind.ERASURE:
            if request.erasure_key:
                erasure_release(key=request.erasure_key, actor=actor)
            else:
                request.erasure_key = _open_erasure(request, reviewed=False).key
            outcome = "erasure"
        elif request.kind == Kind.OPT_OUT_SALE and subject is not None:
            purposes_all_off(subject=subject, source=Source.PRIVACY_REQUEST, actor=subject,
                             only_sale_or_sharing=True)
        elif request.kind == Kind.CORRECTION and subject is not None:
            outcome = _correct_email(subject, request)
    except SubjectErased:
        outcome = "nothing_held"
    request.state, request.finished_at = State.DONE, timezone.now()
    request.save(update_fields=["state", "finished_at", "erasure_key"])
    audit.record(actor=actor, action="rights.done", target=request,
                 details={"kind": request.kind, "outcome": outcome})
    task_send_on_commit("preferences.rights_outcome_send", request_id=request.pk,
                        outcome=outcome)


def _correct_email(subject: Subject, request: RightsRequest) -> str:
    new = request.new_email
    digest = email_digest(new)
    if Subject.objects.filter(email_digest=digest).exclude(pk=subject.pk).exists():
        return "address_taken"
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if subject.erased_at is not None:
        raise SubjectErased
    subject.email, subject.email_digest = new, digest
    subject.save(update_fields=["email", "email_digest", "updated_at"])
    audit.record(actor=subject, action="subject.email_corrected", target=subject,
                 details={"request": str(request.key)})
    return "corrected"


# --- staff decisions ----------------------------------------------------------------

def _for_decision(key) -> RightsRequest:
    request = RightsRequest.objects.select_for_update().filter(key=key).first()
    if request is None or request.state != State.AWAITING_REVIEW:
        raise NotDecidable
    return request


def rights_request_approve(*, key: uuid.UUID, actor) -> RightsRequest:
    """A privacy officer approves: the request runs now."""
    _, by_id = audit.actor_of(actor)
    with transaction.atomic():
        request = _for_decision(key)
        request.state, request.decided_at, request.decided_by = (
            State.RUNNING, timezone.now(), by_id)
        request.save(update_fields=["state", "decided_at", "decided_by"])
        audit.record(actor=actor, action="rights.approved", target=request,
                     details={"kind": request.kind})
        _carry_out(request, actor=actor)
    return request


def rights_request_deny(*, key: uuid.UUID, actor, reason: str, text: str = "") -> RightsRequest:
    """A privacy officer denies, with a reason from the list (and text for `other`),
    which is emailed to the person. Nothing is erased, exported or changed."""
    if reason not in RightsRequest.DenialReason.values:
        raise ValueError("choose a reason from the list")
    text = (text or "").strip()
    if reason == RightsRequest.DenialReason.OTHER and not text:
        raise ValueError("say why, for another reason")
    _, by_id = audit.actor_of(actor)
    with transaction.atomic():
        request = _for_decision(key)
        now = timezone.now()
        request.state, request.decided_at, request.decided_by = State.DENIED, now, by_id
        request.denial_reason, request.denial_text, request.finished_at = reason, text, now
        request.save()
        if request.erasure_key:
            erasure_deny(key=request.erasure_key, actor=actor, reason=reason)
        # The reason code only: the free text may name someone.
        audit.record(actor=actor, action="rights.denied", target=request,
                     details={"kind": request.kind, "reason": reason})
        task_send_on_commit("preferences.rights_outcome_send", request_id=request.pk,
                            outcome="denied")
    return request


def rights_request_extend(*, key: uuid.UUID, actor, reason: str) -> RightsRequest:
    """Once, with a reason: GDPR by two further months, CCPA by 45 days."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("say why the request needs more time")
    with transaction.atomic():
        request = RightsRequest.objects.select_for_update().filter(key=key).first()
        if (request is None or request.due_at is None or request.extended_at is not None
                or request.state not in (State.AWAITING_REVIEW, State.RUNNING)):
            raise NotDecidable
        old = request.due_at
        request.due_at = jurisdictions.extended_due_date(request.law, old)
        request.extended_at, request.extension_reason = timezone.now(), reason
        request.save(update_fields=["due_at", "extended_at", "extension_reason"])
        audit.record(actor=actor, action="rights.extended", target=request,
                     details={"kind": request.kind, "law": request.law,
                              "old_due": old.isoformat(), "due": request.due_at.isoformat()})
    return request


# --- the end of a request's data ------------------------------------------------------

def rights_request_forget(*, request_id: int) -> None:
    """The address leaves once the outcome is sent: the row keeps only its opaque facts."""
    RightsRequest.objects.filter(pk=request_id).exclude(
        state=State.AWAITING_VERIFICATION).update(email=None, new_email=None)


def rights_requests_expire(*, now=None) -> int:
    """Delete requests never verified within their window (the beat task's body)."""
    window = max(settings.HUSH_RIGHTS_CODE_MAX_AGE, settings.HUSH_RIGHTS_LINK_MAX_AGE)
    cutoff = (now or timezone.now()) - timedelta(seconds=window)
    expired = 0
    stale = RightsRequest.objects.filter(state=State.AWAITING_VERIFICATION,
                                         created_at__lt=cutoff)
    for request in stale.only("pk", "key", "kind"):
        with transaction.atomic():
            if RightsRequest.objects.filter(pk=request.pk, state=State.AWAITING_VERIFICATION,
                                            created_at__lt=cutoff).delete()[0]:
                audit.record(actor=audit.SYSTEM, action="rights.expired",
                             details={"request": str(request.key), "kind": request.kind})
                expired += 1
    return expired
