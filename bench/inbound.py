"""Opt-outs by mail and from email providers: throughput and receipt-to-"not allowed".

    .venv/bin/python -m bench.inbound [--turns 3] [--messages 1000] [--batches 5] [--seed]

Three ways in, each against the production-like bench environment (PostgreSQL, a
Redis broker, gunicorn, a real Celery worker; `bench/harness.py`):

- the SMTP listener (`manage.py inbound_smtp`, a separate process, 4 database threads):
  `--messages` mailto unsubscribes (a valid one-click token in the subject) sent by
  8 smtplib clients over persistent connections, in alternating turns with the anchor,
  the same number of one-click POSTs to gunicorn (2 sync workers) from 8 clients;
  latency is send to 250, which comes only after the change committed, so a consent
  check at that moment answers "not allowed" (checked for every 20th message at once,
  and for all of them after the turn);
- the pipe command (`manage.py inbound_mail`, one process per message, as an MTA's pipe
  runs it, 2 at a time), against the anchor of starting Django and exiting;
- SendGrid's Event Webhook: `--batches` signed batches of 1,000 hard bounces POSTed to
  gunicorn; the batch is recorded and answered, then applied by the worker (prefork, 2
  processes). A poller asks the consent check (the selector, every 20 ms) which of the
  batch's recipients are still allowed: each event's latency is from the POST to the
  first check that no longer allows its recipient. Target (the issue): p99 under 1 s.

Every run is bounded in count and time; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from bench import harness

ADDRESS = "unsubscribe@mail.example.com"
CLIENTS = 8
TARGET_P99_S = 1.0


def _sendgrid_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, base64.b64encode(public).decode()


def _mailto(token: str) -> bytes:
    from email.message import EmailMessage
    from email.utils import make_msgid

    message = EmailMessage()
    message["From"], message["To"] = "reader@example.org", ADDRESS
    message["Subject"], message["Message-ID"] = f"unsubscribe {token}", make_msgid()
    message.set_content("This message was sent to unsubscribe.\n")
    return message.as_bytes()


class Tokens:
    """Fresh (subject, topic) tokens from the harness's list: every turn its own."""

    def __init__(self):
        self.lines = (harness.STATE / "tokens.txt").read_text().splitlines()
        self.used = int((harness.STATE / "inbound-used.txt").read_text()) \
            if (harness.STATE / "inbound-used.txt").exists() else 0

    def addresses(self, n: int) -> list[str]:
        """Subjects' addresses no earlier run bounced (past the consent check's 10,000)."""
        path = harness.STATE / "inbound-bounced.txt"
        first = int(path.read_text()) if path.exists() else harness.CHECK_SUBJECTS
        if first + n > harness.SUBJECTS:
            raise SystemExit("the bench database ran out of unbounced addresses: rerun with "
                             "--seed")
        path.write_text(str(first + n))
        return [f"bench-{i}@example.com" for i in range(first, first + n)]

    def take(self, n: int) -> list[str]:
        if self.used + n > len(self.lines):
            raise SystemExit("the bench database ran out of fresh tokens: rerun with --seed")
        taken = self.lines[self.used:self.used + n]
        self.used += n
        (harness.STATE / "inbound-used.txt").write_text(str(self.used))
        return taken


def _not_allowed(token: str) -> bool:
    from preferences import selectors
    from preferences.models import Topic
    from preferences.tokens import read_unsubscribe_token

    claim = read_unsubscribe_token(token)
    topic = Topic.objects.get(slug=claim.topic_slug)
    return selectors.consent_allowed(topic=topic, recipients=[str(claim.subject_id)]) == []


def _spread(items: list, n: int) -> list[list]:
    return [items[i::n] for i in range(n)]


def smtp_turn(port: int, tokens: list[str]) -> dict:
    latencies, checked, failures = [], [], []
    lock = threading.Lock()

    def client(share):
        mine = []
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for i, token in enumerate(share):
                raw = _mailto(token)
                t0 = time.perf_counter()
                try:
                    smtp.sendmail("reader@example.org", [ADDRESS], raw)
                except smtplib.SMTPException as failure:
                    failures.append(str(failure)[:80])
                    continue
                mine.append(time.perf_counter() - t0)
                if i % 20 == 0:
                    checked.append(_not_allowed(token))
        with lock:
            latencies.extend(mine)

    return {**_clients(client, tokens, latencies, failures), "checked_at_ack": len(checked),
            "not_allowed_at_ack": sum(checked)}


