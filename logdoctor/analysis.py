"""From log files to an `Analysis`: read, diagnose, group into incidents.

from logdoctor.analysis import analyze_paths
analysis = analyze_paths(["Rulemanager.log"])
for incident in analysis.incidents: ...
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from logdoctor.hourly import HourlyCounts
from logdoctor.incidents import IncidentBuilder
from logdoctor.kb.loader import KnowledgeBase, load_kb
from logdoctor.model import SmtpSettings
from logdoctor.pipeline import LogReading, ProgressFn
from logdoctor.report_model import Analysis, Incident, TimelinePoint, Unrecognized
from logdoctor.spill import IncidentSpill


def service_settings(service_config: str | Path | None) -> SmtpSettings | None:
    """The EmailServiceConfig.* settings of the service's exe.config, when it has any."""
    if service_config is None:
        return None
    from logdoctor.serviceconfig import read_app_settings, settings_from_app_settings

    settings = settings_from_app_settings(read_app_settings(Path(service_config)))
    known = (settings.host, settings.port, settings.enable_ssl, settings.ssl_mode)
    return settings if any(v is not None for v in known) else None


def analyze_reading(
    reading: LogReading,
    kb: KnowledgeBase,
    *,
    default_settings: SmtpSettings | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: ProgressFn | None = None,
    spill: bool = False,
) -> Analysis:
    """The analysis of what `reading` reads.  With `spill`, finished incidents wait in a
    temporary file instead of memory (`logdoctor.spill`); the result is the same."""
    # One builder per rotated set: two unrelated logs read together must not resolve each
    # other's incidents (a success in one says nothing about the other), as in `batch`.
    builders: dict[tuple[str, str, str], IncidentBuilder] = {}
    spilled = IncidentSpill() if spill else None
    for event in reading.events(progress, light=True):
        key = reading.set_of(event.path)
        builder = builders.get(key)
        if builder is None:
            builder = IncidentBuilder(
                kb, default_settings=default_settings, since=since, until=until
            )
            if spilled is not None:
                builder.spill_to(spilled, len(builders))
            builders[key] = builder
        builder.feed(event)
    parts = list(builders.values())
    incidents: Sequence[Incident]
    if spilled is not None:
        for part in parts:
            part.flush()
        incidents = spilled.incidents()
    else:
        incidents = tuple(
            sorted(
                (i for b in parts for i in b.incidents()),
                key=lambda i: (
                    i.first_seen or datetime.min,
                    i.evidence[0].line if i.evidence else 0,
                ),
            )
        )
    return Analysis(
        stats=reading.stats(),
        incidents=incidents,
        unrecognized=merge_unrecognized([u for b in parts for u in b.unrecognized()]),
        timeline=timeline_of(parts),
        layout_notes=tuple(reading.layout_notes()),
    )


def merge_unrecognized(groups: Sequence[Unrecognized]) -> tuple[Unrecognized, ...]:
    """The same fingerprint seen in several sets is one group: counts add up."""
    merged: dict[str, Unrecognized] = {}
    for group in groups:
        seen = merged.get(group.fingerprint)
        if seen is None:
            merged[group.fingerprint] = group
            continue
        firsts = [t for t in (seen.first_seen, group.first_seen) if t is not None]
        lasts = [t for t in (seen.last_seen, group.last_seen) if t is not None]
        merged[group.fingerprint] = replace(
            seen,
            count=seen.count + group.count,
            first_seen=min(firsts) if firsts else None,
            last_seen=max(lasts) if lasts else None,
            evidence=(*seen.evidence, *group.evidence),
        )
    return tuple(sorted(merged.values(), key=lambda g: -g.count))


def timeline_of(builders: Sequence[IncidentBuilder]) -> Sequence[TimelinePoint]:
    """The builders' timelines merged: kept packed unless a failure's time had a zone."""
    hourly = [b.hourly() for b in builders]
    packed = [h for h in hourly if h is not None]
    if len(packed) == len(hourly):
        return HourlyCounts(packed)
    return merge_timeline([t for b in builders for t in b.timeline()])


def merge_timeline(points: Sequence[TimelinePoint]) -> tuple[TimelinePoint, ...]:
    counts: Counter[tuple[datetime, str]] = Counter()
    for point in points:
        counts[(point.hour, point.category)] += point.count
    return tuple(
        TimelinePoint(hour=hour, category=category, count=count)
        for (hour, category), count in sorted(counts.items())
    )


def analyze_paths(
    paths: Sequence[str | Path],
    *,
    kb: KnowledgeBase | None = None,
    layout: str | None = None,
    service_config: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Analysis:
    reading = LogReading(paths, layout=layout, service_config=service_config)
    return analyze_reading(
        reading,
        kb or load_kb(),
        default_settings=service_settings(service_config),
        since=since,
        until=until,
    )
