"""The contract JSON of an analysis, written one incident at a time.

A year of log can hold tens of thousands of incidents.  Redacting them all into a copy of the
analysis, turning that into one dict tree and that into one string held three more copies of
everything in memory at once.  `contract_chunks` gives the same text, byte for byte, as
`json.dumps(redact_analysis(analysis).as_contract(), indent=2, ensure_ascii=False)`, while
only one incident at a time is redacted and serialised.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Iterator
from typing import cast

import orjson

from logdoctor.redact import Redactor, redact_analysis, redact_incident
from logdoctor.report_model import Analysis

_INDENT = 2


def _dumps(value: object) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, by orjson where that gives the same
    text: the standard encoder writes indented JSON in pure Python, which took a third of the
    time of writing a report with many incidents."""
    if _orjson_same(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
        except TypeError:  # an int beyond 64 bits, a lone surrogate: json writes those
            pass
    return json.dumps(value, indent=_INDENT, ensure_ascii=False)


def _orjson_same(value: object) -> bool:
    """True when orjson writes `value` as `json.dumps` does.  Strings, ints, bools and None
    are written alike; a float only when `repr` gives it without an exponent (`1e+16` against
    orjson's `1e16`) and it is finite (`NaN` against `null`); subclasses of str or int (enums)
    and other types are left to `json`."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        x = abs(cast(float, value))
        return x == 0.0 or (1e-4 <= x < 1e16 and math.isfinite(x))
    if kind is dict:
        items = cast(dict[object, object], value)
        return all(type(k) is str for k in items) and all(map(_orjson_same, items.values()))
    if kind is list or kind is tuple:
        return all(map(_orjson_same, cast(list[object], value)))
    return False


def contract_chunks(analysis: Analysis, *, redact: bool = True) -> Iterator[str]:
    """Pieces of the analysis's contract JSON (indented by 2), in order; join them for the
    whole.  With `redact`, stand-ins are numbered in the same order as `redact_analysis`'s:
    incidents first, then unrecognized failures, then the damaged-record notes."""
    redactor = Redactor() if redact else None
    rest = dataclasses.replace(analysis, incidents=())
    head = rest.as_contract()
    keys = list(head)
    at = keys.index("incidents")

    def incidents() -> Iterator[object]:
        for incident in analysis.incidents:
            if redactor is not None:
                incident = redact_incident(incident, redactor)
            yield incident.as_contract()

    def fields() -> Iterator[tuple[str, object]]:
        yield from ((k, head[k]) for k in keys[:at])
        yield "incidents", Streamed(incidents())
        # Pulled only after every incident is written: their stand-ins are numbered first.
        shown = redact_analysis(rest, redactor) if redactor is not None else rest
        tail = shown.as_contract()
        yield from ((k, tail[k]) for k in keys[at + 1 :])

    return object_chunks(fields())


@dataclasses.dataclass(frozen=True, slots=True)
class Streamed:
    """A list field of `object_chunks` whose items are made and written one at a time."""

    items: Iterable[object]


def object_chunks(fields: Iterable[tuple[str, object]]) -> Iterator[str]:
    """Pieces of `json.dumps(dict(fields), indent=2, ensure_ascii=False)`, in order; a field
    whose value is `Streamed` is written as a list, one item at a time, so a summary of tens of
    thousands of incidents never becomes one dict tree and one string."""
    pad = "\n" + " " * _INDENT
    inner = pad + " " * _INDENT
    opened = False
    for key, value in fields:
        yield ("{" if not opened else ",") + pad + _dumps(key) + ": "
        opened = True
        if isinstance(value, Streamed):
            empty = True
            for item in value.items:
                yield ("[" if empty else ",") + inner + _dumps(item).replace("\n", inner)
                empty = False
            yield "[]" if empty else pad + "]"
        else:
            yield _dumps(value).replace("\n", pad)
    yield "\n}" if opened else "{}"
