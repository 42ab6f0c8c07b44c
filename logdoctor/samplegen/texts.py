"""Wordings of the ordinary records: noise, service start/stop, configuration, successful sends.

No RuleManager log line is public (reference/dovetail.md, 1.4), so every wording here is
invented within what the facts allow, and varied on purpose: the knowledge base and the
grammars must not learn one spelling.
"""

from __future__ import annotations

import random
import uuid

from logdoctor.samplegen.truth import Settings

FIRST = ("anna", "ben", "carla", "dmitri", "eva", "farid", "grace", "hugo", "ines", "jonas")
LAST = ("smith", "meyer", "garcia", "nguyen", "kowalski", "okafor", "rossi", "lindqvist")
DOMAINS = ("customer-corp.com", "acme-industries.com", "example.org", "northwind.net")
SUBJECTS = (
    "Case {n} assigned to you",
    "Case {n} has been updated",
    "New solution proposed for case {n}",
    "Subcase {n}-1 dispatched",
    "Commitment overdue: case {n}",
    "Réclamation {n} reçue",
    "Ihre Anfrage {n} \u2013 Bestätigung",  # an en dash: cp1252 has it, Latin-1 has not
    "Escalation: case {n} (priority 1)",
)
DISPLAY_NAMES = ("Jürgen Müller", "Zoë Lefèvre", "Support Desk", "Åsa Ström", "John O'Neil")

SQL_NOISE = (
    "Fill DataSet query ({guid}) took {secs} seconds.",
    "ExecuteNonQuery ({guid}) took {secs} seconds.",
    "ExecuteScalar query ({guid}) took {secs} seconds.",
)
RULE_NOISE = (
    "Evaluating business rule {rule} for object {obj}",
    "Business rule {rule} condition is false for object {obj}; no actions created",
    "Business rule {rule} created {k} time bomb(s) for object {obj}",
    "Processing time bomb {tb} (focus type {ft}, objid {obj})",
    "Time bomb {tb} processed in {ms} ms",
    "Found {k} time bombs due for processing",
    "No time bombs due; sleeping {s} seconds",
    "Polling cycle finished: {k} processed, 0 skipped",
)
WARN_NOISE = (
    "Time bomb {tb} is {m} minutes past its escalation time",
    "Large Query: True. Fill DataSet query ({guid}) took {big} seconds.",
    "Business rule {rule} refers to an inactive user; action skipped",
    "Recipient list for time bomb {tb} is empty after removing inactive users",
    "Polling cycle took {big} seconds, longer than the 5 second polling interval",
)
SUCCESS = (
    "Email sent successfully to {to} (time bomb {tb})",
    'Successfully sent email "{subject}" to {to}',
    'Message sent to {to}; subject "{subject}"',
    "E-mail sent to {to} for case {case}",
    'Sent e-mail notification "{subject}" to {to}',
    'Mail sent: To={to} Subject="{subject}" Size={size} bytes',
    "Sent message <{msgid}> to {to} in {ms} ms",
    "Notification for time bomb {tb} sent successfully to {to}",
    "email sent (time bomb {tb}, recipients: {to})",
    "Sent email for time bomb {tb} to {to} via {host}:{port}",
)
EMAIL_PREAMBLE = (
    "Sending email for time bomb {tb} to {to}",
    'Preparing message "{subject}" ({size} bytes, {k} recipient(s))',
    "Connecting to SMTP server {host}:{port}",
)


