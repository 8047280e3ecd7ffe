"""The knowledge explorer in Chromium, through a real Voila server: the article, the
diagram (a click or the keyboard selects a node), both languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tpop_kb import knowledge
from tpop_kb.apps.knowledge_explorer import FLAG_PREFIX
from tpop_kb.diagram import question_numbers

from .conftest import overflows

pytestmark = pytest.mark.browser

NO_OVERFLOW = """() => {
  const app = document.querySelector('.tpop-app');
  return [document.documentElement.scrollWidth - window.innerWidth,
          app.scrollWidth - app.clientWidth];
}"""

FOCUSED_NODE = "() => document.activeElement && document.activeElement.getAttribute('data-node')"


def _number(node_id: str) -> int:
    return question_numbers(knowledge().tree)[node_id]


def test_knowledge_explorer(page, open_app, screenshot):
    open_app(page, "knowledge.ipynb", selector=".tpop-knowledge-explorer")
    kb = knowledge()
    tree = kb.tree
    expect(page.locator(".tpop-kb-version")).to_have_text(kb.version)
    expect(page.locator(".tpop-updated-on")).to_contain_text("12 septembre 2024")
    expect(page.locator("svg.tpop-diagram .tpop-node")).to_have_count(len(tree.reachable()))
    passages = page.locator(".tpop-passage")
    expect(passages).to_have_count(len(kb.article.passages))

    items = (
        sorted(tree.questions, key=lambda n: _number(n))
        + list(tree.outcomes)
        + [FLAG_PREFIX + f for f in tree.flags]
    )
    node = tree.nodes["q_activation_window"]
    page.locator(".tpop-node-picker select").select_option(index=items.index(node.id) + 1)
    detail = page.locator(".tpop-node-detail")
    expect(detail).to_have_attribute("data-node", node.id)
    expect(detail).to_contain_text(tree.fill(node.text["en"]))
    expect(detail).to_contain_text(tree.fill(node.text["fr"]))
    expect(page.locator("svg .tpop-node.is-selected")).to_have_attribute("data-node", node.id)
    highlighted = page.locator(".tpop-passage.is-cited")
    expect(highlighted).to_have_count(len(node.passages))
    for pid in node.passages:
        expect(page.locator(f'.tpop-passage[data-passage="{pid}"]')).to_have_attribute(
            "data-cited", "true"
        )
    # The picked node's passages are quoted beside the diagram: the screenshot shows Q3.
    node = tree.nodes["q_delivered"]
    page.locator(".tpop-node-picker select").select_option(index=items.index(node.id) + 1)
    expect(detail).to_have_attribute("data-node", node.id)
    expect(detail.locator(".tpop-cited")).to_have_count(len(node.passages))
    page.locator(".tpop-ke-body").evaluate("e => e.scrollIntoView({block: 'start'})")
    screenshot(page, "knowledge_explorer")

    # A remark marks the node after which it is checked.
    flag_id = next(iter(tree.flags))
    page.locator(".tpop-node-picker select").select_option(
        index=items.index(FLAG_PREFIX + flag_id) + 1
    )
    expect(page.locator("svg .tpop-node.is-selected")).to_have_attribute(
        "data-node", tree.flags[flag_id].after
    )
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Knowledge explorer")
    expect(page.locator(".tpop-updated-on")).to_contain_text("12 September 2024")
    assert page.tpop_errors == []


def test_knowledge_explorer_narrow_window(page, open_app, screenshot):
    page.set_viewport_size({"width": 420, "height": 900})
    open_app(page, "knowledge.ipynb", selector=".tpop-knowledge-explorer")
    expect(page.locator(".tpop-kb-version")).to_be_visible()
    assert not overflows(page)
    screenshot(page, "knowledge_explorer-narrow")


def test_a_click_on_a_node_of_the_diagram_selects_it(page, open_app, screenshot):
    open_app(page, "knowledge.ipynb", selector=".tpop-knowledge-explorer")
    tree = knowledge().tree
    detail = page.locator(".tpop-node-detail")
    expect(detail).to_have_attribute("data-node", "")
    page.locator('svg.tpop-diagram .tpop-node[data-node="q_activation_window"]').click()
    expect(detail).to_have_attribute("data-node", "q_activation_window")
    expect(page.locator("svg .tpop-node.is-selected")).to_have_attribute(
        "data-node", "q_activation_window"
    )
    number = _number("q_activation_window")
    expect(page.locator(".tpop-node-picker select")).to_have_value(re.compile(rf"^Q{number} · "))
    node = tree.nodes["q_activation_window"]
    expect(page.locator(".tpop-passage.is-cited")).to_have_count(len(node.passages))
    expect(detail).to_contain_text("Porte sur : les heures ouvrées depuis l'expédition")
    # an outcome too, and the same node twice still answers
    page.locator('svg.tpop-diagram .tpop-node[data-node="contact_tpop"]').click()
    expect(detail).to_have_attribute("data-node", "contact_tpop")
    page.locator(".tpop-node-prev").click()
    expect(detail).not_to_have_attribute("data-node", "contact_tpop")
    page.locator('svg.tpop-diagram .tpop-node[data-node="contact_tpop"]').click()
    expect(detail).to_have_attribute("data-node", "contact_tpop")
    page.locator(".tpop-ke-body").evaluate("e => e.scrollIntoView({block: 'start'})")
    screenshot(page, "knowledge_explorer-click-fr")
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Knowledge explorer")
    page.locator('svg.tpop-diagram .tpop-node[data-node="q_abroad"]').click()
    expect(detail).to_have_attribute("data-node", "q_abroad")
    expect(detail).to_contain_text("Asks about: the destination country")
    page.locator(".tpop-ke-body").evaluate("e => e.scrollIntoView({block: 'start'})")
    screenshot(page, "knowledge_explorer-click-en")
    assert page.tpop_errors == []


def test_a_node_is_selected_with_tab_and_enter_or_space(page, open_app, screenshot):
    open_app(page, "knowledge.ipynb", selector=".tpop-knowledge-explorer")
    detail = page.locator(".tpop-node-detail")
    nodes = page.locator("svg.tpop-diagram .tpop-node")
    expect(nodes.first).to_have_attribute("tabindex", "0")
    # Tab from the link before the diagram reaches the nodes, one after the other.
    page.locator(".tpop-source").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_NODE):
            break
    first = page.evaluate(FOCUSED_NODE)
    assert first, "Tab never reached a node of the diagram"
    page.keyboard.press("Enter")
    expect(detail).to_have_attribute("data-node", first)
    # the diagram is drawn again with the selection; the focus stays on the node
    expect(page.locator(f'svg .tpop-node.is-selected[data-node="{first}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    page.wait_for_function(f"() => ({FOCUSED_NODE})() === {first!r}")
    page.locator(f'svg .tpop-node[data-node="{first}"]').scroll_into_view_if_needed()
    screenshot(page, "knowledge_explorer-keyboard")
    page.keyboard.press("Tab")
    second = page.evaluate(FOCUSED_NODE)
    assert second and second != first
    page.keyboard.press(" ")
    expect(detail).to_have_attribute("data-node", second)
    assert page.evaluate("() => window.scrollY") >= 0
    assert page.tpop_errors == []


def test_the_explorer_links_back_to_every_page(page, open_app):
    open_app(page, "knowledge.ipynb", selector=".tpop-knowledge-explorer")
    link = page.locator(".tpop-header a.tpop-home")
    expect(link).to_have_text("← Toutes les pages")
    expect(link).to_have_attribute("href", re.compile(r"^index\.ipynb"))


def test_no_raw_code_and_no_two_questions_alike(page, open_app):
    open_app(page, "knowledge.ipynb", selector=".tpop-knowledge-explorer")
    tree = knowledge().tree
    picker = page.locator(".tpop-node-picker select")
    options = [o.replace("\u00a0", " ")
               for o in picker.evaluate("s => [...s.options].map(o => o.text)")]
    questions = [o.split(" · ", 1)[1] for o in options if re.match(r"Q\d+ · ", o)]
    assert len(questions) == len(tree.questions)
    assert len(set(questions)) == len(questions), questions
    for node_id in ("q_activation_window", "q_at_post_office", "contact_tpop"):
        picker.select_option(index=_index(tree, node_id))
        detail = page.locator(".tpop-node-detail")
        expect(detail).to_have_attribute("data-node", node_id)
        text = page.locator(".tpop-knowledge-explorer").inner_text()
        assert not re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text), node_id
        assert "passage(s)" not in text and "‹" not in text and "{" not in text
        # the answers in French only (not "Yes / Oui")
        for cell in detail.locator("tbody tr td:first-child").all_inner_texts():
            assert " / " not in cell and "Yes" not in cell, cell
    assert page.tpop_errors == []


def _index(tree, node_id: str) -> int:
    items = (sorted(tree.questions, key=lambda n: _number(n)) + list(tree.outcomes)
             + [FLAG_PREFIX + f for f in tree.flags])
    return items.index(node_id) + 1


def test_the_diagram_and_the_picker_are_readable(page, open_app):
    """At the default width: diagram text of 12 px or more, the picked question whole."""
    open_app(page, "knowledge.ipynb", selector=".tpop-knowledge-explorer")
    tree = knowledge().tree
    page.locator(".tpop-node-picker select").select_option(index=_index(tree, "q_delivered"))
    expect(page.locator(".tpop-node-detail")).to_have_attribute("data-node", "q_delivered")
    smallest = page.evaluate("""() => {
      const svg = document.querySelector('.tpop-knowledge-explorer svg.tpop-diagram');
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      // a node's words and the answers on the arrows (not the small "Q5" number tags)
      const sizes = [...svg.querySelectorAll(
        '.tpop-node > text:not(.tpop-node-tag), .tpop-edge-label text')]
        .map(t => parseFloat(t.getAttribute('font-size')) * scale);
      return Math.min(...sizes);
    }""")
    assert smallest >= 12, smallest
    room = page.evaluate("""() => {
      const select = document.querySelector('.tpop-node-picker select');
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = getComputedStyle(select).font;
      const text = select.options[select.selectedIndex].text;
      return [text, ctx.measureText(text).width, select.clientWidth - 32];
    }""")
    assert room[0].replace("\u00a0", " ").startswith("Q3 · ") and room[1] <= room[2], room
    assert page.tpop_errors == []
