"""Failure texts as .NET `Exception.ToString()` writes them, one builder per kind of failure.

Facts come from reference/seed-kb-rulemanager-tls.txt (the article's scenarios and MailBee
messages), reference/smtp-facts.md (provider reply texts, Windows socket messages, .NET TLS
errors) and reference/dovetail.md (MailBee type names).  The wordings around them are ours.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from logdoctor.samplegen.texts import Words
from logdoctor.samplegen.truth import Settings

FATAL = "FChoice.RuleManager.FatalEmailServiceException"
NONFATAL = "FChoice.RuleManager.NonFatalEmailServiceException"
SSL_NEG = "MailBee.Security.MailBeeSslNegotiationException"
SOCKET = "System.Net.Sockets.SocketException (0x80004005)"
PERHAPS = (
    "Perhaps you need to specify a more secure protocol such as TLS 1.2 "
    "(see SecurityProtocol.TlsAuto)."
)
TIMEOUT_TEXT = (
    "A connection attempt failed because the connected party did not properly respond after a "
    "period of time, or established connection failed because connected host has failed to "
    "respond"
)
RESET_TEXT = "An existing connection was forcibly closed by the remote host"


@dataclass(frozen=True, slots=True)
class Link:
    type: str
    message: str
    frames: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Style:
    """How one installation writes its failures (fixed per sample file)."""

    pdb: bool = True  # stack frames carry " in C:\\...\\File.cs:line N"
    flat_ratio: float = 0.0  # share of failures in the article's flattened one-line form
    prefix_ratio: float = 0.5  # share with a RuleManager line before the exception text
    email_class: str = "EmailService"


@dataclass(frozen=True, slots=True)
class Failure:
    category: str
    level: str
    message: str


def dotnet_text(links: list[Link]) -> str:
    """`Exception.ToString()` of a chain given outermost first."""

    def render(i: int) -> str:
        link = links[i]
        text = f"{link.type}: {link.message}" if link.message else link.type
        if i + 1 < len(links):
            text += " ---> " + render(i + 1) + "\n   --- End of inner exception stack trace ---"
        for frame in link.frames:
            text += "\n   at " + frame
        return text

    return render(0)


def flat_text(links: list[Link]) -> str:
    """The article's rendering: punctuation and line breaks lost, links joined by `---`."""
    parts = []
    for link in links:
        name = link.type.split(" ")[0]
        parts.append(name + " ".join(line.strip() for line in link.message.split("\n")))
    return "---".join(parts)


class Ctx:
    """What a failure builder needs: variable parts, the settings, and the file's style."""

    def __init__(self, words: Words, settings: Settings | None, style: Style) -> None:
        self.words = words
        self.rng: random.Random = words.rng
        self.settings = settings
        self.style = style

    @property
    def host(self) -> str:
        return self.settings.host if self.settings else "localhost"

    @property
    def port(self) -> int:
        return self.settings.port if self.settings else 25

    def ip(self) -> str:
        r = self.rng
        host = self.host.lower()
        if host in ("localhost", "127.0.0.1"):
            return "127.0.0.1" if r.random() < 0.8 else "[::1]"
        if "office365" in host or "outlook" in host:
            return f"52.97.{r.randint(0, 255)}.{r.randint(1, 254)}"
        if "gmail" in host or "google" in host:
            prefix = r.choice(("142.250", "74.125", "172.253"))
            return f"{prefix}.{r.randint(0, 255)}.{r.randint(1, 254)}"
        return f"10.{r.randint(0, 40)}.{r.randint(0, 255)}.{r.randint(2, 254)}"

    def own_frames(self) -> tuple[str, ...]:
        cls = f"FChoice.RuleManager.Email.{self.style.email_class}"
        frames = [
            (f"{cls}.SendMessage(EmailMessage message)", "Email", self.style.email_class, 212),
            (
                f"{cls}.Send(EmailMessage message, Boolean throwOnError)",
                "Email",
                self.style.email_class,
                147,
            ),
            (
                "FChoice.RuleManager.Actions.SendEmailAction.Execute(TimeBomb timeBomb)",
                "Actions",
                "SendEmailAction",
                88,
            ),
        ]
        out = []
        for method, folder, name, line in frames:
            if self.style.pdb:
                src = f"C:\\Build\\RuleManager\\src\\FChoice.RuleManager\\{folder}\\{name}.cs"
                out.append(f"{method} in {src}:line {line}")
            else:
                out.append(method)
        return tuple(out)

    def gsmtp(self) -> str:
        r = self.rng
        letters = "abcdefghijklmnopqrstuvwxyz"
        return (
            f"{r.choice(letters)}{r.randint(10, 999)}sm{r.randint(1000000, 99999999)}"
            f"{''.join(r.choice(letters) for _ in range(3))}.{r.randint(1, 99)} - gsmtp"
        )

    def m365_tail(self) -> str:
        r = self.rng
        server = (
            f"{r.choice(('MW4PR03CA', 'SN4PR0501CA', 'BN0PR04CA', 'AM6PR10CA'))}"
            f"{r.randint(1, 9999):04d}.{r.choice(('namprd03', 'namprd05', 'eurprd10'))}"
            ".prod.outlook.com"
        )
        stamp = (
            f"2026-11-{r.randint(20, 27):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
            f"{r.randint(0, 59):02d}.{r.randint(0, 9999999):07d}Z"
        )
        return f"[{server} {stamp} {r.getrandbits(64):016X}]"


