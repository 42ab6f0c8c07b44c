"""The committed samples: which story each file tells, in which layout, encoding and line ends.

Article scenarios (reference/seed-kb-rulemanager-tls.txt, "Potential Errors"):
(1) OnConnect on 25, (2) UseStartTls on 465, (3) UseStartTlsIfSupported on 465 (Gmail),
(4) Gmail 535 5.7.8, (5) Office365 OnConnect on 587, (6) internet filtering; and its good
configurations (465 OnConnect, 587 UseStartTls, Gmail 465 OnConnect, Office365 587 UseStartTls).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from logdoctor.samplegen.failures import Style
from logdoctor.samplegen.sim import Sim, always, mix
from logdoctor.samplegen.truth import Settings

LOCAL25_ONCONNECT = Settings("localhost", 25, True, "OnConnect", 10)
LOCAL465_STARTTLS = Settings("localhost", 465, True, "UseStartTls", 10)
GMAIL465_IFSUPPORTED = Settings("smtp.gmail.com", 465, True, "UseStartTlsIfSupported", 100)
GMAIL587 = Settings("smtp.gmail.com", 587, True, "UseStartTls", 30)
GMAIL465 = Settings("smtp.gmail.com", 465, True, "OnConnect", 30)
O365_587_ONCONNECT = Settings("smtp.office365.com", 587, True, "OnConnect", 10)
O365_587 = Settings("smtp.office365.com", 587, True, "UseStartTls", 10)
O365_TYPO = Settings("smtp.office356.com", 587, True, "UseStartTls", 10)
MAIL465 = Settings("mail.mycompany.com", 465, True, "OnConnect", 30)
MAIL587 = Settings("mail.mycompany.com", 587, True, "UseStartTls", 30)
RELAY25 = Settings("relay.mycompany.local", 25, True, "UseStartTls", 30)
EXCH25 = Settings("exch01.mycompany.local", 25, True, "UseStartTlsIfSupported", 20)

Story = Callable[[Sim], None]


def d(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A time in November 2026 (the samples' simulated month)."""
    return datetime(2026, 11, day, hour, minute)


@dataclass(frozen=True, slots=True)
class Sample:
    path: str  # relative to samples/, POSIX separators
    scenario: str
    story: Story
    start: datetime
    layout: str = "stock"
    encoding: str = "utf-8"
    bom: bool = False
    line_ends: str = "crlf"
    junk: tuple[str, ...] = ()
    style: Style = field(default_factory=Style)
    user: str = "sa"
    config_style: str | None = None
    article: tuple[str, ...] = ()  # article scenarios / good configurations it covers


@dataclass(frozen=True, slots=True)
class SampleSet:
    """One story written as a rolled set (oldest file first), in a directory or a zip."""

    name: str  # directory, or the zip file's path
    members: tuple[str, ...]  # oldest first, as log4net rolls: .log.2, .log.1, .log
    cuts: tuple[float, ...]  # where the story is cut between members (share of records)
    scenario: str
    story: Story
    start: datetime
    layout: str = "stock"
    style: Style = field(default_factory=Style)
    container: str = "dir"  # "dir" or "zip"
    article: tuple[str, ...] = ()


# --- stories ----------------------------------------------------------------------------------


def showcase(sim: Sim) -> None:
    # Monday: after an upgrade the port stayed 587 but the mode became OnConnect.
    sim.start(O365_587_ONCONNECT)
    sim.until(d(23, 9, 41), always("handshake_packet_format"))
    sim.reload(O365_587)
    sim.until(d(25, 10, 12))
    # Wednesday: a batch of notifications to a mistyped address.
    sim.burst("recipient_550", 3)
    sim.until(d(26, 2, 0))
    sim.restart(O365_587)
    # Friday afternoon: a new internet filtering rule starts resetting TLS connections.
    sim.until(d(27, 13, 55))
    sim.until(d(27, 18, 30), always("forcibly_closed"))


def port25_onconnect(sim: Sim) -> None:
    sim.start(LOCAL25_ONCONNECT, style="flat")
    sim.run(9, always("handshake_packet_format"))


def starttls_465(sim: Sim) -> None:
    sim.start(LOCAL465_STARTTLS)
    sim.run(6, always("starttls_465_timeout"))


def gmail_465_ifsupported(sim: Sim) -> None:
    sim.start(GMAIL465_IFSUPPORTED, style="flat")
    sim.run(8, always("aborted_by_remote"))


def gmail_bad_credentials(sim: Sim) -> None:
    sim.start(GMAIL587)
    sim.run(8, always("gmail_535"))


