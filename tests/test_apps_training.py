"""The training page app, without a browser: quiz, feedback, score, review, walk-through."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import ipywidgets as widgets
import pytest
from conftest import widget_html
from conftest import wording_leaves as leaves

from tpop_kb import knowledge
from tpop_kb.apps import TrainingApp
from tpop_kb.apps.training import RANDOM, action_choices
from tpop_kb.scenarios import run, scenarios

CASES = scenarios()


def page_html(app: TrainingApp) -> str:
    return widget_html(app.root, visible_only=True)


def visible_buttons(app: TrainingApp) -> list[widgets.Button]:
    return [b for b in app.answer_buttons if b.layout.display != "none"]


def click_answer(app: TrainingApp, value: str) -> None:
    app.answer_buttons[app._button_values.index(value)].click()


def play(app: TrainingApp, wrong_at: set[int] = frozenset()) -> None:
    """Answer every step of the loaded scenario, wrong at the given step numbers."""
    decision = app.decision
    for step in range(len(decision.path) + 1):
        right = decision.code if step == len(decision.path) else decision.path[step].answer
        value = right
        if step in wrong_at:
            value = next(v for v in app._button_values if v != right)
        click_answer(app, value)
        if step < len(decision.path):
            app.continue_button.click()


def test_ui_texts_exist_in_both_languages(kb):

    for section in ("training", "diagram"):
        found = list(leaves(kb.ui[section], section))
        assert len(found) > 5
        for where, texts in found:
            assert str(texts["en"]).strip() and str(texts["fr"]).strip(), where


def test_a_scenario_is_loaded_when_the_page_opens():
    app = TrainingApp(seed=3)
    assert {"tpop-app", "tpop-training"} <= set(app.root._dom_classes)
    assert app.state.scenario_id in CASES
    assert app.picker.value == RANDOM
    assert "tpop-scenario-picker" in app.picker._dom_classes
    assert [v for _, v in app.picker.options] == [RANDOM, *CASES]
    html = page_html(app)
    assert f'data-scenario="{app.state.scenario_id}"' in html
    assert visible_buttons(app) and all("tpop-answer" in b._dom_classes for b in app.answer_buttons)
    assert 'class="tpop-score"' in html and 'data-total="0"' in html
    assert TrainingApp(seed=3).state.scenario_id == app.state.scenario_id  # seeded: repeatable


def test_picking_a_scenario_loads_it_and_shows_its_first_question(tree):
    app = TrainingApp(lang="en", seed=1)
    app.picker.value = "ghent-day-3-silent"
    case = CASES["ghent-day-3-silent"]
    html = page_html(app)
    assert case.story["en"].replace("'", "&#x27;") in html
    assert "LA917400293FR" in html and "Belgium" in html and "Belgique" not in html
    # one numbering: the tree's Q-number, no "Question n of m" beside it
    assert '<span class="tpop-badge">Q1</span>' in app.question.value
    assert not re.search(r"Question \d+ (of|sur) \d+", html)
    root = tree.nodes[tree.root]
    assert [b.description for b in visible_buttons(app)] == [
        tree.answer_label(root, a, "en") for a in root.answers
    ]
    assert app.feedback.value == ""


def test_a_right_answer_and_a_wrong_one_get_feedback_and_count():
    app = TrainingApp(lang="fr", scenario="lille-not-shipped-yet")
    decision = app.decision
    wrong = next(v for v in app._button_values if v != decision.path[0].answer)
    click_answer(app, wrong)
    assert 'data-correct="false"' in app.feedback.value
    assert "La bonne réponse : Oui" in app.feedback.value
    assert re.findall(r'data-passage="([\w-]+)"', app.feedback.value) == ["use-platform"]
    assert all(b.disabled for b in visible_buttons(app))
    styles = {b.description: b.button_style for b in visible_buttons(app)}
    assert styles == {"Oui": "success", "Non": "danger"}
    assert (app.state.right, app.state.total) == (0, 1)
    click_answer(app, decision.path[0].answer)  # a second click changes nothing
    assert (app.state.right, app.state.total) == (0, 1)

    app.continue_button.click()
    assert app.feedback.value == "" and not any(b.disabled for b in visible_buttons(app))
    click_answer(app, decision.path[1].answer)
    assert 'data-correct="true"' in app.feedback.value
    assert "Bonne réponse." in app.feedback.value
    assert "La commande n&#x27;a pas de date d&#x27;expédition." in app.feedback.value

    app.continue_button.click()  # the action
    values = app._button_values
    assert decision.code in values and 2 <= len(values) <= 4
    assert "tpop-actions" in app.answers_box._dom_classes
    click_answer(app, decision.code)
    html = page_html(app)
    assert 'data-correct="true"' in html
    assert 'data-outcome="not_shipped"' in html
    assert "Bonnes réponses pour ce scénario : 2 sur 3." in html
    assert 'data-right="2" data-total="3"' in html
    assert "2 / 3 bonnes réponses" in html
    # The path on the tree, and the scenario to review (marked ✗ in the picker).
    assert 'class="tpop-node tpop-node-outcome is-path is-current" data-node="not_shipped"' in html
    assert 'data-scenario="lille-not-shipped-yet">Pas encore de date' in html
    assert "erreur sur Q1" in html
    labels = dict((v, k) for k, v in app.picker.options)
    assert labels["lille-not-shipped-yet"].startswith("✗ ")
    assert app.result_next.layout.display == ""


@pytest.mark.parametrize("sid", list(CASES))
def test_every_scenario_can_be_played_right_to_the_end(sid):
    app = TrainingApp(lang="en", scenario=sid)
    play(app)
    html = page_html(app)
    assert f'data-outcome="{CASES[sid].outcome}"' in html
    total = len(app.decision.path) + 1
    assert (app.state.right, app.state.total) == (total, total)
    assert app.state.results[sid] == {"right": total, "total": total, "missed": []}
    assert "No scenario to review so far." in html
    for flag in CASES[sid].flags:
        assert f'data-flag="{flag}"' in html
    assert "{" not in re.sub(r"<style>.*?</style>", "", html, flags=re.S)


def test_next_scenario_random_then_in_order_and_new_session():
    app = TrainingApp(seed=5)
    first = app.state.scenario_id
    play(app, wrong_at={0})
    app.next_button.click()
    assert app.state.scenario_id not in (first, "")
    assert app.state.step == 0 and app.state.picked == "" and app.state.answers == []
    assert app.state.total == len(run(CASES[first]).path) + 1  # the session goes on
    ids = list(CASES)
    app.picker.value = ids[0]
    app.next_button.click()
    assert app.state.scenario_id == ids[1] and app.picker.value == ids[1]
    app.restart_button.click()
    assert app.state.scenario_id == ids[1]
    assert app.new_session_button.layout.display == ""
    app.new_session_button.click()  # asks first: nothing is cleared yet
    assert app.state.total > 0 and app.state.results
    assert app.confirm.layout.display == "" and app.new_session_button.layout.display == "none"
    assert "Commencer une nouvelle session ?" in app.confirm_text.value
    app.confirm_yes.click()
    assert (app.state.right, app.state.total, app.state.results) == (0, 0, {})
    assert app.confirm.layout.display == "none"


def test_a_replayed_scenario_leaves_the_review():
    app = TrainingApp(lang="en", scenario="delivered-still-not-received")
    play(app, wrong_at={3})
    assert "missed Q4" in page_html(app)
    app.restart_button.click()
    play(app)
    assert "No scenario to review so far." in page_html(app)
    assert "1 scenario done, without a mistake" in page_html(app)
    assert "(s)" not in page_html(app)


def test_the_action_choices_are_plausible_and_stable(tree):
    for case in CASES.values():
        decision = run(case)
        choices = action_choices(decision, tree, seed=case.id)
        assert decision.code in choices
        assert len(choices) == len(set(choices)) == 4
        assert set(choices) <= set(tree.outcomes)
        assert choices == action_choices(decision, tree, seed=case.id)
    # The alternatives are the last question's other outcomes first.
    decision = run(CASES["delivered-not-received-neighbour"])
    assert set(action_choices(decision, tree)) >= {
        "delivered", "delivered_go_to_post_office", "delivered_merchant_decides"
    }


def test_the_reason_for_the_activation_window_names_the_deadline():
    app = TrainingApp(lang="en", scenario="holiday-armistice-day")
    decision = app.decision
    facts = [s.node.fact for s in decision.path]
    index = facts.index("within_activation_window")
    for step in range(index):
        click_answer(app, decision.path[step].answer)
        app.continue_button.click()
    click_answer(app, "yes")
    hours = knowledge().tree.thresholds["activation_working_hours"]
    assert f"the {hours} working hours end on Fri 13 Nov 2026, 12:00" in app.feedback.value
    assert "read on Thu 12 Nov 2026, 15:00" in app.feedback.value
    assert 'data-passage="activation-delay"' in app.feedback.value


def test_the_language_toggle_switches_every_text_live():
    app = TrainingApp(lang="fr", scenario="ghent-day-3-silent")
    french = page_html(app)
    assert "Formation" in french and "Répondez d&#x27;après le message du client" in french
    assert app.next_button.description == "Scénario suivant"
    app.lang_toggle.value = "en"
    english = page_html(app)
    assert app.state.scenario_id == "ghent-day-3-silent"
    assert app.picker.value == "ghent-day-3-silent"
    assert "Training" in english and "Answer from the customer&#x27;s message" in english
    assert "Formation" not in english
    assert app.next_button.description == "Next scenario"
    assert [b.description for b in visible_buttons(app)] == ["Yes", "No"]
    assert dict(app.mode_toggle.options) == {"Quiz": "quiz", "Trainer walk-through": "walk"}
    app.lang_toggle.value = "fr"
    assert page_html(app) == french


def test_walk_mode_steps_through_the_path_on_the_diagram():
    app = TrainingApp(lang="en", scenario="ghent-day-3-silent")
    app.mode_toggle.value = "walk"
    decision = app.decision
    ids = [s.node.id for s in decision.path] + [decision.code]
    assert app.quiz not in app.body.children and app.walk_side.layout.display == ""
    assert app.prev_button.disabled and not app.next_step_button.disabled
    for index, node_id in enumerate(ids):
        html = page_html(app)
        assert f'data-step="{index}" data-node="{node_id}"' in html
        assert re.search(rf'class="tpop-node [^"]*is-current[^"]*" data-node="{node_id}"', html)
        path_nodes = r'class="tpop-node [^"]*is-path[^"]*" data-node="(\w+)"'
        highlighted = set(re.findall(path_nodes, html))
        assert highlighted == set(ids[: index + 1])
        app.next_step_button.click()
    html = page_html(app)
    assert 'data-outcome="check_destination_post"' in html
    assert "Track it on the destination country" in html
    assert 'data-passage="destination-post"' in html
    assert app.next_step_button.disabled and app.all_button.disabled
    app.prev_button.click()
    assert app.state.step == len(ids) - 2
    app.prev_button.click()
    app.all_button.click()
    assert app.state.step == len(ids) - 1
    app.mode_toggle.value = "quiz"
    assert app.state.step == 0 and app.case in app.body.children


def test_customer_text_is_escaped():
    app = TrainingApp(lang="en", scenario="ghent-day-3-silent")
    case = CASES["ghent-day-3-silent"]
    hostile = dataclasses.replace(
        case,
        id="hostile",
        story={"en": '<img src=x onerror="alert(1)">', "fr": "<script>alert(1)</script>"},
        order={**case.order, "tracking_number": "<b>LA1</b>"},
    )
    app._cases = {**app._cases, "hostile": hostile}
    app._load("hostile")
    html = page_html(app)
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "<b>LA1</b>" not in html
    app.lang_toggle.value = "fr"
    assert "<script>alert" not in page_html(app)


def test_an_unknown_scenario_is_refused():
    with pytest.raises(KeyError, match="no scenario 'nope'"):
        TrainingApp(scenario="nope")


def test_the_notebook_is_thin():
    import nbformat

    root = Path(__file__).resolve().parent.parent
    nb = nbformat.read(root / "notebooks" / "training.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == ["from tpop_kb.apps import TrainingApp\nTrainingApp()"]


def test_a_broken_scenario_file_is_explained_on_the_page(monkeypatch):
    from tpop_kb.apps import training
    from tpop_kb.scenarios import ScenarioError

    def broken():
        raise ScenarioError("/data/scenarios.yaml, line 12: scenario 'x': missing expect")

    monkeypatch.setattr(training, "scenarios", broken)
    app = TrainingApp(lang="en")
    html = page_html(app)
    assert 'class="tpop-callout tpop-tone-error tpop-load-error"' in html
    assert "line 12: scenario &#x27;x&#x27;: missing expect" in html
    assert app.toolbar.layout.display == "none" and app.body.layout.display == "none"
    app.lang_toggle.value = "fr"
    assert "Les scénarios de formation sont illisibles" in page_html(app)


# ---------------------------------------------------------------------------
# Issue 14: the views (no widget), one numbering, facts in words, the deciding
# passage, the new-session question, the link back to every page
# ---------------------------------------------------------------------------


def test_the_case_card_gives_the_order_facts_in_words(kb, tree):
    from tpop_kb.apps.training_views import case_html

    case = CASES["delivered-store-never-updated"]  # raw "delivered" and "0"
    decision = run(case)
    columns = kb.columns["columns"]
    french = case_html(case, decision, tree, columns, 3, 39, "fr")
    cells = dict(re.findall(r'<tr data-field="(\w+)"><th>[^<]*</th><td>(.*?)</td></tr>', french))
    assert cells["tracking_status"] == "livré"
    assert cells["store_tracking_synced"] == "Non"
    assert cells["destination_country"] == "France"
    assert cells["shipped_at"] == "lun. 9 nov. 2026 à 10:00"
    assert "<th>Statut du suivi</th><td>livré</td>" in french
    assert "Scénario 3 sur 39" in french
    english = case_html(case, decision, tree, columns, 3, 39, "en")
    assert "<th>Tracking status</th><td>delivered</td>" in english
    assert "<td>No</td>" in english and ">0<" not in english
    claim = CASES["delivered-still-not-received"]
    html = case_html(claim, run(claim), tree, columns, 1, 1, "fr")
    assert "Toujours non reçu après passage au bureau de poste" in html
    assert "toujours non reçu<" not in html  # the raw value is not what is shown


def test_a_fact_the_engine_cannot_read_is_shown_as_given(tree):
    from tpop_kb.apps.training_views import fact_in_words

    case = CASES["invalid-country-brittany"]
    decision = run(case)
    raw = case.order["destination_country"]
    assert fact_in_words("destination_country", raw, decision, tree, "fr") == raw
    assert "(vide)" in fact_in_words("tracking_number", "  ", decision, tree, "fr")


@pytest.mark.parametrize("sid", list(CASES))
def test_a_wrong_action_is_explained_by_the_deciding_question_and_its_passage(sid, tree):
    app = TrainingApp(lang="fr", scenario=sid)
    case, decision = CASES[sid], app.decision
    play(app, wrong_at={len(decision.path)})  # only the action wrong
    feedback = app.feedback.value
    assert 'data-correct="false"' in feedback
    # one passage: the scenario's deciding passage, not two loosely related quotes
    assert re.findall(r'data-passage="([\w-]+)"', feedback) == [case.passage]
    deciding = re.search(r'class="tpop-deciding">.*?data-node="(\w+)">Q(\d+)<', feedback)
    assert deciding, feedback
    node_id, number = deciding.groups()
    assert node_id in [s.node.id for s in decision.path]
    assert int(number) == app.numbers[node_id]
    cites = [s.node.id for s in decision.path if case.passage in s.node.passages]
    assert node_id == (cites[-1] if cites else decision.path[-1].node.id)


def test_the_deciding_question_explains_its_fact():
    app = TrainingApp(lang="en", scenario="madrid-silent-day-22")
    play(app, wrong_at={len(app.decision.path)})
    feedback = app.feedback.value
    assert "La bonne réponse" not in feedback and "The right answer: " in feedback
    assert "The question that decides:" in feedback
    assert "22 calendar days before the message" in feedback
    assert "more than 21" in feedback


def test_a_wrong_question_quotes_the_one_passage_that_decides_it():
    app = TrainingApp(lang="fr", scenario="delivered-not-received-neighbour")
    decision = app.decision
    step = next(i for i, s in enumerate(decision.path) if s.node.id == "q_claim")
    play_until = range(step)
    for i in play_until:
        click_answer(app, decision.path[i].answer)
        app.continue_button.click()
    click_answer(app, next(v for v in app._button_values if v != decision.path[step].answer))
    # q_claim cites two passages; the scenario's deciding one is quoted, alone
    assert re.findall(r'data-passage="([\w-]+)"', app.feedback.value) == ["go-to-post-office"]


def test_new_session_asks_first_and_no_keeps_the_score():
    app = TrainingApp(lang="en", scenario="lille-not-shipped-yet")
    assert app.new_session_button.layout.display == "none"  # nothing to clear yet
    play(app, wrong_at={0})
    score = (app.state.right, app.state.total, dict(app.state.results))
    app.new_session_button.click()
    assert app.confirm.layout.display == ""
    assert "Start a new session?" in app.confirm_text.value
    assert f"({score[0]} / {score[1]} right answers)" in app.confirm_text.value
    assert app.confirm_yes.description == "Yes, clear the score"
    app.confirm_no.click()
    assert (app.state.right, app.state.total, dict(app.state.results)) == score
    assert app.confirm.layout.display == "none"
    assert app.new_session_button.layout.display == ""
    assert 'data-total="3"' in app.score.value


def test_the_page_links_back_to_every_page():
    for lang, text in (("fr", "← Toutes les pages"), ("en", "← All pages")):
        app = TrainingApp(lang=lang, scenario="lille-not-shipped-yet")
        assert f'<a class="tpop-home" href="index.ipynb">{text}</a>' in app.brand.value
        assert app.brand in app.header.children


def test_the_views_need_no_widget(tree):
    from tpop_kb.apps import training_views as views

    assert 'data-total="0"' in views.score_html(0, 0, "fr")
    assert "Aucune réponse pour l&#x27;instant" in views.score_html(0, 0, "fr")
    review = views.review_html(
        {"a": {"right": 2, "total": 3, "missed": ["q_valid"]}, "b": {"right": 1, "total": 1,
                                                                     "missed": []}},
        {"a": "Case <A>", "b": "B"},
        {"q_valid": 1},
        "fr",
    )
    assert "2 scénarios terminés, dont 1 sans erreur" in review
    assert "Case &lt;A&gt; : erreur sur Q1" in review
    assert views.review_html({}, {}, {}, "en") == ""
    assert "Commencer une nouvelle session ?" in views.confirm_html(1, 2, "fr")
    node = tree.nodes["q_abroad"]
    html = views.question_html(tree, node, 10, 4, 50, "en")
    assert "<span class=\"tpop-badge\">Q10</span>" in html and 'aria-valuenow="50"' in html


def test_the_page_style_is_a_real_file():
    import inspect

    from tpop_kb.apps import training, training_views
    from tpop_kb.apps._base import asset

    app = TrainingApp(lang="en", scenario="lille-not-shipped-yet")
    assert asset("training.css") in app.page_style.value
    for module in (training, training_views):
        source = inspect.getsource(module)
        assert "{ display" not in source and "PAGE_CSS" not in source


@pytest.mark.parametrize(
    ("results", "lang", "said"),
    [
        ({"a": (1, 2)}, "fr", "1 scénario terminé, aucun sans erreur"),
        ({"a": (2, 2)}, "fr", "1 scénario terminé, sans erreur"),
        ({"a": (2, 2), "b": (1, 2)}, "fr", "2 scénarios terminés, dont 1 sans erreur"),
        ({"a": (2, 2), "b": (2, 2)}, "fr", "2 scénarios terminés, tous sans erreur"),
        ({"a": (1, 2)}, "en", "1 scenario done, none without a mistake"),
        ({"a": (2, 2), "b": (1, 2)}, "en", "2 scenarios done, 1 of them without a mistake"),
        ({"a": (2, 2), "b": (2, 2)}, "en", "2 scenarios done, all without a mistake"),
    ],
)
def test_the_review_summary_reads_naturally(results, lang, said):
    from tpop_kb.apps import training_views as views

    review = views.review_html(
        {k: {"right": r, "total": t, "missed": [] if r == t else [""]}
         for k, (r, t) in results.items()},
        {k: k.upper() for k in results}, {}, lang,
    )
    assert f"<strong>{said}</strong>" in review
    assert "dont 0" not in review and "(" not in review.split("<strong>")[1].split("<")[0]


def test_the_last_step_does_not_ask_its_question_twice():
    from tpop_kb.apps import training_views as views

    for lang in ("fr", "en"):
        above = html.unescape(views.progress_html(True, lang))
        assert "?" in html.unescape(views.action_html(3, 80, lang))
        assert "?" not in above, above
        assert "Dernière étape" in above or "Last step" in above


def test_the_new_session_question_sits_by_its_button():
    app = TrainingApp(lang="fr")
    play(app)
    head = app.quiz_head.children
    assert app.new_session_button in head and app.score in head
    assert app.quiz.children[list(app.quiz.children).index(app.quiz_head) + 1] is app.confirm
    assert app.confirm not in app.root.children
    app.new_session_button.click()
    assert app.confirm.layout.display == ""