SSL_FRAMES = (
    "System.Net.Security.SslState.StartReadFrame(Byte[] buffer, Int32 readBytes, "
    "AsyncProtocolRequest asyncRequest)",
    "System.Net.Security.SslState.StartReceiveBlob(Byte[] buffer, AsyncProtocolRequest "
    "asyncRequest)",
    "System.Net.Security.SslState.CheckCompletionBeforeNextReceive(ProtocolToken message, "
    "AsyncProtocolRequest asyncRequest)",
    "System.Net.Security.SslState.ForceAuthentication(Boolean receiveFirst, Byte[] buffer, "
    "AsyncProtocolRequest asyncRequest)",
    "System.Net.Security.SslState.ProcessAuthentication(LazyAsyncResult lazyResult)",
    "System.Net.Security.SslStream.AuthenticateAsClient(String targetHost, "
    "X509CertificateCollection clientCertificates, SslProtocols enabledSslProtocols, "
    "Boolean checkCertificateRevocation)",
)
MAILBEE_SSL_FRAMES = (
    "MailBee.Security.SslNegotiator.Negotiate(Socket socket, String targetHost)",
    "MailBee.SmtpMail.Smtp.Connect()",
    "MailBee.SmtpMail.Smtp.Send()",
)
MAILBEE_CONNECT_FRAMES = (
    "MailBee.Net.SocketConnector.Connect(String host, Int32 port)",
    "MailBee.SmtpMail.Smtp.Connect()",
    "MailBee.SmtpMail.Smtp.Send()",
)
MAILBEE_SMTP_FRAMES = (
    "MailBee.SmtpMail.Smtp.ExecuteCommand(String command, Int32 expectedCode)",
    "MailBee.SmtpMail.Smtp.Login()",
    "MailBee.SmtpMail.Smtp.Send()",
)
SOCKET_CONNECT_FRAMES = (
    "System.Net.Sockets.Socket.EndConnect(IAsyncResult asyncResult)",
    "MailBee.Net.SocketConnector.EndConnect(IAsyncResult result)",
)
SOCKET_READ_FRAMES = (
    "System.Net.Sockets.NetworkStream.Read(Byte[] buffer, Int32 offset, Int32 size)",
)


def _some(ctx: Ctx, frames: tuple[str, ...]) -> tuple[str, ...]:
    # Stack depth varies with the call path; keep the innermost frames, drop a few outer ones.
    keep = ctx.rng.randint(max(1, len(frames) - 2), len(frames))
    return frames[:keep]


