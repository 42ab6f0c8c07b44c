"""From log files to an `Analysis`: read, diagnose, group into incidents.

from logdoctor.analysis import analyze_paths
analysis = analyze_paths(["Rulemanager.log"])
for incident in analysis.incidents: ...
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from logdoctor.incidents import IncidentBuilder
from logdoctor.kb.loader import KnowledgeBase, load_kb
from logdoctor.model import SmtpSettings
from logdoctor.pipeline import LogReading, ProgressFn
from logdoctor.report_model import Analysis


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
) -> Analysis:
    builder = IncidentBuilder(kb, default_settings=default_settings, since=since, until=until)
    builder.feed_all(reading.events(progress))
    return Analysis(
        stats=reading.stats(),
        incidents=builder.incidents(),
        unrecognized=builder.unrecognized(),
        timeline=builder.timeline(),
        layout_notes=tuple(reading.layout_notes()),
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
