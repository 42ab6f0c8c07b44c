"""Reading EmailServiceConfig.* from exe.config files and pasted snippets."""

from __future__ import annotations

from pathlib import Path

import pytest

from logdoctor.errors import LogdoctorError
from logdoctor.serviceconfig import read_app_settings, settings_from_app_settings

# As the Dovetail KB page renders it: spaces inside the tag, line breaks between the attributes.
ARTICLE_GMAIL = "\n".join(
    [
        "    <",
        "  ",
        "   add key=",
        '   "EmailServiceConfig.Host" ',
        "   ",
        "    value=",
        '    "smtp.gmail.com" />',
        "    ",
        '    < add key= "EmailServiceConfig.EnableSsl"  value= "true" />',
        '    < add key= "EmailServiceConfig.Port"  value= "465" />',
        '    < add key= "EmailServiceConfig.SmtpSslMode"  value= "OnConnect" />',
        '    < add key= "EmailServiceConfig.DefaultFromEmailAddress"'
        '  value= "support@mycompany.com" />',
        '    < add key= "EmailServiceConfig.UserName"  value= "support@mycompany.com" />',
        '    < add key= "EmailServiceConfig.Password"  value= "myPassword" />',
    ]
)

EXE_CONFIG = """\
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <configSections>
    <section name="log4net" type="log4net.Config.Log4NetConfigurationSectionHandler, log4net"/>
  </configSections>
  <fchoice>
    <add key="EmailServiceConfig.Port" value="2525"/>
  </fchoice>
  <appSettings>
    <add key="fchoice.dbtype" value="MSSQL"/>
    <add key="fchoice.connectionstring"
         value="Data Source=db01;Initial Catalog=clarify;User Id=sa;Password=x&amp;y"/>
    <add key="EmailServiceConfig.Host" value="smtp.office365.com"/>
    <!-- <add key="EmailServiceConfig.Port" value="465"/> -->
    <add key="EmailServiceConfig.Port" value="25"/>
    <add key="emailserviceconfig.port" value="587"/>
    <add key='EmailServiceConfig.EnableSsl' value='True'/>
    <add key="EmailServiceConfig.SmtpSslMode" value="UseStartTls"/>
    <add key="EmailServiceConfig.Timeout" value="100"/>
  </appSettings>
  <connectionStrings>
    <add name="x" connectionString="y"/>
  </connectionStrings>
  <log4net>
    <appender name="RollingFile" type="log4net.Appender.RollingFileAppender">
      <file value="Rulemanager.log"/>
      <layout type="log4net.Layout.PatternLayout">
        <conversionPattern value="%date [%thread] %-5level %logger - %message%newline"/>
      </layout>
    </appender>
  </log4net>
</configuration>
"""


def test_article_snippet_with_mangled_tags() -> None:
    d = read_app_settings(ARTICLE_GMAIL)
    s = settings_from_app_settings(d)
    assert (s.host, s.port, s.enable_ssl, s.ssl_mode, s.ssl_mode_known) == (
        "smtp.gmail.com",
        465,
        True,
        "OnConnect",
        True,
    )
    extra = dict(s.extra)
    assert extra["user"] == "support@mycompany.com"
    assert extra["password"] == "***"
    assert "myPassword" not in repr(s)


def test_full_exe_config_reads_only_app_settings_and_skips_comments(tmp_path: Path) -> None:
    path = tmp_path / "FChoice.RuleManager.WindowsService.exe.config"
    path.write_text(EXE_CONFIG, encoding="utf-8")
    d = read_app_settings(path)
    assert d["fchoice.connectionstring"].endswith("Password=x&y")
    s = settings_from_app_settings(d)
    # Later keys win and keys compare case-insensitively, as in .NET; the commented-out 465
    # and the <fchoice> section's 2525 do not count.
    assert s.port == 587
    assert s.host == "smtp.office365.com"
    assert s.enable_ssl is True and s.ssl_mode == "UseStartTls" and s.timeout_s == 100.0


def test_external_app_settings_file_and_remove_clear(tmp_path: Path) -> None:
    (tmp_path / "site.config").write_text(
        '<appSettings>\n  <add key="EmailServiceConfig.Port" value="465"/>\n</appSettings>\n',
        encoding="utf-8",
    )
    main = tmp_path / "svc.exe.config"
    main.write_text(
        '<configuration><appSettings file="site.config">\n'
        '<add key="EmailServiceConfig.Port" value="25"/>\n'
        '<add key="EmailServiceConfig.Host" value="mail.corp.local"/>\n'
        '<add key="EmailServiceConfig.EnableSsl" value="false"/>\n'
        '<remove key="EmailServiceConfig.EnableSsl"/>\n'
        "</appSettings></configuration>\n",
        encoding="utf-8",
    )
    s = settings_from_app_settings(read_app_settings(main))
    assert s.port == 465 and s.host == "mail.corp.local" and s.enable_ssl is None
    cleared = read_app_settings(
        '<add key="EmailServiceConfig.Port" value="25"/>\n<clear/>\n'
        '<add key="EmailServiceConfig.Host" value="h"/>'
    )
    assert cleared == {"EmailServiceConfig.Host": "h"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_windows_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "x.config"
    text = (
        '<add key="EmailServiceConfig.Host" value="smtp.société.fr"/>\r\n'
        '<add key="EmailServiceConfig.Port" value="587"/>\r\n'
    )
    path.write_bytes(text.encode(encoding))
    s = settings_from_app_settings(read_app_settings(path))
    assert s.host == "smtp.société.fr" and s.port == 587


def test_carrier_spelling_is_kept_and_marked_unknown() -> None:
    s = settings_from_app_settings(
        read_app_settings('<add key="EmailServiceConfig.SmtpSslMode" value="StartTls"/>')
    )
    assert s.ssl_mode == "StartTls" and s.ssl_mode_known is False
    numeric = settings_from_app_settings({"EmailServiceConfig.SmtpSslMode": "2"})
    assert numeric.ssl_mode == "UseStartTls" and numeric.ssl_mode_known


def test_absent_keys_stay_unknown() -> None:
    s = settings_from_app_settings({"EmailServiceConfig.Port": "587"})
    assert (s.host, s.enable_ssl, s.ssl_mode, s.timeout_s) == (None, None, None, None)


def test_hostile_text_does_not_hang_or_crash() -> None:
    junk = "<" * 200_000 + "< add key=" * 20_000 + "'" * 10_000
    assert read_app_settings(junk) == {}


def test_unreadable_path_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(LogdoctorError) as info:
        read_app_settings(tmp_path / "missing.config")
    assert "missing.config" in str(info.value)
    with pytest.raises(LogdoctorError):
        read_app_settings(tmp_path)
