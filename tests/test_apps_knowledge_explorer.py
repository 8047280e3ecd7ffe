"""The knowledge explorer app, without a browser: article, diagram, picked node, languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import widget_html
from conftest import wording_leaves as leaves

from tpop_kb.apps import KnowledgeExplorerApp
from tpop_kb.apps.knowledge_explorer import FLAG_PREFIX


def page_html(app: KnowledgeExplorerApp) -> str:
    return widget_html(app.root)


def cited(html: str) -> set[str]:
    return set(re.findall(r'class="tpop-passage [^"]*is-cited" data-passage="([\w-]+)"', html))


def test_ui_texts_exist_in_both_languages(kb):

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
            # the answers in the page's language only (not "Yes / Oui")
            shown = re.findall(r'<tr data-answer="[^"]*"><td>([^<]*)</td>', detail)
            assert shown == [tree.answer_label(node, answer, lang).replace("'", "&#x27;")
                             for answer in node.answers], (node_id, shown)
            assert not any(" / " in label for label in shown)


def test_picking_a_flag_shows_its_rule_and_marks_its_node(tree):
    app = KnowledgeExplorerApp(lang="en")
    for flag_id, flag in tree.flags.items():
        app.picker.value = FLAG_PREFIX + flag_id
        html = page_html(app)
        assert cited(html) == set(flag.passages)
        assert flag.text["en"].replace("'", "&#x27;")[:60] in app.detail.value
        assert flag.text["fr"].replace("'", "&#x27;")[:60] in app.detail.value
        number = app.numbers[flag.after]
        assert f"Checked for every order that passes Q{number}" in app.detail.value
        assert flag.fact not in app.detail.value  # no raw code: the title says it
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


# ---------------------------------------------------------------------------
# Issue 14: the diagram selects, no raw codes, plurals, distinct questions
# ---------------------------------------------------------------------------


def visible_text(html: str) -> str:
    """What a reader sees: tags, attributes and tooltips left out."""
    html = re.sub(r"<title>.*?</title>|<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_a_click_on_a_node_of_the_diagram_selects_it(tree):
    from tpop_kb.apps.knowledge_explorer import NodeClicks

    app = KnowledgeExplorerApp(lang="en")
    assert isinstance(app.node_clicks, NodeClicks) and app.node_clicks in app.root.children
    assert "is-selectable" in app.diagram.value
    # the browser's script sets the node id and counts the click
    app.node_clicks.picked = "q_abroad"
    assert app.state.selected == ""  # nothing until the click is counted
    app.node_clicks.clicks += 1
    assert app.state.selected == "q_abroad" and app.picker.value == "q_abroad"
    assert re.search(r'class="tpop-node [^"]*is-selected" data-node="q_abroad"', app.diagram.value)
    app.node_clicks.picked = "contact_tpop"
    app.node_clicks.clicks += 1
    assert app.state.selected == "contact_tpop"
    app.node_clicks.picked = "<nope>"  # not a node: ignored, no fault
    app.node_clicks.clicks += 1
    assert app.state.selected == "contact_tpop" and app.fault.value == ""


def test_every_node_of_the_diagram_is_a_button_reachable_with_the_keyboard(tree):
    app = KnowledgeExplorerApp(lang="fr", selected="q_abroad")
    nodes = re.findall(r'<g class="tpop-node [^"]*" data-node="(\w+)"([^>]*)>', app.diagram.value)
    assert {n for n, _ in nodes} == tree.reachable()
    for node_id, attributes in nodes:
        assert 'role="button"' in attributes and 'tabindex="0"' in attributes, node_id
        assert f'aria-pressed="{"true" if node_id == "q_abroad" else "false"}"' in attributes
        assert 'aria-label="' in attributes


def test_the_script_and_the_style_are_real_files():
    import inspect

    from tpop_kb.apps import knowledge_explorer, knowledge_explorer_views
    from tpop_kb.apps._base import asset
    from tpop_kb.apps.knowledge_explorer import NodeClicks

    script = asset("knowledge_explorer.js")
    assert NodeClicks._esm == script
    assert '"Enter"' in script and '" "' in script and "save_changes" in script
    app = KnowledgeExplorerApp(lang="en")
    assert asset("knowledge_explorer.css") in app.page_style.value
    for module in (knowledge_explorer, knowledge_explorer_views):
        assert "PAGE_CSS" not in inspect.getsource(module)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_raw_code_is_shown(lang, tree, kb):
    app = KnowledgeExplorerApp(lang=lang)
    codes = (
        {n.fact for n in tree.questions.values()}
        | set(tree.nodes)
        | set(tree.flags)
        | {f.fact for f in tree.flags.values()}
        | set(kb.article.passages)
    )
    codes = {c for c in codes if "_" in c or "-" in c}  # "delivered" is also a word
    assert "within_activation_window" in codes and "activation-delay" in codes
    for item in ["", *app.items]:
        app.picker.value = item
        shown = visible_text(page_html(app))
        for code in codes:
            assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", shown), (item, code)
        assert "(s)" not in shown


def test_counts_are_plural_words(kb, tree):
    from tpop_kb.apps.knowledge_explorer_views import detail_html, passage_numbers

    app = KnowledgeExplorerApp(lang="fr", selected="q_abroad")
    assert len(tree.nodes["q_abroad"].passages) == 1
    assert "1 passage, aussi mis en évidence" in app.detail.value
    app.picker.value = "q_delivered"
    assert "2 passages, aussi mis en évidence" in app.detail.value
    assert "10 questions" in app.meta.value and "résultats" in app.meta.value
    numbers = passage_numbers(kb.article)
    assert sorted(numbers.values()) == list(range(1, len(kb.article.passages) + 1))
    html = detail_html(tree, kb.article, app.numbers, "q_abroad", "en")
    assert "1 passage, also highlighted" in html
    assert f"Passage {numbers['destination-post']}" in html


def test_no_two_questions_read_the_same(tree):
    for lang in ("en", "fr"):
        texts = [tree.fill(n.text[lang]) for n in tree.questions.values()]
        assert len(set(texts)) == len(texts), lang


def test_every_fact_asked_has_words(tree):
    from tpop_kb.apps.knowledge_explorer_views import fact_name

    for node in tree.questions.values():
        for lang in ("en", "fr"):
            assert fact_name(node.fact, lang).strip(), (node.id, lang)
    app = KnowledgeExplorerApp(lang="fr", selected="q_activation_window")
    assert "Porte sur : les heures ouvrées depuis l&#x27;expédition" in app.detail.value


def test_the_page_links_back_to_every_page():
    app = KnowledgeExplorerApp(lang="fr")
    assert '<a class="tpop-home" href="index.ipynb">← Toutes les pages</a>' in app.brand.value
    app.lang_toggle.value = "en"
    assert "← All pages" in app.brand.value


def test_the_views_need_no_widget(kb, tree):
    from tpop_kb.apps import knowledge_explorer_views as views
    from tpop_kb.diagram import question_numbers

    article = kb.article
    meta = views.meta_html(article, "9.9", tree, "en")
    assert '<code class="tpop-kb-version">9.9</code>' in meta
    assert f"{len(article.passages)} passages · {len(tree.questions)} questions" in meta
    first = next(iter(article.passages))
    html = views.passages_html(article, [first], {first: ["Q<1>"]}, "fr", selection=True)
    assert "has-selection" in html and "Utilisé par : Q&lt;1&gt;" in html
    assert html.count('data-cited="true"') == 1
    assert "Passage 1</strong>" in html
    numbers = question_numbers(tree)
    assert views.item_label(tree, numbers, "q_valid", "en").startswith("Q1 · ")
    assert views.item_short(tree, numbers, "contact_tpop", "fr") == tree.fill(
        tree.nodes["contact_tpop"].title["fr"]
    )
    svg = views.diagram_html(tree, kb, "en", "q_valid")
    assert "is-selectable" in svg and 'aria-pressed="true"' in svg


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_values_worked_out_per_order_are_marked_variables_explained(lang, tree):
    """No "‹jours depuis l'expédition›" inside a sentence: a short variable ("N", "jour C")
    marked as such, and a line saying what each one stands for."""
    app = KnowledgeExplorerApp(lang=lang)
    for node_id, node in tree.outcomes.items():
        app.picker.value = node_id
        detail = app.detail.value
        assert "‹" not in detail and "{" not in detail, node_id
        if "{days_since_shipped}" in node.reason[lang]:
            assert '<var class="tpop-var" data-placeholder="days_since_shipped">N</var>' in detail
            said = {"fr": "N</var> désigne le nombre de jours depuis l&#x27;expédition",
                    "en": "N</var> stands for the number of days since the order was shipped"}
            assert said[lang] in detail, node_id
