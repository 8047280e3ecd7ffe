"""The knowledge explorer's views: the article, the tree and the picked item in, HTML out.

Every function here is plain: data in (the tree, the article, the picked item, the
language), an HTML string out, no widget; :mod:`tpop_kb.apps.knowledge_explorer`
puts them on the page and the tests read them directly. Wording comes from
``data/ui/knowledge_explorer.yaml`` through :func:`~tpop_kb.apps._base.wording`; no
raw code of the data files (a fact's name, a passage id) is shown, only words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from babel.dates import format_date

from ..diagram import tree_svg
from ..knowledge import LOCALES, Article, Flag, KnowledgeBase, Node, Tree
from ._base import Html, esc, plural, wording

_K = "knowledge_explorer"

__all__ = [
    "FLAG_PREFIX",
    "detail_html",
    "diagram_html",
    "hero_html",
    "home_html",
    "item_label",
    "item_short",
    "meta_html",
    "passage_numbers",
    "passages_html",
]

FLAG_PREFIX = "flag:"
LANGS = (("en", "english"), ("fr", "french"))
KINDS = ("instruction", "rule", "caveat", "tip", "heading", "context")


def hero_html(lang: str) -> str:
    return (
        f'<div class="tpop-hero" lang="{esc(lang)}"><h1>{wording(f"{_K}.title", lang)}</h1>'
        f'<p class="tpop-lead">{wording(f"{_K}.lead", lang)}</p></div>'
    )


def home_html(lang: str) -> str:
    """The link back to the landing page, in the header."""
    return f'<a class="tpop-home" href="index.ipynb">{wording(f"{_K}.home", lang)}</a>'


def passage_numbers(article: Article) -> dict[str, int]:
    """Passage id -> its number in the article (1, 2…): what the page shows instead of ids."""
    return {pid: i for i, pid in enumerate(article.passages, 1)}


def _passage_name(number: int, lang: str) -> str:
    return wording(f"{_K}.passage_number", lang, plain=True, n=number)


def meta_html(article: Article, version: str, tree: Tree, lang: str) -> str:
    """The article's title, "Updated on" date, counts, source link and knowledge version."""
    updated = format_date(article.updated_on, format="long", locale=LOCALES[lang])
    counts = " · ".join(
        plural(f"{_K}.count_{name}", lang, n)
        for name, n in (
            ("passages", len(article.passages)),
            ("questions", len(tree.questions)),
            ("outcomes", len(tree.outcomes)),
            ("flags", len(tree.flags)),
        )
    )
    return (
        '<section class="tpop-card tpop-ke-meta">'
        f'<h2 class="tpop-article-title">{esc(article.title[lang])}</h2>'
        f'<span class="tpop-updated-on tpop-muted">{wording("common.updated_on", lang)} '
        f'<time datetime="{article.updated_on.isoformat()}">{esc(updated)}</time></span>'
        f'<span class="tpop-muted tpop-small tpop-counts">{counts}</span>'
        f'<a class="tpop-source" href="{esc(article.source_url)}" target="_blank" '
        f'rel="noopener noreferrer">{wording(f"{_K}.source", lang)} ↗</a>'
        f'<span class="tpop-version tpop-small tpop-muted">{wording("common.kb_version", lang)}'
        f' <code class="tpop-kb-version">{esc(version)}</code></span>'
        "</section>"
    )


def diagram_html(tree: Tree, kb: KnowledgeBase, lang: str, selected: str | None) -> str:
    """The tree, every node a button; ``selected`` (a node id) ringed."""
    return (
        f'<h2 class="tpop-section-title">{wording(f"{_K}.diagram_heading", lang)}</h2>'
        '<p class="tpop-muted tpop-small tpop-diagram-hint">'
        f'{wording(f"{_K}.diagram_hint", lang)}</p>'
        + tree_svg(tree, lang, selected=selected or None, kb=kb, selectable=True)
    )


