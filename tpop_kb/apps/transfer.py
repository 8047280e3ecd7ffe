"""Files in and out of a Voila page without size trouble: :class:`FileDrop` and
:class:`DownloadButton`.

**In.** Why not ``ipywidgets.FileUpload``: it reads the whole file in the browser and
sends it in one websocket message. A message over Voila's
``websocket_max_message_size`` closes the connection without a word, so a file
over the limit meets silence. :class:`FileDrop` instead

- checks the file's size and extension in the browser, before reading it, and
  tells Python (``rejected``), which shows a clear message in the page's language;
- checks them again in the kernel, whatever the browser says: the limit and the kinds
  are the kernel's (the browser cannot change ``max_bytes`` or ``accept`` there, only
  its own copy), and every byte received counts; an upload over the limit, or over
  the size it announced, is let go at once;
- sends the file in pieces of ``chunk_bytes`` (each far below the websocket
  limit) and reports progress (``received``), so a 50 MB file goes through;
- keeps a real ``<input type="file">`` in the page (class ``tpop-file-input``),
  behind a "choose a file" button and a drop zone;
- shows a "cancel" button (class ``tpop-cancel-upload``) while a file is being sent:
  it stops sending, and the kernel lets go of the pieces it has (``rejected`` with the
  reason ``cancelled``).

Python sees the finished file in ``value`` (a dict: ``name``, ``size``,
``content`` as bytes); ``value`` is not synced back to the browser. Tests
without a browser set ``value`` (or ``rejected``) directly.

**Out.** :class:`DownloadButton` builds its file only when clicked (``build``,
a function returning bytes, set by the page), sends it to the browser in
pieces and saves it there as a download (a ``Blob``): nothing is written to
disk, nothing is built that nobody asked for, and a 100,000-row workbook does
not sit in the page as a ``data:`` URI.

The front ends are small ES modules run by anywidget (no CDN, no build step), real
files in ``assets/``: ``file_drop.js`` / ``.css`` and ``download_button.js`` / ``.css``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from ._base import asset

log = logging.getLogger("tpop_kb.apps")

__all__ = ["DownloadButton", "FileDrop"]

_ESM = asset("file_drop.js")

_CSS = asset("file_drop.css")


class FileDrop(anywidget.AnyWidget):
    """Choose or drop one file; checked in the browser, sent in pieces, kept in ``value``."""

    _esm = _ESM
    _css = _CSS

    accept = traitlets.Unicode(".csv,.tsv,.txt,.xlsx").tag(sync=True)
    max_bytes = traitlets.Int(64 * 1024 * 1024).tag(sync=True)
    chunk_bytes = traitlets.Int(4 * 1024 * 1024).tag(sync=True)
    button_label = traitlets.Unicode("Choose a file").tag(sync=True)
    cancel_label = traitlets.Unicode("Cancel").tag(sync=True)
    drop_label = traitlets.Unicode("or drop it here").tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    #: bytes received of the file being sent, and its size (0: nothing being sent)
    received = traitlets.Int(0).tag(sync=True)
    sending_size = traitlets.Int(0).tag(sync=True)
    sending_name = traitlets.Unicode("")

    #: the last file received: {"serial", "name", "size", "content"} (not synced)
    value = traitlets.Dict(allow_none=True, default_value=None)
    #: the last file refused: {"serial", "name", "size", "reason"}; reason is one of
    #: too_big, wrong_kind, several, empty, read_error, incomplete, cancelled (not synced)
    rejected = traitlets.Dict(allow_none=True, default_value=None)

    #: the only synced traits the browser may change (its progress bar); every other
    #: one (the limit, the kinds, the labels...) is the kernel's: a client that sets
    #: ``max_bytes`` or ``accept`` changes its own copy, never what the kernel enforces
    _CLIENT_SETTABLE = frozenset({"received", "sending_size"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pending: dict[str, Any] | None = None
        self._serial = 0
        self.on_msg(self._on_message)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """State sent by the browser: only :attr:`_CLIENT_SETTABLE` traits are taken."""
        ignored = sorted(set(sync_data) - self._CLIENT_SETTABLE)
        if ignored:
            log.warning("upload widget: the browser tried to set %s; ignored", ", ".join(ignored))
        kept = {k: v for k, v in sync_data.items() if k in self._CLIENT_SETTABLE}
        if kept:
            super().set_state(kept)

    # -- messages from the browser -------------------------------------------------
    def _on_message(self, _widget: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        kind = content.get("kind")
        if kind == "rejected":
            self._reject(content.get("name", ""), content.get("size", 0), content.get("reason"))
        elif kind == "start":
            if self._pending is not None:  # a new file replaces one being sent
                self._pending["parts"].clear()
                self._pending = None
            try:
                size = int(content.get("size") or 0)
            except (TypeError, ValueError):
                size = -1
            name = str(content.get("name") or "")[:1000]
            if size <= 0:
                self._reject(name, 0, "empty" if size == 0 else "incomplete")
                return
            if size > self.max_bytes:  # the browser checks first; never trust it alone
                self._reject(name, size, "too_big")
                return
            if not self._accepted(name):
                self._reject(name, size, "wrong_kind")
                return
            self._pending = {"id": content.get("id"), "name": name, "size": size,
                             "parts": [], "received": 0}
            self.sending_name = name
            self.received = 0
            self.sending_size = size
        elif kind == "chunk":
            pending = self._pending
            if pending is None or content.get("id") != pending["id"]:
                return
            # every byte counts, whatever the start message said: more than announced,
            # or more than the limit, and the whole upload is let go
            arriving = sum(memoryview(buffer).nbytes for buffer in buffers)
            total = pending["received"] + arriving
            if total > self.max_bytes or total > pending["size"]:
                self._pending = None
                pending["parts"].clear()
                self._reject(pending["name"], max(total, pending["size"]), "too_big")
                return
            for buffer in buffers:
                pending["parts"].append(bytes(buffer))
            pending["received"] = total
            self.received = total
        elif kind == "cancel":
            pending = self._pending
            if pending is None or content.get("id") != pending["id"]:
                return
            self._pending = None
            pending["parts"].clear()
            self._reject(pending["name"], pending["size"], "cancelled")
        elif kind == "end":
            pending = self._pending
            if pending is None or content.get("id") != pending["id"]:
                return
            self._pending = None
            content_bytes = b"".join(pending["parts"])
            self.received = self.sending_size = 0
            if len(content_bytes) != pending["size"]:
                self._reject(pending["name"], pending["size"], "incomplete")
                return
            self._serial += 1
            self.value = {
                "serial": self._serial,
                "name": pending["name"],
                "size": len(content_bytes),
                "content": content_bytes,
            }

    def _accepted(self, name: str) -> bool:
        suffix = name[name.rfind(".") :].lower() if "." in name else ""
        return suffix in {s.strip().lower() for s in self.accept.split(",")}

    def _reject(self, name: Any, size: Any, reason: Any) -> None:
        self.received = self.sending_size = 0
        self._serial += 1  # so that observers hear about the same refusal twice
        try:
            size = max(0, int(size or 0))
        except (TypeError, ValueError):
            size = 0
        self.rejected = {
            "serial": self._serial,
            "name": str(name or "")[:1000],
            "size": size,
            "reason": str(reason)[:40],
        }


_DOWNLOAD_ESM = asset("download_button.js")

_DOWNLOAD_CSS = asset("download_button.css")


class DownloadButton(anywidget.AnyWidget):
    """A button that builds a file when clicked and saves it in the browser.

    ``build`` returns the file's bytes; it runs in the kernel when the button is
    clicked. ``on_failure`` (optional) hears about an exception raised by ``build``.
    """

    _esm = _DOWNLOAD_ESM
    _css = _DOWNLOAD_CSS

    label = traitlets.Unicode("Download").tag(sync=True)
    busy_label = traitlets.Unicode("Preparing…").tag(sync=True)
    tooltip = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    filename = traitlets.Unicode("download").tag(sync=True)
    mime = traitlets.Unicode("application/octet-stream").tag(sync=True)
    chunk_bytes = traitlets.Int(4 * 1024 * 1024)

    def __init__(
        self,
        build: Callable[[], bytes] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.build = build
        self.on_failure = on_failure
        #: what the last click produced (filename, bytes): tests read it back
        self.last: tuple[str, bytes] | None = None
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        if content.get("kind") == "request":
            self.click()

    def click(self) -> bytes | None:
        """Build the file and send it to the browser; returns the bytes (None on failure)."""
        if self.busy or self.disabled or self.build is None:
            return None
        self.busy = True
        try:
            data = self.build()
        except Exception as exc:  # the page shows a message; the button keeps working
            log.error("building a download failed with %s", type(exc).__name__)
            if self.on_failure is not None:
                self.on_failure(exc)
            return None
        finally:
            self.busy = False
        self.last = (self.filename, data)
        ident = uuid.uuid4().hex
        self.send({"kind": "start", "id": ident, "filename": self.filename, "mime": self.mime,
                   "size": len(data)})
        view = memoryview(data)
        for offset in range(0, len(data), self.chunk_bytes):
            self.send({"kind": "chunk", "id": ident}, [view[offset : offset + self.chunk_bytes]])
        self.send({"kind": "end", "id": ident})
        return data
