"""Server-side guards for the Voila server that serves the pages (issue 12).

Voila 0.5 and jupyter_server leave a few doors open on a shared server; this module
closes them without forking either. It is loaded by the settings files: ``voila.json``
(``make app`` and ``make serve-shared``) names :class:`GuardedKernelConnection`, and
``config/shared/voila.py`` (``make serve-shared``) names :class:`GuardedKernelManager`
and :class:`SharedIdentityProvider`. Importing the module also routes a few of Voila's
URLs to the handlers below (:func:`install`): Voila has no setting for those.

What each part does (docs/security.md names the test behind each):

- **Kernel websockets speak the v1 protocol only** (:class:`GuardedKernelConnection`).
  A connection that does not offer ``v1.kernel.websocket.jupyter.org`` is refused
  before the upgrade (400). Voila reads every outgoing binary frame as a v1 frame
  (``read_header_from_binary_message``): a legacy frame's first 8 bytes taken as an
  offset count made the server loop for ever. Every v1 frame from a client is checked
  before jupyter_server parses it (the same unbounded offset count), and Voila's reader
  is replaced by one that refuses a malformed frame (:func:`v1_offsets`).
- **Errors of widget messages reach the client as a short message**: an ``error``
  message on iopub keeps its kind only (no traceback, no file path, no value), and
  stderr text is not forwarded.
- **Kernels never hold the token**: their environment loses ``JUPYTER_TOKEN``,
  ``TPOP_KB_TOKEN`` and any variable holding the token; ``QUERY_STRING`` and
  ``VOILA_REQUEST_URL`` lose their ``token`` and ``_xsrf`` parameters
  (:func:`kernel_environment`).
- **A preheated kernel's visitor query** (``/voila/query/<kernel id>``, which Voila
  served to anyone) is handed to that kernel only: each kernel gets its own key (an
  HMAC of its id with a secret of this server process) in the URL it calls back
  (``VOILA_WS_BASE_URL``); a request without the key is refused (403), with the token
  or not. The query string it carries has no token, is delivered once and then
  forgotten (:class:`KernelQueryHandler`).
- **Kernels are capped per visitor and in total** (:class:`GuardedKernelManager`,
  :class:`GuardedPageHandler`): a visitor (client address) over the cap gets a clear
  page (429), everyone gets one (503) when the server holds its total.
- **Sign-in attempts are rate-limited per client** (429 and a line in the log); a
  token shorter than :data:`MIN_TOKEN_CHARS` characters is refused at start-up
  (:class:`SharedIdentityProvider`).
- **Clean pages** instead of bare 500s for ``/logout`` and ``/voila/templates/...``.
- **Nothing is loaded from another server**: the ``<link>``/``<script>`` elements of
  Voila's templates that point to a public CDN (Font Awesome) are removed from every
  HTML page (:class:`NoThirdPartyAssets`); the pages use no icon font.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import html
import json
import logging
import os
import re
import secrets
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import traitlets
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from tornado.websocket import WebSocketHandler

log = logging.getLogger("tpop_kb.server_guard")

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
#: the most parts a v1 frame may declare (channel, 4 message parts, buffers)
MAX_V1_PARTS = 4096
#: the shortest token ``make serve-shared`` accepts
MIN_TOKEN_CHARS = 32
#: environment variables a kernel never gets
SECRET_ENV = ("JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE", "JUPYTER_PASSWORD", "TPOP_KB_TOKEN")
_SECRET_PARAM = re.compile(r"token|xsrf|auth|password|passwd|secret", re.I)

SHORT_ERROR = "The page hit an error; the details are in the server log."


# ---------------------------------------------------------------------------
# 1. Kernel websocket frames
# ---------------------------------------------------------------------------


def v1_offsets(frame: Any) -> list[int] | None:
    """The offsets of a well-formed v1 frame, or None.

    A v1 frame is ``n`` (8 bytes, little endian), then ``n`` offsets (8 bytes each):
    the channel name starts right after them, each next offset ends a part, the last
    one is the frame's length. Checked in a bounded time, whatever the bytes.
    """
    if not isinstance(frame, (bytes, bytearray, memoryview)):
        return None
    frame = bytes(frame) if isinstance(frame, memoryview) else frame
    size = len(frame)
    if size < 8:
        return None
    count = int.from_bytes(frame[:8], "little")
    # channel + header, parent_header, metadata, content: 6 offsets at least
    if count < 6 or count > MAX_V1_PARTS or 8 * (count + 1) > size:
        return None
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
    if offsets[0] != 8 * (count + 1) or offsets[-1] != size:
        return None
    if any(b < a for a, b in zip(offsets, offsets[1:], strict=False)):
        return None
    return offsets


def safe_read_header_from_binary_message(ws_msg: Any) -> dict | None:
    """Voila's ``read_header_from_binary_message``, refusing a frame that is not v1."""
    offsets = v1_offsets(ws_msg)
    if offsets is None:
        return None
    try:
        header = json.loads(bytes(ws_msg[offsets[1] : offsets[2]]).decode("utf-8"))
    except Exception:
        return None
    return header if isinstance(header, dict) else None


