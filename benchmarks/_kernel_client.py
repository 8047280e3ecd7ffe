"""A scripted kernel-websocket client: what a page's JavaScript (or a token holder) sends.

``KernelClient(server, kernel_id)`` opens ``/api/kernels/<id>/channels`` with the v1
protocol (``v1.kernel.websocket.jupyter.org``), as Voila's page does, and sends and reads
Jupyter messages: widget ``comm_msg`` updates and custom messages with binary buffers,
``request_states`` on ``jupyter.widget.control``... :func:`widget_by_class` and
:func:`widget_by_description` find a widget's model among the states.

Used by the capacity benchmark (benchmarks/capacity.py: simulated staff on the order
assistant), the tests of the shared server's guards (tests/browser/test_server_guard.py,
tests/browser/test_preheat.py) and the hub's (tests/hub/test_hub.py). It lives with the
benchmarks, as benchmarks/_voila.py does; tests/conftest.py puts benchmarks/ on the path.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from websockets.sync.client import connect

V1 = "v1.kernel.websocket.jupyter.org"


def ws_url(server: Any, path: str) -> str:
    """The websocket URL of ``path`` on ``server`` (a base URL, with or without its
    trailing slash)."""
    return str(server).replace("http://", "ws://", 1).rstrip("/") + "/" + path.lstrip("/")


def _pack(obj: Any) -> bytes:
    return json.dumps(obj, default=str).encode()


class KernelClient:
    """A v1 kernel websocket, authenticated with the server's token."""

    def __init__(
        self, server: Any, kernel_id: str, token: str | None = None, keep: bool = True
    ) -> None:
        """``keep=False``: messages read are returned, not kept in ``received`` (long runs)."""
        token = token if token is not None else server.token
        self.keep = keep
        self.session = f"probe-{uuid.uuid4().hex}"
        self.ws = connect(  # noqa: SIM115 (closed by close())
            ws_url(server, f"api/kernels/{kernel_id}/channels?session_id={self.session}"),
            subprotocols=[V1],
            additional_headers={"Authorization": f"token {token}"},
            max_size=None,
            open_timeout=30,
        )
        self.received: list[dict[str, Any]] = []

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> KernelClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def send(
        self,
        msg_type: str,
        content: dict[str, Any],
        channel: str = "shell",
        buffers: list[bytes] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        msg_id = f"{msg_type}-{uuid.uuid4().hex}"
        header = {
            "msg_id": msg_id,
            "username": "probe",
            "session": self.session,
            "msg_type": msg_type,
            "version": "5.3",
            "date": "2026-11-23T09:00:00Z",
        }
        parts = [_pack(header), _pack({}), _pack(metadata or {}), _pack(content), *(buffers or [])]
        self.ws.send(serialize_msg_to_ws_v1(parts, channel))
        return msg_id

    def send_raw(self, frame: bytes | str) -> None:
        self.ws.send(frame)

    def read(self, seconds: float, until: Any = None) -> list[dict[str, Any]]:
        """Messages received within ``seconds`` (stops early once ``until(msg)`` is true)."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                frame = self.ws.recv(timeout=max(0.05, deadline - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(frame, str):
                msg = json.loads(frame)
            else:
                channel, parts = deserialize_msg_from_ws_v1(frame)
                msg = {
                    "channel": channel,
                    "header": json.loads(parts[0]),
                    "parent_header": json.loads(parts[1]),
                    "content": json.loads(parts[3]),
                    "buffers": parts[4:],
                }
            got.append(msg)
            if self.keep:
                self.received.append(msg)
            if until is not None and until(msg):
                break
        return got

    # -- widgets ------------------------------------------------------------------
    def widget_states(self, seconds: float = 30) -> dict[str, dict[str, Any]]:
        """Every widget model of the page: model id -> state (``request_states``)."""
        comm_id = uuid.uuid4().hex
        self.send(
            "comm_open",
            {
                "comm_id": comm_id,
                "target_name": "jupyter.widget.control",
                "data": {},
            },
            metadata={"version": "1.0.0"},
        )
        self.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})

        def is_reply(msg: dict[str, Any]) -> bool:
            data = msg.get("content", {}).get("data", {})
            return msg["header"]["msg_type"] == "comm_msg" and data.get("method") == "update_states"

        for msg in self.read(seconds, until=is_reply):
            if is_reply(msg):
                states = msg["content"]["data"]["states"]
                return {mid: s.get("state", s) for mid, s in states.items()}
        raise AssertionError("no update_states reply")

    def update(self, model_id: str, state: dict[str, Any]) -> None:
        self.send(
            "comm_msg",
            {"comm_id": model_id, "data": {"method": "update", "state": state, "buffer_paths": []}},
        )

    def custom(self, model_id: str, content: dict[str, Any], buffers: list[bytes] = ()) -> None:
        self.send(
            "comm_msg",
            {"comm_id": model_id, "data": {"method": "custom", "content": content}},
            buffers=list(buffers),
        )


def widget_by_class(states: dict[str, dict[str, Any]], css_class: str) -> str:
    """The model id of the widget carrying ``css_class`` (``add_class``) among ``states``."""
    found = [mid for mid, state in states.items() if css_class in state.get("_dom_classes", ())]
    if len(found) != 1:
        raise LookupError(f"{len(found)} widgets carry the class {css_class!r}")
    return found[0]


def widget_by_description(states: dict[str, dict[str, Any]], description: str) -> str:
    """The model id of the widget (a button, ...) whose description is ``description``."""
    found = [mid for mid, state in states.items() if state.get("description") == description]
    if len(found) != 1:
        raise LookupError(f"{len(found)} widgets are described {description!r}")
    return found[0]


def kernel_pid(kernel_id: str) -> int | None:
    """The process id of the kernel with this id (Linux /proc), or None."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f"kernel-{kernel_id}.json".encode() in cmdline.read_bytes():
                return int(cmdline.parent.name)
        except (OSError, ValueError):
            continue
    return None


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def environ_of(pid: int) -> bytes:
    """The environment a process was started with (Linux /proc)."""
    return Path(f"/proc/{pid}/environ").read_bytes()
