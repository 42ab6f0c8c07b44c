"""Loading rule files: built-in ones from the package, a site's own from `--rules DIR|FILE`.

Validation errors name the file and the line: the YAML is composed into nodes (which carry their
line) and constructed with the safe constructor, so a pydantic error location maps back to the
line it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rapidfuzz import process

from logdoctor.errors import LogdoctorError
from logdoctor.kb.compiled import Block, compile_block
from logdoctor.kb.schema import Conditions, Rule, Status

RULE_SUFFIXES = (".yaml", ".yml")
MAX_RULE_FILE = 5_000_000  # bytes; a rule file bigger than this is a mistake, not knowledge

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int | None
    message: str

    @property
    def where(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class KbRule:
    """A validated rule, where it came from, and its conditions ready to evaluate."""

    rule: Rule
    path: str
    line: int
    match: Block
    predict: Block | None
    builtin: bool = True
    example_lines: tuple[tuple[str, int, int], ...] = ()  # (match|no_match, index, line)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def example_line(self, kind: str, index: int) -> int:
        for k, i, line in self.example_lines:
            if k == kind and i == index:
                return line
        return self.line


@dataclass(frozen=True, slots=True)
class Duplicate:
    id: str
    first: str  # path:line of the rule kept
    second: str  # path:line of the rule dropped


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    rules: tuple[KbRule, ...]
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # replacements by site rules, for -v
    duplicates: tuple[Duplicate, ...] = ()
    active_rules: tuple[KbRule, ...] = field(default=())

    def get(self, rule_id: str) -> KbRule | None:
        for kr in self.rules:
            if kr.rule.id == rule_id:
                return kr
        return None

    def ids(self) -> list[str]:
        return [kr.rule.id for kr in self.rules]


def make_kb(
    rules: Iterable[KbRule],
    *,
    files: Sequence[str] = (),
    notes: Sequence[str] = (),
    duplicates: Sequence[Duplicate] = (),
) -> KnowledgeBase:
    rs = tuple(rules)
    return KnowledgeBase(
        rules=rs,
        files=tuple(files),
        notes=tuple(notes),
        duplicates=tuple(duplicates),
        active_rules=tuple(kr for kr in rs if kr.rule.status != Status.deprecated),
    )


# -- YAML with line numbers --------------------------------------------------------------------


def _record_lines(node: yaml.Node, path: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _record_lines(item, (*path, i), lines)


# Both build only plain data (SafeConstructor); never the full loader.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str, path: str) -> tuple[Any, dict[Loc, int]]:
    """`yaml.safe_load` plus the line of every mapping key and list item.

    The C build of the same safe loader is used where PyYAML has it (every start-up reads the
    whole knowledge base: 0.25 s in pure Python, a tenth of that in C).
    """
    loader = _SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise LogdoctorError(f"invalid YAML: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise LogdoctorError(f"invalid YAML: {exc}", path=path) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    _record_lines(node, (), lines)
    return data, lines


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of the longest prefix of `loc` that the YAML had."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


# -- validation --------------------------------------------------------------------------------


def _allowed_keys(model: Any) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _format_error(err: Any, raw: Any) -> str:
    loc = tuple(err["loc"])
    shown = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc)
    shown = shown.replace(".[", "[")
    if err["type"] == "extra_forbidden":
        key = str(loc[-1])
        hint = _key_hint(key)
        return f"{shown}: unknown key {key!r}{hint}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{shown}: {msg}" if shown else msg


_ALL_KEYS: list[str] = sorted(
    set(_allowed_keys(Rule))
    | set(_allowed_keys(Conditions))
    | {"host", "port", "enable_ssl", "ssl_mode", "ssl_mode_known", "timeout_s", "text"}
    | {"worked_before", "config_changed", "match", "no_match", "source", "url", "note"}
)


def _key_hint(key: str) -> str:
    near = process.extractOne(key, _ALL_KEYS, score_cutoff=75)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _drop_union_tags(loc: Loc) -> Loc:
    # pydantic adds the union member to error locations (`predict.bool`); the YAML has no such key
    return tuple(p for p in loc if p not in ("bool", "Conditions", "function-before[_as_list()]"))


def _predict_block(rule: Rule) -> Block | None:
    if rule.predict is False:
        return None
    if isinstance(rule.predict, Conditions):
        return compile_block(rule.predict)
    m = rule.match
    data: dict[str, Any] = {}
    if m.settings is not None:
        data["settings"] = m.settings
    if m.provider is not None:
        data["provider"] = m.provider
    nots = [b for b in m.not_ or () if b.context_only()]
    if nots:
        data["not"] = nots
    if not data:
        return None
    return compile_block(Conditions.model_validate(data))


def parse_rules(text: str, path: str, *, builtin: bool) -> tuple[list[KbRule], list[Problem]]:
    """All valid rules of one file and a problem for each invalid one (never raises on content,
    except a YAML syntax error, which makes the whole file unreadable)."""
    data, lines = load_yaml(text, path)
    problems: list[Problem] = []
    if data is None:
        return [], [Problem(path, 1, "empty rule file (expected a top-level 'rules:' list)")]
    if not isinstance(data, dict) or "rules" not in data:
        return [], [Problem(path, 1, "expected a top-level 'rules:' list")]
    for key in data:
        if key != "rules":
            problems.append(Problem(path, line_of(lines, (key,)), f"unknown top-level key {key!r}"))
    raw_rules = data["rules"]
    if not isinstance(raw_rules, list):
        return [], [*problems, Problem(path, line_of(lines, ("rules",)), "'rules' must be a list")]
    out: list[KbRule] = []
    for i, raw in enumerate(raw_rules):
        rule_line = line_of(lines, ("rules", i)) or 1
        rid = raw.get("id") if isinstance(raw, dict) else None
        label = f"rule {rid}" if isinstance(rid, str) else f"rule #{i + 1}"
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ("rules", i, *_drop_union_tags(tuple(err["loc"])))
                problems.append(
                    Problem(path, line_of(lines, loc), f"{label}: {_format_error(err, raw)}")
                )
            continue
        ex_lines = tuple(
            (kind, j, line_of(lines, ("rules", i, "examples", kind, j)) or rule_line)
            for kind, examples in (
                ("match", rule.examples.match),
                ("no_match", rule.examples.no_match),
            )
            for j in range(len(examples))
        )
        out.append(
            KbRule(
                rule=rule,
                path=path,
                line=rule_line,
                match=compile_block(rule.match),
                predict=_predict_block(rule),
                builtin=builtin,
                example_lines=ex_lines,
            )
        )
    return out, problems


# -- finding and reading files -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleSource:
    name: str  # file name, for replacing a built-in file by a site file of the same name
    path: str
    text: str
    builtin: bool


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_RULE_FILE:
            raise LogdoctorError(f"rule file too large ({size} bytes)", path=str(path))
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LogdoctorError(f"not UTF-8 text ({exc.reason})", path=str(path)) from None
    except OSError as exc:
        raise LogdoctorError(
            f"cannot read rule file: {exc.strerror or exc}", path=str(path)
        ) from None


def builtin_sources() -> list[RuleSource]:
    """The rules shipped as package data (`logdoctor.rules`), or the checkout's `rules/`."""
    out: list[RuleSource] = []
    try:
        root = resources.files("logdoctor.rules")
        entries = sorted(
            (e for e in root.iterdir() if e.name.endswith(RULE_SUFFIXES) and e.is_file()),
            key=lambda e: e.name,
        )
        for e in entries:
            out.append(RuleSource(e.name, str(e), e.read_text(encoding="utf-8-sig"), builtin=True))
        return out
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        for p in sorted(checkout.iterdir()):
            if p.suffix in RULE_SUFFIXES and p.is_file():
                out.append(RuleSource(p.name, str(p), _read(p), builtin=True))
    return out