def _fatal(ctx: Ctx, *inner: Link) -> list[Link]:
    return [Link(FATAL, "Failed to send an email", ctx.own_frames()), *inner]


def _nonfatal(ctx: Ctx, *inner: Link) -> list[Link]:
    msg = ctx.rng.choice(
        ("Received a permanent smtp error response.", "The email could not be delivered.")
    )
    return [Link(NONFATAL, msg, ctx.own_frames()), *inner]


def _ssl_negotiation(ctx: Ctx, kind: str, inner_message: str) -> Link:
    return Link(
        SSL_NEG,
        f"{kind} occurred during SSL negotiation. {PERHAPS}\n"
        f"InnerException message follows: {inner_message}",
        _some(ctx, MAILBEE_SSL_FRAMES),
    )


def _code(ctx: Ctx, code: int) -> str:
    # Some builds print the socket error code, some do not.
    return f" Socket error code: {code}." if ctx.rng.random() < 0.6 else ""


# --- builders: each returns the exception chain of one failed send --------------------------


def handshake_packet_format(ctx: Ctx) -> list[Link]:
    text = "The handshake failed due to an unexpected packet format."
    return _fatal(
        ctx,
        _ssl_negotiation(ctx, "IOException", text),
        Link("System.IO.IOException", text, _some(ctx, SSL_FRAMES)),
    )


def _timeout(ctx: Ctx, read: bool) -> list[Link]:
    endpoint = f"{ctx.ip()}:{ctx.port}"
    frames = SOCKET_READ_FRAMES if read else SOCKET_CONNECT_FRAMES
    return _fatal(
        ctx,
        Link(
            "MailBee.MailBeeSocketTimeoutException",
            f"Socket connection has timed out.{_code(ctx, 10060)} "
            f"InnerException message follows: {TIMEOUT_TEXT}",
            _some(ctx, MAILBEE_CONNECT_FRAMES),
        ),
        Link(SOCKET, f"{TIMEOUT_TEXT} {endpoint}" if not read else TIMEOUT_TEXT, frames),
    )


def starttls_on_implicit_timeout(ctx: Ctx) -> list[Link]:
    # Connected to 465, then both sides wait: the server for a ClientHello, MailBee for a banner.
    return _timeout(ctx, read=True)


def connect_timeout(ctx: Ctx) -> list[Link]:
    return _timeout(ctx, read=False)


def aborted_by_remote(ctx: Ctx) -> list[Link]:
    return _fatal(
        ctx,
        Link(
            "MailBee.MailBeeAbortedByRemoteHostException",
            "Socket connection was aborted by remote host.",
            _some(ctx, MAILBEE_CONNECT_FRAMES),
        ),
    )


def gmail_535(ctx: Ctx) -> list[Link]:
    gid = ctx.gsmtp()
    reply = (
        "535-5.7.8 Username and Password not accepted. Learn more at\n"
        f"535 5.7.8  https://support.google.com/mail/?p=BadCredentials {gid}"
    )
    if ctx.rng.random() < 0.3:
        reply = (
            "535-5.7.8 Username and Password not accepted. For more information, go to\n"
            f"535 5.7.8  https://support.google.com/mail/?p=BadCredentials {gid}"
        )
    return _nonfatal(ctx, _login_rejected(ctx, reply))


def gmail_534(ctx: Ctx) -> list[Link]:
    reply = (
        "534-5.7.9 Application-specific password required. Learn more at\n"
        f"534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor {ctx.gsmtp()}"
    )
    return _fatal(ctx, _login_rejected(ctx, reply))


def _login_rejected(ctx: Ctx, reply: str) -> Link:
    return Link(
        "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException",
        f"The server has rejected authentication data sent by the client. "
        f"The server responded: {reply}",
        _some(ctx, MAILBEE_SMTP_FRAMES),
    )


def m365_tenant_disabled(ctx: Ctx) -> list[Link]:
    reply = (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
        f"Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. {ctx.m365_tail()}"
    )
    return _fatal(ctx, _login_rejected(ctx, reply))


