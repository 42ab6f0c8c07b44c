"""The key under which a failure's diagnosis is memoised, computed fast.

The incident builder matches a failure once per key: `mask_variable(text, numbers=False)`
(addresses, hosts, ids masked; numbers kept, because reply and socket codes are numbers).  This
module gives that same key for a fraction of the cost, and lets more failures share one:

* Masking works line by line (no mask pattern crosses a line end, except the Gmail `- gsmtp`
  tail, which sends the text to the plain path), so each distinct line is masked once:
  stack frames and exception messages repeat verbatim from one failure to the next.
* A run of six or more digits standing alone (`time bomb 499721`, a message number) is replaced
  by as many zeros first.  No code the diagnosis reads is that long or looks like that (SMTP
  and HTTP codes have three digits, enhanced codes at most three per part, socket errors five,
  AADSTS codes and HRESULTs are glued to letters), masks see only the shape of a token, and
  phrases are compared with all numbers masked; so failures that differ only there get the
  same diagnosis.
* A stack frame line without digits (other than its `:line 212` and the `32` of `Int32`) is
  left out: the diagnosis reads the chain's types, messages and codes, and frames carry none
  of those (the generator of real logs keeps a varying number of frames per failure).

A knowledge base with `regex` conditions could look at any digit or frame: then the key is
exactly the plain masked text.
"""

from __future__ import annotations

import re

from logdoctor.kb.compiled import Block
from logdoctor.kb.loader import KnowledgeBase
from logdoctor.mask import mask_variable
from logdoctor.shapes import LONG_NUMBER as _LONG_NUMBER
from logdoctor.shapes import MAX_LINES_CACHED, PLACE, has_gsmtp, line_shape
from logdoctor.shapes import zeros as _zeros

_SPACE = re.compile(r"\s+")
_AT_START = re.compile(r"[ \t]*at ")
MAX_TEXTS_CACHED = 4_096  # whole-text shapes are long: fewer of them are kept
_FRAME = re.compile(r"[ \t]*at [^\r\n]{0,2000}")
_FRAME_DIGITS = re.compile(r":line \d+$|(?<=[A-Za-z])(?:16|32|64)\b")
_DIGIT = re.compile(r"\d")


def _plain_frame(line: str) -> bool:
    return _FRAME.fullmatch(line) is not None and _DIGIT.search(_FRAME_DIGITS.sub("", line)) is None


def has_regex(block: Block) -> bool:
    """Whether a rule block (or one nested in it) tests the text with a regex."""
    if block.regex:
        return True
    return any(has_regex(b) for b in (*(block.any or ()), *(block.not_ or ())))


class DiagnosisKeys:
    """`key(text)`: the memo key of a failure text (see the module doc)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        # "canonical": long numbers zeroed and plain frames left out (exact without regexes).
        self.canonical_numbers = not any(has_regex(kr.match) for kr in kb.active_rules)
        self._lines: dict[str, str] = {}
        self._shapes: dict[str, str] = {}
        self._texts: dict[str, str] = {}  # whole-text shape -> key

    def key(self, text: str, shape: str | None = None) -> str:
        """The key of `text`; `shape` is its `Shaper.shape`, when the caller has it."""
        # A text with a shape holds no `gsmtp` (the shaper leaves those alone).
        if shape is None and has_gsmtp(text):
            if self.canonical_numbers:
                text = _LONG_NUMBER.sub(_zeros, text)
            return mask_variable(text, numbers=False)
        lines = self._lines
        shaped_lines: list[str] | None = None
        if shape is not None and self.canonical_numbers:
            known = self._texts.get(shape)
            if known is not None:
                return known
            shaped_lines = shape.split("\n")
        raw_lines = text.split("\n")
        if shaped_lines is not None and len(shaped_lines) != len(raw_lines):
            shaped_lines = None
        out: list[str] = []
        for i, line in enumerate(raw_lines):
            masked = lines.get(line)
            if masked is None:
                if not self.canonical_numbers:
                    masked = mask_variable(line, numbers=False)
                elif _plain_frame(line):
                    masked = ""
                else:
                    masked = self._masked(line, shaped_lines[i] if shaped_lines else None)
                if len(lines) >= MAX_LINES_CACHED:
                    lines.clear()
                lines[line] = masked
            if masked:
                out.append(masked)
        key = _SPACE.sub(" ", "\n".join(out)).strip()
        if shape is not None and shaped_lines and self._whole_text_shaped(shaped_lines):
            if len(self._texts) >= MAX_TEXTS_CACHED:
                self._texts.clear()
            self._texts[shape] = key
        return key

    @staticmethod
    def _whole_text_shaped(shaped_lines: list[str]) -> bool:
        # Every text of a shape has this key, unless a line with a replaced token could be a
        # stack frame: whether a frame is left out depends on digits, which a token may or may
        # not hold.  Whether a line starts like a frame does not depend on its tokens.
        return all(PLACE not in line or _AT_START.match(line) is None for line in shaped_lines)

    def _masked(self, line: str, shaped: str | None) -> str:
        # Lines of one shape mask alike (logdoctor.shapes): mask the first, look up the rest.
        zeroed = _LONG_NUMBER.sub(_zeros, line)
        if shaped is None:
            shaped = line_shape(zeroed)
        masked = self._shapes.get(shaped)
        if masked is None:
            masked = mask_variable(zeroed, numbers=False)
            if len(self._shapes) >= MAX_LINES_CACHED:
                self._shapes.clear()
            self._shapes[shaped] = masked
        return masked
