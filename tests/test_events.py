"""The learning loop's event store (tpop_kb/events.py): privacy, recording off, two
writers, retention, migration, comment scrubbing, the command line."""

from __future__ import annotations

import datetime as dt
import glob
import importlib.util
import json
import multiprocessing
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tpop_kb import events
from tpop_kb.orders import Order
from tpop_kb.triage import triage_order

MARK = "ZQXMARKERQZX"
SHIPPED = dt.datetime(2026, 11, 20, 10, 17)
AS_OF = dt.datetime(2026, 12, 5, 10, 43)


def _decision(**fields):
    order = Order(**{
        "order_id": "TP-1", "shipped_at": SHIPPED, "tracking_number": "LA123456785FR",
        "destination_country": "DE", "tracking_status": "in_transit",
        "customer_claim": "not_received", **fields,
    })
    return triage_order(order, AS_OF)


def _db_bytes(path):
    data = path.read_bytes()
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            data += extra.read_bytes()
    return data


def test_an_answer_is_recorded_with_tree_ids_only(events_db):
    decision = _decision()
    ref = events.record_answer(decision, "en")
    assert events.flush()
    store = events.open_store()
    (row,) = store.rows("SELECT ref, page, lang, outcome, path, country, age_band, status, "
                        "claim, kb_version, hour FROM events")
    assert row[0] == ref and row[1:4] == ("order_assistant", "en", decision.code)
    assert row[4].split()[0] == "q_valid=yes"
    assert row[5:9] == ("DE", "15-21", "in_transit", "not_received")
    assert row[10].endswith(":00")  # to the hour


def test_no_marker_reaches_the_store(events_db):
    """Every field of an order holds a marker: none of it, nor the dates, is stored."""
    order = Order(order_id=MARK, shipped_at=SHIPPED, tracking_number=MARK,
                  destination_country=MARK, tracking_status=MARK, customer_claim=MARK,
                  store_tracking_synced=None, errors=(MARK,))
    decision = triage_order(order, AS_OF)
    ref = events.record_answer(decision, "fr")
    assert ref
    events.record_feedback(ref, "no", "other",
                           f"client {MARK}@example.com LA 123 456 785 FR +33 6 12 34 56 78")
    events.record_bulk({"contact_tpop": 3, MARK: 2}, "fr")
    assert events.flush()
    events.open_store().close()
    data = _db_bytes(events_db)
    assert MARK.encode() not in data and MARK.lower().encode() not in data
    for secret in (b"LA123456785FR", b"123 456 785", b"2026-11-20", b"10:17", b"10:43",
                   b"example.com", b"12 34 56"):
        assert secret not in data, secret
    with sqlite3.connect(events_db) as conn:
        text = json.dumps(conn.execute("SELECT * FROM events").fetchall()
                          + conn.execute("SELECT * FROM feedback").fetchall())
    assert MARK not in text and "2026-11-20" not in text


def test_recording_off_records_nothing(events_db, monkeypatch):
    monkeypatch.setenv("TPOP_KB_EVENTS", "off")
    assert not events.enabled()
    assert events.record_answer(_decision(), "en") == ""
    events.record_bulk({"contact_tpop": 1}, "en")
    assert not events.record_feedback("0" * 32, "yes")
    assert events.flush()
    assert not events_db.exists()


