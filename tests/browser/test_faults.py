"""Faults in a real Voila session (issue 7, part 5).

- The page's kernel dies mid-session: the page says so in a banner
  (``.tpop-connection-lost``, from :class:`tpop_kb.apps.connection.ConnectionWatch`)
  with a reload button; after a reload the page works again; another session open at
  the same time and a new page load are not affected.
- La Poste's API slow or answering (live status on: a Voila server of its own with
  ``LAPOSTE_OKAPI_KEY`` and ``LAPOSTE_API_URL`` pointing at a loopback server): the
  answer card shows at once; the live section fills in from the kernel's background
  thread, or says that La Poste could not be reached.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug import Response

from .conftest import START_TIMEOUT_S, VoilaServer

pytestmark = pytest.mark.browser

PAGE = "order_assistant.ipynb"
TIMEOUT = 30_000
ORDER = (
    "Order id: K-1\nShipped at: 2026-11-25 15:00\nTracking number: LA123456785FR\n"
    "Country: France\nStatus: none\n"
)


def kernel_id(page) -> str:
    return page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )


def kernel_pid(kernel: str) -> int | None:
    """The process running this kernel (its connection file is on its command line)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f"kernel-{kernel}.json".encode() in cmdline.read_bytes():
                return int(cmdline.parent.name)
        except OSError:
            continue
    return None


def triage(page) -> None:
    page.locator(".tpop-order-input textarea").fill(ORDER)
    expect(page.locator(".tpop-paste-ok")).to_contain_text("Lu comme", timeout=TIMEOUT)
    page.click(".tpop-triage-button")
    expect(page.locator('.tpop-outcome[data-outcome="wait_for_activation"]')).to_be_visible(
        timeout=TIMEOUT
    )


def test_a_page_whose_kernel_dies_says_so_and_the_rest_keeps_working(
    page, context, open_app, voila_server, screenshot
):
    query = "?as_of=2026-11-26T10:00"
    other = context.new_page()  # another session, open at the same time
    open_app(other, PAGE + query, selector=".tpop-order-assistant")
    open_app(page, PAGE + query, selector=".tpop-order-assistant")
    triage(page)
    banner = page.locator(".tpop-connection-lost")
    expect(banner).to_be_hidden()

    kernel = kernel_id(page)
    pid = kernel_pid(kernel)
    assert pid is not None and kernel != kernel_id(other)
    os.kill(pid, signal.SIGKILL)

    expect(banner).to_be_visible(timeout=TIMEOUT)
    expect(banner).to_be_in_viewport()  # fixed at the top of the window, even scrolled down
    expect(banner).to_contain_text("Cette page a perdu sa connexion.")
    expect(banner).to_contain_text("Rechargez la page")
    expect(banner.locator("button.tpop-reload")).to_have_text("Recharger la page")
    assert "Traceback" not in page.inner_text("body")
    time.sleep(0.3)
    screenshot(page, "kernel_lost")
    # the dead page's controls no longer take clicks
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.tpop-order-assistant .tpop-oa-body'))"
        ".pointerEvents"
    ) == "none"

    # the other session is untouched
    expect(other.locator(".tpop-connection-lost")).to_be_hidden()
    triage(other)

    # a new page load works (the landing page), and reloading brings the page back
    fresh = context.new_page()
    open_app(fresh, "index.ipynb")
    fresh.close()
    banner.locator("button.tpop-reload").click()
    page.wait_for_selector(".tpop-order-assistant", state="visible", timeout=60_000)
    expect(page.locator(".tpop-connection-lost")).to_be_hidden()
    expect(page.locator(".tpop-as-of input")).to_have_value("2026-11-26T10:00")
    triage(page)
    assert kernel_id(page) != kernel
    other.close()
    assert "Traceback" not in voila_server.log()


# ---------------------------------------------------------------------------
# La Poste's API, live status on
# ---------------------------------------------------------------------------

KEY = "okapi-browser-test-key"
MOVING = "6A12345678901"  # La Poste answers: in transit
STUCK = "6A98765432109"  # La Poste never answers in time


