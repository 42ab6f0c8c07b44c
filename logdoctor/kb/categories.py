"""The contract's cause categories, in one place (shared/contract.md, "Categories").

Every rule names exactly one of these.  Results are compared by category, whatever the rule ids,
so the names are part of the outside contract: add one only when none fits, never rename one.
"""

from __future__ import annotations

UNKNOWN = "unknown"

# name -> the cause class in one line
CATEGORIES: dict[str, str] = {
    "tls.implicit_on_plain_port": "implicit TLS (OnConnect) against a port that speaks plain SMTP "
    "first (25, 587)",
    "tls.starttls_on_implicit_port": "STARTTLS or no TLS against an implicit-TLS port (465)",
    "tls.starttls_not_offered": "UseStartTls but the server does not offer STARTTLS "
    "(or something stripped it)",
    "tls.protocol_mismatch": "no common TLS version or cipher",
    "tls.certificate": "server certificate rejected: untrusted, name mismatch, expired, revoked",
    "tls.required": "server demands TLS before AUTH or MAIL",
    "auth.bad_credentials": "user name or password rejected",
    "auth.app_password_required": "account needs an app password",
    "auth.web_login_required": "provider wants an interactive sign-in first",
    "auth.basic_disabled": "provider turned basic authentication off",
    "auth.required": "mail sent without authenticating",
    "sender.rejected": "the From address is not allowed for this account",
    "recipient.rejected": "a recipient is refused",
    "relay.denied": "the server will not relay for this client",
    "message.rejected": "the message itself is refused (size, content, DMARC/SPF)",
    "throttling": "rate limits and quotas",
    "network.timeout": "connecting or reading timed out, with settings that do not explain it",
    "network.refused": "connection actively refused",
    "network.dns": "the host name does not resolve",
    "network.filtering": "a firewall, proxy, antivirus or filter resets or intercepts the "
    "connection",
    "graph.auth": "Microsoft Graph: app registration, secret or tenant rejected",
    "graph.permission": "Microsoft Graph: missing permission or mailbox access",
    "graph.throttling": "Microsoft Graph: throttled",
    UNKNOWN: "nothing in the knowledge base fits",
}

# Categories a rule may carry: `unknown` is the engine's answer, never a rule's.
RULE_CATEGORIES: tuple[str, ...] = tuple(c for c in CATEGORIES if c != UNKNOWN)

SEVERITIES: tuple[str, ...] = ("critical", "error", "warning", "info")


def severity_rank(severity: str) -> int:
    """critical 3, error 2, warning 1, info 0; unknown names rank lowest (-1)."""
    try:
        return len(SEVERITIES) - 1 - SEVERITIES.index(severity.lower())
    except ValueError:
        return -1


def at_least(severity: str, threshold: str) -> bool:
    """True when `severity` is `threshold` or worse (for --fail-on)."""
    return severity_rank(severity) >= severity_rank(threshold) >= 0