def m365_basic_disabled(ctx: Ctx) -> list[Link]:
    reply = (
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
        f"{ctx.m365_tail()}"
    )
    return _fatal(ctx, _login_rejected(ctx, reply))


def forcibly_closed(ctx: Ctx) -> list[Link]:
    read = f"Unable to read data from the transport connection: {RESET_TEXT}."
    if ctx.rng.random() < 0.7:
        return _fatal(
            ctx,
            _ssl_negotiation(ctx, "IOException", read),
            Link("System.IO.IOException", read, _some(ctx, SSL_FRAMES)),
            Link(SOCKET, RESET_TEXT, SOCKET_READ_FRAMES),
        )
    return _fatal(
        ctx,
        Link(
            "MailBee.MailBeeSocketResetException",
            f"The connection was reset by the remote host.{_code(ctx, 10054)}",
            _some(ctx, MAILBEE_CONNECT_FRAMES),
        ),
        Link(SOCKET, RESET_TEXT, SOCKET_READ_FRAMES),
    )


def common_algorithm(ctx: Ctx) -> list[Link]:
    sspi = "A call to SSPI failed, see inner exception."
    return _fatal(
        ctx,
        _ssl_negotiation(ctx, "AuthenticationException", sspi),
        Link(
            "System.Security.Authentication.AuthenticationException", sspi, _some(ctx, SSL_FRAMES)
        ),
        Link(
            "System.ComponentModel.Win32Exception (0x80004005)",
            "The client and server cannot communicate, because they do not possess a common "
            "algorithm",
        ),
    )


def remote_closed_stream(ctx: Ctx) -> list[Link]:
    text = "Authentication failed because the remote party has closed the transport stream."
    return _fatal(
        ctx,
        _ssl_negotiation(ctx, "IOException", text),
        Link("System.IO.IOException", text, _some(ctx, SSL_FRAMES)),
    )


def dns(ctx: Ctx) -> list[Link]:
    text = "No such host is known"
    return _fatal(
        ctx,
        Link(
            "MailBee.MailBeeSocketHostNotFoundException",
            f"Cannot resolve the host name {ctx.host}.{_code(ctx, 11001)} "
            f"InnerException message follows: {text}",
            _some(ctx, MAILBEE_CONNECT_FRAMES),
        ),
        Link(
            SOCKET,
            text,
            (
                "System.Net.Dns.GetAddrInfo(String name)",
                "System.Net.Dns.GetHostAddresses(String hostNameOrAddress)",
            ),
        ),
    )


def refused(ctx: Ctx) -> list[Link]:
    text = "No connection could be made because the target machine actively refused it"
    return _fatal(
        ctx,
        Link(
            "MailBee.MailBeeSocketRefusedException",
            f"The connection was refused by the server.{_code(ctx, 10061)} "
            f"InnerException message follows: {text}",
            _some(ctx, MAILBEE_CONNECT_FRAMES),
        ),
        Link(SOCKET, f"{text} {ctx.ip()}:{ctx.port}", SOCKET_CONNECT_FRAMES),
    )


def recipient_550(ctx: Ctx) -> list[Link]:
    to = ctx.words.address().replace(".", "", 1)
    if "gmail" in ctx.host:
        reply = (
            "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
            "550-5.1.1 double-checking the recipient's email address for typos or\n"
            f"550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser "
            f"{ctx.gsmtp()}"
        )
    else:
        reply = ctx.rng.choice(
            (
                f"550 5.1.1 <{to}>: Recipient address rejected: User unknown in local recipient "
                "table",
                f"550 5.1.1 User unknown; rejecting {to}",
                f"550 5.1.1 <{to}>... No such user here",
            )
        )
    return _nonfatal(
        ctx,
        Link(
            "MailBee.SmtpMail.MailBeeSmtpNoAcceptedRecipientsException",
            f"None of the recipients has been accepted by the server. Recipient: {to}. "
            f"The server responded: {reply}",
            _some(
                ctx, ("MailBee.SmtpMail.Smtp.SubmitRecipients()", "MailBee.SmtpMail.Smtp.Send()")
            ),
        ),
    )


