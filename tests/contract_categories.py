"""The contract's cause categories (shared/contract.md), written out once for the tests.

Kept apart from logdoctor.kb.categories on purpose: the tests must not follow the code's own
idea of what categories exist.  `test_contract_categories.py` checks this list against the
contract itself when shared/ is there."""

from __future__ import annotations

# `unknown` is the engine's answer when nothing fits, not a rule's category.
CONTRACT_CATEGORIES: tuple[str, ...] = (
    "tls.implicit_on_plain_port",
    "tls.starttls_on_implicit_port",
    "tls.starttls_not_offered",
    "tls.protocol_mismatch",
    "tls.certificate",
    "tls.required",
    "auth.bad_credentials",
    "auth.app_password_required",
    "auth.web_login_required",
    "auth.basic_disabled",
    "auth.required",
    "sender.rejected",
    "recipient.rejected",
    "relay.denied",
    "message.rejected",
    "throttling",
    "network.timeout",
    "network.refused",
    "network.dns",
    "network.filtering",
    "graph.auth",
    "graph.permission",
    "graph.throttling",
)
