"""A batch of parsed rows written set-based on PostgreSQL: a handful of statements per
batch (`unnest` of arrays), whatever its size.

Each function runs inside the caller's transaction (the batch and its checkpoint
commit together) and returns what it changed, so the caller can count, audit and
tell the destinations. A row equal to what Hush holds writes nothing: importing a
file twice changes nothing the second time.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from common.crypto import email_digests, encrypt
from preferences.imports.rows import SubjectRecord, SuppressionRecord, keyed, provider_digests
from preferences.models import ConsentEvent, ImportProblem, Source, Suppression

Reason = ImportProblem.Reason
UNSUBSCRIBED_ALL = Suppression.Reason.UNSUBSCRIBED_ALL.value
IMPORT = Source.IMPORT.value


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    listened: bool = True  # whether to collect `changes` (a destination is enabled)
    # (subject id, public id, external id, topic id or None, event type, data) to tell
    changes: list[tuple] = field(default_factory=list)
    new_emails: list[tuple[int, str]] = field(default_factory=list)  # (subject id, email)


def _fetch(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


# Temporary tables the batch's rows are COPYed into (COPY is the fast way in; the
# INSERT ... SELECT and joins from them then run inside PostgreSQL), emptied at commit.
_STAGES = {
    "h_import_keys": "line int, d text, x text",
    "h_import_new": "line int, e text, d text, x text, l text, c text",
    "h_import_upd": "id bigint, e text, d text, l text, c text",
    "h_import_ids": "id bigint",
    "h_import_sub": "s bigint, t bigint, st text, at timestamptz",
    "h_import_digest": "d text, r text, at timestamptz",
}


def _stage(name: str, rows) -> None:
    """Empty the staging table `name` and COPY `rows` into it."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({_STAGES[name]}) "
                       "ON COMMIT DELETE ROWS")
        cursor.execute(f"TRUNCATE {name}")
        _copy(cursor, f"COPY {name} FROM STDIN", rows)


def _copy(cursor, sql: str, rows) -> None:
    with cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


_EXISTING = ("SELECT s.id, s.public_id, s.email_digest, s.external_id, s.locale, s.country "
             "FROM preferences_subject s JOIN h_import_keys k ")


def subjects_write(records: list[SubjectRecord], *, topic_ids: dict[str, int],
                   now: datetime, listened: bool = True) -> Written:
    """Create or update the batch's subjects and their subscriptions.

    A subscription changes only when the file's status differs and the file is not
    older: where the file gives a time, a change made in Hush after it stands; where it
    gives none, an import never turns an opt-out back into a subscription.
    """
    out = Written(listened=listened)
    digests = email_digests([r.email for r in records if r.email])
    digest_of, position = {}, 0
    for r in records:
        if r.email:
            digest_of[r.line] = digests[position]
            position += 1
    _stage("h_import_keys", ((r.line, digest_of.get(r.line), r.external_id) for r in records))
    existing = _fetch(_EXISTING + "ON s.email_digest = k.d FOR UPDATE OF s")
    if any(r.external_id for r in records):
        existing += _fetch(_EXISTING + "ON s.external_id = k.x FOR UPDATE OF s")
    by_digest = {row[2]: row for row in existing if row[2]}
    by_external = {row[3]: row for row in existing if row[3]}
    seen: dict[object, SubjectRecord] = {}
    plan = []  # (record, digest, existing row or None)
    for r in records:
        digest = digest_of.get(r.line)
        a, b = by_digest.get(digest), by_external.get(r.external_id)
        if a and b and a[0] != b[0]:
            out.problems.append((r.line, Reason.CONFLICTING_IDS))
            continue
        key = digest or ("x", r.external_id)
        earlier = seen.get(key)
        if earlier is not None:
            if any(earlier.statuses.get(s, v) != v for s, v in r.statuses.items()):
                out.problems.append((r.line, Reason.CONFLICTING_STATUS))
            else:
                out.unchanged += 1
            continue
        seen[key] = r
        plan.append((r, digest, a or b))
    new = [(r, d) for r, d, row in plan if row is None]
    created = {}
    if new:
        _stage("h_import_new", ((r.line, encrypt(r.email) if r.email else None, d,
                                 r.external_id, r.locale or "", r.country or "")
                                for r, d in new))
        rows = _fetch(
            "INSERT INTO preferences_subject (public_id, email, email_digest, external_id, "
            "locale, country, unsubscribed_all, created_at, updated_at) "
            "SELECT gen_random_uuid(), e, d, x, l, c, false, %s, %s FROM h_import_new "
            "ORDER BY line ON CONFLICT DO NOTHING "
            "RETURNING id, public_id, email_digest, external_id", [now, now])
        for row in rows:
            created[row[2] or ("x", row[3])] = row
    subject_of = {}  # line -> (id, public id, external id, created)
    updates = []
    for r, digest, row in plan:
        if row is None:
            row = created.get(digest or ("x", r.external_id))
            if row is None:  # created concurrently since our SELECT: a rerun finds it
                out.problems.append((r.line, Reason.CONFLICTING_IDS))
                continue
            subject_of[r.line] = (row[0], row[1], row[3], True)
            if r.email:
                out.new_emails.append((row[0], r.email))
            continue
        subject_of[r.line] = (row[0], row[1], row[3], False)
        email_changes = bool(digest) and row[2] != digest
        if email_changes or (r.locale is not None and r.locale != row[4]) or (
                r.country is not None and r.country != row[5]):
            updates.append((row[0], encrypt(r.email) if email_changes else None,
                            digest if email_changes else None, r.locale, r.country))
            if email_changes:
                out.new_emails.append((row[0], r.email))
    if updates:
        _stage("h_import_upd", updates)
        _fetch("UPDATE preferences_subject s SET email = coalesce(v.e, s.email), "
               "email_digest = coalesce(v.d, s.email_digest), locale = coalesce(v.l, s.locale), "
               "country = coalesce(v.c, s.country), updated_at = %s "
               "FROM h_import_upd v WHERE s.id = v.id", [now])
    changed_subjects = {u[0] for u in updates}
    changed_subjects |= _subscriptions_write(plan, subject_of, topic_ids, now, out)
    for r, _, _ in plan:
        if r.line not in subject_of:
            continue
        sid, _, _, was_created = subject_of[r.line]
        if was_created:
            out.created += 1
        elif sid in changed_subjects:
            out.updated += 1
        else:
            out.unchanged += 1
    return out


