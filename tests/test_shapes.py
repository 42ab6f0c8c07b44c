"""Failure shapes (logdoctor.shapes): texts of one shape get the same diagnosis key and types.

The speed of a varied log rests on this: a repeat of a failure's shape is neither parsed nor
masked again.  So the property is checked against the real functions, not the shapes module:
take a text, swap every token the shaper replaces for another token of the same kind (drawn by
hypothesis from the very patterns `mask_variable` uses), and the plain diagnosis key (masking
line by line, as before shapes existed) and the types the grammar reads must not change.
"""

from __future__ import annotations

import io
import re
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logdoctor.diagkey import DiagnosisKeys, _plain_frame
from logdoctor.events import ChainCache
from logdoctor.grammar.chain import parse_chain
from logdoctor.kb.loader import KnowledgeBase, load_kb
from logdoctor.mask import _PATTERNS, mask_variable
from logdoctor.samplegen import write_log
from logdoctor.shapes import (
    _TOKEN,
    GSMTP,
    LONG_NUMBER,
    PLACE,
    Shaper,
    _kind,
    has_gsmtp,
    line_shape,
    zeros,
)

CORPUS = Path(__file__).parent / "corpus" / "failures.yaml"
_SPACE = re.compile(r"\s+")


def plain_key(text: str) -> str:
    """The diagnosis key as `DiagnosisKeys` computed it before shapes: mask every line."""
    out = []
    for line in text.split("\n"):
        if _plain_frame(line):
            continue
        masked = mask_variable(LONG_NUMBER.sub(zeros, line), numbers=False)
        if masked:
            out.append(masked)
    return _SPACE.sub(" ", "\n".join(out)).strip()


def _pattern(token: str) -> re.Pattern[str]:
    return next(p for p, t in _PATTERNS if t == token)


_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,7})?Z?")
_ALNUM = re.compile(r"[A-Za-z0-9]{8,24}")

# Tokens of each kind, from the masking patterns themselves (letters beyond ASCII included).
KIND_SOURCES: dict[str, st.SearchStrategy[str]] = {
    "E": st.from_regex(_pattern("<email>"), fullmatch=True),
    "P": st.from_regex(_pattern("<ip>"), fullmatch=True),
    "H": st.from_regex(_pattern("<host>"), fullmatch=True),
    "T": st.from_regex(_ISO, fullmatch=True),
    "I": st.from_regex(_ALNUM, fullmatch=True),
}


def _generated() -> list[str]:
    buf = io.BytesIO()
    write_log(buf, seed=5, target_bytes=400_000, failure_ratio=0.5, varied=True)
    log = buf.getvalue().decode("utf-8")
    # The messages of the generated log's failure records (what follows the header's " - ").
    records = re.split(r"\r?\n(?=\d{4}-\d\d-\d\d )", log)
    return [r.replace("\r\n", "\n").split(" - ", 1)[1] for r in records if "Exception" in r]


