"""`make serve-shared` with preheated order assistant kernels, run for real.

``VOILA_ARGS="--preheat_kernel=True --pool_size=1"``: the order assistant's page is built
before anyone asks for it. A deep link must still fill the form (the page reads it when
its visitor arrives), the page must be as of the visitor's arrival, closing the tab must
still shut its kernel down at once (the `_xsrf` cookie now comes from the identity
provider: Voila forbids a prelaunch hook with preheating), and the other pages start
their kernel on request.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _voila import stop
from playwright.sync_api import expect

from tpop_kb.workdays import now_paris

from .conftest import NOTEBOOKS, open_voila_page
from .test_shared_server import (
    CULL_IDLE_S,
    CULL_INTERVAL_S,
    SharedServer,
    assert_closing_shuts_the_kernel_down,
    start_shared_server,
)

pytestmark = pytest.mark.browser

PAGE = "order_assistant.ipynb"
LINK = ("order_id=TP-77&tracking_number=LA123456785FR&shipped_at=2026-11-20T15:00"
        "&destination_country=BE&tracking_status=none&lang=en&as_of=2026-11-23T09:00")
PREHEAT_ARGS = (
    f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S} "
    f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S} "
    "--VoilaExecutor.timeout=60 --preheat_kernel=True --pool_size=1 "
    "--VoilaKernelManager.fill_delay=1"  # replace a taken kernel at once: a faster test
)


@pytest.fixture(scope="module")
def preheated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    workdir = tmp_path_factory.mktemp("preheated")
    pages = workdir / "pages"
    pages.mkdir()
    for name in (PAGE, "index.ipynb"):
        shutil.copy(NOTEBOOKS / name, pages / name)
    server = start_shared_server(workdir, pages, secrets.token_urlsafe(24), PREHEAT_ARGS)
    try:
        yield server
    finally:
        stop(server.process)


def kernel_of(page: Any) -> str:
    return page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )


def open_link(page: Any, server: SharedServer, query: str) -> Any:
    page.goto(f"{server}voila/render/{PAGE}?{query}&token={server.token}",
              wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_selector(".tpop-order-input textarea:enabled", timeout=60_000)
    return page


def test_a_deep_link_fills_a_preheated_page(
    preheated: SharedServer, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    context = browser.new_context(**browser_context_args)
    page = open_link(context.new_page(), preheated, LINK)
    kernel_id = kernel_of(page)
    assert re.search(rf"Using pre-heated kernel: {kernel_id} for {PAGE}", preheated.log())
    outcome = page.locator('.tpop-outcome[data-outcome="wait_for_activation"]')
    expect(outcome).to_contain_text("TP-77", timeout=30_000)
    expect(outcome).to_contain_text("23 November 2026")
    expect(page.locator(".tpop-hero h1")).to_have_text(re.compile("order assistant", re.I))
    expect(page.locator(".tpop-as-of input")).to_have_value("2026-11-23T09:00")

    # Closing the tab shuts its kernel down at once, well before any idle time-out.
    assert_closing_shuts_the_kernel_down(preheated, page, context, kernel_id)


def test_a_preheated_page_is_as_of_its_visitors_arrival(
    preheated: SharedServer, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    # The pool's kernel (a replacement when another test took the first one).
    open_voila_page(page, preheated, PAGE, selector=".tpop-order-input textarea:enabled")
    assert f"Using pre-heated kernel: {kernel_of(page)}" in preheated.log()
    expect(page.locator(".tpop-as-of input")).not_to_have_value("", timeout=10_000)
    shown = dt.datetime.fromisoformat(page.locator(".tpop-as-of input").input_value())
    assert abs(shown - now_paris().replace(second=0, microsecond=0)) <= dt.timedelta(minutes=2)
    expect(page.locator(".tpop-order-input textarea")).to_have_value("")
    expect(page.locator(".tpop-outcome[data-outcome]")).to_have_count(0)
    context.close()


def test_other_pages_start_their_kernel_on_request(
    preheated: SharedServer, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    open_voila_page(page, preheated, "index.ipynb", selector=".tpop-landing")
    log = preheated.log()
    assert "Kernel pool of index.ipynb" not in log
    assert f"Using pre-heated kernel: {kernel_of(page)}" not in log
    context.close()


def test_the_log_holds_no_token_and_no_traceback(preheated: SharedServer) -> None:
    log = Path(preheated.log_path).read_text(encoding="utf-8", errors="replace")
    assert preheated.token not in log
    assert "Traceback" not in log


# ---------------------------------------------------------------------------
# The visitor's query reaches their kernel only (issue 12)
# ---------------------------------------------------------------------------

# A preheated page (its name matches config/shared/voila.py's preheat list) that shows
# what its kernel receives when its visitor arrives: the kernel's own view.
PROBE = """\
import os, threading
import ipywidgets as w
seen = w.HTML("waiting")
seen.add_class("probe")
def wait():
    from voila.utils import get_query_string
    query = get_query_string()
    names = sorted(k for k in os.environ if "TOKEN" in k.upper())
    seen.value = f"QUERY={query}|NAMES={names}|URL={os.environ.get('VOILA_REQUEST_URL')}"
