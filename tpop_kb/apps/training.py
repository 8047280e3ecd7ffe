"""The training page (``notebooks/training.ipynb``): practise on real cases, or walk one through.

The cases come from ``data/scenarios.yaml`` (:mod:`tpop_kb.scenarios`); the right
answers come from the triage engine run on each case, never from this page.

**Quiz.** A scenario is loaded as soon as the page opens (at random, or the one
picked in ``.tpop-scenario-picker``). The trainee answers the tree's questions
along the case's path (buttons ``.tpop-answer``), then picks the action among a
few plausible outcomes. Each answer gets feedback at once
(``.tpop-feedback[data-correct=true|false]``): why, from the order's facts, and
the article passage. ``.tpop-score`` keeps the session's score; when a scenario
ends, the page shows the path on the decision tree and the scenarios to review
(marked ✗ in the picker, so they can be tried again).

**Walk-through.** The trainer steps through a scenario node by node (Previous /
Next / Whole path): the path is highlighted on the tree diagram as it goes,
with each answer, its reason and its passage, then the outcome card.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import ipywidgets as widgets
import traitlets
from babel.dates import format_date, format_datetime

from ..diagram import decision_path, question_numbers, tree_svg
from ..knowledge import KnowledgeError, Node, Tree, knowledge
from ..orders import country_name, map_columns, parse_datetime
from ..scenarios import Scenario, run, scenarios
from ..triage import Decision, Step
from ._base import App, AppState, brand_html, esc, guarded, page_html, page_text
from .style import style_widget

__all__ = ["TrainingApp", "TrainingState", "action_choices"]

_BABEL_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
RANDOM = "random"
#: How many actions the trainee chooses from at the end of a quiz.
ACTION_CHOICES = 4

PAGE_CSS = """
.tpop-training .tpop-tr-toolbar {
  display: flex; flex-flow: row wrap; align-items: center; gap: 10px 12px;
  margin: 0 0 16px 0; width: 100%;
}
.tpop-training .tpop-tr-toolbar .widget-dropdown {
  width: auto; flex: 1 1 260px; min-width: 0; max-width: 100%; margin: 0;
}
.tpop-training .tpop-tr-toolbar select {
  height: 34px; border-radius: 6px; font-size: 14px; font-family: var(--tpop-font);
  min-width: 0; width: 100%; text-overflow: ellipsis;
}
.tpop-training .tpop-mode { width: auto; margin: 0; flex: 0 0 auto; }
.tpop-training .tpop-mode .widget-toggle-buttons { display: flex; }
.tpop-training .tpop-mode .widget-toggle-button {
  width: auto; padding: 0 14px; height: 34px; font-size: 14px; font-family: var(--tpop-font);
}
.tpop-training .jupyter-button {
  border-radius: 6px; height: 34px; font-size: 14px; font-family: var(--tpop-font);
  width: auto; padding: 0 14px; margin: 0;
}
.tpop-training .tpop-tr-score-box { flex: 0 0 auto; width: auto; }
.tpop-training .tpop-score {
  display: inline-flex; align-items: baseline; gap: 8px; padding: 5px 14px;
  border-radius: 999px; background: var(--tpop-accent-soft); color: var(--tpop-accent);
  font-weight: 700; font-size: 14px; white-space: nowrap;
}
.tpop-training .tpop-score .tpop-score-label {
  font-weight: 600; color: var(--tpop-muted); font-size: 12.5px;
  text-transform: uppercase; letter-spacing: 0.05em;
}
.tpop-app.tpop-training { max-width: 1360px; }
.tpop-training .tpop-tr-walk-side { gap: 14px; }
.tpop-training .tpop-tr-walk-side > * { width: 100%; }
.tpop-training .tpop-walk-question { font-size: 18px; font-weight: 700; margin: 4px 0 6px 0; }
.tpop-training .tpop-tr-body {
  display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr);
  gap: 16px; align-items: start; width: 100%;
}
.tpop-training .tpop-tr-walk {
  display: grid; grid-template-columns: minmax(0, 2fr) minmax(340px, 1fr);
  gap: 16px; align-items: start; width: 100%; margin-top: 16px;
}
.tpop-training .tpop-tr-walk.tpop-tr-full { grid-template-columns: minmax(0, 1fr); }
.tpop-training .tpop-tr-body > *, .tpop-training .tpop-tr-walk > * { min-width: 0; width: 100%; }
.tpop-training .tpop-case h2 { font-size: 20px; font-weight: 700; margin: 6px 0 10px 0; }
.tpop-training .tpop-story {
  margin: 0 0 10px 0; padding: 10px 14px; font-size: 15.5px; line-height: 1.5;
  background: var(--tpop-canvas); border-left: 4px solid var(--tpop-accent);
  border-radius: 0 8px 8px 0;
}
.tpop-training h3 {
  font-size: 12.5px; font-weight: 700; letter-spacing: 0.05em; text-transform: uppercase;
  color: var(--tpop-muted); margin: 14px 0 6px 0;
}
.tpop-training .tpop-facts th { width: 42%; background: transparent; font-weight: 600; }
.tpop-training .tpop-facts td { overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.tpop-training .tpop-facts td .tpop-muted { font-size: 13px; }
.tpop-training .tpop-empty { color: var(--tpop-muted); font-style: italic; }
.tpop-training .tpop-quiz, .tpop-training .tpop-walk-step { gap: 10px; }
.tpop-training .tpop-quiz > *, .tpop-training .tpop-walk-step > * { width: 100%; }
.tpop-training .tpop-quiz > .jupyter-button {
  width: auto; align-self: flex-start; padding: 0 22px;
}
.tpop-training .tpop-mode .widget-toggle-button {
  background: var(--tpop-surface); color: var(--tpop-muted); border: 1px solid var(--tpop-border);
  box-shadow: none; margin: 0;
}
.tpop-training .tpop-mode .widget-toggle-button:first-child { border-radius: 6px 0 0 6px; }
.tpop-training .tpop-mode .widget-toggle-button:last-child {
  border-radius: 0 6px 6px 0; border-left-width: 0;
}
.tpop-training .tpop-mode .widget-toggle-button.mod-active {
  background: var(--tpop-accent); border-color: var(--tpop-accent); color: #ffffff;
}
.tpop-training .tpop-question h2 { font-size: 18px; font-weight: 700; margin: 2px 0 6px 0; }
.tpop-training .tpop-quiz-head {
  display: flex; flex-flow: row wrap; justify-content: space-between; align-items: center;
  gap: 6px 12px;
}
.tpop-training .tpop-progress-text { font-size: 13px; font-weight: 600; color: var(--tpop-muted); }
.tpop-training .tpop-progress {
  height: 6px; border-radius: 3px; background: var(--tpop-border); overflow: hidden;
  margin: 4px 0 10px 0;
}
.tpop-training .tpop-progress span { display: block; height: 100%; background: var(--tpop-accent); }
.tpop-training .tpop-answers { display: flex; flex-flow: row wrap; gap: 8px; }
.tpop-training .tpop-answers .jupyter-button.tpop-answer {
  height: auto; min-height: 38px; padding: 7px 16px; white-space: normal; text-align: left;
  line-height: 1.3; font-weight: 600; max-width: 100%;
}
.tpop-training .jupyter-button.tpop-answer:not(.mod-success):not(.mod-danger) {
  background: var(--tpop-surface); color: var(--tpop-accent);
  border: 1px solid var(--tpop-accent); box-shadow: none;
}
.tpop-training .jupyter-button.tpop-answer:not(:disabled):hover {
  background: var(--tpop-accent-soft);
}
.tpop-training .jupyter-button.tpop-answer:disabled { opacity: 1; }
.tpop-training .jupyter-button.tpop-answer:disabled:not(.mod-success):not(.mod-danger) {
  opacity: 0.55;
}
.tpop-training .tpop-answers.tpop-actions { flex-direction: column; }
.tpop-training .tpop-answers.tpop-actions .jupyter-button.tpop-answer { width: 100%; }
.tpop-training .tpop-feedback { margin-top: 2px; }
.tpop-training .tpop-feedback-head { font-weight: 700; font-size: 15.5px; margin-bottom: 4px; }
.tpop-training .tpop-feedback[data-correct="true"] .tpop-feedback-head { color: #17723c; }
.tpop-training .tpop-feedback[data-correct="false"] .tpop-feedback-head { color: #b42318; }
.tpop-training .tpop-quote {
  margin: 8px 0 0 0; padding: 6px 12px; border-left: 3px solid var(--tpop-border);
  font-size: 14px; background: var(--tpop-surface); border-radius: 0 6px 6px 0;
}
.tpop-training .tpop-quote footer { font-size: 12px; color: var(--tpop-muted); margin-top: 2px; }
.tpop-training .tpop-steps { margin: 0; padding-left: 22px; }
.tpop-training .tpop-steps li { margin: 3px 0; }
.tpop-training .tpop-tr-nav { display: flex; flex-flow: row wrap; gap: 8px; }
.tpop-training .tpop-primary { font-weight: 600; }
.tpop-training .tpop-diagram-box { padding: 10px; overflow-x: auto; }
.tpop-training .tpop-diagram-box svg {
  display: block; width: 100%; height: auto; min-width: 620px;
}
.tpop-training .tpop-review ul { margin: 4px 0 0 0; padding-left: 20px; }
.tpop-training .tpop-review li { margin: 3px 0; }
.tpop-training .tpop-result-outcome h4 {
  margin: 2px 0 4px 0; font-size: 17px; color: var(--tpop-tone-fg);
}
@media (max-width: 1020px) {
  .tpop-training .tpop-tr-body, .tpop-training .tpop-tr-walk {
    grid-template-columns: minmax(0, 1fr);
  }
}
@media (max-width: 720px) {
  .tpop-training .tpop-diagram-box svg { min-width: 560px; }
}
"""


# ---------------------------------------------------------------------------
# Wording helpers
# ---------------------------------------------------------------------------


def _text(key: str, lang: str, **values: Any) -> str:
    """Page wording as plain text."""
    return page_text(f"training.{key}", lang, **values)


def _html(key: str, lang: str, **values: Any) -> str:
    """Page wording as HTML, text and values escaped."""
    return page_html(f"training.{key}", lang, **values)


def _when(value: dt.datetime, lang: str) -> str:
    return format_datetime(value, _text("formats.datetime", lang), locale=_BABEL_LOCALES[lang])


def _day(value: dt.date, lang: str) -> str:
    return format_date(value, _text("formats.date", lang), locale=_BABEL_LOCALES[lang])


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
        self.tree = kb.tree
        self.numbers = question_numbers(self.tree)
        self.root.add_class("tpop-training")
        self.page_style = self._page_style(PAGE_CSS)
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
        self.quiz_head = widgets.Box([self.progress, self.score])
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
        self.review.layout.margin = "16px 0 0 0"
        self.new_session_button = widgets.Button()
        self.new_session_button.add_class("tpop-new-session")
        self.root.children = [
            style_widget(),
            self.page_style,
            self.header,
            self.intro,
            self.toolbar,
            self.body,
            self.lower,
            self.review,
            self.new_session_button,
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
        with self.state.hold_trait_notifications():
            self.state.right = 0
            self.state.total = 0
            self.state.results = {}
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
        self.brand.value = brand_html(lang)
        self.intro.value = (
            f'<div class="tpop-hero" lang="{esc(lang)}"><h1>{_html("title", lang)}</h1>'
            f'<p class="tpop-lead">{_html("lead", lang)}</p></div>'
        )
        if self.load_error:
            self.intro.value += (
                f'<div class="tpop-callout tpop-tone-error tpop-load-error" role="alert">'
                f'<strong>{_html("load_error", lang)}</strong><p>{esc(self.load_error)}</p></div>'
            )
            for part in (self.toolbar, self.body, self.lower, self.new_session_button):
                part.layout.display = "none"
            return
        self._render_toolbar(lang)
        if not self.state.scenario_id or self._decision is None:
            return
        self.case.value = self._case_html(lang)
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
        self.review.value = self._review_html(lang)
        self.new_session_button.description = _text("new_session", lang)
        self.new_session_button.layout.display = "" if self.state.total else "none"

    def _render_toolbar(self, lang: str) -> None:
        with self._quietly():
            mode = self.state.mode
            self.mode_toggle.options = [
                (_text("mode_quiz", lang), "quiz"),
                (_text("mode_walk", lang), "walk"),
            ]
            self.mode_toggle.value = mode
            current = self.picker.value
            options = [(_text("random", lang), RANDOM)]
            for number, case in enumerate(self._cases.values(), 1):
                mark = ""
                result = self.state.results.get(case.id)
                if result is not None:
                    perfect = result["right"] == result["total"]
                    mark = _text("played_right" if perfect else "played_wrong", lang) + " "
                options.append((f"{mark}{number}. {case.title[lang]}", case.id))
            self.picker.options = options
            self.picker.value = current
        self.picker.description = ""
        self.next_button.description = _text("next_scenario", lang)
        self.restart_button.description = _text("restart", lang)
        self.next_button.icon = "forward"
        self.restart_button.icon = "rotate-left"
        total, right = self.state.total, self.state.right
        label = _html("score_heading", lang)
        value = _html("score", lang, right=right, total=total) if total else _html(
            "score_empty", lang
        )
        self.score.value = (
            f'<div class="tpop-score" data-right="{right}" data-total="{total}">'
            f'<span class="tpop-score-label">{label}</span><span>{value}</span></div>'
        )

    def _case_html(self, lang: str) -> str:
        case = self.scenario
        number = list(self._cases).index(case.id) + 1
        columns = knowledge().columns["columns"]
        canonical = {header: column for column, header in map_columns(case.order).columns.items()}
        rows = []
        for key, raw in case.order.items():
            column = canonical.get(key, key)
            label = columns.get(column, {}).get("label", {}).get(lang, key)
            empty = f'<span class="tpop-empty">{_html("empty_value", lang)}</span>'
            value = esc(raw) if raw.strip() else empty
            if column == "shipped_at" and raw.strip():
                try:
                    moment = parse_datetime(raw)
                except ValueError:
                    moment = None
                if moment is not None:
                    value += f' <span class="tpop-muted">({esc(_day(moment.date(), lang))})</span>'
            rows.append(
                f'<tr data-field="{esc(column)}"><th>{esc(label)}</th><td>{value}</td></tr>'
            )
        return (
            f'<section class="tpop-card tpop-case" data-scenario="{esc(case.id)}">'
            f'<span class="tpop-badge">{_html("scenario", lang)} {number} / {len(self._cases)}'
            "</span>"
            f"<h2>{esc(case.title[lang])}</h2>"
            f'<h3>{_html("case_heading", lang)}</h3>'
            f'<blockquote class="tpop-story">{esc(case.story[lang])}</blockquote>'
            f'<p class="tpop-muted tpop-small tpop-as-of-note">'
            f'{_html("received", lang, moment=_when(case.as_of, lang))}</p>'
            f'<h3>{_html("facts_heading", lang)}</h3>'
            f'<table class="tpop-table tpop-facts"><tbody>{"".join(rows)}</tbody></table>'
            "</section>"
        )

    # -- quiz ------------------------------------------------------------------------
    def _render_quiz(self, lang: str) -> None:
        decision = self.decision
        path = decision.path
        step = self.state.step
        at_action = self._at_action()
        total = len(path) + 1
        width = round(100 * (step + (1 if self.state.picked else 0)) / total)
        if at_action:
            progress = _html("action_progress", lang)
            heading = _html("action_question", lang)
            hint = ""
            values = list(self._choices)
            labels = [self.tree.fill(self.tree.nodes[c].title[lang]) for c in values]
        else:
            node = path[step].node
            progress = _html("progress", lang, n=step + 1, total=len(path))
            heading = (
                f'<span class="tpop-badge">Q{self.numbers.get(node.id, "?")}</span> '
                f"{esc(self.tree.fill(node.text[lang]))}"
            )
            hint = f'<p class="tpop-muted tpop-small">{esc(self.tree.fill(node.help[lang]))}</p>'
            values = list(node.answers)
            labels = [self.tree.answer_label(node, a, lang) for a in values]
        self.progress.value = f'<div class="tpop-progress-text">{progress}</div>'
        self.question.value = (
            f'<div class="tpop-progress" role="progressbar" aria-valuenow="{width}" '
            f'aria-valuemin="0" aria-valuemax="100"><span style="width:{width}%"></span></div>'
            f'<div class="tpop-question" data-step="{step}"><h2>{heading}</h2>{hint}</div>'
        )
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
        self.feedback.value = self._feedback_html(lang) if picked else ""
        self.continue_button.description = _text(
            "see_result" if step + 1 == len(path) else "next_question", lang
        )
        self.continue_button.layout.display = "" if picked and not at_action else "none"
        done = bool(picked) and at_action
        self.result.value = self._result_html(lang) if done else ""
        self.result_next.description = _text("next_scenario", lang)
        self.result_next.layout.display = "" if done else "none"
        self.lower.add_class("tpop-tr-full")
        if done:
            self.lower.layout.display = ""
            self.diagram.value = (
                f'<h2 class="tpop-section-title">{_html("path_heading", lang)}</h2>'
                + tree_svg(self.tree, lang, path=decision_path(decision), current=decision.code)
            )
        else:
            self.lower.layout.display = "none"
            self.diagram.value = ""

    def _feedback_html(self, lang: str) -> str:
        picked = self.state.picked
        right = self._right_answer()
        correct = picked == right
        decision = self.decision
        if self._at_action():
            outcome = self.tree.nodes[right]
            answer_text = self.tree.fill(outcome.title[lang])
            why = esc(decision.reason(lang))
            passages = [self.scenario.passage] + [
                p for p in outcome.passages if p != self.scenario.passage
            ]
        else:
            step = decision.path[self.state.step]
            answer_text = self.tree.answer_label(step.node, right, lang)
            why = self._explain(step, lang)
            passages = list(step.node.passages)
        head = _html("right", lang) if correct else _html("wrong", lang, answer=answer_text)
        return (
            f'<div class="tpop-feedback tpop-callout tpop-tone-{"done" if correct else "error"}" '
            f'data-correct="{"true" if correct else "false"}" role="status">'
            f'<div class="tpop-feedback-head">{head}</div>'
            f'<p><strong>{_html("why", lang)}</strong> — {why}</p>'
            f'{self._passages_html(passages[:2], lang)}'
            "</div>"
        )

    def _passages_html(self, ids: list[str], lang: str) -> str:
        article = knowledge().article
        out = []
        for pid in ids:
            passage = article.passages.get(pid)
            if passage is None:
                continue
            out.append(
                f'<blockquote class="tpop-quote" data-passage="{esc(pid)}">'
                f"{esc(passage.in_(lang))}"
                f'<footer>{_html("article_says", lang)} · {esc(article.title[lang])} · '
                f"<code>{esc(pid)}</code></footer></blockquote>"
            )
        return "".join(out)

    def _explain(self, step: Step, lang: str) -> str:
        """Why the answer is what it is, from the order's facts and the engine's dates."""
        decision = self.decision
        order = decision.order
        fact = step.node.fact
        label = self.tree.answer_label(step.node, step.answer, lang)
        if not step.known:
            if fact == "shipped":
                return _html("explain.shipped.no", lang)
            return _html("explain.unknown", lang, answer=label)
        th = self.tree.thresholds
        if fact == "input_valid":
            if step.answer == "yes":
                return _html("explain.input_valid.yes", lang)
            return _html("explain.input_valid.no", lang, errors="; ".join(decision.errors))
        if fact == "shipped" and order.shipped_at is not None:
            return _html("explain.shipped.yes", lang, shipped_at=_when(order.shipped_at, lang))
        if fact in ("delivered", "tracking_active"):
            status = order.tracking_status or "none"
            return _html(f"explain.{fact}", lang, status=_text(f"status.{status}", lang))
        if fact == "customer_claim":
            return _html("explain.customer_claim", lang, claim=label)
        if fact == "within_activation_window" and decision.activation_deadline is not None:
            assert order.shipped_at is not None
            return _html(
                "explain.within_activation_window",
                lang,
                shipped_at=_when(order.shipped_at, lang),
                deadline=_when(decision.activation_deadline, lang),
                as_of=_when(decision.as_of, lang),
                activation_working_hours=th["activation_working_hours"],
            )
        if fact == "past_contact_window" and order.shipped_at is not None:
            return _html(
                "explain.past_contact_window",
                lang,
                shipped_date=_day(order.shipped_at.date(), lang),
                days=decision.days_since_shipped,
                contact_after_days=th["contact_after_days"],
            )
        if fact == "abroad" and order.destination_country:
            return _html(
                "explain.abroad", lang, country=country_name(order.destination_country, lang)
            )
        return esc(label)

    def _result_html(self, lang: str) -> str:
        decision = self.decision
        case = self.scenario
        result = self.state.results.get(case.id, {"right": 0, "total": 0})
        outcome = decision.outcome
        values = decision.values()
        steps = "".join(
            f"<li>{esc(self.tree.fill(s, **values))}</li>" for s in outcome.steps[lang]
        )
        parts = [
            f'<section class="tpop-result" data-outcome="{esc(outcome.id)}">',
            f'<h3>{_html("done_heading", lang)}</h3>',
            f'<p><strong>{_html("done_score", lang, **result)}</strong></p>',
            f'<div class="tpop-callout tpop-tone-{esc(outcome.tone)} tpop-result-outcome">'
            f"<h4>{esc(self.tree.fill(outcome.title[lang], **values))}</h4>"
            f'<ol class="tpop-steps">{steps}</ol></div>',
        ]
        if decision.flags:
            parts.append(f'<h3>{_html("remarks", lang)}</h3>')
            for flag_id in decision.flags:
                parts.append(self._flag_html(flag_id, lang))
        if case.lesson:
            parts.append(
                f'<h3>{_html("lesson", lang)}</h3>'
                f'<p class="tpop-lesson">{esc(self.tree.fill(case.lesson[lang]))}</p>'
            )
        parts.append("</section>")
        return "".join(parts)

    def _flag_html(self, flag_id: str, lang: str) -> str:
        flag = self.tree.flags[flag_id]
        return (
            f'<div class="tpop-callout tpop-tone-wait tpop-flag" data-flag="{esc(flag_id)}">'
            f"<strong>{esc(flag.title[lang])}</strong><p>{esc(flag.text[lang])}</p></div>"
        )

    # -- walk-through ---------------------------------------------------------------
    def _render_walk(self, lang: str) -> None:
        decision = self.decision
        step = min(self.state.step, self._last_step())
        ids = decision_path(decision)
        self.lower.remove_class("tpop-tr-full")
        self.lower.layout.display = ""
        self.diagram.value = (
            f'<h2 class="tpop-section-title">{_html("path_heading", lang)}</h2>'
            + tree_svg(self.tree, lang, path=ids[: step + 1], current=ids[step])
        )
        self.prev_button.description = _text("previous", lang)
        self.next_step_button.description = _text("next", lang)
        self.all_button.description = _text("whole_path", lang)
        self.prev_button.disabled = step == 0
        self.next_step_button.disabled = step >= self._last_step()
        self.all_button.disabled = step >= self._last_step()
        total = len(ids)
        head = (
            f'<div class="tpop-progress-text">{_html("walk_step", lang, n=step + 1, total=total)}'
            "</div>"
        )
        if step < len(decision.path):
            s = decision.path[step]
            node = s.node
            answer = self.tree.answer_label(node, s.answer, lang)
            self.walk_text.value = (
                f'<div class="tpop-walk" data-step="{step}" data-node="{esc(node.id)}">{head}'
                f'<h2 class="tpop-walk-question"><span class="tpop-badge">'
                f'Q{self.numbers.get(node.id, "?")}</span> {esc(self.tree.fill(node.text[lang]))}'
                "</h2>"
                f'<p class="tpop-muted tpop-small">{esc(self.tree.fill(node.help[lang]))}</p>'
                f'<div class="tpop-callout tpop-tone-act"><strong>'
                f'{_html("walk_answer", lang, answer=answer)}</strong>'
                f"<p>{self._explain(s, lang)}</p></div>"
                f"{self._passages_html(list(node.passages), lang)}</div>"
            )
        else:
            self.walk_text.value = (
                f'<div class="tpop-walk" data-step="{step}" data-node="{esc(decision.code)}">'
                f"{head}{self._outcome_walk_html(lang)}</div>"
            )

    def _outcome_walk_html(self, lang: str) -> str:
        decision = self.decision
        case = self.scenario
        outcome: Node = decision.outcome
        values = decision.values()
        steps = "".join(
            f"<li>{esc(self.tree.fill(s, **values))}</li>" for s in outcome.steps[lang]
        )
        parts = [
            f'<div class="tpop-callout tpop-tone-{esc(outcome.tone)} tpop-result-outcome" '
            f'data-outcome="{esc(outcome.id)}">'
            f'<span class="tpop-small tpop-muted">{_html("walk_outcome", lang)}</span>'
            f"<h4>{esc(self.tree.fill(outcome.title[lang], **values))}</h4>"
            f"<p>{esc(decision.reason(lang))}</p></div>",
            f'<h3>{_html("steps_heading", lang)}</h3><ol class="tpop-steps">{steps}</ol>',
        ]
        for flag_id in decision.flags:
            parts.append(self._flag_html(flag_id, lang))
        if case.lesson:
            parts.append(
                f'<h3>{_html("lesson", lang)}</h3>'
                f'<p class="tpop-lesson">{esc(self.tree.fill(case.lesson[lang]))}</p>'
            )
        parts.append(f'<h3>{_html("deciding_passage", lang)}</h3>')
        parts.append(self._passages_html([case.passage], lang))
        return "".join(parts)

    # -- session review -------------------------------------------------------------
    def _review_html(self, lang: str) -> str:
        results = self.state.results
        if not results:
            return ""
        played = len(results)
        perfect = sum(1 for r in results.values() if r["right"] == r["total"])
        items = []
        for sid, result in results.items():
            if result["right"] == result["total"]:
                continue
            missed = ", ".join(
                f"Q{self.numbers.get(node_id, '?')}" if node_id else _text("action", lang)
                for node_id in result["missed"]
            )
            items.append(
                f'<li data-scenario="{esc(sid)}">'
                + _html("review_item", lang, title=self._cases[sid].title[lang], missed=missed)
                + "</li>"
            )
        body = (
            f'<ul>{"".join(items)}</ul><p class="tpop-muted tpop-small">'
            f'{_html("review_hint", lang)}</p>'
            if items
            else f'<p class="tpop-muted">{_html("review_none", lang)}</p>'
        )
        return (
            '<section class="tpop-card tpop-review">'
            f'<h3>{_html("review_heading", lang)}</h3>'
            f'<p><strong>{_html("scenarios_played", lang, played=played, perfect=perfect)}'
            f"</strong></p>{body}</section>"
        )