# -- names of the items --------------------------------------------------------------


def item_short(tree: Tree, numbers: Mapping[str, int], item: str, lang: str) -> str:
    """A short name (plain text): 'Q3', an outcome's title, a remark's title."""
    if item.startswith(FLAG_PREFIX):
        return tree.flags[item[len(FLAG_PREFIX):]].title[lang]
    node = tree.nodes[item]
    if node.is_outcome:
        return tree.fill(node.title[lang])
    return f"Q{numbers[item]}"


def item_label(tree: Tree, numbers: Mapping[str, int], item: str, lang: str) -> str:
    """The picker's label (plain text)."""
    if item.startswith(FLAG_PREFIX):
        flag = wording(f"{_K}.flag", lang, plain=True)
        return f"⚑ {flag} · {item_short(tree, numbers, item, lang)}"
    node = tree.nodes[item]
    if node.is_outcome:
        outcome = wording(f"{_K}.outcome", lang, plain=True)
        return f"{outcome} · {item_short(tree, numbers, item, lang)}"
    question = re.sub(r"\s*\([^()]*\)", "", tree.fill(node.text[lang]))
    return f"Q{numbers[item]} · {question}"


def passages_of(tree: Tree, item: str) -> tuple[str, ...]:
    """The passage ids an item (node id or ``flag:<id>``) cites."""
    if not item:
        return ()
    if item.startswith(FLAG_PREFIX):
        return tree.flags[item[len(FLAG_PREFIX):]].passages
    return tree.nodes[item].passages


# -- the picked item ------------------------------------------------------------------


def detail_html(
    tree: Tree, article: Article, numbers: Mapping[str, int], selected: str, lang: str
) -> str:
    """The picked item: its texts in both languages and the passages it cites."""
    if not selected:
        return (
            '<section class="tpop-card tpop-node-detail" data-node="">'
            f"<p>{esc(tree.fill(wording('knowledge_explorer.overview', lang, plain=True)))}"
            "</p></section>"
        )
    if selected.startswith(FLAG_PREFIX):
        body = _flag_html(tree.flags[selected[len(FLAG_PREFIX):]], numbers, lang)
    else:
        node = tree.nodes[selected]
        body = (
            _outcome_html(tree, node, lang)
            if node.is_outcome
            else _question_html(tree, numbers, node, lang)
        )
    cited = passages_of(tree, selected)
    pnumbers = passage_numbers(article)
    quotes = "".join(
        f'<blockquote class="tpop-quote tpop-cited" data-passage="{esc(pid)}">'
        f"{esc(article.passages[pid].in_(lang))}"
        f"<footer>{esc(_passage_name(pnumbers[pid], lang))}</footer></blockquote>"
        for pid in cited
    )
    return (
        f'<section class="tpop-card tpop-node-detail" data-node="{esc(selected)}">'
        f"{body}<h3>{wording(f'{_K}.cited', lang)}</h3>{quotes}"
        f'<p class="tpop-muted tpop-small">'
        f"{plural(f'{_K}.cited_count', lang, len(cited))}</p>"
        "</section>"
    )


def _bilingual(lang: str, render: Callable[[str], str]) -> str:
    """Two columns, the page's language first, each filled by ``render(code)`` (HTML)."""
    first = sorted(LANGS, key=lambda item: item[0] != lang)
    cells = "".join(
        f'<div lang="{code}" class="tpop-lang-{code}"><div class="tpop-lang-tag">'
        f"{wording(f'{_K}.{name}', lang)}</div>{render(code)}</div>"
        for code, name in first
    )
    return f'<div class="tpop-bilingual">{cells}</div>'


def _target_name(tree: Tree, numbers: Mapping[str, int], node_id: str, lang: str) -> str:
    node = tree.nodes[node_id]
    if node.is_outcome:
        return tree.fill(node.title[lang])
    return f"Q{numbers[node_id]}"


