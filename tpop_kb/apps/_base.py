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

Faults never reach the page as a traceback: a knowledge file that cannot be
loaded shows one card naming the file and the line instead of the page; a
callback decorated with :func:`guarded` that fails shows a short message above
the page (``app.fault``) and the rest of the page keeps working. Only the kind
of error is logged, never the data the user was working on.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anywidget
import ipywidgets as widgets
import traitlets

from ..knowledge import LANGUAGES, LOCALES, KnowledgeError, knowledge, ui_text
from ..text import visible
from .style import asset

__all__ = [
    "App",
    "AppState",
    "Html",
    "LANG_OPTIONS",
    "asset",
    "PageSession",
    "esc",
    "guarded",
    "home_link",
    "page_title",
    "plural",
    "validate_data",
    "wording",
]

log = logging.getLogger("tpop_kb.apps")
F = TypeVar("F", bound=Callable[..., Any])

_FAULT_TEXT = {
    "en": "Something went wrong while doing that ({kind}). Nothing was lost: check the "
    "input and try again; if it happens again, reload the page.",
    "fr": "Un problème est survenu pendant cette action ({kind}). Rien n'est perdu : "
    "vérifiez la saisie et réessayez ; si cela se reproduit, rechargez la page.",
}
_KNOWLEDGE_TEXT = {
    "en": "The knowledge base could not be loaded, so this page cannot open. Tell the "
    "person who maintains the data files:",
    "fr": "La base de connaissances n'a pas pu être chargée : cette page ne peut pas "
    "s'ouvrir. Transmettez ce message à la personne qui gère les fichiers de données :",
}

_KNOWLEDGE_LATE_TEXT = {
    "en": "A knowledge data file could not be read, so this could not be done. Tell the "
    "person who maintains the data files:",
    "fr": "Un fichier de la base de connaissances n'a pas pu être lu : cette action n'a "
    "pas pu aboutir. Transmettez ce message à la personne qui gère les fichiers de données :",
}


def guarded(method: F) -> F:
    """Decorate an ``_on_*`` callback: an unexpected error becomes a message, not a traceback."""

    @functools.wraps(method)
    def wrapper(self: App, *args: Any, **kwargs: Any) -> Any:
        try:
            self.clear_fault()
            return method(self, *args, **kwargs)
        except Exception as exc:  # the page must keep working whatever happened
            self.show_fault(exc)
            return None

    return wrapper  # type: ignore[return-value]

LANG_OPTIONS = [("Français", "fr"), ("English", "en")]


def validate_data() -> None:
    """Load and check every data file the pages use, at start-up (each is read once).

    The knowledge base (articles, tree, columns, links, wording), the destination postal
    services and tracking-number shapes of ``postal.yaml``, and the reply templates: a
    broken one raises :class:`~tpop_kb.knowledge.KnowledgeError` naming the file and the
    line before the page is built, not in the middle of a triage.
    """
    from ..postal import operators
    from ..replies import replies
    from ..tracking import number_shapes

    knowledge().validate()
    operators()
    number_shapes()
    replies()


def esc(value: Any) -> str:
    """Escape any text that came from a customer, a file or a paste before it goes into HTML;
    invisible and control characters (bidirectional overrides…) are removed first."""
    return html.escape(visible(value), quote=True)


class Html(str):
    """Text that is already HTML (escaped where needed): :func:`wording` inserts it as is."""


def wording(key: str, lang: str, *, plain: bool = False, **values: Any) -> str:
    """The one wording function of the pages: the text ``key`` of the page wording
    (``data/ui.yaml`` and ``data/ui/*.yaml``) in ``lang``, ``{name}`` placeholders filled
    (the lookup is :func:`tpop_kb.knowledge.ui_text`, which the engine's own few texts use).

    HTML by default: the text and every value are escaped (invisible characters removed),
    except :class:`Html` values, which go in as they are. ``plain=True`` gives plain text
    for what is not HTML (a widget's label or placeholder, a draft, a file): nothing
    escaped.

    >>> wording("common.brand", "fr")
    'TPOP'
    """
    if plain:
        return ui_text(key, lang, **values)
    text = esc(ui_text(key, lang))
    for name, value in values.items():
        text = text.replace("{" + name + "}", value if isinstance(value, Html) else esc(value))
    return Html(text)


