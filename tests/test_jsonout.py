"""The streamed contract JSON is the one `json.dumps` writes of the whole analysis."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logdoctor.analysis import analyze_paths
from logdoctor.kb.loader import load_kb
from logdoctor.redact import redact_analysis
from logdoctor.render.jsonout import Streamed, _dumps, contract_chunks, object_chunks
from logdoctor.report_model import Analysis

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    # The showcase log: incidents, mistyped recipients (addresses to redact), a filter.
    found = analyze_paths([SAMPLES / "Rulemanager.log"], kb=load_kb())
    assert len(found.incidents) >= 3
    return found


@pytest.mark.parametrize("redact", [True, False])
def test_streamed_json_is_byte_for_byte_the_whole_dump(analysis: Analysis, redact: bool) -> None:
    shown = redact_analysis(analysis) if redact else analysis
    whole = json.dumps(shown.as_contract(), indent=2, ensure_ascii=False)
    assert "".join(contract_chunks(analysis, redact=redact)) == whole


def test_redacted_stream_hides_the_addresses(analysis: Analysis) -> None:
    plain = "".join(contract_chunks(analysis, redact=False))
    shown = "".join(contract_chunks(analysis, redact=True))
    assert "@" in plain and "domain1.invalid" not in plain
    assert "domain1.invalid" in shown
    assert json.loads(shown)["redacted"] is True


def test_no_incidents_is_an_empty_list(analysis: Analysis) -> None:
    empty = dataclasses.replace(analysis, incidents=())
    text = "".join(contract_chunks(empty, redact=True))
    assert json.loads(text)["incidents"] == []
    assert text == json.dumps(redact_analysis(empty).as_contract(), indent=2, ensure_ascii=False)


# Values a hostile log can put into an incident: any text (control characters, lone
# surrogates), ports beyond 64 bits, timeouts written as 1e20 or nan, str subclasses.
class _Tag(str):
    pass


_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e16, 1e-5, 2.5e-05, 0.0001, -0.0, 10.0, 0.888, 1e22]),
    st.text(),
    st.text(alphabet=st.characters(blacklist_categories=())),
    st.builds(_Tag, st.text(max_size=5)),
)
_json_like = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_json_like)
def test_the_fast_encoder_writes_what_json_dumps_writes(value: object) -> None:
    assert _dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_floats_with_an_exponent_and_huge_ports_keep_the_standard_spelling() -> None:
    assert '"port": 1180591620717411303424' in _dumps({"port": 2**70, "timeout_s": 10.0})
    assert '"timeout_s": 1e+20' in _dumps({"port": 25, "timeout_s": 1e20})
    assert '"timeout_s": NaN' in _dumps({"port": 25, "timeout_s": float("nan")})


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=8),
            st.booleans(),
            st.one_of(st.lists(_json_like, max_size=4), _json_like),
        ),
        max_size=5,
        unique_by=lambda f: f[0],
    )
)
def test_an_object_written_in_pieces_is_what_json_dumps_writes(
    fields: list[tuple[str, bool, object]],
) -> None:
    # Fields marked as streamed are lists written one item at a time (the batch summary's
    # new, ongoing and resolved incidents); the text must not tell them apart.
    whole = {key: value for key, _streamed, value in fields}
    pieces = object_chunks(
        (key, Streamed(iter(value)) if streamed and isinstance(value, list) else value)
        for key, streamed, value in fields
    )
    assert "".join(pieces) == json.dumps(whole, indent=2, ensure_ascii=False)
