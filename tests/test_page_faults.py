"""Faults on the pages (issue 7, part 5), without a browser.

- La Poste's API slow, down or answering: the order assistant gives its answer from the
  order's data at once, and a section under the card says what La Poste said or why it
  said nothing (a real HTTP server on loopback, ``LAPOSTE_API_URL``).
- A missing or malformed file in ``data/``: every page shows one card naming the file
  and the line, no traceback (``TPOP_KB_DATA`` pointing at a broken copy).
- A callback that fails: a short message above the page, the rest keeps working, and
  only the kind of error is logged. Every ``_on_*`` callback of every page is guarded.

The kernel dying mid-session is a browser test: tests/browser/test_faults.py.
"""

from __future__ import annotations

import datetime as dt
import html
import inspect
import logging
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import walk_widgets
from werkzeug import Response

from tpop_kb.apps import (
    BulkTriageApp,
    KnowledgeExplorerApp,
    LandingApp,
    OrderAssistantApp,
    TrainingApp,
)
from tpop_kb.apps import order_assistant as oa_module
from tpop_kb.knowledge import data_dir, knowledge
from tpop_kb.laposte import ENV_KEY, ENV_URL

AS_OF = dt.datetime(2026, 11, 26, 10, 0)
NUMBER = "6A12345678901"
KEY = "okapi-page-test-key"
BASE = "/suivi/v2"
#: an order La Poste is asked about: shipped, status unknown to the platform ("none")
PASTE = (
    f"Order id: LIVE-1\nShipped at: 2026-11-19 16:45\nTracking number: {NUMBER}\n"
    "Country: France\nTracking status: none\n"
)


def visible(widget) -> bool:
    return widget.layout.display != "none"


def in_transit(number: str) -> dict:
    return {
        "lang": "fr_FR",
        "returnCode": 200,
        "shipment": {
            "idShip": number,
            "event": [
                {"code": "ET1", "label": "Votre colis est en cours d'acheminement.",
                 "date": "2026-11-20T06:12:00+01:00"},
            ],
            "timeline": [],
        },
    }


@pytest.fixture
def live_on(httpserver, monkeypatch):
    """Live status on, pointed at a loopback server; short page timeouts."""
    monkeypatch.setenv(ENV_KEY, KEY)
    monkeypatch.setenv(ENV_URL, httpserver.url_for(BASE))
    monkeypatch.setattr(oa_module, "LIVE_TIMEOUT_S", 0.3)
    monkeypatch.setattr(oa_module, "LIVE_RETRIES", 1)
    return httpserver


def triage(text: str = PASTE, **kwargs) -> OrderAssistantApp:
    app = OrderAssistantApp(query="", as_of=AS_OF, **kwargs)
    app.paste_input.value = text
    app.triage_button.click()
    assert app.state.phase == "result"
    return app


# ---------------------------------------------------------------------------
# La Poste's API
# ---------------------------------------------------------------------------


def test_la_poste_timing_out_leaves_the_offline_answer_and_says_so(live_on, caplog):
    release = threading.Event()

    def slow(_request):
        release.wait(10)
        return Response("{}", status=200, content_type="application/json")

    live_on.expect_request(f"{BASE}/idships/{NUMBER}").respond_with_handler(slow)
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    app = triage()
    # the answer is there at once, from the order's data; La Poste is still being asked
    assert time.monotonic() - started < 2
    assert 'data-outcome="tracking_silent"' in app.outcome.value
    assert visible(app.live_box) and 'data-live="asking"' in app.live_html.value
    assert "Interrogation de La Poste" in html.unescape(app.live_html.value)
    status = app.wait_for_live(timeout=10)
    assert status is not None and status.problem == "unavailable"
    elapsed = time.monotonic() - started
    assert elapsed < 5, "two tries of 0.3 s and a short back-off"
    shown = html.unescape(app.live_html.value)
    assert 'data-live="unavailable"' in shown
    assert "injoignable ; le tri utilise les données de la commande" in shown
    assert "0.3 s" in shown and not visible(app.live_use)
    assert 'data-outcome="tracking_silent"' in app.outcome.value  # unchanged
    assert app.fault.value == ""
    release.set()
    # the log holds no number and no key
    assert NUMBER not in caplog.text and KEY not in caplog.text
    # the page keeps working
    app.lang_toggle.value = "en"
    assert "could not be reached; the triage uses the order's data" in html.unescape(
        app.live_html.value
    )


