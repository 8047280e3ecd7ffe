"""The landing page (``notebooks/index.ipynb``): what the app is, which rules it runs, the pages.

It shows the knowledge base version, the source article (title, link, "updated
on" date), the article's two numbers from tree.yaml, and a card per page. A
page whose notebook is not in the notebooks folder yet is listed as "coming
soon", without a link.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import traitlets
from babel.dates import format_date

from ..knowledge import knowledge
from ._base import App, AppState, brand_html, esc, guarded, t
from .style import style_widget

__all__ = ["PAGES", "LandingApp", "LandingState", "notebooks_dir"]

#: The pages, in the order shown: (key in ui.yaml ``landing.pages``, notebook file).
PAGES: tuple[tuple[str, str], ...] = (
    ("order_assistant", "order_assistant.ipynb"),
    ("bulk_triage", "bulk_triage.ipynb"),
    ("training", "training.ipynb"),
    ("knowledge_explorer", "knowledge.ipynb"),
)

_BABEL_LOCALES = {"en": "en_GB", "fr": "fr_FR"}

#: The article's two numbers (tree.yaml ``thresholds``) and their labels in ui.yaml.
_THRESHOLD_LABELS = (
    ("activation_working_hours", "landing.activation_label"),
    ("contact_after_days", "landing.contact_label"),
)


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
        self.intro.value = self._intro_html(lang)
        self.pages.value = self._pages_html(lang)
        self.about.value = self._about_html(lang)
        self.watch_banner.value = self._watch_html(self.state.watch, lang)

    @staticmethod
    def _watch_html(result: Any, lang: str) -> str:
        """The article-change banner: checking, unchanged, changed, or could not check."""
        if result is None:
            return (
                '<div class="tpop-watch tpop-small tpop-muted" data-status="checking">'
                f'{esc(t("landing.watch_checking", lang))}</div>'
            )
        tone = {"changed": "tpop-tone-escalate", "unchanged": "tpop-tone-done"}.get(
            result.status, "tpop-tone-wait"
        )
        return (
            f'<div class="tpop-watch tpop-callout {tone}" data-status="{esc(result.status)}">'
            f"{esc(result.message(lang))}</div>"
        )

    @staticmethod
    def _intro_html(lang: str) -> str:
        return (
            f'<div class="tpop-hero" lang="{esc(lang)}">'
            f"<h1>{esc(t('landing.title', lang))}</h1>"
            f'<p class="tpop-lead">{esc(t("landing.tagline", lang))}</p>'
            "</div>"
        )

    def _pages_html(self, lang: str) -> str:
        cards = []
        for key, notebook in PAGES:
            title = esc(t(f"landing.pages.{key}.title", lang))
            text = esc(t(f"landing.pages.{key}.description", lang))
            if notebook in self.state.available:
                cards.append(
                    f'<a class="tpop-card tpop-page-link" href="{esc(notebook)}" '
                    f'data-page="{esc(key)}">'
                    f'<div class="tpop-card-title">{title}</div>'
                    f'<p class="tpop-card-text">{text}</p>'
                    f'<span class="tpop-card-link">{esc(t("common.open", lang))} →</span>'
                    "</a>"
                )
            else:
                cards.append(
                    f'<div class="tpop-card tpop-card-disabled tpop-page-soon" '
                    f'data-page="{esc(key)}">'
                    f'<div class="tpop-card-title">{title}</div>'
                    f'<p class="tpop-card-text">{text}</p>'
                    f'<span class="tpop-badge tpop-card-link">'
                    f"{esc(t('common.coming_soon', lang))}</span>"
                    "</div>"
                )
        return (
            f'<h2 class="tpop-section-title">{esc(t("landing.pages_heading", lang))}</h2>'
            f'<div class="tpop-grid tpop-pages">{"".join(cards)}</div>'
        )

    @staticmethod
    def _about_html(lang: str) -> str:
        kb = knowledge()
        article = kb.article
        updated = format_date(article.updated_on, format="long", locale=_BABEL_LOCALES[lang])
        thresholds = kb.tree.thresholds
        rule = esc(t("landing.thresholds", lang))
        for name, value in thresholds.items():
            rule = rule.replace("{" + name + "}", f"<strong>{esc(value)}</strong>")
        stats = "".join(
            f'<div class="tpop-stat" data-threshold="{esc(name)}">'
            f'<span class="tpop-stat-value">{esc(thresholds[name])}</span>'
            f'<span class="tpop-stat-label">{esc(t(label, lang))}</span>'
            "</div>"
            for name, label in _THRESHOLD_LABELS
        )
        return (
            '<div class="tpop-columns">'
            '<section class="tpop-card tpop-rules">'
            f'<h2 class="tpop-section-title">{esc(t("landing.rules_heading", lang))}</h2>'
            f'<div class="tpop-stats">{stats}</div>'
            f'<p class="tpop-thresholds">{rule}</p>'
            "</section>"
            '<section class="tpop-card tpop-article">'
            f'<h2 class="tpop-section-title">{esc(t("landing.about_heading", lang))}</h2>'
            f'<h3 class="tpop-article-title">{esc(article.title[lang])}</h3>'
            f'<p class="tpop-updated-on tpop-muted">{esc(t("common.updated_on", lang))} '
            f'<time datetime="{article.updated_on.isoformat()}">{esc(updated)}</time></p>'
            f'<p><a class="tpop-source" href="{esc(article.source_url)}" target="_blank" '
            f'rel="noopener noreferrer">{esc(t("landing.view_source", lang))} ↗</a></p>'
            f'<p class="tpop-version tpop-small tpop-muted">{esc(t("common.kb_version", lang))} '
            f'<code class="tpop-kb-version">{esc(kb.version)}</code></p>'
            "</section>"
            "</div>"
        )