def extra_sources(paths: Sequence[Path | str]) -> list[RuleSource]:
    out: list[RuleSource] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.suffix in RULE_SUFFIXES and f.is_file())
            if not files:
                raise LogdoctorError("no rule files (*.yaml) in this directory", path=str(p))
        elif p.is_file():
            files = [p]
        else:
            raise LogdoctorError("no such rule file or directory", path=str(p))
        for f in files:
            out.append(RuleSource(f.name, str(f), _read(f), builtin=False))
    return out


def load_kb_report(
    extra: Sequence[Path | str] = (), *, replace: bool = False, builtin: bool = True
) -> tuple[KnowledgeBase, list[Problem]]:
    """The knowledge base and every problem found while loading (for lint, which shows all)."""
    sources = [] if (replace or not builtin) else builtin_sources()
    site = extra_sources(extra)
    notes: list[str] = []
    # A site file named like a built-in one replaces that whole file.
    site_names = {s.name for s in site}
    kept: list[RuleSource] = []
    for s in sources:
        if s.name in site_names:
            notes.append(f"{s.path}: replaced by a site rule file of the same name")
        else:
            kept.append(s)
    problems: list[Problem] = []
    builtin_rules: list[KbRule] = []
    site_rules: list[KbRule] = []
    for s in (*kept, *site):
        try:
            rules, probs = parse_rules(s.text, s.path, builtin=s.builtin)
        except LogdoctorError as exc:
            problems.append(Problem(exc.path or s.path, exc.line, str(exc).split(": ", 1)[-1]))
            continue
        problems.extend(probs)
        (builtin_rules if s.builtin else site_rules).extend(rules)

    duplicates: list[Duplicate] = []
    by_id: dict[str, int] = {}
    final: list[KbRule] = []
    for kr in builtin_rules:
        if kr.rule.id in by_id:
            duplicates.append(Duplicate(kr.rule.id, final[by_id[kr.rule.id]].where, kr.where))
            continue
        by_id[kr.rule.id] = len(final)
        final.append(kr)
    site_seen: dict[str, str] = {}
    for kr in site_rules:
        rid = kr.rule.id
        if rid in site_seen:
            duplicates.append(Duplicate(rid, site_seen[rid], kr.where))
            continue
        site_seen[rid] = kr.where
        if rid in by_id:
            old = final[by_id[rid]]
            notes.append(f"rule {rid} from {old.where} replaced by {kr.where}")
            final[by_id[rid]] = kr
        else:
            by_id[rid] = len(final)
            final.append(kr)
    files = [s.path for s in (*kept, *site)]
    return make_kb(final, files=files, notes=notes, duplicates=duplicates), problems


def load_kb(extra: Sequence[Path | str] = (), *, replace: bool = False) -> KnowledgeBase:
    """Built-in rules plus the site's files; a site rule with a built-in's id replaces it.

    `replace=True` uses only the site's files.  The first invalid rule raises LogdoctorError
    naming its file and line (`logdoctor rules lint` lists them all).
    """
    kb, problems = load_kb_report(extra, replace=replace)
    if problems:
        first = problems[0]
        more = (
            f" (and {len(problems) - 1} more; see logdoctor rules lint)"
            if len(problems) > 1
            else ""
        )
        raise LogdoctorError(first.message + more, path=first.path, line=first.line)
    return kb
