"""The pages behind a real JupyterHub (config/hub/), on the loopback.

Two people sign in and use the landing page, the order assistant and the bulk page
under /user/<name>/ in Chromium; nobody reaches another person's pages or kernels,
with or without a Voila token; nothing is served without a login; idle servers stop;
the upload limit holds through the hub's two proxies.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest
import requests
from _kernel_client import environ_of, kernel_pid
from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1
from playwright.sync_api import expect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tpop_kb import data_dir

from .conftest import Hub, voila_processes, voila_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

V1 = "v1.kernel.websocket.jupyter.org"
LONG_MS = 180_000
ORDER = (
    "N° de commande : TP-2\nDate d'expédition : 25/11/2026 à 15h00\n"
    "N° de suivi : 6A12345678901\nStatut : en attente\nPays : France\n"
)
UPLOAD_LIMIT = 64 * 1024 * 1024


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def cookie_header(session: requests.Session | None) -> dict[str, str]:
    if session is None:
        return {}
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in session.cookies)}


#: kernels opened by a test, shut down after it (a person's server holds 10 at most)
OPENED: list[tuple[Hub, requests.Session, str, str]] = []


@pytest.fixture(autouse=True)
def shut_opened_kernels() -> Any:
    yield
    while OPENED:
        hub, session, name, kernel = OPENED.pop()
        try:
            session.post(f"{hub.url}/user/{name}/voila/api/shutdown/{kernel}", timeout=30)
        except requests.RequestException:
            pass


def open_kernel(hub: Hub, session: requests.Session, name: str, page: str) -> str:
    """Open ``page`` of ``name``'s server with ``session``; the kernel id Voila gave it."""
    reply = session.get(f"{hub.url}/user/{name}/voila/render/{page}", timeout=180)
    assert reply.status_code == 200, (reply.status_code, reply.text[:1000])
    found = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', reply.text)
    assert found, reply.text[:2000]
    OPENED.append((hub, session, name, found[1]))
    return found[1]