class GuardedKernelConnection(ZMQChannelsWebsocketConnection):
    """A kernel websocket connection that speaks v1 only and checks every frame."""

    async def prepare(self) -> None:
        handler = self.websocket_handler
        offered = handler.request.headers.get("Sec-WebSocket-Protocol", "")
        if V1_PROTOCOL not in [p.strip() for p in offered.split(",")]:
            log.warning(
                "Refused a kernel websocket without the %s subprotocol (the legacy "
                "protocol is not served)",
                V1_PROTOCOL,
            )
            raise web.HTTPError(400, "kernel websockets need the %s subprotocol", V1_PROTOCOL)
        await super().prepare()

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        if self.subprotocol != V1_PROTOCOL or v1_offsets(incoming_msg) is None:
            log.warning("Dropped a malformed message on kernel %s's websocket", self.kernel_id)
            return
        try:
            super().handle_incoming_message(incoming_msg)
        except Exception as exc:  # a header that is not JSON, a missing field...
            log.warning(
                "Dropped a malformed message on kernel %s's websocket (%s)",
                self.kernel_id,
                type(exc).__name__,
            )

    def _on_zmq_reply(self, stream: Any, msg_list: Any) -> None:
        if getattr(stream, "channel", None) == "iopub" and isinstance(msg_list, list):
            msg_list = self._short_errors(msg_list)
            if msg_list is None:
                return
        super()._on_zmq_reply(stream, msg_list)

    def _short_errors(self, parts: list[Any]) -> list[Any] | None:
        """An ``error`` keeps its kind only; stderr text is not forwarded (None: drop)."""
        if len(parts) < 4:
            return parts
        try:
            header = self.session.unpack(bytes(parts[0]))
        except Exception:
            return parts
        kind = header.get("msg_type") if isinstance(header, dict) else None
        if kind == "error":
            try:
                ename = str(self.session.unpack(bytes(parts[3])).get("ename", "Error"))[:80]
            except Exception:
                ename = "Error"
            log.warning(
                "Kernel %s sent an error (%s) to its page: traceback withheld",
                self.kernel_id,
                ename,
            )
            content = {"ename": ename, "evalue": SHORT_ERROR, "traceback": []}
            return [*parts[:3], self.session.pack(content), *parts[4:]]
        if kind == "stream":
            try:
                name = self.session.unpack(bytes(parts[3])).get("name")
            except Exception:
                name = None
            if name == "stderr":
                return None
        return parts


# ---------------------------------------------------------------------------
# 2. Kernel environments, the preheated kernels' query, kernel caps
# ---------------------------------------------------------------------------

_SERVER_SECRET = secrets.token_bytes(32)


