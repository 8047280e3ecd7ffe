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
  behind a "choose a file" button and a drop zone.

Python sees the finished file in ``value`` (a dict: ``name``, ``size``,
``content`` as bytes); ``value`` is not synced back to the browser. Tests
without a browser set ``value`` (or ``rejected``) directly.

**Out.** :class:`DownloadButton` builds its file only when clicked (``build``,
a function returning bytes, set by the page), sends it to the browser in
pieces and saves it there as a download (a ``Blob``): nothing is written to
disk, nothing is built that nobody asked for, and a 100,000-row workbook does
not sit in the page as a ``data:`` URI.

The front ends are small ES modules run by anywidget (no CDN, no build step).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

log = logging.getLogger("tpop_kb.apps")

__all__ = ["DownloadButton", "FileDrop"]

_ESM = r"""
function render({ model, el }) {
  const zone = document.createElement("div");
  zone.className = "tpop-drop-zone";
  const input = document.createElement("input");
  input.type = "file";
  input.className = "tpop-file-input";
  input.tabIndex = -1;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tpop-choose-file";
  const label = document.createElement("span");
  label.className = "tpop-drop-label";
  const hint = document.createElement("span");
  hint.className = "tpop-drop-hint";
  const bar = document.createElement("div");
  bar.className = "tpop-drop-progress";
  const fill = document.createElement("div");
  bar.appendChild(fill);
  const text = document.createElement("div");
  text.className = "tpop-drop-text";
  text.append(label, hint);
  zone.append(input, button, text, bar);
  el.appendChild(zone);

  function extensionOf(name) {
    const dot = name.lastIndexOf(".");
    return dot < 0 ? "" : name.slice(dot).toLowerCase();
  }

  function update() {
    button.textContent = model.get("button_label");
    label.textContent = model.get("drop_label");
    hint.textContent = model.get("hint");
    input.accept = model.get("accept");
    const disabled = model.get("disabled");
    button.disabled = disabled;
    input.disabled = disabled;
    zone.classList.toggle("tpop-drop-disabled", disabled);
    const size = model.get("sending_size");
    const received = model.get("received");
    const busy = size > 0 && received < size;
    zone.classList.toggle("tpop-drop-busy", busy);
    fill.style.width = size > 0 ? Math.min(100, (100 * received) / size) + "%" : "0%";
  }

  async function send(files) {
    if (!files || files.length === 0 || model.get("disabled")) return;
    if (files.length > 1) {
      model.send({ kind: "rejected", reason: "several", name: files[0].name, size: 0 });
      return;
    }
    const file = files[0];
    const allowed = model.get("accept").split(",").map((s) => s.trim().toLowerCase());
    if (!allowed.includes(extensionOf(file.name))) {
      model.send({ kind: "rejected", reason: "wrong_kind", name: file.name, size: file.size });
      return;
    }
    if (file.size > model.get("max_bytes")) {
      model.send({ kind: "rejected", reason: "too_big", name: file.name, size: file.size });
      return;
    }
    if (file.size === 0) {
      model.send({ kind: "rejected", reason: "empty", name: file.name, size: 0 });
      return;
    }
    const id = String(Date.now()) + "-" + Math.random().toString(36).slice(2);
    const step = model.get("chunk_bytes");
    model.set("sending_size", file.size);
    model.set("received", 0);
    model.save_changes();
    update();
    model.send({ kind: "start", id, name: file.name, size: file.size, type: file.type });
    try {
      for (let offset = 0; offset < file.size; offset += step) {
        const piece = await file.slice(offset, offset + step).arrayBuffer();
        model.send({ kind: "chunk", id, offset }, undefined, [piece]);
      }
      model.send({ kind: "end", id });
    } catch (error) {
      model.send({ kind: "rejected", reason: "read_error", name: file.name, size: file.size });
    }
  }

  button.addEventListener("click", () => input.click());
  input.addEventListener("click", () => { input.value = ""; });
  // once sent (or refused), the input lets go of the file: the page keeps no copy
  input.addEventListener("change", async () => {
    try { await send(input.files); } finally { input.value = ""; }
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("tpop-drop-over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("tpop-drop-over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("tpop-drop-over");
    send(event.dataTransfer ? event.dataTransfer.files : null);
  });
  model.on("change", update);
  update();
  return () => model.off("change", update);
}
export default { render };
"""