def _subscriptions_write(plan, subject_of, topic_ids, now, out: Written) -> set[int]:
    wanted = {}  # (subject id, topic id) -> (status, time, public id, external id)
    for r, _, _ in plan:
        if r.line not in subject_of or not r.statuses:
            continue
        sid, public_id, external_id, _ = subject_of[r.line]
        for slug, status in r.statuses.items():
            wanted[(sid, topic_ids[slug])] = (status, r.at, public_id, external_id)
    if not wanted:
        return set()
    created_ids = {v[0] for v in subject_of.values() if v[3]}
    old_ids = list({sid for (sid, _) in wanted if sid not in created_ids})
    current = {}
    if old_ids:
        _stage("h_import_ids", ((sid,) for sid in old_ids))
        current = {(row[0], row[1]): (row[2], row[3]) for row in _fetch(
            "SELECT subject_id, topic_id, status, extract(epoch FROM updated_at)::float8 "
            "FROM preferences_subscription "
            "WHERE subject_id IN (SELECT id FROM h_import_ids) FOR UPDATE")}
    fresh, upserts = [], []  # (subject, topic, status, time, old status)
    missing = ("", None)
    for (sid, tid), (status, at, public_id, external_id) in wanted.items():
        old_status, old_at = current.get((sid, tid), missing)
        if old_status == status or (old_status == "paused" and status == "subscribed"):
            continue
        if old_at is not None and ((at is None and old_status == "unsubscribed")
                                   or (at is not None and old_at > at.timestamp())):
            continue  # Hush knows of a later change, or an opt-out the file cannot undo
        old = old_status or "none"
        (fresh if sid in created_ids else upserts).append((sid, tid, status, at or now, old))
        if out.listened:
            out.changes.append((sid, public_id, external_id, tid, "subscription.changed",
                                {"old": old, "new": status, "source": IMPORT}))
    with connection.cursor() as cursor:
        if fresh:  # subjects created in this transaction: nothing to conflict with
            _copy(cursor, "COPY preferences_subscription (subject_id, topic_id, status, "
                  "updated_at) FROM STDIN", (w[:4] for w in fresh))
        if upserts:
            _stage("h_import_sub", (w[:4] for w in upserts))
            cursor.execute(
                "INSERT INTO preferences_subscription (subject_id, topic_id, status, updated_at) "
                "SELECT s, t, st, at FROM h_import_sub ON CONFLICT (subject_id, topic_id) DO "
                "UPDATE SET status = EXCLUDED.status, paused_until = NULL, "
                "updated_at = EXCLUDED.updated_at")
    writes = fresh + upserts
    _events_insert([(sid, tid, old, status, at) for sid, tid, status, at, old in writes],
                   ConsentEvent.Kind.SUBSCRIPTION.value)
    return {w[0] for w in writes}


def _events_insert(rows, kind: str) -> None:
    """ConsentEvents for (subject id, topic id or None, old, new, time) rows, by COPY."""
    if not rows:
        return
    source = IMPORT
    with connection.cursor() as cursor:
        _copy(cursor, "COPY preferences_consentevent (subject_id, topic_id, kind, old_status, "
              "new_status, source, occurred_at) FROM STDIN",
              ((s, t, kind, old, new, source, at) for s, t, old, new, at in rows))


