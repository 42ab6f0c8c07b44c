"""The category names are part of the outside contract: never renamed, never dropped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from contract_categories import CONTRACT_CATEGORIES

from logdoctor.kb.categories import CATEGORIES

CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "contract.md"


def test_engine_knows_every_contract_category() -> None:
    assert set(CONTRACT_CATEGORIES) | {"unknown"} <= set(CATEGORIES)


@pytest.mark.skipif(not CONTRACT.exists(), reason="shared/contract.md is not beside the repo")
def test_list_matches_the_contract() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    table = re.findall(r"^\| `([a-z_.]+)` \|", text, flags=re.MULTILINE)
    assert set(table) == set(CONTRACT_CATEGORIES) | {"unknown"}