GENERATED = _generated()[:300]
TEXTS = [e["text"] for e in yaml.safe_load(CORPUS.read_text(encoding="utf-8"))] + GENERATED
KB: KnowledgeBase = load_kb()


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every token the shaper replaces, line by line, after zeroing."""
    out = []
    pos = 0
    for line in text.split("\n"):
        zeroed = LONG_NUMBER.sub(zeros, line)
        for m in _TOKEN.finditer(zeroed):
            start, end = m.span()
            token = m.group(0)
            if token.endswith(".") and len(token) > 1:
                token, end = token[:-1], end - 1
            kind = _kind(token)
            if kind is not None:
                out.append((pos + start, pos + end, kind))
        pos += len(line) + 1
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), index=st.integers(min_value=0, max_value=len(TEXTS) - 1))
def test_a_text_with_other_tokens_of_its_shape_keeps_its_key(
    data: st.DataObject, index: int
) -> None:
    text = LONG_NUMBER.sub(zeros, TEXTS[index])
    if PLACE in text:
        return
    spans = _spans(text)
    other = text
    for start, end, kind in reversed(spans):
        source = KIND_SOURCES[kind[0]]
        new = data.draw(source.filter(lambda t, k=kind: _kind(t) == k and "\n" not in t))
        other = other[:start] + new + other[end:]
    shaper = Shaper()
    shape = shaper.shape(text)
    if shape is None or shaper.shape(other) != shape:
        return  # a swap made the text unshapeable or of another shape: nothing is claimed
    assert plain_key(other) == plain_key(text)
    # The builder's keys, memoised by line and by whole-text shape, are the plain ones.
    keys = DiagnosisKeys(KB)
    assert keys.key(text, shape) == plain_key(text)
    assert keys.key(other, shape) == plain_key(other)


_LETTERS = string.ascii_letters
_DIGITS = string.digits


def _same_length(data: st.DataObject, token: str) -> str:
    """Another token of the same length: each letter or digit drawn anew, the rest kept."""
    out = []
    for ch in token:
        if ch in _LETTERS:
            out.append(data.draw(st.sampled_from(_LETTERS)))
        elif ch in _DIGITS:
            out.append(data.draw(st.sampled_from(_DIGITS)))
        else:
            out.append(ch)
    return "".join(out)


def _of_any_length(data: st.DataObject, token: str) -> str:
    """Another token of the same kind, of any length, from the masking patterns."""
    kind = _kind(token)
    assert kind is not None
    source = KIND_SOURCES[kind[0]]
    return data.draw(source.filter(lambda t: _kind(t) == kind and "\n" not in t))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    index=st.integers(min_value=0, max_value=len(TEXTS) - 1),
    same_length=st.booleans(),
)
def test_a_text_with_other_tokens_of_its_types_key_keeps_its_types(
    data: st.DataObject, index: int, same_length: bool
) -> None:
    # Tokens of the same length, or of any length: on short lines the key leaves lengths out.
    text = LONG_NUMBER.sub(zeros, TEXTS[index])
    if PLACE in text:
        return
    other = text
    swap = _same_length if same_length else _of_any_length
    for start, end, _kind_of in reversed(_spans(text)):
        other = other[:start] + swap(data, text[start:end]) + other[end:]
    shaper = Shaper()
    found = shaper.shape_and_key(text)
    if found is None or shaper.shape_and_key(other) != found:
        return  # a new token of another kind (or none), or other equalities: nothing claimed
    assert parse_chain(other).types == parse_chain(text).types
    # What `analyze` reads: the light chain of the repeat carries the first one's types.
    cache = ChainCache()
    first, _ = cache.read(text, light=True)
    again, _ = cache.read(other, light=True)
    assert again.light and again.types == parse_chain(other).types == first.types


_AGGREGATE = (
    "System.AggregateException: One or more errors occurred. (Mailbox {a} unavailable)\n"
    " ---> System.Net.Mail.SmtpFailedRecipientException: Mailbox {a} unavailable\n"
    "   --- End of inner exception stack trace ---\n"
    "---> (Inner Exception #0) System.Net.Mail.SmtpFailedRecipientException: "
    "Mailbox {b} unavailable<---\n"
)


def test_which_tokens_are_equal_is_part_of_the_types_key() -> None:
    # Block #0 repeats the first inner exception and is read once, but only if it is the
    # same text: the same shape with two different addresses has one link more.
    same = _AGGREGATE.format(a="joe@example.com", b="joe@example.com")
    differ = _AGGREGATE.format(a="joe@example.com", b="bob@example.com")
    assert len(parse_chain(differ).types) == len(parse_chain(same).types) + 1
    shaper = Shaper()
    same_key, differ_key = shaper.shape_and_key(same), shaper.shape_and_key(differ)
    assert same_key is not None and differ_key is not None
    assert same_key[0] == differ_key[0] and same_key != differ_key
    cache = ChainCache()
    cache.read(same, light=True)
    chain, _ = cache.read(differ, light=True)
    assert chain.types == parse_chain(differ).types


def test_a_zeroed_number_counts_for_equality_on_any_line() -> None:
    # `000000` on a line with nothing else variable still equals `000000` elsewhere: the block
    # #0 below repeats the inner exception only while its number is the same.
    text = (
        "System.AggregateException: One or more errors occurred. (Batch 000000 failed)\n"
        " ---> System.Net.Mail.SmtpFailedRecipientException: Batch 000000 failed\n"
        "   --- End of inner exception stack trace ---\n"
        "joe@example.com ---> (Inner Exception #0) "
        "System.Net.Mail.SmtpFailedRecipientException: Batch {n} failed<---\n"
    )
    same, differ = text.format(n="000000"), text.format(n="123456")
    assert len(parse_chain(differ).types) == len(parse_chain(same).types) + 1
    cache = ChainCache()
    cache.read(same, light=True)
    chain, _ = cache.read(differ, light=True)
    assert chain.types == parse_chain(differ).types


def test_on_a_long_line_the_lengths_of_tokens_are_part_of_the_types_key() -> None:
    # A frame's method is read up to 512 characters: past that the line is no frame, and the
    # type named in it counts as a link.  Only the addresses' lengths differ here.
    def frame(address: str) -> str:
        return "   at Foo" + f"[{address}]" * 20 + "Contoso.Mail.RelayRefusedException (Int32 x)"

    short, long = frame("jo@example.com"), frame("joseph.smith@example.com")
    assert parse_chain(short).types == ()
    assert parse_chain(long).types == ("Contoso.Mail.RelayRefusedException",)
    cache = ChainCache()
    cache.read(short, light=True)
    chain, _ = cache.read(long, light=True)
    assert chain.types == parse_chain(long).types


def test_a_stack_frame_holding_a_token_is_keyed_line_by_line() -> None:
    # Left out as a frame without digits, kept as one with: the whole-text memo must not
    # give the second text the first one's key.
    a = "Send failed: SmtpException\n   at Mailer.Send(bob@example.org)"
    b = "Send failed: SmtpException\n   at Mailer.Send(bob2@example.org)"
    shaper = Shaper()
    assert shaper.shape(a) == shaper.shape(b)
    assert plain_key(a) != plain_key(b)
    keys = DiagnosisKeys(KB)
    assert keys.key(a, shaper.shape(a)) == plain_key(a)
    assert keys.key(b, shaper.shape(b)) == plain_key(b)


def test_the_shapes_do_merge_the_generated_failures() -> None:
    shaper = Shaper()
    shapes = [shaper.shape(t) for t in GENERATED]
    assert len(shapes) > 200
    # Only Gmail's replies (their ids span blanks) are left to be worked one by one.
    assert sum(s is None for s in shapes) < len(shapes) // 10
    # Varied failure texts of a few dozen kinds, each with a varying number of stack frames:
    # at this size already the shapes must merge a good part of them, or the memo is
    # worthless (a 20 MB log's 13,040 failures have 426 shapes).
    assert len(set(shapes)) < len(shapes) * 0.6


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Unable to send email to carla.smith@example.org (time bomb 000000)",
            f"Unable to send email to {PLACE}E{PLACE} (time bomb 000000)",
        ),
        (
            "[AM6PR10CA5748.eurprd10.prod.outlook.com 2026-11-27T15:42:14.5447012Z B3172062D08F]",
            f"[{PLACE}H{PLACE} {PLACE}T7Z{PLACE} {PLACE}I{PLACE}]",
        ),
        ("failed to respond 52.97.200.152:587", f"failed to respond {PLACE}P{PLACE}"),
        ("Recipient: ann@example.org. The server", f"Recipient: {PLACE}E{PLACE}. The server"),
    ],
)
def test_variable_tokens_are_replaced(line: str, expected: str) -> None:
    assert line_shape(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Win32Exception0x80004005 occurred",  # holds a type word
        "inner1234567@example.org rejected",  # holds an inner-exception word
        "550 5.7.1 <x@example.org>: relay denied 12.34 - gsmtp",  # Gmail ids span blanks
        "FEEDBEEF2 is not an id the mask takes",  # the digit has too few characters after it
        "already holds \x00E\x00 someone@example.org",
        "not.a.host@",
    ],
)
def test_tokens_the_mask_might_treat_differently_are_kept(line: str) -> None:
    assert line_shape(line) == line


def test_a_long_word_is_scanned_in_linear_time() -> None:
    # No backtracking: a 200,000-character word with or without digits is one pass.
    for word in ("a" * 200_000, "1" * 200_000, "a." * 100_000 + "com"):
        assert line_shape(word) in (word, f"{PLACE}H{PLACE}")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["g", "G", "s", "S", "\u017f", "m", "M", "t", "T", "p", "P", "x", " ", "é"]
        ),
        max_size=12,
    ).map("".join)
)
def test_the_fast_gsmtp_test_agrees_with_the_regex(text: str) -> None:
    assert has_gsmtp(text) == (GSMTP.search(text) is not None)
    assert has_gsmtp("g\u017fmtp") and not has_gsmtp("g smtp")
