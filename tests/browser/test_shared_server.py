"""`make serve-shared`, run for real: token, no tracebacks, images only, time limit, culling.

Each server here is started through the Makefile recipe itself (``make serve-shared``,
so the token handling, ./voila.json and config/shared/voila.py are exactly what staff
get), bound to 127.0.0.1 on a free port, serving a temporary folder of pages: a copy of
the landing page, a page that raises, a page that never finishes, and a few static
files. Culling and the build time limit are shortened through ``VOILA_ARGS`` so that
the tests take seconds, not minutes; tests/test_shared_server.py checks the real values.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from _voila import answers, free_port, stop  # benchmarks/ is on the path (tests/conftest.py)
from playwright.sync_api import expect

from .conftest import (
    NOTEBOOKS,
    REPO,
    START_TIMEOUT_S,
    VoilaServer,
    open_voila_page,
    save_screenshot,
)

pytestmark = pytest.mark.browser

CULL_IDLE_S = 10
CULL_INTERVAL_S = 2
BUILD_TIMEOUT_S = 10
TEST_VOILA_ARGS = (
    f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S} "
    f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S} "
    f"--VoilaExecutor.timeout={BUILD_TIMEOUT_S}"
)
# What the failing page knows and must never show: an exception, its message, its code.
LEAKS = ("Traceback", "RuntimeError", "Jean Dupont", "détail-interne-4242", "raise ")
RELOAD_HINT = "Reload the page"


class SharedServer(VoilaServer):
    """A `make serve-shared` server: its URLs carry the token unless asked not to."""

    token: str

    def render_url(self, notebook: str) -> str:
        return f"{self}voila/render/{notebook}?token={self.token}"

    def anonymous(self, path: str) -> str:
        return f"{self}{path}"

    def with_token(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self}{path}{sep}token={self.token}"


# ---------------------------------------------------------------------------
# Starting `make serve-shared`
# ---------------------------------------------------------------------------


def _png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _page(title: str, code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _pages_folder(root: Path) -> Path:
    pages = root / "pages"
    pages.mkdir()
    shutil.copy(NOTEBOOKS / "index.ipynb", pages / "index.ipynb")
    nbformat.write(
        _page(
            "Broken page",
            'secret = "détail-interne-4242"\nraise RuntimeError(f"order of Jean Dupont: {secret}")',
        ),
        pages / "broken.ipynb",
    )
    nbformat.write(_page("Slow page", "import time\ntime.sleep(120)"), pages / "slow.ipynb")
    (pages / "logo.png").write_bytes(_png())
    (pages / ".hidden.png").write_bytes(_png())
    (pages / "helper.py").write_text("API_KEY = 'do-not-serve'\n", encoding="utf-8")
    (pages / "orders.csv").write_text("order_id,name\nA1,Jean Dupont\n", encoding="utf-8")
    (pages / "settings.yaml").write_text("api_key: do-not-serve\n", encoding="utf-8")
    (pages / "drawing.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        encoding="utf-8",
    )
    return pages


def start_shared_server(
    workdir: Path, pages: Path, token: str | None, voila_args: str = TEST_VOILA_ARGS
) -> SharedServer:
    """``make serve-shared HOST=127.0.0.1 PORT=<free>`` serving ``pages``; waits until it answers.

    ``token`` goes in TPOP_KB_TOKEN; None lets the recipe generate one, read back from
    the first line it prints.
    """
    port = free_port()
    log_path = workdir / f"serve-shared-{port}.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "JUPYTER_TOKEN"}
        and not k.startswith("TPOP_KB_")
    }
    env.update({"PYTHONUNBUFFERED": "1", "JUPYTER_PLATFORM_DIRS": "1"})
    if token is not None:
        env["TPOP_KB_TOKEN"] = token
    command = [
        "make",
        "--no-print-directory",
        "-C",
        str(REPO),
        "-o",
        ".venv/.installed-app",  # never reinstall the package from a test
        "serve-shared",
        "HOST=127.0.0.1",
        f"PORT={port}",
        f"NOTEBOOKS={pages}",
        f"BIN={Path(sys.executable).parent}",
        f"VOILA_ARGS={voila_args}",
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    server = SharedServer(f"http://127.0.0.1:{port}/", log_path, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not answers(server.anonymous("login")):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"make serve-shared did not answer:\n{server.log()}")
        time.sleep(0.25)
    if token is None:
        found = re.search(r"\?token=([A-Za-z0-9_-]+)", server.log())
        assert found, f"no token printed:\n{server.log()}"
        token = found.group(1)
    server.token = token
    return server


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    workdir = tmp_path_factory.mktemp("shared")
    server = start_shared_server(workdir, _pages_folder(workdir), secrets.token_urlsafe(24))
    try:
        yield server
    finally:
        stop(server.process)


# ---------------------------------------------------------------------------
# HTTP helpers
# ---------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET", timeout: float = 60) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) without following redirects."""
    request = urllib.request.Request(url, method=method)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = response.read().decode("utf-8", errors="replace")
            return response.status, dict(response.headers), body
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", errors="replace")