def plural(key: str, lang: str, n: int, *, plain: bool = False, **values: Any) -> str:
    """:func:`wording` of ``{key}_one`` or ``{key}_other`` by ``n`` (CLDR's plural rules of
    the language), with ``{n}`` filled in."""
    from babel import Locale

    form = "one" if Locale.parse(LOCALES[lang]).plural_form(abs(n)) == "one" else "other"
    return wording(f"{key}_{form}", lang, plain=plain, n=n, **values)


def brand_html(lang: str, extra: str = "") -> str:
    """The header's left side on every page: TPOP's name, the app's name, then ``extra``
    (HTML, e.g. a link back to the landing page)."""
    return (
        '<div class="tpop-brand">'
        f'<span class="tpop-brand-name">{wording("common.brand", lang)}</span>'
        f'<span class="tpop-brand-sub">{wording("common.app_name", lang)}</span>'
        f"{extra}</div>"
    )


def home_link(lang: str) -> Html:
    """The "All pages" link back to the landing page that every page but the landing
    page shows in its header (:class:`PageSession` adds the language to it)."""
    return Html(
        f'<a class="tpop-home-link" href="{LANDING_NOTEBOOK}" data-page-link="home">'
        f'{wording("common.all_pages", lang)}</a>'
    )


#: the landing page's notebook, the target of :func:`home_link`
LANDING_NOTEBOOK = "index.ipynb"


def page_title(page: str, lang: str) -> str:
    """The browser tab's title of ``page`` (``common.page_titles.<page>`` in ui.yaml):
    ``"Assistant commande — TPOP"``. Plain text."""
    return wording(f"common.page_titles.{page}", lang, plain=True)


