"""Events and incidents cross processes and spill files as pickles: they must come back whole."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import datetime
from typing import cast

import pytest

from logdoctor.model import (
    ConfigLoaded,
    ExceptionChain,
    ExceptionLink,
    SendFailed,
    SendSucceeded,
    SmtpReply,
    SmtpSettings,
)
from logdoctor.quickpickle import quick_pickle
from logdoctor.report_model import Alternative, Evidence, Incident

WHEN = datetime(2026, 11, 27, 10, 15, 2, 123000)
SETTINGS = SmtpSettings(
    host="smtp.office365.com",
    port=587,
    enable_ssl=True,
    ssl_mode="UseStartTls",
    timeout_s=10.0,
    extra=(("UserName", "joe"),),
)
CHAIN = ExceptionChain(
    links=(ExceptionLink(type="System.IO.IOException", message="reset", frames=("at X.Y()",)),),
    text="System.IO.IOException: reset",
    smtp_replies=(SmtpReply(code=535, enhanced="5.7.8", text="bad"),),
    socket_errors=(10054,),
)
OBJECTS = [
    SETTINGS,
    CHAIN,
    ConfigLoaded(path="Rulemanager.log", line=3, timestamp=WHEN, settings=SETTINGS),
    SendFailed(
        path="Rulemanager.log",
        line=9,
        timestamp=WHEN,
        chain=CHAIN,
        scope="fatal",
        settings=SETTINGS,
        text=CHAIN.text,
        shape="\x00E\x00",
    ),
    SendSucceeded(path="Rulemanager.log", line=12, timestamp=None, settings=None),
    Incident(
        id="abc",
        rule="r",
        category="network.filtering",
        severity="critical",
        title="t",
        status="resolved",
        first_seen=WHEN,
        last_seen=WHEN,
        count=2,
        settings=SETTINGS,
        confidence=0.9,
        cause="c",
        fix=("f",),
        evidence=(Evidence("p", 5, "text", WHEN),),
        alternatives=(Alternative("r2", "unknown", 0.2, "t2"),),
        resolved_by="mail was sent",
    ),
]


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: type(o).__name__)
def test_round_trip_keeps_every_field(obj: object) -> None:
    back = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == obj and type(back) is type(obj)
    first = dataclasses.fields(back)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(back, first, None)


def test_a_subclass_pickles_its_base_fields_too() -> None:
    event = OBJECTS[3]
    assert isinstance(event, SendFailed)
    state = cast(tuple[object, ...], event.__getstate__())
    assert state[:3] == ("Rulemanager.log", 9, WHEN)


def test_a_class_with_one_field_is_refused() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class One:
        x: int

    with pytest.raises(TypeError):
        quick_pickle(One)
