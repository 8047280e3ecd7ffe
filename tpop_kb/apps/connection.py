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

from .style import asset

__all__ = ["ConnectionWatch"]


class ConnectionWatch(anywidget.AnyWidget):
    """A banner the browser shows when the page's widgets lose their kernel."""

    _esm = asset("connection.js")
    _css = asset("connection.css")

    title = traitlets.Unicode("").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    button_label = traitlets.Unicode("").tag(sync=True)
    #: how long the widgets must stay disconnected before the banner shows (ms)
    delay_ms = traitlets.Int(1500).tag(sync=True)
