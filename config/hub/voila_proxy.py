"""One person's Voila behind JupyterHub: jupyter-server-proxy's standalone mode, guarded.

JupyterHub's spawner runs this file in place of ``jupyterhub-singleuser``
(``config/hub/jupyterhub_config.py``, ``c.Spawner.cmd``)::

    python config/hub/voila_proxy.py [standaloneproxy options] -- python -m voila ...

It is ``jupyter-standaloneproxy`` (jupyter-server-proxy 4.5+), which checks every HTTP
request against the hub's login (OAuth, the person's own server only) and starts the
command after ``--`` on a free loopback port, with five additions:

1. **Kernel websockets need the hub's login too.** jupyter-server-proxy's standalone
   handler authenticates HTTP requests only: a websocket upgrade (``/api/kernels/<id>/
   channels``, ``/voila/query/<id>``) reached the app without any check, so anyone who
   could reach the hub could talk to another person's kernel. Here an upgrade is refused
   (403) unless the hub says the request comes from the server's owner.
2. **Voila has a token of its own**, made here at start-up (48 random characters),
   given to Voila in its environment (``JUPYTER_TOKEN``, never on a command line) and
   added by this proxy to every request it forwards (``Authorization: token ...``).
   Another process of the machine that finds Voila's loopback port gets 403; the
   people themselves never see or need that token.
3. **Requests that change something must come from the hub's own pages**: a POST, PUT,
   PATCH or DELETE whose ``Origin`` is another site is refused (403). jupyter-server-
   proxy leaves the XSRF check to the app, and Voila skips it for token-authenticated
   requests (which, through this proxy, they all are).
4. **The server's root opens the hub's default URL** (``c.Spawner.default_url``, the
   landing page), as ``jupyterhub-singleuser`` does; the standalone mode ignores it.
5. **Voila and its kernels never hold the hub's credentials**: the ``JUPYTERHUB_*`` and
   ``JPY_*`` variables the spawner gives this process (the person's API token among
   them) are removed from the command's environment.
"""

from __future__ import annotations

import os
import secrets
import sys
from typing import Any
from urllib.parse import urlsplit

from jupyter_server_proxy.standalone import app as standalone_app
from tornado import web

#: environment variables of the spawner that Voila and its kernels never get
HUB_ENV_PREFIXES = ("JUPYTERHUB_", "JPY_")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_make_standalone_proxy = standalone_app.make_standalone_proxy


def _same_origin(request: Any) -> bool:
    """True unless the request says it comes from another site (Origin, Sec-Fetch-Site)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc.lower() == request.host.lower()


def make_guarded_proxy(base_class: type, proxy_kwargs: dict) -> tuple[type | None, dict]:
    """jupyter-server-proxy's standalone handler, with the checks of this module."""
    handler_class, proxy_kwargs = _make_standalone_proxy(base_class, proxy_kwargs)
    if handler_class is None:
        return handler_class, proxy_kwargs

    class GuardedHubProxyHandler(handler_class):  # type: ignore[misc, valid-type]
        async def get(self, *args: Any, **kwargs: Any) -> Any:
            upgrade = self.request.headers.get("Upgrade", "").lower() == "websocket"
            if upgrade and not self.no_authentication and not self.current_user:
                self.log.warning("Refused a websocket without the owner's hub login (403)")
                raise web.HTTPError(403)
            return await super().get(*args, **kwargs)

        async def proxy(self, port: int, path: str) -> Any:
            default_url = os.environ.get("JUPYTERHUB_DEFAULT_URL", "").lstrip("/")
            if path in ("", "/") and self.request.method == "GET" and default_url:
                # What jupyterhub-singleuser does with the spawner's default_url: the
                # server's root (where the hub sends a person after signing in) opens
                # the landing page.
                return self.redirect(f"{self.base_url}/{default_url}")
            if self.request.method not in SAFE_METHODS and not _same_origin(self.request):
                self.log.warning("Refused a %s from another site (403)", self.request.method)
                raise web.HTTPError(403)
            return await super().proxy(port, path)

    return GuardedHubProxyHandler, proxy_kwargs


def voila_command(command: list[str]) -> list[str]:
    """``command`` run without the spawner's hub variables (``env -u NAME ...``)."""
    unset = sorted(name for name in os.environ if name.startswith(HUB_ENV_PREFIXES))
    return ["env", *[arg for name in unset for arg in ("-u", name)], *command]


class GuardedStandaloneProxy(standalone_app.StandaloneProxyServer):
    """``jupyter-standaloneproxy`` with Voila's own token and a clean environment."""

    def initialize(self, argv: list[str] | None = None) -> None:
        super().initialize(argv)
        token = secrets.token_urlsafe(36)
        self.command = voila_command(list(self.command))
        self.environment = {**self.environment, "JUPYTER_TOKEN": token}
        self.request_headers_override = {
            **self.request_headers_override,
            "Authorization": f"token {token}",
        }


def main() -> None:
    standalone_app.make_standalone_proxy = make_guarded_proxy
    GuardedStandaloneProxy.launch_instance()


if __name__ == "__main__":
    sys.exit(main())
