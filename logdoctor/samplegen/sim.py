"""A simulated RuleManager service: a clock, a seeded Random, and the records it would log.

Scenarios drive it (start, reload the configuration, run for some hours with a given outcome
for each send); it hands every record to a sink as soon as it is made, so a benchmark log of
any size streams through without being held in memory.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from logdoctor.samplegen.failures import Ctx, Style, build_failure, sql_timeout_text
from logdoctor.samplegen.texts import (
    CONFIG_STYLES,
    Words,
    config_message,
    noise_message,
    preamble_message,
    start_messages,
    stop_messages,
    success_message,
)
from logdoctor.samplegen.truth import Entry, Kind, Settings

Sink = Callable[[Entry], None]
# Given the simulation, the failure kind for this send attempt, or None when it succeeds.
Outcome = Callable[["Sim"], str | None]


def always(kind: str) -> Outcome:
    return lambda sim: kind


def sometimes(kind: str, share: float) -> Outcome:
    return lambda sim: kind if sim.rng.random() < share else None


def mix(*kinds: str) -> Outcome:
    return lambda sim: sim.rng.choice(kinds)


class Sim:
    def __init__(
        self,
        seed: int,
        start: datetime,
        sink: Sink,
        *,
        style: Style | None = None,
        version: str = "3.2.4.1718",
        user: str = "sa",
        config_style: str | None = None,
        busy: float = 0.45,
    ) -> None:
        self.rng = random.Random(seed)
        self.words = Words(self.rng)
        self.now = start
        self.sink = sink
        self.style = style or Style()
        self.version = version
        self.user = user
        self.config_style = config_style
        self.busy = busy
        self.settings: Settings | None = None
        self.session = self.words.guid()
        self.threads = [str(n) for n in self.rng.sample(range(4, 40), 5)]
        self.email_logger = f"FChoice.RuleManager.Email.{self.style.email_class}"

    # --- low level ----------------------------------------------------------------------------

    def tick(self, seconds: float) -> None:
        ms = self.rng.randint(0, 999)
        self.now += timedelta(seconds=max(0.0, seconds), milliseconds=ms)

    def emit(
        self,
        level: str,
        logger: str,
        message: str,
        kind: Kind = "noise",
        *,
        settings: Settings | None = None,
        category: str | None = None,
        thread: str | None = None,
    ) -> None:
        self.sink(
            Entry(
                when=self.now,
                level=level,
                logger=logger,
                thread=thread or self.rng.choice(self.threads),
                user=self.user,
                session=self.session,
                message=message,
                kind=kind,
                settings=settings,
                category=category,
            )
        )

    def at(self, when: datetime) -> None:
        """Jump the clock forward (never back) to `when`."""
        if when > self.now:
            self.now = when.replace(microsecond=self.rng.randint(0, 999) * 1000)

    # --- service life -------------------------------------------------------------------------

    def start(self, settings: Settings, *, style: str | None = None) -> None:
        self.session = self.words.guid()
        for logger, message in start_messages(self.words, self.version):
            self.emit("INFO", logger, message, thread="1")
            self.tick(self.rng.uniform(0.05, 1.5))
        self.load_config(settings, style=style)

    def stop(self) -> None:
        for logger, message in stop_messages(self.words):
            self.emit("INFO", logger, message, thread="1")
            self.tick(self.rng.uniform(0.2, 3.0))

    def restart(
        self, settings: Settings, *, downtime_s: float = 20.0, style: str | None = None
    ) -> None:
        self.stop()
        self.tick(downtime_s)
        self.start(settings, style=style)

    def load_config(self, settings: Settings, *, style: str | None = None) -> None:
        chosen = style or self.config_style or self.rng.choice(CONFIG_STYLES)
        self.settings = settings
        self.emit(
            "INFO",
            self.email_logger,
            config_message(settings, chosen, self.words),
            "config",
            settings=settings,
        )
        self.tick(self.rng.uniform(0.01, 0.4))

    def reload(self, settings: Settings, *, style: str | None = None) -> None:
        """The config file was edited: log4net-style watchers reload without a restart."""
        self.emit(
            "INFO",
            "FChoice.RuleManager.WindowsService.RuleManagerService",
            "Configuration file change detected; reloading settings",
            thread="1",
        )
        self.tick(self.rng.uniform(0.1, 2.0))
        self.load_config(settings, style=style)

    # --- records ------------------------------------------------------------------------------

    def noise(self) -> None:
        level, logger, message = noise_message(self.words)
        self.emit(level, logger, message)

    def sql_error(self) -> None:
        ctx = Ctx(self.words, self.settings, self.style)
        self.emit("ERROR", "FChoice.Common.Data.SqlHelper", sql_timeout_text(ctx), "error")

    def send(self, kind: str | None) -> None:
        """One send attempt: sometimes a DEBUG line before it, then success or failure."""
        if self.rng.random() < 0.3:
            self.emit("DEBUG", self.email_logger, preamble_message(self.words, self.settings))
            self.tick(self.rng.uniform(0.05, 2.0))
        if kind is None:
            self.emit("INFO", self.email_logger, success_message(self.words, self.settings), "ok")
            return
        failure = build_failure(kind, Ctx(self.words, self.settings, self.style))
        self.emit(
            failure.level, self.email_logger, failure.message, "fail", category=failure.category
        )
        if kind in ("recipient_550", "sendas_5760") and self.rng.random() < 0.5:
            self.tick(self.rng.uniform(0.01, 0.3))
            self.emit(
                "INFO",
                "FChoice.RuleManager.TimeBombProcessor",
                f"Time bomb {self.words.time_bomb()} rescheduled to 1/1/2999: the error matches "
                "an entry of EmailNotDeliveredErrorMessageIndicators.config",
            )

    def _rates(self) -> tuple[float, float]:
        """(noise, sends) per hour at the current time: busy on weekday office hours."""
        hour = self.now.hour
        weekday = self.now.weekday() < 5
        if weekday and 8 <= hour < 18:
            return 14.0 * self.busy, 6.0 * self.busy
        if weekday and (7 <= hour < 8 or 18 <= hour < 20):
            return 6.0 * self.busy, 2.0 * self.busy
        return 2.0 * self.busy, 0.4 * self.busy

    def run(
        self, hours: float, outcome: Outcome | None = None, *, sql_error_share: float = 0.002
    ) -> None:
        """Advance `hours`, logging noise and send attempts as a Poisson stream."""
        end = self.now + timedelta(hours=hours)
        while True:
            noise_rate, send_rate = self._rates()
            total = noise_rate + send_rate
            gap = -math.log(1.0 - self.rng.random()) * 3600.0 / total
            if self.now + timedelta(seconds=gap) >= end:
                break
            self.tick(gap)
            if self.rng.random() < send_rate / total:
                self.send(outcome(self) if outcome else None)
            elif self.rng.random() < sql_error_share:
                self.sql_error()
            else:
                self.noise()
        self.now = end

    def until(self, when: datetime, outcome: Outcome | None = None) -> None:
        self.run(max(0.0, (when - self.now).total_seconds() / 3600.0), outcome)

    def burst(self, kind: str, count: int, *, spacing_s: tuple[float, float] = (2.0, 40.0)) -> None:
        """Several sends of the same kind close together (a retry loop, a batch)."""
        for _ in range(count):
            self.send(kind)
            self.tick(self.rng.uniform(*spacing_s))
