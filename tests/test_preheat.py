"""Preheated kernels: the order assistant's deep link, and `make serve-shared` with a pool.

A preheated kernel (Voila's ``--preheat_kernel=True``) builds the page before anyone asks
for it; the visitor's query string then comes through ``voila.utils.get_query_string()``,
which blocks until Voila hands the kernel over. Here that function is replaced by one
that waits for the test to say "the visitor arrived" and stores the query string the way
Voila does (``QUERY_STRING``). The real thing, with Voila and Chromium, is in
tests/browser/test_preheat.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tpop_kb.apps import OrderAssistantApp
from tpop_kb.apps import order_assistant as oa

ROOT = Path(__file__).resolve().parent.parent
LINK = ("order_id=TP-77&tracking_number=LA123456785FR&shipped_at=2026-11-20T15:00"
        "&destination_country=BE&tracking_status=none&lang=en")
PREHEATED_AT = dt.datetime(2026, 11, 23, 6, 0)  # the kernel built its page at 6:00 ...
ARRIVED_AT = dt.datetime(2026, 11, 23, 9, 0)  # ... and its visitor came at 9:00


def outcome_code(app: OrderAssistantApp) -> str | None:
    found = re.search(r'data-outcome="([a-z_]+)"', app.outcome.value)
    return found.group(1) if found else None


class Visitor:
    """Stands in for ``voila.utils.get_query_string`` in a preheated kernel."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, query: str) -> None:
        self.monkeypatch, self.query = monkeypatch, query
        self.arrived = threading.Event()
        self.asked = threading.Event()

    def get_query_string(self, url: str | None = None) -> str:
        self.asked.set()
        assert self.arrived.wait(10), "the test never let the visitor in"
        self.monkeypatch.setenv("QUERY_STRING", self.query)  # what Voila's helper does
        return self.query

    def arrive(self, clock: list[dt.datetime]) -> None:
        clock[0] = ARRIVED_AT
        self.arrived.set()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """The page's "now in Paris", moved by the test."""
    now = [PREHEATED_AT]
    monkeypatch.setattr(oa, "now_paris", lambda: now[0])
    return now


