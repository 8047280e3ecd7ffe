"""The bulk page's result table: filtered, sorted and paged in Python, one page shown as HTML.

Why a paged HTML table rather than a grid that ships every row to the browser:
with 100,000 orders only the rows on screen (25 to 250) travel and get drawn,
so filtering, sorting and paging stay instant whatever the file's size; the
rows are a real ``<table>`` (readable by screen readers, selectable, printable)
and every cell is escaped.

Controls: next action, country and remark filters (each option with its
count), an order-id search, "sort by" with a direction (or a click on a column's
heading: a second click turns the order round), rows per page, and
first/previous/next/last page. The count line (class ``tpop-table-count``,
``data-shown`` and ``data-total``) says which orders are shown.

The table is generic over its frame's columns: each is shown (a column whose name
starts with ``_`` is not); a column ending in ``_url`` is shown as a link, a column
without a label in ``data/ui/bulk_triage.yaml`` under its own name. The order id
links to the order assistant filled with that order. The rows are drawn by
:func:`~tpop_kb.apps.bulk_triage_views.table_html` and shown by :class:`TableView`
(``assets/bulk_triage.js``), which keeps the sideways scroll and sends heading clicks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anywidget
import ipywidgets as widgets
import traitlets

from ..knowledge import knowledge
from ..triage import OUTCOMES
from ._base import asset, wording
from .bulk_triage_views import (
    column_label,
    country_label,
    flag_title,
    number,
    outcome_title,
    table_html,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ResultTable", "TableState", "TableView", "column_label", "number"]

#: The page wording's prefix (``data/ui/bulk_triage.yaml``).
_K = "bulk_triage"
ALL = "__all__"
ANY_FLAG = "__any__"
NO_FLAG = "__none__"
UNKNOWN = "__unknown__"
FILE_ORDER = "__file__"
#: Columns compared as numbers when sorting.
_NUMERIC = ("row", "days_since_shipped")


def _guard(method: Callable[..., Any]) -> Callable[..., Any]:
    """A control's callback: an unexpected error goes to ``on_fault``, not to the page."""

    @functools.wraps(method)
    def wrapper(self: ResultTable, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # the page must keep working
            if self.on_fault is None:
                raise
            self.on_fault(exc)
            return None

    return wrapper


class TableView(anywidget.AnyWidget):
    """One page of rows as HTML (``value``); a click on a heading sends its column to
    ``on_sort`` (the browser side is ``assets/bulk_triage.js``)."""

    _esm = asset("bulk_triage.js")
    value = traitlets.Unicode("").tag(sync=True)

    def __init__(self, on_sort: Callable[[str], None] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_sort = on_sort
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        if content.get("kind") == "sort" and self.on_sort is not None:
            self.on_sort(str(content.get("column") or "")[:100])

    def click_heading(self, column: str) -> None:
        """What a click on a column's heading does (for tests without a browser)."""
        self._on_message(self, {"kind": "sort", "column": column}, [])


class TableState(traitlets.HasTraits):
    """What the table shows: language, filters, sort, page."""

    lang = traitlets.Unicode("fr")
    outcome = traitlets.Unicode(ALL)
    country = traitlets.Unicode(ALL)
    flag = traitlets.Unicode(ALL)
    search = traitlets.Unicode("")
    sort = traitlets.Unicode(FILE_ORDER)
    descending = traitlets.Bool(False)
    page = traitlets.Int(0)
    page_size = traitlets.Int(25)
    #: raised each time a new frame is set
    version = traitlets.Int(0)
    #: the as-of moment of the rows (for the links to the order assistant)
    as_of = traitlets.Unicode("")


class ResultTable:
    """Filters, sort, pager and one page of rows. ``table.root`` is the widget to show."""

    def __init__(
        self,
        lang: str = "fr",
        page_sizes: tuple[int, ...] = (25, 50, 100),
        on_fault: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.page_sizes = tuple(page_sizes)
        self.on_fault = on_fault
        self.state = TableState(lang=lang, page_size=self.page_sizes[0])
        self.frame: pd.DataFrame | None = None
        self._flag_sets: dict[str, Any] = {}
        self._cache: tuple[tuple[Any, ...], Any] | None = None
        self._updating = False
        self._build()
        self._wire()
        self._render()

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        def dropdown(css: str) -> widgets.Dropdown:
            control = widgets.Dropdown(options=[("", ALL)], value=ALL)
            control.add_class(css)
            control.add_class("tpop-control")
            return control

        self.outcome = dropdown("tpop-filter-outcome")
        self.country = dropdown("tpop-filter-country")
        self.flag = dropdown("tpop-filter-flag")
        self.search = widgets.Text(continuous_update=False)
        self.search.add_class("tpop-filter-search")
        self.search.add_class("tpop-control")
        self.sort = dropdown("tpop-sort")
        self.direction = widgets.ToggleButtons(options=[("↑", False), ("↓", True)], value=False)
        self.direction.add_class("tpop-sort-direction")
        self.page_size = widgets.Dropdown(
            options=[(str(n), n) for n in self.page_sizes], value=self.page_sizes[0]
        )
        self.page_size.add_class("tpop-page-size")
        self.page_size.add_class("tpop-control")
        self.reset = widgets.Button()
        self.reset.add_class("tpop-filter-reset")
        self.reset.add_class("tpop-button-link")
        self.labels = {name: widgets.HTML() for name in (
            "outcome", "country", "flag", "search", "sort", "page_size")}
        for label in self.labels.values():
            label.add_class("tpop-control-label")

        def field(name: str, control: widgets.Widget) -> widgets.VBox:
            box = widgets.VBox([self.labels[name], control])
            box.add_class("tpop-field")
            return box

        sort_controls = widgets.HBox([self.sort, self.direction])
        sort_controls.add_class("tpop-sort-controls")
        self.filters = widgets.Box(
            [
                field("outcome", self.outcome),
                field("country", self.country),
                field("flag", self.flag),
                field("search", self.search),
                field("sort", sort_controls),
            ]
        )
        self.filters.add_class("tpop-filters")
        self.count = widgets.HTML()
        self.count.add_class("tpop-table-count-box")
        self.table = TableView(on_sort=self._on_heading)
        self.table.add_class("tpop-result-table")
        self.table.layout.width = "100%"
        self.first = widgets.Button(icon="angle-double-left")
        self.previous = widgets.Button(icon="angle-left")
        self.next = widgets.Button(icon="angle-right")
        self.last = widgets.Button(icon="angle-double-right")
        for button, css in (
            (self.first, "tpop-page-first"),
            (self.previous, "tpop-page-previous"),
            (self.next, "tpop-page-next"),
            (self.last, "tpop-page-last"),
        ):
            button.add_class(css)
            button.add_class("tpop-pager-button")
        self.page_label = widgets.HTML()
        self.page_label.add_class("tpop-page-label")
        # the buttons and "Page 1 of 15" on one line, centred on each other; the page
        # size's field (a label above its list) at the end of the row
        nav = widgets.HBox([self.first, self.previous, self.page_label, self.next, self.last])
        nav.add_class("tpop-pager-nav")
        pager = widgets.HBox([nav, field("page_size", self.page_size)])
        pager.add_class("tpop-pager")
        top = widgets.HBox([self.count, self.reset])
        top.add_class("tpop-table-top")
        self.root = widgets.VBox([self.filters, top, self.table, pager])
        self.root.add_class("tpop-table-widget")

    # -- events --------------------------------------------------------------------
    def _wire(self) -> None:
        for control, name in (
            (self.outcome, "outcome"),
            (self.country, "country"),
            (self.flag, "flag"),
            (self.search, "search"),
            (self.sort, "sort"),
            (self.direction, "descending"),
            (self.page_size, "page_size"),
        ):
            control.observe(self._on_control, names="value")
            control.tpop_trait = name  # type: ignore[attr-defined]
        self.first.on_click(self._on_page)
        self.previous.on_click(self._on_page)
        self.next.on_click(self._on_page)
        self.last.on_click(self._on_page)
        self.reset.on_click(self._on_reset)
        self.state.observe(
            self._on_state,
            names=["lang", "outcome", "country", "flag", "search", "sort", "descending",
                   "page", "page_size", "version", "as_of"],
        )

    @_guard
    def _on_control(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        name = change["owner"].tpop_trait
        value = change["new"]
        with self.state.hold_trait_notifications():
            setattr(self.state, name, value if value is not None else ALL)
            self.state.page = 0

    @_guard
    def _on_heading(self, column: str) -> None:
        """A click on a heading: sort by it; a second click turns the order round."""
        if self.frame is None or column not in self.frame.columns or column.startswith("_"):
            return
        with self.state.hold_trait_notifications():
            if self.state.sort == column:
                self.state.descending = not self.state.descending
            else:
                self.state.sort = column
                self.state.descending = False
            self.state.page = 0

    @_guard
    def _on_page(self, button: widgets.Button) -> None:
        pages = self._pages()
        target = {
            id(self.first): 0,
            id(self.previous): self.state.page - 1,
            id(self.next): self.state.page + 1,
            id(self.last): pages - 1,
        }[id(button)]
        self.state.page = max(0, min(target, pages - 1))

    @_guard
    def _on_reset(self, _button: widgets.Button) -> None:
        with self.state.hold_trait_notifications():
            self.state.outcome = self.state.country = self.state.flag = ALL
            self.state.search = ""
            self.state.page = 0

    @_guard
    def _on_state(self, _change: dict[str, Any]) -> None:
        self._render()

    # -- data ----------------------------------------------------------------------
    def set_frame(self, frame: pd.DataFrame | None, as_of: str = "") -> None:
        """Show a new result frame (made ``as_of``); filters that no longer apply are
        cleared."""
        self.frame = frame
        self.state.as_of = as_of
        self._cache = None
        self._flag_sets = {}
        if frame is not None:
            flags = frame["flags"].astype(str)
            for code in self._flag_codes(flags):
                self._flag_sets[code] = (
                    (";" + flags + ";").str.contains(";" + code + ";", regex=False).to_numpy()
                )
        with self.state.hold_trait_notifications():
            self.state.outcome = self.state.country = self.state.flag = ALL
            self.state.search = ""
            self.state.page = 0
            self.state.version += 1

    @staticmethod
    def _flag_codes(flags: pd.Series) -> list[str]:
        found = {f for value in flags.unique() for f in str(value).split(";") if f}
        known = [f for f in knowledge().tree.flags if f in found]
        return known + sorted(found - set(known))

    def view(self) -> pd.DataFrame:
        """The rows that pass the filters, in the chosen order (all pages)."""
        import numpy as np

        frame = self.frame
        if frame is None:
            raise ValueError("no frame")
        s = self.state
        key = (s.version, s.outcome, s.country, s.flag, s.search.strip(), s.sort,
               s.descending, s.lang)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        mask = np.ones(len(frame), dtype=bool)
        if s.outcome != ALL:
            mask &= frame["outcome"].to_numpy(dtype=object) == s.outcome
        if s.country != ALL:
            wanted = "" if s.country == UNKNOWN else s.country
            mask &= frame["destination_country"].to_numpy(dtype=object) == wanted
        if s.flag == ANY_FLAG:
            mask &= frame["flags"].to_numpy(dtype=object) != ""
        elif s.flag == NO_FLAG:
            mask &= frame["flags"].to_numpy(dtype=object) == ""
        elif s.flag != ALL:
            mask &= self._flag_sets.get(s.flag, np.zeros(len(frame), dtype=bool))
        query = s.search.strip().casefold()
        if query:
            mask &= (
                frame["order_id"].astype(str).str.casefold()
                .str.contains(query, regex=False).to_numpy()
            )
        shown = frame[mask]
        if s.sort != FILE_ORDER and s.sort in shown.columns:
            shown = shown.sort_values(
                s.sort,
                key=lambda column: self._sort_key(column, s.sort, s.lang),
                ascending=not s.descending,
                kind="stable",
                na_position="last",
            )
        self._cache = (key, shown)
        return shown

    @staticmethod
    def _sort_key(column: pd.Series, name: str, lang: str) -> pd.Series:
        import pandas as pd

        if name in _NUMERIC:
            return pd.to_numeric(column, errors="coerce")
        if name == "outcome":
            return column.map(lambda code: outcome_title(code, lang).casefold())
        if name == "destination_country":
            values = column.astype(str)
            names = {c: (country_label(c, lang).casefold() if c else None)
                     for c in values.unique()}
            return values.map(names)
        text = column.astype(str)
        return text.where(text != "", None).str.casefold()

    def _pages(self) -> int:
        if self.frame is None:
            return 1
        return max(1, -(-len(self.view()) // self.state.page_size))

    # -- state -> widgets ------------------------------------------------------------
    def _render(self) -> None:
        lang = self.state.lang
        self._updating = True
        try:
            self._render_controls(lang)
        finally:
            self._updating = False
        if self.frame is None:
            self.count.value = ""
            self.table.value = ""
            self.page_label.value = ""
            return
        s = self.state
        shown = self.view()
        pages = self._pages()
        page = min(self.state.page, pages - 1)
        size = self.state.page_size
        rows = shown.iloc[page * size : (page + 1) * size]
        total = len(self.frame)
        start = page * size + 1 if len(shown) else 0
        end = page * size + len(rows)
        text = wording(f"{_K}.table.count", lang, start=number(start, lang),
                       end=number(end, lang), shown=number(len(shown), lang))
        if len(shown) != total:
            text += " " + wording(f"{_K}.table.filtered", lang,
                                  total=number(total, lang))
        # the rows first, then the count line: when the count changes, the rows are there
        self.table.value = (
            table_html(rows.to_dict("records"), list(rows.columns), lang, sort=s.sort,
                       descending=s.descending, as_of=s.as_of)
            if len(rows)
            else '<p class="tpop-table-empty tpop-muted">'
            f'{wording(f"{_K}.table.none", lang)}</p>'
        )
        self.count.value = (
            f'<div class="tpop-table-count" data-shown="{len(shown)}" data-total="{total}" '
            f'role="status">{text}</div>'
        )
        self.page_label.value = (
            '<span class="tpop-page-number">'
            + wording(f"{_K}.table.page", lang, page=number(page + 1, lang),
                      pages=number(pages, lang))
            + "</span>"
        )
        self.first.disabled = self.previous.disabled = page == 0
        self.next.disabled = self.last.disabled = page >= pages - 1
        self.reset.layout.display = None if self.filtered() else "none"

    def filtered(self) -> bool:
        """Whether a filter or a search hides rows."""
        s = self.state
        return any(v != ALL for v in (s.outcome, s.country, s.flag)) or bool(s.search.strip())

    def _render_controls(self, lang: str) -> None:
        for name, key in (
            ("outcome", "outcome"),
            ("country", "country"),
            ("flag", "flag"),
            ("search", "search"),
            ("sort", "sort"),
            ("page_size", "page_size"),
        ):
            self.labels[name].value = wording(f"{_K}.table.{key}", lang)

        self.search.placeholder = wording(f"{_K}.table.search_placeholder", lang, plain=True)
        self.reset.description = wording(f"{_K}.table.reset", lang, plain=True)
        for button, key in ((self.first, "first"), (self.previous, "previous"),
                            (self.next, "next"), (self.last, "last")):
            button.tooltip = wording(f"{_K}.table.{key}", lang, plain=True)
        self.direction.tooltips = [wording(f"{_K}.table.{key}", lang, plain=True)
                                   for key in ("ascending", "descending")]
        all_outcomes, all_countries, all_flags, any_flag, no_flag, file_order = (
            wording(f"{_K}.table.{key}", lang, plain=True)
            for key in ("all_outcomes", "all_countries", "all_flags", "any_flag", "no_flag",
                        "file_order"))
        frame = self.frame
        s = self.state
        if frame is None:
            self._set_options(self.outcome, [(all_outcomes, ALL)], ALL)
            self._set_options(self.country, [(all_countries, ALL)], ALL)
            self._set_options(self.flag, [(all_flags, ALL)], ALL)
            self._set_options(self.sort, [(file_order, FILE_ORDER)], FILE_ORDER)
        else:
            total = len(frame)
            counts = frame["outcome"].value_counts()
            codes = [c for c in OUTCOMES if c in counts.index] + [
                c for c in counts.index if c not in OUTCOMES]
            self._set_options(
                self.outcome,
                [(f"{all_outcomes} ({number(total, lang)})", ALL)]
                + [(f"{outcome_title(c, lang)} ({number(int(counts[c]), lang)})", c)
                   for c in codes],
                s.outcome,
            )
            countries = frame["destination_country"].astype(str).value_counts()
            self._set_options(
                self.country,
                [(all_countries, ALL)]
                + [(f"{country_label(c, lang)} ({number(int(n), lang)})", c or UNKNOWN)
                   for c, n in countries.items()],
                s.country,
            )
            flagged = int((frame["flags"].astype(str) != "").sum())
            self._set_options(
                self.flag,
                [
                    (all_flags, ALL),
                    (f"{any_flag} ({number(flagged, lang)})", ANY_FLAG),
                    (f"{no_flag} ({number(total - flagged, lang)})", NO_FLAG),
                ]
                + [(f"{flag_title(code, lang)} ({number(int(hits.sum()), lang)})", code)
                   for code, hits in self._flag_sets.items()],
                s.flag,
            )
            self._set_options(
                self.sort,
                [(file_order, FILE_ORDER)]
                + [(column_label(c, lang), c) for c in frame.columns
                   if c != "row" and not c.startswith("_")],
                s.sort,
            )
        if self.search.value != s.search:
            self.search.value = s.search
        self.direction.value = s.descending
        self.direction.layout.visibility = "hidden" if s.sort == FILE_ORDER else "visible"
        if self.page_size.value != s.page_size:
            self.page_size.value = s.page_size

    @staticmethod
    def _set_options(control: widgets.Dropdown, options: list[tuple[str, str]],
                     value: str) -> None:
        values = [v for _, v in options]
        chosen = value if value in values else values[0]
        if list(control.options) != options:
            control.options = options
        if control.value != chosen:
            control.value = chosen
