"""The knowledge explorer app, without a browser: article, diagram, picked node, languages."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets as widgets
import pytest

from tpop_kb.apps import KnowledgeExplorerApp
from tpop_kb.apps.knowledge_explorer import FLAG_PREFIX


def page_html(app: KnowledgeExplorerApp) -> str:
    out: list[str] = []

    def walk(widget: widgets.Widget) -> None:
        if isinstance(widget, widgets.HTML):
            out.append(widget.value)
        for child in getattr(widget, "children", ()):
            walk(child)

    walk(app.root)
    return "\n".join(out)


def cited(html: str) -> set[str]:
    return set(re.findall(r'class="tpop-passage [^"]*is-cited" data-passage="([\w-]+)"', html))


def test_ui_texts_exist_in_both_languages(kb):
    def leaves(node, where):
        if isinstance(node, dict) and set(node) == {"en", "fr"}:
            yield where, node
        else:
            assert isinstance(node, dict), where
            for key, child in node.items():
                yield from leaves(child, f"{where}.{key}")

    found = list(leaves(kb.ui["knowledge_explorer"], "knowledge_explorer"))
    assert len(found) > 20
    for where, texts in found:
        assert str(texts["en"]).strip() and str(texts["fr"]).strip(), where


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_header_shows_article_date_source_and_version(lang, kb):
    html = page_html(KnowledgeExplorerApp(lang=lang))
    article = kb.article
    assert {"fr": "12 septembre 2024", "en": "12 September 2024"}[lang] in html
    assert f'<time datetime="{article.updated_on.isoformat()}">' in html
    assert f'<code class="tpop-kb-version">{kb.version}</code>' in html
    assert f'href="{article.source_url}"' in html
    assert f"{len(article.passages)} passages" in html


def test_the_article_passage_by_passage_beside_the_whole_tree(kb, tree):
    app = KnowledgeExplorerApp(lang="en")
    assert {"tpop-app", "tpop-knowledge-explorer"} <= set(app.root._dom_classes)
    assert app.body.children == (app.diagram, app.side)
    html = page_html(app)
    order = re.findall(r'<article class="tpop-passage[^"]*" data-passage="([\w-]+)"', html)
    assert order == list(kb.article.passages)
    assert "has-selection" not in app.passages.value and not cited(html)
    drawn = set(re.findall(r'class="tpop-node [^"]*" data-node="(\w+)"', app.diagram.value))
    assert drawn == tree.reachable()
    assert "is-selected" not in app.diagram.value
    assert "Every order starts at Q1" in html
    # Each passage says which parts of the tree use it.
    assert "Used by: Q1" in html
    assert "Not used by the tree (context)" in html  # the section heading


def test_the_picker_lists_every_question_outcome_and_flag(tree):
    app = KnowledgeExplorerApp(lang="en")
    assert "tpop-node-picker" in app.picker._dom_classes
    values = [v for _, v in app.picker.options]
    assert values[0] == ""
    assert set(values[1:]) == set(tree.nodes) | {FLAG_PREFIX + f for f in tree.flags}
    labels = [label for label, _ in app.picker.options]
    assert labels[1].startswith("Q1 · ") and "(" not in labels[1]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_picking_a_node_shows_both_languages_and_highlights_its_passages(lang, tree):
    app = KnowledgeExplorerApp(lang=lang)
    for node_id, node in tree.nodes.items():
        app.picker.value = node_id
        assert app.state.selected == node_id
        html = page_html(app)
        assert f'data-node="{node_id}"' in app.detail.value
        assert cited(html) == set(node.passages), node_id
        quoted = re.findall(
            r'class="tpop-quote tpop-cited" data-passage="([\w-]+)"', app.detail.value
        )
        assert quoted == list(node.passages)
        assert re.search(rf'class="tpop-node [^"]*is-selected" data-node="{node_id}"', html)
        detail = app.detail.value
        if node.is_outcome:
            for code in ("en", "fr"):
                title = tree.fill(node.title[code]).replace("'", "&#x27;")
                assert title in detail, (node_id, code)
            assert "{" not in detail
        else:
            for code in ("en", "fr"):
                text = tree.fill(node.text[code]).replace("'", "&#x27;")
                assert text in detail, (node_id, code)
                for answer in node.answers:
                    label = tree.answer_label(node, answer, code).replace("'", "&#x27;")
                    assert label in detail


def test_picking_a_flag_shows_its_rule_and_marks_its_node(tree):
    app = KnowledgeExplorerApp(lang="en")
    for flag_id, flag in tree.flags.items():
        app.picker.value = FLAG_PREFIX + flag_id
        html = page_html(app)
        assert cited(html) == set(flag.passages)
        assert flag.text["en"].replace("'", "&#x27;")[:60] in app.detail.value
        assert flag.text["fr"].replace("'", "&#x27;")[:60] in app.detail.value
        assert f"with {flag.fact} = {flag.value}" in app.detail.value
        assert re.search(rf'is-selected" data-node="{flag.after}"', app.diagram.value)


def test_previous_and_next_walk_through_every_item():
    app = KnowledgeExplorerApp(lang="fr")
    seen = []
    for _ in range(len(app.items) + 1):
        app.next_button.click()
        seen.append(app.state.selected)
    assert seen[:-1] == app.items and seen[-1] == ""
    app.prev_button.click()
    assert app.state.selected == app.items[-1]
    assert app.picker.value == app.items[-1]


def test_the_language_toggle_switches_every_text_live(tree):
    app = KnowledgeExplorerApp(lang="fr", selected="q_abroad")
    french = page_html(app)
    assert "Explorateur de connaissances" in french and "Mis à jour le" in french
    assert "Anglais" in french and "Oui" in app.diagram.value
    app.lang_toggle.value = "en"
    english = page_html(app)
    assert "Knowledge explorer" in english and "Updated on" in english
    assert "Explorateur" not in english and "Yes" in app.diagram.value
    assert app.picker.value == "q_abroad" and app.state.selected == "q_abroad"
    assert app.picker.options[0][0].startswith("— Whole tree")
    app.lang_toggle.value = "fr"
    assert page_html(app) == french


def test_an_unknown_item_is_refused():
    with pytest.raises(KeyError):
        KnowledgeExplorerApp(selected="q_nope")


def test_the_notebook_is_thin():
    import nbformat

    root = Path(__file__).resolve().parent.parent
    nb = nbformat.read(root / "notebooks" / "knowledge.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == ["from tpop_kb.apps import KnowledgeExplorerApp\nKnowledgeExplorerApp()"]
