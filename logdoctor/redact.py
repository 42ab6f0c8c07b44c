"""Redaction of secrets and personal data in reports.

Diagnosis runs on the original text; redaction is the last step before a report is written, so
that a password in a log can still explain an incident without ever being shown.  Within one
report the same value always gets the same stand-in, so a reader can still follow "the address
that was refused" from one incident to the next:

- e-mail addresses become ``address1@domain1.invalid``: still an address to the eye, numbered
  by first appearance, with the domain numbered on its own so that a reader can tell "the same
  domain as the sender" (what send-as and relay cases turn on) without seeing it.  ``.invalid``
  is reserved (RFC 2606), so a stand-in can never reach a real mailbox;
- user names become ``<user-1>``, ``<user-2>`` ... (``CORP\\<user-1>`` keeps the domain);
- passwords, secrets and tokens become ``<secret>``: never their length, never a part of them.

Kept on purpose, because a diagnosis reader needs them: SMTP codes, host names, ports, IPs,
GUIDs (request ids), exception types, AADSTS codes and file paths (except the user name in a
home directory such as ``C:\\Users\\joe\\``).

Log text is hostile input: every pattern is anchored on a literal or a boundary and every
repeat is bounded or possessive, so that work stays linear in the input and a 1 MB line cannot
stall a run.  `Redactor.text` repeats its passes until nothing changes (at most a few times),
so redacting redacted text changes nothing.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

from logdoctor.model import ReadStats, SmtpSettings
from logdoctor.report_model import Analysis, Evidence, Incident, Unrecognized

__all__ = [
    "SECRET",
    "Redactor",
    "ValueKind",
    "kind_of",
    "redact_analysis",
    "redact_jsonable",
    "redact_settings",
]

ValueKind = Literal["email", "user", "secret", "text"]

SECRET = "<secret>"

_STANDIN_EMAIL = re.compile(r"address\d+@domain\d+\.invalid", re.IGNORECASE)
_STANDIN_USER = re.compile(r"<user-\d+>")
# Values that name nobody: log4net prints `(null)` for an empty MDC field.
_NOT_A_USER = frozenset({"", "-", "null", "(null)", "none", "n/a", "unknown", "anonymous"})
# Service identities of Windows itself, not people.
_WELL_KNOWN_DOMAINS = frozenset({"authority", "service", "apppool"})
_WELL_KNOWN_USERS = frozenset({"system", "localsystem", "local", "network", "iusr"})
_SHARED_HOME_DIRS = frozenset({"public", "default", "default user", "all users"})
_FILE_SUFFIX = re.compile(
    r"\.(?:log|config|exe|dll|cs|vb|txt|xml|gz|zip|json|ya?ml|md|html?|pdb|bat|ps1|\d+)$",
    re.IGNORECASE,
)

# --- secrets -----------------------------------------------------------------------------------

# Credentials in URLs: scheme://user:password@host or scheme://user@host.
_URL_CREDENTIALS = re.compile(
    r"(?=[A-Za-z])(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]{1,15}://)"
    r"(?P<user>[^\s:/@<>\"']{1,128})(?::(?P<password>[^\s/@<>\"']{0,256}))?@",
)

# `<add key="EmailServiceConfig.Password" value="..." />`: the key names what the value is.
_XML_SETTING = re.compile(
    r"(?=[Kk])\bkey\s{0,4}=\s{0,4}(?P<q1>[\"'])(?P<name>[^\"'<>\r\n]{1,160})(?P=q1)"
    r"\s{1,20}value\s{0,4}=\s{0,4}(?P<q2>[\"'])(?P<value>[^\"'\r\n]{0,4096})(?P=q2)",
    re.IGNORECASE,
)

# A quoted value, or a bare one up to white space, `;`, a quote or markup.  `&` ends a bare value
# only where a URL query goes on (`&x=`): passwords may contain it.
_VALUE = (
    r"(?:(?P<q>[\"'])(?P<qv>[^\"'\r\n]{1,2048})(?P=q)"
    r"|(?P<bare>(?:[^\s;\"'<>&]|&(?![\w.-]{1,40}=)){1,2048}))"
)
_SEP = r"[\"']?[ \t]{0,4}(?::|=)[ \t]{0,4}"

# Key words that name a secret anywhere in a key (`EmailServiceConfig.Password`,
# `MsGraph.ClientSecret`, `access_token`); short ones only as whole words (`pwd`, `pass`).
_SECRET_KEY = re.compile(
    r"(?=[PpSsAaTtKk])(?P<key>(?i:(?:password|passwd|passphrase|secret|api[_-]?key|access[_-]?key"
    r"|account[_-]?key|private[_-]?key|token)[\w.-]{0,24}"
    r"|(?<![A-Za-z])(?:pwd|pass|sig|pw|key)(?![\w.-])))" + _SEP + _VALUE
)
# Keys that contain a secret's name but hold no secret.
_SECRET_KEY_NOT = (
    "exception",
    "error",
    "expired",
    "expiry",
    "expires",
    "length",
    "policy",
    "type",
)

# `Authorization: Bearer eyJ...`, `Authorization: Basic am9lOmh1bnRlcjI=`, bare `Bearer ...`.
# The scheme is possessive so that a second pass cannot take `Bearer` itself for the value.
_AUTHORIZATION = re.compile(
    r"(?=[PpAaBb])(?P<key>(?i:\b(?:proxy-)?authorization)[\"']?[ \t]{0,4}[:=][ \t]{0,4}"
    r"(?:(?i:bearer|basic|digest|negotiate|ntlm|sharedkey|sas)[ \t]{1,4})?+)"
    r"(?P<value>[^\s\"'<>,;]{1,4096})"
    r"|(?P<scheme>(?i:\bbearer)[ \t]{1,4})(?P<token>[A-Za-z0-9._~+/=-]{8,4096})"
)
_JWT = re.compile(
    r"eyJ(?<![\w-]eyJ)[A-Za-z0-9_-]{4,4096}\.[A-Za-z0-9_-]{4,4096}\.[A-Za-z0-9_-]{0,4096}"
)
# Microsoft Entra client secrets (`abc8Q~...`) and Google API keys have shapes of their own.
_KNOWN_TOKEN = re.compile(
    r"(?=[\w.-])(?<![\w~.-])(?:[\w.-]{3}\dQ~[\w~.-]{31,34}|AIza[0-9A-Za-z_-]{35})(?![\w~.-])"
)
# A long token written after a secret's name without `:` or `=` ("client secret 8Q~...").
_LOOSE_TOKEN = re.compile(
    r"(?=[SsTtAaPp])(?P<key>(?i:\b(?:secret|token|api[_-]?key|password))[ \t]{1,4})"
    r"(?P<value>[A-Za-z0-9+/_~.-]{16,4096}={0,2})(?![\w~+/=-])"
)

# A secret written after its name with only spaces between, as prose puts it ("with password
# 'AuthPw5555'", "using pwd Secr3tWord9"): a quoted value, or a bare one that looks like a
# password (a digit or a symbol in it), so that "Password not accepted" keeps its words.
_SPACED_SECRET = re.compile(
    r"(?=[PpSs])(?P<key>(?<![A-Za-z])(?i:password|passwd|passphrase|pwd|secret)"
    r"(?:[ \t]{1,4}(?i:is|was))?[ \t]{1,4})"
    r"(?:(?P<q>[\"'])(?P<qv>[^\"'\r\n]{1,256})(?P=q)"
    r"|(?P<bare>(?=[^\s;,\"'<>()\[\]]{0,256}[\d!@#$%^&*+=?~])[^\s;,\"'<>()\[\]]{4,256}))"
)

# SMTP AUTH transcripts (MailBee and System.Net.Mail traces).
_MECHANISM = r"(?i:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5|NTLM|GSSAPI)"
_AUTH_INLINE = re.compile(
    r"(?P<key>(?i:\bAUTH)[ \t]{1,4}" + _MECHANISM + r"[ \t]{1,4})"
    r"(?P<value>[A-Za-z0-9+/=._~-]{2,8192})"
)
_AUTH_START = re.compile(r"(?i:\bAUTH)[ \t]{1,4}" + _MECHANISM + r"[ \t]*\r?\n?$")
_CHALLENGE = re.compile(
    r"(?=3)(?P<key>(?<![\w.])334[ -])(?P<value>[A-Za-z0-9+/]{2,8192}={0,2})(?P<end>[ \t]*\r?\n?)$"
)
_ANSWER = re.compile(
    r"(?P<key>(?<![A-Za-z0-9+/=]))(?P<value>[A-Za-z0-9+/]{4,8192}={0,2})(?P<end>[ \t]*\r?\n?)$"
)
# What may stand before a challenge or an answer on a transcript line: times, brackets and a
# direction marker (`[10:15:02.11] [SEND] `, `C: `, `>> `), nothing that reads as prose.
_TRANSCRIPT_PREFIX = re.compile(
    r"[\s\[\]()\d:.,/<>|#-]{0,60}"
    r"(?:(?i:C|S|SEND|SENT|RECV|RCVD|RECEIVED|CLIENT|SERVER|OUT|IN|REQ|RESP|SMTP)"
    r"(?![A-Za-z])[\s\[\]()\d:.,/<>|#-]{0,60}){0,3}"
)
_REPLY = re.compile(r"(?<!\d)[2-5]\d\d[ -]")
_SMTP_VERBS = frozenset({"QUIT", "RSET", "NOOP", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "AUTH"})
_TRANSCRIPT_WINDOW = 4
_TRANSCRIPT_TRIGGER = re.compile(r"334|(?i:auth)")
_MAX_TRANSCRIPT_LINE = 8192
_SECRET_WORDS = ("pass", "secret", "key", "token", "pw", "sig")
_USER_WORDS = ("user", "uid", "log", "account", "upn", "display", "mailbox")
_HOME_WORDS = ("users", "home", "documents and settings")

# --- user names --------------------------------------------------------------------------------

_USER_VALUE = (
    r"(?:(?P<q>[\"'])(?P<qv>[^\"'\r\n<>]{1,256})(?P=q)"
    r"|(?P<bare>[^\s;,\"'<>()\[\]]{1,256}))"
)
_USER_KEY = re.compile(
    r"(?=[UuLlAaSsDd])(?P<key>(?:(?<![A-Za-z])(?i:user[ _-]?name|user[ _-]?id|user|uid"
    r"|login[ _-]?name|login|logon[ _-]?name|logon|account[ _-]?name|sam[_-]?account[_-]?name|upn"
    r"|display[ _-]?name)"
    r"|(?<=[a-z])(?:User(?:[ _-]?(?i:name|id))?|Login(?:[ _-]?(?i:name))?|Account[ _-]?(?i:name)"
    r"|DisplayName)))" + _SEP + _USER_VALUE
)
_FOR_USER = re.compile(
    r"(?=[UuAaLlMm])(?P<key>(?<![A-Za-z])(?i:user|account|login|mailbox)[ \t]{1,4})"
    r"(?P<q>[\"'])(?P<qv>[^\"'\r\n<>]{1,256})(?P=q)(?P<bare>)"
)
# An account name after "user"/"login" with only a space between ("user dave.unknown",
# "login svc_rulemgr2"): only names with a dot, underscore, dollar, dash or digit in them, so
# that "User unknown" (550 5.1.1) and "login attempts" keep their words.
_SPACED_USER = re.compile(
    r"(?=[UuLl])(?P<key>(?<![A-Za-z])(?i:user|user[ _-]?name|login|logon)[ \t]{1,4})"
    r"(?:(?P<q>(?!))(?P<qv>(?!)))?"  # no quoted form here: _FOR_USER takes those
    r"(?P<bare>(?=[\w.$-]{0,64}[\d._$-])[A-Za-z_][\w.$-]{1,63})(?![\w.$@-])"
)
# `CORP\svc-rulemanager`; also written with doubled backslashes in escaped text.  Both parts must
# be two characters or more, which keeps regex escapes (`\d`, `\s+`) quoted in reasons intact.
_DOMAIN_USER = re.compile(
    r"(?=[A-Za-z])(?<![\w\\/.:$%-])(?P<dom>[A-Za-z][\w-]{1,14})(?P<sep>\\{1,2})"
    r"(?P<user>[A-Za-z0-9_][\w.$-]{1,63})(?![\w\\/$-])"
)
_HOME_DIR = re.compile(
    r"(?=[UuHhDd])(?P<key>(?<=[\\/])(?i:Users|home|Documents and Settings)(?:\\{1,2}|/))"
    r"(?:(?P<spaced>[^\\/:*?\"<>|\r\n\t]{1,64})(?=[\\/])"
    r"|(?P<name>[^\\/:*?\"<>|\s]{1,64})(?![^\\/:*?\"<>|\s]))"
)
# `"Joe Smith" <joe@example.com>` and `From: Joe Smith <joe@example.com>`: the display name.
_DISPLAY_NAME = re.compile(
    r"(?=[\"'FfTtCcBbRrSs])"
    r"(?:(?P<q>[\"'])(?P<qv>(?:(?!(?P=q))[^\r\n<>@]){1,80})(?P=q)"
    r"(?P<gap>[ \t]{0,4}<)(?=[^<>\s@]{1,64}@)"
    r"|(?P<key>(?i:\b(?:from|to|cc|bcc|reply-to|sender))[ \t]{0,4}:[ \t]{0,4})"
    r"(?P<bare>[^\"'<>\r\n:;,@]{1,80}?)(?P<gap2>[ \t]{0,4}<)(?=[^<>\s@]{1,64}@))"
)

# --- e-mail addresses --------------------------------------------------------------------------

# The domain part after a literal `@`, taken whole however long (a bound would leave a tail that
# reads as a new address next to the stand-in) by possessive repeats that never backtrack.  The
# local part is found by walking back from the `@`, which stays linear however long the run of
# word characters before it (a regex would rescan the run from every position in it).
_AT_DOMAIN = re.compile(r"@(?:\[[0-9A-Fa-f.:]{2,45}\]|\w[\w-]*+(?:\.\w[\w-]*+)*+)")
_EMAIL = re.compile(r"\w[\w.+'%-]*+" + _AT_DOMAIN.pattern)
_LOCAL_EXTRA = frozenset(".+'%-_")
_MAX_PASSES = 4
_MAX_TEXTS_KEPT = 2_048


def kind_of(name: str) -> ValueKind:
    """What a setting's value is, from its name: `EmailServiceConfig.Password` -> secret,
    `UserName` -> user, `DefaultFromEmailAddress` -> email, anything else -> text."""
    # The last dotted part names the value: `EmailServiceConfig.UserName` is a user, not a mail.
    n = re.sub(r"[^a-z]", "", name.rsplit(".", 1)[-1].lower())
    secret_words = ("password", "passwd", "pwd", "secret", "token", "apikey", "accesskey")
    if any(w in n for w in (*secret_words, "accountkey", "privatekey", "connectionstring")):
        return "secret"
    if n in ("pass", "pw", "sig", "credential", "credentials"):
        return "secret"
    if "displayname" in n:
        return "user"
    if any(w in n for w in ("email", "mail", "from", "sender", "recipient", "replyto")):
        return "email"
    if n in ("to", "cc", "bcc", "address"):
        return "email"
    if any(w in n for w in ("user", "login", "logon", "account", "upn", "principal")):
        return "user"
    if n == "uid":
        return "user"
    return "text"


class Redactor:
    """Stable stand-ins for one report: the same value always gets the same stand-in.

    Use one Redactor for everything that goes into one report, so that numbering follows the
    order in which values first appear in it.
    """

    def __init__(self) -> None:
        self._emails: dict[str, str] = {}
        self._domains: dict[str, int] = {}
        self._users: dict[str, str] = {}
        # Texts already redacted: the same text always gives the same result (stand-ins are
        # stable), and reasons and resolutions repeat across thousands of incidents.
        self._texts: dict[str, str] = {}

    # -- stand-ins ------------------------------------------------------------------------------

    def email(self, address: str) -> str:
        """The stand-in for one e-mail address (case does not matter)."""
        if _STANDIN_EMAIL.fullmatch(address):
            return address
        key = address.casefold()
        found = self._emails.get(key)
        if found is None:
            domain = key.rpartition("@")[2]
            number = self._domains.setdefault(domain, len(self._domains) + 1)
            found = f"address{len(self._emails) + 1}@domain{number}.invalid"
            self._emails[key] = found
        return found

    def user(self, name: str) -> str:
        """The stand-in for a user name; an address or a `DOMAIN\\user` keeps its shape."""
        name = name.strip()
        if name.casefold() in _NOT_A_USER or _is_standin(name):
            return name
        if _EMAIL.fullmatch(name):
            return self.email(name)
        dom, sep, user = name.rpartition("\\")
        if sep and dom and user:
            return dom + sep + self.user(user)
        key = name.casefold()
        found = self._users.get(key)
        if found is None:
            found = f"<user-{len(self._users) + 1}>"
            self._users[key] = found
        return found

    # -- public ---------------------------------------------------------------------------------

    def value(self, kind: ValueKind, s: str) -> str:
        """A value whose kind is known (a settings field, a config key)."""
        if kind == "secret":
            return s if not s.strip() else SECRET
        if kind == "user":
            return self.user(s) if s.strip() else s
        if kind == "email":
            out = self.text(s)
            if out == s and "@" in s and not _is_standin(s.strip()):
                return SECRET  # an address we could not read is still not shown
            return out
        return self.text(s)

    def text(self, s: str) -> str:
        """Free text (evidence lines, examples, reasons): every secret, user name and address
        found is replaced.  Idempotent: redacting redacted text changes nothing."""
        # A pass can leave a fragment that only reads as a value once its neighbour has become a
        # stand-in (`User Id=C:\\Users\\joe`); passes repeat until nothing changes, which is
        # what makes redaction idempotent on any input, not just on well-formed logs.
        done = self._texts.get(s)
        if done is not None:
            return done
        out = s
        for _ in range(_MAX_PASSES):
            again = self._once(out)
            if again == out:
                break
            out = again
        if len(self._texts) >= _MAX_TEXTS_KEPT:
            self._texts.clear()
        self._texts[s] = out
        return out

    def _once(self, s: str) -> str:
        if not s:
            return s
        # Each pass runs only when its key word is there at all: a cheap `in` over the lowered
        # text keeps large inputs fast; the patterns themselves stay linear either way.
        low = s.lower()
        out = s
        if "334" in out or "auth" in low:
            out = self._transcript(out)
        if "://" in out:
            out = _URL_CREDENTIALS.sub(self._url_credentials, out)
        if "key" in low:
            out = _XML_SETTING.sub(self._xml_setting, out)
        if "authorization" in low or "bearer" in low:
            out = _AUTHORIZATION.sub(_authorization, out)
        if "eyJ" in out:
            out = _JWT.sub(SECRET, out)
        if "Q~" in out or "AIza" in out:
            out = _KNOWN_TOKEN.sub(SECRET, out)
        if any(k in low for k in _SECRET_WORDS):
            out = _SECRET_KEY.sub(_secret_pair, out)
            out = _LOOSE_TOKEN.sub(_loose_token, out)
            out = _SPACED_SECRET.sub(_replace_value, out)
        if "<" in out and "@" in out:
            out = _DISPLAY_NAME.sub(self._display_name, out)
        if "@" in out:
            out = self._emails_in(out)
        if any(k in low for k in _USER_WORDS):
            out = _USER_KEY.sub(self._user_pair, out)
            out = _FOR_USER.sub(self._user_pair, out)
            out = _SPACED_USER.sub(self._user_pair, out)
        if "\\" in out:
            out = _DOMAIN_USER.sub(self._domain_user, out)
        if any(k in low for k in _HOME_WORDS):
            out = _HOME_DIR.sub(self._home_dir, out)
        return out

    # -- callbacks ------------------------------------------------------------------------------

    def _transcript(self, s: str) -> str:
        """SMTP AUTH exchanges: base64 after `AUTH PLAIN`, the `334` challenges and the client's
        answers on the lines that follow them (user name and password in base64)."""
        lines = s.splitlines(keepends=True)
        window = 0
        for i, line in enumerate(lines):
            if window <= 0 and _TRANSCRIPT_TRIGGER.search(line) is None:
                continue
            if len(line) > _MAX_TRANSCRIPT_LINE:
                window = 0
                lines[i] = _AUTH_INLINE.sub(_auth_inline, line)
                continue
            inline = _AUTH_INLINE.sub(_auth_inline, line)
            if inline != line or _AUTH_START.search(line):
                lines[i] = inline
                window = _TRANSCRIPT_WINDOW
                continue
            token = _CHALLENGE.search(line)
            if token is not None and _TRANSCRIPT_PREFIX.fullmatch(line, 0, token.start("key")):
                window = _TRANSCRIPT_WINDOW
            elif window > 0:
                window -= 1
                if _REPLY.search(line):
                    window = 0  # the server answered: the exchange is over
                    continue
                token = _ANSWER.search(line)
            else:
                continue
            if (
                token is not None
                and _looks_like_credential(token.group("value"))
                and _TRANSCRIPT_PREFIX.fullmatch(line, 0, token.start("key"))
            ):
                lines[i] = line[: token.start("value")] + SECRET + token.group("end")
        return "".join(lines)

    def _url_credentials(self, m: re.Match[str]) -> str:
        user = m.group("user")
        if _is_standin(user):
            return m.group(0)
        shown = m.group("scheme") + self.user(user)
        if m.group("password") is not None:
            shown += ":" + SECRET
        return shown + "@"

    def _xml_setting(self, m: re.Match[str]) -> str:
        kind = kind_of(m.group("name"))
        value = m.group("value")
        if kind == "text" or not value.strip() or _is_standin(value.strip()):
            return m.group(0)
        start, end = m.span("value")
        base = m.start()
        whole = m.group(0)
        return whole[: start - base] + self.value(kind, value) + whole[end - base :]

    def _display_name(self, m: re.Match[str]) -> str:
        if m.group("qv") is not None:
            name = m.group("qv")
            if _is_standin(name) or not name.strip():
                return m.group(0)
            return m.group("q") + self.user(name) + m.group("q") + m.group("gap")
        name = m.group("bare")
        if not name.strip() or _is_standin(name.strip()):
            return m.group(0)
        return m.group("key") + self.user(name) + m.group("gap2")

    def _emails_in(self, s: str) -> str:
        parts: list[str] = []
        done = 0  # everything before this is already in `parts`
        for m in _AT_DOMAIN.finditer(s):
            start = at = m.start()
            # Never further back than the previous address: each character is walked once.
            while start > done and (s[start - 1].isalnum() or s[start - 1] in _LOCAL_EXTRA):
                start -= 1
            while start < at and not (s[start].isalnum() or s[start] == "_"):
                start += 1  # a local part starts with a letter or digit: `'joe@...'` keeps `'`
            if start == at:
                continue
            parts.append(s[done:start])
            parts.append(self.email(s[start : m.end()]))
            done = m.end()
        if not parts:
            return s
        parts.append(s[done:])
        return "".join(parts)

    def _user_pair(self, m: re.Match[str]) -> str:
        key = m.group("key")
        if key.lower().rstrip(" \t_-").endswith(("exception", "error")):
            return m.group(0)
        value = m.group("qv") if m.group("qv") is not None else m.group("bare")
        if value is None or value.strip().casefold() in _NOT_A_USER or _is_standin(value):
            return m.group(0)
        start, end = m.span("qv") if m.group("qv") is not None else m.span("bare")
        whole = m.group(0)
        base = m.start()
        return whole[: start - base] + self.user(value) + whole[end - base :]

    def _domain_user(self, m: re.Match[str]) -> str:
        dom, user = m.group("dom"), m.group("user")
        if (
            dom.lower() in _WELL_KNOWN_DOMAINS
            or user.lower() in _WELL_KNOWN_USERS
            or _FILE_SUFFIX.search(user)
            or _inside_path(m.string, m.start())
        ):
            return m.group(0)
        return dom + m.group("sep") + self.user(user)

    def _home_dir(self, m: re.Match[str]) -> str:
        name = m.group("spaced") if m.group("spaced") is not None else m.group("name")
        if name.casefold() in _SHARED_HOME_DIRS or _is_standin(name):
            return m.group(0)
        return m.group("key") + self.user(name)


# --- module-level callbacks (no stand-in numbering involved) -----------------------------------


def _inside_path(s: str, at: int) -> bool:
    """True when `at` continues a path with spaces (`C:\\Program Files\\Dovetail Software\\...`):
    a backslash before it on the same line, with nothing between that ends a path."""
    before = s[max(0, at - 260) : at]
    cut = max(before.rfind(c) for c in "\n\"'<>|=;,")
    return "\\" in before[cut + 1 :]


def _is_standin(s: str) -> bool:
    return s == SECRET or bool(_STANDIN_USER.fullmatch(s) or _STANDIN_EMAIL.fullmatch(s))


def _looks_like_credential(token: str) -> bool:
    """Base64 of a user name or password, not a word: a digit or `+/=` in it, or long and of
    mixed case.  Keeps `AUTH LOGIN failed` and `334 threads` readable."""
    if token.upper() in _SMTP_VERBS or token.isdigit():
        return False
    if any(c.isdigit() or c in "+/=" for c in token):
        return True
    return len(token) >= 12 and not token.islower() and not token.isupper()


def _auth_inline(m: re.Match[str]) -> str:
    if not _looks_like_credential(m.group("value")):
        return m.group(0)
    return m.group("key") + SECRET


def _replace_value(m: re.Match[str]) -> str:
    """The match with its value group (quoted `qv` or `bare`) replaced by `<secret>`."""
    group = "qv" if m.group("qv") is not None else "bare"
    if _is_standin(m.group(group)):
        return m.group(0)
    start, end = m.span(group)
    base = m.start()
    whole = m.group(0)
    return whole[: start - base] + SECRET + whole[end - base :]


def _secret_pair(m: re.Match[str]) -> str:
    key = m.group("key").lower()
    if key.rstrip(" \t_-.").endswith(_SECRET_KEY_NOT):
        return m.group(0)
    if m.string[max(0, m.start() - 9) : m.start()].lower().endswith("publickey"):
        return m.group(0)  # .NET assembly names: `PublicKeyToken=b77a5c561934e089`
    if key == "key":
        # Bare `key=` is everywhere in config files (`<add key="...">`): only a long token with
        # a digit in it is taken for a secret there.
        value = m.group("qv") or m.group("bare") or ""
        if len(value) < 16 or not any(c.isdigit() for c in value) or "." in value:
            return m.group(0)
    return _replace_value(m)


def _authorization(m: re.Match[str]) -> str:
    if m.group("key") is not None:
        return m.group("key") + (m.group("value") if _is_standin(m.group("value")) else SECRET)
    return m.group("scheme") + SECRET


def _loose_token(m: re.Match[str]) -> str:
    value = m.group("value")
    if not any(c.isdigit() for c in value):
        return m.group(0)
    return m.group("key") + SECRET


# --- analyses ----------------------------------------------------------------------------------

_DAMAGED = re.compile(r"^(?P<where>.{0,1024}?:\d{1,12}: )(?P<reason>.*)\Z", re.DOTALL)


def redact_settings(settings: SmtpSettings | None, redactor: Redactor) -> SmtpSettings | None:
    """The settings with each `extra` value redacted by its field name; the host is kept."""
    if settings is None or not settings.extra:
        return settings
    extra = tuple((name, redactor.value(kind_of(name), value)) for name, value in settings.extra)
    return dataclasses.replace(settings, extra=extra)


def redact_jsonable(value: object, redactor: Redactor) -> object:
    """Every string in a JSON-like value (dicts, lists, tuples) through `redactor.text`; keys and
    non-strings are kept.  For log-derived output that is not an Analysis, such as the `parsed`
    part of `explain --format json`.  Do not pass rule text through it: rule text is ours."""
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, dict):
        return {k: redact_jsonable(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_jsonable(v, redactor) for v in value]
    return value


def _evidence(ev: tuple[Evidence, ...], r: Redactor) -> tuple[Evidence, ...]:
    return tuple(e if e.kept else dataclasses.replace(e, text=r.text(e.text)) for e in ev)


def left_alone(text: str) -> bool:
    """True when redaction leaves `text` as it is in any report, whatever stand-ins the report
    has numbered before it.

    A fresh Redactor is run on it.  Its only state is the stand-ins it has numbered, and a
    pass reads that state only where it numbers a value (`email`, `user`, past their early
    returns for stand-ins and names of nobody); everything before that is the same in any
    Redactor.  So if the fresh one numbered nothing, any other would have taken the same path
    to the same text.  Texts with an `@` are not tried: they hold an address to number.
    """
    if "@" in text:
        return False
    fresh = Redactor()
    return fresh.text(text) == text and not fresh._emails and not fresh._users


def redact_incident(inc: Incident, r: Redactor) -> Incident:
    """One incident with its log-derived strings redacted (see `redact_analysis`)."""
    return dataclasses.replace(
        inc,
        evidence=_evidence(inc.evidence, r),
        reasons=tuple(r.text(x) for x in inc.reasons),
        resolved_by=None if inc.resolved_by is None else r.text(inc.resolved_by),
        settings=redact_settings(inc.settings, r),
    )


def _unrecognized(u: Unrecognized, r: Redactor) -> Unrecognized:
    return dataclasses.replace(
        u,
        example=r.text(u.example),
        evidence=_evidence(u.evidence, r),
        settings=redact_settings(u.settings, r),
    )


def _damaged(line: str, r: Redactor) -> str:
    m = _DAMAGED.match(line)
    if m is None:
        return r.text(line)
    return m.group("where") + r.text(m.group("reason"))


def _stats(stats: ReadStats, r: Redactor) -> ReadStats:
    return dataclasses.replace(stats, damaged=tuple(_damaged(d, r) for d in stats.damaged))


def redact_analysis(analysis: Analysis, redactor: Redactor | None = None) -> Analysis:
    """A new Analysis with every log-derived string redacted and `redacted=True`.

    Rule text (titles, causes, fixes), hosts, codes, counts, times and file paths are kept.
    Pass a Redactor to share stand-ins with other parts of the same report.
    """
    r = redactor if redactor is not None else Redactor()
    return dataclasses.replace(
        analysis,
        incidents=tuple(redact_incident(i, r) for i in analysis.incidents),
        unrecognized=tuple(_unrecognized(u, r) for u in analysis.unrecognized),
        stats=_stats(analysis.stats, r),
        redacted=True,
    )
