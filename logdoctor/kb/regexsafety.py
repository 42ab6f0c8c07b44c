"""Regexes from rule files are checked before use: Python's `re` backtracks, and one rule with a
nested quantifier such as `(\\w+\\s?)+` can hang a run on a single long log line.

Two checks: a static one (the parse tree has an unbounded repeat inside another repeat), used at
load and by lint; and a timed one (run the regex on 100 KB adversarial strings in a child
process that can be killed), used by lint only because it costs a process start.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from typing import Any

# re._parser has no stubs and `sre_parse` warns on import since 3.11; it is stable enough for a
# lint check, and a failure to use it only turns the static check off.
try:
    _parser: Any = importlib.import_module("re._parser")
    _consts: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - other interpreters
    _parser = None
    _consts = None

# An outer repeat of at most this many rounds cannot blow up much.
_SMALL_OUTER = 10
ADVERSARIAL_SIZE = 100_000


def _repeat_ops() -> tuple[Any, ...]:
    names = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    return tuple(getattr(_consts, n) for n in names if hasattr(_consts, n))


def _walk(items: Iterable[Any], inside_repeat: bool, ops: tuple[Any, ...]) -> str | None:
    for op, av in items:
        if op in ops:
            _low, high, body = av
            unbounded = high == _consts.MAXREPEAT or high > _SMALL_OUTER
            if inside_repeat and high > 1:
                return "a repeated group contains another quantifier (nested quantifiers)"
            found = _walk(body, inside_repeat or unbounded, ops)
            if found:
                return found
        elif op == _consts.SUBPATTERN:
            found = _walk(av[-1], inside_repeat, ops)
            if found:
                return found
        elif op == _consts.BRANCH:
            for branch in av[1]:
                found = _walk(branch, inside_repeat, ops)
                if found:
                    return found
        elif op in (_consts.ASSERT, _consts.ASSERT_NOT):
            found = _walk(av[1], inside_repeat, ops)
            if found:
                return found
    return None


def nested_quantifier(pattern: str) -> str | None:
    """Why the pattern is likely slow on long input, or None.  Never raises."""
    if _parser is None:
        return None
    try:
        tree = _parser.parse(pattern)
    except Exception:  # compile errors are reported elsewhere
        return None
    return _walk(tree, False, _repeat_ops())


def adversarial_inputs(size: int = ADVERSARIAL_SIZE) -> tuple[str, ...]:
    """Long strings that make backtracking regexes try many ways before failing."""
    units = ("a", " ", "0", "a ", "a.", "-", "\t", "ab", "a1 ", "<", "\\")
    return tuple((u * (size // len(u)))[:size] + "!" for u in units)


_CHILD = r"""
import json, re, sys, time
patterns = json.loads(sys.stdin.read())
units = ("a", " ", "0", "a ", "a.", "-", "\t", "ab", "a1 ", "<", "\\")
size = int(sys.argv[1])
texts = [(u * (size // len(u)))[:size] + "!" for u in units]
for i, p in enumerate(patterns):
    print(json.dumps({"start": i}), flush=True)
    rx = re.compile(p, re.IGNORECASE)
    t0 = time.perf_counter()
    for t in texts:
        rx.search(t)
    print(json.dumps({"done": i, "s": time.perf_counter() - t0}), flush=True)
"""


def timed_check(
    patterns: Sequence[str],
    *,
    budget_s: float = 1.0,
    size: int = ADVERSARIAL_SIZE,
    base_timeout_s: float = 5.0,
) -> dict[int, str]:
    """Index -> why, for each pattern slower than `budget_s` on the adversarial inputs.

    Runs in a child process so a catastrophic pattern is killed instead of hanging lint.
    """
    slow: dict[int, str] = {}
    todo = list(range(len(patterns)))
    while todo:
        batch = [patterns[i] for i in todo]
        timeout = base_timeout_s + budget_s * len(batch)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, str(size)],
                input=json.dumps(batch),
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=timeout,
                check=False,
            )
            out = proc.stdout
            timed_out = False
        except subprocess.TimeoutExpired as exc:
            raw = exc.stdout or b""
            out = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            timed_out = True
        started: int | None = None
        finished: set[int] = set()
        for line in out.splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "start" in msg:
                started = int(msg["start"])
            elif "done" in msg:
                finished.add(int(msg["done"]))
                if float(msg["s"]) > budget_s:
                    slow[todo[int(msg["done"])]] = (
                        f"took {float(msg['s']):.1f} s on {size // 1000} KB of adversarial input"
                    )
        if not timed_out:
            break
        # The pattern that was running when the child was killed is the slow one; go on with
        # the ones after it.
        hung = started if started is not None and started not in finished else 0
        slow[todo[hung]] = f"did not finish within {timeout:.0f} s on {size // 1000} KB of input"
        todo = todo[hung + 1 :]
    return slow
