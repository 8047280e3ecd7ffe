"""`make serve-shared` against a scripted client holding the token (issue 12).

What a browser cannot do, a script can: open a kernel websocket with the legacy
protocol, send malformed frames, overwrite a widget's synced traits, open pages without
end, guess tokens. Each test starts from a real `make serve-shared` on loopback (see
tests/browser/test_shared_server.py) and drives it with a scripted websocket or HTTP
client (benchmarks/_kernel_client.py); docs/security.md lists each threat with its
test. Loopback has many addresses: a client bound to 127.0.0.2 or 127.0.0.3 is another
visitor to the server (which tells visitors apart by address).
"""

from __future__ import annotations

import http.client
import re
import secrets
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
import websockets
from _kernel_client import KernelClient, environ_of, kernel_pid, rss_mib, ws_url
from _voila import stop
from websockets.sync.client import connect

from .conftest import NOTEBOOKS
from .test_shared_server import (
    TEST_VOILA_ARGS,
    SharedServer,
    _page,
    fetch,
    kernel_id_in,
    start_shared_server,
)

pytestmark = pytest.mark.browser

LIMIT = 64 * 1024 * 1024
PROBE_CODE = """\
import os
print("ENV-NAMES", sorted(k for k in os.environ if "TOKEN" in k.upper()))
print("QUERY", os.environ.get("QUERY_STRING"))
print("URL", os.environ.get("VOILA_REQUEST_URL"))
"""


def _pages(root: Path) -> Path:
    pages = root / "pages"
    pages.mkdir()
    for name in ("index.ipynb", "bulk_triage.ipynb"):
        shutil.copy(NOTEBOOKS / name, pages / name)
    nbformat.write(_page("Probe", PROBE_CODE), pages / "probe.ipynb")
    return pages


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    workdir = tmp_path_factory.mktemp("guarded")
    server = start_shared_server(workdir, _pages(workdir), secrets.token_urlsafe(32))
    try:
        yield server
    finally:
        stop(server.process)


def port_of(server: SharedServer) -> int:
    return int(server.url.rsplit(":", 1)[1].strip("/"))


def request_from(
    server: SharedServer,
    source: str,
    path: str,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 90,
) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of a request sent from loopback address ``source``."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port_of(server), timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return (
            response.status,
            {k: v for k, v in response.getheaders()},
            response.read().decode("utf-8", errors="replace"),
        )
    finally:
        connection.close()


def login_answers_within(server: SharedServer, seconds: float) -> bool:
    try:
        start = time.monotonic()
        status = fetch(server.anonymous("login"), timeout=seconds)[0]
        return status == 200 and time.monotonic() - start < seconds
    except OSError:
        return False


def server_pid(server: SharedServer) -> int:
    port = port_of(server)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if f"--port={port}".encode() in args and any(b"voila" in a for a in args[:3]):
            return int(cmdline.parent.name)
    raise AssertionError("no Voila process")


def render(server: SharedServer, notebook: str, query: str = "") -> str:
    status, _, html = fetch(server.with_token(f"voila/render/{notebook}{query}"), timeout=120)
    assert status == 200, status
    return kernel_id_in(html)


# ---------------------------------------------------------------------------
# 1. The kernel websocket: v1 only, frames checked
# ---------------------------------------------------------------------------


def test_a_legacy_websocket_cannot_freeze_the_server(guarded: SharedServer) -> None:
    kernel_id = render(guarded, "bulk_triage.ipynb")
    url = ws_url(guarded, f"api/kernels/{kernel_id}/channels?session_id=legacy")
    auth = {"Authorization": f"token {guarded.token}"}
    # The legacy JSON protocol (no subprotocol offered) is refused before the upgrade.
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        connect(url, additional_headers=auth, open_timeout=30)
    assert refused.value.response.status_code == 400
    assert "subprotocol" in guarded.log()

    pid = server_pid(guarded)
    before = rss_mib(pid)
    with KernelClient(guarded, kernel_id) as client:
        # The message of the report: the widget states of the bulk page, binary buffers
        # included, go out as v1 frames the server reads correctly.
        states = client.widget_states()
        assert any("max_bytes" in s for s in states.values())
        # Malformed v1 frames: an absurd count of offsets (the loop that never ended),
        # offsets past the end, a truncated frame, text on a binary protocol.
        for frame in (
            (2**62).to_bytes(8, "little") + b"\0" * 64,
            (6).to_bytes(8, "little") + (2**60).to_bytes(8, "little") * 6,
            b"\xff" * 7,
            '{"header": {"msg_type": "kernel_info_request"}, "channel": "shell"}',
        ):
            client.send_raw(frame)
        assert login_answers_within(guarded, 1.0)
        # The connection still works after the dropped frames.
        asked = client.send("kernel_info_request", {})
        def is_reply(m: dict[str, Any]) -> bool:
            return (m["header"]["msg_type"] == "kernel_info_reply"
                    and m.get("parent_header", {}).get("msg_id") == asked)

        assert any(is_reply(m) for m in client.read(20, until=is_reply))
    assert login_answers_within(guarded, 1.0)
    assert rss_mib(pid) - before < 100, (before, rss_mib(pid))
    assert "Dropped a malformed message" in guarded.log()


