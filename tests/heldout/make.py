"""Write the held-out RuleManager logs and their expected.yaml.

This script is deliberately independent of logdoctor: it imports nothing from the package and
was written from the reference notes alone (the KB article, dovetail.md, smtp-facts.md), not
from the sample generator or the rules.  The ground truth (stats and incidents) is kept by this
script's own bookkeeping while it writes, and each scenario also states its incidents by hand;
the two must agree or the script stops.

    python tests/heldout/make.py            # rewrite the files next to this script
    python tests/heldout/make.py OUTDIR     # write them somewhere else
"""

from __future__ import annotations

import random
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

Layout = Literal["stock", "sdk-tab", "sdk-spaces"]
ConfigStyle = Literal["flat", "semicolon", "comma", "comma-reordered", "lines", "tabbed"]
SuccessStyle = Literal["email-sent", "sent-message", "message-ok", "successfully"]

CRLF = "\r\n"
EMAIL_LOGGER = "FChoice.RuleManager.Email.EmailService"
BOMB_LOGGER = "FChoice.RuleManager.TimeBombs.TimeBombProcessor"
RULE_LOGGER = "FChoice.RuleManager.Rules.RuleEvaluator"
SQL_LOGGER = "FChoice.Common.Data.SqlHelper"
SERVICE_LOGGER = "FChoice.RuleManager.WindowsService.RuleManagerService"
BUILD = r"c:\Build\RuleManager\3.2.4\Source"


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    enable_ssl: bool
    ssl_mode: str
    timeout_s: int


@dataclass(frozen=True)
class Incident:
    category: str
    count: int
    status: str
    port: int
    ssl_mode: str

    def as_yaml(self) -> str:
        return (
            f"{{category: {self.category}, count: {self.count}, status: {self.status}, "
            f"port: {self.port}, ssl_mode: {self.ssl_mode}}}"
        )


# --------------------------------------------------------------------------- exception text


def frames(*lines: str) -> list[str]:
    return [f"   at {line}" for line in lines]


END_INNER = "   --- End of inner exception stack trace ---"

OUTER_FRAMES = frames(
    "FChoice.RuleManager.Email.EmailService.SendEmail(EmailMessage message) in "
    + BUILD
    + r"\FChoice.RuleManager\Email\EmailService.cs:line 231",
    "FChoice.RuleManager.Actions.SendEmailAction.Execute(ITimeBombContext context) in "
    + BUILD
    + r"\FChoice.RuleManager\Actions\SendEmailAction.cs:line 88",
    "FChoice.RuleManager.TimeBombs.TimeBombProcessor.ProcessTimeBomb(TimeBomb timeBomb) in "
    + BUILD
    + r"\FChoice.RuleManager\TimeBombs\TimeBombProcessor.cs:line 141",
)
SEND_FRAMES = frames(
    "MailBee.SmtpMail.Smtp.a(Boolean A_0)",
    "MailBee.SmtpMail.Smtp.Connect()",
    "MailBee.SmtpMail.Smtp.Send(String senderEmail, String recipientEmails)",
    "FChoice.RuleManager.Email.EmailService.SendEmail(EmailMessage message) in "
    + BUILD
    + r"\FChoice.RuleManager\Email\EmailService.cs:line 212",
)
SSL_FRAMES = frames(
    "System.Net.Security.SslState.StartReadFrame(Byte[] buffer, Int32 readBytes, "
    "AsyncProtocolRequest asyncRequest)",
    "System.Net.Security.SslState.StartReceiveBlob(Byte[] buffer, AsyncProtocolRequest "
    "asyncRequest)",
    "System.Net.Security.SslState.CheckCompletionBeforeNextReceive(ProtocolToken message, "
    "AsyncProtocolRequest asyncRequest)",
    "System.Net.Security.SslState.StartSendBlob(Byte[] incoming, Int32 count, "
    "AsyncProtocolRequest asyncRequest)",
    "System.Net.Security.SslState.ForceAuthentication(Boolean receiveFirst, Byte[] buffer, "
    "AsyncProtocolRequest asyncRequest)",
    "System.Net.Security.SslState.ProcessAuthentication(LazyAsyncResult lazyResult)",
    "System.Net.Security.SslStream.AuthenticateAsClient(String targetHost, "
    "X509CertificateCollection clientCertificates, SslProtocols enabledSslProtocols, "
    "Boolean checkCertificateRevocation)",
    "MailBee.Security.SecureSocket.a(String A_0, SslProtocols A_1)",
)
MAILBEE_SSL_FRAMES = frames(
    "MailBee.Security.SecureSocket.a(String A_0, SslProtocols A_1)",
    "MailBee.Security.SecureSocket.BeginAuthenticate(String targetHost)",
    "MailBee.SmtpMail.Smtp.a(Boolean A_0)",
)
CONNECT_FRAMES = frames(
    "System.Net.Sockets.Socket.EndConnect(IAsyncResult asyncResult)",
    "MailBee.a.a(IAsyncResult A_0)",
)
READ_FRAMES = frames(
    "System.Net.Sockets.Socket.Receive(Byte[] buffer, Int32 offset, Int32 size, "
    "SocketFlags socketFlags)",
    "System.Net.Sockets.NetworkStream.Read(Byte[] buffer, Int32 offset, Int32 size)",
)
DNS_FRAMES = frames(
    "System.Net.Dns.GetAddrInfo(String name)",
    "System.Net.Dns.InternalGetHostByName(String hostName, Boolean includeIPv6)",
    "System.Net.Dns.GetHostAddresses(String hostNameOrAddress)",
    "MailBee.a.a(String A_0, Int32 A_1)",
)
AUTH_FRAMES = frames(
    "MailBee.SmtpMail.Smtp.a(AuthenticationMethods A_0, SaslMethod A_1)",
    "MailBee.SmtpMail.Smtp.Login()",
    "MailBee.SmtpMail.Smtp.Send(String senderEmail, String recipientEmails)",
)
RCPT_FRAMES = frames(
    "MailBee.SmtpMail.Smtp.a(EmailAddress A_0)",
    "MailBee.SmtpMail.Smtp.Send(String senderEmail, String recipientEmails)",
)

