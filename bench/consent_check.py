"""Consent check for 10,000 recipients: POST /api/v1/consent/check end to end
against gunicorn on PostgreSQL, and the selector alone.

    .venv/bin/python -m bench.consent_check [--runs 20] [--seed]

The 10,000 recipients (seeded by bench/harness.py) are half emails and half
subject ids; exactly half are allowed (subscribed, or a pause that has ended) and
the rest are unsubscribed, paused into the future, globally opted out or suppressed.
Every answer is checked against the expected list, in order.

End to end is one request at a time from this process: connect, send ~0.3 MB of
JSON, the API key check, validation, the selector, rendering, read the answer.
In-process parts are timed too, so the end-to-end time can be taken apart.

Target (the issue): end to end under 150 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import time

from bench import harness

TARGET_MS = 150.0
NOISY_CORES = 0.25
PATH = "/api/v1/consent/check"


def timed(fn, runs: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=4,
                        help="untimed requests first (each gunicorn worker gets some)")
    parser.add_argument("--seed", action="store_true", help="recreate the bench database first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--retries", type=int, default=2,
                        help="run the end-to-end batch again when other programs used more "
                             f"than {NOISY_CORES} cores during it")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 500:
        parser.error("keep it bounded: 1-500 runs")

    harness.use_bench_env()
    print(f"machine: {harness.machine()}")
    if args.seed or not harness.db_exists() or not (harness.STATE / "recipients.json").exists():
        print(f"setting up database {harness.DB_NAME} ...")
        harness.recreate_database(subjects=harness.SUBJECTS)
    fixture = json.loads((harness.STATE / "recipients.json").read_text())
    key = (harness.STATE / "api_key.txt").read_text().strip()
    recipients, expected = fixture["recipients"], fixture["allowed"]
    body = json.dumps({"topic": fixture["topic"], "recipients": recipients}).encode()
    emails = sum("@" in r for r in recipients)
    print(f"{len(recipients):,} recipients ({emails:,} emails, {len(recipients) - emails:,} ids), "
          f"{len(expected):,} allowed; request body {len(body) / 1e6:.2f} MB")

    # --- end to end, against gunicorn --------------------------------------------
    with harness.gunicorn(workers=args.workers) as base:
        port = int(base.rsplit(":", 1)[1])

        def post():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", PATH, body=body, headers={
                "Authorization": f"Api-Key {key}", "Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            conn.close()
            if response.status != 200:
                raise SystemExit(f"{PATH} answered {response.status}: {payload[:300]!r}")
            if json.loads(payload)["allowed"] != expected:
                raise SystemExit(f"{PATH} answered a different allowed list")

        batches = []  # (other programs' load, timings, meter): the quietest is kept
        for attempt in range(args.retries + 1):
            harness.wait_for_quiet()
            with harness.CpuMeter() as cpu:
                timings = timed(post, args.runs, warmup=args.warmup)
            batches.append((cpu.cores["other"], timings, cpu))
            if cpu.cores["other"] <= NOISY_CORES:
                break
            print(f"other programs used {cpu.cores['other']:.2f} cores during the runs"
                  + ("; running them again" if attempt < args.retries else ""))
        _, end_to_end, cpu = min(batches, key=lambda b: b[0])
    e2e = harness.summary_ms(end_to_end)

    # --- the parts, in this process -------------------------------------------------
    from rest_framework.parsers import JSONParser
    from rest_framework.renderers import JSONRenderer

    from preferences.api import ConsentCheckApi
    from preferences.models import Topic
    from preferences.selectors import consent_allowed

    topic = Topic.objects.get(slug=fixture["topic"])
    assert consent_allowed(topic=topic, recipients=recipients) == expected

    def parse():
        import io

        JSONParser().parse(io.BytesIO(body))

    def validate():
        serializer = ConsentCheckApi.InputSerializer(
            data={"topic": fixture["topic"], "recipients": recipients})
        serializer.is_valid(raise_exception=True)

    def select():
        consent_allowed(topic=topic, recipients=recipients)

    def render():
        JSONRenderer().render({"topic": topic.slug, "allowed": expected})

    harness.wait_for_quiet()
    with harness.CpuMeter() as parts_cpu:
        parts = {name: harness.summary_ms(timed(fn, args.runs)) for name, fn in (
            ("JSON parse (DRF JSONParser)", parse),
            ("InputSerializer validation", validate),
            ("selectors.consent_allowed", select),
            ("JSON render (DRF JSONRenderer)", render),
        )}

    print(f"\nend to end, {args.runs} runs: median {e2e['median_ms']} ms, p95 {e2e['p95_ms']} ms "
          f"(min {e2e['min_ms']}, max {e2e['max_ms']}); target < {TARGET_MS:.0f} ms: "
          f"{'MET' if e2e['median_ms'] < TARGET_MS and e2e['p95_ms'] < TARGET_MS else 'MISSED'}"
          f"  (other load during the runs: {cpu.cores['other']:.2f} cores)")
    print(f"in-process parts (median / p95 ms; other load: {parts_cpu.cores['other']:.2f} "
          "cores):")
    for name, figures in parts.items():
        print(f"  {figures['median_ms']:7.1f} / {figures['p95_ms']:7.1f}  {name}")
    path = harness.save_result("consent-check", {
        "runs": args.runs, "machine": harness.machine(), "recipients": len(recipients),
        "emails": emails, "allowed": len(expected), "body_bytes": len(body),
        "end_to_end": e2e, "parts": parts, "cpu_cores": cpu.cores,
        "parts_cpu_cores": parts_cpu.cores})
    print(f"raw results: {path.relative_to(harness.ROOT)}")
    return 0 if e2e["p95_ms"] < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
