"""Large logs for benchmarks, written as a stream: nothing but counters is held in memory."""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from logdoctor.samplegen.failures import Ctx, Failure, Style, build_failure
from logdoctor.samplegen.layouts import layout_for
from logdoctor.samplegen.scenarios import O365_587
from logdoctor.samplegen.sim import Sim
from logdoctor.samplegen.truth import Truth
from logdoctor.samplegen.writer import LogWriter

# Failures that can happen with correct Office365 settings, weighted as a help desk sees them.
BENCH_KINDS: tuple[tuple[str, int], ...] = (
    ("forcibly_closed", 5),
    ("connect_timeout", 4),
    ("recipient_550", 6),
    ("m365_tenant_disabled", 2),
    ("m365_basic_disabled", 2),
    ("sendas_5760", 2),
    ("common_algorithm", 1),
    ("remote_closed_stream", 1),
)
RELOAD_EVERY = 5000  # records between configuration reloads (same settings: a daily restart)


def write_log(
    stream: BinaryIO,
    *,
    seed: int,
    target_bytes: int,
    failure_ratio: float,
    layout: str = "stock",
    varied: bool = True,
    encoding: str = "utf-8",
    line_ends: str = "crlf",
) -> Truth:
    """Write a RuleManager-like log of about `target_bytes` bytes into `stream`.

    `failure_ratio` is the share of records that are email send failures (0.01 for a typical
    log, 0.5 for a failure-heavy one; above about 0.7 the records around each failure make it
    unreachable). With `varied`, every failure text differs in its variable parts (ids,
    addresses, numbers); without, each kind of failure repeats one identical text. `layout` is a
    layout key (`stock`, `sdk-tab`, `sdk-spaces`, `custom-utc`, `custom-pipe`) or its pattern.
    Stops at the first record boundary at or past `target_bytes`.
    """
    if not 0.0 <= failure_ratio <= 1.0:
        raise ValueError("failure_ratio must be within 0..1")
    writer = LogWriter(
        stream, layout_for(layout), encoding=encoding, line_ends=line_ends, seed=seed + 1
    )
    style = Style(prefix_ratio=1.0 if varied else 0.0)
    sim = Sim(seed, datetime(2026, 1, 5, 6, 0), writer.write, style=style, busy=20.0)
    rng = sim.rng
    kinds = [k for k, _ in BENCH_KINDS]
    weights = [w for _, w in BENCH_KINDS]
    fixed: dict[str, Failure] = {}
    counter = writer.counter
    sim.start(O365_587)
    next_reload = RELOAD_EVERY
    while writer.bytes < target_bytes:
        sim.tick(rng.expovariate(1 / 6.0))
        if counter.records >= next_reload:
            next_reload += RELOAD_EVERY
            sim.restart(O365_587)
        elif counter.sends_failed < failure_ratio * (counter.records + 1):
            kind = rng.choices(kinds, weights)[0]
            if varied:
                failure = build_failure(kind, Ctx(sim.words, sim.settings, style))
            else:
                failure = fixed.get(kind) or fixed.setdefault(
                    kind, build_failure(kind, Ctx(sim.words, sim.settings, style))
                )
            sim.emit(
                failure.level, sim.email_logger, failure.message, "fail", category=failure.category
            )
        elif rng.random() < 0.25:
            sim.send(None)
        else:
            sim.noise()
    return writer.truth()
