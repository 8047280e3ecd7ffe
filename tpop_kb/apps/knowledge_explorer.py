"""The knowledge explorer (``notebooks/knowledge.ipynb``): the article beside its decision tree.

Left, the decision tree drawn from ``tree.yaml`` (:mod:`tpop_kb.diagram`). Right, a
picker (``.tpop-node-picker``: every question, outcome and remark), the picked
item's texts in English and French side by side, and the article passage by
passage, the passages the item cites highlighted (``.tpop-passage.is-cited``).
The header shows the article's "Updated on" date, its source and the knowledge
base version. Clicks inside the SVG cannot reach Python, hence the picker and
the Previous / Next buttons.
"""

from __future__ import annotations

import re
from typing import Any

import ipywidgets as widgets
import traitlets
from babel.dates import format_date

from ..diagram import question_numbers, tree_svg
from ..knowledge import Flag, KnowledgeError, Node, knowledge
from ._base import App, AppState, brand_html, esc, guarded, page_html, page_text, t
from .style import style_widget

__all__ = ["KnowledgeExplorerApp", "KnowledgeExplorerState"]

_BABEL_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
FLAG_PREFIX = "flag:"
LANGS = (("en", "english"), ("fr", "french"))

PAGE_CSS = """
.tpop-app.tpop-knowledge-explorer { max-width: 1360px; }
.tpop-knowledge-explorer .tpop-hero { margin-bottom: 10px; }
.tpop-knowledge-explorer .tpop-ke-meta {
  display: flex; flex-flow: row wrap; gap: 4px 18px; align-items: baseline;
  padding: 10px 16px; margin-bottom: 14px; font-size: 14px;
}
.tpop-knowledge-explorer .tpop-ke-meta h2 { font-size: 16px; font-weight: 700; margin: 0; }
.tpop-knowledge-explorer .tpop-ke-body {
  display: grid; grid-template-columns: minmax(0, 2fr) minmax(340px, 1fr);
  gap: 16px; align-items: start; width: 100%;
}
.tpop-knowledge-explorer .tpop-ke-body > * { min-width: 0; width: 100%; }
.tpop-knowledge-explorer .tpop-ke-side { gap: 14px; }
.tpop-knowledge-explorer .tpop-ke-side > * { width: 100%; }
.tpop-knowledge-explorer .tpop-diagram-box { padding: 10px; overflow-x: auto; }
.tpop-knowledge-explorer .tpop-diagram-box svg {
  display: block; width: 100%; height: auto; min-width: 620px;
}
.tpop-knowledge-explorer .tpop-ke-picker-row {
  display: flex; flex-flow: row wrap; gap: 8px; align-items: center;
}
.tpop-knowledge-explorer .tpop-node-picker {
  flex: 1 1 200px; width: auto; min-width: 0; margin: 0;
}
.tpop-knowledge-explorer .tpop-node-picker select {
  height: 34px; border-radius: 6px; font-size: 14px; font-family: var(--tpop-font);
  min-width: 0; width: 100%; text-overflow: ellipsis;
}
.tpop-knowledge-explorer .jupyter-button {
  border-radius: 6px; height: 34px; font-size: 14px; font-family: var(--tpop-font);
  width: auto; padding: 0 12px; margin: 0;
}
.tpop-knowledge-explorer h3 {
  font-size: 12.5px; font-weight: 700; letter-spacing: 0.05em; text-transform: uppercase;
  color: var(--tpop-muted); margin: 14px 0 6px 0;
}
.tpop-knowledge-explorer .tpop-node-detail h2 { font-size: 18px; margin: 6px 0 4px 0; }
.tpop-knowledge-explorer .tpop-bilingual {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 10px;
}
.tpop-knowledge-explorer .tpop-bilingual > div {
  background: var(--tpop-canvas); border-radius: 8px; padding: 8px 12px; font-size: 14px;
}
.tpop-knowledge-explorer .tpop-lang-tag {
  font-size: 11.5px; font-weight: 700; letter-spacing: 0.06em; text-transform: uppercase;
  color: var(--tpop-muted);
}
.tpop-knowledge-explorer .tpop-bilingual ol { margin: 4px 0; padding-left: 20px; }
.tpop-knowledge-explorer .tpop-quote {
  margin: 0 0 8px 0; padding: 6px 12px; border-left: 3px solid var(--tpop-accent);
  font-size: 14px; background: var(--tpop-accent-soft); border-radius: 0 6px 6px 0;
}
.tpop-knowledge-explorer .tpop-quote footer { font-size: 12px; margin-top: 2px; }
.tpop-knowledge-explorer .tpop-passage {
  border: 1px solid var(--tpop-border); border-radius: 8px; padding: 10px 14px;
  margin: 0 0 8px 0; background: var(--tpop-surface); transition: opacity 0.15s;
}
.tpop-knowledge-explorer .tpop-passages.has-selection .tpop-passage { opacity: 0.55; }
.tpop-knowledge-explorer .tpop-passages.has-selection .tpop-passage.is-cited {
  opacity: 1; border-color: var(--tpop-accent); background: var(--tpop-accent-soft);
  box-shadow: inset 4px 0 0 var(--tpop-accent);
}
.tpop-knowledge-explorer .tpop-passage header {
  display: flex; flex-flow: row wrap; gap: 6px; align-items: center; margin-bottom: 4px;
}
.tpop-knowledge-explorer .tpop-passage.tpop-kind-heading p { font-weight: 700; font-size: 16px; }
.tpop-knowledge-explorer .tpop-passage details { margin-top: 4px; font-size: 13px; }
.tpop-knowledge-explorer .tpop-passage details summary {
  color: var(--tpop-muted); cursor: pointer;
}
.tpop-knowledge-explorer .tpop-passage footer { font-size: 12.5px; color: var(--tpop-muted); }
.tpop-knowledge-explorer .tpop-table td, .tpop-knowledge-explorer .tpop-table th {
  padding: 5px 8px;
}
@media (max-width: 1020px) {
  .tpop-knowledge-explorer .tpop-ke-body { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 720px) {
  .tpop-knowledge-explorer .tpop-diagram-box svg { min-width: 560px; }
}
"""


