"""The training page and the knowledge explorer in Chromium, through a real Voila server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tpop_kb import knowledge
from tpop_kb.apps.knowledge_explorer import FLAG_PREFIX
from tpop_kb.scenarios import run, scenarios

pytestmark = pytest.mark.browser

NO_OVERFLOW = """() => {
  const app = document.querySelector('.tpop-app');
  return [document.documentElement.scrollWidth - window.innerWidth,
          app.scrollWidth - app.clientWidth];
}"""


def pick_scenario(page, scenario_id: str) -> None:
    index = list(scenarios()).index(scenario_id) + 1  # option 0 is "random"
    page.locator(".tpop-scenario-picker select").select_option(index=index)
    expect(page.locator(".tpop-case")).to_have_attribute("data-scenario", scenario_id)


def answer(page, label: str) -> None:
    page.locator(".tpop-answer:visible").get_by_text(label, exact=True).click()


def test_training_quiz_to_the_end(page, open_app, screenshot):
    open_app(page, "training.ipynb", selector=".tpop-training")
    # A scenario is there as soon as the page opens.
    expect(page.locator(".tpop-case")).to_be_visible()
    expect(page.locator(".tpop-answer:visible").first).to_be_visible()
    score = page.locator(".tpop-score")
    expect(score).to_have_attribute("data-total", "0")

    case = scenarios()["weekend-friday-shipment"]
    decision = run(case)
    tree = knowledge().tree
    pick_scenario(page, case.id)
    expect(page.locator(".tpop-story")).to_contain_text("Marseille")
    feedback = page.locator(".tpop-feedback")
    wrong_step = next(
        i for i, s in enumerate(decision.path) if s.node.fact == "within_activation_window"
    )
    for i, step in enumerate(decision.path):
        expect(page.locator(".tpop-question")).to_have_attribute("data-step", str(i))
        given = step.answer
        if i == wrong_step:  # "Friday to Monday evening is more than 48 hours, isn't it?"
            given = next(a for a in step.node.answers if a != step.answer)
        answer(page, tree.answer_label(step.node, given, "fr"))
        expect(feedback).to_have_attribute("data-correct", "false" if i == wrong_step else "true")
        expect(score).to_have_attribute("data-total", str(i + 1))
        if i == wrong_step:
            right = tree.answer_label(step.node, step.answer, "fr")
            expect(feedback).to_contain_text(f"La bonne réponse : {right}")
            expect(feedback).to_contain_text("mar. 24 nov. 2026 à 15:00")  # the deadline
            expect(feedback.locator('[data-passage="activation-delay"]')).to_be_visible()
            screenshot(page, "training")
        page.locator(".tpop-continue").click()

    # The action, among a few plausible ones.
    expect(page.locator(".tpop-answer:visible")).to_have_count(4)
    answer(page, decision.outcome.title["fr"])
    expect(feedback).to_have_attribute("data-correct", "true")
    total = len(decision.path) + 1
    expect(score).to_have_attribute("data-right", str(total - 1))
    expect(score).to_have_attribute("data-total", str(total))
    expect(score).to_contain_text(f"{total - 1} / {total} bonnes réponses")
    expect(page.locator(".tpop-result")).to_have_attribute("data-outcome", case.outcome)
    # The path on the tree, and the scenario to review.
    expect(page.locator("svg .tpop-node.is-current")).to_have_attribute("data-node", case.outcome)
    expect(page.locator("svg .tpop-node.is-path")).to_have_count(total)
    review = page.locator(".tpop-review")
    expect(review).to_contain_text(case.title["fr"])
    expect(review).to_contain_text(f"Q{_number(decision.path[wrong_step].node.id)}")
    assert page.tpop_errors == []


def test_training_walk_through(page, open_app, screenshot):
    open_app(page, "training.ipynb", selector=".tpop-training")
    page.get_by_role("button", name="Démonstration formateur").click()
    case = scenarios()["holiday-armistice-day"]
    pick_scenario(page, case.id)
    decision = run(case)
    ids = [s.node.id for s in decision.path] + [decision.code]
    walk = page.locator(".tpop-walk")
    for index, node_id in enumerate(ids):
        expect(walk).to_have_attribute("data-node", node_id)
        expect(page.locator("svg .tpop-node.is-current")).to_have_attribute("data-node", node_id)
        expect(page.locator("svg .tpop-node.is-path")).to_have_count(index + 1)
        if node_id == "q_activation_window":
            expect(walk).to_contain_text("ven. 13 nov. 2026 à 12:00")
            page.locator(".tpop-tr-walk").evaluate("e => e.scrollIntoView({block: 'start'})")
            screenshot(page, "training-walk")
        if index < len(ids) - 1:
            page.locator(".tpop-walk-next").click()
    expect(page.locator(".tpop-walk-next")).to_be_disabled()
    expect(walk.locator(".tpop-result-outcome")).to_have_attribute("data-outcome", case.outcome)
    page.locator(".tpop-walk-prev").click()
    expect(walk).to_have_attribute("data-node", ids[-2])
    # English, live.
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Training")
    expect(walk).to_contain_text(f"Step {len(ids) - 1} of {len(ids)}")
    assert page.tpop_errors == []


def test_training_narrow_window(page, open_app, screenshot):
    page.set_viewport_size({"width": 420, "height": 900})
    open_app(page, "training.ipynb", selector=".tpop-training")
    expect(page.locator(".tpop-answer:visible").first).to_be_visible()
    assert all(overflow <= 0 for overflow in page.evaluate(NO_OVERFLOW))
    screenshot(page, "training-narrow")


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
    assert all(overflow <= 0 for overflow in page.evaluate(NO_OVERFLOW))
    screenshot(page, "knowledge_explorer-narrow")


def _number(node_id: str) -> int:
    from tpop_kb.diagram import question_numbers

    return question_numbers(knowledge().tree)[node_id]
