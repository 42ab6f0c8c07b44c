"""A long log's human reports detail the most urgent incidents of each cause and count the rest.

The log comes from the repository's generator with many short incidents (each failure resolved
by the next successful send), pushed through the real CLI; the JSON report of the same log, which
always lists every incident, is what the shortened reports are checked against.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from logdoctor.analysis import analyze_reading
from logdoctor.cli import cli
from logdoctor.kb.loader import load_kb
from logdoctor.model import ReadStats
from logdoctor.pipeline import LogReading
from logdoctor.render import view
from logdoctor.render.shortlist import DETAIL_LIMIT, shortlist
from logdoctor.report_model import Analysis, Incident
from logdoctor.samplegen import write_log
from logdoctor.spill import SpilledIncidents

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "Rulemanager.log"
DETAIL_HEAD = re.compile(r"^(\d+)\. (ONGOING|resolved) ", re.MULTILINE)
CAUSE_ROW = re.compile(r"^\s*([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+\d\d-\d\d \d\d:\d\d\s+(\S+)\s")


@pytest.fixture(scope="module")
def long_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "Rulemanager.log"
    with path.open("wb") as out:
        write_log(out, seed=5, target_bytes=600_000, failure_ratio=0.05, varied=True)
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def every_incident(long_log: Path) -> list[dict[str, Any]]:
    incidents: list[dict[str, Any]] = json.loads(
        _run("analyze", str(long_log), "--format", "json", "--no-redact")
    )["incidents"]
    # Enough incidents, over enough causes, for the shortening to matter.
    assert len(incidents) > 3 * DETAIL_LIMIT
    assert len({i["rule"] for i in incidents}) > 3
    return incidents


def test_text_report_details_the_most_urgent_and_counts_every_incident_by_cause(
    long_log: Path, every_incident: list[dict[str, Any]]
) -> None:
    out = _run("analyze", str(long_log), "--format", "text")
    total = len(every_incident)
    rules = {i["rule"] for i in every_incident}

    assert f"{total:,} incidents (" in out.splitlines()[1]  # the headline counts all of them
    detailed = DETAIL_HEAD.findall(out)
    assert DETAIL_LIMIT <= len(detailed) <= DETAIL_LIMIT + len(rules)
    assert f"{len(detailed)} of {total:,} incidents are shown in detail" in out
    # Every cause's fix is shown at least once.
    assert {m for m in re.findall(r"rule: (\S+)", out)} == rules

    table = out.split("By cause (every incident):", 1)[1].split("are shown in detail", 1)[0]
    rows = [CAUSE_ROW.match(line) for line in table.splitlines()]
    found = [m for m in rows if m is not None]
    assert len(found) == len(rules)
    by_category = Counter(i["category"] for i in every_incident)
    table_by_category: Counter[str] = Counter()
    for m in found:
        table_by_category[m.group(4)] += int(m.group(1).replace(",", ""))
    assert table_by_category == by_category
    failures = sum(int(m.group(3).replace(",", "")) for m in found)
    assert failures == sum(i["count"] for i in every_incident)
    ongoing = sum(int(m.group(2).replace(",", "")) for m in found)
    assert ongoing == sum(1 for i in every_incident if i["status"] == "ongoing")


def test_text_report_keeps_secrets_out_of_the_incidents_it_details(
    long_log: Path, every_incident: list[dict[str, Any]]
) -> None:
    out = _run("analyze", str(long_log), "--format", "text")
    addresses = {
        a
        for i in every_incident
        for ev in i["evidence"]
        for a in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", ev["text"])
    }
    assert addresses
    assert not [a for a in addresses if a in out and not a.endswith(".invalid")]


def test_verbose_text_report_details_every_incident(
    long_log: Path, every_incident: list[dict[str, Any]]
) -> None:
    out = _run("analyze", str(long_log), "--format", "text", "-v")
    assert len(DETAIL_HEAD.findall(out)) == len(every_incident)
    assert "By cause" not in out
    assert "shown in detail" not in out


def test_markdown_and_html_reports_are_shortened_the_same_way(
    long_log: Path, every_incident: list[dict[str, Any]]
) -> None:
    total = len(every_incident)
    rules = {i["rule"] for i in every_incident}
    md = _run("analyze", str(long_log), "--format", "markdown")
    details = re.findall(r"^### (\d+)\. ", md, re.MULTILINE)
    assert DETAIL_LIMIT <= len(details) <= DETAIL_LIMIT + len(rules)
    assert f"{len(details)} of {total:,} incidents are shown in detail" in md
    cause_table = md.split("**By cause**", 1)[1].split("\n\n", 2)[1]
    assert len(cause_table.splitlines()) == 2 + len(rules)

    html = _run("analyze", str(long_log), "--format", "html")
    assert html.count('class="incident') >= 1
    assert f"{len(details)} of {total:,} incidents are shown in detail" in html
    causes = html.split('id="causes"', 1)[1].split("</table>", 1)[0]
    assert causes.count("<tr>") == 1 + len(rules)


def test_a_short_log_is_reported_in_full() -> None:
    out = _run("analyze", str(SAMPLE), "--format", "text")
    assert "By cause" not in out
    assert "shown in detail" not in out
    assert len(DETAIL_HEAD.findall(out)) == int(re.search(r"(\d+) incidents", out).group(1))  # type: ignore[union-attr]


def test_spilled_incidents_are_shortlisted_like_the_ones_in_memory(long_log: Path) -> None:
    kb = load_kb()
    kept = analyze_reading(LogReading([long_log]), kb)
    spilled = analyze_reading(LogReading([long_log]), kb, spill=True)
    assert isinstance(spilled.incidents, SpilledIncidents)
    assert shortlist(spilled) == shortlist(kept)
    assert shortlist(kept).shortened is not None


# The pure function against a brute-force reading of what it promises.

_RULES = ("a-rule", "b-rule", "c-rule", "d-rule")
_T0 = datetime(2026, 1, 1)


@st.composite
def _incidents(draw: st.DrawFn) -> list[Incident]:
    n = draw(st.integers(0, 60))
    out = []
    for k in range(n):
        rule = draw(st.sampled_from(_RULES))
        first = _T0 + timedelta(minutes=draw(st.integers(0, 500)))
        out.append(
            Incident(
                id=f"i{k}",
                rule=rule,
                category=f"cat.{rule[0]}",
                severity=draw(st.sampled_from(("critical", "error", "warning", "info"))),
                title=f"title of {rule}",
                status=draw(st.sampled_from(("ongoing", "resolved"))),
                first_seen=first,
                last_seen=first + timedelta(minutes=draw(st.integers(0, 50))),
                count=draw(st.integers(1, 4)),
                settings=None,
                confidence=0.9,
                cause="c",
                fix=("f",),
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(_incidents(), st.integers(1, 25))
def test_shortlist_is_the_most_urgent_and_the_first_of_each_cause(
    incidents: list[Incident], limit: int
) -> None:
    analysis = Analysis(stats=ReadStats(), incidents=tuple(incidents), unrecognized=())
    short = shortlist(analysis, limit)
    by_urgency = view.ordered(incidents)
    wanted = {id(i) for i in by_urgency[:limit]}
    for rule in {i.rule for i in incidents}:
        wanted.add(id(next(i for i in by_urgency if i.rule == rule)))
    if len(wanted) == len(incidents):
        assert short is analysis
        return
    assert short.shortened is not None
    # The picked incidents, in the order of the report (the order redaction numbers in).
    assert [id(i) for i in short.incidents] == [id(i) for i in incidents if id(i) in wanted]
    assert short.shortened.total == len(incidents)
    assert short.shortened.ongoing == sum(i.status == "ongoing" for i in incidents)
    causes = {c.rule: c for c in short.shortened.causes}
    assert set(causes) == {i.rule for i in incidents}
    for rule, c in causes.items():
        mine = [i for i in incidents if i.rule == rule]
        assert c.incidents == len(mine)
        assert c.failures == sum(i.count for i in mine)
        assert c.first_seen == min(i.first_seen for i in mine if i.first_seen)
        assert c.last_seen == max(i.last_seen for i in mine if i.last_seen)
    # Causes come in the order of their most urgent incident.
    assert [c.rule for c in short.shortened.causes] == list(
        dict.fromkeys(i.rule for i in by_urgency)
    )


def test_store_report_is_shortened_like_analyze(long_log: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    said = _run("batch", str(long_log), "--db", str(db), "--out", str(tmp_path / "out"))
    # The terminal (a cron mail) lists the most urgent new incidents; the files list them all.
    (summary_file,) = (tmp_path / "out").glob("summary-*.json")
    new = json.loads(summary_file.read_text(encoding="utf-8"))["new"]
    assert len(new) > 20
    listed = [line for line in said.splitlines() if line.startswith("  new ")]
    assert len(listed) == 20
    assert f"... and {len(new) - 20:,} more new, the least urgent" in said
    stored = json.loads(_run("report", "--db", str(db), "--format", "json"))["incidents"]
    assert len(stored) > DETAIL_LIMIT
    out = _run("report", "--db", str(db))
    detailed = DETAIL_HEAD.findall(out)
    assert f"{len(detailed)} of {len(stored):,} incidents are shown in detail" in out
    assert len(_run("report", "--db", str(db), "-v").split("shown in detail")) == 1


MD_CAUSE_ROW = re.compile(
    r"^\| ([\d,]+) \| (?:\*\*)?([\d,]+)(?:\*\*)? \| ([\d,]+) \| [^|]* \| [^|]* \| `([^`]+)` \|",
    re.MULTILINE,
)
MD_ROW = re.compile(r"^\| (critical|error|warning|info) \| `([^`]+)` \|", re.MULTILINE)


def test_the_nightly_summary_files_are_shortened_and_count_every_incident(
    long_log: Path, tmp_path: Path
) -> None:
    # A first run over a long history: the Markdown and HTML summaries list the most urgent
    # new incidents and count every one by cause; the JSON summary (the oracle) lists them all.
    out = tmp_path / "out"
    _run("batch", str(long_log), "--db", str(tmp_path / "store.db"), "--out", str(out), "-q")
    (json_file,) = out.glob("summary-*.json")
    new = json.loads(json_file.read_text(encoding="utf-8"))["new"]
    assert len(new) > 3 * DETAIL_LIMIT
    markdown = next(out.glob("summary-*.md")).read_text(encoding="utf-8")
    section = markdown.split("## New", 1)[1].split("\n## ", 1)[0]
    causes = MD_CAUSE_ROW.findall(section)
    by_category: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    ongoing = 0
    for incidents, still, count, category in causes:
        by_category[category] += int(incidents.replace(",", ""))
        failures[category] += int(count.replace(",", ""))
        ongoing += int(still.replace(",", ""))
    assert by_category == Counter(i["category"] for i in new)
    expected: Counter[str] = Counter()
    for i in new:
        expected[i["category"]] += i["count"]
    assert failures == expected
    assert ongoing == sum(i["status"] == "ongoing" for i in new)
    listed = MD_ROW.findall(section)
    assert DETAIL_LIMIT <= len(listed) < len(new)
    assert f"{len(listed):,} of {len(new):,} are listed" in section
    assert {category for _, category in listed} == set(by_category)
    html = next(out.glob("summary-*.html")).read_text(encoding="utf-8")
    assert f"{len(listed):,} of {len(new):,} are listed" in html
    rows = html.count('<tr><td class="resolved">') + html.count('<tr><td class="ongoing">')
    assert rows == len(listed)  # one row per listed incident