def fact_name(fact: str, lang: str) -> str:
    """What a question asks about, in words (plain text)."""
    return wording(f"{_K}.facts.{fact}", lang, plain=True)


def _question_html(tree: Tree, numbers: Mapping[str, int], node: Node, lang: str) -> str:
    rows = "".join(
        f'<tr data-answer="{esc(answer)}"><td>{esc(tree.answer_label(node, answer, lang))}</td>'
        f"<td>→ {esc(_target_name(tree, numbers, target, lang))}</td></tr>"
        for answer, target in node.answers.items()
    )
    flags = [f for f in tree.flags.values() if f.after == node.id]
    flag_html = ""
    if flags:
        flag_html = (
            f"<h3>{wording(f'{_K}.flags_here', lang)}</h3><ul>"
            + "".join(f"<li>⚑ {esc(f.title[lang])}</li>" for f in flags)
            + "</ul>"
        )
    unknown = tree.answer_label(node, node.when_unknown, lang)
    return (
        f'<span class="tpop-badge">Q{numbers[node.id]} · {wording(f"{_K}.question", lang)}</span>'
        f' <span class="tpop-small tpop-muted tpop-fact">'
        f"{wording(f'{_K}.fact', lang, fact=fact_name(node.fact, lang))}</span>"
        + _bilingual(
            lang,
            lambda code: (
                f"<p><strong>{esc(tree.fill(node.text[code]))}</strong></p>"
                f'<p class="tpop-muted">{esc(tree.fill(node.help[code]))}</p>'
            ),
        )
        + f"<h3>{wording(f'{_K}.answers', lang)}</h3>"
        f'<table class="tpop-table"><thead><tr><th>{wording(f"{_K}.answer", lang)}</th>'
        f"<th>{wording(f'{_K}.leads_to', lang)}</th></tr></thead><tbody>{rows}</tbody></table>"
        '<p class="tpop-muted tpop-small">'
        f'{wording(f"{_K}.when_unknown", lang, answer=unknown)}</p>'
        + flag_html
    )


PLACEHOLDERS = ("days_since_shipped", "recheck_at", "contact_from", "tracking")


def _readable(tree: Tree, text: str, code: str) -> Html:
    """A text of the tree as HTML: thresholds filled, each value worked out per order
    (days since shipping, dates, the tracking) a marked variable (``<var>``) that
    :func:`_legend` explains."""
    marks = {name: f"⟦{name}⟧" for name in PLACEHOLDERS}
    html = esc(tree.fill(text, **marks))
    for name in PLACEHOLDERS:
        html = html.replace(
            esc(marks[name]),
            f'<var class="tpop-var" data-placeholder="{name}">'
            f'{wording(f"{_K}.placeholders.{name}", code)}</var>',
        )
    return Html(html)


def _legend(texts: Sequence[str], code: str) -> str:
    """What each variable of ``texts`` stands for (nothing when there is none)."""
    used = [n for n in PLACEHOLDERS if any("{" + n + "}" in t for t in texts)]
    if not used:
        return ""
    items = wording(f"{_K}.placeholder_separator", code).join(
        wording(f"{_K}.placeholder_item", code,
                var=Html(f'<var class="tpop-var">'
                         f'{wording(f"{_K}.placeholders.{n}", code)}</var>'),
                meaning=wording(f"{_K}.placeholder_meanings.{n}", code, plain=True))
        for n in used
    )
    return (
        '<p class="tpop-small tpop-muted tpop-var-legend">'
        f'{wording(f"{_K}.placeholder_legend", code, items=Html(items))}</p>'
    )


