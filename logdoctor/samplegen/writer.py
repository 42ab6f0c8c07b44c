"""Rendering entries into bytes: layout, line ends, encoding, BOM; counting the truth as it goes."""

from __future__ import annotations

import dataclasses
import random
from typing import BinaryIO

from logdoctor.samplegen.layouts import Layout
from logdoctor.samplegen.truth import Entry, Truth, TruthCounter

BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe"}
LINE_ENDS = ("crlf", "lf", "mixed")


class LogWriter:
    def __init__(
        self,
        stream: BinaryIO,
        layout: Layout,
        *,
        encoding: str = "utf-8",
        bom: bool = False,
        line_ends: str = "crlf",
        seed: int = 0,
    ) -> None:
        if line_ends not in LINE_ENDS:
            raise ValueError(f"line_ends must be one of {LINE_ENDS}")
        if bom and encoding not in BOMS:
            raise ValueError(f"no BOM for {encoding}")
        self.stream = stream
        self.layout = layout
        self.encoding = encoding
        self.bom = bom
        self.line_ends = line_ends
        self.rng = random.Random(seed)
        self.counter = TruthCounter()
        self.bytes = 0
        self.crlf = 0
        self.lf = 0
        if bom:
            self._put(BOMS[encoding])

    def _put(self, data: bytes) -> None:
        self.stream.write(data)
        self.bytes += len(data)

    def _eol(self) -> str:
        if self.line_ends == "crlf":
            return "\r\n"
        if self.line_ends == "lf":
            return "\n"
        # Mixed: whole records switch, as when two writers (or an editor) touched the file.
        return "\n" if self.rng.random() < 0.3 else "\r\n"

    def _lines(self, lines: list[str]) -> None:
        eol = self._eol()
        if eol == "\r\n":
            self.crlf += len(lines)
        else:
            self.lf += len(lines)
        self._put("".join(line + eol for line in lines).encode(self.encoding))

    def junk(self, lines: list[str]) -> None:
        """Text before the first header (the tail of a record cut off by a copy): one damaged
        record."""
        self._lines(lines)
        self.counter.count_damaged()

    def write(self, entry: Entry) -> None:
        if not self.layout.has_millis:
            entry = dataclasses.replace(entry, when=entry.when.replace(microsecond=0))
        self._lines(self.layout.render(entry))
        self.counter.count(entry)

    def truth(self) -> Truth:
        c = self.counter
        label = "utf-8-sig" if self.encoding == "utf-8" and self.bom else self.encoding
        return Truth(
            layout_name=self.layout.name,
            layout_pattern=self.layout.pattern,
            encoding=label,
            bom=self.bom,
            line_ends=self.line_ends,
            bytes=self.bytes,
            crlf=self.crlf,
            lf=self.lf,
            records=c.records,
            by_level=tuple(sorted(c.levels.items())),
            config_loads=c.config_loads,
            sends_ok=c.sends_ok,
            sends_failed=c.sends_failed,
            damaged_records=c.damaged,
            first=c.first,
            last=c.last,
            failures_by_category=tuple(sorted(c.categories.items())),
            incidents=c.tracker.finish(),
            configs=tuple(c.configs),
        )
