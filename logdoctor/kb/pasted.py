"""Pasted failure texts (explain, rule examples): split off a logged configuration, parse the
chain with the grammars, and fall back to a bare chain when a grammar is not available.

The fallback keeps the knowledge base usable on its own: the matcher scans the raw text for
types and codes too, so a chain with no parsed links still matches most rules.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from logdoctor.model import ExceptionChain, SmtpSettings
from logdoctor.settings import parse_bool, parse_port, parse_ssl_mode, parse_timeout

_CONFIG_LOADED = re.compile(r"configuration\s*loaded", re.IGNORECASE)
_FIELD_LINE = re.compile(
    r"^\s*(?:host|port|enable\s*ssl|ssl\s*mode|timeout)\b[^\r\n]{0,200}$", re.IGNORECASE
)
# The article's flattened form runs labels and values together: `HostlocalhostPort: 25, ...`.
_FALLBACK_FIELDS = re.compile(
    r"(?P<label>Host|Port|Enable\s?SSL|SSL\s?Mode|Timeout)\s*[:=\t,]?\s*"
    r"(?P<value>[^\s,;]{1,255}?(?:\s(?:seconds?|ms|s))?)"
    r"(?=\s*[,;]?\s*(?-i:Host|Port|Enable\s?SSL|SSL\s?Mode|Timeout)|\s*[,;]|\s*$)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class Pasted:
    failure: str
    config_text: str | None
    settings: SmtpSettings | None


def _grammar(module: str, name: str) -> Any:
    # Imported by name: the grammars are optional for the knowledge base (see module doc).
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _grammar_chain() -> Callable[[str], ExceptionChain] | None:
    return cast(
        "Callable[[str], ExceptionChain] | None", _grammar("logdoctor.grammar.chain", "parse_chain")
    )


def _grammar_config() -> Callable[[str], SmtpSettings | None] | None:
    return cast(
        "Callable[[str], SmtpSettings | None] | None",
        _grammar("logdoctor.grammar.config", "parse_config"),
    )


def chain_from_text(text: str) -> ExceptionChain:
    """The parsed chain; a bare chain (text only) when the grammar is missing or fails."""
    parse = _grammar_chain()
    if parse is not None:
        try:
            return parse(text)
        except Exception:  # the grammar promises not to raise; a bug there must not stop us
            pass
    return ExceptionChain(links=(), text=text, partial=True)


def _fallback_config(text: str) -> SmtpSettings | None:
    values: dict[str, str] = {}
    for m in _FALLBACK_FIELDS.finditer(text[:2000]):
        label = re.sub(r"\s", "", m.group("label")).lower()
        values.setdefault(label, m.group("value"))
    if not values:
        return None
    mode, known = parse_ssl_mode(values.get("sslmode"))
    return SmtpSettings(
        host=values.get("host"),
        port=parse_port(values.get("port")),
        enable_ssl=parse_bool(values.get("enablessl")),
        ssl_mode=mode,
        ssl_mode_known=known,
        timeout_s=parse_timeout(values.get("timeout")),
    )


def settings_from_config_text(text: str) -> SmtpSettings | None:
    parse = _grammar_config()
    if parse is not None:
        try:
            found = parse(text)
        except Exception:
            found = None
        if found is not None:
            return found
    return _fallback_config(text)


def split_pasted(text: str) -> Pasted:
    """Separate an "SMTP server configuration loaded" record from the failure that follows."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if _CONFIG_LOADED.search(ln[:2000])), None)
    if start is None:
        return Pasted(failure=text, config_text=None, settings=None)
    end = start + 1
    while end < len(lines) and end - start < 10 and _FIELD_LINE.match(lines[end][:300]):
        end += 1
    config_text = "\n".join(lines[start:end])
    failure = "\n".join(lines[:start] + lines[end:]).strip("\n")
    return Pasted(
        failure=failure, config_text=config_text, settings=settings_from_config_text(config_text)
    )
