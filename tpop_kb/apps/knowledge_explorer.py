"""The knowledge explorer (``notebooks/knowledge.ipynb``): the article beside its decision tree.

Left, the decision tree drawn from ``tree.yaml`` (:mod:`tpop_kb.diagram`): a click on
a node, or Tab to it and Enter / Space, selects it (:class:`NodeClicks`, a small
anywidget whose script is ``assets/knowledge_explorer.js``, carries it to Python).
Right, a picker (``.tpop-node-picker``: every question, outcome and remark) with
Previous / Next, the picked item's texts in English and French side by side, and
the article passage by passage, the passages the item cites highlighted
(``.tpop-passage.is-cited``). The header shows the article's "Updated on" date, its
source and the knowledge base version. The HTML comes from
:mod:`tpop_kb.apps.knowledge_explorer_views`.
"""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from ..diagram import question_numbers
from ..knowledge import KnowledgeError, knowledge
from ._base import App, AppState, asset, brand_html, guarded, wording
from .knowledge_explorer_views import (
    FLAG_PREFIX,
    detail_html,
    diagram_html,
    hero_html,
    home_html,
    item_label,
    item_short,
    meta_html,
    passages_html,
    passages_of,
)
from .style import style_widget

_K = "knowledge_explorer"

__all__ = ["FLAG_PREFIX", "KnowledgeExplorerApp", "KnowledgeExplorerState", "NodeClicks"]


class NodeClicks(anywidget.AnyWidget):
    """The diagram's clicks (and Enter / Space on a focused node), sent from the browser:
    ``picked`` is the node id, ``clicks`` counts them (the same node twice still arrives)."""

    _esm = asset("knowledge_explorer.js")

    picked = traitlets.Unicode("").tag(sync=True)
    clicks = traitlets.Int(0).tag(sync=True)


class KnowledgeExplorerState(AppState):
    """The picked item: ``""`` (the whole tree), a node id, or ``flag:<id>``."""

    selected = traitlets.Unicode("")


class KnowledgeExplorerApp(App):
    """The knowledge explorer. ``KnowledgeExplorerApp()`` in a notebook shows it."""

    css_class = "tpop-app"
    state_class = KnowledgeExplorerState

    def __init__(self, lang: str = "fr", selected: str = "", **state: Any) -> None:
        kb = knowledge()
        self.kb = kb
        try:
            self.tree = kb.tree
            self.article = kb.article
        except KnowledgeError:  # a broken data file: the base class shows the card naming it
            super().__init__(lang=lang, **state)
            return
        self.numbers = question_numbers(self.tree)
        self.items = self._item_ids()
        if selected and selected not in self.items:
            raise KeyError(f"no node or remark '{selected}' in tree.yaml")
        self._cited_by = self._citations()
        super().__init__(lang=lang, selected=selected, **state)

    # -- what can be picked -----------------------------------------------------------
    def _item_ids(self) -> list[str]:
        questions = sorted(self.numbers, key=self.numbers.get)
        outcomes = list(self.tree.outcomes)
        flags = [FLAG_PREFIX + f for f in self.tree.flags]
        return questions + outcomes + flags

    def _citations(self) -> dict[str, list[str]]:
        """passage id -> the items citing it, in picker order."""
        cited: dict[str, list[str]] = {pid: [] for pid in self.article.passages}
        for item in self.items:
            for pid in passages_of(self.tree, item):
                cited.setdefault(pid, []).append(item)
        return cited

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        self.root.add_class("tpop-knowledge-explorer")
        self.page_style = self._page_style(asset("knowledge_explorer.css"))
        self._build_header()
        self.intro = widgets.HTML()
        self.meta = widgets.HTML()

        self.diagram = widgets.HTML()
        self.diagram.add_class("tpop-card")
        self.diagram.add_class("tpop-diagram-box")
        self.node_clicks = NodeClicks()
        self.node_clicks.add_class("tpop-node-clicks")

        self.picker = widgets.Dropdown(options=[("", "")], value="")
        self.picker.add_class("tpop-node-picker")
        self.prev_button = widgets.Button(icon="chevron-left")
        self.prev_button.add_class("tpop-node-prev")
        self.next_button = widgets.Button(icon="chevron-right")
        self.next_button.add_class("tpop-node-next")
        self.picker_row = widgets.Box([self.picker, self.prev_button, self.next_button])
        self.picker_row.add_class("tpop-ke-picker-row")
        self.detail = widgets.HTML()
        self.passages = widgets.HTML()
        self.side = widgets.VBox([self.picker_row, self.detail, self.passages])
        self.side.add_class("tpop-ke-side")
        self.body = widgets.Box([self.diagram, self.side])
        self.body.add_class("tpop-ke-body")
        self.root.children = [
            style_widget(),
            self.page_style,
            self.header,
            self.intro,
            self.meta,
            self.body,
            self.node_clicks,
        ]

    # -- events --------------------------------------------------------------------
    def _wire(self) -> None:
        self.state.observe(self._on_state, names=["lang", "selected"])
        self.picker.observe(self._on_pick, names=["value"])
        self.prev_button.on_click(self._on_prev)
        self.next_button.on_click(self._on_next)
        self.node_clicks.observe(self._on_node_click, names=["clicks"])

    @guarded
    def _on_state(self, _change: dict[str, Any]) -> None:
        self._render()

    @guarded
    def _on_pick(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self.state.selected = change["new"] or ""

    @guarded
    def _on_node_click(self, _change: dict[str, Any]) -> None:
        """A node of the diagram was clicked (or Enter / Space on it): select it."""
        picked = self.node_clicks.picked
        if picked in self.items:
            self.state.selected = picked

    @guarded
    def _on_prev(self, _button: widgets.Button) -> None:
        self._move(-1)

    @guarded
    def _on_next(self, _button: widgets.Button) -> None:
        self._move(1)

    def _move(self, delta: int) -> None:
        order = ["", *self.items]
        index = order.index(self.state.selected)
        self.state.selected = order[(index + delta) % len(order)]

    # -- state -> widgets ------------------------------------------------------------
    def _render(self) -> None:
        lang = self.state.lang
        selected = self.state.selected
        tree, numbers = self.tree, self.numbers
        self.brand.value = brand_html(lang, home_html(lang))  # with the link home
        self.intro.value = hero_html(lang)
        self.meta.value = meta_html(self.article, self.kb.version, tree, lang)
        with self._quietly():
            self.picker.options = [
                (wording(f"{_K}.whole_tree", lang, plain=True), "")
            ] + [(item_label(tree, numbers, item, lang), item) for item in self.items]
            self.picker.value = selected
        self.prev_button.tooltip = wording(f"{_K}.previous", lang, plain=True)
        self.next_button.tooltip = wording(f"{_K}.next", lang, plain=True)
        node_id = selected
        if selected.startswith(FLAG_PREFIX):
            node_id = tree.flags[selected[len(FLAG_PREFIX):]].after
        self.diagram.value = diagram_html(tree, self.kb, lang, node_id or None)
        self.detail.value = detail_html(tree, self.article, numbers, selected, lang)
        users = {
            pid: [item_short(tree, numbers, u, lang) for u in items]
            for pid, items in self._cited_by.items()
        }
        self.passages.value = passages_html(
            self.article,
            passages_of(tree, selected),
            users,
            lang,
            selection=bool(selected),
        )

