"""The streamed contract JSON is the one `json.dumps` writes of the whole analysis."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from logdoctor.analysis import analyze_paths
from logdoctor.kb.loader import load_kb
from logdoctor.redact import redact_analysis
from logdoctor.render.jsonout import contract_chunks
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
