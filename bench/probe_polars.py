"""How fast a native engine only tells a log's lines apart: the floor under the lnav target.

Not part of logdoctor and not a dependency: `pip install polars`, then

    python bench/probe_polars.py /tmp/bench/Rulemanager-typical-1G.log 16

reads the log in chunks of N MB (cut at line ends) and has polars (Rust, every core) decide
for each line only whether it is a stock-layout header, its level, and whether it holds a word
that can make an event.  No record is built, nothing is diagnosed, no report is written.
Session 5 measured 2.65 s (16 MB chunks, 233 MB) and 3.58 s (64 MB, 485 MB) for the 1 GB log,
against lnav's 3.73 s for its whole index (`bench/README.md`).
"""

from __future__ import annotations

import io
import resource
import sys
import time

import polars as pl

HEADER = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \["


def main(path: str, chunk_mb: int) -> None:
    chunk = chunk_mb << 20
    started = time.perf_counter()
    lines = headers = wanted = 0
    levels: dict[str | None, int] = {}
    with open(path, "rb") as fh:
        carry = b""
        while True:
            block = fh.read(chunk)
            if not block and not carry:
                break
            data = carry + block
            if block:
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            frame = pl.read_csv(
                io.BytesIO(data),
                has_header=False,
                separator="\x01",
                quote_char=None,
                schema={"l": pl.String},
                truncate_ragged_lines=True,
            )
            line = pl.col("l")
            out = frame.select(
                head=line.str.contains(HEADER),
                level=line.str.extract(HEADER + r"[^\]]*\] (\w+)", 1),
                want=line.str.contains(r"xception|rror|(?i:loaded|fail|start|stop|shut|sent)"),
            )
            lines += len(out)
            headers += int(out["head"].sum())
            wanted += int(out["want"].sum())
            for level, count in out["level"].value_counts().iter_rows():
                levels[level] = levels.get(level, 0) + count
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{lines:,} lines, {headers:,} headers, {wanted:,} with a trigger word, {levels}")
    print(f"{took:.2f} s, peak RSS {peak} MB")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 16)