@pytest.fixture
def preheated(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process looks like a kernel Voila preheated (no visitor yet)."""
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.delenv("QUERY_STRING", raising=False)
    return monkeypatch


def visitor(monkeypatch: pytest.MonkeyPatch, query: str) -> Visitor:
    import voila.utils

    fake = Visitor(monkeypatch, query)
    monkeypatch.setattr(voila.utils, "get_query_string", fake.get_query_string)
    return fake


def test_a_preheated_page_is_built_first_then_takes_its_visitors_link(preheated, clock):
    guest = visitor(preheated, LINK)
    app = OrderAssistantApp()
    # Built before anyone came: an empty form, in French, judged at the preheating time.
    assert guest.asked.wait(10)
    assert app.state.phase == "form" and app.order_id_input.value == ""
    assert app.lang == "fr" and app.state.as_of == "2026-11-23T06:00"
    assert not app.wait_for_visitor(0.2)  # still waiting for the visitor
    guest.arrive(clock)
    assert app.wait_for_visitor(10)
    assert app.lang == "en" and app.lang_toggle.value == "en"
    assert app.order_id_input.value == "TP-77" and app.country_input.value == "BE"
    assert outcome_code(app) == "wait_for_activation"
    assert "TP-77" in app.outcome.value
    # The kernel waited three hours: the answer is as of when the visitor arrived.
    assert app.state.as_of == "2026-11-23T09:00"
    assert "Filled from the link" in app.paste_feedback.value
    assert app.fault.layout.display == "none"


def test_a_link_that_names_its_moment_keeps_it(preheated, clock):
    guest = visitor(preheated, LINK + "&as_of=2026-11-26T10%3A00")
    app = OrderAssistantApp()
    guest.arrive(clock)
    assert app.wait_for_visitor(10)
    assert app.state.as_of == "2026-11-26T10:00"
    assert "26 November 2026" in app.outcome.value  # judged at the link's moment ...
    assert outcome_code(app) not in (None, "wait_for_activation")  # ... not on the 23rd


def test_a_visitor_without_a_link_gets_an_empty_form_as_of_their_arrival(preheated, clock):
    guest = visitor(preheated, "")
    app = OrderAssistantApp()
    guest.arrive(clock)
    assert app.wait_for_visitor(10)
    assert app.state.as_of == "2026-11-23T09:00"
    assert app.lang == "fr" and app.state.phase == "form" and app.order_id_input.value == ""
    assert outcome_code(app) is None


def test_a_page_given_its_moment_keeps_it_when_the_visitor_comes(preheated, clock):
    guest = visitor(preheated, "")
    app = OrderAssistantApp(as_of=dt.datetime(2026, 11, 20, 8, 0))
    guest.arrive(clock)
    assert app.wait_for_visitor(10)
    assert app.state.as_of == "2026-11-20T08:00"


def test_a_query_given_in_code_never_waits(preheated, clock):
    visitor(preheated, "order_id=ignored")  # never asked: it would block
    app = OrderAssistantApp(query=LINK)
    assert app.wait_for_visitor(0) and app.order_id_input.value == "TP-77"


def test_a_failure_while_taking_the_link_is_a_message_not_a_traceback(preheated, clock):
    import voila.utils

    def broken(url: str | None = None) -> str:
        raise ConnectionRefusedError("no server")

    preheated.setattr(voila.utils, "get_query_string", broken)
    app = OrderAssistantApp()
    assert app.wait_for_visitor(10)
    assert app.fault.layout.display != "none"
    assert "ConnectionRefusedError" in app.fault.value and "Traceback" not in app.fault.value


def test_once_the_visitor_came_a_new_page_in_the_same_kernel_reads_it_at_once(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("QUERY_STRING", LINK)  # put there by get_query_string() earlier
    assert not oa.preheated()
    app = OrderAssistantApp()
    assert app.wait_for_visitor(0) and app.order_id_input.value == "TP-77"


def test_visitor_query_is_voilas_query_string_outside_a_preheated_kernel(monkeypatch):
    # Not in Voila at all (JupyterLab, nbval, tests): nothing, at once.
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert oa.visitor_query() == ""
    # A kernel Voila started for its visitor: the query string it was given.
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", "order_id=A1")
    assert oa.visitor_query() == "order_id=A1"
    assert not oa.preheated()


def test_a_page_not_preheated_never_loads_voila():
    """Voila's helper costs a kernel ~40 MB: only preheated kernels import it."""
    code = textwrap.dedent(
        """
        import json, sys
        from tpop_kb.apps import OrderAssistantApp
        app = OrderAssistantApp()
        print(json.dumps({"voila": "voila" in sys.modules, "order": app.order_id_input.value}))
        """
    )
    env = {**os.environ, "VOILA_PREHEAT": "False", "QUERY_STRING": "order_id=A1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT / "notebooks", timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"voila": False, "order": "A1"}


# ---------------------------------------------------------------------------
# make serve-shared with a pool: Voila accepts it, and only the order assistant is preheated
# ---------------------------------------------------------------------------

_SHARED_PREHEATED = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from voila.app import Voila

    app = Voila()
    app.initialize(sys.argv[1:])
    app.init_settings()  # raises when preheating and a prelaunch hook are both configured
    km, vc = app.kernel_manager, app.voila_configuration
    import nbformat
    from voila.execute import VoilaExecutor
    executor = VoilaExecutor(nbformat.v4.new_notebook(), config=app.config)
    pages = sorted(Path(app.root_dir).glob("*.ipynb"))
    print(json.dumps({
        "preheat": vc.preheat_kernel, "pool_size": vc.default_pool_size,
        "manager": type(km).__name__,
        "preheated": [p.name for p in pages if km._notebook_filter(p)],
        "pages": [p.name for p in pages],
        "identity_provider": type(app.identity_provider).__name__,
        "iopub_timeout": executor.iopub_timeout, "fill_delay": km.fill_delay,
    }))
    """
)


def test_make_serve_shared_accepts_a_pool_for_the_order_assistant_only():
    argv = ["notebooks", "--Voila.config_file_paths=config/shared", "--Voila.config_file_paths=.",
            "--preheat_kernel=True", "--pool_size=3"]  # as `make serve-shared VOILA_ARGS=...`
    env = {k: v for k, v in os.environ.items() if not k.startswith("TPOP_KB")}
    env.update({"JUPYTER_TOKEN": "a-token-of-at-least-thirty-two-characters",
                "JUPYTER_PLATFORM_DIRS": "1"})
    done = subprocess.run([sys.executable, "-c", _SHARED_PREHEATED, *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["preheat"] is True and found["pool_size"] == 3
    assert found["manager"] == "VoilaKernelManager"
    assert found["preheated"] == ["order_assistant.ipynb"]
    assert len(found["pages"]) > 3  # the others exist, and start a kernel on request
    # The login step gives every page its _xsrf cookie (no prelaunch hook: Voila refuses
    # one together with preheating).
    assert found["identity_provider"] == "SharedIdentityProvider"
    # A pool builds many pages at once: their output may come later than nbclient's 4 s.
    assert found["iopub_timeout"] >= 30
    # A burst's replacements wait until the burst's own pages are served.
    assert found["fill_delay"] >= 10