def office365_onconnect_then_fix(sim: Sim) -> None:
    sim.start(O365_587_ONCONNECT)
    sim.run(3, always("handshake_packet_format"))
    sim.reload(O365_587)
    sim.run(40)


def internet_filtering(sim: Sim) -> None:
    sim.start(O365_587)
    sim.until(d(26, 9, 5))
    sim.run(8, always("forcibly_closed"))


def good(settings: Settings, hours: float) -> Story:
    def story(sim: Sim) -> None:
        sim.start(settings)
        sim.run(hours / 2)
        sim.restart(settings)
        sim.run(hours / 2)

    return story


def timeout_after_days(sim: Sim) -> None:
    sim.start(RELAY25)
    sim.until(d(26, 10, 20))
    sim.run(9, always("connect_timeout"))


def m365_basic_auth(sim: Sim) -> None:
    sim.start(O365_587)
    sim.until(d(25, 8, 10))
    sim.run(4, always("m365_tenant_disabled"))  # SMTP AUTH turned off for the organisation
    sim.until(d(26, 8, 30))  # re-enabled for the sending mailbox
    sim.run(5, always("m365_basic_disabled"))  # then a policy blocks basic authentication


def protocol_mismatch(sim: Sim) -> None:
    # A new server where .NET still offers TLS 1.0 only; fixed by registry keys and a restart.
    sim.start(O365_587)
    sim.run(3, mix("common_algorithm", "common_algorithm", "remote_closed_stream"))
    sim.restart(O365_587, downtime_s=300)
    sim.run(24)


def dns_typo(sim: Sim) -> None:
    sim.start(O365_TYPO)
    sim.run(2.5, always("dns"))
    sim.reload(O365_587)
    sim.run(22)


def recipient_rejected(sim: Sim) -> None:
    sim.start(MAIL587)
    sim.run(24)
    sim.burst("recipient_550", 3)
    sim.run(26)
    sim.sql_error()
    sim.run(6)
    sim.burst("recipient_550", 2, spacing_s=(600, 1800))


def gmail_app_password(sim: Sim) -> None:
    sim.start(GMAIL465)
    sim.until(d(24, 9, 0))
    sim.run(5, always("gmail_534"))  # 2-Step Verification switched on for the account
    sim.reload(GMAIL465)  # an app password was put into the config
    sim.run(12)


def send_as_denied(sim: Sim) -> None:
    sim.start(O365_587)
    sim.until(d(25, 10, 0))
    sim.reload(O365_587, style="multiline")  # the From address changed, the host did not
    sim.run(3, always("sendas_5760"))
    sim.reload(O365_587, style="oneline")
    sim.run(10)


def relay_refused(sim: Sim) -> None:
    sim.start(EXCH25)
    sim.until(d(26, 9, 30))
    sim.run(4, always("refused"))  # the relay's SMTP service was stopped for maintenance
    sim.run(14)


# --- the files ----------------------------------------------------------------------------------

JUNK = (
    "ry (5e0c0b9e-1d2f-4c3a-9b8f-2f4c1a7e9d10) took 0.0019 seconds.",
    "",
)

