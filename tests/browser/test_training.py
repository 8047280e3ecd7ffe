"""The training page in Chromium, through a real Voila server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tpop_kb import knowledge
from tpop_kb.scenarios import run, scenarios

from .conftest import overflows

pytestmark = pytest.mark.browser

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
    assert not overflows(page)
    screenshot(page, "training-narrow")


def _number(node_id: str) -> int:
    from tpop_kb.diagram import question_numbers

    return question_numbers(knowledge().tree)[node_id]


def test_new_session_asks_before_it_clears_the_score(page, open_app, screenshot):
    open_app(page, "training.ipynb", selector=".tpop-training")
    link = page.locator(".tpop-header a.tpop-home")
    expect(link).to_have_text("← Toutes les pages")
    expect(link).to_have_attribute("href", re.compile(r"^index\.ipynb"))
    case = scenarios()["madrid-silent-day-22"]
    decision = run(case)
    tree = knowledge().tree
    pick_scenario(page, case.id)
    # one numbering: the question's tree number, nothing like "Question 1 sur 8"
    expect(page.locator(".tpop-question .tpop-badge")).to_have_text("Q1")
    expect(page.locator(".tpop-quiz")).not_to_contain_text("Question 1 sur")
    expect(page.locator(".tpop-case")).to_contain_text("Espagne")
    for step in decision.path:
        answer(page, tree.answer_label(step.node, step.answer, "fr"))
        page.locator(".tpop-continue").click()
    from tpop_kb.apps.training import action_choices

    choices = action_choices(decision, tree, seed=case.id)
    wrong = tree.fill(tree.nodes[next(c for c in choices if c != decision.code)].title["fr"])
    answer(page, wrong)
    feedback = page.locator(".tpop-feedback")
    expect(feedback).to_have_attribute("data-correct", "false")
    expect(feedback.locator(".tpop-deciding")).to_contain_text("La question qui tranche")
    expect(feedback.locator(".tpop-quote")).to_have_count(1)
    expect(feedback.locator(".tpop-quote")).to_have_attribute("data-passage", case.passage)
    feedback.scroll_into_view_if_needed()
    screenshot(page, "training-feedback-fr")
    score = page.locator(".tpop-score")
    total = str(len(decision.path) + 1)
    expect(score).to_have_attribute("data-total", total)

    new_session = page.locator(".tpop-new-session")
    new_session.click()
    confirm = page.locator(".tpop-confirm")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Commencer une nouvelle session ?")
    expect(new_session).to_be_hidden()
    # the question comes right under the score and its button, not at the page's end
    head = page.locator(".tpop-quiz-head").bounding_box()
    asked = confirm.bounding_box()
    assert 0 <= asked["y"] - (head["y"] + head["height"]) <= 24, (head, asked)
    confirm.scroll_into_view_if_needed()
    screenshot(page, "training-new-session-fr")
    page.get_by_role("button", name="Non, garder mon score").click()
    expect(confirm).to_be_hidden()
    expect(score).to_have_attribute("data-total", total)  # kept
    new_session.click()
    page.get_by_role("button", name="Oui, effacer le score").click()
    expect(score).to_have_attribute("data-total", "0")
    expect(page.locator(".tpop-review")).to_have_count(0)

    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Training")
    expect(link).to_have_text("← All pages")
    expect(page.locator(".tpop-case")).to_contain_text("Spain")
    answer(page, "No")
    expect(feedback).to_have_attribute("data-correct", "false")
    page.locator(".tpop-tr-body").scroll_into_view_if_needed()
    screenshot(page, "training-feedback-en")
    assert page.tpop_errors == []


@pytest.mark.parametrize("scenario_id", ["delivered-store-never-updated"])
def test_the_case_card_gives_the_order_in_words(page, open_app, scenario_id):
    open_app(page, "training.ipynb", selector=".tpop-training")
    pick_scenario(page, scenario_id)
    facts = page.locator(".tpop-case .tpop-facts")
    values = facts.locator("td").all_inner_texts()
    assert values, values
    for raw in ("delivered", "0", "not received", "oui"):
        assert raw not in [v.strip() for v in values], (raw, values)
    expect(facts).to_contain_text("livré")
    expect(facts).to_contain_text("Non")  # the store's tracking: "0" said in words
    assert page.tpop_errors == []
