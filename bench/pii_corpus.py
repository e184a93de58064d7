"""A labelled corpus for PII detection, generated from a seed (same seed, same corpus).

Three shapes, as Hush sees them: log lines, ~1 KB JSON events and feedback
comments. Every kind the detector claims (EMAIL, PHONE, IP_ADDRESS,
CREDIT_CARD, IBAN, US_SSN, MAC_ADDRESS, GPS, DATE_OF_BIRTH, PERSON, SECRET) is
planted in several formats, next to look-alikes that are not personal data:
timestamps, UUIDs, order numbers that fail Luhn, version strings, prices,
hashes, durations, epoch times, build numbers.

    from bench.pii_corpus import build
    corpus = build(seed=4, lines=2000, comments=1000, events=2000)
    corpus.texts   # [Sample(text, labels=[(kind, start, end), ...], shape)]
    corpus.events  # [EventSample(event, values=[(kind, value), ...])]

`python -m bench.pii_corpus` prints a few samples of each shape.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
from dataclasses import dataclass, field

import phonenumbers

FIRST = ["Ann", "Peter", "Lena", "José", "Mary-Jane", "Chen", "Olga", "Tom", "Aisha", "Noah",
         "Émile", "Sofia", "Liam", "Fatima", "Jonas", "Priya", "Lucas", "Ingrid", "Omar", "Zoë"]
LAST = ["Lee", "Schmidt", "García", "O'Neil", "McDonald", "Nguyen", "Kowalski", "Smith",
        "Dubois", "Rossi", "Müller", "Haddad", "Johansson", "Patel", "Okafor", "Brown"]
DOMAINS = ["example.com", "mail.example.org", "example.co.uk", "corp.example.net",
           "example.io", "sub.example.de"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WORDS = [
    "the", "page", "was", "slow", "and", "checkout", "kept", "failing", "after", "I", "changed",
    "my", "plan", "so", "please", "fix", "the", "newsletter", "frequency", "I", "only", "want",
    "product", "news", "not", "weekly", "deals", "thanks", "for", "the", "quick", "help",
    "earlier", "today", "it", "works", "now", "mostly",
]


@dataclass
class Sample:
    text: str
    labels: list[tuple[str, int, int]]
    shape: str  # "log" or "comment"


@dataclass
class EventSample:
    event: dict
    values: list[tuple[str, str]]  # (kind, the exact personal value somewhere in the event)
    look_alikes: list[str] = field(default_factory=list)


@dataclass
class Corpus:
    texts: list[Sample]
    events: list[EventSample]

    def of_shape(self, shape: str) -> list[Sample]:
        return [s for s in self.texts if s.shape == shape]


class _Text:
    """Builds a text piece by piece, recording where each personal value lands."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0
        self.labels: list[tuple[str, int, int]] = []

    def add(self, piece: str, kind: str | None = None) -> _Text:
        if kind:
            self.labels.append((kind, self.size, self.size + len(piece)))
        self.parts.append(piece)
        self.size += len(piece)
        return self

    def text(self) -> str:
        return "".join(self.parts)


