"""How fast `report` reads a month of nightly history from the store.

    python bench/bench_report.py [WORKDIR]

Builds a store the way cron would: 30 nights, each appending a day of RuleManager log (config
reloads, sends, failures of several kinds including one no rule explains, time-bomb chatter),
the log rolled every 7 days, one `batch` run per night.  Then it times the report from that
store: in-process (store -> Analysis -> JSON / markdown / html) and as a command (`logdoctor
report --format json`, interpreter start included).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from logdoctor.batch import run_batch
from logdoctor.kb.loader import load_kb
from logdoctor.render import render_html, render_markdown
from logdoctor.store import Store
from logdoctor.summary import build_summary, store_analysis

LOGGER = "FChoice.RuleManager.Email.EmailService"
DAYS = 30
START = datetime(2026, 10, 29)


def ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S,") + f"{when.microsecond // 1000:03d}"


def config(when: datetime, port: int, mode: str) -> str:
    return (
        f"{ts(when)} [4] INFO  {LOGGER} - SMTP server configuration loaded: Host: "
        f"smtp.office365.com, Port: {port}, Enable SSL: Yes, SSL Mode: {mode}, "
        "Timeout: 10 seconds\r\n"
    )


FAILURES = {
    "handshake": (
        "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
        "MailBee.Security.MailBeeSslNegotiationException: IOException occurred during SSL "
        "negotiation ---> System.IO.IOException: The handshake failed due to an unexpected "
        "packet format.\r\n   at System.Net.Security.SslState.StartReadFrame(Byte[] buffer, "
        "Int32 readBytes)\r\n"
    ),
    "recipient": (
        "FChoice.RuleManager.NonFatalEmailServiceException: Failed to send an email ---> "
        "MailBee.SmtpMail.MailBeeSmtpNegativeResponseException: The server responded: 550 5.1.1 "
        "<user{n}@contoso.com>: Recipient address rejected: User unknown\r\n"
    ),
    "timeout": (
        "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
        "MailBee.MailBeeSocketTimeoutException: Socket connection has timed out. ---> "
        "System.Net.Sockets.SocketException: A connection attempt failed because the connected "
        "party did not properly respond after a period of time 10.1.2.3:587\r\n"
    ),
    "odd": (
        "FChoice.RuleManager.FatalEmailServiceException: Failed to send an email ---> "
        "MailBee.MailBeeException: Flux capacitor {n} misaligned.\r\n"
    ),
}


def day_of_log(day: int, rng: random.Random) -> str:
    when = START + timedelta(days=day, hours=6)
    mode = "OnConnect" if day % 9 == 4 else "UseStartTls"  # a bad setting now and then
    out = [config(when, 587, mode)]
    for n in range(400):
        when += timedelta(seconds=rng.randint(20, 180))
        roll = rng.random()
        if mode == "OnConnect" and roll < 0.3:
            out.append(f"{ts(when)} [4] ERROR {LOGGER} - {FAILURES['handshake']}")
        elif roll < 0.05:
            kind = rng.choice(["recipient", "timeout", "odd"])
            out.append(f"{ts(when)} [4] ERROR {LOGGER} - " + FAILURES[kind].format(n=n))
        elif roll < 0.35 and mode != "OnConnect":
            out.append(f"{ts(when)} [4] INFO  {LOGGER} - Email sent successfully to u{n}@x.com\r\n")
        else:
            out.append(
                f"{ts(when)} [7] DEBUG FChoice.RuleManager.TimeBombProcessor - "
                f"Time bomb {day * 1000 + n} processed\r\n"
            )
    return "".join(out)


def build(work: Path) -> Path:
    rng = random.Random(6)
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    live = logs / "Rulemanager.log"
    db = work / "store.db"
    kb = load_kb()
    started = time.perf_counter()
    with Store.open(db) as store:
        for day in range(DAYS):
            if day and day % 7 == 0:
                for n in range(9, 0, -1):
                    older = logs / f"Rulemanager.log.{n}"
                    if older.exists():
                        older.rename(logs / f"Rulemanager.log.{n + 1}")
                live.rename(logs / "Rulemanager.log.1")
            with live.open("a", encoding="utf-8", newline="") as fh:
                fh.write(day_of_log(day, rng))
            result = run_batch([live], store, kb)
            build_summary(store, result)
    print(f"built {DAYS} nightly runs in {time.perf_counter() - started:.1f} s")
    return db


def main() -> None:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ld-bench-"))
    db = build(work)
    with Store.open(db) as store:
        timings = []
        for _ in range(5):
            t0 = time.perf_counter()
            analysis = store_analysis(store)
            text = json.dumps(analysis.as_contract())
            timings.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_markdown(analysis)
        render_html(analysis)
        rendered = time.perf_counter() - t0
    print(
        f"store: {len(analysis.incidents)} incidents, {len(analysis.unrecognized)} unrecognized "
        f"groups, {analysis.stats.records:,} records, {len(text):,} bytes of JSON"
    )
    print(f"in-process report (store -> Analysis -> JSON): best {min(timings) * 1000:.0f} ms")
    print(f"markdown + html rendering: {rendered * 1000:.0f} ms")
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "logdoctor", "report", "--db", str(db), "--format", "json"],
        capture_output=True,
        check=True,
    )
    wall = time.perf_counter() - t0
    assert json.loads(done.stdout)["incidents"]
    print(f"`logdoctor report --format json` wall time, interpreter start included: {wall:.2f} s")


if __name__ == "__main__":
    main()
