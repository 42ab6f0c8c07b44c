"""Matching semantics: which failures a rule takes, in which context, and how sure it is."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from logdoctor.kb import KnowledgeBase, check_settings, describe, diagnose, fingerprint, load_kb
from logdoctor.kb.match import THRESHOLD
from logdoctor.model import ExceptionChain, ExceptionLink, MatchContext, SmtpReply, SmtpSettings

# Hand-written rules so that these tests pin the engine, not the shipped rule content.
RULES = """\
rules:
  - id: onconnect-on-plain-port
    title: OnConnect against a port that speaks plain SMTP first
    category: tls.implicit_on_plain_port
    severity: critical
    match:
      types: ["*SslNegotiationException"]
      phrases: ["handshake failed due to an unexpected packet format"]
      settings: {ssl_mode: [OnConnect], port: [25, 587]}
      not:
        - settings: {port: [465]}
    predict: true
    cause: Implicit TLS on a STARTTLS port.
    fix: [Set EmailServiceConfig.SmtpSslMode to UseStartTls.]
  - id: generic-handshake
    title: TLS handshake failed
    category: tls.protocol_mismatch
    severity: error
    match:
      types: ["*SslNegotiationException"]
      phrases: ["handshake failed due to an unexpected packet format"]
    cause: Generic.
    fix: [Check TLS versions.]
  - id: bad-password
    title: Password rejected
    category: auth.bad_credentials
    severity: critical
    match:
      any:
        - enhanced_codes: ["5.7.8", "5.7.3"]
        - phrases: ["username and password not accepted"]
    cause: Wrong password.
    fix: [Fix the password.]
  - id: tenant-off
    title: SMTP AUTH disabled for the tenant
    category: auth.basic_disabled
    severity: critical
    match:
      phrases: ["smtpclientauthentication is disabled for the tenant"]
    cause: Tenant.
    fix: [Turn it on.]
  - id: busy
    title: Throttled
    category: throttling
    severity: warning
    match:
      enhanced_codes: ["4.7.5*"]
    cause: Busy.
    fix: [Wait.]
  - id: timed-out-after-working
    title: Port blocked on the way
    category: network.filtering
    severity: error
    match:
      socket_errors: [10060]
      history: {worked_before: true}
    cause: Something in the network.
    fix: [Ask the network team.]
  - id: graph-secret
    title: Graph secret rejected
    category: graph.auth
    severity: critical
    match:
      aad_codes: ["AADSTS7000*"]
      http_status: [401]
    cause: Secret expired.
    fix: [New secret.]
  - id: refused-by-regex
    title: Refused
    category: network.refused
    severity: error
    match:
      regex: ["actively refused it \\\\d+\\\\.\\\\d+"]
    cause: Nothing listens.
    fix: [Check the port.]
  - id: socket-io-only
    title: Some socket problem
    category: network.timeout
    severity: warning
    match:
      types: [SocketException]
    cause: Vague.
    fix: [Look closer.]
  - id: m365-on-465
    title: Microsoft 365 does not offer port 465
    category: tls.starttls_on_implicit_port
    severity: critical
    match:
      types: [MailBeeSocketTimeoutException]
      provider: ["*.office365.com"]
      settings: {port: 465}
    predict: true
    cause: No implicit TLS at Microsoft 365.
    fix: [Use 587 with UseStartTls.]