def oneclick_turn(base: str, tokens: list[str]) -> dict:
    host, port = base.removeprefix("http://").split(":")
    latencies, failures = [], []
    lock = threading.Lock()

    def client(share):
        mine = []
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for token in share:
            t0 = time.perf_counter()
            connection.request("POST", f"/u/{token}/", body="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                failures.append(answer.status)
            mine.append(time.perf_counter() - t0)
        connection.close()
        with lock:
            latencies.extend(mine)

    return _clients(client, tokens, latencies, failures)


def _clients(client, tokens, latencies, failures) -> dict:
    """Run `client` on CLIENTS threads, each with its share of the tokens; the figures."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, _spread(tokens, CLIENTS)))
    wall = time.perf_counter() - t0
    return {"per_s": round(len(latencies) / wall, 1), "wall_s": round(wall, 2),
            "failures": len(failures), "p50_ms": _ms(latencies, 50),
            "p99_ms": _ms(latencies, 99)}


def _ms(values, p) -> float:
    return round(harness.percentile(values, p) * 1000, 1) if values else float("nan")


def pipe_run(tokens: list[str], parallel: int = 2) -> dict:
    env = harness.bench_env()

    def one(token):
        done = subprocess.run([sys.executable, "manage.py", "inbound_mail"],
                              input=_mailto(token), cwd=harness.ROOT, env=env,
                              capture_output=True, timeout=60)
        return done.returncode

    def bare(_):
        return subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                              cwd=harness.ROOT, env=env, capture_output=True,
                              timeout=60).returncode

    out = {}
    for name, job in (("django_start_only", bare), ("inbound_mail", one)):
        t0 = time.perf_counter()
        with ThreadPoolExecutor(parallel) as pool:
            codes = list(pool.map(job, tokens))
        wall = time.perf_counter() - t0
        out[name] = {"per_s": round(len(tokens) / wall, 2), "exit_codes": sorted(set(codes))}
    out["not_allowed_after"] = sum(_not_allowed(t) for t in tokens)
    out["ratio_to_django_start"] = round(out["inbound_mail"]["per_s"]
                                         / out["django_start_only"]["per_s"], 2)
    return out


def sendgrid_batch(base: str, key, emails: list[str], topic) -> dict:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from preferences import selectors

    events = [{"email": e, "event": "bounce", "type": "bounce", "status": "5.1.1",
               "timestamp": int(time.time()), "sg_event_id": uuid.uuid4().hex,
               "sg_message_id": uuid.uuid4().hex} for e in emails]
    tracked = set(selectors.consent_allowed(topic=topic, recipients=emails))
    body = json.dumps(events).encode()
    stamp = str(int(time.time()))
    signature = base64.b64encode(key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256())))
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    t0 = time.perf_counter()
    connection.request("POST", "/inbound/sendgrid/", body=body, headers={
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": signature.decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp})
    answer = connection.getresponse()
    answer.read()
    answered = time.perf_counter() - t0
    seen: dict[str, float] = {}
    deadline = time.perf_counter() + 30
    while len(seen) < len(tracked) and time.perf_counter() < deadline:
        still = set(selectors.consent_allowed(topic=topic, recipients=list(tracked)))
        now = time.perf_counter() - t0
        for email in tracked - still:
            seen.setdefault(email, now)
        time.sleep(0.02)
    latencies = list(seen.values())
    return {"status": answer.status, "answered_ms": round(answered * 1000, 1),
            "tracked": len(tracked), "not_allowed": len(seen),
            "all_applied_s": round(max(latencies), 3) if latencies else None,
            "latencies": latencies}


@contextmanager
def listener():
    log = open(harness.STATE / "inbound-smtp.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "manage.py", "inbound_smtp", "--bind",
                             "127.0.0.1:0", "--workers", "4"], cwd=harness.ROOT,
                            env=harness.bench_env(), stdout=subprocess.PIPE, stderr=log,
                            text=True, start_new_session=True)
    try:
        banner = proc.stdout.readline()
        if "listening on" not in banner:
            raise RuntimeError(f"inbound_smtp did not start; see {log.name}")
        yield int(banner.rsplit(":", 1)[1])
    finally:
        harness._stop(proc, log)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--pipe-messages", type=int, default=40)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--parts", default="smtp,pipe,sendgrid",
                        help="which of smtp, pipe, sendgrid to run (comma-separated)")
    parser.add_argument("--seed", action="store_true", help="recreate the bench database")
    args = parser.parse_args(argv)
    if not (1 <= args.turns <= 10 and 10 <= args.messages <= 5000 and 1 <= args.batches <= 20
            and 2 <= args.pipe_messages <= 200):
        parser.error("keep it bounded: 1-10 turns, 10-5000 messages, 1-20 batches")

    key, public = _sendgrid_key()
    inline = os.environ.get("HUSH_INBOUND_INLINE_MAX", "50")
    harness.use_bench_env()
    # After use_bench_env (which rebuilds the environment): for the processes started below.
    os.environ.update({"HUSH_UNSUBSCRIBE_MAILTO": ADDRESS,
                       "HUSH_SENDGRID_WEBHOOK_PUBLIC_KEY": public,
                       "HUSH_INBOUND_INLINE_MAX": inline})
    print(f"machine: {harness.machine()}")
    print(f"load before: {Path('/proc/loadavg').read_text().split()[:3]}")
    if args.seed or not harness.db_exists() or not (harness.STATE / "tokens.txt").exists():
        print(f"setting up database {harness.DB_NAME} ...")
        harness.recreate_database(subjects=harness.SUBJECTS)
        (harness.STATE / "inbound-used.txt").unlink(missing_ok=True)
        (harness.STATE / "inbound-bounced.txt").unlink(missing_ok=True)
    from preferences.models import Topic

    tokens = Tokens()
    result = {"machine": harness.machine(), "args": vars(args), "turns": []}
    with harness.gunicorn(workers=2) as base, listener() as port, \
            harness.celery_worker(pool="prefork", concurrency=2):
        print(f"quiet: {harness.wait_for_quiet()} cores busy")
        parts = set(args.parts.split(","))
        for turn in range(args.turns if "smtp" in parts else 0):
            one_click = oneclick_turn(base, tokens.take(args.messages))
            smtp = smtp_turn(port, tokens.take(args.messages))
            ratio = round(smtp["per_s"] / one_click["per_s"], 2)
            result["turns"].append({"one_click": one_click, "smtp": smtp, "ratio": ratio})
            print(f"turn {turn + 1}: one-click {one_click['per_s']}/s (p99 "
                  f"{one_click['p99_ms']} ms) | SMTP {smtp['per_s']}/s (p50 {smtp['p50_ms']} "
                  f"ms, p99 {smtp['p99_ms']} ms, {smtp['failures']} refused, not allowed at "
                  f"ack {smtp['not_allowed_at_ack']}/{smtp['checked_at_ack']}) | SMTP / "
                  f"one-click {ratio}")
        pipe = pipe_run(tokens.take(args.pipe_messages)) if "pipe" in parts else None
        result["pipe"] = pipe
        if pipe:
            print(f"pipe: inbound_mail {pipe['inbound_mail']['per_s']}/s (exit codes "
              f"{pipe['inbound_mail']['exit_codes']}), Django start alone "
                  f"{pipe['django_start_only']['per_s']}/s, ratio "
                  f"{pipe['ratio_to_django_start']}; not allowed after: "
                  f"{pipe['not_allowed_after']}/{args.pipe_messages}")
        topic = Topic.objects.get(slug=harness.ONE_CLICK_TOPICS[-1])
        latencies, batches = [], []
        for b in range(args.batches if "sendgrid" in parts else 0):
            emails = tokens.addresses(1000)
            batch = sendgrid_batch(base, key, emails, topic)
            latencies += batch.pop("latencies")
            batches.append(batch)
            print(f"sendgrid batch {b + 1}: HTTP {batch['status']} in {batch['answered_ms']} "
                  f"ms; {batch['not_allowed']}/{batch['tracked']} not allowed, the last after "
                  f"{batch['all_applied_s']} s")
        if batches:
            p50, p99 = harness.percentile(latencies, 50), harness.percentile(latencies, 99)
            per_s = sum(b["not_allowed"] for b in batches) / sum(b["all_applied_s"] or 0
                                                                 for b in batches)
            result["sendgrid"] = {"batches": batches, "p50_s": round(p50, 3),
                                  "p99_s": round(p99, 3), "events_per_s": round(per_s, 1)}
            met = "met" if p99 < TARGET_P99_S else "MISSED"
            print(f"sendgrid: receipt to 'not allowed' p50 {p50:.3f} s, p99 {p99:.3f} s "
                  f"(target p99 < {TARGET_P99_S} s: {met}); {per_s:.0f} events/s applied")
    print(f"load after: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"raw results: {harness.save_result('inbound', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