threading.Thread(target=wait, daemon=True).start()
seen
"""


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    import nbformat

    from .test_shared_server import _page

    workdir = tmp_path_factory.mktemp("probed")
    pages = workdir / "pages"
    (pages / "probe").mkdir(parents=True)
    nbformat.write(_page("Probe", PROBE), pages / "probe" / PAGE)
    server = start_shared_server(workdir, pages, secrets.token_urlsafe(32), PREHEAT_ARGS)
    try:
        yield server
    finally:
        stop(server.process)


def _query_socket_status(server: SharedServer, kernel_id: str, token: str | None) -> int:
    """The HTTP status of a websocket request for a kernel's visitor query."""
    from _kernel_client import ws_url
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with connect(ws_url(server, f"voila/query/{kernel_id}"), additional_headers=headers,
                     open_timeout=10) as socket:
            try:
                socket.recv(timeout=1)
            except TimeoutError:
                pass
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def test_the_visitor_query_reaches_their_kernel_only(
    probed: SharedServer, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    import uuid

    from _kernel_client import environ_of

    # Anyone asking for a kernel's query is refused, with the token or without: only
    # the kernel itself (with the key it was started with) may listen. The old endpoint
    # answered anyone, and a closing stranger removed the waiting kernel's entry.
    for _ in range(3):
        for token in (None, probed.token):
            assert _query_socket_status(probed, str(uuid.uuid4()), token) == 403

    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.goto(f"{probed}voila/render/probe/{PAGE}?order_id=TP-9&token={probed.token}",
              wait_until="domcontentloaded", timeout=60_000)
    seen = page.locator(".probe")
    expect(seen).to_contain_text("QUERY=", timeout=60_000)
    text = seen.inner_text()
    kernel_id = kernel_of(page)
    assert f"Using pre-heated kernel: {kernel_id}" in probed.log()
    # The deep link applied; the token never reached the kernel.
    assert "QUERY=order_id=TP-9|" in text, text
    assert "NAMES=[]" in text, text
    assert probed.token not in text
    # Nobody can listen for this kernel's query afterwards either.
    for token in (None, probed.token):
        assert _query_socket_status(probed, kernel_id, token) == 403

    # The kernel that refills the pool carries nothing of this visitor: not their link
    # (Voila put it in the next kernel's VOILA_REQUEST_URL), not the token.
    from _kernel_client import kernel_pid

    def refill_pids() -> list[int]:
        found = re.findall(r"Kernel started: ([0-9a-f-]{36})", probed.log())
        pids = [kernel_pid(k) for k in found if k != kernel_id]
        return [p for p in pids if p is not None]

    deadline = time.monotonic() + 60
    while not refill_pids() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert refill_pids(), probed.log()[-2000:]
    for pid in [kernel_pid(kernel_id), *refill_pids()]:
        environ = environ_of(pid)
        assert probed.token.encode() not in environ
        assert b"TP-9" not in environ
    context.close()
