"""log4net conversion patterns, date formats, layout detection and the service config."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logdoctor.errors import LogdoctorError
from logdoctor.layout import (
    KNOWN_LAYOUTS,
    Conversion,
    Literal,
    choose_layout,
    date_format,
    detect_layout,
    find_service_pattern,
    layout_from_pattern,
    normalise_level,
    parse_pattern,
    pattern_from_service_config,
    sniff_timestamp,
)

STOCK_LINES = [
    "2026-11-27 10:15:02,123 [5] INFO  FChoice.RuleManager.Email.EmailService - "
    "SMTP server configuration loaded",
    "Host: localhost, Port: 25, Enable SSL: Yes, SSL Mode: OnConnect, Timeout: 10 seconds",
    "2026-11-27 10:15:12,456 [5] ERROR FChoice.RuleManager.Email.EmailService - "
    "Failed to send an email",
    "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
    "MailBee.MailBeeSocketTimeoutException: Socket connection has timed out",
    "   at MailBee.SmtpMail.Smtp.Send()",
]
SDK_HEAD = (
    "2004-11-15 14:21:31,469 [user: joe] [fcsessionid: 1636fbda-6bbf-463d-afcc-d24a8f113da6] "
    "[INFO ] [FChoice.Common.Data.SqlHelper]"
)
SDK_MSG = "Fill DataSet query (e592af81-14fb-48b3-ae19-0ae77b4ca457) took 0.0022 seconds."


# --- the pattern grammar ----------------------------------------------------------------------


def test_pattern_tokens_with_width_padding_and_options() -> None:
    tokens = parse_pattern("%-5level %.30logger{2} %d{HH:mm:ss} %X{user} 100%% %message%n")
    assert tokens == [
        Conversion("level", "level", left=True, min_width=5),
        Literal(" "),
        Conversion("logger", "logger", max_width=30, option="2"),
        Literal(" "),
        Conversion("date", "d", option="HH:mm:ss"),
        Literal(" "),
        Conversion("property", "X", option="user"),
        Literal(" 100% "),
        Conversion("message", "message"),
        Conversion("newline", "n"),
    ]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("d", "date"),
        ("date", "date"),
        ("utcdate", "utcdate"),
        ("t", "thread"),
        ("thread", "thread"),
        ("p", "level"),
        ("level", "level"),
        ("c", "logger"),
        ("logger", "logger"),
        ("m", "message"),
        ("message", "message"),
        ("n", "newline"),
        ("newline", "newline"),
        ("P", "property"),
        ("X", "property"),
        ("mdc", "property"),
        ("property", "property"),
        ("x", "ndc"),
        ("ndc", "ndc"),
        ("exception", "exception"),
        ("r", "timestamp"),
        ("a", "appdomain"),
        ("u", "identity"),
        ("w", "username"),
        ("l", "location"),
        ("F", "file"),
        ("L", "line"),
        ("M", "method"),
        ("C", "type"),
    ],
)
def test_converter_aliases(written: str, canonical: str) -> None:
    [tok] = parse_pattern("%" + written)
    assert isinstance(tok, Conversion) and tok.name == canonical


def test_case_matters_like_in_log4net() -> None:
    # %p is the level, %P a property; %c the logger, %C the type.
    names = [t.name for t in parse_pattern("%p%P%c%C") if isinstance(t, Conversion)]
    assert names == ["level", "property", "logger", "type"]


@pytest.mark.parametrize("bad", ["%d [%t] %-5p %c - %m%n%", "%"])
def test_lone_percent_is_reported(bad: str) -> None:
    with pytest.raises(LogdoctorError, match="lone '%'"):
        layout_from_pattern(bad)


def test_pattern_without_date_or_level_cannot_find_records() -> None:
    with pytest.raises(LogdoctorError, match="no %date, %level"):
        layout_from_pattern("%logger: %message%newline")


def test_known_pattern_keeps_its_name_and_escapes_are_understood() -> None:
    assert (
        layout_from_pattern(
            "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n\\t%m%n%n"
        ).name
        == "Dovetail SDK (tab)"
    )
    assert (
        layout_from_pattern(
            "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n&#9;%m%n%n"
        ).name
        == "Dovetail SDK (tab)"
    )
    custom = layout_from_pattern("%utcdate %level %message%newline")
    assert custom.name == "custom: %utcdate %level %message%newline"


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("", "2026-11-27 10:15:02,123", datetime(2026, 11, 27, 10, 15, 2, 123000)),
        ("ISO8601", "2026-11-27 10:15:02,123", datetime(2026, 11, 27, 10, 15, 2, 123000)),
        ("DATE", "27 Nov 2026 10:15:02,123", datetime(2026, 11, 27, 10, 15, 2, 123000)),
        (
            "yyyy-MM-dd HH:mm:ss.fff",
            "2026-11-27 10:15:02.007",
            datetime(2026, 11, 27, 10, 15, 2, 7000),
        ),
        ("dd/MM/yyyy HH:mm:ss", "27/11/2026 10:15:02", datetime(2026, 11, 27, 10, 15, 2)),
        ("MM/dd/yyyy hh:mm:ss tt", "11/27/2026 01:15:02 PM", datetime(2026, 11, 27, 13, 15, 2)),
        ("MM/dd/yyyy hh:mm:ss tt", "11/27/2026 12:05:00 AM", datetime(2026, 11, 27, 0, 5)),
        (
            "yyyy-MM-ddTHH:mm:ss.fffzzz",
            "2026-11-27T10:15:02.123+01:00",
            datetime(2026, 11, 27, 10, 15, 2, 123000),
        ),
        (
            "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
            "2026-11-27T10:15:02.5Z",
            datetime(2026, 11, 27, 10, 15, 2, 500000),
        ),
        ("d.M.yyyy H:mm:ss", "7.1.2026 9:05:00", datetime(2026, 1, 7, 9, 5)),
        ("dd-MMM-yy HH:mm", "27-Dez-26 10:15", datetime(2026, 12, 27, 10, 15)),
    ],
)
def test_date_formats_parse_what_log4net_writes(fmt: str, text: str, expected: datetime) -> None:
    df = date_format(fmt)
    assert df.parse(text) == expected


def test_absolute_has_no_date_and_takes_the_base_date() -> None:
    df = date_format("ABSOLUTE")
    assert not df.has_date
    assert df.parse("23:59:58,001", date(2026, 11, 27)) == datetime(2026, 11, 27, 23, 59, 58, 1000)


def test_impossible_date_is_none() -> None:
    assert date_format("ISO8601").parse("2026-02-30 10:00:00,000") is None


def test_sniff_timestamp_reads_common_formats_at_line_start_only() -> None:
    assert sniff_timestamp("2026-11-27 10:15:02,123 [5] INFO x") == datetime(
        2026, 11, 27, 10, 15, 2, 123000
    )
    assert sniff_timestamp("27 Nov 2026 10:15:02,123 INFO x") == datetime(
        2026, 11, 27, 10, 15, 2, 123000
    )
    assert sniff_timestamp("   at 2026-11-27 10:15:02,123") is None


def test_levels_are_normalised() -> None:
    assert [
        normalise_level(x) for x in ("INFO ", "Warning", "TRACE", "CRITICAL", "verbose", "nonsense")
    ] == ["INFO", "WARN", "DEBUG", "FATAL", "DEBUG", None]


# --- header matching and detection ----------------------------------------------------------


def test_stock_header_parses_fields() -> None:
    stock = KNOWN_LAYOUTS[0]
    m = stock.match(STOCK_LINES[2])
    assert m is not None
    h = stock.parse(m)
    assert (h.timestamp, h.level, h.thread, h.logger) == (
        datetime(2026, 11, 27, 10, 15, 12, 456000),
        "ERROR",
        "5",
        "FChoice.RuleManager.Email.EmailService",
    )
    assert STOCK_LINES[2][m.end() :] == "Failed to send an email"


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-27 10:15:12,456 retry scheduled",  # timestamp, no header structure
        "   at FChoice.RuleManager.Email.EmailService.Send() 2026-11-27 10:15:12,456",
        "535 5.7.8 2026-11-27 10:15:12,456 [5] ERROR x - y",
        "",
    ],
)
def test_timestamp_looking_text_is_not_a_header(line: str) -> None:
    for layout in KNOWN_LAYOUTS:
        assert layout.match(line) is None


def test_detects_stock() -> None:
    assert detect_layout(STOCK_LINES).name == "log4net stock"


@pytest.mark.parametrize(
    ("indent", "name"), [("\t", "Dovetail SDK (tab)"), ("  ", "Dovetail SDK (2 spaces)")]
)
def test_detects_sdk_variants_from_the_documented_example(indent: str, name: str) -> None:
    lines = [SDK_HEAD, indent + SDK_MSG, "", ""] * 3
    layout = detect_layout(lines)
    assert layout.name == name
    m = layout.match(SDK_HEAD)
    assert m is not None
    h = layout.parse(m)
    assert h.level == "INFO" and h.logger == "FChoice.Common.Data.SqlHelper"
    assert dict(h.fields)["user"] == "joe"


def test_detects_stock_with_ndc_from_the_log4net_manual() -> None:
    line = "2026-11-27 10:15:02,123 [12] WARN  FChoice.RuleManager.TimeBombs [(null)] - slow"
    assert detect_layout([line]).name == "log4net stock with NDC"


def test_nothing_known_gives_generic_and_picks_day_first_when_days_say_so() -> None:
    lines = ["27/11/2026 10:15:02 ERROR Failed to send an email", "28/11/2026 08:00:00 INFO ok"]
    layout = detect_layout(lines)
    assert layout.name == "generic timestamp"
    m = layout.match(lines[0])
    assert m is not None and layout.parse(m).timestamp == datetime(2026, 11, 27, 10, 15, 2)


def test_custom_pattern_with_right_aligned_level_and_literal_start() -> None:
    layout = layout_from_pattern("[%d{HH:mm:ss}] %5p %c{1}: %m%n")
    line = "[10:15:02]  WARN EmailService: slow SMTP reply"
    m = layout.match(line)
    assert m is not None and layout.parse(m, date(2026, 11, 27)).level == "WARN"
    assert line[m.end() :] == "slow SMTP reply"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_pattern_text_is_read_or_refused_cleanly(pattern: str) -> None:
    try:
        layout = layout_from_pattern(pattern)
    except LogdoctorError:
        return
    layout.match("2026-11-27 10:15:02,123 [5] INFO  X - y")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_header_matchers_never_crash_on_hostile_lines(line: str) -> None:
    for layout in KNOWN_LAYOUTS:
        m = layout.match(line)
        if m is not None:
            layout.parse(m)


def test_header_matching_stays_fast_on_long_adversarial_lines() -> None:
    evil = [
        "2026-11-27 10:15:02,123 [" + "[" * 200_000,
        "2026-11-27 10:15:02,123 [5] INFO  " + "a" * 200_000,
        "2026-11-27 10:15:02,123 " + "INFOx " * 40_000,
        "2026-11-27 10:15:02,123 [user: " + "] [" * 60_000,
    ]
    start = time.perf_counter()
    for line in evil:
        for layout in KNOWN_LAYOUTS:
            layout.match(line)
        detect_layout([line])
    assert time.perf_counter() - start < 1.0


# --- the service's exe.config -------------------------------------------------------------------

CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <configSections>
    <section name="log4net" type="log4net.Config.Log4NetConfigurationSectionHandler, log4net" />
  </configSections>
  <appSettings>
    <add key="fchoice.dbtype" value="MSSQL" />
    <add key="EmailServiceConfig.Port" value="587" />
    {extra}
  </appSettings>
  <log4net>
    <appender name="Console" type="log4net.Appender.ConsoleAppender">
      <layout type="log4net.Layout.PatternLayout">
        <conversionPattern value="%message%newline" />
      </layout>
    </appender>
    <appender name="RollingFile" type="log4net.Appender.RollingFileAppender">
      <file value="logs\\Rulemanager.log" />
      <rollingStyle value="Size" />
      <layout type="log4net.Layout.PatternLayout">
        <param name="ConversionPattern"
               value="%d [user: %X{{user}}] [fcsessionid: %X{{session}}] [%-5p] [%c]%n&#9;%m%n%n" />
      </layout>
    </appender>
    <root><level value="ALL" /></root>
  </log4net>
</configuration>
"""


