# JupyterHub for the pages: each person signs in and gets their own Voila.
#
#   make hub          this file on 127.0.0.1:8000 (a demo: local processes, one shared
#                     password; README, "Per-person logins (JupyterHub)")
#
# Every request to a person's pages (/user/<name>/...) goes through JupyterHub's proxy
# (configurable-http-proxy) to that person's server: config/hub/voila_proxy.py, which is
# jupyter-server-proxy's standalone mode (the hub's login in front of every request,
# kernel websockets included) starting Voila on a free loopback port with the settings
# of `make serve-shared` (config/shared/voila.py, then voila.json: no tracebacks, no
# sources, images-only static files, 60 s to build a page, 64 MiB uploads, idle kernels
# shut down after 5 minutes). jupyterhub-idle-culler stops a person's server once
# nobody has used it for TPOP_HUB_IDLE_TIMEOUT seconds.
#
# Settings from the environment (the Makefile and tests/hub/ set them):
#   TPOP_HUB_PASSWORD    the demo's shared password (16 characters at least; required)
#   TPOP_HUB_USERS       who may sign in, comma-separated (default: alice,bob)
#   TPOP_HUB_IP / TPOP_HUB_PORT          where people connect (127.0.0.1:8000)
#   TPOP_HUB_API_PORT / TPOP_HUB_PROXY_API_PORT   the hub's and the proxy's own APIs,
#                        loopback only (8081 / 8001)
#   TPOP_HUB_STATE       the hub's database, cookie secret and home folders
#                        (.venv/hub-state)
#   TPOP_HUB_CHP         configurable-http-proxy (.venv/hub-node/...; `make hub` installs it)
#   TPOP_HUB_IDLE_TIMEOUT / TPOP_HUB_CULL_EVERY   idle culling, seconds (3600 / 300)
#   TPOP_HUB_ACTIVITY_INTERVAL   how often the hub reads activity from the proxy (300 s)
#   TPOP_HUB_APP_DIR / TPOP_HUB_PYTHON   this repository and its Python as a person's
#                        server sees them (here: this checkout and this venv; in a
#                        container image, e.g. /srv/tpop-kb and /srv/tpop-kb/.venv/bin/python)
#
# For a real deployment, README ("Per-person logins (JupyterHub)") gives the lines that
# change: the authenticator (company SSO) and the spawner (one container per person), in
# a site file that loads this one first (load_subconfig) and overrides them.

import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

HUB_DIR = Path(__file__).resolve().parent
REPO = HUB_DIR.parents[1]
STATE = Path(os.environ.get("TPOP_HUB_STATE") or REPO / ".venv" / "hub-state").resolve()
STATE.mkdir(parents=True, exist_ok=True, mode=0o700)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# This repository and its Python, as the person's server sees them.
APP_DIR = Path(os.environ.get("TPOP_HUB_APP_DIR") or REPO)
SERVER_PYTHON = os.environ.get("TPOP_HUB_PYTHON") or sys.executable

IP = os.environ.get("TPOP_HUB_IP") or "127.0.0.1"
PORT = _int("TPOP_HUB_PORT", 8000)
IDLE_TIMEOUT_S = _int("TPOP_HUB_IDLE_TIMEOUT", 3600)
CULL_EVERY_S = _int("TPOP_HUB_CULL_EVERY", 300)
# The upload limit of voila.json, kept on the proxy in front of Voila too (tornado's
# default there is 10 MiB).
UPLOAD_LIMIT = 64 * 1024 * 1024

# -- where it listens ------------------------------------------------------------------
c.JupyterHub.bind_url = f"http://{IP}:{PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{_int('TPOP_HUB_API_PORT', 8081)}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
# Stop every person's server with the hub (the demo leaves nothing running).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.last_activity_interval = _int("TPOP_HUB_ACTIVITY_INTERVAL", 300)

# configurable-http-proxy (npm), started by the hub; its API on the loopback only.
_chp = os.environ.get("TPOP_HUB_CHP") or str(
    REPO / ".venv" / "hub-node" / "node_modules" / ".bin" / "configurable-http-proxy"
)
if not Path(_chp).exists():
    _chp = shutil.which("configurable-http-proxy") or _chp
c.ConfigurableHTTPProxy.command = [_chp]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{_int('TPOP_HUB_PROXY_API_PORT', 8001)}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")

# -- who signs in (demo: one shared password; real deployments: SSO, see README) --------
# Without TPOP_HUB_PASSWORD nobody can sign in (JupyterHub logs it), until a site file
# sets its own authenticator.
_password = os.environ.get("TPOP_HUB_PASSWORD", "")
if _password and len(_password) < 16:
    sys.exit(
        "TPOP_HUB_PASSWORD must hold the demo's password (16 characters at least), e.g. "
        "TPOP_HUB_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(16))')"
    )
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = _password
# (set on the demo's authenticator only: a site's own authenticator is not limited to them)
c.SharedPasswordAuthenticator.allowed_users = {
    name.strip() for name in (os.environ.get("TPOP_HUB_USERS") or "alice,bob").split(",")
    if name.strip()
}

# -- each person's server: Voila behind the hub's login --------------------------------
# Local processes under the hub's own account (no containers): a demo and the tests. A
# real deployment isolates people (DockerSpawner, KubeSpawner): README.
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")

c.Spawner.cmd = [SERVER_PYTHON, str(APP_DIR / "config" / "hub" / "voila_proxy.py")]
c.Spawner.args = [
    # Voila gets the whole path (/user/<name>/...) and serves its pages under it.
    "--absolute-url",
    # The hub learns activity from its proxy's traffic; the standalone proxy's own
    # heartbeat would report "active" every few minutes and keep idle servers alive.
    "--activity-interval=0",
    f"--websocket-max-message-size={UPLOAD_LIMIT}",
    "--timeout=60",  # Voila answers within seconds; a busy machine may need more
    "--",
    SERVER_PYTHON, "-m", "voila", str(APP_DIR / "notebooks"),
    "--no-browser", "--Voila.ip=127.0.0.1", "--port={port}", "--Voila.port_retries=0",
    "--Voila.base_url={base_url}/",
    # The settings of `make serve-shared` (config/shared/voila.py, then voila.json);
    # voila_proxy.py gives Voila its token and sends it with every request.
    f"--Voila.config_file_paths={APP_DIR / 'config' / 'shared'}",
    f"--Voila.config_file_paths={APP_DIR}",
]
c.Spawner.default_url = "/voila/render/index.ipynb"
c.Spawner.environment = {"PYTHONUNBUFFERED": "1", "TPOP_KB_NOTEBOOKS": str(APP_DIR / "notebooks")}
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90

# -- idle servers stop -----------------------------------------------------------------
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable, "-m", "jupyterhub_idle_culler",
            f"--timeout={IDLE_TIMEOUT_S}", f"--cull-every={CULL_EVERY_S}",
        ],
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
