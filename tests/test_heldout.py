"""Issue 5's acceptance on held-out logs: `logdoctor analyze` must find exactly the expected
incidents (category, count, status, and the port and SSL mode in effect) and exact counts.

The logs in tests/heldout/ were written from the reference notes by tests/heldout/make.py,
independently of the sample generator and the knowledge base; expected.yaml is that script's
own bookkeeping, never logdoctor's output.  See tests/heldout/README.md.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from logdoctor.cli import cli

HELDOUT = Path(__file__).resolve().parent / "heldout"
ENTRIES: list[dict[str, Any]] = yaml.safe_load(
    (HELDOUT / "expected.yaml").read_text(encoding="utf-8")
)["logs"]
BY_NAME = {entry["name"]: entry for entry in ENTRIES}
NAMES = list(BY_NAME)


def run_analyze(paths: list[str], layout: str | None = None) -> dict[str, Any]:
    args = ["analyze", "--format", "json"]
    if layout:
        args += ["--layout", layout]
    result = CliRunner().invoke(cli, [*args, *paths], obj={})
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@cache
def analyzed(name: str) -> dict[str, Any]:
    """One analyze run per held-out log, shared by the checks below."""
    entry = BY_NAME[name]
    return run_analyze([str(HELDOUT / p) for p in entry["paths"]], entry.get("layout"))


def incident_keys(incidents: list[dict[str, Any]], *, settings: bool) -> Counter[tuple[Any, ...]]:
    keys: Counter[tuple[Any, ...]] = Counter()
    for incident in incidents:
        key: tuple[Any, ...] = (incident["category"], incident["count"], incident["status"])
        if settings:
            config = incident.get("config") or {}
            key += (config.get("port"), config.get("ssl_mode"))
        keys[key] += 1
    return keys


def expected_keys(entry: dict[str, Any], *, settings: bool) -> Counter[tuple[Any, ...]]:
    wanted = [
        {
            "category": i["category"],
            "count": i["count"],
            "status": i["status"],
            "config": {"port": i["port"], "ssl_mode": i["ssl_mode"]},
        }
        for i in entry["incidents"]
    ]
    return incident_keys(wanted, settings=settings)


@pytest.mark.parametrize("name", NAMES)
def test_counts_are_exact(name: str) -> None:
    stats = analyzed(name)["stats"]
    want = BY_NAME[name]["stats"]
    assert {key: stats.get(key) for key in want} == want


@pytest.mark.parametrize("name", NAMES)
def test_incidents_have_the_right_cause_count_and_status(name: str) -> None:
    got = incident_keys(analyzed(name)["incidents"], settings=False)
    assert got == expected_keys(BY_NAME[name], settings=False)


@pytest.mark.parametrize("name", NAMES)
def test_incidents_carry_the_settings_in_effect(name: str) -> None:
    got = incident_keys(analyzed(name)["incidents"], settings=True)
    assert got == expected_keys(BY_NAME[name], settings=True)


def test_rotated_set_in_any_order_gives_the_same_answer() -> None:
    entry = next(e for e in ENTRIES if len(e["paths"]) > 1)
    oldest_first = run_analyze([str(HELDOUT / p) for p in reversed(entry["paths"])])
    newest_first = analyzed(entry["name"])
    assert oldest_first["stats"] == newest_first["stats"]
    assert incident_keys(oldest_first["incidents"], settings=True) == incident_keys(
        newest_first["incidents"], settings=True
    )


def test_committed_logs_are_what_make_py_writes(tmp_path: Path) -> None:
    """The fixtures and expected.yaml stay in step with their script, byte for byte (CRLF,
    BOMs and cp1252 included: a checkout that rewrites line ends would change every record)."""
    spec = importlib.util.spec_from_file_location("heldout_make", HELDOUT / "make.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(module)
        written = module.write(tmp_path)
    finally:
        sys.modules.pop(spec.name, None)
    assert written
    for path in written:
        rel = path.relative_to(tmp_path)
        assert (HELDOUT / rel).read_bytes() == path.read_bytes(), rel
