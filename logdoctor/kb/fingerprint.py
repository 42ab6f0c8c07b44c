"""Grouping failures no rule explains (Sentry-style): the chain's exception types plus its
messages with the variable parts (numbers, addresses, hosts, ids) masked, and the reply codes.

Two failures with the same fingerprint are "the same unknown error", counted and shown once, so
knowledge-base authors see what to write next.
"""

from __future__ import annotations

from logdoctor.kb.text import MAX_WORD, cap_text, strip_frames
from logdoctor.mask import digest, mask_variable
from logdoctor.model import ExceptionChain

_MESSAGE_CAP = 300  # characters of each masked message that take part in the key


def _codes(chain: ExceptionChain) -> list[str]:
    codes = {f"{r.code} {r.enhanced}" if r.enhanced else str(r.code) for r in chain.smtp_replies}
    codes.update(f"socket {c}" for c in chain.socket_errors)
    codes.update(chain.aad_codes)
    codes.update(f"http {c}" for c in chain.http_status)
    return sorted(codes)


def _parts(chain: ExceptionChain) -> tuple[list[str], list[str], list[str]]:
    types = [t.strip() for t in chain.types]
    if chain.links:
        messages = [mask_variable(m[: MAX_WORD * 20])[:_MESSAGE_CAP] for m in chain.messages]
    else:
        # Unparsed text: its masked first lines stand in for the messages.
        body = strip_frames(cap_text(chain.text))
        lines = [ln for ln in body.splitlines() if ln.strip()][:5]
        messages = [mask_variable(ln)[:_MESSAGE_CAP] for ln in lines]
    return types, messages, _codes(chain)


def fingerprint(chain: ExceptionChain) -> str:
    """A short stable key; equal for failures that differ only in ids, numbers, hosts, times."""
    types, messages, codes = _parts(chain)
    return digest("types", *types, "messages", *messages, "codes", *codes)


def describe(chain: ExceptionChain) -> str:
    """Why failures share this fingerprint, in one line: what was compared after masking."""
    types, messages, codes = _parts(chain)
    shown_types = " > ".join(t.rsplit(".", 1)[-1] for t in types) or "(no exception type read)"
    shown_msg = " | ".join(m for m in messages if m)[:200] or "(no message)"
    out = f"types: {shown_types}; message: {shown_msg}"
    if codes:
        out += "; codes: " + ", ".join(codes)
    return out
