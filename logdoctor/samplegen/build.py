"""Writing every committed sample, MANIFEST.json and README.md into a directory."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

from logdoctor.samplegen.layouts import LAYOUTS
from logdoctor.samplegen.scenarios import GZ_SAMPLE, SAMPLES, SETS, Sample, SampleSet
from logdoctor.samplegen.sim import Sim
from logdoctor.samplegen.truth import INCIDENT_RULE, Entry, IncidentTracker, Truth
from logdoctor.samplegen.writer import LogWriter

BASE_SEED = 20261128
# A fixed time for zip members: a zip must not carry the time it was generated.
ZIP_TIME = (2026, 11, 27, 18, 45, 0)
REGENERATE = "python -m logdoctor.samplegen samples"


def _seed(name: str) -> int:
    # Stable per file (str hash is salted per process, so do not use hash()).
    return BASE_SEED + sum((i + 1) * ord(c) for i, c in enumerate(name))


def render_sample(sample: Sample) -> tuple[bytes, Truth]:
    buf = io.BytesIO()
    writer = LogWriter(
        buf,
        LAYOUTS[sample.layout],
        encoding=sample.encoding,
        bom=sample.bom,
        line_ends=sample.line_ends,
        seed=_seed(sample.path) + 1,
    )
    if sample.junk:
        writer.junk(list(sample.junk))
    sim = Sim(
        _seed(sample.path),
        sample.start,
        writer.write,
        style=sample.style,
        user=sample.user,
        config_style=sample.config_style,
    )
    sample.story(sim)
    return buf.getvalue(), writer.truth()


def render_set(spec: SampleSet) -> tuple[list[tuple[str, bytes, Truth]], dict[str, object]]:
    entries: list[Entry] = []
    sim = Sim(_seed(spec.name), spec.start, entries.append, style=spec.style)
    spec.story(sim)
    bounds = [0, *(round(len(entries) * c) for c in spec.cuts), len(entries)]
    files: list[tuple[str, bytes, Truth]] = []
    whole = IncidentTracker()
    for i, member in enumerate(spec.members):
        buf = io.BytesIO()
        writer = LogWriter(buf, LAYOUTS[spec.layout], seed=_seed(spec.name + member))
        for entry in entries[bounds[i] : bounds[i + 1]]:
            writer.write(entry)
            whole.feed(entry)
        files.append((member, buf.getvalue(), writer.truth()))
    summary: dict[str, object] = {
        "path": spec.name,
        "container": spec.container,
        "members": list(spec.members),
        "scenario": spec.scenario,
        "layout_name": LAYOUTS[spec.layout].name,
        "layout": LAYOUTS[spec.layout].pattern,
        "records": sum(t.records for _, _, t in files),
        "config_loads": sum(t.config_loads for _, _, t in files),
        "sends_ok": sum(t.sends_ok for _, _, t in files),
        "sends_failed": sum(t.sends_failed for _, _, t in files),
        "damaged_records": sum(t.damaged_records for _, _, t in files),
        "article": list(spec.article),
        "incidents": [i.as_manifest() for i in whole.finish()],
    }
    return files, summary


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # as if zipped on Windows, whatever platform generates it
            info.external_attr = 0x20  # the DOS archive bit
            zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def _entry(path: str, scenario: str, truth: Truth, article: tuple[str, ...]) -> dict[str, object]:
    return {"path": path, "scenario": scenario, **truth.as_manifest(), "article": list(article)}


def generate(outdir: Path) -> dict[str, object]:
    """Write every sample into `outdir` (created if needed); return the manifest."""
    outputs: dict[str, bytes] = {}
    files: list[dict[str, object]] = []
    sets: list[dict[str, object]] = []

    for sample in SAMPLES:
        data, truth = render_sample(sample)
        outputs[sample.path] = data
        files.append(_entry(sample.path, sample.scenario, truth, sample.article))

    data, truth = render_sample(GZ_SAMPLE)
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    outputs[GZ_SAMPLE.path] = packed
    entry = _entry(GZ_SAMPLE.path, GZ_SAMPLE.scenario, truth, GZ_SAMPLE.article)
    entry["compression"] = "gzip"
    entry["file_bytes"] = len(packed)
    files.append(entry)

    for spec in SETS:
        members, summary = render_set(spec)
        if spec.container == "zip":
            outputs[spec.name] = _zip([(name, data) for name, data, _ in members])
        for name, data, truth in members:
            if spec.container == "zip":
                entry = _entry(spec.name, spec.scenario, truth, ())
                entry["member"] = name
                entry["compression"] = "zip"
            else:
                path = f"{spec.name}/{name}"
                outputs[path] = data
                entry = _entry(path, spec.scenario, truth, ())
            entry["set"] = spec.name
            files.append(entry)
        sets.append(summary)

    manifest: dict[str, object] = {
        "generator": REGENERATE,
        "seed": BASE_SEED,
        "incident_rule": INCIDENT_RULE,
        "send_failure": "a record carrying an email exception chain (FatalEmailServiceException "
        "or NonFatalEmailServiceException wrapping MailBee/SMTP types); other errors are not",
        "files": files,
        "sets": sets,
    }
    outdir.mkdir(parents=True, exist_ok=True)
    for rel, data in outputs.items():
        target = outdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (outdir / "MANIFEST.json").write_bytes(text.encode("utf-8"))
    (outdir / "README.md").write_bytes(readme(manifest).encode("utf-8"))
    # Git must not touch line ends or encodings of the samples (CRLF, LF-only, mixed, UTF-16).
    (outdir / ".gitattributes").write_bytes(b"* -text\n")
    return manifest


def readme(manifest: dict[str, object]) -> str:
    files = manifest["files"]
    assert isinstance(files, list)
    rows = []
    for f in files:
        where = f["path"] + (f"!{f['member']}" if "member" in f else "")
        enc = f["encoding"] + (" +BOM" if f["bom"] and f["encoding"] != "utf-8-sig" else "")
        rows.append(
            f"| `{where}` | {f['scenario']} | {f['layout_name']} | {enc} | {f['line_ends']} | "
            f"{f['sends_ok']} / {f['sends_failed']} |"
        )
    lines = [
        "# Sample logs",
        "",
        "Synthetic `Rulemanager.log` files written by a deterministic generator "
        "(`logdoctor/samplegen`). They cover every failure and configuration of the "
        "knowledge-base article the project started from, in several log4net layouts, "
        "encodings and line ends. No real RuleManager log line is public, so every wording is "
        "invented from the facts in the project's reference notes; the knowledge base must "
        "generalize beyond them.",
        "",
        "Regenerate (byte for byte the same files):",
        "",
        "```",
        str(manifest["generator"]),
        "```",
        "",
        "`MANIFEST.json` is the generator's ground truth for every file, counted while writing: "
        "layout pattern (pass it with `--layout`), encoding, line ends, records, records by "
        "level, configuration loads, successful and failed sends, damaged records, first and "
        "last timestamp, and the expected incidents (category, count, status, settings). "
        f"Incidents follow this rule: {manifest['incident_rule']}.",
        "",
        "| file | scenario | layout | encoding | line ends | sends ok / failed |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "The two custom layouts are not meant to be detected; pass their pattern, e.g. "
        "`logdoctor analyze --layout '%date{dd/MM/yyyy HH:mm:ss} | %-5p | %c | %m%n' "
        "samples/internet-filtering.log` or "
        "`--layout '%utcdate{yyyy-MM-dd HH:mm:ss.fff} %-5level [%thread] %logger{2}: "
        "%message%newline'`.",
        "",
        "Try: `logdoctor analyze samples/Rulemanager.log`, "
        "`logdoctor analyze samples/rotated/Rulemanager.log*`, "
        "`logdoctor analyze samples/compressed/Rulemanager.log.gz`.",
        "",
    ]
    return "\n".join(lines)
