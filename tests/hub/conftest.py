"""A real JupyterHub on the loopback, started with config/hub/jupyterhub_config.py.

Fixtures
--------
``hub`` (module)
    The hub of ``config/hub/`` on free loopback ports, with a temporary state folder, a
    random shared password and the people ``alice`` and ``bob``: a :class:`Hub`.
``start_hub``
    ``start_hub(users=..., idle_timeout_s=..., cull_every_s=...)`` starts another one
    (the idle-culling test uses a short idle time).

``Hub.login(name)`` signs a person in as a browser would (the hub's login form, then
the OAuth redirects to their own server) and returns a ``requests.Session`` holding
their cookies; ``Hub.login_page(context, name)`` does the same in Chromium.

configurable-http-proxy comes from ``make hub`` / ``make test``
(``.venv/hub-node``); when it is missing, it is installed here with npm, and the tests
are skipped (saying why) only when neither it nor npm can be had.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from _voila import answers, free_port, stop  # benchmarks/ is on the path (tests/conftest.py)
from browser.conftest import (  # Chromium as the browser tests launch it
    browser_context_args,  # noqa: F401 (a fixture)
    browser_type_launch_args,  # noqa: F401 (a fixture)
)

REPO = Path(__file__).resolve().parents[2]
HUB_CONFIG = REPO / "config" / "hub" / "jupyterhub_config.py"
NODE_PREFIX = REPO / ".venv" / "hub-node"
CHP = NODE_PREFIX / "node_modules" / ".bin" / "configurable-http-proxy"
START_TIMEOUT_S = 60
SPAWN_TIMEOUT_S = 120


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hub: drives a real JupyterHub on the loopback")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/hub/ carries the ``hub`` mark."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.hub)


def hub_packages() -> None:
    """The `hub` extra must be installed (make test / make hub do it): fail, saying so."""
    import importlib.util

    missing = [name for name in ("jupyterhub", "jupyter_server_proxy", "jupyterhub_idle_culler")
               if importlib.util.find_spec(name) is None]
    if missing:
        names = ", ".join(missing)
        pytest.fail(f"{names} not installed: pip install -e '.[hub]' (make hub-install)")


def configurable_http_proxy() -> str:
    """The proxy's executable: .venv/hub-node, else PATH, else installed with npm now."""
    if CHP.exists():
        return str(CHP)
    found = shutil.which("configurable-http-proxy")
    if found:
        return found
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("configurable-http-proxy cannot be installed: npm is missing (make hub)")
    done = subprocess.run(
        [npm, "install", "--prefix", str(NODE_PREFIX), "--no-save", "--no-audit",
         "--no-fund", "configurable-http-proxy@5"],
        capture_output=True, text=True, timeout=300,
    )
    if done.returncode != 0 or not CHP.exists():
        pytest.skip(f"configurable-http-proxy could not be installed with npm:\n{done.stderr}")
    return str(CHP)