@pytest.fixture(scope="module")
def la_poste() -> Iterator[object]:
    """A loopback stand-in for La Poste's Suivi v2 API: one number answers, one hangs."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    release = threading.Event()

    def slow(_request):
        release.wait(30)
        return Response("{}", status=200, content_type="application/json")

    server.expect_request(f"/suivi/v2/idships/{MOVING}").respond_with_json({
        "lang": "fr_FR", "returnCode": 200,
        "shipment": {"idShip": MOVING, "timeline": [], "event": [
            {"code": "ET1", "label": "Votre colis est en cours d'acheminement.",
             "date": "2026-11-20T06:12:00+01:00"}]},
    })
    server.expect_request(f"/suivi/v2/idships/{STUCK}").respond_with_handler(slow)
    try:
        yield server
    finally:
        release.set()
        server.clear()
        if server.is_running():
            server.stop()


@pytest.fixture(scope="module")
def live_server(la_poste) -> Iterator[VoilaServer]:
    """A Voila server of its own (the one launcher) whose kernels have live status on."""
    from _voila import voila  # benchmarks/ is on the path (tests/conftest.py)

    env = {"TPOP_KB_NOTEBOOKS": None, "LAPOSTE_OKAPI_KEY": KEY,
           "LAPOSTE_API_URL": la_poste.url_for("/suivi/v2")}
    try:
        with voila(copy=False, env=env, start_timeout=START_TIMEOUT_S) as started:
            yield VoilaServer(f"{started}/", started.log_path, started.process)
    except SystemExit as exc:  # did not start: the end of its log
        pytest.fail(str(exc))


def test_live_la_poste_status_never_holds_the_answer(page, live_server, screenshot):
    from .conftest import open_voila_page

    open_voila_page(page, live_server, PAGE + "?as_of=2026-11-26T10:00",
                    selector=".tpop-order-assistant")
    card = page.locator(".tpop-outcome")
    live = page.locator(".tpop-live")

    # La Poste answers: its status shows under the card, with a button to use it
    page.locator(".tpop-order-input textarea").fill(
        f"Order id: LIVE-1\nShipped at: 2026-11-19 16:45\nTracking number: {MOVING}\n"
        "Country: France\nStatus: none\n"
    )
    expect(page.locator(".tpop-field-order-id input")).to_have_value("LIVE-1", timeout=TIMEOUT)
    page.click(".tpop-triage-button")
    expect(page.locator('.tpop-live[data-live="ok"]')).to_contain_text(
        "La Poste, en direct : Votre colis est en cours d'acheminement", timeout=TIMEOUT
    )
    expect(card).to_have_attribute("data-outcome", "tracking_silent")
    use = page.locator(".tpop-live-use")
    expect(use).to_have_text("Utiliser le statut de La Poste : En cours d'acheminement")
    live.scroll_into_view_if_needed()
    screenshot(page, "order_assistant_live")
    use.click()
    expect(page.locator(".tpop-field-tracking-status select")).to_have_value(
        "En cours d'acheminement", timeout=TIMEOUT
    )
    expect(use).to_be_hidden()

    # La Poste does not answer: the card is there at once, the section says so later
    page.locator(".tpop-order-input textarea").fill(
        f"Order id: LIVE-2\nShipped at: 2026-11-19 16:45\nTracking number: {STUCK}\n"
        "Country: France\nStatus: none\n"
    )
    expect(page.locator(".tpop-field-order-id input")).to_have_value("LIVE-2", timeout=TIMEOUT)
    started = time.monotonic()
    page.click(".tpop-triage-button")
    expect(page.locator(".tpop-outcome-order")).to_contain_text("LIVE-2", timeout=TIMEOUT)
    expect(page.locator('.tpop-live[data-live="asking"]')).to_be_visible()
    assert time.monotonic() - started < 5, "the answer did not wait for La Poste"
    page.fill(".tpop-field-order-id input", "LIVE-2b")  # the page still responds meanwhile
    page.press(".tpop-field-order-id input", "Enter")
    expect(page.locator(".tpop-outcome-order")).to_contain_text("LIVE-2b", timeout=TIMEOUT)
    unavailable = page.locator('.tpop-live[data-live="unavailable"]')
    expect(unavailable).to_contain_text("injoignable", timeout=60_000)
    expect(unavailable).to_contain_text("le tri utilise les données de la commande")
    expect(card).to_have_attribute("data-outcome", "tracking_silent")
    assert page.tpop_errors == []
    log = live_server.log()
    assert KEY not in log and MOVING not in log and STUCK not in log and "LIVE-" not in log
    assert "Traceback" not in log