def suppressions_write(records: list[SuppressionRecord], *, now: datetime) -> Written:
    """Put the batch's addresses on the suppression list (by keyed digest) and its
    provider hashes on the digest list; a reason only ever hardens, as in
    `suppressions_add`. A known subject gets a ConsentEvent (kind `suppressed`, source
    `import`), and one suppressed for an unsubscribe is unsubscribed from everything,
    which the person may lift again like their own."""
    out = Written()
    by_email = [r for r in records if r.email]
    digests = email_digests([r.email for r in by_email])
    wanted: dict[str, tuple[str, datetime | None]] = {}
    for r, digest in zip(by_email, digests, strict=True):
        if digest in wanted:
            out.unchanged += 1
            continue
        wanted[digest] = (r.reason, r.at)
    changed = _suppressions_merge(wanted, now, out)
    _suppressed_subjects(changed, now, out)
    hashed = {}
    for r in records:
        if r.provider_digest:
            key = keyed(r.provider_digest)
            if key in hashed:
                out.unchanged += 1
            hashed.setdefault(key, (r.reason, r.at))
    if hashed:
        _stage("h_import_digest", ((k, reason, at or now) for k, (reason, at) in hashed.items()))
        inserted = _fetch(
            "INSERT INTO preferences_digestsuppression (keyed_digest, reason, created_at) "
            "SELECT d, r, at FROM h_import_digest ON CONFLICT (keyed_digest) DO NOTHING "
            "RETURNING keyed_digest")
        out.created += len(inserted)
        out.unchanged += len(hashed) - len(inserted)
    return out


def _suppressions_merge(wanted, now, out: Written) -> dict[str, tuple[str, str]]:
    """Insert or harden; returns digest -> (old reason or "", new reason) for changes."""
    if not wanted:
        return {}
    _stage("h_import_digest", ((d, reason, at or now) for d, (reason, at) in wanted.items()))
    current = dict(_fetch("SELECT s.email_digest, s.reason FROM preferences_suppression s "
                          "JOIN h_import_digest v ON s.email_digest = v.d FOR UPDATE OF s"))
    changed = {}
    if len(current) < len(wanted):
        for (digest,) in _fetch(
                "INSERT INTO preferences_suppression (email_digest, reason, created_at) "
                "SELECT d, r, at FROM h_import_digest ON CONFLICT (email_digest) DO NOTHING "
                "RETURNING email_digest"):
            changed[digest] = ("", wanted[digest][0])
    hardened = [d for d, reason in current.items()
                if reason == UNSUBSCRIBED_ALL and wanted[d][0] != UNSUBSCRIBED_ALL]
    if hardened:
        _fetch("UPDATE preferences_suppression s SET reason = v.r FROM h_import_digest v "
               "WHERE s.email_digest = v.d AND s.reason = %s AND v.r <> %s",
               [UNSUBSCRIBED_ALL, UNSUBSCRIBED_ALL])
        changed.update({d: (UNSUBSCRIBED_ALL, wanted[d][0]) for d in hardened})
    out.created += sum(1 for old, _ in changed.values() if not old)
    out.updated += len(hardened)
    out.unchanged += len(wanted) - len(changed)
    return changed


def _suppressed_subjects(changed: dict[str, tuple[str, str]], now, out: Written) -> None:
    if not changed:
        return
    _stage("h_import_digest", ((d, new, now) for d, (_, new) in changed.items()))
    subjects = _fetch("SELECT s.id, s.public_id, s.external_id, s.email_digest, "
                      "s.unsubscribed_all FROM preferences_subject s JOIN h_import_digest v "
                      "ON s.email_digest = v.d FOR UPDATE OF s")
    if not subjects:
        return
    opted_out = [(s[0],) for s in subjects
                 if changed[s[3]][1] == UNSUBSCRIBED_ALL and not s[4]]
    if opted_out:
        _stage("h_import_ids", opted_out)
        _fetch("UPDATE preferences_subject SET unsubscribed_all = true, updated_at = %s "
               "WHERE id IN (SELECT id FROM h_import_ids)", [now])
    _events_insert([(s[0], None, changed[s[3]][0], changed[s[3]][1], now) for s in subjects],
                   ConsentEvent.Kind.SUPPRESSED.value)
    for s in subjects:
        old, new = changed[s[3]]
        out.changes.append((s[0], s[1], s[2], None, "subject.suppressed",
                            {"old": old, "new": new, "source": IMPORT}))


def suppressions_by_digest_write(pairs: list[tuple[str, str]], now, out: Written) -> None:
    """Suppress by address what the digest list matched ((email digest, reason) pairs)."""
    wanted = {digest: (reason, None) for digest, reason in pairs}
    changed = _suppressions_merge(wanted, now, Written())
    _suppressed_subjects(changed, now, out)


def digest_matches(emails: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """For (subject id, email) pairs, the (email digest, reason) of each address the
    digest list holds by its provider hash: what must now be suppressed by address."""
    if not emails:
        return []
    digest_for = {}
    plain = email_digests([email for _, email in emails])
    for (_, email), digest in zip(emails, plain, strict=True):
        for key in provider_digests(email):
            digest_for[key] = digest
    _stage("h_import_keys", ((0, key, None) for key in digest_for))
    return [(digest_for[key], reason) for key, reason in _fetch(
        "SELECT s.keyed_digest, s.reason FROM preferences_digestsuppression s "
        "JOIN h_import_keys k ON s.keyed_digest = k.d")]
