"""Core data types shared by every pipeline stage.

sources -> records -> events -> findings -> incidents -> outputs

Everything here is a frozen dataclass so stages can be pure functions and results can be
cached, hashed and compared.  Times are naive datetimes: the log's own local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from logdoctor.quickpickle import quick_pickle

Level = Literal["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]

# RuleManager's own SmtpSslMode names (MailBee SslStartupMode).  Anything else is kept verbatim
# and flagged: Dovetail Carrier's `StartTls` spelling is *not* accepted by RuleManager.
SSL_MODES: tuple[str, ...] = ("Manual", "OnConnect", "UseStartTls", "UseStartTlsIfSupported")


@dataclass(frozen=True, slots=True)
class Record:
    """One log4net event: its header line plus continuation lines.

    `line` is the 1-based line of the header, `offset` the byte offset of the header's first
    byte in the (decompressed) file.  `message` has line ends normalised to ``\\n``.
    A damaged record (text before the first header, or a header that could not be read) has
    `damaged=True` and a `reason`.
    """

    path: str
    line: int
    offset: int
    end_line: int
    timestamp: datetime | None
    level: str | None
    logger: str | None
    thread: str | None
    message: str
    fields: tuple[tuple[str, str], ...] = ()
    damaged: bool = False
    reason: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@quick_pickle
@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The SMTP settings in effect, as logged or as configured.  Unknown fields are None."""

    host: str | None = None
    port: int | None = None
    enable_ssl: bool | None = None
    ssl_mode: str | None = None  # canonical name from SSL_MODES, or the raw text when unknown
    ssl_mode_known: bool = True  # False when ssl_mode is not one of SSL_MODES
    timeout_s: float | None = None
    extra: tuple[tuple[str, str], ...] = ()  # further fields (user, from address, auth ...)

    def as_contract(self) -> dict[str, object]:
        """The contract's `config` object."""
        return {
            "host": self.host,
            "port": self.port,
            "enable_ssl": self.enable_ssl,
            "ssl_mode": self.ssl_mode,
            "timeout_s": self.timeout_s,
        }


@quick_pickle
@dataclass(frozen=True, slots=True)
class SmtpReply:
    """An SMTP reply found inside an exception message: `535 5.7.8 Username and ...`."""

    code: int
    enhanced: str | None
    text: str


@quick_pickle
@dataclass(frozen=True, slots=True)
class ExceptionLink:
    """One exception of a .NET chain, outermost first in `ExceptionChain.links`."""

    type: str  # as written: "MailBee.Security.MailBeeSslNegotiationException"
    message: str
    frames: tuple[str, ...] = ()

    @property
    def short_type(self) -> str:
        return self.type.rsplit(".", 1)[-1]


@quick_pickle
@dataclass(frozen=True, slots=True)
class ExceptionChain:
    """A parsed `Exception.ToString()` text.

    `partial` is True when the grammar could not read all of it; what could be read is still
    here.  The code tuples are everything of that kind found anywhere in the text.
    """

    links: tuple[ExceptionLink, ...]
    text: str
    partial: bool = False
    smtp_replies: tuple[SmtpReply, ...] = ()
    socket_errors: tuple[int, ...] = ()
    hresults: tuple[str, ...] = ()
    aad_codes: tuple[str, ...] = ()
    http_status: tuple[int, ...] = ()
    # Only the link types are known (messages, frames and codes left empty): a repeat of a
    # failure already parsed, read for its types alone (`events.ChainCache.read`).  Parse
    # `text` for the rest.
    light: bool = False

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(link.type for link in self.links)

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(link.message for link in self.links)


Scope = Literal["fatal", "nonfatal"]


@dataclass(frozen=True, slots=True)
class EventBase:
    path: str
    line: int
    timestamp: datetime | None


@quick_pickle
@dataclass(frozen=True, slots=True)
class ConfigLoaded(EventBase):
    settings: SmtpSettings
    text: str = ""


@quick_pickle
@dataclass(frozen=True, slots=True)
class SendFailed(EventBase):
    chain: ExceptionChain
    scope: Scope | None = None  # FatalEmailServiceException vs NonFatalEmailServiceException
    settings: SmtpSettings | None = None  # last ConfigLoaded before it, when known
    text: str = ""
    shape: str | None = None  # `shapes.Shaper.shape(text)`, when the reader worked it out
    # Redaction is known to leave the evidence text of this failure as it is, whatever else
    # the report holds (`redact.left_alone`); the workers find that out while they wait.
    evidence_kept: bool = field(default=False, compare=False)


@quick_pickle
@dataclass(frozen=True, slots=True)
class SendSucceeded(EventBase):
    text: str = ""
    settings: SmtpSettings | None = None


@quick_pickle
@dataclass(frozen=True, slots=True)
class ServiceStarted(EventBase):
    text: str = ""


@quick_pickle
@dataclass(frozen=True, slots=True)
class ServiceStopped(EventBase):
    text: str = ""


Event = ConfigLoaded | SendFailed | SendSucceeded | ServiceStarted | ServiceStopped


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What the knowledge base knows besides the failure text."""

    settings: SmtpSettings | None = None
    worked_before: bool | None = None  # the same settings sent mail successfully earlier
    config_changed: bool | None = None  # the settings changed shortly before this failure


@dataclass(frozen=True, slots=True)
class SourceStats:
    path: str
    bytes: int
    records: int
    encoding: str = "utf-8"
    layout: str = ""


@dataclass(frozen=True, slots=True)
class ReadStats:
    """What was read, for `analyze` and the contract's `stats`/`sources`."""

    sources: tuple[SourceStats, ...] = ()
    records: int = 0
    by_level: tuple[tuple[str, int], ...] = ()
    config_loads: int = 0
    sends_ok: int = 0
    sends_failed: int = 0
    damaged_records: int = 0
    first: datetime | None = None
    last: datetime | None = None
    damaged: tuple[str, ...] = field(default=())  # "path:line: reason", capped