SAMPLES: tuple[Sample, ...] = (
    Sample(
        "Rulemanager.log",
        "Showcase, five days: Office365 OnConnect on 587 until the mode is fixed; three "
        "mistyped recipients; an internet filter resetting TLS on Friday (still ongoing)",
        showcase,
        d(23, 6, 58),
        layout="sdk-tab",
        article=("(5)", "(6)", "good: Office365 587 UseStartTls"),
    ),
    Sample(
        "tls-onconnect-port25.log",
        "Article (1): OnConnect on port 25 of localhost; the handshake fails with an unexpected "
        "packet format (half the failures in the article's flattened form)",
        port25_onconnect,
        d(24, 8, 5),
        style=Style(flat_ratio=0.5),
        config_style="flat",
        article=("(1)",),
    ),
    Sample(
        "tls-starttls-port465-timeout.log",
        "Article (2): UseStartTls on port 465; socket connection timed out",
        starttls_465,
        d(25, 13, 30),
        layout="sdk-spaces",
        bom=True,
        style=Style(pdb=False),
        article=("(2)",),
    ),
    Sample(
        "tls-ifsupported-gmail465.log",
        "Article (3): UseStartTlsIfSupported on smtp.gmail.com:465; connection aborted by the "
        "remote host",
        gmail_465_ifsupported,
        d(26, 6, 40),
        layout="custom-utc",
        style=Style(flat_ratio=0.3, email_class="SmtpEmailService"),
        article=("(3)",),
    ),
    Sample(
        "gmail-bad-credentials.log",
        "Article (4): Gmail on 587 rejects the password (535 5.7.8), NonFatal; ANSI code page "
        "with accented names",
        gmail_bad_credentials,
        d(20, 8, 30),
        layout="sdk-tab",
        encoding="cp1252",
        user="Müller",
        article=("(4)",),
    ),
    Sample(
        "office365-onconnect-587.log",
        "Article (5): Office365 with OnConnect on 587, then the mode is fixed to UseStartTls and "
        "mail flows again",
        office365_onconnect_then_fix,
        d(16, 7, 30),
        layout="sdk-tab",
        encoding="utf-16-le",
        bom=True,
        article=("(5)", "good: Office365 587 UseStartTls"),
    ),
    Sample(
        "internet-filtering.log",
        "Article (6): Office365 587 UseStartTls sends for days, then an internet filter "
        "forcibly closes the TLS negotiation",
        internet_filtering,
        d(23, 0, 0),
        layout="custom-pipe",
        style=Style(pdb=False),
        article=("(6)", "good: Office365 587 UseStartTls"),
    ),
    Sample(
        "good-465-onconnect.log",
        "Good configuration: port 465 with OnConnect; only successes (LF line ends)",
        good(MAIL465, 40),
        d(24, 7, 0),
        line_ends="lf",
        article=("good: 465 OnConnect",),
    ),
    Sample(
        "good-587-starttls.log",
        "Good configuration: port 587 with UseStartTls; only successes",
        good(MAIL587, 40),
        d(24, 7, 0),
        layout="sdk-spaces",
        article=("good: 587 UseStartTls",),
    ),
    Sample(
        "good-gmail-465.log",
        "Good configuration: Gmail on 465 with OnConnect; only successes (mixed line ends)",
        good(GMAIL465, 36),
        d(25, 6, 0),
        layout="custom-utc",
        line_ends="mixed",
        article=("good: Gmail 465 OnConnect",),
    ),
    Sample(
        "good-office365-587.log",
        "Good configuration: Office365 on 587 with UseStartTls; only successes; the file starts "
        "with the cut-off tail of a record (one damaged record)",
        good(O365_587, 36),
        d(25, 6, 0),
        layout="sdk-tab",
        junk=JUNK,
        article=("good: Office365 587 UseStartTls",),
    ),
    Sample(
        "network-timeout-after-days.log",
        "A relay on 25 with UseStartTls works for three days, then every connection times out",
        timeout_after_days,
        d(23, 5, 0),
        style=Style(pdb=False),
    ),
    Sample(
        "m365-basic-auth-disabled.log",
        "Microsoft 365: 535 5.7.139 SmtpClientAuthentication disabled for the tenant (fixed), "
        "later basic authentication is disabled (ongoing)",
        m365_basic_auth,
        d(24, 6, 0),
        layout="custom-pipe",
        bom=True,
    ),
    Sample(
        "tls-protocol-mismatch.log",
        "New server offering only TLS 1.0: no common algorithm / remote party closed the "
        "transport stream, until the TLS registry keys are set and the service restarted",
        protocol_mismatch,
        d(23, 9, 0),
        layout="custom-utc",
    ),
    Sample(
        "dns-host-not-found.log",
        "A mistyped host name (No such host is known, 11001) until the config is corrected",
        dns_typo,
        d(24, 8, 0),
    ),
    Sample(
        "recipient-rejected.log",
        "550 5.1.1 unknown recipients (NonFatal) among successful sends; one SqlException "
        "timeout that is not an email failure",
        recipient_rejected,
        d(24, 0, 0),
        layout="sdk-spaces",
    ),
)

SETS: tuple[SampleSet, ...] = (
    SampleSet(
        "rotated",
        ("Rulemanager.log.2", "Rulemanager.log.1", "Rulemanager.log"),
        (0.45, 0.8),
        "Rolled set: Gmail 465 OnConnect sends for days, then 534 5.7.9 application-specific "
        "password required, fixed with an app password",
        gmail_app_password,
        d(23, 6, 0),
        layout="sdk-tab",
        article=("good: Gmail 465 OnConnect",),
    ),
    SampleSet(
        "attachments/ticket-48213-logs.zip",
        ("Rulemanager.log.1", "Rulemanager.log"),
        (0.55,),
        "Zipped rolled set from a ticket: the Exchange relay on 25 refuses connections (10061) "
        "for a few hours",
        relay_refused,
        d(25, 6, 0),
        layout="custom-utc",
        container="zip",
    ),
)

GZ_SAMPLE = Sample(
    "compressed/Rulemanager.log.gz",
    "gzip: Microsoft 365 refuses the new From address (550 5.7.60 send-as), fixed by a "
    "config change",
    send_as_denied,
    d(25, 6, 0),
)