PERHAPS = (
    "Perhaps you need to specify a more secure protocol such as TLS 1.2 "
    "(see SecurityProtocol.TlsAuto)."
)


def fatal(inner_head: str, inner_tail: list[str]) -> list[str]:
    """`FatalEmailServiceException.ToString()` around an inner exception's text."""
    head = (
        f"FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> {inner_head}"
    )
    return [head, *inner_tail, END_INNER, *OUTER_FRAMES]


def nonfatal(inner_head: str, inner_tail: list[str]) -> list[str]:
    head = (
        "FChoice.RuleManager.NonFatalEmailServiceException: Received a permanent smtp error "
        f"response. ---> {inner_head}"
    )
    return [head, *inner_tail, END_INNER, *OUTER_FRAMES]


def exc_handshake(rng: random.Random, s: Settings) -> list[str]:
    msg = "The handshake failed due to an unexpected packet format."
    return fatal(
        "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
        "negotiation.",
        [
            PERHAPS,
            f"InnerException message follows: {msg} ---> System.IO.IOException: {msg}",
            *SSL_FRAMES,
            END_INNER,
            *MAILBEE_SSL_FRAMES,
            *SEND_FRAMES[1:],
        ],
    )


def exc_handshake_flat(rng: random.Random, s: Settings) -> list[str]:
    """The article's rendering of the same failure, punctuation lost."""
    return [
        "FChoice.RuleManager.FatalEmailServiceExceptionFailed to send an email---MailBee.Security."
        "MailBeeSslNegotiationExceptionIOException occurred during SSL negotiation",
        "Perhapsyou need to specify a more secure protocol such as TLS 1.2 "
        "(see SecurityProtocol.TlsAuto). ",
        "InnerException message follows",
        "The handshake failed due to an unexpected packet format---System.IO.IOExceptionThe "
        "handshake failed due to an unexpected packet format.",
    ]


def _ip(rng: random.Random, s: Settings) -> str:
    if s.host in ("localhost", "127.0.0.1"):
        return "127.0.0.1"
    if "office365" in s.host:
        return f"52.97.{rng.randint(1, 250)}.{rng.randint(2, 250)}"
    if "gmail" in s.host:
        return f"142.250.{rng.randint(1, 250)}.{rng.choice([108, 109])}"
    return f"10.20.{rng.randint(1, 9)}.{rng.randint(10, 60)}"


def exc_socket_timeout(rng: random.Random, s: Settings) -> list[str]:
    sock = (
        "A connection attempt failed because the connected party did not properly respond "
        "after a period of time, or established connection failed because connected host has "
        f"failed to respond {_ip(rng, s)}:{s.port}"
    )
    return fatal(
        "MailBee.MailBeeSocketTimeoutException: Socket connection has timed out. "
        f"InnerException message follows: {sock} ---> "
        f"System.Net.Sockets.SocketException (0x80004005): {sock}",
        [*READ_FRAMES, "   at MailBee.a.a(Byte[] A_0, Int32 A_1)", END_INNER, *SEND_FRAMES],
    )


def exc_aborted(rng: random.Random, s: Settings) -> list[str]:
    return fatal(
        "MailBee.MailBeeAbortedByRemoteHostException: Socket connection was aborted by "
        "remote host.",
        [*frames("MailBee.a.a(Byte[] A_0, Int32 A_1)", "MailBee.SmtpMail.Smtp.a()"), *SEND_FRAMES],
    )


def exc_forcibly_closed(rng: random.Random, s: Settings) -> list[str]:
    closed = "An existing connection was forcibly closed by the remote host"
    read = f"Unable to read data from the transport connection: {closed}."
    return fatal(
        "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
        "negotiation.",
        [
            PERHAPS,
            f"InnerException message follows: {read} ---> System.IO.IOException: {read} ---> "
            f"System.Net.Sockets.SocketException (0x80004005): {closed}",
            *READ_FRAMES,
            END_INNER,
            *frames(
                "System.Net.Sockets.NetworkStream.Read(Byte[] buffer, Int32 offset, Int32 size)"
            ),
            *SSL_FRAMES[:6],
            END_INNER,
            *MAILBEE_SSL_FRAMES,
            *SEND_FRAMES[1:],
        ],
    )


def exc_no_common_algorithm(rng: random.Random, s: Settings) -> list[str]:
    sspi = "A call to SSPI failed, see inner exception."
    algo = (
        "The client and server cannot communicate, because they do not possess a common algorithm"
    )
    return fatal(
        "MailBee.Security.MailBeeSslNegotiationException: AuthenticationException occurred "
        "during SSL negotiation.",
        [
            PERHAPS,
            f"InnerException message follows: {sspi} ---> "
            f"System.Security.Authentication.AuthenticationException: {sspi} ---> "
            f"System.ComponentModel.Win32Exception (0x80004005): {algo}",
            END_INNER,
            *SSL_FRAMES,
            END_INNER,
            *MAILBEE_SSL_FRAMES,
            *SEND_FRAMES[1:],
        ],
    )


def exc_remote_closed(rng: random.Random, s: Settings) -> list[str]:
    msg = "Authentication failed because the remote party has closed the transport stream."
    return fatal(
        "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
        "negotiation.",
        [
            PERHAPS,
            f"InnerException message follows: {msg} ---> System.IO.IOException: {msg}",
            *SSL_FRAMES,
            END_INNER,
            *MAILBEE_SSL_FRAMES,
            *SEND_FRAMES[1:],
        ],
    )


def exc_dns(rng: random.Random, s: Settings) -> list[str]:
    return fatal(
        f"MailBee.MailBeeSocketHostNotFoundException: Could not resolve host name {s.host}. "
        "InnerException message follows: No such host is known ---> "
        "System.Net.Sockets.SocketException (0x80004005): No such host is known",
        [*DNS_FRAMES, END_INNER, *SEND_FRAMES],
    )


