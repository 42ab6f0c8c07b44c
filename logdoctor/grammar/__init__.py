"""Grammars for the records that matter: configuration loaded and exception chains.

`parse_config(text)` and `parse_chain(text)` are pure and never raise on log text; `codes` holds
the extractors for SMTP replies, socket errors, HRESULTs, AAD and HTTP codes.
"""

from __future__ import annotations

from logdoctor.grammar.chain import is_email_type, parse_chain
from logdoctor.grammar.config import find_config, parse_config

__all__ = ["find_config", "is_email_type", "parse_chain", "parse_config"]
