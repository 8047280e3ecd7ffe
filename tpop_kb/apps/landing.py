"""The landing page (``notebooks/index.ipynb``): what the app is, which rules it runs, the pages.

It shows the knowledge base version, the source article (title, link, "updated
on" date), the article's two numbers from tree.yaml, and a card per page. A
page whose notebook is not in the notebooks folder yet is listed as "coming
soon", without a link. Its views (state -> HTML) are in :mod:`.landing_views`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import traitlets

from ._base import App, AppState, brand_html, guarded
from .landing_views import (
    PAGES,
    about_html,
    intro_html,
    pages_html,
    recording_html,
    watch_html,
)
from .style import style_widget

__all__ = ["PAGES", "LandingApp", "LandingState", "notebooks_dir"]

def notebooks_dir() -> Path | None:
    """The folder holding the page notebooks, or None when it cannot be found.

    ``TPOP_KB_NOTEBOOKS`` wins; then the working directory when it holds
    ``index.ipynb`` (Voila and nbval run the kernel in the notebook's folder);
    then ``./notebooks``; then the repository's ``notebooks/`` next to the package.
    """
    env = os.environ.get("TPOP_KB_NOTEBOOKS")
    if env:
        return Path(env)
    cwd = Path.cwd()
    repo = Path(__file__).resolve().parents[2] / "notebooks"
    for candidate in (cwd, cwd / "notebooks", repo):
        if (candidate / "index.ipynb").is_file():
            return candidate
    return None


def _available(folder: Path | None) -> list[str]:
    if folder is None:
        return []
    return [notebook for _, notebook in PAGES if (folder / notebook).is_file()]


class LandingState(AppState):
    """The language (from :class:`AppState`), the notebooks that exist, the article watch."""

    available = traitlets.List(traitlets.Unicode())
    #: the article-change watch (tpop_kb.article_watch.WatchResult), None while checking
    watch = traitlets.Any(None, allow_none=True)


class LandingApp(App):
    """The landing page. ``LandingApp()`` in a notebook shows it."""

    css_class = "tpop-app"
    state_class = LandingState

    def __init__(
        self,
        lang: str = "fr",
        notebooks: Path | str | None = None,
        watch: bool = True,
        **state: Any,
    ) -> None:
        folder = Path(notebooks) if notebooks is not None else notebooks_dir()
        state.setdefault("available", _available(folder))
        super().__init__(lang=lang, **state)
        if watch and hasattr(self, "watch_banner"):
            self._start_watch()

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        self.root.add_class("tpop-landing")
        self._build_header()
        self.brand.add_class("tpop-brand-box")
        self.intro = widgets.HTML()
        self.pages = widgets.HTML()
        self.about = widgets.HTML()
        self.watch_banner = widgets.HTML()
        self.watch_banner.add_class("tpop-article-watch")
        for part in (self.intro, self.pages, self.about, self.watch_banner):
            part.layout.width = "100%"
        self.root.children = [
            style_widget(), self.header, self.watch_banner, self.intro, self.pages, self.about
        ]

    # -- events --------------------------------------------------------------------
    def _wire(self) -> None:
        self.state.observe(self._on_state, names=["lang", "available", "watch"])

    def _start_watch(self) -> None:
        """Compare the published article with the stored copy, off the page's thread.

        The page opens at once; the banner says "checking" until the answer comes (a few
        seconds at most), and "could not check" when offline. Never blocks the page.
        """
        import threading

        from ..article_watch import cached_check

        def run() -> None:
            try:
                self.state.watch = cached_check()
            except Exception as exc:  # the watch must never break the page
                self.show_fault(exc)

        threading.Thread(target=run, name="tpop-article-watch", daemon=True).start()

    @guarded
    def _on_state(self, _change: dict[str, Any]) -> None:
        self._render()

    # -- state -> widgets ------------------------------------------------------------
    def _render(self) -> None:
        lang = self.state.lang
        self.brand.value = brand_html(lang)
        self.intro.value = intro_html(lang)
        self.pages.value = pages_html(lang, self.state.available)
        self.about.value = about_html(lang) + recording_html(lang)
        self.watch_banner.value = watch_html(self.state.watch, lang)