def exc_refused(rng: random.Random, s: Settings) -> list[str]:
    msg = (
        "No connection could be made because the target machine actively refused it "
        f"{_ip(rng, s)}:{s.port}"
    )
    return fatal(
        "MailBee.MailBeeSocketRefusedException: Socket connection was refused by remote host. "
        f"InnerException message follows: {msg} ---> "
        f"System.Net.Sockets.SocketException (0x80004005): {msg}",
        [*CONNECT_FRAMES, END_INNER, *SEND_FRAMES],
    )


def _gsmtp(rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    tag = rng.choice(letters) + str(rng.randint(100, 999))
    tail = rng.choice(letters) + rng.choice(letters)
    return f"{tag}sm{rng.randint(10_000_000, 99_999_999)}{tail}.{rng.randint(1, 99)} - gsmtp"


def exc_gmail_badcreds(rng: random.Random, s: Settings) -> list[str]:
    return nonfatal(
        "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server has rejected "
        "authentication data sent by the client. The server responded: 535-5.7.8 Username and "
        "Password not accepted. For more information, go to",
        [
            "535 5.7.8  https://support.google.com/mail/?p=BadCredentials " + _gsmtp(rng),
            *AUTH_FRAMES,
        ],
    )


def _o365_tail(rng: random.Random, when: datetime) -> str:
    server = (
        f"{rng.choice(['BN9PR03', 'PH0PR07', 'SA1PR12', 'DM6PR11'])}CA{rng.randint(1000, 9999):04d}"
    )
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S") + f".{rng.randint(0, 999):03d}Z"
    host = f"{server}.namprd{rng.randint(2, 19):02d}.prod.outlook.com"
    return f"[{host} {stamp} {rng.getrandbits(64):016X}]"


def exc_basic_disabled(rng: random.Random, s: Settings, when: datetime) -> list[str]:
    return nonfatal(
        "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server has rejected "
        "authentication data sent by the client. The server responded: 535 5.7.139 "
        "Authentication unsuccessful, basic authentication is disabled. " + _o365_tail(rng, when),
        AUTH_FRAMES,
    )


def exc_recipient(rng: random.Random, s: Settings, address: str, wrapped: bool) -> list[str]:
    refused = (
        "MailBee.SmtpMail.MailBeeSmtpRefusedRecipientException: The server has rejected the "
        f"recipient. The server responded: 550 5.1.1 <{address}>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )
    if not wrapped:
        return nonfatal(refused, RCPT_FRAMES)
    return nonfatal(
        "MailBee.SmtpMail.MailBeeSmtpNoAcceptedRecipientsException: None of the recipients "
        f"was accepted by the server. ---> {refused}",
        [*RCPT_FRAMES[:1], END_INNER, *RCPT_FRAMES[1:]],
    )


# --------------------------------------------------------------------------- log writer

FIRST = ["jane", "mark", "priya", "tomas", "li", "amara", "kevin", "sofia", "omar", "ines"]
LAST = ["doe", "okafor", "nakamura", "berg", "walsh", "haddad", "ruiz", "kowalski", "chen"]
DOMAINS = ["contoso.com", "northwind.example", "fabrikam.example", "adatum.example"]
RULES = [
    "Notify owner on case dispatch",
    "Escalate P1 case not accepted in 30 minutes",
    "Customer acknowledgement on new case",
    "Notify queue supervisor on SLA breach",
    "Send survey on case close",
]
SUBJECTS = [
    "Case {case} has been dispatched to Tier 2",
    "Escalation: Case {case} (Priority 1) not accepted within 30 minutes",
    "We received your request - Case {case}",
    "SLA warning for Case {case}",
    "How did we do? Case {case}",
]


@dataclass
class Book:
    """Ground truth, kept while writing."""

    config_loads: int = 0
    sends_ok: int = 0
    sends_failed: int = 0
    records: int = 0
    # ("config", Settings) | ("ok", None) | ("fail", category)
    timeline: list[tuple[str, Settings | str | None]] = field(default_factory=list)


class LogWriter:
    def __init__(
        self,
        layout: Layout,
        seed: int,
        start: datetime,
        *,
        config_style: ConfigStyle,
        success_style: SuccessStyle,
        fail_level: str = "ERROR",
        book: Book | None = None,
    ) -> None:
        self.layout = layout
        self.rng = random.Random(seed)
        self.t = start
        self.config_style = config_style
        self.success_style = success_style
        self.fail_level = fail_level
        self.book = book or Book()
        self.lines: list[str] = []
        self.settings: Settings | None = None
        self.session = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self.bomb = self.rng.randint(40_000, 60_000)
        self.case = self.rng.randint(12_000, 19_000)

    # -- time

    def tick(self, low: float, high: float) -> datetime:
        self.t += timedelta(seconds=self.rng.uniform(low, high))
        self.t = self.t.replace(microsecond=self.t.microsecond // 1000 * 1000)
        return self.t

    def at(self, when: datetime) -> None:
        assert when > self.t, (when, self.t)
        self.t = when

    # -- rendering

    def record(
        self,
        level: str,
        logger: str,
        message: str,
        exception: list[str] | None = None,
        *,
        user: str | None = None,
    ) -> None:
        stamp = self.t.strftime("%Y-%m-%d %H:%M:%S") + f",{self.t.microsecond // 1000:03d}"
        msg_lines = message.split("\n")
        if self.layout == "stock":
            thread = str(self.rng.choice([5, 7, 9, 12, 14])) if logger != SERVICE_LOGGER else "1"
            out = [f"{stamp} [{thread}] {level:<5} {logger} - {msg_lines[0]}", *msg_lines[1:]]
            if exception:
                out += exception
        else:
            indent = "\t" if self.layout == "sdk-tab" else "  "
            who = user or "(null)"
            sid = self.session if user else "(null)"
            out = [
                f"{stamp} [user: {who}] [fcsessionid: {sid}] [{level:<5}] [{logger}]",
                indent + msg_lines[0],
                *msg_lines[1:],
                "",
            ]
            if exception:
                out += exception
        self.lines += out
        self.book.records += 1

    def text(self) -> str:
        return "".join(line + CRLF for line in self.lines)

    # -- noise

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def sql(self) -> None:
        self.tick(0.01, 0.2)
        kind = self.rng.choice(["Fill DataSet query", "Fill DataSet query", "ExecuteNonQuery"])
        took = self.rng.uniform(0.0008, 0.09)
        self.record(
            "DEBUG", SQL_LOGGER, f"{kind} ({self.guid()}) took {took:.4f} seconds.", user="sa"
        )

    def poll(self, due: int) -> None:
        self.tick(1, 4)
        if due == 0:
            self.record("DEBUG", BOMB_LOGGER, "No time bombs due; next poll in 60 seconds")
        else:
            self.record("INFO", BOMB_LOGGER, f"Found {due} time bomb(s) to process")
        self.sql()

    def service_start(self, version: str = "3.2.4.1180") -> None:
        self.tick(5, 40)
        self.record("INFO", SERVICE_LOGGER, f"Dovetail RuleManager {version} starting")
        self.tick(0.2, 1)
        self.record("INFO", SERVICE_LOGGER, "Database connection established (MSSQL)")
        self.sql()
        self.tick(0.2, 2)
        self.record("INFO", RULE_LOGGER, f"Loaded {self.rng.randint(38, 52)} business rules")

    def service_started(self) -> None:
        self.tick(0.1, 1)
        self.record("INFO", SERVICE_LOGGER, "RuleManager service started")

    def service_stop(self) -> None:
        self.tick(30, 300)
        self.record("INFO", SERVICE_LOGGER, "RuleManager service stopping")
        self.tick(0.5, 3)
        self.record("INFO", SERVICE_LOGGER, "RuleManager service stopped")

    # -- the records that matter

    def config(self, s: Settings) -> None:
        self.tick(0.3, 2)
        self.settings = s
        yes = {True: "Yes", False: "No"}[s.enable_ssl]
        tf = {True: "True", False: "False"}[s.enable_ssl]
        head = "SMTP server configuration loaded"
        style = self.config_style
        if style == "flat":
            msg = (
                f"{head}Host{s.host}Port: {s.port}, Enable SSL{yes}SSL Mode{s.ssl_mode}"
                f"Timeout: {s.timeout_s} seconds"
            )
        elif style == "semicolon":
            msg = (
                f"{head}: Host={s.host}; Port={s.port}; Enable SSL={tf}; SSL Mode={s.ssl_mode}; "
                f"Timeout={s.timeout_s} seconds"
            )
        elif style == "comma":
            msg = (
                f"{head} - Host: {s.host}, Port: {s.port}, Enable SSL: {yes}, "
                f"SSL Mode: {s.ssl_mode}, Timeout: {s.timeout_s} seconds"
            )
        elif style == "comma-reordered":
            msg = (
                f"{head}. Host: {s.host}, Port: {s.port}, SSL Mode: {s.ssl_mode}, "
                f"Enable SSL: {yes}, Timeout: {s.timeout_s} seconds"
            )
        elif style == "lines":
            msg = "\n".join(
                [
                    head,
                    f"Host: {s.host}",
                    f"Port: {s.port}",
                    f"Enable SSL: {tf}",
                    f"SSL Mode: {s.ssl_mode}",
                    f"Timeout: {s.timeout_s} seconds",
                ]
            )
        else:
            msg = "\n".join(
                [
                    f"{head}:",
                    f"\tHost\t{s.host}",
                    f"\tPort\t{s.port}",
                    f"\tEnable SSL\t{yes}",
                    f"\tSSL Mode\t{s.ssl_mode}",
                    f"\tTimeout\t{s.timeout_s} seconds",
                ]
            )
        self.record("INFO", EMAIL_LOGGER, msg)
        self.book.config_loads += 1
        self.book.timeline.append(("config", s))

    def person(self) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        return f"{first.title()} {last.title()}", f"{first}.{last}@{self.rng.choice(DOMAINS)}"

    def _bomb(self) -> tuple[int, int, str]:
        self.bomb += self.rng.randint(1, 40)
        self.case += self.rng.randint(0, 6)
        rule = self.rng.choice(RULES)
        self.tick(0.1, 2)
        self.record(
            "INFO",
            BOMB_LOGGER,
            f"Processing time bomb {self.bomb} (rule '{rule}', case {self.case:08d})",
        )
        if self.rng.random() < 0.6:
            self.tick(0.01, 0.3)
            self.record("DEBUG", RULE_LOGGER, f"Rule '{rule}': condition met, 1 action(s)")
        if self.rng.random() < 0.5:
            self.sql()
        return self.bomb, self.case, rule

    def send_ok(self, *, connect_debug: bool = False) -> None:
        bomb, case, _rule = self._bomb()
        s = self.settings
        if connect_debug and s is not None:
            self.tick(0.01, 0.2)
            self.record(
                "DEBUG",
                EMAIL_LOGGER,
                f"Connecting to {s.host}:{s.port} using SSL mode {s.ssl_mode}",
            )
        name, addr = self.person()
        subject = self.rng.choice(SUBJECTS).format(case=f"{case:08d}")
        self.tick(0.4, 3.5)
        style = self.success_style
        if style == "email-sent":
            msg = f"Email sent to {addr} (time bomb {bomb})"
        elif style == "sent-message":
            msg = f"Sent email message '{subject}' to {name} <{addr}>"
        elif style == "message-ok":
            msg = f"Message <{self.guid()}@rulemanager> sent successfully"
        else:
            msg = f"Successfully sent email '{subject}' to 1 recipient(s)"
        self.record("INFO", EMAIL_LOGGER, msg)
        self.book.sends_ok += 1
        self.book.timeline.append(("ok", None))

    def send_fail(
        self,
        category: str,
        exception: list[str],
        *,
        inline: bool = False,
        retry_note: bool = False,
        connect_debug: bool = False,
        waited: bool = False,
    ) -> None:
        """One failed send.  `inline`: the exception text is the message itself (logged as
        `log.Error(ex)`); otherwise a short message with the exception appended by log4net."""
        bomb, _case, _rule = self._bomb()
        s = self.settings
        if connect_debug and s is not None:
            self.tick(0.01, 0.2)
            self.record(
                "DEBUG",
                EMAIL_LOGGER,
                f"Connecting to {s.host}:{s.port} using SSL mode {s.ssl_mode}",
            )
        if waited and s is not None:
            # A timeout is logged when the configured timeout has run out, not before.
            self.tick(s.timeout_s, s.timeout_s + 0.6)
        else:
            self.tick(0.3, 4)
        if inline:
            self.record(self.fail_level, EMAIL_LOGGER, "\n".join(exception))
        else:
            self.record(
                self.fail_level,
                EMAIL_LOGGER,
                f"Error sending email for time bomb {bomb}",
                exception,
            )
        self.book.sends_failed += 1
        self.book.timeline.append(("fail", category))
        if retry_note:
            self.tick(0.01, 0.3)
            self.record(
                "WARN", BOMB_LOGGER, f"Time bomb {bomb} failed; it will be retried in 15 minutes"
            )

    def idle(self, minutes: float) -> None:
        """Quiet polling for about `minutes`."""
        end = self.t + timedelta(minutes=minutes)
        while True:
            step = self.rng.uniform(30, 75) * 60
            if self.t + timedelta(seconds=step) >= end:
                break
            self.tick(step, step)
            self.poll(0)
        if end > self.t:
            self.t = end.replace(microsecond=end.microsecond // 1000 * 1000)


# Single-message causes: other mail going out between them is normal, so a success does not
# resolve them; a settings change does.
PER_MESSAGE = frozenset({"recipient.rejected", "message.rejected", "relay.denied"})


def incidents_of(timeline: list[tuple[str, Settings | str | None]]) -> list[Incident]:
    """The project's incident definition, applied to this script's own event list."""
    current: Settings | None = None
    open_: dict[tuple[str, Settings | None], int] = {}
    done: list[Incident] = []

    def close(status: str, keep: frozenset[str] = frozenset()) -> None:
        for (category, s), count in list(open_.items()):
            if category in keep:
                continue
            assert s is not None, "every held-out failure has a configuration before it"
            done.append(Incident(category, count, status, s.port, s.ssl_mode))
            del open_[(category, s)]

    for kind, value in timeline:
        if kind == "config":
            assert isinstance(value, Settings)
            if value != current:
                close("resolved")
            current = value
        elif kind == "ok":
            close("resolved", keep=PER_MESSAGE)
        else:
            assert isinstance(value, str)
            key = (value, current)
            open_[key] = open_.get(key, 0) + 1
    close("ongoing")
    return done


# --------------------------------------------------------------------------- scenarios


@dataclass
class Output:
    name: str
    scenario: str
    files: dict[str, str]  # relative path -> text
    encoding: str
    paths: list[str]  # in the order the test passes them
    book: Book
    expected: list[Incident]


def day(d: int, h: int, m: int = 0) -> datetime:
    return datetime(2026, 11, d, h, m, 0)


def cycle_fail(
    w: LogWriter,
    n: int,
    category: str,
    make: Callable[[random.Random, Settings], list[str]],
    *,
    every: float = 15,
    inline_every: int = 0,
    retry_note: bool = False,
    connect_debug: bool = False,
) -> None:
    for i in range(n):
        w.poll(w.rng.randint(1, 2))
        assert w.settings is not None
        w.send_fail(
            category,
            make(w.rng, w.settings),
            inline=bool(inline_every) and i % inline_every == 0,
            retry_note=retry_note,
            connect_debug=connect_debug,
            waited=make is exc_socket_timeout,
        )
        w.idle(every * w.rng.uniform(0.8, 1.2))


def cycle_ok(w: LogWriter, n: int, *, every: float = 40, connect_debug: bool = False) -> None:
    for _ in range(n):
        w.poll(1)
        w.send_ok(connect_debug=connect_debug)
        w.idle(every * w.rng.uniform(0.5, 1.6))


def single(
    name: str,
    scenario: str,
    w: LogWriter,
    expected: list[Incident],
    encoding: str = "utf-8",
) -> Output:
    return Output(
        name, scenario, {f"{name}.log": w.text()}, encoding, [f"{name}.log"], w.book, expected
    )


def s1() -> Output:
    s = Settings("localhost", 25, True, "OnConnect", 10)
    w = LogWriter("stock", 101, day(16, 7, 58), config_style="flat", success_style="email-sent")
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_fail(w, 7, "tls.implicit_on_plain_port", exc_handshake, inline_every=3)
    # The article's own rendering of the failure, once.
    w.poll(1)
    w.send_fail("tls.implicit_on_plain_port", exc_handshake_flat(w.rng, s), inline=True)
    w.idle(300)
    w.service_stop()
    w.at(day(17, 8, 30))
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_fail(w, 6, "tls.implicit_on_plain_port", exc_handshake, every=20)
    return single(
        "article-1-onconnect-port25",
        "Article (1): OnConnect against port 25 of localhost; the handshake fails with an "
        "unexpected packet format.  The service is restarted once with the same settings.  "
        "Configuration records in the article's flattened form, one failure in it too.",
        w,
        [Incident("tls.implicit_on_plain_port", 14, "ongoing", 25, "OnConnect")],
    )


def s2() -> Output:
    a = Settings("localhost", 465, True, "UseStartTls", 10)
    b = Settings("localhost", 465, True, "UseStartTls", 60)
    w = LogWriter(
        "sdk-spaces", 202, day(18, 9, 4), config_style="lines", success_style="email-sent"
    )
    w.service_start()
    w.config(a)
    w.service_started()
    cycle_fail(w, 5, "tls.starttls_on_implicit_port", exc_socket_timeout, retry_note=True)
    # The admin's reaction to "timed out": a longer timeout.  Different settings, same mistake.
    w.service_stop()
    w.service_start()
    w.config(b)
    w.service_started()
    cycle_fail(w, 6, "tls.starttls_on_implicit_port", exc_socket_timeout, every=30, retry_note=True)
    return single(
        "article-2-starttls-port465-timeout",
        "Article (2): UseStartTls against port 465; the socket connection times out.  The "
        "admin raises the timeout from 10 to 60 seconds, which changes the settings but not the "
        "outcome: two incidents of the same cause.",
        w,
        [
            Incident("tls.starttls_on_implicit_port", 5, "resolved", 465, "UseStartTls"),
            Incident("tls.starttls_on_implicit_port", 6, "ongoing", 465, "UseStartTls"),
        ],
        encoding="utf-8-sig",
    )


def s3() -> Output:
    s = Settings("smtp.gmail.com", 465, True, "UseStartTlsIfSupported", 100)
    w = LogWriter("sdk-tab", 303, day(19, 6, 40), config_style="flat", success_style="sent-message")
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_fail(w, 12, "tls.starttls_on_implicit_port", exc_aborted, every=90)
    return single(
        "article-3-ifsupported-gmail465",
        "Article (3): UseStartTlsIfSupported against smtp.gmail.com:465; the socket connection "
        "is aborted by the remote host.",
        w,
        [Incident("tls.starttls_on_implicit_port", 12, "ongoing", 465, "UseStartTlsIfSupported")],
    )


def s4() -> Output:
    s = Settings("smtp.gmail.com", 587, True, "UseStartTls", 100)
    w = LogWriter(
        "stock", 404, day(20, 7, 15), config_style="semicolon", success_style="sent-message"
    )
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_ok(w, 10, every=45)
    w.at(day(21, 9, 2))
    cycle_fail(w, 9, "auth.bad_credentials", exc_gmail_badcreds, every=25, inline_every=4)
    return single(
        "article-4-gmail-bad-credentials",
        "Article (4): Gmail on 587 with UseStartTls sends, then rejects the password "
        "(535-5.7.8, NonFatal) from the next morning on.",
        w,
        [Incident("auth.bad_credentials", 9, "ongoing", 587, "UseStartTls")],
    )


def s5() -> Output:
    s = Settings("smtp.office365.com", 587, True, "OnConnect", 10)
    w = LogWriter(
        "sdk-tab",
        505,
        day(22, 8, 0),
        config_style="lines",
        success_style="email-sent",
        fail_level="FATAL",
    )
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_fail(w, 6, "tls.implicit_on_plain_port", exc_handshake, connect_debug=True)
    w.idle(600)
    cycle_fail(
        w, 4, "tls.implicit_on_plain_port", exc_handshake, connect_debug=True, inline_every=2
    )
    return single(
        "article-5-office365-onconnect-587",
        "Article (5): Office365 with OnConnect on port 587; the handshake fails.  Failures are "
        "logged at FATAL level; DEBUG lines name the host, port and mode before each attempt.",
        w,
        [Incident("tls.implicit_on_plain_port", 10, "ongoing", 587, "OnConnect")],
    )


def s6() -> Output:
    s = Settings("smtp.office365.com", 587, True, "UseStartTls", 100)
    w = LogWriter("stock", 606, day(16, 6, 30), config_style="comma", success_style="email-sent")
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_ok(w, 12, every=70)
    w.service_stop()
    w.at(day(17, 6, 0))
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_ok(w, 13, every=90)
    w.at(day(19, 10, 12))
    cycle_fail(w, 12, "network.filtering", exc_forcibly_closed, every=15, retry_note=True)
    return single(
        "article-6-internet-filtering",
        "Article (6): Office365 587 UseStartTls sends mail for three days (one restart with the "
        "same settings), then an internet filter forcibly closes every TLS negotiation.",
        w,
        [Incident("network.filtering", 12, "ongoing", 587, "UseStartTls")],
    )


def s7() -> Output:
    bad = Settings("smtp.gmail.com", 587, True, "OnConnect", 100)
    good = Settings("smtp.gmail.com", 587, True, "UseStartTls", 100)
    w = LogWriter(
        "sdk-spaces", 707, day(23, 13, 5), config_style="semicolon", success_style="message-ok"
    )
    w.service_start()
    w.config(bad)
    w.service_started()
    cycle_fail(w, 7, "tls.implicit_on_plain_port", exc_handshake, every=12)
    w.service_stop()
    w.service_start()
    w.config(good)
    w.service_started()
    cycle_ok(w, 15, every=50)
    return single(
        "fix-then-successes",
        "Gmail with OnConnect on 587 fails the handshake; the mode is changed to UseStartTls, "
        "the service restarted, and mail flows again.",
        w,
        [Incident("tls.implicit_on_plain_port", 7, "resolved", 587, "OnConnect")],
    )


def s8() -> Output:
    s = Settings("smtp.gmail.com", 587, True, "UseStartTls", 30)
    w = LogWriter("sdk-tab", 808, day(20, 5, 50), config_style="tabbed", success_style="message-ok")
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_ok(w, 12, every=60, connect_debug=True)
    w.service_stop()
    w.at(day(21, 5, 45))
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_ok(w, 12, every=70, connect_debug=True)
    w.at(day(23, 8, 20))
    cycle_fail(w, 6, "network.timeout", exc_socket_timeout, every=20, connect_debug=True)
    # Someone restarts the service: same settings, so the same incident goes on.
    w.service_stop()
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_fail(w, 5, "network.timeout", exc_socket_timeout, every=20, connect_debug=True)
    return single(
        "worked-for-days-then-timeout",
        "Gmail 587 UseStartTls works for three days (a nightly restart), then every connection "
        "times out with unchanged settings; a restart with the same settings does not help.",
        w,
        [Incident("network.timeout", 11, "ongoing", 587, "UseStartTls")],
    )


def s9() -> Output:
    s = Settings("mail01.corp.northwind.example", 25, True, "UseStartTls", 30)
    book = Book()
    oldest = LogWriter(
        "stock",
        909,
        day(17, 6, 0),
        config_style="comma-reordered",
        success_style="successfully",
        book=book,
    )
    oldest.service_start()
    oldest.config(s)
    oldest.service_started()
    cycle_ok(oldest, 14, every=80)
    # log4net rolls by size between two records; the next file goes on where this one ends.
    middle = LogWriter(
        "stock",
        910,
        oldest.t,
        config_style="comma-reordered",
        success_style="successfully",
        book=book,
    )
    middle.settings = s
    middle.tick(30, 90)
    cycle_ok(middle, 10, every=80)
    middle.at(day(20, 1, 30))
    cycle_fail(middle, 4, "network.refused", exc_refused, every=15, retry_note=True)
    newest = LogWriter(
        "stock",
        911,
        middle.t,
        config_style="comma-reordered",
        success_style="successfully",
        book=book,
    )
    newest.settings = s
    newest.tick(30, 90)
    cycle_fail(newest, 5, "network.refused", exc_refused, every=15, retry_note=True)
    cycle_ok(newest, 9, every=60)
    d = "rotated-relay-refused"
    return Output(
        d,
        "Rolled set (Rulemanager.log.2 oldest, .log.1, .log newest): an on-premises relay on "
        "port 25 with UseStartTls sends for days; during a night of maintenance it refuses "
        "connections (10061) across the roll-over, then mail flows again.  The only "
        "configuration record is in the oldest file.  The test passes the files newest first.",
        {
            f"{d}/Rulemanager.log.2": oldest.text(),
            f"{d}/Rulemanager.log.1": middle.text(),
            f"{d}/Rulemanager.log": newest.text(),
        },
        "utf-8",
        [f"{d}/Rulemanager.log", f"{d}/Rulemanager.log.1", f"{d}/Rulemanager.log.2"],
        book,
        [Incident("network.refused", 9, "resolved", 25, "UseStartTls")],
    )


def s10() -> Output:
    s = Settings("smtp.office365.com", 587, True, "UseStartTls", 100)
    w = LogWriter(
        "sdk-tab", 1010, day(23, 7, 0), config_style="semicolon", success_style="sent-message"
    )
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_ok(w, 18, every=80)
    w.at(day(25, 7, 10))
    for i in range(10):
        w.poll(1)
        w.send_fail("auth.basic_disabled", exc_basic_disabled(w.rng, s, w.t), inline=i % 3 == 1)
        w.idle(35 * w.rng.uniform(0.8, 1.2))
    return single(
        "m365-basic-auth-disabled",
        "Microsoft 365 on 587 with UseStartTls sends for two days, then every message is "
        "refused with 535 5.7.139 basic authentication is disabled (NonFatal).",
        w,
        [Incident("auth.basic_disabled", 10, "ongoing", 587, "UseStartTls")],
        encoding="utf-8-sig",
    )


def s11() -> Output:
    s = Settings("smtp.office365.com", 587, True, "UseStartTls", 100)
    w = LogWriter(
        "stock", 1111, day(24, 10, 0), config_style="semicolon", success_style="email-sent"
    )
    w.service_start("3.2.4.1180")
    w.config(s)
    w.service_started()
    for i in range(10):
        w.poll(1)
        make = exc_remote_closed if i % 5 in (2, 4) else exc_no_common_algorithm
        w.send_fail("tls.protocol_mismatch", make(w.rng, s), retry_note=True)
        w.idle(15 * w.rng.uniform(0.8, 1.2))
    # SchUseStrongCrypto / SystemDefaultTlsVersions set, then a restart: same settings.
    w.service_stop()
    w.at(day(25, 9, 30))
    w.service_start("3.2.4.1180")
    w.config(s)
    w.service_started()
    cycle_ok(w, 12, every=45)
    return single(
        "tls-protocol-mismatch",
        "A new server whose .NET defaults offer only TLS 1.0: 'no common algorithm' and "
        "'remote party has closed the transport stream' against Microsoft 365, until the TLS "
        "registry keys are set and the service restarted (same settings), then successes.",
        w,
        [Incident("tls.protocol_mismatch", 10, "resolved", 587, "UseStartTls")],
    )


def s12() -> Output:
    typo = Settings("smtp.offfice365.com", 587, True, "UseStartTls", 100)
    fixed = Settings("smtp.office365.com", 587, True, "UseStartTls", 100)
    w = LogWriter(
        "sdk-spaces", 1212, day(24, 14, 20), config_style="lines", success_style="sent-message"
    )
    w.service_start()
    w.config(typo)
    w.service_started()
    cycle_fail(w, 7, "network.dns", exc_dns, every=15, inline_every=3)
    w.service_stop()
    w.service_start()
    w.config(fixed)
    w.service_started()
    cycle_ok(w, 14, every=60)
    return single(
        "dns-host-not-found",
        "A mistyped host name (smtp.offfice365.com): No such host is known, until the host is "
        "corrected and mail flows.",
        w,
        [Incident("network.dns", 7, "resolved", 587, "UseStartTls")],
    )


def s13() -> Output:
    s = Settings("smtp.fabrikam.example", 25, True, "UseStartTls", 30)
    w = LogWriter(
        "stock", 1313, day(21, 8, 0), config_style="semicolon", success_style="sent-message"
    )
    w.service_start()
    w.config(s)
    w.service_started()

    def reject(address: str, wrapped: bool) -> None:
        w.send_fail("recipient.rejected", exc_recipient(w.rng, s, address, wrapped))
        w.tick(0.01, 0.4)
        w.record(
            "WARN",
            BOMB_LOGGER,
            f"Time bomb {w.bomb} rescheduled to 1/1/2999 12:00:00 AM: the email could not be "
            "delivered (see previous error)",
        )

    cycle_ok(w, 8, every=50)
    # One time bomb batch with two messages to the same mistyped address.
    w.poll(2)
    reject("renee.fauree@fabrikam.example", False)
    reject("renee.fauree@fabrikam.example", True)
    w.idle(20)
    # A display name in the ANSI code page, and a database hiccup that is not an email failure.
    w.poll(1)
    w.bomb += 3
    w.tick(0.5, 2)
    w.record(
        "INFO",
        EMAIL_LOGGER,
        "Sent email message 'Réclamation 00014411 reçue' to Renée Fauré "
        "<renee.faure@fabrikam.example>",
    )
    w.book.sends_ok += 1
    w.book.timeline.append(("ok", None))
    cycle_ok(w, 4, every=40)
    w.tick(60, 300)
    w.record(
        "ERROR",
        SQL_LOGGER,
        "Error executing query (" + w.guid() + ")",
        [
            "System.Data.SqlClient.SqlException (0x80131904): Execution Timeout Expired.  The "
            "timeout period elapsed prior to completion of the operation or the server is not "
            "responding. ---> System.ComponentModel.Win32Exception (0x80004005): The wait "
            "operation timed out",
            *frames(
                "System.Data.SqlClient.SqlConnection.OnError(SqlException exception, Boolean "
                "breakConnection, Action`1 wrapCloseInAction)",
                "System.Data.SqlClient.SqlCommand.ExecuteReader(CommandBehavior behavior)",
                "FChoice.Common.Data.SqlHelper.FillDataSet(String sql, DataSet ds)",
            ),
            "ClientConnectionId:" + w.guid(),
            "Error Number:-2,State:0,Class:11",
        ],
        user="sa",
    )
    cycle_ok(w, 5, every=40)
    w.poll(1)
    reject("kevin.walshe@fabrikam.example", False)
    w.idle(25)
    cycle_ok(w, 12, every=45)
    return single(
        "recipient-rejected",
        "An on-premises relay refuses unknown recipients (550 5.1.1, NonFatal) among successful "
        "sends; RuleManager 3.2.4 parks the time bomb to 1/1/2999.  Successes between them do "
        "not resolve a single-message cause, and no setting changes: one ongoing incident.  ANSI "
        "code page "
        "(cp1252) with accented names; one SqlException timeout that is not an email failure.",
        w,
        [
            Incident("recipient.rejected", 3, "ongoing", 25, "UseStartTls"),
        ],
        encoding="cp1252",
    )


def s14() -> Output:
    s = Settings("smtp.gmail.com", 465, True, "OnConnect", 100)
    w = LogWriter("sdk-tab", 1414, day(22, 6, 0), config_style="tabbed", success_style="email-sent")
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_ok(w, 16, every=90)
    w.service_stop()
    w.at(day(24, 6, 5))
    w.service_start()
    w.config(s)
    w.service_started()
    cycle_ok(w, 14, every=100)
    return single(
        "only-successes",
        "Gmail on 465 with OnConnect, the article's good configuration: two days, one restart, "
        "only successful sends.  No incident.",
        w,
        [],
    )


def s15() -> Output:
    a = Settings("smtp.gmail.com", 465, True, "UseStartTls", 30)
    b = Settings("smtp.gmail.com", 465, True, "OnConnect", 30)
    w = LogWriter("stock", 1515, day(26, 11, 0), config_style="comma", success_style="email-sent")
    w.service_start()
    w.config(a)
    w.service_started()
    cycle_fail(w, 6, "tls.starttls_on_implicit_port", exc_socket_timeout, every=15)
    w.service_stop()
    w.service_start()
    w.config(b)
    w.service_started()
    # Now TLS works and the next problem shows: the account's password is refused.
    cycle_fail(w, 8, "auth.bad_credentials", exc_gmail_badcreds, every=20, inline_every=3)
    return single(
        "two-problems-in-sequence",
        "Gmail on 465 with UseStartTls times out; the mode is fixed to OnConnect, and the "
        "password problem it hid shows up (535-5.7.8), still ongoing at the end.",
        w,
        [
            Incident("tls.starttls_on_implicit_port", 6, "resolved", 465, "UseStartTls"),
            Incident("auth.bad_credentials", 8, "ongoing", 465, "OnConnect"),
        ],
    )


SCENARIOS: tuple[Callable[[], Output], ...] = (
    s1,
    s2,
    s3,
    s4,
    s5,
    s6,
    s7,
    s8,
    s9,
    s10,
    s11,
    s12,
    s13,
    s14,
    s15,
)


def key(i: Incident) -> tuple[str, int, str, int, str]:
    return (i.category, i.count, i.status, i.port, i.ssl_mode)


def build() -> list[Output]:
    outputs = [make() for make in SCENARIOS]
    for out in outputs:
        counted = incidents_of(out.book.timeline)
        if Counter(map(key, counted)) != Counter(map(key, out.expected)):
            raise SystemExit(f"{out.name}: bookkeeping {counted} != stated {out.expected}")
        if not 30 <= out.book.records <= 300 * len(out.files):
            raise SystemExit(f"{out.name}: {out.book.records} records, want 30-300 a file")
    return outputs


def expected_yaml(outputs: list[Output]) -> str:
    lines = [
        "# Held-out logs and what `logdoctor analyze` must find in them.",
        "# Written by tests/heldout/make.py from its own bookkeeping; see README.md.",
        "# paths: relative to this file, in the order the test passes them.",
        "# incidents: {category, count, status, port, ssl_mode} of each incident, any order.",
        "logs:",
    ]
    for out in outputs:
        lines.append(f"  - name: {out.name}")
        lines.append(f"    scenario: >-\n      {out.scenario}")
        lines.append(f"    encoding: {out.encoding}")
        lines.append("    paths: [" + ", ".join(out.paths) + "]")
        b = out.book
        lines.append(
            f"    stats: {{records: {b.records}, config_loads: {b.config_loads}, "
            f"sends_ok: {b.sends_ok}, sends_failed: {b.sends_failed}, damaged_records: 0}}"
        )
        if out.expected:
            lines.append("    incidents:")
            lines += [f"      - {i.as_yaml()}" for i in out.expected]
        else:
            lines.append("    incidents: []")
    return "\n".join(lines) + "\n"


def write(outdir: Path) -> list[Path]:
    outputs = build()
    written: list[Path] = []
    for out in outputs:
        for rel, text in out.files.items():
            path = outdir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            # newline="" keeps the CRLF this script wrote; no translation on any platform.
            with path.open("w", encoding=out.encoding, newline="") as stream:
                stream.write(text)
            written.append(path)
    manifest = outdir / "expected.yaml"
    manifest.write_text(expected_yaml(outputs), encoding="utf-8", newline="\n")
    written.append(manifest)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for p in write(target):
        print(p)