# ---------------------------------------------------------------------------
# 2. The upload limit and kinds are the kernel's
# ---------------------------------------------------------------------------


def _upload_widget(states: dict[str, dict[str, Any]]) -> str:
    found = [mid for mid, s in states.items() if "max_bytes" in s and "accept" in s]
    assert len(found) == 1, found
    return found[0]


def _page_text(messages: list[dict[str, Any]]) -> str:
    return " ".join(
        str(m["content"].get("data", {}).get("state", {}))
        for m in messages
        if m["header"]["msg_type"] == "comm_msg"
    )


def test_the_kernel_keeps_the_upload_limit_whatever_the_client_sets(
    guarded: SharedServer,
) -> None:
    kernel_id = render(guarded, "bulk_triage.ipynb")
    kernel = kernel_pid(kernel_id)
    assert kernel is not None
    with KernelClient(guarded, kernel_id) as client:
        states = client.widget_states()
        upload = _upload_widget(states)
        assert states[upload]["max_bytes"] == LIMIT
        # The client raises the limit and adds a kind on its copy of the widget.
        client.update(upload, {"max_bytes": 2**40, "accept": ".csv,.exe"})
        client.read(2)
        start_rss = rss_mib(kernel)

        # A kind the page does not take: refused by the kernel.
        client.custom(upload, {"kind": "start", "id": "a", "name": "tool.exe", "size": 10})
        client.custom(upload, {"kind": "chunk", "id": "a", "offset": 0}, [b"MZ" * 5])
        client.custom(upload, {"kind": "end", "id": "a"})
        text = _page_text(client.read(5))
        assert "tool.exe" in text and "CSV" in text, text  # the wrong-kind message

        # A file announced over the limit: refused before a byte is taken.
        client.custom(upload, {"kind": "start", "id": "b", "name": "big.csv", "size": LIMIT + 1})
        text = _page_text(client.read(5))
        assert "big.csv" in text and "64" in text, text  # the too-big message

        # A file announced small, then sent big: every byte counts, and the whole
        # upload is let go as soon as it goes over what it announced.
        piece = b"order_id\n" + b"x" * (16 * 1024 * 1024)
        client.custom(upload, {"kind": "start", "id": "c", "name": "small.csv", "size": 1000})
        for offset in range(4):
            client.custom(upload, {"kind": "chunk", "id": "c", "offset": offset}, [piece])
        client.custom(upload, {"kind": "end", "id": "c"})
        text = _page_text(client.read(10))
        assert "small.csv" in text and "64" in text, text  # refused, naming the limit
        assert "small.csv" not in _page_text(
            [m for m in client.received if "loaded" in str(m.get("content", {}))]
        )
        time.sleep(1)
        assert rss_mib(kernel) - start_rss < 48, (start_rss, rss_mib(kernel))

        # The kernel's own limit never moved.
        states = client.widget_states()
        assert states[upload]["max_bytes"] == LIMIT
        assert ".exe" not in states[upload]["accept"]


# ---------------------------------------------------------------------------
# Widget errors, kernel environments
# ---------------------------------------------------------------------------


def test_widget_message_errors_reach_a_client_as_a_short_message(guarded: SharedServer) -> None:
    kernel_id = render(guarded, "bulk_triage.ipynb")
    with KernelClient(guarded, kernel_id) as client:
        upload = _upload_widget(client.widget_states())
        # A custom message the widget cannot read (a list, not a dict), a state of the
        # wrong type, a message to a widget that does not exist.
        client.send(
            "comm_msg",
            {"comm_id": upload, "data": {"method": "custom", "content": ["not", "a", "dict"]}},
        )
        client.update(upload, {"received": "not a number"})
        client.update(uuid.uuid4().hex, {"value": 1})
        messages = client.read(8)
    errors = [m for m in messages if m["header"]["msg_type"] == "error"]
    assert errors, [m["header"]["msg_type"] for m in messages]
    for error in errors:
        assert error["content"]["traceback"] == []
        assert "log" in error["content"]["evalue"]
    for message in messages:
        text = str(message["content"])
        assert "Traceback" not in text and ".py" not in text and "/work" not in text, text
        assert not (
            message["header"]["msg_type"] == "stream" and message["content"]["name"] == "stderr"
        )
    assert "traceback withheld" in guarded.log()


