"""The command line as a user meets it: help, version, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from logdoctor import __version__

CONTRACT_COMMANDS = ("analyze", "explain", "check-config", "batch", "report", "tui", "rules")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logdoctor", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env={"NO_COLOR": "1", "PATH": "", "PYTHONIOENCODING": "utf-8"},
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_help_lists_every_contract_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in CONTRACT_COMMANDS:
        assert f"  {name} " in result.stdout, name


@pytest.mark.parametrize("name", CONTRACT_COMMANDS)
def test_each_command_has_help(name: str) -> None:
    result = run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run("analyse-this")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_missing_file_is_one_line_exit_2(tmp_path: object) -> None:
    result = run("analyze", "no/such/Rulemanager.log")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "no/such/Rulemanager.log" in lines[0].replace("\\", "/")
    assert "Traceback" not in result.stderr


def test_quiet_batch_prints_nothing_for_cron(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[1] / "samples" / "tls-onconnect-port25.log"
    out = tmp_path / "out"
    result = run("-q", "batch", str(sample), "--db", str(tmp_path / "x.db"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert sorted(p.suffix for p in out.iterdir()) == [".html", ".json", ".md"]
