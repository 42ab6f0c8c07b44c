"""The "SMTP server configuration loaded" record.

The wording and punctuation of this record are not public; the knowledge-base article shows it
flattened (`...loadedHostlocalhostPort: 25, Enable SSLYesSSL ModeOnConnectTimeout: 10 seconds`).
So the grammar does not rely on separators: the known field labels themselves delimit the values.
A label counts where a word starts, or glued to the end of the previous value when written in
the title case the service uses (`localhostPort`), which keeps `mailserver.local` in one piece.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyparsing as pp

from logdoctor.model import SmtpSettings
from logdoctor.settings import parse_bool, parse_port, parse_ssl_mode, parse_timeout

# A configuration record is short; anything longer is cut before the grammar sees it.
MAX_CONFIG_CHARS = 2_000

# The trigger phrase: "SMTP server configuration loaded", "Email settings loaded",
# "Loaded SMTP configuration".
_TRIGGER = re.compile(
    r"(?i)(?:(?:smtp|e-?mail|mail)\b[ \w-]{0,30}?\b(?:configuration|config|settings)"
    r"[ \t]+(?:(?:was|were|has[ \t]+been|have[ \t]+been)[ \t]+)?loaded"
    r"|loaded[ \t]+(?:the[ \t]+)?(?:smtp|e-?mail|mail)\b[ \w-]{0,20}?"
    r"\b(?:configuration|config|settings))"
)

# Any "configuration loaded" counts too when SMTP fields follow ("Configuration loaded for the
# SMTP server: Host=..."); see find_config.
_LOOSE_TRIGGER = re.compile(
    r"(?i)\b(?:configuration|config|settings)[ \t]+(?:(?:was|were|has[ \t]+been)[ \t]+)?loaded\b"
    r"(?:[ \t]+(?:for|from)[ \t]+(?:the[ \t]+)?(?:smtp|e-?mail|mail)\b[ \w-]{0,20}?\bserver\b)?"
)


@dataclass(frozen=True, slots=True)
class _Label:
    key: str  # host, port, enable_ssl, ssl_mode, timeout, user, from, authentication
    words: tuple[str, ...]  # spellings, title case as the service writes them


# Longer spellings first so `SSL Mode` wins over a shorter label inside it.
_LABELS: tuple[_Label, ...] = (
    _Label("ssl_mode", ("Smtp Ssl Mode", "SSL Mode", "TLS Mode", "Secure Socket Mode")),
    _Label("enable_ssl", ("Enable SSL", "Use SSL", "Enable TLS", "Use TLS", "SSL Enabled")),
    _Label(
        "from",
        (
            "Default From Email Address",
            "Default From Address",
            "From Email Address",
            "From Address",
            "Sender Address",
            "From",
            "Sender",
        ),
    ),
    _Label("authentication", ("Authentication Method", "Auth Method", "Authentication")),
    _Label("user", ("User Name", "Username", "User", "Login")),
    _Label("host", ("Smtp Host", "Smtp Server", "Host Name", "Hostname", "Host", "Server")),
    _Label("port", ("Smtp Port", "Port")),
    _Label("timeout", ("Timeout",)),
)


def _spelling(words: str) -> str:
    """`Enable SSL` -> a pattern for Enable SSL, EnableSsl, enable_ssl, Enable-SSL."""
    parts = re.split(r"[ ]+", words)
    return r"[ _.-]?".join(re.escape(p) for p in parts)


def _label_expr(label: _Label) -> pp.ParserElement:
    spellings = [_spelling(w) for w in label.words]
    # At a word start any case goes; glued to a value the label must be written as the service
    # writes it (capital first letter), e.g. "localhostPort", "YesSSL Mode".
    at_word = r"(?<![A-Za-z0-9])(?i:" + "|".join(spellings) + r")"
    glued = r"(?<=[a-z0-9.)\]])(?:" + "|".join(spellings) + r")"
    optional_prefix = r"(?:(?i:EmailServiceConfig)[.:])?"
    pattern = optional_prefix + r"(?:" + at_word + r"|" + glued + r")"
    return pp.Regex(pattern).set_name(label.key).set_parse_action(pp.replace_with(label.key))


# Labels the service might add that we do not know: kept in `extra`, recognised only where a
# separator makes them unambiguous ("..., Max Connections: 3").
_UNKNOWN_LABEL = pp.Regex(
    r"(?:(?<=[,;|\n])|(?<=, )|(?<=; )|(?<=\t))[ \t]*(?P<name>[A-Za-z][A-Za-z0-9 _.-]{1,40}?)"
    r"[ \t]*(?=[:=])"
).set_name("unknown label")

_known_label = pp.MatchFirst([_label_expr(lab) for lab in _LABELS]).set_name("field label")
_separator = pp.Regex(r"[ \t]*(?:[:=,][ \t]*|\t+[ \t]*)?").set_name("label separator")
field_start = (
    (_known_label("key") | _UNKNOWN_LABEL("unknown")) + pp.Opt(_separator)
).leave_whitespace()
# Offsets must index the original text: pyparsing would otherwise expand tabs first.
field_start.parse_with_tabs()

_LABEL_LIKE = re.compile(r"[^:=\n]*[:=]")
_VALUE_TRIM = " \t\r\n,;|\"'"


def find_config(text: str) -> tuple[SmtpSettings, str] | None:
    """The settings of the first configuration-loaded record in `text`, and that record's text
    (from the trigger phrase to the end of the last field).  None when there is none."""
    head = text[: MAX_CONFIG_CHARS * 4]
    trigger = _TRIGGER.search(head)
    loose = trigger is None
    if trigger is None:
        trigger = _LOOSE_TRIGGER.search(head)
        if trigger is None:
            return None
    raw = head[trigger.end() : trigger.end() + MAX_CONFIG_CHARS]
    body = raw.lstrip(" \t:=-.")
    offset = trigger.end() + len(raw) - len(body)
    starts: list[tuple[int, int, str]] = []  # (label start, value start, key)
    for tokens, start, end in field_start.scan_string(body):
        if "key" in tokens:
            key = str(tokens["key"])
        else:
            key = "extra:" + str(tokens["unknown"]).strip()
        if starts and starts[-1][1] == start and not _LABEL_LIKE.match(body, start, end):
            # Right after a label with nothing between, a word written without ':' or '='
            # is that label's value ("Authentication: Login"), not a label of its own.
            continue
        starts.append((start, end, key))
    values: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    end_of_fields = 0
    for i, (_, value_start, key) in enumerate(starts):
        value_end = starts[i + 1][0] if i + 1 < len(starts) else _value_end(body, value_start)
        value = body[value_start:value_end].strip(_VALUE_TRIM)
        end_of_fields = max(end_of_fields, value_end)
        if key.startswith("extra:"):
            extra.append((key[6:], value))
        elif key in ("user", "from", "authentication"):
            extra.append((key, value))
        elif key not in values:
            values[key] = value
    ssl_mode, known = parse_ssl_mode(values.get("ssl_mode"))
    settings = SmtpSettings(
        host=values.get("host") or None,
        port=parse_port(values.get("port")),
        enable_ssl=parse_bool(values.get("enable_ssl")),
        ssl_mode=ssl_mode,
        ssl_mode_known=known,
        timeout_s=parse_timeout(values.get("timeout")),
        extra=tuple(extra),
    )
    if loose and sum(v is not None for v in (settings.host, settings.port, settings.ssl_mode)) < 2:
        return None  # "configuration loaded" of something else
    record_text = text[trigger.start() : offset + end_of_fields].rstrip()
    return settings, record_text


def parse_config(text: str) -> SmtpSettings | None:
    """The settings a configuration-loaded record reports, or None when `text` has none."""
    found = find_config(text)
    return found[0] if found else None


def _value_end(body: str, start: int) -> int:
    """The last value runs to the end of its line, or of the record when fields are one per
    line and the next line is not a field (a blank line, another message)."""
    newline = body.find("\n", start)
    return len(body) if newline < 0 else newline