"""

HANDSHAKE = ExceptionChain(
    links=(
        ExceptionLink("FChoice.RuleManager.FatalEmailServiceException", "Failed to send an email"),
        ExceptionLink(
            "MailBee.Security.MailBeeSslNegotiationException",
            "IOException occurred during SSL negotiation",
        ),
        ExceptionLink(
            "System.IO.IOException", "The handshake failed due to an unexpected packet format."
        ),
    ),
    text=(
        "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
        "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
        "negotiation\r\nPerhaps you need to specify a more secure protocol such as TLS 1.2 "
        "(see SecurityProtocol.TlsAuto).\r\nInnerException message follows\r\nThe handshake "
        "failed due to an unexpected packet format. ---> System.IO.IOException: The handshake "
        "failed due to an unexpected packet format.\r\n   at System.Net.Security.SslState."
        "StartReadFrame(Byte[] buffer, Int32 readBytes, AsyncProtocolRequest asyncRequest)\r\n"
    ),
)


def settings(port: int, mode: str, host: str = "smtp.office365.com") -> SmtpSettings:
    return SmtpSettings(host=host, port=port, enable_ssl=True, ssl_mode=mode)


def text_chain(text: str, *types: str) -> ExceptionChain:
    return ExceptionChain(links=tuple(ExceptionLink(t, "") for t in types), text=text)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    path = tmp_path_factory.mktemp("rules") / "engine.yaml"
    path.write_text(RULES, encoding="utf-8")
    return load_kb([path], replace=True)


def best(kb: KnowledgeBase, chain: ExceptionChain, ctx: MatchContext | None = None) -> str:
    d = diagnose(kb, chain, ctx or MatchContext())
    return d.best.rule if d.best else "unknown"


def test_same_handshake_error_depends_on_port_and_mode(kb: KnowledgeBase) -> None:
    on_587 = diagnose(kb, HANDSHAKE, MatchContext(settings=settings(587, "OnConnect")))
    assert on_587.best is not None and on_587.best.category == "tls.implicit_on_plain_port"
    assert "settings port=587 ssl_mode=OnConnect" in on_587.best.reasons
    assert any(
        r.startswith('phrase "handshake failed') and r.endswith("at 100")
        for r in on_587.best.reasons
    )
    # The generic rule is still offered as an alternative, lower.
    assert [m.rule for m in on_587.alternatives][:1] == ["generic-handshake"]
    assert on_587.alternatives[0].confidence < on_587.best.confidence

    on_465 = diagnose(kb, HANDSHAKE, MatchContext(settings=settings(465, "OnConnect")))
    assert on_465.best is not None and on_465.best.rule == "generic-handshake"
    assert "onconnect-on-plain-port" not in [m.rule for m in on_465.ranked]


def test_unknown_settings_cost_confidence_but_still_match(kb: KnowledgeBase) -> None:
    known = diagnose(kb, HANDSHAKE, MatchContext(settings=settings(587, "OnConnect")))
    blind = diagnose(kb, HANDSHAKE, MatchContext())
    blind_rule = next(m for m in blind.ranked if m.rule == "onconnect-on-plain-port")
    assert known.best is not None
    assert blind_rule.confidence < known.best.confidence
    assert any(
        r.startswith("unknown: settings") and "no configuration logged" in r
        for r in blind_rule.reasons
    )
    # An unknown `not` block (port 465?) does not exclude the rule.
    assert blind_rule.confidence >= THRESHOLD


def test_types_exact_suffix_and_glob(kb: KnowledgeBase) -> None:
    chain = text_chain("A connection attempt failed", "System.Net.Sockets.SocketException")
    d = diagnose(kb, chain, MatchContext())
    assert [m.rule for m in d.ranked] == ["socket-io-only"]
    # A name that only starts like the pattern does not match.
    chain = text_chain("x", "System.Net.Sockets.SocketExceptionHelper")
    assert diagnose(kb, chain, MatchContext()).ranked == ()
    # The glob is case-insensitive and applies to the full name.
    lower = text_chain(HANDSHAKE.text.lower(), "mailbee.security.mailbeesslnegotiationexception")
    assert best(kb, lower, MatchContext(settings=settings(25, "OnConnect"))) == (
        "onconnect-on-plain-port"
    )


def test_flattened_article_text_without_parsed_links_still_matches(kb: KnowledgeBase) -> None:
    flat = (
        "FChoice.RuleManager.FatalEmailServiceExceptionFailed to send an email---MailBee.Security."
        "MailBeeSslNegotiationExceptionIOException occurred during SSL negotiation\nPerhapsyou "
        "need to specify a more secure protocol such as TLS 1.2 (see SecurityProtocol.TlsAuto).\n"
        "InnerException message follows\nThe handshake failed due to an unexpected packet format"
        "---System.IO.IOExceptionThe handshake failed due to an unexpected packet format."
    )
    chain = ExceptionChain(links=(), text=flat, partial=True)
    ctx = MatchContext(
        settings=SmtpSettings(host="localhost", port=25, enable_ssl=True, ssl_mode="OnConnect")
    )
    assert best(kb, chain, ctx) == "onconnect-on-plain-port"


def test_phrases_survive_line_breaks_punctuation_ids_and_typos(kb: KnowledgeBase) -> None:
    gmail = text_chain(
        "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: The server has rejected "
        "authentication data sent by the client. The server responded: 535-5.7.8 Username\r\n"
        "and Password not accepted. Learn more at\r\n535 5.7.8  https://support.google.com/mail/"
        "?p=BadCredentials o193sm12343473vkc.45 - gsmtp"
    )
    d = diagnose(kb, gmail, MatchContext())
    assert d.best is not None and d.best.rule == "bad-password"
    typo = text_chain("The server said: Username and Pasword not acepted, sorry")
    d = diagnose(kb, typo, MatchContext())
    assert d.best is not None and d.best.rule == "bad-password"
    assert any(
        r.startswith('phrase "username and password not accepted" at ') for r in d.best.reasons
    )


def test_one_different_word_in_a_long_phrase_is_not_a_match(kb: KnowledgeBase) -> None:
    mailbox = text_chain(
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
        "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information."
    )
    assert "tenant-off" not in [m.rule for m in diagnose(kb, mailbox, MatchContext()).ranked]
    tenant = text_chain(mailbox.text.replace("Mailbox", "Tenant"))
    assert best(kb, tenant) == "tenant-off"


def test_codes_from_the_chain_and_from_mangled_text(kb: KnowledgeBase) -> None:
    mangled = text_chain("The server responded:  535 -5.7 .8 Username and Pass word not ok.")
    assert best(kb, mangled) == "bad-password"
    parsed = ExceptionChain(
        links=(ExceptionLink("MailBee.SmtpMail.MailBeeSmtpNegativeResponseException", "x"),),
        text="x",
        smtp_replies=(SmtpReply(535, "5.7.3", "Authentication unsuccessful"),),
    )
    assert best(kb, parsed) == "bad-password"
    busy = text_chain("452 4.7.500 Server busy. Please try again later from [40.107.0.1]")
    d = diagnose(kb, busy, MatchContext())
    assert d.best is not None and d.best.rule == "busy"
    assert "enhanced code 4.7.500" in d.best.reasons
    graph = text_chain(
        "Status Code: 401 (Unauthorized) AADSTS7000222: The provided client secret keys for app "
        "'1c2d' are expired."
    )
    d = diagnose(kb, graph, MatchContext())
    assert d.best is not None and d.best.rule == "graph-secret"
    assert "AAD code AADSTS7000222" in d.best.reasons


def test_regex_condition(kb: KnowledgeBase) -> None:
    chain = text_chain(
        "No connection could be made because the target machine actively refused it\n10.0.0.5:587"
    )
    d = diagnose(kb, chain, MatchContext())
    assert d.best is not None and d.best.rule == "refused-by-regex"


def test_history_worked_before(kb: KnowledgeBase) -> None:
    timeout = text_chain(
        "MailBee.MailBeeSocketTimeoutException: Socket connection has timed out ---> "
        "System.Net.Sockets.SocketException (10060): A connection attempt failed"
    )
    worked = diagnose(kb, timeout, MatchContext(worked_before=True))
    assert worked.best is not None and worked.best.rule == "timed-out-after-working"
    assert "history worked_before=true" in worked.best.reasons
    new = diagnose(kb, timeout, MatchContext(worked_before=False))
    assert "timed-out-after-working" not in [m.rule for m in new.ranked]
    blind = diagnose(kb, timeout, MatchContext())
    m = next(m for m in blind.ranked if m.rule == "timed-out-after-working")
    assert any(r.startswith("unknown: history worked_before") for r in m.reasons)
    assert m.confidence < worked.best.confidence


def test_provider_condition(kb: KnowledgeBase) -> None:
    chain = text_chain("MailBee.MailBeeSocketTimeoutException: Socket connection has timed out")
    m365 = MatchContext(settings=settings(465, "OnConnect"))
    assert best(kb, chain, m365) == "m365-on-465"
    gmail = MatchContext(settings=settings(465, "OnConnect", host="smtp.gmail.com"))
    assert "m365-on-465" not in [m.rule for m in diagnose(kb, chain, gmail).ranked]


def test_nothing_fits_is_unknown_with_candidates(kb: KnowledgeBase) -> None:
    vague = text_chain("System.Net.Sockets.SocketException: something odd happened")
    d = diagnose(kb, vague, MatchContext())
    assert d.unknown and d.best is None and d.category == "unknown"
    assert [m.rule for m in d.alternatives] == ["socket-io-only"]
    assert d.alternatives[0].confidence < THRESHOLD
    nothing = diagnose(kb, text_chain("The quick brown fox"), MatchContext())
    assert nothing.unknown and nothing.alternatives == ()
    assert nothing.fingerprint


def test_check_settings_flags_definite_predictions_only(kb: KnowledgeBase) -> None:
    flagged = check_settings(kb, settings(587, "OnConnect"))
    assert [m.rule for m in flagged] == ["onconnect-on-plain-port"]
    assert check_settings(kb, settings(587, "UseStartTls")) == []
    assert check_settings(kb, settings(465, "OnConnect", host="smtp.gmail.com")) == []
    # No port in the config: nothing definite to predict.
    assert check_settings(kb, SmtpSettings(ssl_mode="OnConnect")) == []
    assert [m.rule for m in check_settings(kb, settings(465, "OnConnect"))] == ["m365-on-465"]


def test_fingerprint_groups_same_failure_with_different_ids() -> None:
    def chain(ident: str, host: str, code: int) -> ExceptionChain:
        msg = f"{code} 5.7.1 Client host [{host}] rejected, session {ident} at 10:1{code % 7}"
        return ExceptionChain(
            links=(ExceptionLink("MailBee.SmtpMail.MailBeeSmtpNegativeResponseException", msg),),
            text=msg,
            smtp_replies=(SmtpReply(code, "5.7.1", msg),),
        )

    a = chain("0a1b2c3d4e5f", "mx1.example.com", 550)
    b = chain("99ffee8877dd", "relay.contoso.net", 550)
    c = chain("0a1b2c3d4e5f", "mx1.example.com", 554)
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)
    why = describe(a)
    assert "MailBeeSmtpNegativeResponseException" in why and "550 5.7.1" in why
    assert "mx1.example.com" not in why


def test_hostile_long_input_is_fast_and_does_not_crash(kb: KnowledgeBase) -> None:
    junk = ("a" * 300_000) + "\n" + ("<>@." * 50_000) + "\nrelay " * 10_000
    start = time.perf_counter()
    d = diagnose(kb, ExceptionChain(links=(), text=junk), MatchContext())
    frames = "\n".join(f"   at Ns.C{i}.M(String s) in C:\\src\\F.cs:line {i}" for i in range(5000))
    long_trace = HANDSHAKE.text + frames
    d2 = diagnose(
        kb,
        ExceptionChain(links=HANDSHAKE.links, text=long_trace),
        MatchContext(settings=settings(587, "OnConnect")),
    )
    assert time.perf_counter() - start < 3.0
    assert d.unknown
    assert d2.best is not None and d2.best.rule == "onconnect-on-plain-port"


def test_builtin_rules_rank_the_article_cases(tmp_path: Path) -> None:
    """The article's four logged failures with the settings it shows, through the real rules."""
    kb = load_kb()
    cases = [
        (HANDSHAKE, settings(25, "OnConnect", host="localhost"), "tls.implicit_on_plain_port"),
        (HANDSHAKE, settings(587, "OnConnect"), "tls.implicit_on_plain_port"),
        (
            text_chain(
                "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
                "MailBee.MailBeeSocketTimeoutException: Socket connection has timed out ---> "
                "System.Net.Sockets.SocketException: A connection attempt failed because the "
                "connected party did not properly respond after a period of time"
            ),
            settings(465, "UseStartTls", host="localhost"),
            "tls.starttls_on_implicit_port",
        ),
        (
            text_chain(
                "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
                "MailBee.MailBeeAbortedByRemoteHostException: Socket connection was aborted by "
                "remote host."
            ),
            settings(465, "UseStartTlsIfSupported", host="smtp.gmail.com"),
            "tls.starttls_on_implicit_port",
        ),
    ]
    for chain, s, category in cases:
        d = diagnose(kb, chain, MatchContext(settings=s))
        assert d.category == category, (s, [(m.rule, m.confidence) for m in d.ranked])


def test_more_evidence_in_any_blocks_means_more_confidence(kb: KnowledgeBase) -> None:
    both = text_chain("535-5.7.8 Username and Password not accepted.")
    phrase_only = text_chain("Username and Password not accepted.")
    d_both = diagnose(kb, both, MatchContext())
    d_one = diagnose(kb, phrase_only, MatchContext())
    assert d_both.best is not None and d_one.best is not None
    assert d_both.best.rule == d_one.best.rule == "bad-password"
    assert d_both.best.confidence > d_one.best.confidence
    assert "enhanced code 5.7.8" in d_both.best.reasons