def test_a_failed_write_is_logged_once_and_never_raises(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("TPOP_KB_EVENTS_DB", str(blocker / "sub" / "events.sqlite3"))
    monkeypatch.setattr(events, "_FAILED", False)
    for _ in range(3):
        assert events.record_answer(_decision(), "en")
    assert events.flush()
    assert sum("could not record" in r.message for r in caplog.records) == 1


def _write_many(target: str, n: int, start=None) -> None:
    if start is not None:
        start.wait()  # every writer opens the store at the same moment
    store = events.EventStore(target)
    event = events.bulk_event({"contact_tpop": 1}, "en")
    for _ in range(n):
        store.add_events([event])
    store.close()


def _writers_at_once(target: str, n: int) -> None:
    """Two processes and two threads open ``target`` at once (a barrier: on a new store,
    all four migrate it together) and write ``n`` events each."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(4, timeout=120)
    errors: list[BaseException] = []

    def in_thread() -> None:
        try:
            _write_many(target, n, start)
        except BaseException as exc:  # shown by the assertion below
            errors.append(exc)

    procs = [ctx.Process(target=_write_many, args=(target, n, start)) for _ in range(2)]
    threads = [threading.Thread(target=in_thread) for _ in range(2)]
    for worker in (*procs, *threads):
        worker.start()
    for t in threads:
        t.join(180)
    for p in procs:
        p.join(180)
    assert not errors, errors
    assert [p.exitcode for p in procs] == [0, 0]


def test_two_writers_at_once_lose_nothing(events_db):
    _writers_at_once(str(events_db), 100)  # a new database: created by four at once
    store = events.EventStore(events_db)
    assert store.count() == 400
    _writers_at_once(str(events_db), 100)  # the existing one
    assert store.count() == 800
    assert store.rows("SELECT COUNT(*) FROM schema_version")[0][0] == events.SCHEMA_VERSION
    store.close()


def test_retention_deletes_old_events(events_db):
    store = events.open_store()
    old = events.bulk_event({"contact_tpop": 1}, "en",
                            now=dt.datetime.now(dt.UTC) - dt.timedelta(days=200))
    new = events.bulk_event({"contact_tpop": 1}, "en")
    store.add_events([old, new])
    assert store.count() == 2
    assert events.EventStore(events_db).count() == 1  # applied when the store is opened
    assert events.settings()["retention_days"] == 180


def test_migration_from_an_empty_file(tmp_path):
    path = tmp_path / "empty.sqlite3"
    path.write_bytes(b"")
    store = events.EventStore(path)
    assert store.version() == events.SCHEMA_VERSION
    assert store.rows("PRAGMA journal_mode")[0][0] == "wal"
    events.EventStore(path)  # opening again does not migrate twice
    assert store.rows("SELECT COUNT(*) FROM schema_version")[0][0] == events.SCHEMA_VERSION


@pytest.mark.parametrize(("text", "gone"), [
    ("see LA123456785FR please", "LA123456785FR"),
    ("number LA 123 456 785 FR is wrong", "456"),
    ("colissimo 6A12345678901", "6A12345678901"),
    ("write to jane.doe+x@mail.example.fr", "jane"),
    ("call +33 6 12 34 56 78", "12 34"),
    ("call 06.12.34.56.78", "06.12"),
    ("order TP-202611-1042", "202611"),
])
def test_feedback_comments_are_scrubbed(text, gone):
    clean = events.scrub_comment(text)
    assert gone not in clean and "[…]" in clean


def test_feedback_is_stored_scrubbed_with_a_known_reason(events_db):
    ref = events.record_answer(_decision(), "en")
    assert events.record_feedback(ref, "no", "wrong_date", "date off, LA123456785FR")
    assert not events.record_feedback(ref, "maybe")
    assert not events.record_feedback("not-a-ref", "yes")
    events.record_feedback(ref, "no", "made_up_reason")
    assert events.flush()
    rows = events.open_store().rows("SELECT verdict, reason, comment FROM feedback ORDER BY id")
    assert rows == [("no", "wrong_date", "date off, […]"), ("no", "", "")]


def test_age_bands_come_from_the_data_file():
    assert events.age_band(None) == ""
    assert events.age_band(0) == "0-1"
    assert events.age_band(21) == "15-21"
    assert events.age_band(400) == "31+"


def test_summary_and_scenario_draft(events_db):
    decision = _decision()
    refs = [events.record_answer(decision, "en") for _ in range(3)]
    events.record_answer(_decision(destination_country="FR"), "fr")
    events.record_bulk({"contact_tpop": 4, "delivered": 1}, "en")
    events.record_feedback(refs[0], "no", "wrong_outcome", "")
    events.record_feedback(refs[1], "yes")
    assert events.flush()
    found = events.summary(events.open_store())
    assert found["answers"] == 4 and found["bulk_runs"] == 1 and found["bulk_orders"] == 5
    assert found["per_outcome"][decision.code] >= 3 and found["per_outcome"]["delivered"] == 1
    assert found["feedback"] == {"no": 1, "yes": 1}
    assert found["flagged_by_reason"] == {"wrong_outcome": 1}
    assert sum(n for _, _, n in found["paths"]) == 4
    assert ("q_valid", "yes") in events.edge_uses(found["paths"])
    assert events.summary(events.open_store(), lang="fr")["answers"] == 1
    draft = events.scenario_draft(found["flagged"][0])
    import yaml

    (scenario,) = yaml.safe_load(draft)
    assert scenario["order"]["destination_country"] == "DE"
    assert scenario["expect"]["outcome"] == "TODO"
    assert decision.code in draft


def test_cli_summary_and_export(events_db, tmp_path, capsys):
    from tpop_kb.cli import main

    events.record_answer(_decision(), "en")
    events.record_bulk({"contact_tpop": 2}, "en")
    assert events.flush()
    assert main(["events", "summary", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["answers"] == 1 and found["bulk_orders"] == 2
    assert main(["events", "summary", "--since", "2999-01-01"]) == 0
    assert "0" in capsys.readouterr().out
    out = tmp_path / "events.csv"
    assert main(["events", "export", "--format", "csv", "--output", str(out)]) == 0
    assert "outcome" in out.read_text().splitlines()[0]
    assert len(out.read_text().splitlines()) == 3
    parquet = tmp_path / "events.parquet"
    assert main(["events", "export", "--format", "parquet", "--output", str(parquet)]) == 0
    import pyarrow.parquet as pq

    assert pq.read_table(parquet).num_rows == 2
    assert main(["events", "summary", "--since", "yesterday"]) == 2


# ---------------------------------------------------------------------------
# PostgreSQL: a real server of the tests' own, on a Unix socket (no TCP port)
# ---------------------------------------------------------------------------

PG_BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def _as_postgres_user() -> list[str] | None:
    """The prefix that runs PostgreSQL's programs: none for a normal user; as root (which
    initdb refuses) ``runuser``/``setpriv`` to ``nobody``; None when there is no way."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    return None


