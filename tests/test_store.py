"""The incident store: its schema and migrations, and the incident state it keeps between runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from logdoctor.analysis import analyze_paths
from logdoctor.batch import run_batch
from logdoctor.errors import LogdoctorError
from logdoctor.incidents import IncidentBuilder
from logdoctor.kb.loader import load_kb
from logdoctor.pipeline import LogReading
from logdoctor.store import (
    ENV_DB,
    SCHEMA_VERSION,
    Store,
    incident_key,
    migrate,
    migrations_table,
    resolve_db,
)

KB = load_kb()
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "Rulemanager.log"
LOGGER = "FChoice.RuleManager.Email.EmailService"


def config(ts: str, port: int, mode: str) -> str:
    return (
        f"{ts} [4] INFO  {LOGGER} - SMTP server configuration loaded: Host: smtp.office365.com, "
        f"Port: {port}, Enable SSL: Yes, SSL Mode: {mode}, Timeout: 10 seconds\r\n"
    )


def handshake(ts: str) -> str:
    return (
        f"{ts} [4] ERROR {LOGGER} - FChoice.RuleManager.FatalEmailServiceException: Failed to "
        "send an email ---> MailBee.Security.MailBeeSslNegotiationException: IOException "
        "occurred during SSL negotiation ---> System.IO.IOException: The handshake failed due "
        "to an unexpected packet format.\r\n"
        "   at System.Net.Security.SslState.StartReadFrame(Byte[] buffer, Int32 readBytes)\r\n"
    )


def chatter(ts: str, n: int) -> str:
    return f"{ts} [7] DEBUG FChoice.RuleManager.TimeBombProcessor - Time bomb {n} processed\r\n"


def sent(ts: str, n: int) -> str:
    return f"{ts} [4] INFO  {LOGGER} - Email sent successfully to user{n}@example.com\r\n"


def shape(incidents: object) -> list[tuple[object, ...]]:
    return sorted(
        (i.category, i.count, i.status, str(i.first_seen), str(i.last_seen))
        for i in incidents  # type: ignore[attr-defined]
    )


# -- the builder's state between runs ---------------------------------------------------------


@pytest.mark.parametrize("split", [0.2, 0.5, 0.8])
def test_builder_state_survives_json_and_continues_exactly(split: float) -> None:
    events = list(LogReading([SAMPLE]).events())
    cut = int(len(events) * split)
    whole = IncidentBuilder(KB).feed_all(events)

    first = IncidentBuilder(KB).feed_all(events[:cut])
    stored = {incident_key("s", i): i.as_contract() for i in first.incidents()}
    state = json.loads(json.dumps(first.snapshot()))
    second = IncidentBuilder.restore(KB, state).feed_all(events[cut:])
    stored.update({incident_key("s", i): i.as_contract() for i in second.incidents()})

    expected = {incident_key("s", i): i.as_contract() for i in whole.incidents()}
    assert stored == expected
    assert [u.as_contract() for u in second.unrecognized()] == [
        u.as_contract() for u in whole.unrecognized()
    ]


def timeout(ts: str) -> str:
    return (
        f"{ts} [4] ERROR {LOGGER} - FChoice.RuleManager.FatalEmailServiceException: Failed to "
        "send an email ---> MailBee.MailBeeSocketTimeoutException: Socket connection has timed "
        "out. ---> System.Net.Sockets.SocketException: A connection attempt failed because the "
        "connected party did not properly respond after a period of time 10.1.2.3:25\r\n"
    )


def test_settings_that_worked_are_remembered_across_runs(tmp_path: Path) -> None:
    """Mail went out one night; the next night the same settings time out: the history says
    the network changed, not the settings, although the success is in last night's run."""
    log = tmp_path / "Rulemanager.log"
    text = (
        f"2026-11-20 08:00:00,000 [4] INFO  {LOGGER} - SMTP server configuration loaded: "
        "Host: relay.corp.local, Port: 25, Enable SSL: Yes, SSL Mode: UseStartTls, "
        "Timeout: 10 seconds\r\n"
    )
    text += sent("2026-11-20 10:00:00,000", 1) + chatter("2026-11-20 23:00:00,000", 1)
    log.write_text(text, newline="")
    with Store.open(tmp_path / "store.db") as store:
        run_batch([log], store, KB)
        assert store.incidents() == []
        with log.open("a", newline="") as fh:
            fh.write("".join(timeout(f"2026-11-21 10:{m:02d}:00,000") for m in range(3)))
        run_batch([log], store, KB)
        (stored,) = store.incidents()
    assert stored.incident.category == "network.timeout"
    assert stored.incident.rule == "net-timeout-after-working"