class PageSession(anywidget.AnyWidget):
    """What every page does in the browser (``assets/common.js``), a widget that takes no
    room, added to each page by :class:`App`:

    - ``lang`` follows the page's language both ways: the page opens in the language of
      its link (``?lang=en``) or, without one, in the one last chosen on any page (the
      browser's localStorage; nothing on the server); a choice is stored and written
      into the address, so a reload keeps it;
    - every link to another page (``<a href="….ipynb">``) carries ``?lang=…``;
    - ``title`` names the browser tab.
    """

    _esm = asset("common.js")

    lang = traitlets.Unicode("fr").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    #: the languages a link or the browser may ask for: :data:`tpop_kb.knowledge.LANGUAGES`
    langs = traitlets.List(traitlets.Unicode(), list(LANGUAGES)).tag(sync=True)


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
        self.fault = widgets.HTML(layout=widgets.Layout(display="none"))
        self.fault.add_class("tpop-fault")
        #: the data error the page shows instead of itself (None: the page is built)
        self.knowledge_error: KnowledgeError | None = None
        try:
            validate_data()
            self._build()
            traitlets.link((self.lang_toggle, "value"), (self.state, "lang"))
            self._wire()
            self._render()
        except KnowledgeError as exc:
            self._show_knowledge_error(exc, lang)
            return
        # the banner the browser shows if this page's kernel goes away (connection.py)
        from .connection import ConnectionWatch

        self.connection = ConnectionWatch()
        self.connection.add_class("tpop-connection-watch")
        self._connection_texts()
        self.state.observe(self._connection_texts, names="lang")
        # the language kept across pages and reloads, links, the tab's title (common.js)
        self.session = PageSession(lang=self.state.lang, title=self._page_title())
        self.session.add_class("tpop-page-session")
        self.session.layout.display = "none"
        traitlets.link((self.session, "lang"), (self.state, "lang"))
        self.state.observe(self._session_title, names="lang")
        children = list(self.root.children)
        first = 1 if children and "tpop-style" in children[0]._dom_classes else 0
        self.root.children = (
            *children[:first], self.fault, *children[first:], self.session, self.connection
        )

    #: the page's key in ``common.page_titles`` of ui.yaml (default: its module's name,
    #: ``order_assistant`` for ``tpop_kb.apps.order_assistant``)
    page_key: str | None = None

    def _page_title(self) -> str:
        key = self.page_key or type(self).__module__.rpartition(".")[2]
        try:
            return page_title(key, self.state.lang)
        except KeyError:  # a page without a title of its own: the app's name
            return wording("common.app_name", self.state.lang, plain=True)

    def _session_title(self, _change: Any = None) -> None:
        self.session.title = self._page_title()

    def _connection_texts(self, _change: Any = None) -> None:
        lang = self.state.lang
        self.connection.title = wording("common.connection_lost.title", lang, plain=True)
        self.connection.message = wording("common.connection_lost.text", lang, plain=True)
        self.connection.button_label = wording("common.connection_lost.reload", lang, plain=True)

    # -- quiet updates --------------------------------------------------------------
    _quiet = False  # True while code (not the user) sets widgets: observers ignore it

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Set widgets and state from code without the observers reacting to it."""
        before, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = before

    # -- faults -------------------------------------------------------------------
    def show_fault(self, exc: BaseException) -> None:
        """Show a short message for an unexpected error; log its kind only.

        A data file that fails to load later on (read on first use) is named, with its
        line: its message holds a path and a line, never what the user was working on.
        """
        kind = type(exc).__name__
        log.error("%s failed with %s", type(self).__name__, kind)
        lang = self.state.lang
        if isinstance(exc, KnowledgeError):
            intro = _KNOWLEDGE_LATE_TEXT.get(lang, _KNOWLEDGE_LATE_TEXT["en"])
            self.fault.value = (
                '<div class="tpop-alert tpop-alert-error tpop-knowledge-error" role="alert">'
                f"<p>{esc(intro)}</p><pre>{esc(exc)}</pre></div>"
            )
        else:
            text = _FAULT_TEXT.get(lang, _FAULT_TEXT["en"]).format(kind=kind)
            self.fault.value = (
                f'<div class="tpop-alert tpop-alert-error" role="alert">{esc(text)}</div>'
            )
        self.fault.layout.display = None

    def clear_fault(self) -> None:
        if self.fault.value:
            self.fault.value = ""
            self.fault.layout.display = "none"

    def _show_knowledge_error(self, exc: KnowledgeError, lang: str) -> None:
        self.knowledge_error = exc
        log.error("knowledge base failed to load: %s", exc)
        intro = _KNOWLEDGE_TEXT.get(lang, _KNOWLEDGE_TEXT["en"])
        self.fault.value = (
            '<div class="tpop-alert tpop-alert-error tpop-knowledge-error" role="alert">'
            f"<p>{esc(intro)}</p><pre>{esc(exc)}</pre></div>"
        )
        self.fault.layout.display = None
        from .style import style_widget

        self.root.children = (style_widget(), self.fault)

    # -- parts every page builds ---------------------------------------------------
    def _build_header(self, end: widgets.Widget | None = None) -> widgets.HBox:
        """``self.header``: ``self.brand`` (the page fills it from :func:`brand_html`) and,
        at the end, the language toggle or ``end``."""
        self.brand = widgets.HTML()
        self.header = widgets.HBox([self.brand, self.lang_toggle if end is None else end])
        self.header.add_class("tpop-header")
        return self.header

    @staticmethod
    def _page_style(css: str) -> widgets.HTML:
        """A page's own style sheet, as a widget that takes no room."""
        sheet = widgets.HTML(f"<style>{css}</style>")
        sheet.layout.height = "0"
        return sheet

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