def _postgres_skip_reason() -> str:
    if not PG_BINARIES:
        return "PostgreSQL binaries not installed (Debian's postgresql package)"
    if importlib.util.find_spec("psycopg") is None:
        return "no PostgreSQL driver for SQLAlchemy (pip install 'psycopg[binary]')"
    if _as_postgres_user() is None:
        return "running as root with no runuser/setpriv to start PostgreSQL as nobody"
    return ""


needs_postgres = pytest.mark.skipif(bool(_postgres_skip_reason()),
                                    reason=_postgres_skip_reason() or "-")


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server in a temporary folder (owned by the user it runs as: pytest's
    tmp_path is 0700 root's), on a Unix socket there; yields ``url(dbname)``."""
    bin_dir = Path(PG_BINARIES[-1]).parent
    prefix = _as_postgres_user()
    folder = Path(tempfile.mkdtemp(prefix="tpop-pg-"))
    data, log = folder / "data", folder / "server.log"
    if prefix:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)

    def pg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *args], cwd=folder, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "LC_ALL": "C"})

    started = False
    try:
        done = pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "tpop", "-A", "trust",
                  "--no-locale", "-E", "UTF8", "--no-sync")
        assert done.returncode == 0, f"initdb failed:\n{done.stdout}{done.stderr}"
        done = pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                  "-o", f"-k {folder} -c listen_addresses='' -c fsync=off", "start")
        started = done.returncode == 0
        assert started, (f"PostgreSQL did not start:\n{done.stdout}{done.stderr}"
                         f"{log.read_text() if log.exists() else ''}")

        def url(dbname: str = "postgres") -> str:
            return f"postgresql+psycopg://tpop@/{dbname}?host={folder}"

        yield url
    finally:
        if started:
            pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres, request):
    """A new, empty database of the server for one test: its SQLAlchemy URL."""
    import psycopg

    name = "t_" + re.sub(r"\W", "_", request.node.name).lower()[:50]
    with psycopg.connect(postgres().replace("postgresql+psycopg", "postgresql"),
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres(name)


@needs_postgres
def test_postgresql_store(pg_url):
    """Migrate, write, summarise, open again (no second migration), retention."""
    store = events.EventStore(pg_url)
    assert store.version() == events.SCHEMA_VERSION
    decision = _decision()
    answer = events.answer_event(decision, "en")
    store.add_events([answer])
    store.add_events([events.bulk_event({"contact_tpop": 2}, "fr")])
    store.add_feedback({"hour": answer["hour"], "ref": answer["ref"], "verdict": "no",
                        "reason": "wrong_date", "comment": "x"})
    found = events.summary(store)
    assert found["answers"] == 1 and found["bulk_runs"] == 1 and found["bulk_orders"] == 2
    assert found["per_outcome"][decision.code] >= 1
    assert found["flagged_by_reason"] == {"wrong_date": 1}
    assert found["flagged"][0]["ref"] == answer["ref"]
    assert events.summary(store, lang="fr")["answers"] == 0
    old = events.bulk_event({"contact_tpop": 1}, "en",
                            now=dt.datetime.now(dt.UTC) - dt.timedelta(days=200))
    store.add_events([old])
    again = events.EventStore(pg_url)  # migrated already; retention applied on opening
    assert again.count() == 2
    assert again.rows("SELECT COUNT(*) FROM schema_version")[0][0] == events.SCHEMA_VERSION
    assert list(again.frame().columns)[:3] == ["id", "ref", "hour"]
    store.close()
    again.close()


@needs_postgres
def test_postgresql_two_writers_at_once_lose_nothing(pg_url):
    """Processes and threads opening a new database at once: one migration, every row."""
    _writers_at_once(pg_url, 100)
    store = events.EventStore(pg_url)
    assert store.count() == 400
    assert store.rows("SELECT COUNT(*) FROM schema_version")[0][0] == events.SCHEMA_VERSION
    store.close()


@needs_postgres
def test_postgresql_migration_waits_for_the_schema_lock(pg_url):
    """The migration reads the version under ``LOCK TABLE schema_version``: while another
    session holds that lock, opening the store waits, then goes on."""
    import psycopg

    events.EventStore(pg_url).close()
    holder = psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql"))
    holder.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
    opened: list[object] = []
    opener = threading.Thread(target=lambda: opened.append(events.EventStore(pg_url)))
    opener.start()
    try:
        waiting = 0
        for _ in range(200):
            waiting = holder.execute(
                "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'schema_version' AND NOT l.granted").fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        assert waiting == 1, "opening the store did not wait for the schema lock"
        assert opener.is_alive() and not opened
    finally:
        holder.rollback()
        holder.close()
    opener.join(30)
    assert opened and opened[0].version() == events.SCHEMA_VERSION
    assert opened[0].rows("SELECT COUNT(*) FROM schema_version")[0][0] == events.SCHEMA_VERSION
    opened[0].close()


def test_store_exists_never_creates_a_file(tmp_path):
    path = tmp_path / "sub" / "events.sqlite3"
    assert not events.store_exists(str(path)) and not events.store_exists(f"sqlite:///{path}")
    assert not path.parent.exists()
    events.open_store(str(path))
    assert events.store_exists(str(path)) and events.store_exists(f"sqlite:///{path}")
    assert events.store_exists("postgresql+psycopg://user@/db")
