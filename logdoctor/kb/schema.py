"""The rule file schema (docs/rule-schema.md), enforced with pydantic at load.

`extra="forbid"` everywhere: a misspelt key (`phrase:` for `phrases:`) must be an error naming
the file and line, not a condition that silently never applies.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from rapidfuzz import process

from logdoctor.kb.categories import RULE_CATEGORIES, UNKNOWN
from logdoctor.kb.regexsafety import nested_quantifier

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_ENHANCED = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$|^[245]\.[\d.]{0,7}\*$")

TEXT_KEYS = (
    "types",
    "phrases",
    "smtp_codes",
    "enhanced_codes",
    "socket_errors",
    "aad_codes",
    "http_status",
    "regex",
)
CONTEXT_KEYS = ("settings", "provider", "history")


class Severity(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"


class Status(StrEnum):
    stable = "stable"
    test = "test"
    experimental = "experimental"
    deprecated = "deprecated"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _as_list(value: Any) -> Any:
    """Let authors write `port: 587` for `port: [587]`."""
    if value is None or isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    return [value]


StrList = Annotated[list[str], BeforeValidator(_as_list)]
IntList = Annotated[list[int], BeforeValidator(_as_list)]


class NumRange(_Strict):
    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None
    eq: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> NumRange:
        if all(v is None for v in (self.lt, self.lte, self.gt, self.gte, self.eq)):
            raise ValueError("give at least one of lt, lte, gt, gte, eq")
        return self

    def holds(self, value: float) -> bool:
        return (
            (self.lt is None or value < self.lt)
            and (self.lte is None or value <= self.lte)
            and (self.gt is None or value > self.gt)
            and (self.gte is None or value >= self.gte)
            and (self.eq is None or value == self.eq)
        )

    def describe(self) -> str:
        ops = (("<", self.lt), ("<=", self.lte), (">", self.gt), (">=", self.gte), ("=", self.eq))
        return " ".join(f"{op}{v:g}" for op, v in ops if v is not None)


class SettingsCond(_Strict):
    host: StrList | None = None
    port: IntList | None = None
    enable_ssl: bool | None = None
    ssl_mode: StrList | None = None
    ssl_mode_known: bool | None = None
    timeout_s: NumRange | None = None

    @field_validator("timeout_s", mode="before")
    @classmethod
    def _timeout_number(cls, value: Any) -> Any:
        # `timeout_s: 10` means exactly 10.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"eq": value}
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> SettingsCond:
        if not self.model_fields_set:
            raise ValueError(
                "settings: give at least one of host, port, enable_ssl, ssl_mode, "
                "ssl_mode_known, timeout_s"
            )
        return self


class HistoryCond(_Strict):
    worked_before: bool | None = None
    config_changed: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> HistoryCond:
        if self.worked_before is None and self.config_changed is None:
            raise ValueError("history: give worked_before and/or config_changed")
        return self


class Conditions(_Strict):
    """One block of conditions: every key given must hold (AND); a list inside a key is OR."""

    types: StrList | None = None
    phrases: StrList | None = None
    phrase_threshold: float | None = Field(default=None, ge=0, le=100)
    smtp_codes: IntList | None = None
    enhanced_codes: StrList | None = None
    socket_errors: IntList | None = None
    aad_codes: StrList | None = None
    http_status: IntList | None = None
    regex: StrList | None = None
    settings: SettingsCond | None = None
    provider: StrList | None = None
    history: HistoryCond | None = None
    any: Annotated[list[Conditions], BeforeValidator(_as_list)] | None = None
    not_: Annotated[list[Conditions], BeforeValidator(_as_list)] | None = Field(
        default=None, alias="not"
    )

    @field_validator("types", "phrases", "aad_codes", "provider")
    @classmethod
    def _non_blank(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("empty list")
            if any(not str(v).strip() for v in value):
                raise ValueError("blank entry")
        return value

    @field_validator("enhanced_codes")
    @classmethod
    def _enhanced(cls, value: list[str] | None) -> list[str] | None:
        for code in value or ():
            if not _ENHANCED.match(code.strip()):
                raise ValueError(f"not an enhanced status code: {code!r} (like 5.7.8 or 4.7.5*)")
        return value

    @field_validator("smtp_codes")
    @classmethod
    def _smtp(cls, value: list[int] | None) -> list[int] | None:
        for code in value or ():
            if not 200 <= code <= 599:
                raise ValueError(f"not an SMTP reply code: {code}")
        return value

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or ():
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"regex {pattern!r} does not compile: {exc}") from None
            why = nested_quantifier(pattern)
            if why:
                raise ValueError(f"regex {pattern!r} is slow on long input: {why}")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Conditions:
        keys = self.model_fields_set - {"phrase_threshold"}
        if not keys:
            raise ValueError("empty condition block: give at least one condition")
        if self.phrase_threshold is not None and self.phrases is None:
            raise ValueError("phrase_threshold without phrases")
        return self

    def keys(self) -> tuple[str, ...]:
        """The condition keys written in this block (`not` for `not_`)."""
        return tuple(
            "not" if k == "not_" else k
            for k in type(self).model_fields
            if k in self.model_fields_set and k != "phrase_threshold"
        )

    def context_only(self) -> bool:
        """True when the block tests only settings/provider (and nested such blocks)."""
        for key in self.keys():
            if key in ("settings", "provider"):
                continue
            if key in ("not", "any"):
                blocks = self.not_ if key == "not" else self.any
                if all(b.context_only() for b in blocks or ()):
                    continue
            return False
        return True


class ExampleSettings(_Strict):
    host: str | None = None
    port: int | None = None
    enable_ssl: bool | None = None
    ssl_mode: str | None = None
    timeout_s: float | None = None


class ExampleHistory(_Strict):
    worked_before: bool | None = None
    config_changed: bool | None = None


class Example(_Strict):
    text: str
    settings: ExampleSettings | None = None
    history: ExampleHistory | None = None
    note: str | None = None

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("example text is empty")
        return value


class Examples(_Strict):
    match: list[Example] = Field(default_factory=list)
    no_match: list[Example] = Field(default_factory=list)


class Reference(_Strict):
    source: str | None = None
    url: str | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"url": value} if "://" in value else {"source": value}
        return value

    @model_validator(mode="after")
    def _something(self) -> Reference:
        if not (self.source or self.url):
            raise ValueError("a reference needs a source (file under shared/reference/) or a url")
        return self


class Rule(_Strict):
    id: str
    title: str
    category: str
    severity: Severity
    status: Status = Status.stable
    tags: StrList = Field(default_factory=list)
    priority: int = 0
    match: Conditions
    predict: bool | Conditions = False
    cause: str
    fix: StrList
    verify: StrList = Field(default_factory=list)
    references: Annotated[list[Reference], BeforeValidator(_as_list)] = Field(default_factory=list)
    examples: Examples = Field(default_factory=Examples)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"rule id {value!r} must look like [a-z0-9][a-z0-9._-]*")
        return value

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value == UNKNOWN:
            raise ValueError(
                "'unknown' is the engine's answer when no rule fits, not a category for a rule"
            )
        if value not in RULE_CATEGORIES:
            near = process.extractOne(value, RULE_CATEGORIES, score_cutoff=80)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise ValueError(
                f"unknown category {value!r}; {hint}use one of: " + ", ".join(RULE_CATEGORIES)
            )
        return value

    @field_validator("title", "cause")
    @classmethod
    def _words(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("fix")
    @classmethod
    def _fix(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one fix step")
        return value

    @field_validator("predict")
    @classmethod
    def _predict(cls, value: bool | Conditions) -> bool | Conditions:
        if isinstance(value, Conditions) and not value.context_only():
            raise ValueError("a predict block may hold only settings, provider, any and not")
        return value

    @model_validator(mode="after")
    def _predict_needs_settings(self) -> Rule:
        if self.predict is True and not any(
            k in ("settings", "provider") for k in self.match.keys()
        ):
            raise ValueError("predict: true needs settings or provider conditions in match")
        return self


class RuleFile(_Strict):
    rules: list[Rule]
