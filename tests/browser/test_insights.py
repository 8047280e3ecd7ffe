"""The learning loop in Chromium, through real Voila servers of this module's own.

A server whose kernels record into a temporary event store (``TPOP_KB_EVENTS_DB``, set
through the one launcher's ``env``): an answer on the order assistant and a flag on it
("no / unclear", a reason, a comment) appear on the insights page; a bulk run appears
too; an order pasted with marker strings in its tracking number, order id, customer
name and address leaves none of them in the database file's bytes (nor its ``-wal``).
A second server runs with ``TPOP_KB_EVENTS=off``: nothing is recorded and the landing
and insights pages say recording is off. The insights page with data is saved as
``docs/screenshots/insights.png``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tpop_kb import knowledge
from tpop_kb.apps._base import wording

from .conftest import START_TIMEOUT_S, VoilaServer, full_screenshot, open_voila_page

pytestmark = pytest.mark.browser

AS_OF = "2026-11-26T10:00"
TIMEOUT = 30_000
LONG_MS = 120_000
WRITE_WAIT_S = 30

#: marker strings for everything that identifies a customer or an order
ORDER_ID = "TP-73918-4462"  # the shape of a TPOP order id, so it is recognised
TRACKING = "LZ731045828FR"  # a valid S10 number (check digit 8), so it is recognised
NAME = "Zqxname Markerson"
STREET = "12 rue Zqxstreet"
EMAIL = "zqxmail@example.com"
#: an order page's text, as staff paste it (labels in French), holding the markers
PASTE = f"""Commande #{ORDER_ID}
Expédiée le 2 novembre 2026 à 16h45
Numéro de suivi : LZ 731 045 828 FR
Statut du suivi : en transit
Adresse de livraison
{NAME}
{STREET}
10115 Berlin
Allemagne
"""
COMMENT = f"La date est fausse. Client {EMAIL}, suivi LZ 731 045 828 FR, tél. +33 6 12 34 56 78"
#: what may never be found in the database's bytes (any case)
SECRETS = (ORDER_ID, "73918", TRACKING, "731 045 828", "731045828", "Zqxname", "Markerson",
           "Zqxstreet", "zqxmail", "example.com", "12 34 56 78", "2026-11-02", "16:45",
           "Berlin", "10115")


# ---------------------------------------------------------------------------
# Servers and the store
# ---------------------------------------------------------------------------


def _server(env: dict[str, str | None]) -> Iterator[VoilaServer]:
    from _voila import voila  # benchmarks/ is on the path (tests/conftest.py)

    try:
        with voila(copy=False, env={"TPOP_KB_NOTEBOOKS": None, **env},
                   start_timeout=START_TIMEOUT_S) as started:
            yield VoilaServer(f"{started}/", started.log_path, started.process)
    except SystemExit as exc:  # did not start: the end of its log
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("events") / "events.sqlite3"


@pytest.fixture(scope="module")
def recording_server(store_path) -> Iterator[VoilaServer]:
    """Kernels recording into ``store_path``."""
    yield from _server({"TPOP_KB_EVENTS_DB": str(store_path), "TPOP_KB_EVENTS": None})


@pytest.fixture(scope="module")
def off_store_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("events-off") / "events.sqlite3"


@pytest.fixture(scope="module")
def off_server(off_store_path) -> Iterator[VoilaServer]:
    """Kernels with recording off (and a store path of their own, to look at)."""
    yield from _server({"TPOP_KB_EVENTS_DB": str(off_store_path), "TPOP_KB_EVENTS": "off"})


def query(path: Path, sql: str) -> list[tuple]:
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=10) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:  # the kernel is creating the tables
            if "no such table" in str(exc):
                return []
            raise


def wait_for(path: Path, sql: str, ok: Callable[[list[tuple]], bool]) -> list[tuple]:
    """The rows of ``sql`` once ``ok(rows)``: the kernels write off the page's thread."""
    deadline = time.monotonic() + WRITE_WAIT_S
    while True:
        rows = query(path, sql)
        if ok(rows) or time.monotonic() > deadline:
            assert ok(rows), f"{sql}: {rows} after {WRITE_WAIT_S} s"
            return rows
        time.sleep(0.2)


def count(path: Path, sql: str) -> int:
    rows = query(path, sql)
    return int(rows[0][0]) if rows else 0


