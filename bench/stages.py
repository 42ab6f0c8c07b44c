"""Where the time of one `analyze` goes, stage by stage, in one process.

    python bench/stages.py /tmp/bench/Rulemanager-typical-100M.log

Each line is a run from the start of the file that does one stage more than the line before
(the reader alone; reader and events; the whole `analyze_reading`; then the JSON with and
without redaction), so a stage costs the difference to the line above it.  Everything runs in
this process (`workers=1`): with workers, `analyze` spreads the reader and events over the
cores and a stage's cost no longer shows on its own.
"""

from __future__ import annotations

import sys
import time

from logdoctor.analysis import analyze_reading
from logdoctor.kb.loader import load_kb
from logdoctor.pipeline import LogReading
from logdoctor.records import RecordReader
from logdoctor.render.jsonout import contract_chunks
from logdoctor.sources import discover


def main(path: str) -> None:
    started = time.perf_counter()
    kb = load_kb()
    print(f"knowledge base        {time.perf_counter() - started:6.2f} s")

    started = time.perf_counter()
    for _ in RecordReader(discover([path])[0]).scan():
        pass
    print(f"reader                {time.perf_counter() - started:6.2f} s")

    started = time.perf_counter()
    events = sum(1 for _ in LogReading([path], workers=1).events(light=True))
    print(f"reader + events       {time.perf_counter() - started:6.2f} s  ({events:,} events)")

    started = time.perf_counter()
    analysis = analyze_reading(LogReading([path], workers=1), kb)
    took = time.perf_counter() - started
    print(f"analyze_reading       {took:6.2f} s  ({len(analysis.incidents):,} incidents)")

    started = time.perf_counter()
    size = sum(len(chunk) for chunk in contract_chunks(analysis, redact=True))
    print(f"JSON, redacted        {time.perf_counter() - started:6.2f} s  ({size:,} characters)")
    started = time.perf_counter()
    sum(len(chunk) for chunk in contract_chunks(analysis, redact=False))
    print(f"JSON, not redacted    {time.perf_counter() - started:6.2f} s")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/stages.py LOGFILE")
    main(sys.argv[1])