def test_la_poste_down_or_unreachable(monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(ENV_KEY, KEY)
    monkeypatch.setenv(ENV_URL, f"http://127.0.0.1:{port}{BASE}")
    monkeypatch.setattr(oa_module, "LIVE_TIMEOUT_S", 0.3)
    app = triage()
    status = app.wait_for_live(timeout=10)
    assert status is not None and status.problem == "unavailable"
    assert "connexion impossible" in app.live_html.value  # the page is French
    assert 'data-outcome="tracking_silent"' in app.outcome.value


def test_la_poste_answers_and_its_status_can_be_used(live_on):
    live_on.expect_request(f"{BASE}/idships/{NUMBER}").respond_with_json(in_transit(NUMBER))
    app = triage()
    status = app.wait_for_live(timeout=10)
    assert status is not None and status.tracking_status == "in_transit"
    shown = html.unescape(app.live_html.value)
    assert 'data-live="ok"' in shown and "Votre colis est en cours d'acheminement" in shown
    assert "La commande indique : Aucun événement." in shown
    assert visible(app.live_use)
    assert app.live_use.description == "Utiliser le statut de La Poste : En cours d'acheminement"
    app.live_use.click()
    assert app.state.tracking_status == "in_transit"
    assert 'data-outcome="wait_before_contact"' in app.outcome.value
    assert not visible(app.live_use)
    # re-rendering (language, answers) reuses the answer: La Poste was asked once
    app.lang_toggle.value = "en"
    app.triage_button.click()
    app.wait_for_live(timeout=10)
    assert len(live_on.log) == 1


def test_live_status_is_off_without_a_key(monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    app = triage()
    assert app.wait_for_live(timeout=1) is None
    assert not visible(app.live_box) and app.live_html.value == ""


def test_no_number_no_question(live_on):
    app = triage("Order id: A\nShipped at: 2026-11-19 16:45\nCountry: FR\nStatus: none\n")
    assert not visible(app.live_box)
    assert len(live_on.log) == 0


# ---------------------------------------------------------------------------
# Broken knowledge data: one card naming the file and the line, on every page
# ---------------------------------------------------------------------------

PAGES = {
    "landing": lambda tmp: LandingApp(lang="en", notebooks=tmp),
    "order_assistant": lambda tmp: OrderAssistantApp(lang="en", query="", as_of=AS_OF),
    "training": lambda tmp: TrainingApp(lang="en", seed=1),
    "knowledge_explorer": lambda tmp: KnowledgeExplorerApp(lang="en"),
    "bulk_triage": lambda tmp: BulkTriageApp(lang="en"),
}


def _break_yaml(path: Path) -> None:
    """A malformed file: a flow sequence never closed, at the start of line 3."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "broken: [unclosed")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


#: (file under data/, what to do to it, what the card must say)
BREAKAGES = [
    ("knowledge/postal-tracking/tree.yaml", "malformed", "tree.yaml, line"),
    ("columns.yaml", "missing", "columns.yaml: file is missing"),
    ("postal.yaml", "malformed", "postal.yaml, line"),
    ("ui.yaml", "malformed", "ui.yaml, line"),
    ("knowledge/postal-tracking/article.yaml", "missing", "each needs an article.yaml"),
]


@pytest.fixture
def broken_data(tmp_path, monkeypatch, request):
    """A copy of data/ with one file broken; TPOP_KB_DATA points at it while the test runs."""

    def make(relative: str, how: str) -> Path:
        copy = tmp_path / "data"
        shutil.copytree(data_dir(), copy)
        target = copy / relative
        if how == "missing":
            target.unlink()
        else:
            _break_yaml(target)
        monkeypatch.setenv("TPOP_KB_DATA", str(copy))
        _clear_caches()
        return target

    request.addfinalizer(_clear_caches)  # after monkeypatch has restored TPOP_KB_DATA
    return make


def _clear_caches() -> None:
    """The knowledge base and the caches built from it (scenarios: the training page)."""
    from tpop_kb.scenarios import _shipped_scenarios

    knowledge.cache_clear()
    _shipped_scenarios.cache_clear()


def _assert_card(app, words: str) -> None:
    text = html.unescape(app.fault.value)
    assert "tpop-knowledge-error" in text, text
    assert words in text, text
    assert "Traceback" not in text and "File \"" not in text
    assert visible(app.fault)
    assert len(app.root.children) == 2  # the style sheet and the card, nothing else


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize(("relative", "how", "words"), BREAKAGES)
def test_a_broken_data_file_shows_one_card_on_every_page(
    page, relative, how, words, broken_data, tmp_path
):
    broken_data(relative, how)
    _assert_card(PAGES[page](tmp_path), words)


@pytest.mark.parametrize(
    ("page", "relative", "words"),
    [
        ("order_assistant", "replies.yaml", "replies.yaml, line"),
        ("order_assistant", "ui/order_assistant.yaml", "order_assistant.yaml, line"),
        ("training", "ui/training.yaml", "training.yaml, line"),
        ("knowledge_explorer", "ui/knowledge_explorer.yaml", "knowledge_explorer.yaml, line"),
        ("bulk_triage", "ui/bulk_triage.yaml", "bulk_triage.yaml, line"),
        ("bulk_triage", "bulk_triage.yaml", "bulk_triage.yaml, line"),
    ],
)
def test_each_pages_own_files(page, relative, words, broken_data, tmp_path):
    broken_data(relative, "malformed")
    _assert_card(PAGES[page](tmp_path), words)


def test_postal_services_broken_is_found_at_start_up(broken_data, tmp_path):
    """postal.yaml well-formed but a destination service without its link: at start-up,
    not in the middle of a triage."""
    original = (data_dir() / "postal.yaml").read_text(encoding="utf-8")
    target = broken_data("postal.yaml", "missing")
    broken = original.replace("url: https://track.bpost.cloud", "url: track.bpost.cloud", 1)
    assert broken != original
    target.write_text(broken, encoding="utf-8")
    _clear_caches()
    app = PAGES["order_assistant"](tmp_path)
    text = html.unescape(app.fault.value)
    assert "tpop-knowledge-error" in text
    assert "postal.yaml, line" in text and "destination_posts.BE: url must be an https://" in text


def test_bulk_page_with_a_setting_missing(broken_data):
    target = broken_data("bulk_triage.yaml", "missing")
    original = (Path(__file__).resolve().parents[1] / "data" / "bulk_triage.yaml").read_text(
        encoding="utf-8"
    )
    target.write_text(original.replace("chunk_rows:", "chunk_row:"), encoding="utf-8")
    _assert_card(BulkTriageApp(lang="en"), "bulk_triage.yaml, line")
    assert "triage.chunk_rows must be a whole number" in BulkTriageApp(lang="en").fault.value


def test_training_with_a_broken_scenarios_file_says_which(broken_data):
    broken_data("scenarios.yaml", "malformed")
    app = TrainingApp(lang="en", seed=1)
    shown = html.unescape(app.intro.value)
    assert "tpop-load-error" in shown and "scenarios.yaml, line" in shown
    assert "Traceback" not in shown


def test_pages_work_again_once_the_data_is_fixed(broken_data, monkeypatch):
    broken_data("columns.yaml", "missing")
    assert "tpop-knowledge-error" in OrderAssistantApp(lang="en", query="").fault.value
    monkeypatch.delenv("TPOP_KB_DATA")
    _clear_caches()
    app = OrderAssistantApp(lang="en", query="", as_of=AS_OF)
    assert app.fault.value == "" and len(app.root.children) > 2


_walk = walk_widgets


# ---------------------------------------------------------------------------
# Guarded callbacks
# ---------------------------------------------------------------------------

APP_CLASSES = [LandingApp, OrderAssistantApp, TrainingApp, KnowledgeExplorerApp, BulkTriageApp]


@pytest.mark.parametrize("cls", APP_CLASSES, ids=lambda c: c.__name__)
def test_every_callback_is_guarded(cls):
    callbacks = {
        name: member
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if name.startswith("_on_")
    }
    assert callbacks, cls
    unguarded = [n for n, f in callbacks.items() if not hasattr(f, "__wrapped__")]
    assert unguarded == [], f"{cls.__name__}: not @guarded: {unguarded}"


def test_a_failing_engine_call_shows_a_message_and_the_page_keeps_working(
    monkeypatch, caplog
):
    app = OrderAssistantApp(lang="fr", query="", as_of=AS_OF)

    def boom(*_args, **_kwargs):
        raise RuntimeError("LA123456785FR secret")

    monkeypatch.setattr(oa_module, "triage_order", boom)
    caplog.set_level(logging.DEBUG)
    app.paste_input.value = PASTE.replace("LIVE-1", "Z-1")
    app.triage_button.click()
    assert visible(app.fault) and "RuntimeError" in app.fault.value
    assert "Un problème est survenu" in html.unescape(app.fault.value)
    assert "secret" not in app.fault.value and "Traceback" not in app.fault.value
    assert "secret" not in caplog.text and "Z-1" not in caplog.text
    assert "RuntimeError" in caplog.text
    monkeypatch.undo()
    app.triage_button.click()  # the next action works and clears the message
    assert not visible(app.fault)
    assert 'data-outcome="tracking_silent"' in app.outcome.value


def test_a_data_file_failing_later_is_named_not_hidden(monkeypatch):
    """A file read on first use that turns out broken mid-session: named, with its line."""
    from tpop_kb.knowledge import KnowledgeError

    app = OrderAssistantApp(lang="en", query="", as_of=AS_OF)

    def broken(*_args, **_kwargs):
        raise KnowledgeError("/srv/data/columns.yaml, line 12: values.tracking_status is empty")

    monkeypatch.setattr(oa_module, "triage_order", broken)
    app.paste_input.value = PASTE
    app.triage_button.click()
    text = html.unescape(app.fault.value)
    assert "tpop-knowledge-error" in text and "columns.yaml, line 12" in text
    assert "could not be done" in text and visible(app.fault)
    assert len(app.root.children) > 2  # the page stays


@pytest.mark.parametrize("cls", APP_CLASSES, ids=lambda c: c.__name__)
def test_every_page_carries_the_connection_banner_in_its_language(cls, tmp_path):
    """The banner the browser shows if the page's kernel goes (tests/browser/test_faults.py)."""
    kwargs = {"notebooks": tmp_path} if cls is LandingApp else {}
    app = cls(lang="fr", **kwargs)
    assert app.root.children[-1] is app.connection
    assert app.connection.title == "Cette page a perdu sa connexion."
    assert app.connection.button_label == "Recharger la page"
    app.lang_toggle.value = "en"
    assert app.connection.title == "This page has lost its connection."
    assert "Reload the page to start again" in app.connection.message
