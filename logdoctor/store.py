"""The incident store: what the nightly batch has read, and the incidents it found.

One narrow interface (`Store`) over SQLAlchemy Core, in SQL that SQLite and PostgreSQL both
speak, because a team store on PostgreSQL comes next.  SQLite is the default, in the user data
directory; `--db FILE` or `LOGDOCTOR_DB` put it elsewhere (a value with `://` is taken as a
database URL).

What it holds:

- `files`: each watched file's identity (device and inode, a hash of its first bytes), read
  position and line, the layout it was read with;
- `log_sets`: per rotated set, the incident builder's state and the running counts, so the next
  run continues exactly where this one stopped;
- `incidents`, `unrecognized`, `failure_hours` (failures per hour by category) and `runs`.

A batch run writes all of it in one transaction (`commit_run`): killed at any moment, the store
holds either everything of that run or nothing of it.  The schema is versioned; `migrate` brings
an older store to the current version, one step at a time, each step in its own transaction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from logdoctor.errors import LogdoctorError
from logdoctor.events import EventCounter
from logdoctor.incidents import (
    evidence_from_state,
    evidence_to_state,
    settings_from_state,
    settings_to_state,
)
from logdoctor.layout import stored_layout
from logdoctor.model import ReadStats, SourceStats
from logdoctor.report_model import Alternative, Incident, TimelinePoint, Unrecognized

ENV_DB = "LOGDOCTOR_DB"
DB_NAME = "logdoctor.db"
SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 30.0

# ---------------------------------------------------------------------------------------------
# Where the store is


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("logdoctor", appauthor=False)) / DB_NAME


def resolve_db(db: str | Path | None) -> str:
    """The store's location: `--db`, else `LOGDOCTOR_DB`, else the user data directory."""
    if db is not None and str(db).strip():
        return str(db)
    env = os.environ.get(ENV_DB, "").strip()
    return env or str(default_db_path())


def is_url(location: str) -> bool:
    return "://" in location


def _engine(location: str) -> Engine:
    if is_url(location):
        return sa.create_engine(location, future=True)
    path = Path(location)
    if path.exists() and path.is_dir():
        raise LogdoctorError("cannot use as a database: it is a directory", path=location)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LogdoctorError(
            f"cannot create: {exc.strerror or exc}", path=str(path.parent)
        ) from exc
    engine = sa.create_engine(
        f"sqlite:///{path}", future=True, connect_args={"timeout": BUSY_TIMEOUT_S}
    )

    # pysqlite begins transactions lazily and never around DDL; this hands transaction control
    # to SQLAlchemy, so a migration step or a run commits whole or not at all (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL").
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


@contextmanager
def batch_lock(location: str, timeout: float) -> Iterator[None]:
    """Only one batch per store: a second one waits up to `timeout` seconds, then exits 2.

    A lock file next to the database, released by the operating system when its holder dies
    (even by SIGKILL), so a killed run never blocks the next night.
    """
    if is_url(location):
        yield  # a server database: the transaction is the only guard (for now)
        return
    from filelock import FileLock, Timeout

    lock = FileLock(f"{location}.lock")
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LogdoctorError(f"another logdoctor batch is running on {location}") from None
    try:
        yield
    finally:
        lock.release()


# ---------------------------------------------------------------------------------------------
# Schema (current version) and migrations

_TS = 32  # an ISO timestamp as text: sorts as time in any SQL database
_KEY = 1024


