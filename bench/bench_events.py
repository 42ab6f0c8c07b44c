"""Records per second of the events stage, over a large synthetic log.

    python bench/bench_events.py [COPIES]

Builds a log from `samples/` (every sample in the stock log4net layout, repeated COPIES times,
with the failure texts' addresses and session ids varied so that the parse cache cannot simply
reuse one text), then times reading alone and reading plus events.
"""

from __future__ import annotations

import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from logdoctor.events import ChainCache, EventCounter, events_from_records
from logdoctor.layout import layout_from_pattern
from logdoctor.records import MultiReader
from logdoctor.sources import discover

ROOT = Path(__file__).resolve().parent.parent
STOCK = "%date [%thread] %-5level %logger - %message%newline"


def build(copies: int, target: Path) -> int:
    manifest = json.loads((ROOT / "samples" / "MANIFEST.json").read_text(encoding="utf-8"))
    stock = [
        (ROOT / "samples" / f["path"]).read_text(encoding="utf-8-sig")
        for f in manifest["files"]
        if f["layout"] == STOCK and not f["path"].endswith(".gz")
    ]
    rng = random.Random(7)
    with target.open("w", encoding="utf-8", newline="\r\n") as out:
        for _ in range(copies):
            for text in stock:
                # Vary ids and addresses as a real log does.
                text = re.sub(
                    r"\b[a-z]\d{3}sm\d+\w*\.\d+\b", lambda m: f"x{rng.randrange(10**9)}sm.1", text
                )
                text = re.sub(
                    r"[\w.]+@example\.org", lambda m: f"user{rng.randrange(500)}@example.org", text
                )
                out.write(text)
    return target.stat().st_size


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    layout = layout_from_pattern(STOCK)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "Rulemanager.log"
        size = build(copies, log)
        t0 = time.perf_counter()
        n = sum(1 for _ in MultiReader(discover([log]), layout))
        read_s = time.perf_counter() - t0
        counter = EventCounter()
        cache = ChainCache()
        t0 = time.perf_counter()
        for _ in events_from_records(
            MultiReader(discover([log]), layout), counter=counter, cache=cache
        ):
            pass
        total_s = time.perf_counter() - t0
    print(
        f"log: {size / 1e6:.1f} MB, {n} records, {counter.sends_failed} failures, "
        f"{counter.config_loads} configuration loads, {counter.sends_ok} successes"
    )
    print(f"read only:       {n / read_s:10.0f} records/s ({read_s:.2f} s)")
    print(f"read + events:   {n / total_s:10.0f} records/s ({total_s:.2f} s)")
    print(f"events alone:    {n / max(total_s - read_s, 1e-9):10.0f} records/s")
    print(f"chain cache: {cache.hits} hits, {cache.misses} misses")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "Rulemanager.log"
        build(copies, log)
        # Worst case: no failure text repeats (a cache of size 0 never hits).
        t0 = time.perf_counter()
        for _ in events_from_records(
            MultiReader(discover([log]), layout), cache=ChainCache(size=0)
        ):
            pass
        cold_s = time.perf_counter() - t0
    print(f"read + events, every failure text distinct: {n / cold_s:10.0f} records/s")


if __name__ == "__main__":
    main()
