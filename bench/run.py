"""The speed benchmark: `logdoctor analyze` against lnav's indexing of the same file.

    python bench/run.py                      # typical logs of 100 MB and 1 GB, a heavy one of 50 MB
    python bench/run.py --quick              # 20 MB typical, 5 MB heavy, one run each
    python bench/run.py --size 1G --runs 3   # only the typical 1 GB log, three runs
    python bench/run.py --dir /tmp/bench     # keep (and reuse) the generated logs there

Logs are written by the repository's generator (`logdoctor.samplegen.write_log`): a typical log
with about 1% failures, and a failure-heavy one where half the records are failures whose texts
all differ in ids, addresses and numbers.  Each run times `logdoctor analyze --format json` and,
when lnav is installed, `lnav -n -c ';SELECT count(*) FROM all_logs'` on the same file, in
alternating order.  Printed per log: MB/s, failure records/s, peak RSS and the time ratio to
lnav (below 1.0: logdoctor is faster).  Peak RSS is read from `resource` (POSIX only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from logdoctor.samplegen import write_log

# A child that runs one command and reports its peak RSS (ru_maxrss is KB on Linux).  The
# command writes into a temporary file, not a pipe: a process reading 50 MB of JSON from a
# pipe while it runs would take CPU from the command it measures (2 cores, 3 busy processes).
_RSS_PROBE = (
    "import resource, subprocess, sys, tempfile, time\n"
    "with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:\n"
    "    t = time.perf_counter()\n"
    "    p = subprocess.run(sys.argv[1:], stdout=out, stderr=err)\n"
    "    t = time.perf_counter() - t\n"
    "    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "    err.seek(0)\n"
    "    out.seek(0)\n"
    "    sys.stderr.buffer.write(err.read())\n"
    "    sys.stdout.buffer.write(out.read())\n"
    "sys.stderr.write(f'\\n@@bench {t} {rss} {p.returncode}\\n')\n"
)


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def show_size(n: int) -> str:
    return f"{n / (1 << 30):g}G" if n >= 1 << 30 else f"{n / (1 << 20):g}M"


def make_log(folder: Path, kind: str, size: int) -> Path:
    """The log of that kind and size, written once and reused."""
    path = folder / f"Rulemanager-{kind}-{show_size(size)}.log"
    if path.exists() and path.stat().st_size >= size:
        return path
    ratio, seed = (0.01, 1) if kind == "typical" else (0.5, 2)
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        write_log(out, seed=seed, target_bytes=size, failure_ratio=ratio, varied=True)
    tmp.replace(path)
    took = time.perf_counter() - started
    print(f"  wrote {path.name} ({show_size(size)}) in {took:.0f} s", file=sys.stderr)
    return path


def measure(cmd: list[str]) -> tuple[float, int, str]:
    """(seconds, peak RSS in KB, stdout) of one command."""
    probe = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, *cmd], capture_output=True, text=True, check=False
    )
    tail = probe.stderr.rsplit("@@bench ", 1)
    if len(tail) != 2:
        raise SystemExit(f"benchmark probe failed: {probe.stderr[-2000:]}")
    seconds, rss, code = tail[1].split()
    if int(code) != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {code}: {tail[0][-2000:]}")
    return float(seconds), int(rss), probe.stdout


def logdoctor_cmd(log: Path) -> list[str]:
    return [sys.executable, "-m", "logdoctor", "analyze", "--format", "json", str(log)]


def lnav_cmd(lnav: str, log: Path) -> list[str]:
    return [lnav, "-n", "-c", ";SELECT count(*) FROM all_logs", str(log)]


def bench_one(log: Path, runs: int, lnav: str | None) -> dict[str, object]:
    ours, theirs = Timing(), Timing()
    failures = 0
    for run in range(runs):
        order = ["ours", "lnav"] if run % 2 == 0 else ["lnav", "ours"]
        for who in order:
            if who == "ours":
                seconds, rss, out = measure(logdoctor_cmd(log))
                ours.seconds.append(seconds)
                ours.rss_kb.append(rss)
                failures = int(json.loads(out)["stats"]["sends_failed"])
            elif lnav is not None:
                seconds, rss, _ = measure(lnav_cmd(lnav, log))
                theirs.seconds.append(seconds)
                theirs.rss_kb.append(rss)
    size = log.stat().st_size
    row: dict[str, object] = {
        "log": log.name,
        "mb": size / 1e6,
        "seconds": ours.median,
        "runs": ours.seconds,
        "mb_per_s": size / 1e6 / ours.median,
        "failures": failures,
        "failures_per_s": failures / ours.median,
        "peak_rss_mb": max(ours.rss_kb) / 1024,
    }
    if theirs.seconds:
        row.update(
            lnav_seconds=theirs.median,
            lnav_runs=theirs.seconds,
            lnav_mb_per_s=size / 1e6 / theirs.median,
            lnav_peak_rss_mb=max(theirs.rss_kb) / 1024,
            ratio=ours.median / theirs.median,
        )
    return row


def print_row(row: dict[str, object]) -> None:
    line = (
        f"{row['log']:<34} {row['mb']:8.1f} MB  {row['seconds']:7.2f} s  "
        f"{row['mb_per_s']:6.1f} MB/s  {row['failures_per_s']:8.0f} failures/s  "
        f"RSS {row['peak_rss_mb']:5.0f} MB"
    )
    if "ratio" in row:
        line += (
            f"  | lnav {row['lnav_seconds']:6.2f} s {row['lnav_mb_per_s']:6.1f} MB/s"
            f" RSS {row['lnav_peak_rss_mb']:4.0f} MB | ratio {row['ratio']:.2f}"
        )
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", action="append", help="typical log size (repeatable): 100M, 1G")
    ap.add_argument("--heavy", default=None, help="failure-heavy log size (0: none)")
    ap.add_argument("--runs", type=int, default=None, help="runs per log (alternating)")
    ap.add_argument("--quick", action="store_true", help="small logs, one run")
    ap.add_argument("--dir", type=Path, default=None, help="where to keep the generated logs")
    ap.add_argument("--no-lnav", action="store_true", help="do not run lnav even if installed")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = ap.parse_args(argv)

    sizes = [parse_size(s) for s in (args.size or (["20M"] if args.quick else ["100M", "1G"]))]
    heavy = parse_size(args.heavy or ("5M" if args.quick else "50M"))
    runs = args.runs or (1 if args.quick else 3)
    lnav = None if args.no_lnav else shutil.which("lnav")
    folder = args.dir or Path(tempfile.gettempdir()) / "logdoctor-bench"
    folder.mkdir(parents=True, exist_ok=True)

    print(
        f"logdoctor bench: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"lnav: {lnav or 'not installed'}, {runs} run(s) each, logs in {folder}",
        flush=True,
    )
    logs = [make_log(folder, "typical", s) for s in sizes]
    if heavy:
        logs.append(make_log(folder, "heavy", heavy))
    rows = []
    for log in logs:
        row = bench_one(log, runs, lnav)
        print_row(row)
        rows.append(row)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