def _define_v1(md: sa.MetaData) -> None:
    """The tables as schema version 1 created them.

    Frozen: migration step 1 creates exactly these, whatever later versions add; the current
    tables are these plus the columns each later step adds (`_define_current`).
    """
    sa.Table(
        "runs",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.String(_TS), nullable=False),
        sa.Column("finished_at", sa.String(_TS), nullable=False),
        sa.Column("paths", sa.Text, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
    )
    sa.Table(
        "log_sets",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(_KEY), nullable=False, unique=True),
        sa.Column("builder", sa.Text, nullable=False),
        sa.Column("counter", sa.Text, nullable=False),
        sa.Column("updated_run", sa.Integer, nullable=False),
    )
    sa.Table(
        "files",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("set_id", sa.Integer, nullable=False, index=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("dev", sa.String(40)),
        sa.Column("ino", sa.String(40)),
        sa.Column("gzip", sa.Boolean, nullable=False),
        sa.Column("head_len", sa.Integer, nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime_ns", sa.BigInteger, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("line", sa.BigInteger, nullable=False),
        sa.Column("layout", sa.Text),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.Column("first_run", sa.Integer, nullable=False),
        sa.Column("last_run", sa.Integer, nullable=False),
    )
    sa.Table(
        "incidents",
        md,
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("set_id", sa.Integer, nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("first_seen", sa.String(_TS), index=True),
        sa.Column("last_seen", sa.String(_TS), index=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("first_run", sa.Integer, nullable=False),
        sa.Column("last_run", sa.Integer, nullable=False),
        sa.Column("resolved_run", sa.Integer),
    )
    sa.Table(
        "unrecognized",
        md,
        sa.Column("set_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("first_seen", sa.String(_TS)),
        sa.Column("last_seen", sa.String(_TS)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("first_run", sa.Integer, nullable=False),
        sa.Column("last_run", sa.Integer, nullable=False),
    )
    sa.Table(
        "failure_hours",
        md,
        sa.Column("set_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hour", sa.String(_TS), primary_key=True),
        sa.Column("category", sa.String(100), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )


def _define_current(md: sa.MetaData) -> None:
    _define_v1(md)
    # v2
    md.tables["files"].append_column(sa.Column("anchor_sha", sa.String(64)))
    md.tables["files"].append_column(
        sa.Column("pending", sa.Integer, nullable=False, server_default="0")
    )
    md.tables["log_sets"].append_column(sa.Column("shown", sa.Text))
    md.tables["unrecognized"].append_column(
        sa.Column("run_count", sa.BigInteger, nullable=False, server_default="0")
    )


metadata = sa.MetaData()
migrations_table = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.String(_TS), nullable=False),
)
_define_current(metadata)
runs_table = metadata.tables["runs"]
sets_table = metadata.tables["log_sets"]
files_table = metadata.tables["files"]
incidents_table = metadata.tables["incidents"]
unrecognized_table = metadata.tables["unrecognized"]
hours_table = metadata.tables["failure_hours"]
_IN_CHUNK = 500  # incidents written per slice (keys per `IN (...)`; old SQLite allows 999)


def _migrate_v1(conn: Connection) -> None:
    """The first schema: files, sets, runs, incidents, unrecognized groups, hourly counts."""
    v1 = sa.MetaData()
    _define_v1(v1)
    v1.create_all(conn)


def _migrate_v2(conn: Connection) -> None:
    """v2: what makes a run exact while a log is still being written, and the "unmatched"
    section of the summary.

    - `files.anchor_sha`: a hash of the bytes before the read position (tells a copy-truncated
      file from the one that was read); NULL for old rows, which then rely on the head hash;
    - `files.pending` and `log_sets.shown`: the last record of a live file is counted
      provisionally (shown in reports, re-read and re-counted by the next run);
    - `unrecognized.run_count`: how many failures of the group the last run that saw it added.
    """
    for statement in (
        "ALTER TABLE files ADD COLUMN anchor_sha VARCHAR(64)",
        "ALTER TABLE files ADD COLUMN pending INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE log_sets ADD COLUMN shown TEXT",
        "ALTER TABLE unrecognized ADD COLUMN run_count BIGINT NOT NULL DEFAULT 0",
    ):
        conn.execute(sa.text(statement))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migrate_v1, 2: _migrate_v2}


def schema_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_migrations"):
        return 0
    found = conn.execute(sa.select(sa.func.max(migrations_table.c.version))).scalar()
    return int(found or 0)


def migrate(engine: Engine, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migration steps up to `target`; returns the version reached."""
    with engine.begin() as conn:
        if not sa.inspect(conn).has_table("schema_migrations"):
            migrations_table.create(conn)
        version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise LogdoctorError(
            f"the store has schema version {version}, newer than this logdoctor knows "
            f"({SCHEMA_VERSION}): upgrade logdoctor",
            path=str(engine.url.database or engine.url),
        )
    while version < target:
        step = version + 1
        with engine.begin() as conn:
            # Another process may have migrated meanwhile; the check is inside the step's
            # transaction, so each step runs once.
            if schema_version(conn) >= step:
                version = schema_version(conn)
                continue
            MIGRATIONS[step](conn)
            conn.execute(sa.insert(migrations_table).values(version=step, applied_at=_now()))
        version = step
    return version


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# Values the store keeps


@dataclass(frozen=True, slots=True)
class FileState:
    """A watched file as the store knows it.  `position`/`line`: where the next read starts
    (a record header); `complete`: everything up to the end was counted (the file stopped
    growing or was rotated away)."""

    path: str
    dev: str | None
    ino: str | None
    gzip: bool
    head_len: int
    head_sha: str
    size: int
    mtime_ns: int
    position: int
    line: int
    layout: str | None
    complete: bool
    records: int  # counted so far, the provisional ones (`pending`) included
    anchor_sha: str | None = None
    first_run: int = 0
    pending: int = 0  # records after `position` counted provisionally


@dataclass(frozen=True, slots=True)
class SetState:
    """Where the next run continues: the builder and the counts up to the read positions."""

    key: str
    builder: dict[str, Any]
    counter: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SetUpdate:
    """What one run found in one rotated set, committed together with the others.

    `builder`, `counter` and `timeline` (failures per hour added by this run) cover the records
    up to the new read positions.  The records after them (the live file's last record, which
    may still grow) are provisional: `shown_counter` and `provisional_hours` include them, and
    `incidents`/`unrecognized` are the results with them; the next run takes them back out and
    counts them again as they are then.
    """

    key: str
    builder: dict[str, Any]
    counter: dict[str, Any]
    files: tuple[FileState, ...]
    incidents: Sequence[Incident]  # may be a spill file (`logdoctor.spill`)
    unrecognized: tuple[Unrecognized, ...]
    timeline: tuple[TimelinePoint, ...]
    shown_counter: dict[str, Any] | None = None
    provisional_hours: tuple[TimelinePoint, ...] = ()
    provisional_incidents: tuple[str, ...] = ()  # store keys only the provisional part made
    provisional_unrecognized: tuple[str, ...] = ()  # fingerprints likewise


@dataclass(frozen=True, slots=True)
class RunInfo:
    started_at: datetime
    paths: tuple[str, ...]
    records: int
    bytes: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredIncident:
    key: str
    incident: Incident
    first_run: int
    last_run: int
    resolved_run: int | None


@dataclass(frozen=True, slots=True)
class StoredUnrecognized:
    group: Unrecognized
    first_run: int
    last_run: int
    run_count: int


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    started_at: str
    finished_at: str
    paths: tuple[str, ...]
    records: int
    bytes: int
    notes: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------
# Codecs: what the result types become in the store's JSON columns


def ts_text(ts: datetime | None) -> str | None:
    """A fixed-width ISO text, so that comparing texts compares times."""
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _ts_from(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _alt_state(a: Alternative) -> dict[str, Any]:
    return {"rule": a.rule, "category": a.category, "confidence": a.confidence, "title": a.title}


def _alt_from(s: dict[str, Any]) -> Alternative:
    return Alternative(
        rule=s["rule"], category=s["category"], confidence=float(s["confidence"]), title=s["title"]
    )


def incident_to_state(i: Incident) -> dict[str, Any]:
    return {
        "id": i.id,
        "rule": i.rule,
        "category": i.category,
        "severity": i.severity,
        "title": i.title,
        "status": i.status,
        "first_seen": None if i.first_seen is None else i.first_seen.isoformat(),
        "last_seen": None if i.last_seen is None else i.last_seen.isoformat(),
        "count": i.count,
        "settings": settings_to_state(i.settings),
        "confidence": i.confidence,
        "cause": i.cause,
        "fix": list(i.fix),
        "verify": list(i.verify),
        "reasons": list(i.reasons),
        "evidence": [evidence_to_state(e) for e in i.evidence],
        "alternatives": [_alt_state(a) for a in i.alternatives],
        "resolved_by": i.resolved_by,
        "scope": i.scope,
        "fingerprint": i.fingerprint,
    }


def incident_from_state(s: dict[str, Any]) -> Incident:
    return Incident(
        id=s["id"],
        rule=s["rule"],
        category=s["category"],
        severity=s["severity"],
        title=s["title"],
        status="resolved" if s["status"] == "resolved" else "ongoing",
        first_seen=_ts_from(s["first_seen"]),
        last_seen=_ts_from(s["last_seen"]),
        count=int(s["count"]),
        settings=settings_from_state(s["settings"]),
        confidence=float(s["confidence"]),
        cause=s["cause"],
        fix=tuple(s["fix"]),
        verify=tuple(s["verify"]),
        reasons=tuple(s["reasons"]),
        evidence=tuple(evidence_from_state(e) for e in s["evidence"]),
        alternatives=tuple(_alt_from(a) for a in s["alternatives"]),
        resolved_by=s["resolved_by"],
        scope=s["scope"],
        fingerprint=s["fingerprint"],
    )


def unrecognized_to_state(u: Unrecognized) -> dict[str, Any]:
    return {
        "fingerprint": u.fingerprint,
        "count": u.count,
        "first_seen": None if u.first_seen is None else u.first_seen.isoformat(),
        "last_seen": None if u.last_seen is None else u.last_seen.isoformat(),
        "example": u.example,
        "types": list(u.types),
        "evidence": [evidence_to_state(e) for e in u.evidence],
        "candidates": [_alt_state(a) for a in u.candidates],
        "settings": settings_to_state(u.settings),
    }


def unrecognized_from_state(s: dict[str, Any]) -> Unrecognized:
    return Unrecognized(
        fingerprint=s["fingerprint"],
        count=int(s["count"]),
        first_seen=_ts_from(s["first_seen"]),
        last_seen=_ts_from(s["last_seen"]),
        example=s["example"],
        types=tuple(s["types"]),
        evidence=tuple(evidence_from_state(e) for e in s["evidence"]),
        candidates=tuple(_alt_from(a) for a in s["candidates"]),
        settings=settings_from_state(s["settings"]),
    )


def counter_to_state(c: EventCounter) -> dict[str, Any]:
    return {
        "records": c.records,
        "by_level": dict(c.by_level),
        "config_loads": c.config_loads,
        "sends_ok": c.sends_ok,
        "sends_failed": c.sends_failed,
        "service_starts": c.service_starts,
        "service_stops": c.service_stops,
        "other": c.other,
        "damaged_records": c.damaged_records,
        "damaged": list(c.damaged),
        "first": None if c.first is None else c.first.isoformat(),
        "last": None if c.last is None else c.last.isoformat(),
    }


def counter_from_state(s: dict[str, Any] | None) -> EventCounter:
    c = EventCounter()
    if not s:
        return c
    c.records = int(s["records"])
    c.by_level.update({str(k): int(v) for k, v in s["by_level"].items()})
    c.config_loads = int(s["config_loads"])
    c.sends_ok = int(s["sends_ok"])
    c.sends_failed = int(s["sends_failed"])
    c.service_starts = int(s["service_starts"])
    c.service_stops = int(s["service_stops"])
    c.other = int(s["other"])
    c.damaged_records = int(s["damaged_records"])
    c.damaged = [str(d) for d in s["damaged"]]
    c.first = _ts_from(s["first"])
    c.last = _ts_from(s["last"])
    return c


def merge_counters(counters: Sequence[EventCounter]) -> EventCounter:
    total = EventCounter()
    for c in counters:
        total.merge(c)
    return total


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# The store


class Store:
    """The incident store.  `Store.open(db)` creates or migrates it; use as a context manager."""

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location

    @classmethod
    def open(cls, db: str | Path | None = None, *, create: bool = True) -> Store:
        location = resolve_db(db)
        if not create and not is_url(location) and not Path(location).exists():
            raise LogdoctorError(
                "no incident store here yet (run `logdoctor batch` first)", path=location
            )
        engine = _engine(location)
        try:
            migrate(engine)
        except sa.exc.SQLAlchemyError as exc:
            engine.dispose()
            orig = getattr(exc, "orig", None)
            reason = str(orig) if orig is not None else str(exc)
            raise LogdoctorError(f"cannot open the store: {reason}", path=location) from exc
        return cls(engine, location)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> int:
        with self.engine.connect() as conn:
            return schema_version(conn)

    # -- what the batch needs to continue ------------------------------------------------

    def set_state(self, key: str) -> SetState | None:
        t = sets_table
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.builder, t.c.counter).where(t.c.key == key)).first()
        if row is None:
            return None
        return SetState(key=key, builder=json.loads(row.builder), counter=json.loads(row.counter))

    def files(self, key: str) -> list[FileState]:
        f, s = files_table, sets_table
        query = sa.select(f).join(s, s.c.id == f.c.set_id).where(s.c.key == key).order_by(f.c.id)
        with self.engine.connect() as conn:
            return [_file_from_row(row) for row in conn.execute(query)]

    def commit_run(self, run: RunInfo, updates: Sequence[SetUpdate]) -> int:
        """Everything one run found, in one transaction; returns the run's id."""
        with self.engine.begin() as conn:
            run_id = _new_id(
                conn.execute(
                    sa.insert(runs_table).values(
                        started_at=run.started_at.isoformat(timespec="seconds"),
                        finished_at=_now(),
                        paths=_dumps(list(run.paths)),
                        records=run.records,
                        bytes=run.bytes,
                        notes=_dumps(list(run.notes)),
                    )
                )
            )
            for update in updates:
                self._commit_set(conn, run_id, update)
        return run_id

    def _commit_set(self, conn: Connection, run_id: int, u: SetUpdate) -> None:
        s = sets_table
        found = conn.execute(sa.select(s.c.id, s.c.shown).where(s.c.key == u.key)).first()
        shown = {
            "counter": u.shown_counter,
            "hours": [[_hour(p.hour), p.category, p.count] for p in u.provisional_hours],
            "incidents": list(u.provisional_incidents),
            "unrecognized": list(u.provisional_unrecognized),
        }
        values = {
            "builder": _dumps(u.builder),
            "counter": _dumps(u.counter),
            "shown": _dumps(shown),
            "updated_run": run_id,
        }
        before: dict[str, Any] = {}
        if found is None:
            set_id = _new_id(conn.execute(sa.insert(s).values(key=u.key, **values)))
        else:
            set_id = int(found[0])
            before = json.loads(found[1]) if found[1] else {}
            conn.execute(sa.update(s).where(s.c.id == set_id).values(**values))

        conn.execute(sa.delete(files_table).where(files_table.c.set_id == set_id))
        for f in u.files:
            conn.execute(sa.insert(files_table).values(**_file_values(f, set_id, run_id)))

        # What only last run's provisional records made and this run's results no longer have.
        keys = {incident_key(u.key, i) for i in u.incidents}
        ghosts = [k for k in before.get("incidents", []) if k not in keys]
        if ghosts:
            conn.execute(sa.delete(incidents_table).where(incidents_table.c.key.in_(ghosts)))
        prints = {g.fingerprint for g in u.unrecognized}
        t = unrecognized_table
        for fp in before.get("unrecognized", []):
            if fp not in prints:
                conn.execute(sa.delete(t).where((t.c.set_id == set_id) & (t.c.fingerprint == fp)))

        self._upsert_incidents(conn, set_id, run_id, u.key, u.incidents)
        for group in u.unrecognized:
            self._upsert_unrecognized(conn, set_id, run_id, group)

        # Failures per hour: this run's counted ones, plus its provisional ones, minus the
        # provisional ones of the run before (they are counted again, now or later).
        delta: dict[tuple[str, str], int] = {}
        for hour, category, count in before.get("hours", []):
            delta[(hour, category)] = delta.get((hour, category), 0) - int(count)
        for point in (*u.timeline, *u.provisional_hours):
            key = (_hour(point.hour), point.category)
            delta[key] = delta.get(key, 0) + point.count
        h = hours_table
        for (hour, category), change in sorted(delta.items()):
            if not change:
                continue
            where = (h.c.set_id == set_id) & (h.c.hour == hour) & (h.c.category == category)
            old = conn.execute(sa.select(h.c.count).where(where)).scalar()
            total = int(old or 0) + change
            if old is None:
                conn.execute(
                    sa.insert(h).values(set_id=set_id, hour=hour, category=category, count=total)
                )
            elif total > 0:
                conn.execute(sa.update(h).where(where).values(count=total))
            else:
                conn.execute(sa.delete(h).where(where))

    def _upsert_incidents(
        self,
        conn: Connection,
        set_id: int,
        run_id: int,
        set_key: str,
        incidents: Sequence[Incident],
    ) -> None:
        """Insert or update the incidents, in bulk: a first run over a year of log writes tens
        of thousands, and one statement per row costs seconds of SQLAlchemy overhead.  Done
        in slices, so their rows (a few KB of JSON each) are never all in memory at once."""
        for at in range(0, len(incidents), _IN_CHUNK):
            keyed = [(incident_key(set_key, i), i) for i in incidents[at : at + _IN_CHUNK]]
            _upsert_slice(conn, set_id, run_id, keyed)

    def _upsert_unrecognized(
        self, conn: Connection, set_id: int, run_id: int, g: Unrecognized
    ) -> None:
        t = unrecognized_table
        where = (t.c.set_id == set_id) & (t.c.fingerprint == g.fingerprint)
        values = {
            "count": g.count,
            "first_seen": ts_text(g.first_seen),
            "last_seen": ts_text(g.last_seen),
            "data": _dumps(unrecognized_to_state(g)),
        }
        old = conn.execute(sa.select(t.c.count).where(where)).scalar()
        if old is None:
            conn.execute(
                sa.insert(t).values(
                    set_id=set_id,
                    fingerprint=g.fingerprint,
                    first_run=run_id,
                    last_run=run_id,
                    run_count=g.count,
                    **values,
                )
            )
        elif int(old) != g.count:
            conn.execute(
                sa.update(t)
                .where(where)
                .values(last_run=run_id, run_count=g.count - int(old), **values)
            )

    # -- what reports read ---------------------------------------------------------------

    def incidents(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        run: int | None = None,
    ) -> list[StoredIncident]:
        """Incidents that overlap [since, until], oldest first (see `iter_incidents`)."""
        return list(self.iter_incidents(since=since, until=until, run=run))

    def iter_incidents(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        run: int | None = None,
    ) -> Iterator[StoredIncident]:
        """Incidents that overlap [since, until], oldest first, read a page at a time.  With
        `run`, only those a night's summary lists: first seen or resolved in that run, or still
        ongoing (a year of history is tens of thousands of incidents; a night needs few)."""
        t = incidents_table
        query = sa.select(t.c.key, t.c.data, t.c.first_run, t.c.last_run, t.c.resolved_run)
        if run is not None:
            query = query.where(
                sa.or_(t.c.first_run == run, t.c.resolved_run == run, t.c.status == "ongoing")
            )
        if since is not None:
            query = query.where(sa.or_(t.c.last_seen.is_(None), t.c.last_seen >= ts_text(since)))
        if until is not None:
            query = query.where(sa.or_(t.c.first_seen.is_(None), t.c.first_seen <= ts_text(until)))
        query = query.order_by(t.c.first_seen, t.c.key).execution_options(yield_per=500)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                yield StoredIncident(
                    key=row.key,
                    incident=incident_from_state(json.loads(row.data)),
                    first_run=int(row.first_run),
                    last_run=int(row.last_run),
                    resolved_run=None if row.resolved_run is None else int(row.resolved_run),
                )

    def unrecognized(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[StoredUnrecognized]:
        """Unrecognized groups that overlap [since, until], the commonest first."""
        t = unrecognized_table
        query = sa.select(t.c.data, t.c.first_run, t.c.last_run, t.c.run_count)
        if since is not None:
            query = query.where(sa.or_(t.c.last_seen.is_(None), t.c.last_seen >= ts_text(since)))
        if until is not None:
            query = query.where(sa.or_(t.c.first_seen.is_(None), t.c.first_seen <= ts_text(until)))
        query = query.order_by(t.c.count.desc(), t.c.fingerprint)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            StoredUnrecognized(
                group=unrecognized_from_state(json.loads(row.data)),
                first_run=int(row.first_run),
                last_run=int(row.last_run),
                run_count=int(row.run_count),
            )
            for row in rows
        ]

    def hour_counts(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[str, str, int]]:
        """(hour, category, failures) summed over all sets, hour as `YYYY-MM-DDTHH:00:00`."""
        h = hours_table
        total = sa.func.sum(h.c.count)
        query = sa.select(h.c.hour, h.c.category, total).group_by(h.c.hour, h.c.category)
        if since is not None:
            query = query.where(h.c.hour >= since.strftime("%Y-%m-%dT%H:00:00"))
        if until is not None:
            query = query.where(h.c.hour <= until.strftime("%Y-%m-%dT%H:%M:%S"))
        query = query.order_by(h.c.hour, h.c.category)
        with self.engine.connect() as conn:
            return [(str(r[0]), str(r[1]), int(r[2])) for r in conn.execute(query)]

    def timeline(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> tuple[TimelinePoint, ...]:
        return tuple(
            TimelinePoint(hour=datetime.fromisoformat(hour), category=category, count=count)
            for hour, category, count in self.hour_counts(since=since, until=until)
        )

    def counter(self) -> EventCounter:
        """The running counts of every set, added up."""
        t = sets_table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.counter, t.c.shown).order_by(t.c.id)).all()
        counters = []
        for counter, shown in rows:
            provisional = json.loads(shown).get("counter") if shown else None
            counters.append(counter_from_state(provisional or json.loads(counter)))
        return merge_counters(counters)

    def sources(self) -> tuple[SourceStats, ...]:
        """Every file the store follows: bytes counted so far and records."""
        f = files_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(f.c.path, f.c.position, f.c.records, f.c.layout).order_by(f.c.id)
            ).all()
        return tuple(
            SourceStats(
                path=r.path,
                bytes=int(r.position),
                records=int(r.records),
                # Named as `analyze` names it ("Dovetail SDK (tab)"), not by its pattern.
                layout=stored_layout(r.layout).name if r.layout else "",
            )
            for r in rows
        )

    def stats(self) -> ReadStats:
        return self.counter().to_stats(self.sources())

    def runs(self) -> list[RunRow]:
        r = runs_table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(r).order_by(r.c.id)).all()
        return [
            RunRow(
                id=int(row.id),
                started_at=row.started_at,
                finished_at=row.finished_at,
                paths=tuple(json.loads(row.paths)),
                records=int(row.records),
                bytes=int(row.bytes),
                notes=tuple(json.loads(row.notes)),
            )
            for row in rows
        ]


def _hour(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:00:00")


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no key for a new row")
    return int(key[0])


def _upsert_slice(
    conn: Connection, set_id: int, run_id: int, keyed: Sequence[tuple[str, Incident]]
) -> None:
    t = incidents_table
    rows: dict[str, dict[str, Any]] = {}
    columns = (t.c.key, t.c.status, t.c.count, t.c.first_run, t.c.last_run, t.c.resolved_run)
    query = sa.select(*columns).where(t.c.key.in_(sorted({key for key, _ in keyed})))
    for found in conn.execute(query):
        rows[found.key] = dict(found._mapping)
    stored = set(rows)
    for key, i in keyed:
        values = {
            "set_id": set_id,
            "id": i.id,
            "rule": i.rule,
            "category": i.category,
            "severity": i.severity,
            "status": i.status,
            "first_seen": ts_text(i.first_seen),
            "last_seen": ts_text(i.last_seen),
            "count": i.count,
            "data": _dumps(incident_to_state(i)),
        }
        row = rows.get(key)
        if row is None:
            resolved = run_id if i.status == "resolved" else None
            rows[key] = {
                "key": key,
                "first_run": run_id,
                "last_run": run_id,
                "resolved_run": resolved,
                **values,
            }
            continue
        if int(row["count"]) != i.count:
            row["last_run"] = run_id
        if row["status"] != "resolved" and i.status == "resolved":
            row["resolved_run"] = run_id
        row.update(values)
    inserts = [row for key, row in rows.items() if key not in stored]
    updates = [
        {"old_key": key, **{k: v for k, v in row.items() if k != "key"}}
        for key, row in rows.items()
        if key in stored
    ]
    if inserts:
        conn.execute(sa.insert(t), inserts)
    if updates:
        # Every other column is in each row: SQLAlchemy sets them all from the parameters.
        conn.execute(sa.update(t).where(t.c.key == sa.bindparam("old_key")), updates)


def incident_key(set_key: str, i: Incident) -> str:
    """The store's own key of an incident: stable while it grows.

    The contract's `id` names the incident's commonest rule, which can change as failures add
    up; this key is what the incident is made of: its set, category, settings, first failure.
    """
    from logdoctor.incidents import settings_key
    from logdoctor.mask import digest

    first = i.evidence[0] if i.evidence else None
    since = ts_text(i.first_seen) or (f"{first.path}:{first.line}" if first else "?")
    return digest(set_key, i.category, repr(settings_key(i.settings)), since)


def _file_values(f: FileState, set_id: int, run_id: int) -> dict[str, Any]:
    return {
        "set_id": set_id,
        "path": f.path,
        "dev": f.dev,
        "ino": f.ino,
        "gzip": f.gzip,
        "head_len": f.head_len,
        "head_sha": f.head_sha,
        "anchor_sha": f.anchor_sha,
        "size": f.size,
        "mtime_ns": f.mtime_ns,
        "position": f.position,
        "line": f.line,
        "layout": f.layout,
        "complete": f.complete,
        "records": f.records,
        "first_run": f.first_run or run_id,
        "last_run": run_id,
        "pending": f.pending,
    }


def _file_from_row(row: Any) -> FileState:
    return FileState(
        path=row.path,
        dev=row.dev,
        ino=row.ino,
        gzip=bool(row.gzip),
        head_len=int(row.head_len),
        head_sha=row.head_sha,
        size=int(row.size),
        mtime_ns=int(row.mtime_ns),
        position=int(row.position),
        line=int(row.line),
        layout=row.layout,
        complete=bool(row.complete),
        records=int(row.records),
        anchor_sha=row.anchor_sha,
        first_run=int(row.first_run),
        pending=int(row.pending),
    )