def kernel_key(kernel_id: str) -> str:
    """The key a kernel shows to read its visitor's query (this server process only)."""
    digest = hmac.new(_SERVER_SECRET, kernel_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def scrub_query(query: str) -> str:
    """A query string without its token, ``_xsrf`` or other credentials."""
    if not query:
        return query
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _SECRET_PARAM.search(k)]
    return query if kept == pairs else urlencode(kept)


def scrub_url(url: str) -> str:
    """A URL without credentials in its query string."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return urlunsplit(parts._replace(query=scrub_query(parts.query)))


def kernel_environment(
    env: dict[str, str], token: str | None = None, query_key_url: str | None = None
) -> dict[str, str]:
    """What a kernel gets of ``env``: no token anywhere, credentials out of its URLs."""
    out = {}
    for name, value in env.items():
        if name in SECRET_ENV or (token and token in str(value)):
            if name not in ("QUERY_STRING", "VOILA_REQUEST_URL"):
                continue
        out[name] = value
    if "QUERY_STRING" in out:
        out["QUERY_STRING"] = scrub_query(out["QUERY_STRING"])
    if "VOILA_REQUEST_URL" in out:
        out["VOILA_REQUEST_URL"] = scrub_url(out["VOILA_REQUEST_URL"])
    if query_key_url is not None:
        out["VOILA_WS_BASE_URL"] = query_key_url
    return out


class _Visit:
    """The page request being served: who asks, and whether its kernel is counted yet."""

    def __init__(self, visitor: str) -> None:
        self.visitor, self.owned = visitor, False


#: the page request being built (set by GuardedPageHandler for its own request only)
_VISIT: contextvars.ContextVar[_Visit | None] = contextvars.ContextVar(
    "tpop_kb_visit", default=None
)


def _total_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 * 1024**3


class GuardedKernelManager(AsyncMappingKernelManager):
    """Voila's kernel manager, plus: clean kernel environments and kernel caps."""

    max_kernels_per_visitor = traitlets.Int(
        10,
        config=True,
        help="Kernels (page views) one client address may hold at once; 0: no cap.",
    )
    max_kernels_total = traitlets.Int(
        -1,
        config=True,
        help="Kernels the server holds at once; -1: from the machine's memory "
        "(half of it, at kernel_budget_mib a kernel); 0: no cap.",
    )
    kernel_budget_mib = traitlets.Int(
        100,
        config=True,
        help="Memory counted for one kernel when the total cap comes from the machine's "
        "memory: an order assistant after use is about 85 MB PSS (benchmarks/RESULTS.md); "
        "a bulk page holding a 64 MiB file uses 300-400 MiB, in the half left over.",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owners: dict[str, str] = {}
        self._reserved: dict[str, deque[float]] = {}

    # -- caps ---------------------------------------------------------------------
    @property
    def total_cap(self) -> int:
        if self.max_kernels_total >= 0:
            return self.max_kernels_total
        budget = _total_memory_bytes() // 2 // (self.kernel_budget_mib * 1024 * 1024)
        return max(4, int(budget))

    def _pending(self, visitor: str) -> int:
        stamps = self._reserved.get(visitor)
        if not stamps:
            return 0
        while stamps and stamps[0] < time.monotonic() - 120:
            stamps.popleft()
        return len(stamps)

    def kernels_of(self, visitor: str) -> int:
        live = sum(1 for k, who in self._owners.items() if who == visitor and k in self)
        return live + self._pending(visitor)

    def admit(self, visitor: str) -> None:
        """Reserve a kernel for ``visitor``'s page, or raise 429 / 503 (a clear page)."""
        for kid in [k for k in self._owners if k not in self]:
            del self._owners[kid]
        per_visitor = self.max_kernels_per_visitor
        if per_visitor and self.kernels_of(visitor) >= per_visitor:
            log.warning(
                "Refused a page to %s: it already holds %d pages (cap per visitor)",
                visitor,
                per_visitor,
            )
            raise web.HTTPError(429, "kernel cap per visitor", reason="Too Many Pages")
        pending = sum(self._pending(v) for v in list(self._reserved))
        cap = self.total_cap
        if cap and len(self.list_kernel_ids()) + pending >= cap:
            log.warning("Refused a page to %s: the server holds its %d pages", visitor, cap)
            raise web.HTTPError(503, "kernel cap in total", reason="Server Full")
        self._reserved.setdefault(visitor, deque()).append(time.monotonic())

    def release(self, visitor: str) -> None:
        stamps = self._reserved.get(visitor)
        if stamps:
            stamps.popleft()
            if not stamps:
                del self._reserved[visitor]

    def own(self, kernel_id: str) -> None:
        """Count ``kernel_id`` as the page of the request being served (if any)."""
        visit = _VISIT.get()
        if visit is not None and not visit.owned:
            visit.owned = True
            self._owners[kernel_id] = visit.visitor
            self.release(visit.visitor)

    # -- kernels ------------------------------------------------------------------
    async def start_kernel(self, *, kernel_id: str | None = None, **kwargs: Any) -> str:
        kernel_id = kernel_id or str(uuid.uuid4())
        server_url = getattr(self.parent, "server_url", None) or "/"
        if not server_url.endswith("/"):
            server_url += "/"
        env = kwargs.get("env")
        env = dict(os.environ if env is None else env)
        if env.get("VOILA_PREHEAT") == "True":
            # a pool kernel belongs to nobody yet: Voila would give it the request of the
            # visitor whose arrival made the pool refill (their deep link, in its URL)
            env.pop("VOILA_REQUEST_URL", None)
            env.pop("QUERY_STRING", None)
        token = getattr(getattr(self.parent, "identity_provider", None), "token", None)
        key_url = f"{server_url}voila/kernel-query/{kernel_key(kernel_id)}/"
        kwargs["env"] = kernel_environment(env, token, key_url)
        started = await super().start_kernel(kernel_id=kernel_id, **kwargs)
        self.own(started)
        return started

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
        KernelQueryHandler.forget(kernel_id)
        self._owners.pop(kernel_id, None)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)