def test_service_config_prefers_the_rulemanager_log_appender(tmp_path: Path) -> None:
    cfg = tmp_path / "FChoice.RuleManager.WindowsService.exe.config"
    cfg.write_text(CONFIG.format(extra=""), encoding="utf-8")
    pattern = pattern_from_service_config(cfg)
    assert pattern == "%d [user: %X{user}] [fcsessionid: %X{session}] [%-5p] [%c]%n\t%m%n%n"
    assert layout_from_pattern(pattern or "").name == "Dovetail SDK (tab)"
    assert find_service_pattern(cfg).appender == "RollingFile"


def test_service_config_follows_fchoice_logconfigfile(tmp_path: Path) -> None:
    cfg = tmp_path / "FChoice.RuleManager.WindowsService.exe.config"
    extra = (
        '<add key="fchoice.logconfigfile" value="C:\\Program Files\\Dovetail Software\\'
        'RuleManager\\logging.config" />'
    )
    cfg.write_text(CONFIG.format(extra=extra), encoding="utf-8")
    (tmp_path / "logging.config").write_text(
        '<log4net><appender name="F" type="log4net.Appender.RollingFileAppender">'
        '<file value="C:\\logs\\Rulemanager.log" />'
        '<layout type="log4net.Layout.PatternLayout">'
        "<conversionPattern>%date [%thread] %-5level %logger - %message%newline"
        "</conversionPattern></layout></appender></log4net>",
        encoding="utf-8",
    )
    found = find_service_pattern(cfg)
    assert found.pattern == "%date [%thread] %-5level %logger - %message%newline"
    assert found.origin.endswith("logging.config")