def test_kernels_never_hold_the_token(guarded: SharedServer) -> None:
    status, _, html = fetch(
        guarded.with_token("voila/render/probe.ipynb?order_id=TP-1&_xsrf=abc"), timeout=120
    )
    assert status == 200
    kernel_id = kernel_id_in(html)
    # What the kernel sees: no variable named like a token, a query without the token.
    assert "ENV-NAMES []" in html, html[-3000:]
    assert "QUERY order_id=TP-1\n" in html or "QUERY order_id=TP-1<" in html, html[-3000:]
    assert guarded.token not in html
    assert "_xsrf" not in re.search(r"URL [^\n<]*", html).group(0)
    # What it was started with (/proc/<pid>/environ): no token anywhere.
    pid = kernel_pid(kernel_id)
    assert pid is not None
    environ = environ_of(pid)
    assert guarded.token.encode() not in environ
    assert b"JUPYTER_TOKEN=" not in environ and b"TPOP_KB_TOKEN=" not in environ


# ---------------------------------------------------------------------------
# Kernel caps
# ---------------------------------------------------------------------------


def test_kernels_are_capped_per_visitor_and_in_total(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(NOTEBOOKS / "index.ipynb", pages / "index.ipynb")
    args = (
        "--MappingKernelManager.cull_idle_timeout=300 --VoilaExecutor.timeout=60 "
        "--GuardedKernelManager.max_kernels_per_visitor=2 "
        "--GuardedKernelManager.max_kernels_total=3"
    )
    server = start_shared_server(tmp_path, pages, secrets.token_urlsafe(32), args)
    try:
        path = f"/voila/render/index.ipynb?token={server.token}"
        # Visitor A (127.0.0.1): two pages, then a clear page instead of a third kernel.
        for _ in range(2):
            assert request_from(server, "127.0.0.1", path)[0] == 200
        status, _, body = request_from(server, "127.0.0.1", path)
        assert status == 429
        assert "Too many pages open" in body and "Trop de pages ouvertes" in body
        assert "Traceback" not in body and "kernelId" not in body
        # Visitor B (127.0.0.2): one page, then the server is full (3 in total).
        assert request_from(server, "127.0.0.2", path)[0] == 200
        status, _, body = request_from(server, "127.0.0.2", path)
        assert status == 503
        assert "holds as many pages as it can" in body
        log = server.log()
        assert "cap per visitor" in log and "holds its 3 pages" in log
        assert len(re.findall(r"Kernel started: ", log)) == 3
    finally:
        stop(server.process)


# ---------------------------------------------------------------------------
# Sign-in: attempts limited, cookie, clean pages
# ---------------------------------------------------------------------------


def test_failed_sign_ins_are_limited_per_client(guarded: SharedServer) -> None:
    _, headers, _ = request_from(guarded, "127.0.0.3", "/login")
    xsrf = re.search(r"_xsrf=([^;]+)", headers["Set-Cookie"]).group(1)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"_xsrf={xsrf}"}
    statuses = []
    for attempt in range(12):
        status, _, body = request_from(
            guarded, "127.0.0.3", "/login", "POST", f"password=guess-{attempt}&_xsrf={xsrf}", form
        )
        statuses.append(status)
    assert statuses[:10] == [401] * 10, statuses
    assert statuses[10:] == [429, 429], statuses
    assert "Too many pages open or attempts" in body
    # A guessed ?token= counts too, and is refused while the limit holds, even the
    # right one; another address is not affected.
    assert request_from(guarded, "127.0.0.3", f"/voila/tree?token={guarded.token}")[0] == 429
    assert request_from(guarded, "127.0.0.4", f"/voila/tree?token={guarded.token}")[0] == 200
    assert "Too many failed sign-ins from 127.0.0.3" in guarded.log()


def sign_in_cookies(server: SharedServer, headers: dict[str, str] | None = None) -> list[str]:
    """The Set-Cookie headers of a first request carrying the token."""
    connection = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=30)
    try:
        connection.request("GET", f"/voila/tree?token={server.token}", headers=headers or {})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        return response.headers.get_all("Set-Cookie") or []
    finally:
        connection.close()


