"""What every page app shares: the language state, page wording, and display.

The pattern (after the ipywidgets tutorial "Build complex libraries" and
sepal_ui's ``Model``): an app is a plain class that

1. keeps its state in one traitlets object (``self.state``),
2. builds its widgets in ``_build()`` (layout only),
3. wires every event in ``_wire()`` (one method, nothing else wires),
4. reacts in callbacks named ``_on_*`` that call the engine and update state,
5. redraws in ``_render*()`` from the state,

and never calls ``display()`` itself: the notebook's last line (``App()``)
shows it through ``_repr_mimebundle_``. ``app.root`` is the top widget.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import traitlets

from ..knowledge import knowledge

__all__ = ["App", "AppState", "LANG_OPTIONS", "esc", "t"]

LANG_OPTIONS = [("Français", "fr"), ("English", "en")]


def esc(value: Any) -> str:
    """Escape any text that came from a customer, a file or a paste before it goes into HTML."""
    return html.escape("" if value is None else str(value), quote=True)


def t(key: str, lang: str, **values: Any) -> str:
    """Page wording from ``data/ui.yaml``: ``t('landing.title', 'fr')``.

    Values are escaped before they are put into the text.
    """
    node: Any = knowledge().ui
    for part in key.split("."):
        node = node[part]
    text = str(node[lang])
    for name, value in values.items():
        text = text.replace("{" + name + "}", esc(value))
    return text


class AppState(traitlets.HasTraits):
    """State shared by every page; pages subclass it and add their own traits."""

    lang = traitlets.Unicode("fr")


class App:
    """Base class of the page apps. Subclasses define ``_build``, ``_wire`` and ``_render``."""

    css_class = "tpop-app"
    state_class: type[AppState] = AppState

    def __init__(self, lang: str = "fr", **state: Any) -> None:
        self.state = self.state_class(lang=lang, **state)
        self.lang_toggle = widgets.ToggleButtons(
            options=LANG_OPTIONS, value=lang, style={"button_width": "88px"}
        )
        self.lang_toggle.add_class("tpop-lang")
        self.root = widgets.VBox()
        self.root.add_class(self.css_class)
        self._build()
        traitlets.link((self.lang_toggle, "value"), (self.state, "lang"))
        self._wire()
        self._render()

    # -- to be defined by each page ------------------------------------------------
    def _build(self) -> None:  # layout
        raise NotImplementedError

    def _wire(self) -> None:  # events
        raise NotImplementedError

    def _render(self) -> None:  # state -> widgets
        raise NotImplementedError

    # -- display ----------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)

    @property
    def lang(self) -> str:
        return self.state.lang