class KernelQueryHandler(WebSocketHandler):
    """``/voila/query/<kernel id>``: a preheated kernel's visitor query, for that kernel only.

    Replaces Voila's ``RequestInfoSocketHandler``, which answered anyone who knew a
    kernel id, kept the query string (token included) for the next listener and, when a
    connection it did not know closed, deleted another kernel's entry.
    """

    _waiters: dict[str, KernelQueryHandler] = {}
    _cache: dict[str, dict] = {}

    def check_key(self, kernel_id: str, key: str | None) -> bool:
        return bool(key) and hmac.compare_digest(str(key), kernel_key(kernel_id))

    async def get(self, *args: Any, **kwargs: Any) -> None:
        kernel_id, key = kwargs.get("kernel_id", ""), kwargs.get("key")
        if not self.check_key(kernel_id, key):
            log.warning("Refused a request for a kernel's visitor query without its key")
            self.set_status(403)
            self.finish(error_page(403, "fr"))
            return
        await super().get(*args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        kernel_id = kwargs["kernel_id"]
        self.kernel_id = kernel_id
        type(self)._waiters[kernel_id] = self
        payload = type(self)._cache.pop(kernel_id, None)
        if payload is not None:
            self.write_message(payload)

    def on_message(self, message: Any) -> None:  # the kernel only listens
        return None

    def on_close(self) -> None:
        kernel_id = getattr(self, "kernel_id", None)
        if kernel_id is not None and type(self)._waiters.get(kernel_id) is self:
            del type(self)._waiters[kernel_id]

    @classmethod
    def forget(cls, kernel_id: str) -> None:
        cls._cache.pop(kernel_id, None)

    @classmethod
    def send_updates(cls, msg: dict) -> None:
        """Called by Voila's page handler when a preheated kernel gets its visitor."""
        kernel_id = msg["kernel_id"]
        payload = dict(msg.get("payload") or {})
        if "QUERY_STRING" in payload:
            payload["QUERY_STRING"] = scrub_query(str(payload["QUERY_STRING"]))
        for name in list(payload):
            if name in SECRET_ENV:
                del payload[name]
        manager = _MANAGER.get("kernel_manager")
        if isinstance(manager, GuardedKernelManager):
            manager.own(kernel_id)
        waiter = cls._waiters.get(kernel_id)
        if waiter is not None:
            try:
                waiter.write_message(payload)
                return
            except Exception:
                log.error("Could not hand kernel %s its visitor's query", kernel_id)
        cls._cache[kernel_id] = payload


_MANAGER: dict[str, Any] = {}


# ---------------------------------------------------------------------------
# 3. Pages, sign-in, error pages
# ---------------------------------------------------------------------------

_PAGE_TEXT = {
    400: ("Demande incorrecte.", "Bad request."),
    403: ("Accès refusé.", "Access refused."),
    404: ("Cette adresse n'existe pas.", "There is nothing at this address."),
    429: (
        "Trop de pages ouvertes ou de tentatives depuis ce poste. Fermez des onglets de "
        "l'outil, attendez une minute, puis rechargez.",
        "Too many pages open or attempts from this computer. Close some of the tool's "
        "tabs, wait a minute, then reload.",
    ),
    503: (
        "Le serveur a atteint le nombre de pages qu'il peut tenir. Réessayez dans "
        "quelques minutes ; si cela se reproduit, prévenez le responsable support.",
        "The server holds as many pages as it can. Try again in a few minutes; if it "
        "happens again, tell the support lead.",
    ),
    500: (
        "Un problème est survenu. Rechargez la page ; si cela se reproduit, prévenez le "
        "responsable support.",
        "Something went wrong. Reload the page; if it happens again, tell the support lead.",
    ),
}


def error_page(status: int, lang: str = "fr", extra: str = "") -> str:
    """A small self-contained page (no script, nothing from elsewhere) for ``status``."""
    fr, en = _PAGE_TEXT.get(status, _PAGE_TEXT[500])
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{status}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;"
        "padding:0 1em;color:#1d2633}p{line-height:1.5}</style></head><body>"
        f'<h1 class="tpop-error-status">{status}</h1>'
        f'<p class="tpop-error-fr">{html.escape(fr)}</p>'
        f'<p class="tpop-error-en">{html.escape(en)}</p>{extra}</body></html>'
    )