def store_bytes(path: Path) -> bytes:
    """The database file and its -wal and -shm files, as they are on disk."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def answer_pasted_order(page, server: VoilaServer, text: str = PASTE) -> str:
    """Paste ``text`` on the order assistant (French), get its answer: the outcome code."""
    open_voila_page(page, server, f"order_assistant.ipynb?as_of={AS_OF}",
                    selector=".tpop-order-assistant")
    page.locator(".tpop-order-input textarea").fill(text)
    expect(page.locator(".tpop-paste-ok, .tpop-paste-problems").first).to_be_visible(
        timeout=TIMEOUT)
    page.click(".tpop-triage-button")
    card = page.locator(".tpop-outcome")
    expect(card).to_be_visible(timeout=TIMEOUT)
    return str(card.get_attribute("data-outcome"))


def flag(page, reason: str, comment: str) -> None:
    """Answer "no / unclear" with a reason and a comment under the answer shown."""
    feedback = page.locator(".tpop-feedback")
    expect(feedback.locator(".tpop-feedback-question")).to_contain_text(
        "Cette réponse était-elle juste ?")
    feedback.locator(".tpop-feedback-no").click()
    expect(feedback.locator(".tpop-feedback-warning")).to_contain_text("Aucune donnée client")
    label = wording(f"order_assistant.feedback.reasons.{reason}", "fr", plain=True)
    feedback.locator(".tpop-feedback-reason select").select_option(label=label)
    field = feedback.locator(".tpop-feedback-comment textarea")
    field.fill(comment)
    field.blur()  # the text is sent to the kernel when the field loses the focus
    feedback.locator(".tpop-feedback-send").click()


def run_bulk(page, server: VoilaServer, path: Path) -> dict[str, int]:
    """Upload ``path`` on the bulk page, triage it: the page's counts per outcome."""
    open_voila_page(page, server, "bulk_triage.ipynb",
                    selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    with page.expect_file_chooser() as chooser:
        page.click(".tpop-upload .tpop-choose-file")
    chooser.value.set_files(str(path))
    expect(page.locator(".tpop-file-message[data-tone=done]")).to_contain_text(
        path.name, timeout=LONG_MS)
    page.fill(".tpop-as-of input", AS_OF)
    page.press(".tpop-as-of input", "Enter")
    expect(page.locator(".tpop-as-of-error")).to_have_count(0)
    button = page.locator("button.tpop-run-button")
    expect(button).to_be_enabled(timeout=TIMEOUT)
    button.click()
    expect(page.locator(".tpop-summary")).to_be_visible(timeout=LONG_MS)
    counts = page.eval_on_selector_all(
        ".tpop-summary [data-outcome]",
        "items => Object.fromEntries(items.map(i => [i.dataset.outcome, +i.dataset.count]))",
    )
    return {code: n for code, n in counts.items() if n}


def open_insights(page, server: VoilaServer, lang: str = "fr") -> None:
    open_voila_page(page, server, f"insights.ipynb?lang={lang}", selector=".tpop-insights")
    expect(page.locator(".tpop-ins-report")).to_be_visible(timeout=TIMEOUT)


def stat(page, key: str) -> int:
    value = page.locator(f'.tpop-ins-report [data-stat="{key}"] .tpop-stat-value')
    expect(value).to_be_visible(timeout=TIMEOUT)
    return int(value.inner_text())


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_an_answer_and_a_flag_appear_on_the_insights_page(page, recording_server, store_path,
                                                         screenshot):
    open_voila_page(page, recording_server, "index.ipynb", selector=".tpop-landing")
    expect(page.locator('.tpop-recording[data-recording="on"]')).to_contain_text(
        "sans aucune donnée client")

    before = count(store_path, "SELECT COUNT(*) FROM events WHERE page = 'order_assistant'")
    code = answer_pasted_order(page, recording_server)
    flag(page, "wrong_date", COMMENT)
    expect(page.locator('.tpop-feedback-status[data-status="no"]')).to_contain_text(
        "signalée pour être revue", timeout=TIMEOUT)
    expect(page.locator(".tpop-feedback-yes")).to_be_disabled()
    assert page.tpop_errors == []

    ((ref, outcome, country, reason, comment),) = wait_for(
        store_path,
        "SELECT e.ref, e.outcome, e.country, f.reason, f.comment FROM feedback f "
        "JOIN events e ON e.ref = f.ref WHERE f.verdict = 'no' ORDER BY f.id DESC LIMIT 1",
        bool)
    assert (outcome, country, reason) == (code, "DE", "wrong_date")
    assert comment.startswith("La date est fausse.") and "[…]" in comment
    answers = count(store_path, "SELECT COUNT(*) FROM events WHERE page = 'order_assistant'")
    assert answers == before + 1
    flagged = count(store_path, "SELECT COUNT(*) FROM feedback WHERE verdict = 'no'")

    open_insights(page, recording_server)
    expect(page.locator(".tpop-hero h1")).to_be_visible()
    assert stat(page, "answers") == answers
    assert stat(page, "flagged") == flagged
    item = page.locator(f'.tpop-ins-flag[data-ref="{ref}"]')
    expect(item).to_contain_text(knowledge().tree.outcomes[code].title["fr"])
    expect(item).to_contain_text("Mauvaise date")
    expect(item).to_contain_text("La date est fausse.")
    expect(page.locator(".tpop-ins-reason-bars")).to_contain_text("Mauvaise date")
    expect(page.locator('.tpop-ins-countries tr[data-country="DE"]')).to_contain_text(
        "Allemagne")
    used = page.locator(".tpop-ins-diagram path[data-uses]:not([data-uses='0'])")
    expect(used.first).to_be_attached()
    report = page.locator(".tpop-ins-report").inner_text()
    for secret in SECRETS:
        assert secret.lower() not in report.lower(), secret
    # the trainer's scenario draft, from the flagged answer
    item.locator(".tpop-ins-draft summary").click()
    expect(item.locator(".tpop-ins-draft pre")).to_contain_text("destination_country: DE")
    expect(item.locator(".tpop-ins-draft pre")).to_contain_text("outcome: TODO")
    full_screenshot(page, "insights")
    assert page.tpop_errors == []
    log = recording_server.log()
    assert "Traceback" not in log and ORDER_ID not in log and "could not record" not in log


def test_a_bulk_run_appears_on_the_insights_page(page, recording_server, store_path,
                                                 tmp_path):
    orders = tmp_path / "export_zqx.csv"
    orders.write_text(
        "order_id,shipped_at,tracking_number,destination_country,tracking_status,"
        "customer_claim,customer_name,address\n"
        f"{ORDER_ID}-1,2026-11-02 10:00,{TRACKING},DE,in_transit,not_received,"
        f"{NAME},{STREET}\n"
        f"{ORDER_ID}-2,2026-11-25 16:45,LA123456785FR,FR,none,,{NAME},{STREET}\n"
        f"{ORDER_ID}-3,2026-11-02 10:00,LA123456785FR,FR,delivered,none,{NAME},{STREET}\n",
        encoding="utf-8")
    runs = count(store_path, "SELECT COUNT(*) FROM events WHERE page = 'bulk_triage'")
    counts = run_bulk(page, recording_server, orders)
    assert sum(counts.values()) == 3
    rows = wait_for(store_path, "SELECT counts, total FROM events WHERE page = 'bulk_triage' "
                    "ORDER BY id", lambda rows: len(rows) == runs + 1)
    assert rows[-1][1] == 3 and json.loads(rows[-1][0]) == counts
    assert page.tpop_errors == []

    open_insights(page, recording_server)
    assert stat(page, "bulk_runs") == runs + 1
    assert stat(page, "bulk_orders") == count(
        store_path, "SELECT SUM(total) FROM events WHERE page = 'bulk_triage'")
    outcomes = page.locator(".tpop-ins-outcomes")
    for code in counts:
        expect(outcomes).to_contain_text(knowledge().tree.outcomes[code].title["fr"])
    assert page.tpop_errors == []


def test_nothing_customer_identifying_reaches_the_database(page, recording_server, store_path):
    """Markers in the pasted order (tracking number, order id, customer name, address) and
    in the comment (e-mail, tracking number, phone): none in the file's bytes."""
    flagged = count(store_path, "SELECT COUNT(*) FROM feedback")
    answer_pasted_order(page, recording_server)
    expect(page.locator(".tpop-field-order-id input")).to_have_value(ORDER_ID)
    expect(page.locator(".tpop-field-tracking-number input")).to_have_value(TRACKING)
    flag(page, "other", COMMENT)
    expect(page.locator('.tpop-feedback-status[data-status="no"]')).to_be_visible(
        timeout=TIMEOUT)
    wait_for(store_path, "SELECT COUNT(*) FROM feedback", lambda r: r[0][0] == flagged + 1)
    data = store_bytes(store_path)
    assert len(data) > 0 and Path(str(store_path) + "-wal").exists()
    lowered = data.lower()
    for secret in SECRETS:
        assert secret.lower().encode() not in lowered, secret
    # and what the tables hold, decoded (a value could be stored in another encoding)
    with sqlite3.connect(store_path, timeout=10) as conn:
        text = repr(conn.execute("SELECT * FROM events").fetchall()
                    + conn.execute("SELECT * FROM feedback").fetchall()).lower()
    for secret in SECRETS:
        assert secret.lower() not in text, secret
    assert re.search(r"\d{4}-\d\d-\d\dt\d\d:00", text)  # times are kept to the hour only (lowered)


def test_recording_off_records_nothing_and_the_pages_say_so(page, off_server, off_store_path,
                                                            tmp_path):
    open_voila_page(page, off_server, "index.ipynb", selector=".tpop-landing")
    expect(page.locator('.tpop-recording[data-recording="off"]')).to_have_text(
        "L'enregistrement des réponses est désactivé sur cette installation.")

    answer_pasted_order(page, off_server)
    flag(page, "wrong_outcome", "rien")
    expect(page.locator('.tpop-feedback-status[data-status="off"]')).to_contain_text(
        "rien n'a été conservé", timeout=TIMEOUT)
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,shipped_at,tracking_number,destination_country\n"
                      f"TP-1,2026-11-02 10:00,{TRACKING},DE\n", encoding="utf-8")
    assert sum(run_bulk(page, off_server, orders).values()) == 1
    time.sleep(2)  # a background write, if any, has had the time to land
    assert not off_store_path.exists(), "recording is off, yet the store was created"

    open_insights(page, off_server)
    expect(page.locator(".tpop-ins-off")).to_contain_text("TPOP_KB_EVENTS=off")
    expect(page.locator(".tpop-ins-empty")).to_be_visible()
    # the insights page may open (create) the store to read it: it stays empty
    assert count(off_store_path, "SELECT COUNT(*) FROM events") == 0
    assert count(off_store_path, "SELECT COUNT(*) FROM feedback") == 0
    assert page.tpop_errors == []
    assert "Traceback" not in off_server.log()