class Words:
    """Variable parts (addresses, ids, subjects) drawn from one seeded Random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def address(self) -> str:
        r = self.rng
        return f"{r.choice(FIRST)}.{r.choice(LAST)}@{r.choice(DOMAINS)}"

    def recipient(self) -> str:
        addr = self.address()
        if self.rng.random() < 0.15:
            return f'"{self.rng.choice(DISPLAY_NAMES)}" <{addr}>'
        return addr

    def case(self) -> str:
        return f"{self.rng.randint(10000, 99999):05d}"

    def subject(self) -> str:
        return self.rng.choice(SUBJECTS).format(n=self.case())

    def time_bomb(self) -> int:
        return self.rng.randint(100000, 999999)

    def msgid(self, host: str = "rulemanager.mycompany.local") -> str:
        return f"{self.rng.getrandbits(64):016x}.{self.rng.randint(1000, 9999)}@{host}"

    def fmt(self, template: str, **extra: object) -> str:
        r = self.rng
        values: dict[str, object] = {
            "guid": self.guid(),
            "secs": f"{r.uniform(0.0004, 0.09):.4f}",
            "big": f"{r.uniform(5.0, 42.0):.2f}",
            "rule": r.randint(268435457, 268436999),
            "obj": r.randint(268435457, 268499999),
            "tb": self.time_bomb(),
            "ft": r.choice((0, 5, 24, 5000)),
            "k": r.randint(1, 6),
            "ms": r.randint(3, 900),
            "s": r.choice((30, 60, 120)),
            "m": r.randint(5, 240),
            "to": self.recipient(),
            "subject": self.subject(),
            "case": self.case(),
            "size": r.randint(2_000, 180_000),
            "msgid": self.msgid(),
            "host": "smtp.example.com",
            "port": 25,
        }
        values.update(extra)
        return template.format(**values)


def noise_message(words: Words) -> tuple[str, str, str]:
    """(level, logger, message) of an ordinary record."""
    r = words.rng
    roll = r.random()
    if roll < 0.45:
        level = "DEBUG" if r.random() < 0.7 else "INFO"
        return level, "FChoice.Common.Data.SqlHelper", words.fmt(r.choice(SQL_NOISE))
    if roll < 0.93:
        level = "DEBUG" if r.random() < 0.5 else "INFO"
        logger = r.choice(
            (
                "FChoice.RuleManager.RuleEngine",
                "FChoice.RuleManager.TimeBombProcessor",
                "FChoice.RuleManager.Actions.ActionProcessor",
            )
        )
        return level, logger, words.fmt(r.choice(RULE_NOISE))
    logger = r.choice(("FChoice.RuleManager.TimeBombProcessor", "FChoice.Common.Data.SqlHelper"))
    return "WARN", logger, words.fmt(r.choice(WARN_NOISE))


def success_message(words: Words, settings: Settings | None) -> str:
    host = settings.host if settings else "localhost"
    port = settings.port if settings else 25
    return words.fmt(words.rng.choice(SUCCESS), host=host, port=port)


def preamble_message(words: Words, settings: Settings | None) -> str:
    host = settings.host if settings else "localhost"
    port = settings.port if settings else 25
    return words.fmt(words.rng.choice(EMAIL_PREAMBLE), host=host, port=port)


def start_messages(words: Words, version: str) -> list[tuple[str, str]]:
    """(logger, message) records of a service start."""
    svc = "FChoice.RuleManager.WindowsService.RuleManagerService"
    return [
        (svc, f"Dovetail RuleManager {version} service starting"),
        ("FChoice.Common.FCApplication", "Database connection established (MSSQL)"),
        (svc, words.rng.choice(("RuleManager service started", "Service started successfully"))),
    ]


def stop_messages(words: Words) -> list[tuple[str, str]]:
    svc = "FChoice.RuleManager.WindowsService.RuleManagerService"
    return [
        (svc, "Stop requested by the Service Control Manager"),
        (svc, words.rng.choice(("RuleManager service stopped", "Service stopped"))),
    ]


# --- the "SMTP server configuration loaded" record -------------------------------------------

CONFIG_STYLES = ("flat", "oneline", "multiline")


def _yes(value: bool, rng: random.Random) -> str:
    if rng.random() < 0.7:
        return "Yes" if value else "No"
    return "True" if value else "False"


def config_message(settings: Settings, style: str, words: Words) -> str:
    """The configuration-loaded record in one of CONFIG_STYLES."""
    rng = words.rng
    s = settings
    if style == "flat":
        # The article's rendering, with the punctuation lost: reference/seed-kb-rulemanager-tls.
        return (
            f"SMTP server configuration loadedHost{s.host}Port: {s.port}, "
            f"Enable SSL{'Yes' if s.enable_ssl else 'No'}SSL Mode{s.ssl_mode}"
            f"Timeout: {s.timeout_s} seconds"
        )
    fields = [
        ("Host", s.host),
        ("Port", str(s.port)),
        ("Enable SSL", _yes(s.enable_ssl, rng)),
        ("SSL Mode", s.ssl_mode),
        ("Timeout", f"{s.timeout_s} seconds" if rng.random() < 0.8 else f"{s.timeout_s}s"),
    ]
    if rng.random() < 0.35:
        fields.append(("User", "rulemanager@mycompany.com"))
    if rng.random() < 0.35:
        fields.append(("From address", "support@mycompany.com"))
    if rng.random() < 0.2:
        # Any order is allowed; keep Host first most of the time, as a person would write it.
        head, tail = fields[:1], fields[1:]
        rng.shuffle(tail)
        fields = head + tail
    title = "SMTP server configuration loaded"
    if style == "oneline":
        if rng.random() < 0.5:
            return f"{title}. " + ", ".join(f"{k}: {v}" for k, v in fields)
        return f"{title}: " + ", ".join(f"{k}={v}" for k, v in fields)
    sep = rng.choice((": ", " = ", "\t"))
    indent = rng.choice(("", "  ", "    "))
    return "\n".join([f"{title}:", *(f"{indent}{k}{sep}{v}" for k, v in fields)])
