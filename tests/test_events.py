"""The learning loop's event store (tpop_kb/events.py): privacy, recording off, two
writers, retention, migration, comment scrubbing, the command line."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import sqlite3
import threading

import pytest

from tpop_kb import events
from tpop_kb.orders import Order
from tpop_kb.triage import triage_order

MARK = "ZQXMARKERQZX"
SHIPPED = dt.datetime(2026, 11, 20, 10, 17)
AS_OF = dt.datetime(2026, 12, 5, 10, 43)


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "events.sqlite3"
    monkeypatch.setenv("TPOP_KB_EVENTS_DB", str(path))
    monkeypatch.delenv("TPOP_KB_EVENTS", raising=False)
    return path


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


def test_an_answer_is_recorded_with_tree_ids_only(db):
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


def test_no_marker_reaches_the_store(db):
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
    data = _db_bytes(db)
    assert MARK.encode() not in data and MARK.lower().encode() not in data
    for secret in (b"LA123456785FR", b"123 456 785", b"2026-11-20", b"10:17", b"10:43",
                   b"example.com", b"12 34 56"):
        assert secret not in data, secret
    with sqlite3.connect(db) as conn:
        text = json.dumps(conn.execute("SELECT * FROM events").fetchall()
                          + conn.execute("SELECT * FROM feedback").fetchall())
    assert MARK not in text and "2026-11-20" not in text


def test_recording_off_records_nothing(db, monkeypatch):
    monkeypatch.setenv("TPOP_KB_EVENTS", "off")
    assert not events.enabled()
    assert events.record_answer(_decision(), "en") == ""
    events.record_bulk({"contact_tpop": 1}, "en")
    assert not events.record_feedback("0" * 32, "yes")
    assert events.flush()
    assert not db.exists()


def test_a_failed_write_is_logged_once_and_never_raises(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("TPOP_KB_EVENTS_DB", str(blocker / "sub" / "events.sqlite3"))
    monkeypatch.setattr(events, "_FAILED", False)
    for _ in range(3):
        assert events.record_answer(_decision(), "en")
    assert events.flush()
    assert sum("could not record" in r.message for r in caplog.records) == 1


def _write_many(path: str, n: int) -> None:
    store = events.EventStore(path)
    event = events.bulk_event({"contact_tpop": 1}, "en")
    for _ in range(n):
        store.add_events([event])


def test_two_writers_at_once_lose_nothing(db):
    threads = [threading.Thread(target=_write_many, args=(str(db), 150)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(str(db), 100)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert events.EventStore(db).count() == 500


def test_retention_deletes_old_events(db):
    store = events.open_store()
    old = events.bulk_event({"contact_tpop": 1}, "en",
                            now=dt.datetime.now(dt.UTC) - dt.timedelta(days=200))
    new = events.bulk_event({"contact_tpop": 1}, "en")
    store.add_events([old, new])
    assert store.count() == 2
    assert events.EventStore(db).count() == 1  # applied when the store is opened
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


def test_feedback_is_stored_scrubbed_with_a_known_reason(db):
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


def test_summary_and_scenario_draft(db):
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


def test_cli_summary_and_export(db, tmp_path, capsys):
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


def _postgres_skip_reason() -> str:
    import glob
    import importlib.util
    import os

    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL binaries not installed (Debian's postgresql package)"
    if importlib.util.find_spec("psycopg") is None:
        return "no PostgreSQL driver for SQLAlchemy (pip install psycopg)"
    if os.geteuid() == 0:
        return "initdb refuses to run as root"
    return ""


@pytest.mark.skipif(bool(_postgres_skip_reason()), reason=_postgres_skip_reason() or "-")
def test_postgresql_store(tmp_path):
    """A real PostgreSQL on a Unix socket in tmp_path: migrate, write, summarise."""
    import glob
    import subprocess

    bin_dir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    data, sock = tmp_path / "pg", tmp_path / "sock"
    sock.mkdir()
    subprocess.run([f"{bin_dir}/initdb", "-D", str(data), "-U", "tpop", "-A", "trust"],
                   check=True, capture_output=True)
    subprocess.run([f"{bin_dir}/pg_ctl", "-D", str(data), "-w", "-o",
                    f"-k {sock} -c listen_addresses=''", "start"], check=True,
                   capture_output=True)
    try:
        url = f"postgresql+psycopg://tpop@/postgres?host={sock}"
        store = events.EventStore(url)
        assert store.version() == events.SCHEMA_VERSION
        store.add_events([events.answer_event(_decision(), "en")])
        store.add_events([events.bulk_event({"contact_tpop": 2}, "fr")])
        assert events.summary(store)["answers"] == 1
        assert events.EventStore(url).count() == 2
        store.close()
    finally:
        subprocess.run([f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