def kernel_socket(
    hub: Hub,
    name: str,
    kernel_id: str,
    session: requests.Session | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> Any:
    """A v1 kernel websocket to ``name``'s kernel through the hub."""
    path = f"/user/{name}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}{query}"
    return connect(
        hub.ws(path),
        subprotocols=[V1],
        additional_headers={**cookie_header(session), **(headers or {})},
        origin=hub.url,
        max_size=None,
        open_timeout=30,
    )


def refused(**kwargs: Any) -> int:
    """The HTTP status a kernel websocket attempt got (it must not open)."""
    try:
        with kernel_socket(**kwargs):
            pass
    except InvalidStatus as exc:
        return exc.response.status_code
    raise AssertionError(f"the websocket opened: {kwargs}")


def message(msg_type: str, content: dict, buffers: tuple[bytes, ...] = ()) -> bytes:
    header = {
        "msg_id": f"{msg_type}-{uuid.uuid4().hex}",
        "username": "probe",
        "session": uuid.uuid4().hex,
        "msg_type": msg_type,
        "version": "5.3",
        "date": "2026-11-23T09:00:00Z",
    }
    parts = [json.dumps(p).encode() for p in (header, {}, {}, content)] + list(buffers)
    return serialize_msg_to_ws_v1(parts, "shell")


def kernel_answers(ws: Any, seconds: float = 60) -> bool:
    """Send kernel_info_request; True once the kernel's reply comes back."""
    ws.send(message("kernel_info_request", {}))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if b"kernel_info_reply" in (frame if isinstance(frame, bytes) else frame.encode()):
            return True
    return False


def not_served(reply: requests.Response, hub: Hub, name: str) -> bool:
    """True when a response to a /user/<name>/ page is not that page: refused, or sent
    to the hub's login."""
    if reply.status_code in (401, 403):
        return True
    return not reply.url.startswith(f"{hub.url}/user/{name}/") and "tpop" not in reply.text


# ---------------------------------------------------------------------------
# two people in Chromium
# ---------------------------------------------------------------------------


def test_two_people_use_the_pages_under_their_own_url(hub: Hub, browser: Any) -> None:
    contexts = {name: browser.new_context(viewport={"width": 1280, "height": 800},
                                          locale="fr-FR", accept_downloads=True)
                for name in ("alice", "bob")}
    try:
        pages = {name: hub.login_page(ctx, name) for name, ctx in contexts.items()}
        for name, page in pages.items():
            base = f"{hub.url}/user/{name}/voila/render/"
            # Signing in lands on the landing page of the person's own server.
            expect(page.locator(".tpop-landing")).to_be_visible(timeout=LONG_MS)
            assert page.url.startswith(base + "index.ipynb"), page.url
            link = page.locator('[data-page="order_assistant"]')
            expect(link).to_be_visible()
            link.click()
            page.wait_for_url(re.compile(rf".*/user/{name}/voila/render/order_assistant\.ipynb.*"))

            # The order assistant: paste -> answer.
            expect(page.locator(".tpop-order-assistant")).to_be_visible(timeout=LONG_MS)
            page.locator(".tpop-order-input textarea").fill(ORDER)
            expect(page.locator(".tpop-paste-ok, .tpop-paste-problems").first).to_be_visible()
            page.click(".tpop-triage-button")
            expect(page.locator(".tpop-outcome[data-outcome]")).to_be_visible(timeout=LONG_MS)

            # The bulk page: upload -> summary.
            page.goto(base + "bulk_triage.ipynb", wait_until="domcontentloaded")
            expect(page.locator(".tpop-bulk .tpop-upload .tpop-choose-file")).to_be_visible(
                timeout=LONG_MS
            )
            sample = data_dir() / "samples" / "orders_fr.csv"
            with page.expect_file_chooser() as chooser:
                page.click(".tpop-upload .tpop-choose-file")
            chooser.value.set_files(str(sample))
            expect(page.locator(".tpop-file-message[data-tone=done]")).to_contain_text(
                sample.name, timeout=LONG_MS
            )
            page.locator("button.tpop-run-button").click()
            expect(page.locator(".tpop-summary")).to_be_visible(timeout=LONG_MS)
            expect(page.locator(".tpop-count-rows_read")).to_have_attribute("data-count", "360")
            assert page.tpop_errors == [], page.tpop_errors
            page.screenshot(path=str(hub.log_path.with_name(f"bulk_{name}.png")))

        # Each has their own Voila, started by the hub.
        assert voila_processes("alice") and voila_processes("bob")
        assert not set(voila_processes("alice")) & set(voila_processes("bob"))
        # In Chromium, bob's browser cannot open alice's pages.
        bob = pages["bob"]
        bob.goto(f"{hub.url}/user/alice/voila/render/index.ipynb", wait_until="load")
        expect(bob.locator(".tpop-landing")).to_have_count(0)
        assert "403" in bob.content()
    finally:
        for ctx in contexts.values():
            ctx.close()


# ---------------------------------------------------------------------------
# who may reach what
# ---------------------------------------------------------------------------


def test_a_person_cannot_open_another_persons_pages_or_kernels(hub: Hub) -> None:
    alice, bob = hub.login("alice"), hub.login("bob")
    kernel = open_kernel(hub, alice, "alice", "order_assistant.ipynb")
    page = f"{hub.url}/user/alice/voila/render/index.ipynb"
    alice_token, bob_token = voila_token("alice"), voila_token("bob")
    assert len(alice_token) >= 32 and alice_token != bob_token

    # alice's own websocket opens and her kernel answers: the probes below are real.
    with kernel_socket(hub, "alice", kernel, alice) as ws:
        assert kernel_answers(ws)

    # bob: alice's pages, with or without a Voila token (his own, or even alice's).
    for params in ({}, {"token": bob_token}, {"token": alice_token}):
        reply = bob.get(page, params=params, timeout=60)
        assert not_served(reply, hub, "alice"), (params, reply.url, reply.status_code)
    reply = bob.get(page, headers={"Authorization": f"token {alice_token}"}, timeout=60)
    assert not_served(reply, hub, "alice"), reply.url

    # bob: alice's kernel websocket, with or without a Voila token.
    assert refused(hub=hub, name="alice", kernel_id=kernel, session=bob) == 403
    for token in (bob_token, alice_token):
        assert refused(hub=hub, name="alice", kernel_id=kernel, session=bob,
                       query=f"&token={token}") == 403
        assert refused(hub=hub, name="alice", kernel_id=kernel, session=bob,
                       headers={"Authorization": f"token {token}"}) == 403
    # ...and Voila's own endpoints: the shutdown of her kernel, the file handler.
    xsrf = {"X-XSRFToken": bob.cookies.get("_xsrf", path="/hub/") or ""}
    shutdown = bob.post(f"{hub.url}/user/alice/voila/api/shutdown/{kernel}", headers=xsrf,
                        params={"token": alice_token}, timeout=60, allow_redirects=False)
    assert shutdown.status_code in (302, 403), shutdown.status_code
    with kernel_socket(hub, "alice", kernel, alice) as ws:
        assert kernel_answers(ws), "bob's shutdown request reached alice's kernel"


def test_voila_and_kernels_hold_no_credentials(hub: Hub) -> None:
    alice = hub.login("alice")
    kernel = open_kernel(hub, alice, "alice", "order_assistant.ipynb")
    token = voila_token("alice")
    secrets_ = [token.encode()] + [c.value.encode() for c in alice.cookies if len(c.value) > 20]
    pid = kernel_pid(kernel)
    assert pid is not None
    kernel_env = environ_of(pid)
    for pid_env in (kernel_env, environ_of(voila_processes("alice")[0])):
        assert b"JUPYTERHUB_API_TOKEN=" not in pid_env and b"JPY_API_TOKEN=" not in pid_env
    assert b"JUPYTER_TOKEN=" not in kernel_env
    for secret in secrets_:
        assert secret not in kernel_env


def test_nothing_is_served_without_a_login(hub: Hub) -> None:
    alice = hub.login("alice")
    kernel = open_kernel(hub, alice, "alice", "index.ipynb")
    token = voila_token("alice")
    anonymous = requests.Session()
    for path in ("voila/render/index.ipynb", "voila/render/order_assistant.ipynb",
                 "voila/tree", "voila/static/voila.js", f"api/kernels/{kernel}",
                 "voila/files/index.ipynb"):
        for params in ({}, {"token": token}):
            reply = anonymous.get(f"{hub.url}/user/alice/{path}", params=params, timeout=60)
            assert not_served(reply, hub, "alice"), (path, params, reply.url)
            assert reply.url.startswith(f"{hub.url}/hub/login") or reply.status_code == 403
    assert refused(hub=hub, name="alice", kernel_id=kernel) == 403
    assert refused(hub=hub, name="alice", kernel_id=kernel, query=f"&token={token}") == 403
    # A wrong password signs nobody in, nor the right one someone not on the list.
    wrong = hub.login("bob", password="not-the-password-at-all")
    assert wrong.get(f"{hub.url}/hub/api/user", timeout=30).status_code == 403
    stranger = hub.login("mallory", password=hub.password)
    assert stranger.get(f"{hub.url}/hub/api/user", timeout=30).status_code == 403
    # Voila itself (its loopback port) refuses a request that skips the hub.
    pid = voila_processes("alice")[0]
    port = next(
        arg.split("=", 1)[1]
        for arg in open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\0")
        if arg.startswith("--port=")
    )
    direct = requests.get(f"http://127.0.0.1:{port}/user/alice/voila/render/index.ipynb",
                          timeout=30, allow_redirects=False)
    assert direct.status_code in (302, 403), direct.status_code
    assert "tpop" not in direct.text


def test_a_request_from_another_site_changes_nothing(hub: Hub) -> None:
    alice = hub.login("alice")
    kernel = open_kernel(hub, alice, "alice", "index.ipynb")
    reply = alice.post(f"{hub.url}/user/alice/voila/api/shutdown/{kernel}",
                       headers={"Origin": "http://evil.example"}, timeout=60,
                       allow_redirects=False)
    assert reply.status_code == 403
    with kernel_socket(hub, "alice", kernel, alice) as ws:
        assert kernel_answers(ws)
    # a websocket opened from another site's page is refused as well
    with pytest.raises(InvalidStatus), connect(
        hub.ws(f"/user/alice/api/kernels/{kernel}/channels?session_id=x"),
        subprotocols=[V1], origin="http://evil.example",
        additional_headers=cookie_header(alice), open_timeout=30,
    ):
        pass
    # The same request from the hub's own pages (a closing tab) shuts the kernel down.
    assert alice.get(f"{hub.url}/user/alice/api/kernels/{kernel}", timeout=30).status_code == 200
    reply = alice.post(f"{hub.url}/user/alice/voila/api/shutdown/{kernel}",
                       headers={"Origin": hub.url}, timeout=60, allow_redirects=False)
    assert reply.status_code == 204, reply.status_code
    assert alice.get(f"{hub.url}/user/alice/api/kernels/{kernel}", timeout=30).status_code == 404


def test_upload_limit_holds_through_the_proxies(hub: Hub) -> None:
    alice = hub.login("alice")
    kernel = open_kernel(hub, alice, "alice", "index.ipynb")
    # 12 MiB (over tornado's 10 MiB default, which the proxies would otherwise apply)
    # passes: the kernel still answers on the same connection.
    with kernel_socket(hub, "alice", kernel, alice) as ws:
        big = message("comm_msg", {"comm_id": "nobody", "data": {}}, (b"x" * (12 << 20),))
        ws.send(big)
        assert kernel_answers(ws)
    # Over 64 MiB: the connection is closed (message too big), nothing reaches the kernel.
    with kernel_socket(hub, "alice", kernel, alice) as ws:
        huge = message("comm_msg", {"comm_id": "nobody", "data": {}},
                       (b"x" * (UPLOAD_LIMIT + 1),))
        with pytest.raises(ConnectionClosed):
            ws.send(huge)
            kernel_answers(ws, seconds=30)
    # the kernel is unharmed
    with kernel_socket(hub, "alice", kernel, alice) as ws:
        assert kernel_answers(ws)


# ---------------------------------------------------------------------------
# idle servers stop
# ---------------------------------------------------------------------------


def test_an_idle_server_stops(start_hub: Any) -> None:
    idle_s = 20
    hub = start_hub(users=("carol",), idle_timeout_s=idle_s, cull_every_s=5,
                    activity_interval_s=5)
    carol = hub.login("carol")
    open_kernel(hub, carol, "carol", "index.ipynb")
    assert hub.server_of(carol) is not None
    assert voila_processes("carol")
    started = time.monotonic()
    while hub.server_of(carol) is not None:
        assert time.monotonic() - started < idle_s + 90, hub.log()[-4000:]
        time.sleep(2)
    stopped_after = time.monotonic() - started
    assert stopped_after >= idle_s - 5, stopped_after
    assert "idle" in hub.log().lower()
    # Voila and its kernels went with the server.
    deadline = time.monotonic() + 30
    while voila_processes("carol") and time.monotonic() < deadline:
        time.sleep(1)
    assert voila_processes("carol") == []
    # Her pages now send her back to the hub, which starts a new server on request.
    reply = carol.get(f"{hub.url}/user/carol/voila/render/index.ipynb", timeout=60,
                      allow_redirects=False)
    assert reply.status_code == 302
    assert "/hub/" in reply.headers["Location"]