class CleanErrors:
    """Mixin: error responses are :func:`error_page`, never a traceback or a bare 500."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(error_page(status_code))


def _page_handler_class() -> type:
    from voila.tornado.handler import TornadoVoilaHandler

    class GuardedPageHandler(CleanErrors, TornadoVoilaHandler):
        """Voila's page handler: a page is admitted under the kernel caps first."""

        async def get(self, path: str | None = None) -> None:
            manager = self.kernel_manager
            visitor = self.request.remote_ip or "?"
            if isinstance(manager, GuardedKernelManager) and self.current_user is not None:
                if path and path.lower().endswith(".ipynb"):
                    manager.admit(visitor)
                    visit = _Visit(visitor)
                    token = _VISIT.set(visit)
                    try:
                        await super().get(path)
                    finally:
                        _VISIT.reset(token)
                        if not visit.owned:  # no kernel started: free the reservation
                            manager.release(visitor)
                    return
            await super().get(path)

    return GuardedPageHandler


def _template_handler_class() -> type:
    from voila.static_file_handler import TemplateStaticFileHandler

    class CleanTemplateFileHandler(TemplateStaticFileHandler):
        """Voila's template files; a malformed path is a clean 404, not a bare 500."""

        def parse_url_path(self, path: str) -> str:
            parts = path.split("/", 2)
            if len(parts) < 3 or parts[1] != "static" or ".." in path.split("/"):
                raise web.HTTPError(404)
            return super().parse_url_path(path)

        @classmethod
        def get_absolute_path(cls, root: str, path: str) -> str:
            try:
                return super().get_absolute_path(root, path)
            except (AssertionError, ValueError) as exc:
                raise web.HTTPError(404) from exc

        def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
            try:
                return super().validate_absolute_path(root, absolute_path)
            except AssertionError as exc:
                raise web.HTTPError(404) from exc

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(error_page(status_code))

    return CleanTemplateFileHandler