def test_missing_external_log_config_falls_back_with_a_note(tmp_path: Path) -> None:
    cfg = tmp_path / "app.config"
    cfg.write_text(
        CONFIG.format(extra='<add key="fchoice.logconfigfile" value="gone.config"/>'),
        encoding="utf-8",
    )
    found = find_service_pattern(cfg)
    assert found.pattern is not None and "%X{session}" in found.pattern
    assert any("gone.config" in n for n in found.notes)


def test_config_without_log4net_has_no_pattern(tmp_path: Path) -> None:
    cfg = tmp_path / "app.config"
    cfg.write_text(
        '<configuration><appSettings><add key="a" value="b"/></appSettings></configuration>',
        encoding="utf-8",
    )
    assert pattern_from_service_config(cfg) is None


def test_broken_xml_is_one_line_error(tmp_path: Path) -> None:
    cfg = tmp_path / "app.config"
    cfg.write_text("<configuration><log4net>", encoding="utf-8")
    with pytest.raises(LogdoctorError, match="not valid XML") as info:
        pattern_from_service_config(cfg)
    assert str(cfg) in str(info.value)


def test_empty_message_with_trimmed_trailing_space_is_still_a_header() -> None:
    stock = KNOWN_LAYOUTS[0]
    assert stock.match("2026-11-27 10:15:02,123 [5] INFO  FChoice.RuleManager.Email -") is not None
    assert stock.match("2026-11-27 10:15:02,123 [5] INFO  FChoice.RuleManager.Email -x") is None


def test_choose_layout_prefers_layout_option_then_service_config(tmp_path: Path) -> None:
    cfg = tmp_path / "FChoice.RuleManager.WindowsService.exe.config"
    cfg.write_text(CONFIG.format(extra=""), encoding="utf-8")
    layout, note = choose_layout("%date [%thread] %-5level %logger - %message%newline", cfg)
    assert layout is not None and layout.name == "log4net stock" and "--layout" in note
    layout, note = choose_layout(None, cfg)
    assert layout is not None and layout.name == "Dovetail SDK (tab)"
    assert "RollingFile" in note
    empty = tmp_path / "empty.config"
    empty.write_text("<configuration/>", encoding="utf-8")
    layout, note = choose_layout(None, empty)
    assert layout is None and "detecting" in note
