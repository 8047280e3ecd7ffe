"""The insights page (``notebooks/insights.ipynb``): what the learning loop's events say.

Answers per day and per next action, the branches of the decision tree used (arrows as
wide as their use), flagged answers by reason and by next action with a scenario draft
for each, and the next actions per destination country; filtered by period and by the
language of the page used. Every figure is a GROUP BY in the store
(:func:`tpop_kb.events.summary`); an empty store says so. Its views (summary -> HTML)
are in :mod:`.insights_views`, its style in ``assets/insights.css``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as widgets
import traitlets

from .. import events
from ._base import App, AppState, asset, brand_html, guarded, home_link, wording
from .insights_views import insights_html
from .style import style_widget

__all__ = ["PERIODS", "InsightsApp", "InsightsState"]

#: the period filter's choices: days back, or "all"
PERIODS = ("7", "30", "90", "all")


class InsightsState(AppState):
    """The language (from :class:`AppState`), the two filters, the summary shown."""

    period = traitlets.Unicode("30")
    answer_lang = traitlets.Unicode("all")  # "all", "fr" or "en"
    found = traitlets.Any(None, allow_none=True)
    error = traitlets.Unicode("")


class InsightsApp(App):
    """The insights page. ``InsightsApp()`` in a notebook shows it."""

    css_class = "tpop-app"
    state_class = InsightsState

    def __init__(self, lang: str = "fr", **state: Any) -> None:
        super().__init__(lang=lang, **state)
        if self.knowledge_error is None:
            self.refresh()

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        self.root.add_class("tpop-insights")
        self.page_style = self._page_style(asset("insights.css"))
        self._build_header()
        self.intro = widgets.HTML()
        self.period = widgets.Dropdown()
        self.period.add_class("tpop-ins-period")
        self.answer_lang = widgets.Dropdown()
        self.answer_lang.add_class("tpop-ins-lang")
        self.refresh_button = widgets.Button(layout={"width": "auto"})
        self.refresh_button.add_class("tpop-ins-refresh")
        self.filters = widgets.Box([self.period, self.answer_lang, self.refresh_button])
        self.filters.add_class("tpop-ins-filters")
        self.report = widgets.HTML()
        self.report.add_class("tpop-ins-report")
        self.report.layout.width = "100%"
        self._render_filters()
        self.root.children = [
            style_widget(), self.page_style, self.header, self.intro, self.filters, self.report,
        ]

    # -- events --------------------------------------------------------------------
    def _wire(self) -> None:
        traitlets.link((self.state, "period"), (self.period, "value"))
        traitlets.link((self.state, "answer_lang"), (self.answer_lang, "value"))
        self.state.observe(self._on_lang, names=["lang"])
        self.state.observe(self._on_filter, names=["period", "answer_lang"])
        self.state.observe(self._on_found, names=["found", "error"])
        self.refresh_button.on_click(self._on_refresh)

    @guarded
    def _on_lang(self, _change: dict[str, Any]) -> None:
        self._render()

    @guarded
    def _on_filter(self, _change: dict[str, Any]) -> None:
        self.refresh()

    @guarded
    def _on_refresh(self, _button: widgets.Button) -> None:
        self.refresh()

    @guarded
    def _on_found(self, _change: dict[str, Any]) -> None:
        self._render_report()

    def since(self) -> str | None:
        """The first day of the period (``YYYY-MM-DD``), None for everything kept."""
        if self.state.period == "all":
            return None
        today = dt.datetime.now(dt.UTC).date()
        return (today - dt.timedelta(days=int(self.state.period) - 1)).isoformat()

    def refresh(self) -> None:
        """Read the summary from the store (a few GROUP BYs); a store that cannot be
        opened is a message, not a fault."""
        try:  # no store file yet: nothing recorded (reading creates none)
            found = events.summary(
                events.open_store(), since=self.since(),
                lang=None if self.state.answer_lang == "all" else self.state.answer_lang,
            ) if events.store_exists() else None
            error = ""
        except Exception as exc:  # the store is optional: the page says it, nothing breaks
            found, error = None, type(exc).__name__
        with self.state.hold_trait_notifications():
            self.state.error = error
            self.state.found = found
        self._render_report()

    # -- state -> widgets ------------------------------------------------------------
    def _render_filters(self) -> None:
        lang = self.state.lang
        with self._quietly():
            period, answer_lang = self.state.period, self.state.answer_lang
            self.period.options = [
                (wording(f"insights.periods.{p}", lang, plain=True), p) for p in PERIODS
            ]
            self.answer_lang.options = [
                (wording(f"insights.langs.{code}", lang, plain=True), code)
                for code in ("all", "fr", "en")
            ]
            self.period.value, self.answer_lang.value = period, answer_lang
        self.period.description = wording("insights.period_label", lang, plain=True)
        self.answer_lang.description = wording("insights.lang_label", lang, plain=True)
        self.period.style.description_width = "initial"
        self.answer_lang.style.description_width = "initial"
        self.refresh_button.description = wording("insights.refresh", lang, plain=True)

    def _render(self) -> None:
        lang = self.state.lang
        self.brand.value = brand_html(lang, home_link(lang))
        self.intro.value = (
            f'<div class="tpop-hero" lang="{lang}"><h1>{wording("insights.title", lang)}</h1>'
            f'<p class="tpop-lead">{wording("insights.lead", lang)}</p></div>'
        )
        self._render_filters()
        self._render_report()

    def _render_report(self) -> None:
        lang = self.state.lang
        if self.state.error:
            self.report.value = (
                '<div class="tpop-alert tpop-alert-error" role="alert">'
                f'{wording("insights.store_error", lang, kind=self.state.error)}</div>'
            )
            return
        self.report.value = insights_html(self.state.found, lang, recording=events.enabled())