def test_the_sign_in_cookie_is_lax_http_only_and_lasts_hours(guarded: SharedServer) -> None:
    status, headers, _ = request_from(
        guarded, "127.0.0.5", f"/voila/tree?token={guarded.token}"
    )
    assert status == 200
    cookies = sign_in_cookies(guarded)
    login = [c for c in cookies if c.startswith("username-")]
    assert login, cookies
    cookie = login[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    assert "Secure" not in cookie  # plain HTTP here; Secure when served over TLS
    expires = re.search(r"expires=([^;]+)", cookie, re.I).group(1)
    from email.utils import parsedate_to_datetime

    left = parsedate_to_datetime(expires).timestamp() - time.time()
    assert 3600 <= left <= 12 * 3600, left
    xsrf = [c for c in cookies if c.startswith("_xsrf=")]
    assert all("SameSite=Lax" in c for c in xsrf), xsrf


def test_behind_a_tls_proxy_the_sign_in_cookie_is_secure(
    guarded: SharedServer, tmp_path: Path
) -> None:
    """Voila 0.5 cannot serve TLS itself (its ``listen`` takes no certificate) and does
    not trust proxy headers: TLS comes from a reverse proxy, and the setting README and
    docs/security.md give (``--IdentityProvider.secure_cookie=True``) makes the cookie
    ``Secure``, so that the browser never sends it over plain HTTP."""
    forged = {"X-Forwarded-Proto": "https", "X-Scheme": "https", "X-Forwarded-Ssl": "on"}
    plain = [c for c in sign_in_cookies(guarded, forged) if c.startswith("username-")]
    assert plain and "Secure" not in plain[0], plain  # a client's header changes nothing
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(NOTEBOOKS / "index.ipynb", pages / "index.ipynb")
    server = start_shared_server(
        tmp_path, pages, secrets.token_urlsafe(32),
        f"{TEST_VOILA_ARGS} --IdentityProvider.secure_cookie=True",
    )
    try:
        cookies = sign_in_cookies(server)
    finally:
        stop(server.process)
    login = [c for c in cookies if c.startswith("username-")]
    assert login, cookies
    attributes = {a.strip().split("=")[0].lower() for a in login[0].split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= attributes, login[0]
    assert "SameSite=Lax" in login[0]


def test_the_shared_pages_ask_nothing_of_another_server(
    guarded: SharedServer, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    """The `make serve-shared` configuration (the sign-in form, the page list, two pages)
    with every request to a non-loopback host aborted: none is attempted.
    (tests/browser/test_security.py checks every page under `make app`'s.)"""
    from urllib.parse import urlsplit

    from .conftest import open_voila_page

    context = browser.new_context(**browser_context_args)
    outside: list[str] = []
    seen: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        seen.append(url)
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    try:
        page = context.new_page()
        page.goto(guarded.anonymous("login"), wait_until="networkidle", timeout=60_000)
        assert page.locator("input[name=password]").count() == 1
        for name, selector in (("index.ipynb", ".tpop-landing"),
                               ("bulk_triage.ipynb", ".tpop-bulk .tpop-choose-file")):
            open_voila_page(page, guarded, name, selector=selector)
            page.wait_for_load_state("networkidle", timeout=60_000)
        page.goto(guarded.with_token("voila/tree"), wait_until="networkidle", timeout=60_000)
    finally:
        context.close()
    assert outside == [], outside
    assert len(seen) > 20  # the guard saw the pages' own requests


def test_logout_and_template_paths_answer_clean_pages(guarded: SharedServer) -> None:
    # The sign-in form itself loads nothing from elsewhere (its template links a CDN).
    status, _, body = request_from(guarded, "127.0.0.6", "/login")
    assert status == 200 and "cdn.jsdelivr.net" not in body and 'name="password"' in body
    for path in ("/logout", f"/logout?token={guarded.token}"):
        status, _, body = request_from(guarded, "127.0.0.6", path)
        assert status == 200, (path, status, body[:500])
        assert "You are signed out" in body and 'href="/login"' in body
    token = f"token={guarded.token}"
    for path in (
        f"/voila/templates/../../../../etc/passwd?{token}",
        f"/voila/templates/lab/static/../../../../../../etc/passwd?{token}",
        f"/voila/templates/nothing?{token}",
        f"/voila/templates/lab/nostatic/x.js?{token}",
        "/voila/templates/lab/static/missing.js",
    ):
        connection = http.client.HTTPConnection("127.0.0.1", port_of(guarded), timeout=30)
        try:
            connection.putrequest("GET", path, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            status, body = response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        assert status in {403, 404}, (path, status)
        assert "There is nothing at this address" in body or "Access refused" in body, body
        assert "Traceback" not in body and "root:" not in body


def test_a_short_token_is_refused(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(NOTEBOOKS / "index.ipynb", pages / "index.ipynb")
    with pytest.raises(pytest.fail.Exception):
        start_shared_server(tmp_path, pages, "x" * 31, TEST_VOILA_ARGS)
    log = next(tmp_path.glob("serve-shared-*.log")).read_text()
    assert "TPOP_KB_TOKEN has 31 characters: a shared server needs 32 at least." in log
    assert "Voilà is running" not in log