def raw_get(
    server: SharedServer, path: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """(status, body) of a GET sent with ``path`` exactly as written (no normalising)."""
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1][:-1]))
    try:
        connection.putrequest(
            "GET", path, skip_host="Host" in (headers or {}), skip_accept_encoding=True
        )
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


def kernel_id_in(html: str) -> str:
    found = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', html)
    assert found, "no kernel id in the rendered page"
    return found.group(1)


def kernel_status(server: SharedServer, kernel_id: str) -> int:
    return fetch(server.with_token(f"api/kernels/{kernel_id}"))[0]


def kernel_process_alive(kernel_id: str) -> bool:
    """Whether a process runs with this kernel's connection file (Linux /proc)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f"kernel-{kernel_id}.json".encode() in cmdline.read_bytes():
                return True
        except OSError:
            continue
    return False


def wait_until(condition: Any, timeout_s: float, step_s: float = 0.5) -> float:
    """Seconds it took ``condition()`` to become true; fails after ``timeout_s``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"not within {timeout_s} s")
        time.sleep(step_s)
    return time.monotonic() - start


def assert_closing_shuts_the_kernel_down(
    server: SharedServer, page: Any, context: Any, kernel_id: str
) -> None:
    """Closing the tab normally shuts its kernel down at once (Voila's page asks for it),
    well before any idle time-out, and its process ends."""
    assert kernel_status(server, kernel_id) == 200
    page.close(run_before_unload=True)
    waited = wait_until(lambda: kernel_status(server, kernel_id) == 404, CULL_IDLE_S / 2)
    assert waited < CULL_IDLE_S / 2
    context.close()
    assert not re.search(rf"Culling '\w+' kernel '\w+' \({kernel_id}\)", server.log())
    wait_until(lambda: not kernel_process_alive(kernel_id), 15)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_a_request_without_the_token_is_refused(shared: SharedServer, page: Any) -> None:
    # Pages and the page list redirect to the login form; APIs answer 403.
    for path in (
        "voila/render/index.ipynb",
        "voila/tree",
        f"voila/render/index.ipynb?token=x{shared.token}",
    ):
        status, headers, body = fetch(shared.anonymous(path))
        assert status == 302, (path, status)
        assert headers["Location"].startswith("/login?next="), headers["Location"]
        assert "tpop" not in body.lower()
    assert fetch(shared.anonymous("voila/api/contents/"))[0] == 403
    assert fetch(shared.anonymous(f"api/kernels/{uuid.uuid4()}"))[0] == 403
    assert fetch(shared.anonymous(f"voila/api/shutdown/{uuid.uuid4()}"), method="POST")[0] == 403

    # A live kernel (started with the token) cannot be reached without it: no websocket.
    status, _, html = fetch(shared.render_url("index.ipynb"))
    assert status == 200
    kernel_id = kernel_id_in(html)
    assert fetch(shared.anonymous(f"api/kernels/{kernel_id}"))[0] == 403
    upgrade = {
        "Host": shared.url.split("/")[2],
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    assert raw_get(shared, f"/api/kernels/{kernel_id}/channels", upgrade)[0] == 403

    # In Chromium: the login form, and nothing of the app.
    page.goto(shared.anonymous("voila/render/index.ipynb"), wait_until="networkidle")
    assert "/login" in page.url
    expect(page.locator("input[name=password]")).to_be_visible()
    # Token only: no form to set a lasting password (it would be written to the server).
    assert page.locator("input[name=new_password]").count() == 0
    assert page.locator(".tpop-app").count() == 0
    assert "TPOP" not in page.inner_text("body")
    save_screenshot(page, "shared-login")


def test_with_the_token_the_page_renders_without_its_source(
    shared: SharedServer, page: Any
) -> None:
    open_voila_page(page, shared, "index.ipynb", selector=".tpop-landing")
    expect(page.locator(".tpop-hero h1")).to_be_visible()
    assert "from tpop_kb.apps import" not in page.content()  # sources stripped
    assert page.tpop_errors == []
    # The token is kept in a cookie: the page list opens without it from now on.
    page.goto(shared.anonymous("voila/tree"), wait_until="domcontentloaded")
    assert "/login" not in page.url
    # The page list names notebooks only, never their content or other files.
    status, _, body = fetch(shared.with_token("voila/api/contents/"))
    assert status == 200
    entries = json.loads(body)["content"]
    assert {e["name"] for e in entries} == {"index.ipynb", "broken.ipynb", "slow.ipynb"}
    assert all(e["content"] is None for e in entries)


def test_a_failing_page_shows_no_traceback(shared: SharedServer, page: Any) -> None:
    open_voila_page(page, shared, "broken.ipynb", selector=".jp-OutputArea-output")
    expect(page.locator("body")).to_contain_text(RELOAD_HINT)
    text, html = page.inner_text("body"), page.content()
    for leak in LEAKS:
        assert leak not in text, leak
        assert leak not in html, leak
    save_screenshot(page, "shared-page-error")
    # The details stay on the server, for whoever runs it.
    assert "détail-interne-4242" in shared.log()


def test_building_a_page_is_time_limited(shared: SharedServer) -> None:
    start = time.monotonic()
    status, _, html = fetch(shared.render_url("slow.ipynb"), timeout=BUILD_TIMEOUT_S + 60)
    elapsed = time.monotonic() - start
    assert status == 200
    assert BUILD_TIMEOUT_S <= elapsed < BUILD_TIMEOUT_S + 30, elapsed
    assert "timed out" in html and RELOAD_HINT in html
    assert "time.sleep" not in html


def test_static_files_are_images_only(shared: SharedServer) -> None:
    status, headers, _ = fetch(shared.with_token("voila/files/logo.png"))
    assert status == 200 and headers["Content-Type"] == "image/png"
    # Voila serves these images without checking the token (docs/security.md says so:
    # nothing private goes in the pages folder as an image).
    assert fetch(shared.anonymous("voila/files/logo.png"))[0] == 200
    for name in (
        "index.ipynb",
        "broken.ipynb",
        "helper.py",
        "orders.csv",
        "settings.yaml",
        "drawing.svg",
        ".hidden.png",
    ):
        status, _, body = fetch(shared.with_token(f"voila/files/{name}"))
        assert status == 403, (name, status)
        assert "do-not-serve" not in body and "Jean Dupont" not in body
    # Nothing outside the served folder (CVE-2024-30265 served any file under /static/).
    # Voila's template handler answers some of these with a bare 500 (an assertion in
    # its path parsing): refused all the same, and no traceback is sent.
    token = f"token={shared.token}"
    for path in (
        f"/static/etc/passwd?{token}",
        f"/voila/static/../../../../etc/passwd?{token}",
        f"/voila/files/../../../../etc/passwd?{token}",
        f"/voila/files/..%2f..%2f..%2f..%2fetc%2fpasswd?{token}",
        f"/voila/templates/../../../../etc/passwd?{token}",
        f"/voila/templates/lab/static/../../../../../../etc/passwd?{token}",
    ):
        status, body = raw_get(shared, path)
        assert status in {400, 403, 404, 500}, (path, status)
        assert "root:" not in body and "[project]" not in body and "Traceback" not in body


def test_nothing_but_the_pages_is_served(shared: SharedServer) -> None:
    """No editor, file browser, terminal, kernel list or conversion, even with the token."""
    for path in (
        "lab",
        "tree",
        "notebooks/index.ipynb",
        "edit/index.ipynb",
        "files/index.ipynb",
        "nbconvert/html/index.ipynb",
        "api/contents",
        "api/contents/index.ipynb",
        "api/kernels",
        "api/sessions",
        "api/terminals",
        "terminals/1",
    ):
        status, _, body = fetch(shared.with_token(path))
        assert status in {403, 404}, (path, status)
    # A render URL for anything but a notebook is sent to the static-file rules (refused).
    status, headers, _ = fetch(shared.with_token("voila/render/index.ipynb/../../pyproject.toml"))
    assert status == 302 and headers["Location"].startswith("/voila/files/")
    status, _, body = fetch(shared.with_token(headers["Location"].lstrip("/")))
    assert status == 403 and "[project]" not in body


PROBE = """
async ([kernelId, marker, code]) => {
  // The kernel websocket speaks the v1 protocol only (docs/security.md): binary frames,
  // 8-byte little-endian offsets, then the channel and the JSON parts.
  const origin = location.origin.replace(/^http/, "ws");
  const ws = new WebSocket(`${origin}/api/kernels/${kernelId}/channels?session_id=${marker}`,
                           ["v1.kernel.websocket.jupyter.org"]);
  ws.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const encoder = new TextEncoder(), decoder = new TextDecoder();
  const frame = (channel, parts) => {
    const bytes = [channel, ...parts.map((p) => JSON.stringify(p))].map((p) => encoder.encode(p));
    const count = bytes.length + 1;
    const offsets = [8 * (count + 1)];
    for (const b of bytes) offsets.push(offsets[offsets.length - 1] + b.length);
    const out = new Uint8Array(offsets[offsets.length - 1]);
    const view = new DataView(out.buffer);
    view.setBigUint64(0, BigInt(count), true);
    offsets.forEach((o, i) => view.setBigUint64(8 * (i + 1), BigInt(o), true));
    bytes.forEach((b, i) => out.set(b, offsets[i]));
    return out;
  };
  const read = (data) => {
    const view = new DataView(data);
    const count = Number(view.getBigUint64(0, true));
    const offsets = [];
    for (let i = 0; i < count; i++) offsets.push(Number(view.getBigUint64(8 * (i + 1), true)));
    const part = (i) => JSON.parse(decoder.decode(data.slice(offsets[i + 1], offsets[i + 2])));
    return {header: part(0), parent_header: part(1), content: part(3)};
  };
  const got = [];
  ws.onmessage = (event) => {
    if (typeof event.data !== "string") got.push(read(event.data));
  };
  const send = (type, content) => ws.send(frame("shell", [
    {msg_id: `${type}-${marker}`, username: "probe", session: marker, msg_type: type,
     version: "5.3", date: new Date().toISOString()}, {}, {}, content]));
  send("execute_request", {code, silent: false, store_history: false, user_expressions: {},
                           allow_stdin: false, stop_on_error: true});
  send("kernel_info_request", {});
  await new Promise((resolve) => setTimeout(resolve, 4000));
  ws.close();
  return got.map((m) => ({type: m.header.msg_type, parent: (m.parent_header || {}).msg_id || "",
                          text: JSON.stringify(m.content)}));
}
"""


def test_a_visitor_cannot_run_code(shared: SharedServer, page: Any, tmp_path: Path) -> None:
    """The kernel takes widget messages only: an execute_request sent by hand is dropped."""
    open_voila_page(page, shared, "index.ipynb", selector=".tpop-landing")
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    marker, proof = f"probe-{uuid.uuid4().hex}", tmp_path / "written-by-a-visitor"
    code = f"open({str(proof)!r}, 'w').write('x'); print({marker!r})"
    messages = page.evaluate(PROBE, [kernel_id, marker, code])
    # The channel works (control: kernel_info is answered) ...
    assert any(
        m["type"] == "kernel_info_reply" and m["parent"] == f"kernel_info_request-{marker}"
        for m in messages
    ), messages
    # ... but the code never ran.
    assert not [m for m in messages if m["parent"] == f"execute_request-{marker}"], messages
    assert not [m for m in messages if marker in m["text"]]
    assert not proof.exists()
    assert "execute_request" in shared.log()  # refused, and said so in the server log


def test_closing_a_tab_shuts_its_kernel_down_at_once(
    shared: SharedServer, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    open_voila_page(page, shared, "index.ipynb", selector=".tpop-landing")
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    assert_closing_shuts_the_kernel_down(shared, page, context, kernel_id)


def test_a_closed_session_kernel_is_shut_down(
    shared: SharedServer, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    open_voila_page(page, shared, "index.ipynb", selector=".tpop-landing")
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    # A visit that rendered the page but never connected (a closed tab, a crawler).
    _, _, html = fetch(shared.render_url("index.ipynb"))
    orphan_id = kernel_id_in(html)
    assert kernel_status(shared, kernel_id) == 200 and kernel_process_alive(kernel_id)

    # An open tab keeps its kernel however long it stays idle.
    time.sleep(CULL_IDLE_S + 2 * CULL_INTERVAL_S)
    assert kernel_status(shared, kernel_id) == 200
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Postal tracking knowledge base")
    # ... while the never-connected one is gone already.
    wait_until(lambda: kernel_status(shared, orphan_id) == 404, CULL_INTERVAL_S * 3 + 10)

    # The tab goes away without saying goodbye (crash, lost network): no shutdown request.
    page.route("**/voila/api/shutdown/**", lambda route: route.abort())
    page.close(run_before_unload=False)
    context.close()
    bound = CULL_IDLE_S + 3 * CULL_INTERVAL_S + 15
    waited = wait_until(lambda: kernel_status(shared, kernel_id) == 404, bound)
    assert waited <= bound
    wait_until(lambda: not kernel_process_alive(kernel_id), 15)
    assert not kernel_process_alive(orphan_id)
    log = shared.log()
    assert re.search(rf"Culling '\w+' kernel '\w+' \({kernel_id}\)", log), log[-3000:]
    assert re.search(rf"Culling '\w+' kernel '\w+' \({orphan_id}\)", log), log[-3000:]


def test_the_token_never_reaches_the_log(shared: SharedServer) -> None:
    referer = {"Referer": shared.render_url("index.ipynb")}
    for path in ("nothing", "voila/files/helper.py", "voila/render/missing.ipynb"):
        assert raw_get(shared, f"/{path}?token={shared.token}", referer)[0] in {403, 404}
    time.sleep(0.5)
    log = shared.log()
    assert "token=[secret]" in log
    assert shared.token not in log


def test_a_generated_token_is_printed_once(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(NOTEBOOKS / "index.ipynb", pages / "index.ipynb")
    server = start_shared_server(tmp_path, pages, token=None, voila_args="")
    try:
        assert len(server.token) >= 40  # secrets.token_urlsafe(32)
        first_line = server.log().splitlines()[0]
        assert first_line.startswith("Shared pages (token required): http://127.0.0.1:")
        assert first_line.endswith(f"/voila/render/index.ipynb?token={server.token}")
        assert fetch(server.with_token("voila/tree"))[0] == 200
        assert fetch(server.anonymous("voila/tree"))[0] == 302
        assert server.log().count(server.token) == 1
    finally:
        stop(server.process)
