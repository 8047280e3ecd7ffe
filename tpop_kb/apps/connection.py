"""A page that has lost its kernel says so: :class:`ConnectionWatch`.

Every page view has its own kernel (a Python process). When it stops — killed,
crashed, culled after an idle time, or the server restarted — the Jupyter server
starts an empty one in its place, and the page's widgets are left talking to
nobody: ipywidgets marks each of them with the class
``jupyter-widgets-disconnected`` (a small chain-broken icon) and nothing responds.
Voila 0.5 itself shows nothing more.

:class:`ConnectionWatch` is a small widget (anywidget: an ES module shipped in the
package, no Jupyter extension to install) that every page carries. In the browser
it watches the page for that class; when the page's widgets stay disconnected for
``delay_ms`` it shows a banner fixed at the top of the window ("This page has lost
its connection ... Reload the page") with a reload button, dims the page and hides
the chain-broken icons. When
the widgets reconnect (a short network cut), the banner goes away again. Its texts
follow the page's language; they are already in the browser when the kernel goes.
"""

from __future__ import annotations

import anywidget
import traitlets

__all__ = ["ConnectionWatch"]

_ESM = r"""
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "tpop-connection-lost";
  box.setAttribute("role", "alert");
  box.hidden = true;
  const title = document.createElement("strong");
  title.className = "tpop-connection-title";
  const text = document.createElement("span");
  text.className = "tpop-connection-text";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tpop-reload";
  button.addEventListener("click", () => window.location.reload());
  box.append(title, text, button);
  // on the body itself: inside the page's widgets, a transformed ancestor would carry
  // the "fixed" banner away when the page scrolls
  document.body.appendChild(box);

  function update() {
    title.textContent = model.get("title");
    text.textContent = model.get("message");
    button.textContent = model.get("button_label");
  }
  function lost() {
    return document.querySelector(
      ".tpop-app.jupyter-widgets-disconnected, .tpop-app .jupyter-widgets-disconnected"
    ) !== null;
  }
  // Change the page only when something changes: the observer sees its own class edits,
  // and DOMTokenList.add/remove write the attribute even when the class is already so.
  function show(on) {
    if (box.hidden === on) box.hidden = !on;
    if (document.body.classList.contains("tpop-disconnected") !== on) {
      document.body.classList.toggle("tpop-disconnected", on);
    }
  }
  let timer = null;
  function check() {
    if (lost()) {
      if (timer === null && box.hidden) {
        timer = setTimeout(() => {
          timer = null;
          if (lost()) show(true);
        }, model.get("delay_ms"));
      }
    } else {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      show(false);
    }
  }
  const observer = new MutationObserver(check);
  observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["class"] });
  model.on("change", update);
  update();
  check();
  return () => {
    box.remove();
    observer.disconnect();
    model.off("change", update);
    if (timer !== null) clearTimeout(timer);
  };
}
export default { render };
"""

_CSS = """
.tpop-connection-lost {
  position: fixed;
  top: 12px;
  left: 50%;
  transform: translateX(-50%);
  z-index: 10000;
  width: min(640px, calc(100vw - 24px));
  box-sizing: border-box;
  display: flex;
  flex-direction: column;
  gap: 6px;
  padding: 14px 18px;
  border: 1px solid #f5a8a2;
  border-left: 5px solid #b42318;
  border-radius: 10px;
  background: #fef3f2;
  color: #3b0d0a;
  font-size: 15px;
  line-height: 1.45;
  box-shadow: 0 8px 24px rgba(16, 24, 40, 0.18);
}
.tpop-connection-lost[hidden] { display: none; }
.tpop-connection-title { color: #b42318; font-size: 16px; }
.tpop-reload {
  align-self: flex-start;
  margin-top: 4px;
  font: inherit;
  font-weight: 600;
  font-size: 14px;
  padding: 7px 16px;
  border-radius: 8px;
  border: 1px solid #b42318;
  background: #b42318;
  color: #ffffff;
  cursor: pointer;
}
.tpop-reload:hover { background: #912018; }
body.tpop-disconnected .tpop-app > :not(.tpop-connection-watch) {
  opacity: 0.45;
  pointer-events: none;
}
body.tpop-disconnected .jupyter-widgets-disconnected::before { content: none; display: none; }
"""


class ConnectionWatch(anywidget.AnyWidget):
    """A banner the browser shows when the page's widgets lose their kernel."""

    _esm = _ESM
    _css = _CSS

    title = traitlets.Unicode("").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    button_label = traitlets.Unicode("").tag(sync=True)
    #: how long the widgets must stay disconnected before the banner shows (ms)
    delay_ms = traitlets.Int(1500).tag(sync=True)