class Hub:
    """A running hub: its URL, password, log and process."""

    def __init__(self, url: str, password: str, log_path: Path, process: subprocess.Popen) -> None:
        self.url = url.rstrip("/")
        self.password = password
        self.log_path = log_path
        self.process = process

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def ws(self, path: str) -> str:
        return self.url.replace("http://", "ws://", 1) + path

    def login(self, name: str, password: str | None = None) -> requests.Session:
        """Sign ``name`` in through the hub's form, then open their server (started if
        needed) so that the session holds the server's own login cookie too."""
        session = requests.Session()
        form = session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
        assert xsrf, form.text[:2000]
        data = {"username": name, "password": password or self.password, "_xsrf": xsrf[1]}
        session.post(f"{self.url}/hub/login", data=data, timeout=60)
        if password is None:
            self.wait_for_server(session, name)
            # the file list: no kernel is started (a server holds 10 pages at most)
            page = session.get(f"{self.url}/user/{name}/voila/tree", timeout=120)
            assert page.url.startswith(f"{self.url}/user/{name}/"), (page.url, self.log()[-3000:])
        return session

    def api(self, session: requests.Session, path: str) -> Any:
        """GET /hub/api/<path> with a signed-in session (the hub wants its XSRF header)."""
        headers = {"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/") or ""}
        reply = session.get(f"{self.url}/hub/api/{path}", headers=headers, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def server_of(self, session: requests.Session) -> dict | None:
        """The signed-in person's running server (the hub's model), or None."""
        return self.api(session, "user").get("servers", {}).get("")

    def wait_for_server(self, session: requests.Session, name: str) -> None:
        """Start ``name``'s server when it is not running, and wait until it is ready."""
        headers = {"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/") or ""}
        deadline = time.monotonic() + SPAWN_TIMEOUT_S
        server = self.server_of(session)
        if server is None:
            session.post(f"{self.url}/hub/api/users/{name}/server", headers=headers, timeout=60)
        while True:
            server = self.server_of(session)
            if server and server.get("ready"):
                return
            if time.monotonic() > deadline:
                pytest.fail(f"{name}'s server was not ready in {SPAWN_TIMEOUT_S} s:\n"
                            f"{self.log()[-4000:]}")
            time.sleep(0.5)

    def login_page(self, context: Any, name: str) -> Any:
        """A Chromium page signed in as ``name`` through the hub's login form."""
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.tpop_errors = errors
        page.goto(f"{self.url}/hub/login", wait_until="domcontentloaded")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", self.password)
        page.click("[type=submit]")
        own = re.compile(rf"^{re.escape(self.url)}/user/{name}/.*")
        page.wait_for_url(own, timeout=SPAWN_TIMEOUT_S * 1000)
        return page


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the hub alone (it stops the people's servers and its proxy), then what is
    left of its process group (``benchmarks/_voila.stop``)."""
    stop(process, wait_s=30, leader_first=True)


def _answers(url: str) -> bool:
    """The proxy answers 404 until the hub has added its route: 200 only."""
    return answers(url, statuses=(200,))


@pytest.fixture(scope="module")
def start_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Hub]]:
    started: list[Hub] = []
    hub_packages()
    chp = configurable_http_proxy()

    def start(
        users: tuple[str, ...] = ("alice", "bob"),
        idle_timeout_s: int = 3600,
        cull_every_s: int = 300,
        activity_interval_s: int = 300,
    ) -> Hub:
        state = tmp_path_factory.mktemp("hub")
        port = free_port()
        password = secrets.token_urlsafe(18)
        env = {
            **os.environ,
            "TPOP_HUB_PASSWORD": password,
            "TPOP_HUB_USERS": ",".join(users),
            "TPOP_HUB_IP": "127.0.0.1",
            "TPOP_HUB_PORT": str(port),
            "TPOP_HUB_API_PORT": str(free_port()),
            "TPOP_HUB_PROXY_API_PORT": str(free_port()),
            "TPOP_HUB_STATE": str(state),
            "TPOP_HUB_CHP": chp,
            "TPOP_HUB_IDLE_TIMEOUT": str(idle_timeout_s),
            "TPOP_HUB_CULL_EVERY": str(cull_every_s),
            "TPOP_HUB_ACTIVITY_INTERVAL": str(activity_interval_s),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("TPOP_KB_NOTEBOOKS", None)
        log_path = state / "hub.log"
        jupyterhub = Path(sys.executable).with_name("jupyterhub")
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                [str(jupyterhub), "-f", str(HUB_CONFIG)],
                cwd=state,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        hub = Hub(f"http://127.0.0.1:{port}", password, log_path, process)
        started.append(hub)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(f"{hub.url}/hub/api/"):
            if process.poll() is not None:
                pytest.fail(f"JupyterHub exited with {process.returncode}:\n{hub.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterHub did not answer in {START_TIMEOUT_S} s:\n{hub.log()}")
            time.sleep(0.25)
        return hub

    try:
        yield start
    finally:
        for hub in started:
            _stop(hub.process)


@pytest.fixture(scope="module")
def hub(start_hub: Callable[..., Hub]) -> Hub:
    return start_hub()


def voila_processes(name: str) -> list[int]:
    """The pids of the Voila serving ``name``'s pages (found by its base URL)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"voila" in argv and f"--Voila.base_url=/user/{name}/".encode() in argv:
            found.append(int(entry.name))
    return found


def voila_token(name: str) -> str:
    """The token ``name``'s Voila was given by config/hub/voila_proxy.py (from its
    environment: what an attacker who had it could try)."""
    pids = voila_processes(name)
    assert pids, f"no Voila for {name}"
    environ = (Path("/proc") / str(pids[0]) / "environ").read_bytes().split(b"\0")
    tokens = [v.split(b"=", 1)[1].decode() for v in environ if v.startswith(b"JUPYTER_TOKEN=")]
    assert tokens, "Voila has no token"
    return tokens[0]
