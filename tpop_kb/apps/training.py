"""The training page (``notebooks/training.ipynb``): practise on real cases, or walk one through.

The cases come from ``data/scenarios.yaml`` (:mod:`tpop_kb.scenarios`); the right
answers come from the triage engine run on each case, never from this page.

**Quiz.** A scenario is loaded as soon as the page opens (at random, or the one
picked in ``.tpop-scenario-picker``). Its order's facts are shown in words. The
trainee answers the tree's questions along the case's path (buttons
``.tpop-answer``; each question carries its number in the tree, Q1…, the diagram's
and the review's), then picks the action among a few plausible outcomes. Each
answer gets feedback at once (``.tpop-feedback[data-correct=true|false]``): why,
from the order's facts, and the one passage that decides; after the action, the
question that decided the case (the engine's path). ``.tpop-score`` keeps the
session's score; "New session" asks before it clears it. When a scenario ends, the
page shows the path on the decision tree and the scenarios to review (marked ✗ in
the picker, so they can be tried again).

**Walk-through.** The trainer steps through a scenario node by node (Previous /
Next / Whole path): the path is highlighted on the tree diagram as it goes,
with each answer, its reason and its passage, then the outcome card.

The HTML comes from :mod:`tpop_kb.apps.training_views`; the style sheet is
``assets/training.css``.
"""

from __future__ import annotations

import random
from typing import Any

import ipywidgets as widgets
import traitlets

from ..diagram import question_numbers
from ..knowledge import KnowledgeError, Tree, knowledge
from ..scenarios import Scenario, run, scenarios
from ..triage import Decision
from ._base import App, AppState, asset, brand_html, esc, guarded, wording
from .style import style_widget
from .training_views import (
    action_html,
    case_html,
    confirm_html,
    deciding_html,
    deciding_step,
    explain,
    feedback_html,
    hero_html,
    home_html,
    outcome_walk_html,
    path_diagram_html,
    progress_html,
    question_html,
    result_html,
    review_html,
    score_html,
    step_passage,
    walk_question_html,
)

_K = "training"

__all__ = ["TrainingApp", "TrainingState", "action_choices"]

RANDOM = "random"
#: How many actions the trainee chooses from at the end of a quiz.
ACTION_CHOICES = 4


def action_choices(
    decision: Decision, tree: Tree, count: int = ACTION_CHOICES, seed: str = ""
) -> list[str]:
    """The outcomes offered as the final action: the right one and the nearest alternatives.

    Alternatives are the outcomes reachable from the questions on the decision's
    path, the last question first, so they are the ones a trainee might confuse;
    the order is shuffled with ``seed`` (the same for a scenario every time).
    """
    choices = [decision.code]
    for step in reversed(decision.path):
        queue, seen = [step.node.id], set()
        while queue and len(choices) < count:
            node_id = queue.pop(0)
            if node_id in seen:
                continue
            seen.add(node_id)
            node = tree.nodes[node_id]
            if node.is_outcome:
                if node_id not in choices:
                    choices.append(node_id)
            else:
                queue.extend(node.answers.values())
        if len(choices) >= count:
            break
    random.Random(seed).shuffle(choices)
    return choices


# ---------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------


class TrainingState(AppState):
    """The mode, the scenario and where the trainee is in it, and the session's score."""

    mode = traitlets.Unicode("quiz")  # quiz | walk
    scenario_id = traitlets.Unicode("")
    step = traitlets.Int(0)  # quiz: question index (len(path): the action); walk: node index
    picked = traitlets.Unicode("")  # quiz: the answer given at this step, "" before
    answers = traitlets.List()  # quiz, this scenario: [{"step", "given", "right"}]
    right = traitlets.Int(0)  # session: right answers
    total = traitlets.Int(0)  # session: answers given
    results = traitlets.Dict()  # session: scenario id -> {"right", "total", "missed": [...]}
    confirming = traitlets.Bool(False)  # "New session" asks before it clears the score