def sendas_5760(ctx: Ctx) -> list[Link]:
    reply = (
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender "
        f"{ctx.m365_tail()}"
    )
    return _nonfatal(
        ctx,
        Link(
            "MailBee.SmtpMail.MailBeeSmtpNegativeResponseException",
            f"The server responded with a negative reply to MAIL FROM: {reply}",
            _some(ctx, ("MailBee.SmtpMail.Smtp.SubmitSender()", "MailBee.SmtpMail.Smtp.Send()")),
        ),
    )


Builder = Callable[[Ctx], list[Link]]

# kind -> (contract category, builder).  The kind is what a scenario asks for; the category is
# the truth a diagnosis must reach given the settings the scenario logs before it.
KINDS: dict[str, tuple[str, Builder]] = {
    "handshake_packet_format": ("tls.implicit_on_plain_port", handshake_packet_format),
    "starttls_465_timeout": ("tls.starttls_on_implicit_port", starttls_on_implicit_timeout),
    "aborted_by_remote": ("tls.starttls_on_implicit_port", aborted_by_remote),
    "gmail_535": ("auth.bad_credentials", gmail_535),
    "gmail_534": ("auth.app_password_required", gmail_534),
    "m365_tenant_disabled": ("auth.basic_disabled", m365_tenant_disabled),
    "m365_basic_disabled": ("auth.basic_disabled", m365_basic_disabled),
    "forcibly_closed": ("network.filtering", forcibly_closed),
    "connect_timeout": ("network.timeout", connect_timeout),
    "common_algorithm": ("tls.protocol_mismatch", common_algorithm),
    "remote_closed_stream": ("tls.protocol_mismatch", remote_closed_stream),
    "dns": ("network.dns", dns),
    "refused": ("network.refused", refused),
    "recipient_550": ("recipient.rejected", recipient_550),
    "sendas_5760": ("sender.rejected", sendas_5760),
}


def build_failure(kind: str, ctx: Ctx) -> Failure:
    """One failed send of `kind`, rendered in the file's style."""
    category, builder = KINDS[kind]
    links = builder(ctx)
    rng = ctx.rng
    if rng.random() < ctx.style.flat_ratio:
        return Failure(category, "ERROR", flat_text(links))
    text = dotnet_text(links)
    if rng.random() < ctx.style.prefix_ratio:
        tb = ctx.words.time_bomb()
        lead = rng.choice(
            (
                f"Error sending email for time bomb {tb}",
                f"Unable to send email to {ctx.words.recipient()} (time bomb {tb})",
                f"Send email action failed for time bomb {tb}; it will be retried",
            )
        )
        text = f"{lead}\n{text}"
    fatal = links[0].type == FATAL
    if fatal:
        level = "FATAL" if rng.random() < 0.15 else "ERROR"
    else:
        level = "WARN" if rng.random() < 0.25 else "ERROR"
    return Failure(category, level, text)


def sql_timeout_text(ctx: Ctx) -> str:
    """A database error: an ERROR record that is not an email failure."""
    frames = (
        "System.Data.SqlClient.SqlConnection.OnError(SqlException exception, Boolean "
        "breakConnection, Action`1 wrapCloseInAction)",
        "System.Data.SqlClient.SqlCommand.ExecuteReader(CommandBehavior behavior)",
        "FChoice.Common.Data.SqlHelper.FillDataSet(IDbCommand command, DataSet dataSet)",
    )
    return (
        "Error executing query against the Clarify database\n"
        + dotnet_text(
            [
                Link(
                    "System.Data.SqlClient.SqlException (0x80131904)",
                    "Execution Timeout Expired.  The timeout period elapsed prior to completion "
                    "of the operation or the server is not responding.",
                    frames,
                ),
                Link(
                    "System.ComponentModel.Win32Exception (0x80004005)",
                    "The wait operation timed out",
                ),
            ]
        )
        + f"\nClientConnectionId:{ctx.words.guid()}\nError Number:-2,State:0,Class:11"
    )
