"""Deterministic generator of RuleManager-like logs: the committed samples and benchmark logs.

    python -m logdoctor.samplegen [OUTDIR]      # rewrite every sample (default: samples/)

From Python: `generate(outdir)` writes the samples and returns the manifest; `write_log(...)`
streams a large log of a given size and failure ratio and returns its `Truth`.
"""

from __future__ import annotations

from logdoctor.samplegen.build import generate
from logdoctor.samplegen.layouts import LAYOUTS, Layout, layout_for
from logdoctor.samplegen.stream import write_log
from logdoctor.samplegen.truth import Incident, Settings, Truth

__all__ = [
    "LAYOUTS",
    "Incident",
    "Layout",
    "Settings",
    "Truth",
    "generate",
    "layout_for",
    "write_log",
]