class TrainingApp(App):
    """The training page. ``TrainingApp()`` in a notebook shows it.

    ``scenario``: the id to open with (default: one at random); ``seed``: the
    random generator's seed (tests).
    """

    css_class = "tpop-app"
    state_class = TrainingState

    def __init__(
        self,
        lang: str = "fr",
        scenario: str | None = None,
        mode: str = "quiz",
        seed: int | None = None,
        **state: Any,
    ) -> None:
        self._rng = random.Random(seed)
        self.load_error = ""
        try:
            self._cases: dict[str, Scenario] = scenarios()
        except KnowledgeError as exc:  # a broken scenarios.yaml: say so on the page
            self.load_error = str(exc)
            self._cases = {}
        self._decision: Decision | None = None
        self._choices: list[str] = []
        self._button_values: list[str] = []
        if scenario is not None and scenario not in self._cases:
            raise KeyError(f"no scenario '{scenario}' in data/scenarios.yaml")
        super().__init__(lang=lang, mode=mode, **state)
        if self._cases and self.knowledge_error is None:
            self._load(scenario or self._random_id(), picker=scenario or RANDOM)

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        kb = knowledge()
        self.tree: Tree = kb.tree
        self.numbers = question_numbers(self.tree)
        self.root.add_class("tpop-training")
        self.page_style = self._page_style(asset("training.css"))
        self._build_header()
        self.intro = widgets.HTML()

        self.mode_toggle = widgets.ToggleButtons(options=[("", "quiz"), ("", "walk")])
        self.mode_toggle.add_class("tpop-mode")
        self.picker = widgets.Dropdown(options=[("", RANDOM)], value=RANDOM)
        self.picker.add_class("tpop-scenario-picker")
        self.next_button = widgets.Button()
        self.next_button.add_class("tpop-next-scenario")
        self.restart_button = widgets.Button()
        self.restart_button.add_class("tpop-restart")
        self.score = widgets.HTML()
        self.score.add_class("tpop-tr-score-box")
        self.toolbar = widgets.Box(
            [self.mode_toggle, self.picker, self.next_button, self.restart_button]
        )
        self.toolbar.add_class("tpop-tr-toolbar")

        self.case = widgets.HTML()

        # Quiz
        self.progress = widgets.HTML()
        self.new_session_button = widgets.Button(icon="eraser")
        self.new_session_button.add_class("tpop-new-session")
        # "New session" sits by the session's score and asks first, right below it: the
        # score is cleared only on "Yes".
        self.confirm_text = widgets.HTML()
        self.confirm_yes = widgets.Button(button_style="danger")
        self.confirm_yes.add_class("tpop-confirm-yes")
        self.confirm_no = widgets.Button()
        self.confirm_no.add_class("tpop-confirm-no")
        self.confirm_buttons = widgets.Box([self.confirm_yes, self.confirm_no])
        self.confirm_buttons.add_class("tpop-tr-nav")
        self.confirm = widgets.VBox([self.confirm_text, self.confirm_buttons])
        self.confirm.add_class("tpop-confirm")
        self.confirm.layout.display = "none"
        self.quiz_head = widgets.Box([self.progress, self.score, self.new_session_button])
        self.quiz_head.add_class("tpop-quiz-head")
        self.question = widgets.HTML()
        self.question.add_class("tpop-question-box")
        self.answer_buttons = [widgets.Button() for _ in range(self._pool_size())]
        for button in self.answer_buttons:
            button.add_class("tpop-answer")
        self.answers_box = widgets.Box(list(self.answer_buttons))
        self.answers_box.add_class("tpop-answers")
        self.feedback = widgets.HTML()
        self.continue_button = widgets.Button(button_style="primary")
        self.continue_button.add_class("tpop-continue")
        self.continue_button.add_class("tpop-primary")
        self.result = widgets.HTML()
        self.result_next = widgets.Button(button_style="primary")
        self.result_next.add_class("tpop-next-scenario")
        self.result_next.add_class("tpop-primary")
        self.quiz = widgets.VBox(
            [
                self.quiz_head,
                self.confirm,
                self.question,
                self.answers_box,
                self.feedback,
                self.continue_button,
                self.result,
                self.result_next,
            ]
        )
        self.quiz.add_class("tpop-card")
        self.quiz.add_class("tpop-quiz")
        self.body = widgets.Box([self.case, self.quiz])
        self.body.add_class("tpop-tr-body")

        # Diagram (end of a quiz, and walk-through)
        self.diagram = widgets.HTML()
        self.diagram.add_class("tpop-card")
        self.diagram.add_class("tpop-diagram-box")

        # Walk-through
        self.walk_text = widgets.HTML()
        self.prev_button = widgets.Button()
        self.prev_button.add_class("tpop-walk-prev")
        self.next_step_button = widgets.Button(button_style="primary")
        self.next_step_button.add_class("tpop-walk-next")
        self.next_step_button.add_class("tpop-primary")
        self.all_button = widgets.Button()
        self.all_button.add_class("tpop-walk-all")
        self.walk_nav = widgets.Box([self.prev_button, self.next_step_button, self.all_button])
        self.walk_nav.add_class("tpop-tr-nav")
        self.walk_step = widgets.VBox([self.walk_nav, self.walk_text])
        self.walk_step.add_class("tpop-card")
        self.walk_step.add_class("tpop-walk-step")
        self.walk_side = widgets.VBox([self.walk_step])
        self.walk_side.add_class("tpop-tr-walk-side")
        self.lower = widgets.Box([self.diagram, self.walk_side])
        self.lower.add_class("tpop-tr-walk")

        self.review = widgets.HTML()
        self.review.add_class("tpop-review-box")
        self.root.children = [
            style_widget(),
            self.page_style,
            self.header,
            self.intro,
            self.toolbar,
            self.body,
            self.lower,
            self.review,
        ]

    def _pool_size(self) -> int:
        most = max(len(n.answers) for n in self.tree.questions.values())
        return max(most, ACTION_CHOICES)

    # -- events --------------------------------------------------------------------
    def _wire(self) -> None:
        self.state.observe(self._on_lang, names=["lang"])
        self.mode_toggle.observe(self._on_mode, names=["value"])
        self.picker.observe(self._on_pick, names=["value"])
        self.next_button.on_click(self._on_next_scenario)
        self.result_next.on_click(self._on_next_scenario)
        self.restart_button.on_click(self._on_restart)
        self.new_session_button.on_click(self._on_new_session)
        self.confirm_yes.on_click(self._on_confirm_new_session)
        self.confirm_no.on_click(self._on_cancel_new_session)
        for button in self.answer_buttons:
            button.on_click(self._on_answer)
        self.continue_button.on_click(self._on_continue)
        self.prev_button.on_click(self._on_walk_prev)
        self.next_step_button.on_click(self._on_walk_next)
        self.all_button.on_click(self._on_walk_all)

    @guarded
    def _on_lang(self, _change: dict[str, Any]) -> None:
        self._render()

    @guarded
    def _on_mode(self, change: dict[str, Any]) -> None:
        if self._quiet or change["new"] == self.state.mode:
            return
        self.state.mode = change["new"]
        self._load(self.state.scenario_id)

    @guarded
    def _on_pick(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        value = change["new"]
        self._load(self._random_id() if value == RANDOM else value)

    @guarded
    def _on_next_scenario(self, _button: widgets.Button) -> None:
        if self.picker.value == RANDOM:
            self._load(self._random_id())
            return
        ids = list(self._cases)
        following = ids[(ids.index(self.state.scenario_id) + 1) % len(ids)]
        self.picker.value = following  # _on_pick loads it

    @guarded
    def _on_restart(self, _button: widgets.Button) -> None:
        self._load(self.state.scenario_id)

    @guarded
    def _on_new_session(self, _button: widgets.Button) -> None:
        """Ask first: the score goes only when the trainee says yes."""
        self.state.confirming = True
        self._render()

    @guarded
    def _on_cancel_new_session(self, _button: widgets.Button) -> None:
        self.state.confirming = False
        self._render()

    @guarded
    def _on_confirm_new_session(self, _button: widgets.Button) -> None:
        if not self.state.confirming:
            return
        with self.state.hold_trait_notifications():
            self.state.right = 0
            self.state.total = 0
            self.state.results = {}
            self.state.confirming = False
        self._load(self.state.scenario_id)

    @guarded
    def _on_answer(self, button: widgets.Button) -> None:
        if self.state.mode != "quiz" or self.state.picked or self._decision is None:
            return
        index = self.answer_buttons.index(button)
        if index >= len(self._button_values):
            return
        given = self._button_values[index]
        right = self._right_answer()
        self.state.picked = given
        self.state.answers = [
            *self.state.answers,
            {"step": self.state.step, "given": given, "right": right},
        ]
        self.state.total += 1
        self.state.right += int(given == right)
        if self._at_action():
            self._record_result()
        self._render()

    @guarded
    def _on_continue(self, _button: widgets.Button) -> None:
        if not self.state.picked or self._at_action():
            return
        self.state.step += 1
        self.state.picked = ""
        self._render()

    @guarded
    def _on_walk_prev(self, _button: widgets.Button) -> None:
        self.state.step = max(self.state.step - 1, 0)
        self._render()

    @guarded
    def _on_walk_next(self, _button: widgets.Button) -> None:
        self.state.step = min(self.state.step + 1, self._last_step())
        self._render()

    @guarded
    def _on_walk_all(self, _button: widgets.Button) -> None:
        self.state.step = self._last_step()
        self._render()

    # -- engine and session --------------------------------------------------------
    def _random_id(self) -> str:
        played, current = set(self.state.results), self.state.scenario_id
        fresh = [i for i in self._cases if i not in played and i != current]
        pool = fresh or [i for i in self._cases if i != current] or list(self._cases)
        return self._rng.choice(pool)

    def _load(self, scenario_id: str, picker: str | None = None) -> None:
        case = self._cases[scenario_id]
        self._decision = run(case)
        self._choices = action_choices(self._decision, self.tree, seed=case.id)
        with self.state.hold_trait_notifications():
            self.state.scenario_id = scenario_id
            self.state.step = 0
            self.state.picked = ""
            self.state.answers = []
        if picker is not None:
            with self._quietly():
                self.picker.value = picker
        self._render()

    @property
    def scenario(self) -> Scenario:
        return self._cases[self.state.scenario_id]

    @property
    def decision(self) -> Decision:
        assert self._decision is not None
        return self._decision

    def _at_action(self) -> bool:
        return self.state.step >= len(self.decision.path)

    def _last_step(self) -> int:
        return len(self.decision.path)

    def _right_answer(self) -> str:
        if self._at_action():
            return self.decision.code
        return self.decision.path[self.state.step].answer

    def _record_result(self) -> None:
        missed = []
        for answer in self.state.answers:
            if answer["given"] != answer["right"]:
                step = answer["step"]
                missed.append(
                    self.decision.path[step].node.id if step < len(self.decision.path) else ""
                )
        right = sum(a["given"] == a["right"] for a in self.state.answers)
        results = dict(self.state.results)
        results[self.state.scenario_id] = {
            "right": right,
            "total": len(self.state.answers),
            "missed": missed,
        }
        self.state.results = results

    # -- state -> widgets ------------------------------------------------------------
    def _render(self) -> None:
        lang = self.state.lang
        self.brand.value = brand_html(lang, home_html(lang))  # with the link home
        self.intro.value = hero_html(lang, self.load_error)
        if self.load_error:
            for part in (self.toolbar, self.body, self.lower, self.new_session_button):
                part.layout.display = "none"
            return
        self._render_toolbar(lang)
        if not self.state.scenario_id or self._decision is None:
            return
        self.case.value = case_html(
            self.scenario,
            self.decision,
            self.tree,
            knowledge().columns["columns"],
            list(self._cases).index(self.state.scenario_id) + 1,
            len(self._cases),
            lang,
        )
        quiz = self.state.mode == "quiz"
        # The case card sits beside the quiz, or above the step beside the diagram.
        if quiz and self.case not in self.body.children:
            self.walk_side.children = (self.walk_step,)
            self.body.children = (self.case, self.quiz)
        elif not quiz and self.case not in self.walk_side.children:
            self.body.children = ()
            self.walk_side.children = (self.walk_step, self.case)
        self.body.layout.display = "" if quiz else "none"
        self.walk_side.layout.display = "none" if quiz else ""
        if quiz:
            self._render_quiz(lang)
        else:
            self._render_walk(lang)
        self.review.value = review_html(
            self.state.results,
            {sid: self._cases[sid].title[lang] for sid in self.state.results},
            self.numbers,
            lang,
        )
        self._render_session(lang)

    def _render_session(self, lang: str) -> None:
        """The "New session" button, or the question it asks first."""
        confirming = self.state.confirming and bool(self.state.total)
        self.new_session_button.description = wording(f"{_K}.new_session", lang, plain=True)
        self.new_session_button.layout.display = (
            "" if self.state.total and not confirming else "none"
        )
        self.confirm.layout.display = "" if confirming else "none"
        self.confirm_text.value = (
            confirm_html(self.state.right, self.state.total, lang) if confirming else ""
        )
        self.confirm_yes.description = wording(f"{_K}.confirm_yes", lang, plain=True)
        self.confirm_no.description = wording(f"{_K}.confirm_no", lang, plain=True)

    def _render_toolbar(self, lang: str) -> None:
        with self._quietly():
            mode = self.state.mode
            self.mode_toggle.options = [
                (wording(f"{_K}.mode_quiz", lang, plain=True), "quiz"),
                (wording(f"{_K}.mode_walk", lang, plain=True), "walk"),
            ]
            self.mode_toggle.value = mode
            current = self.picker.value
            options = [(wording(f"{_K}.random", lang, plain=True), RANDOM)]
            for number, case in enumerate(self._cases.values(), 1):
                mark = ""
                result = self.state.results.get(case.id)
                if result is not None:
                    perfect = result["right"] == result["total"]
                    mark = (
                        wording(
                            f"{_K}.played_right" if perfect else f"{_K}.played_wrong",
                            lang,
                            plain=True,
                        )
                        + " "
                    )
                options.append((f"{mark}{number}. {case.title[lang]}", case.id))
            self.picker.options = options
            self.picker.value = current
        self.picker.description = ""
        self.next_button.description = wording(f"{_K}.next_scenario", lang, plain=True)
        self.restart_button.description = wording(f"{_K}.restart", lang, plain=True)
        self.next_button.icon = "forward"
        self.restart_button.icon = "rotate-left"
        self.score.value = score_html(self.state.right, self.state.total, lang)

    # -- quiz ------------------------------------------------------------------------
    def _render_quiz(self, lang: str) -> None:
        decision = self.decision
        path = decision.path
        step = self.state.step
        at_action = self._at_action()
        total = len(path) + 1
        width = round(100 * (step + (1 if self.state.picked else 0)) / total)
        tree = self.tree
        if at_action:
            self.question.value = action_html(step, width, lang)
            values = list(self._choices)
            labels = [tree.fill(tree.nodes[c].title[lang]) for c in values]
        else:
            node = path[step].node
            self.question.value = question_html(
                tree, node, self.numbers.get(node.id, 0), step, width, lang
            )
            values = list(node.answers)
            labels = [tree.answer_label(node, a, lang) for a in values]
        self.progress.value = progress_html(at_action, lang)
        if at_action:
            self.answers_box.add_class("tpop-actions")
        else:
            self.answers_box.remove_class("tpop-actions")
        self._button_values = values
        picked = self.state.picked
        right = self._right_answer()
        for i, button in enumerate(self.answer_buttons):
            if i < len(values):
                button.layout.display = ""
                button.description = labels[i]
                button.tooltip = labels[i]
                button.disabled = bool(picked)
                if picked and values[i] == right:
                    button.button_style = "success"
                elif picked and values[i] == picked:
                    button.button_style = "danger"
                else:
                    button.button_style = ""
            else:
                button.layout.display = "none"
                button.description = ""
        self.feedback.value = self._feedback(lang) if picked else ""
        self.continue_button.description = wording(
            f"{_K}.see_result" if step + 1 == len(path) else f"{_K}.next_question", lang, plain=True
        )
        self.continue_button.layout.display = "" if picked and not at_action else "none"
        done = bool(picked) and at_action
        result = self.state.results.get(self.scenario.id, {"right": 0, "total": 0})
        self.result.value = (
            result_html(
                self.scenario, decision, tree, result["right"], result["total"], lang
            )
            if done
            else ""
        )
        self.result_next.description = wording(f"{_K}.next_scenario", lang, plain=True)
        self.result_next.layout.display = "" if done else "none"
        self.lower.add_class("tpop-tr-full")
        if done:
            self.lower.layout.display = ""
            self.diagram.value = path_diagram_html(tree, decision, lang)
        else:
            self.lower.layout.display = "none"
            self.diagram.value = ""

    def _feedback(self, lang: str) -> str:
        """The feedback on the answer given: from the engine's path and the scenario's
        deciding passage (:mod:`training_views` words it)."""
        picked = self.state.picked
        right = self._right_answer()
        decision, tree, case = self.decision, self.tree, self.scenario
        article = knowledge().article
        if self._at_action():
            deciding = deciding_step(decision, case.passage)
            return feedback_html(
                correct=picked == right,
                answer=tree.fill(tree.nodes[right].title[lang], **decision.values()),
                why=esc(decision.reason(lang)),
                deciding=(
                    deciding_html(
                        deciding, decision, tree, self.numbers.get(deciding.node.id, 0), lang
                    )
                    if deciding is not None
                    else ""
                ),
                passage=case.passage,
                article=article,
                lang=lang,
            )
        step = decision.path[self.state.step]
        return feedback_html(
            correct=picked == right,
            answer=tree.answer_label(step.node, right, lang),
            why=explain(step, decision, tree, lang),
            passage=step_passage(step, case.passage),
            article=article,
            lang=lang,
        )

    # -- walk-through ---------------------------------------------------------------
    def _render_walk(self, lang: str) -> None:
        decision, tree = self.decision, self.tree
        step = min(self.state.step, self._last_step())
        total = len(decision.path) + 1
        self.lower.remove_class("tpop-tr-full")
        self.lower.layout.display = ""
        self.diagram.value = path_diagram_html(tree, decision, lang, steps=step + 1)
        self.prev_button.description = wording(f"{_K}.previous", lang, plain=True)
        self.next_step_button.description = wording(f"{_K}.next", lang, plain=True)
        self.all_button.description = wording(f"{_K}.whole_path", lang, plain=True)
        self.prev_button.disabled = step == 0
        self.next_step_button.disabled = step >= self._last_step()
        self.all_button.disabled = step >= self._last_step()
        article = knowledge().article
        if step < len(decision.path):
            s = decision.path[step]
            self.walk_text.value = walk_question_html(
                s, decision, tree, article, self.numbers.get(s.node.id, 0), step, total, lang
            )
        else:
            self.walk_text.value = outcome_walk_html(
                self.scenario, decision, tree, article, step, total, lang
            )