class Gen:
    """Values of each kind, in the formats people and programs write them."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self._phones: dict[str, list] = {}

    # --- personal values: each returns (kind, value) or a list of pieces ---------
    def email(self) -> str:
        r = self.r
        first, last = r.choice(FIRST), r.choice(LAST)
        local = r.choice([
            f"{first}.{last}", f"{first[0]}{last}", f"{first}{r.randint(1, 99)}",
            f"{first}+news", f"{last}_{first}", f"{first}.{last}.{r.randint(1, 9)}",
        ])
        local = "".join(c for c in local.lower() if c.isascii() and (c.isalnum() or c in "._+"))
        return f"{local or 'user'}@{r.choice(DOMAINS)}"

    def email_in_context(self) -> list[tuple[str, str | None]]:
        e = self.email()
        style = self.r.randrange(5)
        if style == 0:
            return [("GET /unsubscribe?email=", None), (e.replace("@", "%40"), "EMAIL"),
                    ("&topic=news HTTP/1.1", None)]
        if style == 1:
            return [("mailto:", None), (e, "EMAIL")]
        if style == 2:
            return [(f"{self.r.choice(FIRST)} <", None), (e, "EMAIL"), (">", None)]
        if style == 3:
            return [("https://shop.example.com/account?user=", None),
                    (e.replace("@", "%40").replace("+", "%2B"), "EMAIL"), ("&ref=mail", None)]
        return [(e.upper() if self.r.random() < 0.2 else e, "EMAIL")]

    def _phone_number(self, region: str):
        pool = self._phones.setdefault(region, [])
        if len(pool) < 50:
            base = phonenumbers.example_number_for_type(
                region, self.r.choice([phonenumbers.PhoneNumberType.MOBILE,
                                       phonenumbers.PhoneNumberType.FIXED_LINE]))
            national = str(base.national_number)
            for _ in range(40):
                digits = national[:-4] + "".join(self.r.choice(string.digits) for _ in range(4))
                candidate = phonenumbers.parse(f"+{base.country_code}{digits}")
                if phonenumbers.is_valid_number(candidate):
                    pool.append(candidate)
                    break
            else:
                pool.append(base)
        return self.r.choice(pool)

    def phone(self) -> str:
        r = self.r
        fmt = phonenumbers.PhoneNumberFormat
        if r.random() < 0.55:  # a national format in one of the default regions
            region = r.choice(["US", "GB", "DE", "FR"])
            number = self._phone_number(region)
            text = phonenumbers.format_number(number, fmt.NATIONAL)
            if region == "US" and r.random() < 0.4:
                n = str(number.national_number)
                text = r.choice([f"{n[:3]}-{n[3:6]}-{n[6:]}", f"{n[:3]}.{n[3:6]}.{n[6:]}", n])
            return text
        region = r.choice(["US", "GB", "DE", "FR", "ES", "IT", "NL", "JP", "AU", "BR", "IN",
                           "CH", "SE", "PL"])
        number = self._phone_number(region)
        style = r.randrange(4)
        if style == 0:
            return phonenumbers.format_number(number, fmt.E164)
        if style == 1:
            return phonenumbers.format_number(number, fmt.INTERNATIONAL)
        if style == 2:
            return "00" + phonenumbers.format_number(number, fmt.INTERNATIONAL)[1:]
        return phonenumbers.format_number(number, fmt.INTERNATIONAL).replace(" ", "-")

    def ipv4(self) -> str:
        r = self.r
        first = r.choice([10, 172, 192, 203, 198, 81, 5, 44, 151])
        return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def ipv6(self) -> str:
        r = self.r
        groups = [f"{r.randint(0, 0xFFFF):x}" for _ in range(8)]
        style = r.randrange(3)
        if style == 0:
            return ":".join(groups)
        if style == 1:
            return f"2001:db8:{groups[2]}::{groups[6]}:{groups[7]}"
        return f"fe80::{groups[4]}:{groups[5]}:{groups[6]}:{groups[7]}"

    def ip(self) -> str:
        return self.ipv4() if self.r.random() < 0.7 else self.ipv6()

    def card(self) -> str:
        r = self.r
        prefix, size = r.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15),
                                 ("37", 15), ("6011", 16), ("65", 16), ("4", 19), ("35", 16)])
        if prefix == "35":
            prefix = str(r.randint(3528, 3589))
        body = prefix + "".join(r.choice(string.digits) for _ in range(size - len(prefix) - 1))
        number = body + _luhn_digit(body)
        sep = r.choice(["", " ", "-"])
        if not sep:
            return number
        if size == 15:
            return sep.join([number[:4], number[4:10], number[10:]])
        return sep.join(number[i:i + 4] for i in range(0, size, 4))

    def iban(self) -> str:
        r = self.r
        country, spec = r.choice([("DE", "n18"), ("GB", "a4n14"), ("FR", "n10c11n2"),
                                  ("NL", "a4n10"), ("ES", "n20"), ("IT", "a1n10c12"),
                                  ("BE", "n12"), ("CH", "n5c12"), ("AT", "n16"), ("PL", "n24")])
        bban = _bban(r, spec)
        digits = "".join(str(int(c, 36)) for c in bban + country + "00")
        check = 98 - int(digits) % 97
        compact = f"{country}{check:02d}{bban}"
        if r.random() < 0.5:
            return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))
        return compact

    def ssn(self) -> str:
        r = self.r
        area = r.choice([r.randint(1, 665), r.randint(667, 899)])
        group, serial = r.randint(1, 99), r.randint(1, 9999)
        sep = r.choice(["-", "-", " "])
        return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"

    def mac(self) -> str:
        r = self.r
        octets = [r.randint(0, 255) for _ in range(6)]
        style = r.randrange(3)
        if style == 2:
            h = "".join(f"{o:02x}" for o in octets)
            return f"{h[:4]}.{h[4:8]}.{h[8:]}"
        text = (":" if style == 0 else "-").join(f"{o:02x}" for o in octets)
        return text.upper() if r.random() < 0.5 else text

    def gps(self) -> str:
        r = self.r
        lat = r.uniform(-89.9, 89.9)
        lon = r.uniform(-179.9, 179.9)
        d = r.choice([4, 5, 6])
        return f"{lat:.{d}f}{r.choice([', ', ','])}{lon:.{d}f}"

    def date(self) -> str:
        r = self.r
        y, m, d = r.randint(1940, 2006), r.randint(1, 12), r.randint(1, 28)
        return r.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{d}.{m}.{y}",
                         f"{d} {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1]} {d}, {y}",
                         f"{MONTHS[m - 1][:3]} {d}, {y}"])

    def person(self) -> str:
        r = self.r
        return r.choice([f"{r.choice(FIRST)} {r.choice(LAST)}", r.choice(FIRST) + " " +
                         r.choice(LAST), f"{r.choice(FIRST)} {r.choice(LAST)}"])

    def secret_value(self) -> str:
        r = self.r
        alphabet = string.ascii_letters + string.digits
        return r.choice([
            "".join(r.choice(alphabet + "!#$%*") for _ in range(r.randint(8, 16))),
            "".join(r.choice(alphabet) for _ in range(32)),
            base64.urlsafe_b64encode(r.randbytes(24)).decode().rstrip("="),
        ])

    def jwt(self) -> str:
        r = self.r
        head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        body = base64.urlsafe_b64encode(
            json.dumps({"sub": str(r.randint(1, 10**6)), "iat": r.randint(10**9, 2 * 10**9)})
            .encode()).decode().rstrip("=")
        sig = base64.urlsafe_b64encode(r.randbytes(32)).decode().rstrip("=")
        return f"{head}.{body}.{sig}"

    def secret_in_context(self) -> list[tuple[str, str | None]]:
        r = self.r
        alnum = string.ascii_letters + string.digits
        style = r.randrange(9)
        if style == 0:
            return [("password=", None), (self.secret_value(), "SECRET")]
        if style == 1:
            return [("Authorization: Bearer ", None), (self.jwt(), "SECRET")]
        if style == 2:
            return [("GET /callback?code=ok&access_token=", None), (self.secret_value(), "SECRET"),
                    ("&state=xyz HTTP/1.1", None)]
        if style == 3:
            return [("AWS key ", None),
                    ("AKIA" + "".join(r.choice(string.ascii_uppercase + string.digits)
                                      for _ in range(16)), "SECRET")]
        if style == 4:
            return [("pushed with ", None),
                    ("ghp_" + "".join(r.choice(alnum) for _ in range(36)), "SECRET")]
        if style == 5:
            return [("stripe ", None),
                    ("sk_live_" + "".join(r.choice(alnum) for _ in range(24)), "SECRET")]
        if style == 6:
            return [("x-api-key: ", None), (self.secret_value(), "SECRET")]
        if style == 7:
            return [("DB_PASSWORD=", None), (self.secret_value(), "SECRET")]
        return [("Authorization: Basic ", None),
                (base64.b64encode(f"user:{self.secret_value()}".encode()).decode(), "SECRET")]

    # --- look-alikes: not personal data, must survive ---------------------------
    def look_alike(self) -> str:
        r = self.r
        style = r.randrange(16)
        if style == 0:
            return f"{r.randint(2020, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T" \
                   f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}." \
                   f"{r.randint(0, 999):03d}Z"
        if style == 1:
            return str(uuid.UUID(int=r.getrandbits(128)))
        if style == 2:  # an order number that fails Luhn
            while True:
                n = "".join(r.choice(string.digits) for _ in range(16))
                if _luhn_digit(n[:-1]) != n[-1]:
                    return n
        if style == 3:
            return f"v{r.randint(0, 12)}.{r.randint(0, 40)}.{r.randint(0, 99)}"
        if style == 4:
            return f"{r.randint(1, 2999)}.{r.randint(0, 99):02d} {r.choice(['EUR', 'USD', 'GBP'])}"
        if style == 5:
            return hashlib.sha256(r.randbytes(8)).hexdigest()
        if style == 6:
            return f"{r.randint(1, 9999)}ms"
        if style == 7:
            return str(r.randint(1_600_000_000_000, 1_800_000_000_000))  # epoch ms
        if style == 8:
            return f"ORD-{r.randint(2020, 2026)}-{r.randint(0, 999999):06d}"
        if style == 9:
            return f"{r.randint(1, 12)}.{r.randint(0, 9)}.{r.randint(0, 20000)}.{r.randint(0, 999)}"
        if style == 10:
            return f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        if style == 11:
            return f"#{r.randint(100000, 99999999)}"
        if style == 12:
            return hashlib.sha1(r.randbytes(8)).hexdigest()[:r.choice([7, 40])]
        if style == 13:
            return f"{r.randint(1, 99)}.{r.randint(0, 9)}%"
        if style == 14:
            return f"{r.randint(1, 20)}.{r.randint(0, 9)}.{r.randint(0, 9)}-rc{r.randint(1, 5)}"
        return f"{r.randint(1, 999)}-{r.randint(1000, 9999)}-{r.randint(1000000, 9999999)}"

    def words(self, n: int) -> str:
        return " ".join(self.r.choice(WORDS) for _ in range(n))


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _bban(r: random.Random, spec: str) -> str:
    out = []
    i = 0
    while i < len(spec):
        kind = spec[i]
        j = i + 1
        while j < len(spec) and spec[j].isdigit():
            j += 1
        count = int(spec[i + 1:j])
        pool = {"n": string.digits, "a": string.ascii_uppercase,
                "c": string.ascii_uppercase + string.digits}[kind]
        out.append("".join(r.choice(pool) for _ in range(count)))
        i = j
    return "".join(out)


# --- the three shapes ----------------------------------------------------------

PATTERN_MAKERS = {
    "EMAIL": "email_in_context", "PHONE": "phone", "IP_ADDRESS": "ip", "CREDIT_CARD": "card",
    "IBAN": "iban", "US_SSN": "ssn", "MAC_ADDRESS": "mac", "GPS": "gps",
    "SECRET": "secret_in_context",
}
_CUES = {
    "PHONE": ["call ", "phone ", "tel: ", "mobile ", "contact "],
    "IP_ADDRESS": ["from ", "ip=", "client ", "remote_addr=", "src "],
    "CREDIT_CARD": ["card ", "pan=", "paid with ", "cc "],
    "IBAN": ["iban ", "IBAN: ", "refund to ", "account "],
    "US_SSN": ["ssn ", "SSN: ", "social security number "],
    "MAC_ADDRESS": ["mac ", "device ", "hw=", "station "],
    "GPS": ["at ", "loc=", "position ", "coords "],
}


def _pieces(g: Gen, kind: str) -> list[tuple[str, str | None]]:
    made = getattr(g, PATTERN_MAKERS[kind])()
    if isinstance(made, list):
        return made
    return [(g.r.choice(_CUES[kind]), None), (made, kind)]


def log_line(g: Gen) -> Sample:
    r = g.r
    t = _Text()
    t.add(g.look_alike() if r.random() < 0.3 else
          f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:"
          f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d}Z")
    t.add(f" {r.choice(['INFO', 'WARN', 'ERROR', 'DEBUG'])} "
          f"[{r.choice(['checkout', 'auth', 'mailer', 'api', 'billing'])}] "
          f"req={uuid.UUID(int=r.getrandbits(128))} ")
    for _ in range(r.randint(0, 3)):
        kind = r.choice(list(PATTERN_MAKERS))
        for piece, k in _pieces(g, kind):
            t.add(piece, k)
        t.add(" " + g.look_alike() + " " + r.choice(["ok", "done", "retry", "status=200", "->"])
              + " ")
    t.add(f"took {r.randint(1, 900)}ms build {g.look_alike()} ")
    return Sample(t.text(), t.labels, "log")


def comment(g: Gen) -> Sample:
    r = g.r
    t = _Text()
    openers = [("Hi, my name is ", "PERSON"), ("Dear ", "PERSON"), ("Name: ", "PERSON"),
               ("Mr ", "LAST"), ("", None), ("", None)]
    opener, who = r.choice(openers)
    if who == "PERSON":
        t.add(opener).add(g.person(), "PERSON").add(". ")
    elif who == "LAST":
        t.add(opener).add(r.choice(LAST), "PERSON").add(" here. ")
    t.add(g.words(r.randint(5, 15)).capitalize() + ". ")
    for _ in range(r.randint(0, 2)):
        style = r.randrange(6)
        if style == 0:
            t.add("I was born on ").add(g.date(), "DATE_OF_BIRTH").add(" if that matters. ")
        elif style == 1:
            t.add("You can reach me at ").add(g.phone(), "PHONE").add(" or ")
            t.add(g.email(), "EMAIL").add(". ")
        elif style == 2:
            t.add("My DOB: ").add(g.date(), "DATE_OF_BIRTH").add(". ")
        elif style == 3:
            t.add("The refund should go to ").add(g.iban(), "IBAN").add(" please. ")
        elif style == 4:
            t.add("my password is ").add(g.secret_value().replace("'", "x"), "SECRET")
            t.add(" so you can check. ")
        else:
            kind = r.choice(list(PATTERN_MAKERS))
            for piece, k in _pieces(g, kind):
                t.add(piece, k)
            t.add(". ")
        t.add(r.choice(["Order ", "Ticket ", "Version ", "Paid ", "Took "]) + g.look_alike()
              + ". " + g.words(r.randint(3, 8)).capitalize() + ". ")
    if r.random() < 0.3:
        t.add("\nKind regards,\n").add(g.person(), "PERSON")
    return Sample(t.text(), t.labels, "comment")


def event(g: Gen) -> EventSample:
    """About 1 KB, shaped like an application's structured log or webhook event."""
    r = g.r
    values: list[tuple[str, str]] = []
    look: list[str] = []

    def pii(kind: str, value: str) -> str:
        values.append((kind, value))
        return value

    def plain(value: str) -> str:
        look.append(value)
        return value

    first, last = r.choice(FIRST), r.choice(LAST)
    email = g.email()
    order = plain(g.look_alike() if r.random() < 0.5 else f"ORD-2025-{r.randint(0, 999999):06d}")
    message_kind = r.choice(list(PATTERN_MAKERS))
    message_pieces = _pieces(g, message_kind)
    message = "".join(p for p, _ in message_pieces)
    for p, k in message_pieces:
        if k:
            values.append((k, p))
    ev = {
        "ts": plain(g.look_alike() if r.random() < 0.2 else
                    f"2025-03-{r.randint(1, 28):02d}T12:{r.randint(0, 59):02d}:"
                    f"{r.randint(0, 59):02d}.{r.randint(0, 999):03d}Z"),
        "level": r.choice(["info", "warning", "error"]),
        "service": r.choice(["checkout-api", "auth", "mailer", "billing-worker"]),
        "host": f"web-{r.randint(1, 40):02d}",
        "env": "prod",
        "trace_id": plain(uuid.UUID(int=r.getrandbits(128)).hex),
        "span_id": plain(f"{r.getrandbits(64):016x}"),
        "request_id": plain(str(uuid.UUID(int=r.getrandbits(128)))),
        "http": {
            "method": r.choice(["GET", "POST", "PUT"]),
            "path": f"/api/v2/orders/{order}/confirm",
            "status": r.choice([200, 201, 400, 404, 500]),
            "duration_ms": round(r.uniform(1, 900), 1),
            "bytes": r.randint(100, 90000),
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                          "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "referer": f"https://shop.example.com/cart?step={r.randint(1, 4)}",
        },
        "user": {
            "id": r.randint(1, 10**6),
            "email": pii("EMAIL", email),
            "name": pii("PERSON", f"{first} {last}"),
            "ip": pii("IP_ADDRESS", g.ip()),
            "phone": pii("PHONE", g.phone()),
        },
        "order": {
            "id": order,
            "total": plain(f"{r.randint(1, 999)}.{r.randint(0, 99):02d}"),
            "currency": "EUR",
            "items": r.randint(1, 9),
            "coupon": r.choice(["SPRING25", "", "WELCOME10"]),
        },
        "build": plain(g.look_alike()),
        "message": message,
    }
    extra = r.randrange(4)
    if extra == 0:
        ev["payment"] = {"card_number": pii("CREDIT_CARD", g.card()),
                         "iban": pii("IBAN", g.iban())}
    elif extra == 1:
        ev["device"] = {"mac": pii("MAC_ADDRESS", g.mac()), "lat": r.uniform(-80, 80),
                        "lon": r.uniform(-170, 170)}
        values.append(("GPS", str(ev["device"]["lat"])))
        values.append(("GPS", str(ev["device"]["lon"])))
    elif extra == 2:
        ev["headers"] = {"Authorization": pii("SECRET", "Bearer " + g.jwt()),
                         "X-Forwarded-For": pii("IP_ADDRESS", g.ipv4())}
    else:
        ssn = g.ssn()
        ev["note"] = f"customer verified with ssn {ssn} on call"
        values.append(("US_SSN", ssn))
    return EventSample(ev, values, look)


def build(seed: int = 4, *, lines: int = 2000, comments: int = 1000,
          events: int = 2000) -> Corpus:
    g = Gen(seed)
    texts = [log_line(g) for _ in range(lines)] + [comment(g) for _ in range(comments)]
    return Corpus(texts=texts, events=[event(g) for _ in range(events)])


if __name__ == "__main__":
    corpus = build(lines=3, comments=3, events=1)
    for s in corpus.texts:
        print(s.shape, repr(s.text))
        for kind, start, end in s.labels:
            print("   ", kind, repr(s.text[start:end]))
    e = corpus.events[0]
    print(len(json.dumps(e.event)), "bytes:", json.dumps(e.event))
    print("   ", e.values)