def _outcome_html(tree: Tree, node: Node, lang: str) -> str:
    tone = wording(f"diagram.tones.{node.tone}", lang) if node.tone else ""
    dates = ", ".join(
        wording(f"{_K}.dates_names.{d}", lang, plain=True) for d in node.dates
    )

    def render(code: str) -> str:
        steps = "".join(f"<li>{_readable(tree, s, code)}</li>" for s in node.steps[code])
        texts = [node.title[code], node.summary[code], *node.steps[code], node.reason[code]]
        return (
            f"<p><strong>{_readable(tree, node.title[code], code)}</strong></p>"
            f"<p>{_readable(tree, node.summary[code], code)}</p>"
            f'<div class="tpop-lang-tag">{wording(f"{_K}.steps", lang)}</div><ol>{steps}</ol>'
            f'<div class="tpop-lang-tag">{wording(f"{_K}.reason", lang)}</div>'
            f'<p class="tpop-small">{_readable(tree, node.reason[code], code)}</p>'
            f"{_legend(texts, code)}"
        )

    dates_html = (
        f' <span class="tpop-small tpop-muted">{wording(f"{_K}.dates", lang, dates=dates)}</span>'
        if dates
        else ""
    )
    return (
        f'<span class="tpop-badge tpop-tone-{esc(node.tone)}">{wording(f"{_K}.outcome", lang)} · '
        f"{tone}</span>{dates_html}" + _bilingual(lang, render)
    )


def _flag_html(flag: Flag, numbers: Mapping[str, int], lang: str) -> str:
    rule = wording(f"{_K}.flag_rule", lang, node=f"Q{numbers.get(flag.after, '?')}")
    return (
        f'<span class="tpop-badge tpop-tone-wait">⚑ {wording(f"{_K}.flag", lang)}</span>'
        f'<p class="tpop-small tpop-muted">{rule}</p>'
        + _bilingual(
            lang,
            lambda code: f"<p><strong>{esc(flag.title[code])}</strong></p>"
            f"<p>{esc(flag.text[code])}</p>",
        )
    )


# -- the article ----------------------------------------------------------------------


def passages_html(
    article: Article,
    cited: Sequence[str],
    users: Mapping[str, Sequence[str]],
    lang: str,
    *,
    selection: bool,
) -> str:
    """The article passage by passage; ``cited`` highlighted; ``users``: passage id -> the
    short names (plain text) of the items citing it."""
    cited_set = set(cited)
    out = []
    for number, (pid, passage) in enumerate(article.passages.items(), 1):
        is_cited = pid in cited_set
        names = users.get(pid, [])
        used = (
            wording(f"{_K}.cited_by", lang, names=", ".join(names))
            if names
            else wording(f"{_K}.not_cited", lang)
        )
        kind = (
            wording(f"{_K}.kinds.{passage.kind}", lang)
            if passage.kind in KINDS
            else esc(passage.kind)
        )
        actionable = (
            f'<span class="tpop-badge tpop-tone-act">{wording(f"{_K}.actionable", lang)}</span>'
            if passage.actionable
            else ""
        )
        original = (
            f'<details><summary>{wording(f"{_K}.original", lang)}</summary>'
            f'<p lang="en">{esc(passage.text)}</p></details>'
            if lang != "en"
            else ""
        )
        out.append(
            f'<article class="tpop-passage tpop-kind-{esc(passage.kind)}'
            f'{" is-cited" if is_cited else ""}" data-passage="{esc(pid)}" '
            f'data-cited="{"true" if is_cited else "false"}">'
            f'<header><strong class="tpop-passage-number">'
            f"{esc(_passage_name(number, lang))}</strong>"
            f'<span class="tpop-badge">{kind}</span>{actionable}</header>'
            f'<p lang="{esc(lang)}">{esc(passage.in_(lang))}</p>{original}'
            f"<footer>{used}</footer></article>"
        )
    classes = "tpop-passages has-selection" if selection else "tpop-passages"
    return (
        f'<section class="{classes}">'
        f'<h2 class="tpop-section-title">{wording(f"{_K}.article_heading", lang)}</h2>'
        f'{"".join(out)}</section>'
    )
