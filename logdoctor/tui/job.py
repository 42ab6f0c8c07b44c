"""The analysis behind `logdoctor tui PATH...`, run in a child process.

A CPU-bound analysis in a thread of the UI's own process competes with the UI for the GIL: on a
1 GB log, keys took seconds to answer.  In a child process the UI thread only waits on a pipe.
Everything crossing the pipe is plain picklable data (frozen dataclasses), and the child's entry
point is a module-level function, as Windows' spawn start method requires.

The child is not daemonic, so it may start workers for a big file as `analyze` does.  To cancel,
the UI sets an event that the child sees at its next progress report: it stops, shuts its
workers down and exits.  Killing it instead would leave its workers behind.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType

from logdoctor.errors import LogdoctorError
from logdoctor.pipeline import ProgressFn
from logdoctor.report_model import Analysis

# Progress messages from the child at most this often: the pipe is not a firehose.
PROGRESS_EVERY_S = 0.1
POLL_S = 0.1
# How long a cancelled child may take to stop its workers before it is killed.
STOP_WAIT_S = 10.0


class _Stopped(Exception):
    """The UI asked the child to stop."""


@dataclass(frozen=True, slots=True)
class AnalysisJob:
    """What `analyze` needs, as data that can cross a process boundary."""

    paths: tuple[str, ...]
    layout: str | None = None
    service_config: str | None = None
    rules_dirs: tuple[str, ...] = ()
    rules_only: bool = False
    since: datetime | None = None
    until: datetime | None = None
    redact: bool = True

    def run(self, progress: ProgressFn | None = None) -> Analysis:
        """The analysis, in this process."""
        from logdoctor.analysis import analyze_reading, service_settings
        from logdoctor.kb.loader import load_kb
        from logdoctor.pipeline import LogReading

        kb = load_kb(list(self.rules_dirs), replace=self.rules_only)
        reading = LogReading(self.paths, layout=self.layout, service_config=self.service_config)
        analysis = analyze_reading(
            reading,
            kb,
            default_settings=service_settings(self.service_config),
            since=self.since,
            until=self.until,
            progress=progress,
        )
        if not self.redact:
            return analysis
        from logdoctor.redact import redact_analysis

        return redact_analysis(analysis)


def _child(job: AnalysisJob, conn: Connection, stop: EventType) -> None:
    """Entry point of the child process: progress messages, then the result or an error."""
    # The terminal belongs to the UI: a stray warning from the child must not scribble on it.
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if stop.is_set():
            raise _Stopped  # the reading's `finally` shuts the workers down
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            conn.send(("progress", done, total))

    try:
        analysis = job.run(progress)
    except _Stopped:
        return
    except LogdoctorError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:  # reported in the UI as one line, never a traceback on the screen
        conn.send(("error", f"analysis failed: {type(exc).__name__}: {exc}"))
    else:
        conn.send(("result", analysis))
    finally:
        conn.close()


def run_in_process(job: AnalysisJob, progress: ProgressFn) -> Analysis:
    """Run `job` in a child process, relaying its progress; an exception from `progress`
    (the UI's cancel) stops the child."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    # Textual swaps sys.stderr for a capture object without a real file descriptor, which the
    # POSIX resource tracker that spawn starts (for the event's semaphore, or the process)
    # cannot hand on; give it the real one meanwhile.
    saved = sys.stderr
    if sys.__stderr__ is not None:
        sys.stderr = sys.__stderr__
    try:
        stop = context.Event()
        process = context.Process(target=_child, args=(job, child, stop), daemon=False)
        process.start()
    finally:
        sys.stderr = saved
    child.close()
    try:
        while True:
            progress(-1, -1)  # lets the caller cancel even while the child is quiet
            if not parent.poll(POLL_S):
                if not process.is_alive() and not parent.poll(0):
                    raise LogdoctorError(
                        f"the analysis stopped unexpectedly (exit code {process.exitcode})"
                    )
                continue
            try:
                message = parent.recv()
            except EOFError:
                raise LogdoctorError(
                    f"the analysis stopped unexpectedly (exit code {process.exitcode})"
                ) from None
            kind = message[0]
            if kind == "progress":
                progress(message[1], message[2])
            elif kind == "error":
                raise LogdoctorError(message[1])
            else:
                result = message[1]
                assert isinstance(result, Analysis)
                return result
    finally:
        if process.is_alive():
            stop.set()
            process.join(timeout=STOP_WAIT_S)
        parent.close()
        if process.is_alive():
            process.terminate()
        process.join(timeout=5)
