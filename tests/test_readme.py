"""The README's webhook verification snippet works as documented."""

import re
from pathlib import Path

from preferences.propagation import webhooks

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_documented_verifier_accepts_our_signatures_and_nothing_else():
    snippet = re.search(r"```python\n(import hashlib.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own README
    verify = namespace["verify"]
    body = b'{"id":"x","type":"subscription.changed"}'
    header = webhooks.sign(secret="s3cret", body=body)
    assert verify("s3cret", header, body)
    assert not verify("s3cret", header, body + b" ")
    assert not verify("other", header, body)
    old = webhooks.sign(secret="s3cret", body=body, timestamp=1_000_000)
    assert not verify("s3cret", old, body)