class _LoginLimiter:
    """Failed sign-ins per client address, in a sliding window."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = {}

    def _recent(self, who: str, window_s: float) -> deque[float]:
        stamps = self.failures.get(who, deque())
        while stamps and stamps[0] < time.monotonic() - window_s:
            stamps.popleft()
        return stamps

    def blocked(self, who: str, allowed: int, window_s: float) -> bool:
        return len(self._recent(who, window_s)) >= allowed

    def fail(self, who: str, window_s: float) -> None:
        if len(self.failures) > 10_000:  # many addresses: keep the recent ones only
            for key in [k for k in self.failures if not self._recent(k, window_s)]:
                del self.failures[key]
        stamps = self._recent(who, window_s)
        stamps.append(time.monotonic())
        self.failures[who] = stamps


LIMITER = _LoginLimiter()


def _login_handler_class() -> type:
    from voila.voila_identity_provider import VoilaLoginHandler

    class GuardedLoginHandler(CleanErrors, VoilaLoginHandler):
        """The token form, with a limit on failed attempts per client address."""

        @allow_unauthenticated
        def post(self) -> None:
            idp = self.identity_provider
            who = self.request.remote_ip or "?"
            if LIMITER.blocked(who, idp.failed_logins_allowed, idp.failed_login_window_s):
                log.warning("Too many failed sign-ins from %s: refused (429)", who)
                raise web.HTTPError(429, "too many failed sign-ins")
            super().post()
            if self.get_status() == 401:
                LIMITER.fail(who, idp.failed_login_window_s)

    return GuardedLoginHandler


class CleanLogoutHandler(JupyterHandler):
    """``/logout``: forget the sign-in cookie, say so, link to the sign-in form."""

    @allow_unauthenticated
    def get(self) -> None:
        self.identity_provider.clear_login_cookie(self)
        login = html.escape(self.base_url + "login")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>TPOP</title>'
            "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;"
            "padding:0 1em}</style></head><body>"
            '<p class="tpop-logged-out">Vous êtes déconnecté. / You are signed out.</p>'
            f'<p><a href="{login}">Se reconnecter / Sign in again</a></p></body></html>'
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(error_page(status_code))


class SharedIdentityProvider(PasswordIdentityProvider):
    """The token login of ``make serve-shared``.

    - every page a signed-in visitor opens gets the ``_xsrf`` cookie its closing request
      needs (Voila's page asks the server to shut its kernel down with it; a visitor who
      arrived with ``?token=`` has no such cookie). Done here, where every request is
      authenticated, rather than in Voila's ``prelaunch_hook``: Voila refuses to start
      with a prelaunch hook and preheated kernels, and a preheated page never runs it;
    - failed sign-ins (the form, or a wrong ``?token=``) are limited per client address:
      429 and a line in the log;
    - a token shorter than :data:`MIN_TOKEN_CHARS` characters is refused at start-up.
    """

    failed_logins_allowed = traitlets.Int(
        10, config=True, help="Failed sign-ins a client address may make in the window."
    )
    failed_login_window_s = traitlets.Float(
        60.0, config=True, help="The window of failed_logins_allowed, in seconds."
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs["login_handler_class"] = _login_handler_class()
        kwargs.setdefault("logout_handler_class", CleanLogoutHandler)
        super().__init__(**kwargs)
        if self.token and len(self.token) < MIN_TOKEN_CHARS:
            message = (
                f"The token has {len(self.token)} characters: a shared server needs "
                f"{MIN_TOKEN_CHARS} at least (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')."
            )
            self.log.critical(message)
            raise SystemExit(message)

    async def get_user(self, handler: Any) -> Any:
        request = getattr(handler, "request", None)
        who = getattr(request, "remote_ip", None) or "?"
        presented = False
        if request is not None:
            try:
                presented = bool(self.get_token(handler))
            except Exception:
                presented = False
            if presented and LIMITER.blocked(
                who, self.failed_logins_allowed, self.failed_login_window_s
            ):
                log.warning("Too many failed sign-ins from %s: refused (429)", who)
                raise web.HTTPError(429, "too many failed sign-ins")
        user = super().get_user(handler)
        if hasattr(user, "__await__"):
            user = await user
        if user is None and presented:
            LIMITER.fail(who, self.failed_login_window_s)
        if user is not None:
            from voila.handler import VoilaHandler

            if isinstance(handler, VoilaHandler):
                handler.current_user = user  # as prepare() does next: xsrf_token reads it
                _ = handler.xsrf_token  # reading it sets the cookie
        return user


# ---------------------------------------------------------------------------
# 4. Nothing from other servers
# ---------------------------------------------------------------------------

_THIRD_PARTY = re.compile(
    rb"<(?:link|script)\b[^>]*\b(?:href|src)\s*=\s*[\"']?(?:https?:)?//[^>]*>(?:\s*</script>)?",
    re.I,
)


class NoThirdPartyAssets(web.OutputTransform):
    """Remove the ``<link>``/``<script>`` elements that load from another server."""

    def __init__(self, request: Any) -> None:
        self.html = False

    def transform_first_chunk(
        self, status_code: int, headers: Any, chunk: bytes, finishing: bool
    ) -> tuple[int, Any, bytes]:
        self.html = headers.get("Content-Type", "").startswith("text/html")
        if self.html:
            chunk = _THIRD_PARTY.sub(b"", chunk)
            if "Content-Length" in headers:
                headers["Content-Length"] = str(len(chunk))
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        return _THIRD_PARTY.sub(b"", chunk) if self.html else chunk


# ---------------------------------------------------------------------------
# 5. Routing Voila's URLs to the handlers above
# ---------------------------------------------------------------------------

_KERNEL_ID = r"(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)"


def install() -> None:
    """Route Voila's URLs to the guarded handlers (idempotent)."""
    import voila.app
    import voila.handler
    import voila.tornado.kernel_websocket_handler as ws
    from jupyter_server.utils import url_path_join
    from voila.request_info_handler import RequestInfoSocketHandler
    from voila.static_file_handler import TemplateStaticFileHandler
    from voila.tornado.handler import TornadoVoilaHandler

    ws.read_header_from_binary_message = safe_read_header_from_binary_message
    voila.handler.RequestInfoSocketHandler = KernelQueryHandler
    app_class = voila.app.Voila
    if getattr(app_class.init_handlers, "_tpop_guarded", False):
        return
    original = app_class.init_handlers
    page_handler, template_handler = _page_handler_class(), _template_handler_class()

    def init_handlers(self: Any) -> list:
        handlers = []
        for entry in original(self):
            pattern, handler, *rest = entry
            if handler is RequestInfoSocketHandler:
                continue  # added below, for preheated and other kernels alike
            if handler is TornadoVoilaHandler:
                handler = page_handler
            elif handler is TemplateStaticFileHandler:
                handler = template_handler
            handlers.append((pattern, handler, *rest))
        base = self.server_url or "/"
        keyed = rf"/voila/kernel-query/(?P<key>[A-Za-z0-9_-]{{20,100}})/voila/query/{_KERNEL_ID}"
        handlers[:0] = [
            (url_path_join(base, rf"/voila/query/{_KERNEL_ID}"), KernelQueryHandler),
            (url_path_join(base, keyed), KernelQueryHandler),
        ]
        _MANAGER["kernel_manager"] = self.kernel_manager
        app = getattr(self, "app", None)
        if app is not None and NoThirdPartyAssets not in app.transforms:
            app.transforms.insert(0, NoThirdPartyAssets)
        return handlers

    init_handlers._tpop_guarded = True  # type: ignore[attr-defined]
    app_class.init_handlers = init_handlers


install()
