"""`python -m anonymizer scrub [--json] [--policy KIND=TRANSFORM ...] [--workers N]`

Reads lines on stdin and writes them scrubbed to stdout, one at a time (it
streams: `tail -f app.log | python -m anonymizer scrub`). With --json each line
is a JSON document scrubbed with `scrub_event` and written back as compact
JSON; a line that is not JSON is scrubbed as text. With --workers N, N processes
scrub batches of lines (N cores for large files; lines stay in order). Needs no Django
settings.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import sys

from anonymizer.core.events import scrub_event
from anonymizer.core.findings import ADDRESS, KINDS, POSTCODE
from anonymizer.core.redact import redact, resolve_policy


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m anonymizer",
                                     description="Hush's PII detection on the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scrub = commands.add_parser("scrub", help="scrub stdin to stdout, line by line",
                                description=__doc__.split("\n\n")[1])
    scrub.add_argument("--json", action="store_true",
                       help="lines are JSON documents (non-JSON lines are scrubbed as text)")
    scrub.add_argument("--policy", action="append", default=[], metavar="KIND=TRANSFORM",
                       help="e.g. EMAIL=mask, PHONE=pseudonymise, '*=redact' (repeatable)")
    scrub.add_argument("--workers", type=int, default=1, metavar="N",
                       help="processes scrubbing in parallel, lines kept in order (default 1:"
                            " each line is written as soon as it is read)")
    scrub.add_argument("--key-env", default="HUSH_SCRUB_KEY", metavar="VAR",
                       help="environment variable holding the pseudonymise key "
                            "(default HUSH_SCRUB_KEY)")
    return parser


def _policy(parser: argparse.ArgumentParser, args: argparse.Namespace):
    kinds = {*KINDS, ADDRESS, POSTCODE, "*"}
    policy: dict[str, str] = {}
    for item in args.policy:
        kind, sep, transform = item.partition("=")
        kind, transform = kind.strip(), transform.strip()
        if kind != "*":
            kind = kind.upper()
        if not sep or not kind or not transform:
            parser.error(f"--policy takes KIND=TRANSFORM, got {item!r}")
        if kind not in kinds:
            parser.error(f"--policy: unknown kind {kind!r} (known: {', '.join(sorted(kinds))})")
        if transform == "tokenize":
            parser.error("--policy: tokenize needs a token vault; use the scrub API instead")
        policy[kind] = transform
    key = None
    if any(t.startswith("pseudonym") for t in policy.values()):
        raw = os.environ.get(args.key_env)
        if not raw:
            parser.error(f"--policy pseudonymise needs a key in ${args.key_env}")
        key = raw.encode()
    try:
        resolve_policy(policy, key=key)
    except (ValueError, ImportError) as exc:
        parser.error(f"--policy: {exc}")
    return policy, key


def scrub_line(line: str, as_json: bool, policy: dict, key: bytes | None) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    out = None
    if as_json and body.strip():
        try:
            doc = json.loads(body)
        except ValueError:
            pass
        else:
            out = json.dumps(scrub_event(doc, policy, key=key), ensure_ascii=False,
                             separators=(",", ":"))
    if out is None:
        out = redact(body, policy, key=key)
    return out + ending


_JOB: tuple = ()


def _worker_start(as_json: bool, policy: dict, key: bytes | None) -> None:
    global _JOB
    _JOB = (as_json, policy, key)


def _scrub_batch(lines: list[str]) -> str:
    return "".join(scrub_line(line, *_JOB) for line in lines)


def scrub(args: argparse.Namespace, policy: dict, key: bytes | None) -> int:
    stdin, stdout = sys.stdin, sys.stdout
    # Log files are not always valid UTF-8: carry odd bytes through unchanged.
    for stream in (stdin, stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    if args.workers > 1:
        # Batches of lines to each process; imap hands the results back in order.
        batches = iter(lambda: list(itertools.islice(stdin, 500)), [])
        with multiprocessing.get_context("fork").Pool(
                args.workers, _worker_start, (args.json, policy, key)) as pool:
            for out in pool.imap(_scrub_batch, batches):
                stdout.write(out)
            stdout.flush()
        return 0
    for line in stdin:  # yields each line as it arrives
        stdout.write(scrub_line(line, args.json, policy, key))
        stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    policy, key = _policy(parser, args)
    if not 1 <= args.workers <= 256:
        parser.error("--workers takes a number from 1 to 256")
    try:
        return scrub(args, policy, key)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
