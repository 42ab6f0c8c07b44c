"""Reading the email settings from the service's exe.config, or from a snippet of its lines.

`FChoice.RuleManager.WindowsService.exe.config` keeps them as appSettings entries
(`<add key="EmailServiceConfig.Port" value="587" />`).  Admins paste them from web pages, so
the tags arrive mangled (`< add key= "EmailServiceConfig.Port"  value= "465" />`, line breaks
inside the tag, single quotes): the reader is a tolerant tag scanner, not an XML parser, which
also keeps entity tricks in a hostile file from mattering.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from logdoctor.errors import LogdoctorError
from logdoctor.model import SmtpSettings
from logdoctor.settings import parse_bool, parse_port, parse_ssl_mode, parse_timeout

PREFIX = "EmailServiceConfig."
MAX_CONFIG_BYTES = 20_000_000

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<\s*(/?)\s*(add|remove|clear|appSettings)\b([^<>]{0,4000}?)(/?)\s*>", re.I)
_ATTR = re.compile(r"([A-Za-z_][\w.:-]{0,100})\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")

TIMEOUT_KEYS = ("Timeout", "TimeoutSeconds", "TimeoutInSeconds", "SmtpTimeout")
SECRET_KEYS = ("Password", "ClientSecret")


def decode_config(data: bytes) -> str:
    """Config files are UTF-8 (with or without BOM), UTF-16 with BOM, or the ANSI code page."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _attrs(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR.finditer(body):
        value = m.group(2) if m.group(2) is not None else (m.group(3) or "")
        out[m.group(1).lower()] = html.unescape(value)
    return out


def _scan(text: str) -> tuple[dict[str, tuple[str, str]], str | None]:
    """key (lower case) -> (key as written, value), and an <appSettings file="..."> if any.

    .NET applies <add>, <remove> and <clear/> in order and compares keys case-insensitively.
    When the text has an <appSettings> element, only entries inside it count (other sections
    hold their own <add> elements); a bare snippet counts whole.
    """
    text = _COMMENT.sub("", text)
    has_section = re.search(r"<\s*appSettings\b", text, re.I) is not None
    inside = not has_section
    external: str | None = None
    values: dict[str, tuple[str, str]] = {}
    for m in _TAG.finditer(text):
        closing, name, body, selfclose = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
        if name == "appsettings":
            if closing:
                inside = False
            else:
                inside = not selfclose
                external = _attrs(body).get("file") or external
            continue
        if not inside:
            continue
        attrs = _attrs(body)
        if name == "clear":
            values.clear()
        elif name == "remove" and "key" in attrs:
            values.pop(attrs["key"].strip().lower(), None)
        elif name == "add" and "key" in attrs:
            key = attrs["key"].strip()
            values[key.lower()] = (key, attrs.get("value", ""))
    return values, external


def read_app_settings(source: Path | str) -> dict[str, str]:
    """The appSettings of an exe.config (a Path) or of a text snippet (a str).

    A full config's `<appSettings file="...">` is read too when it exists next to the config,
    and its entries win, as in .NET.  Unreadable files raise LogdoctorError.
    """
    if isinstance(source, Path):
        text = read_config_text(source)
        values, external = _scan(text)
        if external:
            ext = source.parent / external
            if ext.is_file():
                ext_values, _ = _scan(read_config_text(ext))
                values.update(ext_values)
    else:
        values, _ = _scan(source)
    return {key: value for key, value in values.values()}


def read_config_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise LogdoctorError(f"too large for a config file ({size} bytes)", path=str(path))
        return decode_config(path.read_bytes())
    except IsADirectoryError:
        raise LogdoctorError("is a directory, not a config file", path=str(path)) from None
    except OSError as exc:
        raise LogdoctorError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None


def _get(d: dict[str, str], name: str) -> str | None:
    want = (PREFIX + name).lower()
    for key, value in d.items():
        if key.lower() == want:
            return value
    return None


def email_keys(d: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in d.items() if k.lower().startswith(PREFIX.lower())}


def settings_from_app_settings(d: dict[str, str]) -> SmtpSettings:
    """SmtpSettings from `EmailServiceConfig.*` keys; a key that is absent stays None.

    A mode RuleManager does not accept (Dovetail Carrier's `StartTls`) is kept as written with
    ssl_mode_known=False so that rules can flag it.  The password is never carried: only `***`.
    """
    mode, known = parse_ssl_mode(_get(d, "SmtpSslMode"))
    timeout = next((t for k in TIMEOUT_KEYS if (t := parse_timeout(_get(d, k))) is not None), None)
    extra: list[tuple[str, str]] = []
    user = _get(d, "UserName")
    if user:
        extra.append(("user", user))
    sender = _get(d, "DefaultFromEmailAddress")
    if sender:
        extra.append(("from", sender))
    for name in SECRET_KEYS:
        if _get(d, name):
            extra.append((name.lower(), "***"))
    host = _get(d, "Host")
    return SmtpSettings(
        host=host.strip() if host and host.strip() else None,
        port=parse_port(_get(d, "Port")),
        enable_ssl=parse_bool(_get(d, "EnableSsl")),
        ssl_mode=mode,
        ssl_mode_known=known,
        timeout_s=timeout,
        extra=tuple(extra),
    )


def raw_values(d: dict[str, str]) -> dict[str, str | None]:
    """The values as written, for messages that quote the config back to the admin."""
    return {
        name: _get(d, name)
        for name in ("Host", "Port", "EnableSsl", "SmtpSslMode", *TIMEOUT_KEYS)
        if _get(d, name) is not None
    }


_DIGITS = re.compile(r"[0-9]+")


def loosely_written(d: dict[str, str]) -> list[str]:
    """Values read here leniently that are not written as Dovetail documents them: EnableSsl
    `true` or `false`, Port a number.  `yes` or `587;` reads as true or 587 here, but the
    service (a .NET program) may not read it so, or at all: one line each, to show the admin.
    """
    notes: list[str] = []
    ssl = _get(d, "EnableSsl")
    read_ssl = parse_bool(ssl)
    if ssl is not None and read_ssl is not None and ssl.strip().lower() not in ("true", "false"):
        notes.append(
            f'{PREFIX}EnableSsl is "{ssl}", read here as {str(read_ssl).lower()}: Dovetail '
            "documents true or false; write that, as the service may not read it otherwise"
        )
    port = _get(d, "Port")
    read_port = parse_port(port)
    if port is not None and read_port is not None and not _DIGITS.fullmatch(port.strip()):
        notes.append(
            f'{PREFIX}Port is "{port}", read here as {read_port}: write the number alone, as '
            "the service may not read it otherwise"
        )
    return notes
