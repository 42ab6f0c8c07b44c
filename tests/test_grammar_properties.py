"""Hostile input: arbitrary text and bytes, huge lines, very deep chains never crash or hang."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logdoctor.events import events_from_records
from logdoctor.grammar import codes
from logdoctor.grammar.chain import MAX_PARSE_CHARS, parse_chain
from logdoctor.grammar.config import parse_config
from logdoctor.model import ExceptionChain, Record

# Pieces of real failure text, so that generated inputs get near the grammar's edges.
FRAGMENTS = [
    "System.Net.Mail.SmtpException: ",
    "FChoice.RuleManager.FatalEmailServiceException",
    "MailBee.Security.MailBeeSslNegotiationException",
    "Failed to send an email",
    " ---> ",
    "---",
    "--->",
    "<---",
    "---> (Inner Exception #0) ",
    "   --- End of inner exception stack trace ---",
    "--- End of stack trace from previous location ---",
    "   at System.Net.Mail.SmtpClient.Send(MailMessage message)",
    "   bei X.Y(Z)",
    " in C:\\src\\Mailer.cs:line 212",
    " [0x000b6] in <a8460a77e67a430a8486a9751162e5f4>:0",
    "535-5.7.8 ",
    "535 -5.7 .8 ",
    "The server responded: ",
    "(0x80004005)",
    "SocketException (10060)",
    "AADSTS7000215",
    "Status Code: ",
    "SMTP server configuration loaded",
    "HostlocalhostPort: 25, Enable SSLYesSSL ModeOnConnectTimeout: 10 seconds",
    "Host",
    "Port: ",
    "\n",
    "\r\n",
    "\t",
    ":",
    " ",
    "Exception",
    "Error",
    ".",
]

texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map(
    "".join
)


def _check_chain(chain: ExceptionChain, text: str) -> None:
    assert chain.text == text
    for link in chain.links:
        assert link.type
        assert isinstance(link.message, str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_chain_never_raises_on_failure_like_text(text: str) -> None:
    _check_chain(parse_chain(text), text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_chain_never_raises_on_any_text(text: str) -> None:
    _check_chain(parse_chain(text), text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_bytes_decoded_any_way_never_break_the_grammars(data: bytes) -> None:
    for encoding in ("utf-8", "cp1252", "utf-16-le", "latin-1"):
        text = data.decode(encoding, errors="replace")
        _check_chain(parse_chain(text), text)
        parse_config(text)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_config_and_codes_never_raise(text: str) -> None:
    settings_ = parse_config(text)
    if settings_ is not None and settings_.port is not None:
        assert 0 < settings_.port < 65536
    for reply in codes.smtp_replies(text):
        assert reply.code == 0 or 200 <= reply.code < 600
    codes.socket_errors(text)
    codes.hresults(text)
    codes.aad_codes(text)
    codes.http_statuses(text)
    codes.provider_markers(text)


@settings(max_examples=50, deadline=None)
@given(texts, st.sampled_from(["DEBUG", "INFO", "WARN", "ERROR", "FATAL", None]))
def test_events_never_raise(text: str, level: str | None) -> None:
    record = Record("Rulemanager.log", 1, 0, 1, None, level, None, None, text)
    list(events_from_records([record]))


def test_a_50_mb_single_line_finishes() -> None:
    line = (
        "MailBee.MailBeeSocketTimeoutException: Socket connection has timed out 535 at X.Y() --- "
    ) * (50_000_000 // 90)
    chain = parse_chain(line)
    assert chain.partial  # more than the grammar reads
    assert chain.types[0] == "MailBee.MailBeeSocketTimeoutException"
    assert parse_config(line) is None


def test_a_50_mb_line_without_structure_finishes() -> None:
    line = "a" * 50_000_000
    chain = parse_chain(line)
    assert chain.links == ()
    assert parse_config("SMTP server configuration loaded" + line) is not None


def test_a_10000_deep_chain_on_one_line() -> None:
    text = " ---> ".join(f"Acme.Level{i}.WrappedException: level {i} failed" for i in range(10_000))
    chain = parse_chain(text)
    assert len(chain.links) == 10_000
    assert chain.types[0] == "Acme.Level0.WrappedException"
    assert chain.messages[-1] == "level 9999 failed"
    assert not chain.partial


def test_a_10000_deep_chain_over_lines_with_frames() -> None:
    depth = 10_000
    headers = "\n ---> ".join(f"Acme.L{i}.WrappedException: level {i}" for i in range(depth))
    frames = "".join(
        f"\n   at Acme.L{i}.Worker.Run()\n   --- End of inner exception stack trace ---"
        for i in range(depth - 1, 0, -1)
    )
    text = headers + frames + "\n   at Acme.L0.Worker.Run()"
    assert len(text) < MAX_PARSE_CHARS
    chain = parse_chain(text)
    assert len(chain.links) == depth
    assert chain.links[0].frames == ("at Acme.L0.Worker.Run()",)
    assert chain.links[-1].frames == (f"at Acme.L{depth - 1}.Worker.Run()",)
    assert not chain.partial
