"""The learning loop through the pages, without a browser: the order assistant records an
answer and its feedback, the bulk page a run, the insights page shows them (and an empty
store says so); the landing page says whether recording is on."""

from __future__ import annotations

import re
import sqlite3
import time

from tpop_kb import events
from tpop_kb.apps import BulkTriageApp, InsightsApp, LandingApp, OrderAssistantApp
from tpop_kb.apps.feedback import status_html
from tpop_kb.apps.insights_views import insights_html, paths_svg
from tpop_kb.knowledge import data_dir

MARK = "ZQXMARKERQZX"
AS_OF = "2026-11-26T10:00"


def _answer(app: OrderAssistantApp, **fields) -> None:
    for column, value in fields.items():
        setattr(app.state, column, value)
    app.triage_button.click()
    for _ in range(10):  # questions the order leaves open: "I don't know"
        if app.state.phase != "questions":
            break
        app.dont_know_button.click()
    assert app.fault.value == "", app.fault.value
    assert app.state.phase == "result"


def test_empty_store_says_so(events_db):
    app = InsightsApp(lang="en")
    assert app.fault.value == ""
    assert "No answer has been recorded" in app.report.value
    app.lang_toggle.value = "fr"
    assert "Aucune réponse" in app.report.value


def test_recording_off_is_said(events_db, monkeypatch):
    monkeypatch.setenv("TPOP_KB_EVENTS", "off")
    assert "TPOP_KB_EVENTS=off" in InsightsApp(lang="en").report.value
    assert not events_db.exists(), "reading the insights created a store"
    landing = LandingApp(lang="en", watch=False)
    assert 'data-recording="off"' in landing.about.value
    monkeypatch.delenv("TPOP_KB_EVENTS")
    landing.lang_toggle.value = "fr"
    assert 'data-recording="on"' in landing.about.value
    assert "sans aucune donnée client" in landing.about.value


def test_an_answer_and_a_flag_reach_the_insights_page(events_db):
    oa = OrderAssistantApp(lang="en", query="", as_of=AS_OF)
    _answer(oa, order_id="TP-1", shipped_at="2026-11-02 10:00",
            tracking_number="LA123456785FR", destination_country="DE",
            tracking_status="in_transit", customer_claim="not_received")
    assert oa.feedback.root.layout.display != "none"
    assert oa.feedback.ref
    oa.feedback.no.click()
    assert oa.feedback.details.layout.display == ""
    assert "No customer data" in oa.feedback.warning.value
    oa.feedback.reason.value = "wrong_date"
    oa.feedback.comment.value = "customer jane@example.com, LA123456785FR"
    oa.feedback.send.click()
    assert "flagged for review" in oa.feedback.status_line.value
    assert oa.feedback.yes.disabled
    assert events.flush()

    app = InsightsApp(lang="en", period="all")
    report = app.report.value
    assert re.search(r'data-stat="answers"><span class="tpop-stat-value">1<', report)
    assert re.search(r'data-stat="flagged"><span class="tpop-stat-value">1<', report)
    assert "Wrong date" in report and 'data-country="DE"' in report
    assert 'data-uses="1"' in report  # the path drawn on the tree
    assert "jane@example.com" not in report and "LA123456785FR" not in report
    assert "Scenario draft" in report and "outcome: TODO" in report
    app.answer_lang.value = "fr"  # the filter: nothing in French
    assert "No answer has been recorded" in app.report.value


def test_yes_is_recorded_and_off_says_nothing_kept(events_db, monkeypatch):
    oa = OrderAssistantApp(lang="fr", query="", as_of=AS_OF)
    _answer(oa, shipped_at="2026-11-24 10:00", destination_country="FR",
            tracking_status="none")
    oa.feedback.yes.click()
    assert "Merci" in oa.feedback.status_line.value
    assert events.flush()
    assert events.summary(events.open_store())["feedback"] == {"yes": 1}
    monkeypatch.setenv("TPOP_KB_EVENTS", "off")
    _answer(oa, destination_country="BE")
    oa.feedback.yes.click()
    assert 'data-status="off"' in oa.feedback.status_line.value
    assert events.flush()
    assert events.open_store().count() == 1


def test_the_order_assistant_keeps_no_marker(events_db):
    """Every field of the order assistant's form and its paste hold a marker."""
    oa = OrderAssistantApp(lang="en", query="", as_of=AS_OF)
    oa.paste_input.value = f"{MARK} {MARK}@example.com"
    _answer(oa, order_id=MARK, shipped_at="2026-11-02 10:17", tracking_number=MARK)
    oa.feedback.no.click()
    oa.feedback.comment.value = f"LA 123 456 785 FR {MARK}@x.fr"
    oa.feedback.send.click()
    assert events.flush()
    events.open_store().close()
    data = b"".join(p.read_bytes() for p in events_db.parent.glob("events.sqlite3*"))
    assert MARK.encode() not in data and MARK.lower().encode() not in data
    assert b"2026-11-02" not in data and b"10:17" not in data


def test_a_bulk_run_reaches_the_insights_page(events_db):
    app = BulkTriageApp(lang="en")
    content = (data_dir() / "samples" / "orders.csv").read_bytes()
    app.upload.value = {"serial": time.monotonic_ns(), "name": "orders.csv",
                        "size": len(content), "content": content}
    app.as_of.value = AS_OF
    app.run_button.click()
    app.wait()
    assert app.fault.value == ""
    assert events.flush()
    with sqlite3.connect(events_db) as conn:
        ((page, total),) = conn.execute("SELECT page, total FROM events").fetchall()
    assert page == "bulk_triage" and total == len(app.result)
    report = InsightsApp(lang="en", period="all").report.value
    assert re.search(r'data-stat="bulk_runs"><span class="tpop-stat-value">1<', report)


def test_views_escape_and_weigh_edges(kb):
    found = {
        "answers": 2, "bulk_runs": 0, "bulk_orders": 0,
        "per_day": [("2026-12-01", "contact_tpop", 2)],
        "per_outcome": {"contact_tpop": 2},
        "paths": [("q_valid=yes q_shipped=yes", "contact_tpop", 2)],
        "countries": [("DE", "contact_tpop", 2)],
        "feedback": {"no": 1},
        "flagged_by_reason": {"other": 1},
        "flagged_by_node": [("contact_tpop", 1)],
        "flagged": [{"ref": "a" * 32, "hour": "2026-12-01T10:00", "lang": "en",
                     "outcome": "contact_tpop", "path": "q_valid=yes", "flags": "",
                     "country": "DE", "age_band": "22-30", "status": "in_transit",
                     "claim": "", "synced": "", "kb_version": "1", "reason": "other",
                     "comment": "<script>x</script>"}],
    }
    page = insights_html(found, "fr")
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert "Allemagne" in page
    svg = paths_svg(found, "en")
    assert 'data-edge="q_valid:yes" data-uses="2"' in svg
    assert re.search(r'data-edge="q_valid:yes" data-uses="2"[^>]*stroke-width="11.2"', svg)
    assert status_html("", "en") == "" and "off" in status_html("off", "fr")