_CSS = """
.tpop-drop-zone {
  position: relative;
  display: flex;
  flex-flow: row wrap;
  align-items: center;
  gap: 10px 16px;
  padding: 18px 20px;
  border: 2px dashed #b8c4d6;
  border-radius: 10px;
  background: #f8fafd;
  overflow: hidden;
}
.tpop-drop-zone.tpop-drop-over { border-color: #1f4fd1; background: #eef3ff; }
.tpop-drop-zone.tpop-drop-disabled { opacity: 0.6; }
.tpop-file-input {
  position: absolute;
  width: 1px;
  height: 1px;
  opacity: 0;
  pointer-events: none;
}
.tpop-choose-file {
  font: inherit;
  font-weight: 600;
  font-size: 14px;
  padding: 8px 16px;
  border-radius: 8px;
  border: 1px solid #1f4fd1;
  background: #1f4fd1;
  color: #ffffff;
  cursor: pointer;
}
.tpop-choose-file:hover { background: #1a43b3; }
.tpop-choose-file:focus-visible { outline: 2px solid #1f4fd1; outline-offset: 2px; }
.tpop-choose-file:disabled { cursor: default; background: #8aa0d8; border-color: #8aa0d8; }
.tpop-drop-text { display: flex; flex-direction: column; min-width: 0; }
.tpop-drop-label { font-weight: 600; }
.tpop-drop-hint { color: #5b6675; font-size: 13px; }
.tpop-drop-progress {
  position: absolute;
  left: 0;
  right: 0;
  bottom: 0;
  height: 4px;
  background: transparent;
}
.tpop-drop-progress > div { height: 100%; width: 0; background: #1f4fd1; transition: width 0.1s; }
.tpop-drop-zone:not(.tpop-drop-busy) .tpop-drop-progress > div { background: transparent; }
"""


class FileDrop(anywidget.AnyWidget):
    """Choose or drop one file; checked in the browser, sent in pieces, kept in ``value``."""

    _esm = _ESM
    _css = _CSS

    accept = traitlets.Unicode(".csv,.tsv,.txt,.xlsx").tag(sync=True)
    max_bytes = traitlets.Int(64 * 1024 * 1024).tag(sync=True)
    chunk_bytes = traitlets.Int(4 * 1024 * 1024).tag(sync=True)
    button_label = traitlets.Unicode("Choose a file").tag(sync=True)
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
    #: too_big, wrong_kind, several, empty, read_error, incomplete (not synced)
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


_DOWNLOAD_ESM = r"""
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tpop-download-button";
  const icon = document.createElement("span");
  icon.className = "tpop-download-icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "\u2193";
  const label = document.createElement("span");
  button.append(icon, label);
  el.appendChild(button);
  let parts = [];
  let meta = null;

  function update() {
    const busy = model.get("busy");
    label.textContent = busy ? model.get("busy_label") : model.get("label");
    button.disabled = busy || model.get("disabled");
    button.setAttribute("aria-busy", busy ? "true" : "false");
    button.title = model.get("tooltip");
  }

  button.addEventListener("click", () => {
    if (button.disabled) return;
    model.send({ kind: "request" });
  });
  model.on("msg:custom", (msg, buffers) => {
    if (msg.kind === "start") {
      meta = msg;
      parts = [];
    } else if (msg.kind === "chunk" && meta && msg.id === meta.id) {
      for (const buffer of buffers || []) parts.push(buffer);
    } else if (msg.kind === "end" && meta && msg.id === meta.id) {
      const blob = new Blob(parts, { type: meta.mime });
      parts = [];
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = meta.filename;
      link.style.display = "none";
      document.body.appendChild(link);
      link.click();
      link.remove();
      meta = null;
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    }
  });
  model.on("change", update);
  update();
  return () => model.off("change", update);
}
export default { render };
"""

_DOWNLOAD_CSS = """
.tpop-download-button {
  display: inline-flex;
  align-items: center;
  gap: 8px;
  font: inherit;
  font-size: 14px;
  font-weight: 600;
  padding: 8px 16px;
  border-radius: 8px;
  border: 1px solid #1f4fd1;
  background: #ffffff;
  color: #1f4fd1;
  cursor: pointer;
  white-space: nowrap;
}
.tpop-download-button:hover:not(:disabled) { background: #eef3ff; }
.tpop-download-button:focus-visible { outline: 2px solid #1f4fd1; outline-offset: 2px; }
.tpop-download-button:disabled { cursor: default; opacity: 0.6; }
.tpop-download-button[aria-busy="true"] { cursor: progress; }
.tpop-download-icon { font-weight: 800; }
"""


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