# -- where the store lives ----------------------------------------------------------------------


def test_db_location_option_then_environment_then_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DB, str(tmp_path / "env.db"))
    assert resolve_db(tmp_path / "given.db") == str(tmp_path / "given.db")
    assert resolve_db(None) == str(tmp_path / "env.db")
    monkeypatch.delenv(ENV_DB)
    assert resolve_db(None).endswith("logdoctor.db")


def test_report_on_a_store_that_does_not_exist_says_so(tmp_path: Path) -> None:
    with pytest.raises(LogdoctorError, match="no incident store"):
        Store.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_a_store_from_a_newer_logdoctor_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    Store.open(db).close()
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.insert(migrations_table).values(version=99, applied_at="2027-01-01"))
    engine.dispose()
    with pytest.raises(LogdoctorError, match="newer than this logdoctor"):
        Store.open(db)


# -- migrations -------------------------------------------------------------------------------

_V1_COLUMNS_DROPPED = {"files": {"anchor_sha", "pending"}, "log_sets": {"shown"}}


def _copy_as_v1(new_db: Path, old_db: Path) -> None:
    """What a version 1 logdoctor would have written: the same rows without the v2 columns."""
    old = sa.create_engine(f"sqlite:///{old_db}")
    migrate(old, target=1)
    new = sa.create_engine(f"sqlite:///{new_db}")
    meta = sa.MetaData()
    meta.reflect(old)
    with new.connect() as src, old.begin() as dst:
        for name in ("runs", "log_sets", "files", "incidents", "unrecognized", "failure_hours"):
            table = meta.tables[name]
            rows = [dict(r._mapping) for r in src.execute(sa.text(f"SELECT * FROM {name}"))]
            for row in rows:
                if name == "files":  # v1 counted only what was final
                    row["records"] -= row["pending"]
                for column in _V1_COLUMNS_DROPPED.get(name, set()) | {"run_count"}:
                    row.pop(column, None)
            if rows:
                dst.execute(sa.insert(table), rows)
    old.dispose()
    new.dispose()


def test_a_version_1_store_is_migrated_and_the_next_run_continues(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "Rulemanager.log"
    log.parent.mkdir()
    night1 = config("2026-11-20 08:00:00,000", 587, "OnConnect")
    night1 += "".join(handshake(f"2026-11-20 08:{m:02d}:00,000") for m in range(1, 5))
    night1 += chatter("2026-11-20 23:00:00,000", 1)
    log.write_text(night1, newline="")
    with Store.open(tmp_path / "v2.db") as store:
        run_batch([log], store, KB)
    _copy_as_v1(tmp_path / "v2.db", tmp_path / "v1.db")

    with Store.open(tmp_path / "v1.db") as store:
        assert store.version() == SCHEMA_VERSION == 2
        (known,) = store.files(next(iter(_keys(store))))
        assert known.anchor_sha is None and known.pending == 0
        night2 = "".join(handshake(f"2026-11-21 08:{m:02d}:00,000") for m in range(3))
        night2 += sent("2026-11-21 09:00:00,000", 1)
        with log.open("a", newline="") as fh:
            fh.write(night2)
        run_batch([log], store, KB)
        whole = analyze_paths([log], kb=KB)
        assert shape(s.incident for s in store.incidents()) == shape(whole.incidents)
        (incident,) = [s.incident for s in store.incidents()]
        assert (incident.count, incident.status) == (7, "resolved")
        assert store.stats().records == whole.stats.records
        assert len(store.runs()) == 2


def _keys(store: Store) -> list[str]:
    from logdoctor.store import sets_table

    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(sets_table.c.key))]


def test_migration_steps_are_recorded_once(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    Store.open(db).close()
    Store.open(db).close()
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        versions = [r[0] for r in conn.execute(sa.select(migrations_table.c.version))]
    engine.dispose()
    assert versions == [1, 2]