def _text(key: str, lang: str, **values: Any) -> str:
    """Page wording as plain text."""
    return page_text(f"knowledge_explorer.{key}", lang, **values)


def _html(key: str, lang: str, **values: Any) -> str:
    """Page wording as HTML, text and values escaped."""
    return page_html(f"knowledge_explorer.{key}", lang, **values)


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
            for pid in self._passages_of(item):
                cited.setdefault(pid, []).append(item)
        return cited

    def _passages_of(self, item: str) -> tuple[str, ...]:
        if not item:
            return ()
        if item.startswith(FLAG_PREFIX):
            return self.tree.flags[item[len(FLAG_PREFIX):]].passages
        return self.tree.nodes[item].passages

    def _short(self, item: str, lang: str) -> str:
        """A short name: 'Q3', an outcome's title, a remark's title."""
        if item.startswith(FLAG_PREFIX):
            return self.tree.flags[item[len(FLAG_PREFIX):]].title[lang]
        node = self.tree.nodes[item]
        if node.is_outcome:
            return self.tree.fill(node.title[lang])
        return f"Q{self.numbers[item]}"

    def _label(self, item: str, lang: str) -> str:
        if item.startswith(FLAG_PREFIX):
            return f"⚑ {_text('flag', lang)} · {self._short(item, lang)}"
        node = self.tree.nodes[item]
        if node.is_outcome:
            return f"{_text('outcome', lang)} · {self._short(item, lang)}"
        question = re.sub(r"\s*\([^()]*\)", "", self.tree.fill(node.text[lang]))
        return f"Q{self.numbers[item]} · {question}"

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        self.root.add_class("tpop-knowledge-explorer")
        self.page_style = self._page_style(PAGE_CSS)
        self._build_header()
        self.intro = widgets.HTML()
        self.meta = widgets.HTML()

        self.diagram = widgets.HTML()
        self.diagram.add_class("tpop-card")
        self.diagram.add_class("tpop-diagram-box")

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
        ]

    # -- events --------------------------------------------------------------------
    def _wire(self) -> None:
        self.state.observe(self._on_state, names=["lang", "selected"])
        self.picker.observe(self._on_pick, names=["value"])
        self.prev_button.on_click(self._on_prev)
        self.next_button.on_click(self._on_next)

    @guarded
    def _on_state(self, _change: dict[str, Any]) -> None:
        self._render()

    @guarded
    def _on_pick(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self.state.selected = change["new"] or ""

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
        self.brand.value = brand_html(lang)
        self.intro.value = (
            f'<div class="tpop-hero" lang="{esc(lang)}"><h1>{_html("title", lang)}</h1>'
            f'<p class="tpop-lead">{_html("lead", lang)}</p></div>'
        )
        self.meta.value = self._meta_html(lang)
        with self._quietly():
            self.picker.options = [(_text("whole_tree", lang), "")] + [
                (self._label(item, lang), item) for item in self.items
            ]
            self.picker.value = selected
        self.prev_button.tooltip = _text("previous", lang)
        self.next_button.tooltip = _text("next", lang)
        node_id = selected
        if selected.startswith(FLAG_PREFIX):
            node_id = self.tree.flags[selected[len(FLAG_PREFIX):]].after
        self.diagram.value = (
            f'<h2 class="tpop-section-title">{_html("diagram_heading", lang)}</h2>'
            + tree_svg(self.tree, lang, selected=node_id or None, kb=self.kb)
        )
        self.detail.value = self._detail_html(lang)
        self.passages.value = self._passages_html(lang)

    def _meta_html(self, lang: str) -> str:
        article = self.article
        updated = format_date(article.updated_on, format="long", locale=_BABEL_LOCALES[lang])
        counts = _html(
            "counts",
            lang,
            passages=len(article.passages),
            questions=len(self.tree.questions),
            outcomes=len(self.tree.outcomes),
            flags=len(self.tree.flags),
        )
        return (
            '<section class="tpop-card tpop-ke-meta">'
            f'<h2 class="tpop-article-title">{esc(article.title[lang])}</h2>'
            f'<span class="tpop-updated-on tpop-muted">{esc(t("common.updated_on", lang))} '
            f'<time datetime="{article.updated_on.isoformat()}">{esc(updated)}</time></span>'
            f'<span class="tpop-muted tpop-small">{counts}</span>'
            f'<a class="tpop-source" href="{esc(article.source_url)}" target="_blank" '
            f'rel="noopener noreferrer">{_html("source", lang)} ↗</a>'
            f'<span class="tpop-version tpop-small tpop-muted">{esc(t("common.kb_version", lang))}'
            f' <code class="tpop-kb-version">{esc(self.kb.version)}</code></span>'
            "</section>"
        )

    # -- the picked item ---------------------------------------------------------------
    def _detail_html(self, lang: str) -> str:
        selected = self.state.selected
        if not selected:
            return (
                '<section class="tpop-card tpop-node-detail" data-node="">'
                f'<p>{esc(self.tree.fill(_text("overview", lang)))}</p></section>'
            )
        if selected.startswith(FLAG_PREFIX):
            body = self._flag_html(self.tree.flags[selected[len(FLAG_PREFIX):]], lang)
        else:
            node = self.tree.nodes[selected]
            body = self._outcome_html(node, lang) if node.is_outcome else self._question_html(
                node, lang
            )
        cited = self._passages_of(selected)
        quotes = "".join(
            f'<blockquote class="tpop-quote tpop-cited" data-passage="{esc(pid)}">'
            f"{esc(self.article.passages[pid].in_(lang))}<footer><code>{esc(pid)}</code></footer>"
            "</blockquote>"
            for pid in cited
        )
        return (
            f'<section class="tpop-card tpop-node-detail" data-node="{esc(selected)}">'
            f"{body}<h3>{_html('cited', lang)}</h3>{quotes}"
            f'<p class="tpop-muted tpop-small">{_html("cited_count", lang, n=len(cited))}</p>'
            "</section>"
        )

    def _bilingual(self, render: Any) -> str:
        """Two columns, the page's language first, each filled by ``render(lang)`` (HTML)."""
        first = sorted(LANGS, key=lambda item: item[0] != self.state.lang)  # the page's first
        cells = "".join(
            f'<div lang="{code}" class="tpop-lang-{code}"><div class="tpop-lang-tag">'
            f'{_html(name, self.state.lang)}</div>{render(code)}</div>'
            for code, name in first
        )
        return f'<div class="tpop-bilingual">{cells}</div>'

    def _target_name(self, node_id: str, lang: str) -> str:
        node = self.tree.nodes[node_id]
        if node.is_outcome:
            return f"{self.tree.fill(node.title[lang])} ({node.id})"
        return f"Q{self.numbers[node_id]}"

    def _question_html(self, node: Node, lang: str) -> str:
        tree = self.tree
        rows = "".join(
            f'<tr data-answer="{esc(answer)}"><td>{esc(tree.answer_label(node, answer, "en"))}'
            f' / {esc(tree.answer_label(node, answer, "fr"))}</td>'
            f"<td>→ {esc(self._target_name(target, lang))}</td></tr>"
            for answer, target in node.answers.items()
        )
        flags = [f for f in tree.flags.values() if f.after == node.id]
        flag_html = ""
        if flags:
            flag_html = f"<h3>{_html('flags_here', lang)}</h3><ul>" + "".join(
                f"<li>⚑ {esc(f.title[lang])}</li>" for f in flags
            ) + "</ul>"
        unknown = tree.answer_label(node, node.when_unknown, lang)
        return (
            f'<span class="tpop-badge">Q{self.numbers[node.id]} · {_html("question", lang)}</span>'
            f' <span class="tpop-small tpop-muted">{_html("fact", lang)}: '
            f"<code>{esc(node.fact)}</code></span>"
            + self._bilingual(
                lambda code: f"<p><strong>{esc(tree.fill(node.text[code]))}</strong></p>"
                f'<p class="tpop-muted">{esc(tree.fill(node.help[code]))}</p>'
            )
            + f"<h3>{_html('answers', lang)}</h3>"
            f'<table class="tpop-table"><thead><tr><th>{_html("answer", lang)}</th>'
            f"<th>{_html('leads_to', lang)}</th></tr></thead><tbody>{rows}</tbody></table>"
            f'<p class="tpop-muted tpop-small">{_html("when_unknown", lang, answer=unknown)}</p>'
            + flag_html
        )

    def _readable(self, text: str, code: str) -> str:
        """Thresholds filled, the other placeholders named in words."""
        values = {
            name: _text(f"placeholders.{name}", code)
            for name in ("days_since_shipped", "recheck_at", "contact_from", "tracking")
        }
        return self.tree.fill(text, **values)

    def _outcome_html(self, node: Node, lang: str) -> str:
        tone = t(f"diagram.tones.{node.tone}", lang) if node.tone else ""
        dates = ", ".join(_text(f"dates_names.{d}", lang) for d in node.dates)

        def render(code: str) -> str:
            steps = "".join(f"<li>{esc(self._readable(s, code))}</li>" for s in node.steps[code])
            return (
                f"<p><strong>{esc(self._readable(node.title[code], code))}</strong></p>"
                f"<p>{esc(self._readable(node.summary[code], code))}</p>"
                f'<div class="tpop-lang-tag">{_html("steps", lang)}</div><ol>{steps}</ol>'
                f'<div class="tpop-lang-tag">{_html("reason", lang)}</div>'
                f'<p class="tpop-small">{esc(self._readable(node.reason[code], code))}</p>'
            )

        dates_html = (
            f' <span class="tpop-small tpop-muted">{_html("dates", lang)}: {esc(dates)}</span>'
            if dates
            else ""
        )
        return (
            f'<span class="tpop-badge tpop-tone-{esc(node.tone)}">{_html("outcome", lang)} · '
            f"{esc(tone)}</span> <code>{esc(node.id)}</code>{dates_html}"
            + self._bilingual(render)
        )

    def _flag_html(self, flag: Flag, lang: str) -> str:
        rule = _html(
            "flag_rule",
            lang,
            node=f"Q{self.numbers.get(flag.after, '?')}",
            fact=flag.fact,
            value=flag.value,
        )
        return (
            f'<span class="tpop-badge tpop-tone-wait">⚑ {_html("flag", lang)}</span> '
            f"<code>{esc(flag.id)}</code>"
            f'<p class="tpop-small tpop-muted">{rule}</p>'
            + self._bilingual(
                lambda code: f"<p><strong>{esc(flag.title[code])}</strong></p>"
                f"<p>{esc(flag.text[code])}</p>"
            )
        )

    # -- the article ---------------------------------------------------------------
    def _passages_html(self, lang: str) -> str:
        selected = self.state.selected
        cited = set(self._passages_of(selected))
        out = []
        for pid, passage in self.article.passages.items():
            is_cited = pid in cited
            users = self._cited_by.get(pid, [])
            used = (
                f'{_html("cited_by", lang)}: '
                + ", ".join(esc(self._short(u, lang)) for u in users)
                if users
                else _html("not_cited", lang)
            )
            kind = _html(f"kinds.{passage.kind}", lang) if passage.kind in (
                "instruction", "rule", "caveat", "tip", "heading", "context"
            ) else esc(passage.kind)
            actionable = (
                f'<span class="tpop-badge tpop-tone-act">{_html("actionable", lang)}</span>'
                if passage.actionable
                else ""
            )
            original = (
                f'<details><summary>{_html("original", lang)}</summary>'
                f'<p lang="en">{esc(passage.text)}</p></details>'
                if lang != "en"
                else ""
            )
            out.append(
                f'<article class="tpop-passage tpop-kind-{esc(passage.kind)}'
                f'{" is-cited" if is_cited else ""}" data-passage="{esc(pid)}" '
                f'data-cited="{"true" if is_cited else "false"}">'
                f"<header><code>{esc(pid)}</code>"
                f'<span class="tpop-badge">{kind}</span>{actionable}</header>'
                f'<p lang="{esc(lang)}">{esc(passage.in_(lang))}</p>{original}'
                f"<footer>{used}</footer></article>"
            )
        classes = "tpop-passages has-selection" if selected else "tpop-passages"
        return (
            f'<section class="{classes}">'
            f'<h2 class="tpop-section-title">{_html("article_heading", lang)}</h2>'
            f'{"".join(out)}</section>'
        )
