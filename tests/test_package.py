"""The package as a newcomer installs it: the wheel carries the rules."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_rules_and_samplegen(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("logdoctor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_rules = {n for n in names if n.startswith("logdoctor/rules/") and n.endswith(".yaml")}
    repo_rules = {f"logdoctor/rules/{p.name}" for p in (ROOT / "rules").glob("*.yaml")}
    assert repo_rules, "no rule files in rules/"
    assert shipped_rules == repo_rules
    # pyproject lists the packages by hand (rules/ maps to logdoctor.rules): none forgotten.
    for init in (ROOT / "logdoctor").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names
    assert "logdoctor/py.typed" in names
