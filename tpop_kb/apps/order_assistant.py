"""The order assistant page (``notebooks/order_assistant.ipynb``): one order, start to finish.

1. **The order.** Staff paste whatever they have into one text area (``key: value``
   lines, JSON, a CSV header and row, or an order page's text: :mod:`tpop_kb.paste`);
   the fields fill in as editable widgets so that a misread value can be corrected.
2. **The questions.** For every fact the decision tree needs and the order does not
   give, the page asks the tree's own question, one at a time ("question k of n"), with
   the article passage it rests on, Back, and "I don't know" (the tree's
   ``when_unknown`` answer; the card then marks the step as not known). Facts the order
   gives are shown as already known. An answer that an order field can hold (the
   tracking status, the claim, France as the destination) is written back into that
   field; Back takes it out again.
3. **The answer.** One card (``.tpop-outcome[data-outcome=<code>]``): what to do, the
   dates in words and relative ("in 2 working days"), the La Poste and destination
   postal links, the caveats and flags, the path through the tree and the quoted
   passages; then the reply drafts of :mod:`tpop_kb.replies`, each labelled with who it
   is for and its language, with copy buttons for it and for the same draft in the other
   language. A draft the agent edited keeps its text when the language changes or the
   answer is redone ("Replace with the new draft" takes the new one).

The HTML is built by the view functions of :mod:`tpop_kb.apps.order_assistant_views`
(plain data in, HTML out); the page's style sheet and script are
``assets/order_assistant.css`` and ``assets/order_assistant.js``.

The as-of moment defaults to now in Paris, and follows the clock (each answer is judged
at the moment it is asked) until someone types another one. A deep link pre-fills the
form, e.g.
``order_assistant.ipynb?tracking_number=LA123456785FR&shipped_at=2026-11-20T15:00&destination_country=BE&lang=en&as_of=2026-11-26T10:00``;
every column alias of ``data/columns.yaml`` works as a parameter, and ``paste=`` fills
the paste area. A link that names an order runs the triage at once. Voila passes the
page's query string to a kernel it starts for the visitor as the ``QUERY_STRING``
environment variable (``voila/handler.py``). A *preheated* kernel (``--preheat_kernel``)
builds the page before anyone asks for it: the page is built with an empty form, and a
background thread waits for the visitor through :func:`voila.utils.get_query_string`
(:func:`visitor_query`), then fills the form from their link and sets the as-of moment
to the time they arrived (the kernel may have waited for hours).

The browser side (:class:`PageScript`, an anywidget whose module is
``assets/order_assistant.js``): Ctrl+Enter / Cmd+Enter gets the answer; a new question
or answer takes the focus and is scrolled into view; a step's buttons take one answer;
the copy buttons copy the textarea as edited, inside the click (Clipboard API, else
``execCommand('copy')``, else "select it and press Ctrl+C"); each answer's deep link
(:meth:`OrderAssistantApp.lookup_query`) goes into the address bar and into this tab's
list of recent lookups in ``sessionStorage``, so Back and reload open it again. The
kernel stores none of it. No customer text is ever put into JavaScript code.

Live La Poste status: with ``LAPOSTE_OKAPI_KEY`` set (:func:`tpop_kb.laposte.live_enabled`),
a small section under the answer card says what La Poste's tracking shows for the order's
number, with a button to use that status when the order says otherwise. The question goes
to La Poste in a background thread (:data:`LIVE_TIMEOUT_S` a try, :data:`LIVE_RETRIES`
retry): the answer never waits for it, and when La Poste is slow or down the section says
so and the answer stays the one from the order's data.

Faults: every ``_on_*`` callback is :func:`~tpop_kb.apps._base.guarded`; an unexpected
error shows a short message above the page and the page keeps working.

Nothing on this page logs anything: pastes and links hold customer data.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anywidget
import ipywidgets as widgets
import traitlets

from .. import events
from ..answer import choice_label
from ..countries import country_codes, country_name
from ..knowledge import LANGUAGES, LOCALES, knowledge
from ..laposte import LiveStatus, live_enabled, live_status
from ..orders import CANONICAL_COLUMNS, order_from_record, parse_as_of, parse_datetime
from ..paste import PastedOrder, PasteError, parse_paste, parse_record
from ..replies import Draft, drafts, replies
from ..text import normalize_key
from ..tracking import check_tracking_number, normalise_tracking_number
from ..triage import Decision, Step, order_facts, triage_order
from ..workdays import now_paris
from . import order_assistant_views as views
from ._base import App, AppState, asset, brand_html, esc, guarded, wording
from .feedback import AnswerFeedback
from .style import style_widget

_K = "order_assistant"

__all__ = [
    "OrderAssistantApp",
    "OrderAssistantState",
    "PageScript",
    "page_query",
    "preheated",
    "visitor_query",
]

AS_OF_FORMAT = views.AS_OF_FORMAT
FIELD_FORMAT = views.FIELD_FORMAT
#: Longest query string read from a deep link (a longer one is ignored).
MAX_QUERY_CHARS = 20_000
CHOICE_STATUS = ("none", "in_transit", "awaiting_collection", "delivered")
CHOICE_CLAIM = ("none", "not_received", "still_not_received")
CHOICE_SYNCED = ("true", "false", "")
TEXT_FIELDS = views.TEXT_FIELDS
#: Live La Poste status: seconds a try, retries, and how long an answer is reused.
LIVE_TIMEOUT_S = 5.0
LIVE_RETRIES = 1
LIVE_REUSE_S = 120.0
#: An as-of moment within this many seconds of the clock is "now".
NOW_WITHIN_S = 60


def _other_lang(lang: str) -> str:
    """The page's other language (the drafts come in every language the base knows)."""
    return next((other for other in LANGUAGES if other != lang), lang)


def _rows(text: str, width: int = 80, most: int = 26) -> int:
    """Textarea rows to show ``text`` whole (wrapped at about ``width`` characters)."""
    lines = sum(max(1, -(-len(line) // width)) for line in text.split("\n"))
    return min(lines + 1, most)


@lru_cache(maxsize=4)
def _country_options(lang: str) -> tuple[tuple[str, str], ...]:
    names = [(country_name(code, lang), code) for code in country_codes()]
    return tuple(sorted(names, key=lambda item: normalize_key(item[0])))


def written_back(fact: str, answer: str, facts: dict[str, str | None]) -> dict[str, str]:
    """The order fields that hold a step-through answer: ``{column: value}`` ({} for an
    answer no field can hold, such as "abroad: yes" without the country).

    ``facts``: what is known so far (the order's facts and the answers given), to tell
    "no event yet" from "in transit" once delivery and collection are ruled out.
    """
    if fact == "customer_claim":
        return {"customer_claim": answer}
    if fact == "delivered" and answer == "yes":
        return {"tracking_status": "delivered"}
    if fact == "awaiting_collection" and answer == "yes":
        return {"tracking_status": "awaiting_collection"}
    if fact == "tracking_active":
        if answer == "yes":
            return {"tracking_status": "in_transit"}
        if facts.get("delivered") == "no" and facts.get("awaiting_collection") == "no":
            return {"tracking_status": "none"}
    if fact == "abroad" and answer == "no":
        return {"destination_country": "FR"}
    return {}


class PageScript(anywidget.AnyWidget):
    """The page's browser side (``assets/order_assistant.js``): keyboard, focus and scroll,
    one answer per step, copy buttons, printing, and this tab's recent lookups."""

    _esm = asset("order_assistant.js")
    #: changes with every new question or answer (not with the language)
    run = traitlets.Int(0).tag(sync=True)
    #: what the new run shows: "question", "answer" or ""
    focus = traitlets.Unicode("").tag(sync=True)
    #: the answer's deep-link query string ("" for none)
    lookup = traitlets.Unicode("").tag(sync=True)
    #: the answer's line in the recent list
    label = traitlets.Unicode("").tag(sync=True)
    #: the recent list's words: heading, note, none
    texts = traitlets.Dict().tag(sync=True)


def page_query(query: str | None = None) -> dict[str, str]:
    """The deep link's parameters (first value of each), from ``query`` or ``QUERY_STRING``."""
    raw = os.environ.get("QUERY_STRING", "") if query is None else query
    if not raw or len(raw) > MAX_QUERY_CHARS:
        return {}
    out: dict[str, str] = {}
    for key, value in parse_qsl(raw.lstrip("?"), keep_blank_values=False):
        out.setdefault(key, value)
    return out


def preheated() -> bool:
    """Whether this kernel was started by Voila before its visitor came (``--preheat_kernel``).

    Voila marks such kernels with ``VOILA_PREHEAT=True``; once the visitor's request has
    been received, :func:`voila.utils.get_query_string` puts it in ``QUERY_STRING``.
    """
    return os.environ.get("VOILA_PREHEAT") == "True" and "QUERY_STRING" not in os.environ


def visitor_query() -> str:
    """The query string of the page's visitor ("" for none).

    :func:`voila.utils.get_query_string` (synchronous): in a preheated kernel it blocks
    until Voila hands the kernel to a visitor (it asks the server over a websocket in a
    thread of its own, ``ws://127.0.0.1:<port>/voila/query/<kernel id>``; set
    ``VOILA_APP_IP`` for a server bound to another address), then returns their query
    string, also stored in ``QUERY_STRING``; anywhere else it returns ``QUERY_STRING`` at
    once (None when unset). Voila is imported only here: it costs a kernel about 40 MB
    and 2 s, so the page calls this only in preheated kernels, from a thread.
    """
    from voila.utils import get_query_string

    return get_query_string() or ""


class OrderAssistantState(AppState):
    """The form, the as-of moment, the answers given, and where the page is."""

    paste = traitlets.Unicode("")
    order_id = traitlets.Unicode("")
    shipped_at = traitlets.Unicode("")
    tracking_number = traitlets.Unicode("")
    destination_country = traitlets.Unicode("")  # ISO code, "" unknown
    tracking_status = traitlets.Unicode("")  # "" unknown | none | in_transit | delivered
    customer_claim = traitlets.Unicode("")  # "" unknown | none | not_received | ...
    store_tracking_synced = traitlets.Unicode("")  # "" unknown | "true" | "false"
    as_of = traitlets.Unicode("")  # as typed: 2026-11-26T10:00
    answers = traitlets.Dict()  # fact -> answer given on the page
    asked = traitlets.List(traitlets.Unicode())  # facts, in the order they were asked
    assumed = traitlets.List(traitlets.Unicode())  # facts answered "I don't know"
    phase = traitlets.Unicode("form")  # form | questions | result


_WARM_UP_STARTED = threading.Event()


def start_warm_up(lang: str = "fr", delay: float = 3.0) -> bool:
    """Answer one sample order in the background, once per kernel.

    A kernel's first answer imports the holiday calendar and Arrow and reads the reply
    templates (about 0.2 s of CPU): done while the page is being read, so that an agent's
    first click is as fast as the next ones (benchmarks/RESULTS.md, "What one machine
    holds"). It waits ``delay`` seconds first, so as not to compete with the page being
    built and sent. Only in a Jupyter kernel (a page), never twice, never in tests' own
    process; ``TPOP_KB_WARM_UP=off`` turns it off. Returns whether it started now.
    """
    import sys

    if _WARM_UP_STARTED.is_set() or os.environ.get("TPOP_KB_WARM_UP", "on") == "off":
        return False
    kernel = sys.modules.get("ipykernel.kernelapp")
    if kernel is None or not kernel.IPKernelApp.initialized():
        return False
    _WARM_UP_STARTED.set()
    threading.Thread(target=_warm_up, args=(lang, delay), name="tpop-warm-up",
                     daemon=True).start()
    return True


def _warm_up(lang: str = "fr", delay: float = 0.0) -> None:
    from ..answer import answer
    from ..knowledge import data_dir

    time.sleep(delay)
    try:
        lines = (data_dir() / "samples" / "orders.csv").read_text(
            encoding="utf-8-sig").splitlines()
        at = lines[0].split(",").index("shipped_at")
        shipped = next(line for line in lines[1:] if line.split(",")[at].strip())
        # a shipped order: the calendar, the links and the page language's replies are read
        answer(f"{lines[0]}\n{shipped}", None, lang)
    except Exception:  # noqa: BLE001 - a warm-up never stops a page; the click does it
        import logging

        logging.getLogger(__name__).debug("warm-up failed", exc_info=True)


class OrderAssistantApp(App):
    """The order assistant. ``OrderAssistantApp()`` in a notebook shows it.

    ``query``: a deep link's query string (default: the visitor's, from Voila: see
    :func:`visitor_query`; in a preheated kernel it is applied when they arrive,
    :meth:`wait_for_visitor`).
    ``as_of``: the moment to judge at (default: now in Paris).
    """

    css_class = "tpop-app"
    state_class = OrderAssistantState

    def __init__(
        self,
        lang: str = "fr",
        query: str | None = None,
        as_of: dt.datetime | str | None = None,
        **state: Any,
    ) -> None:
        waits = query is None and preheated()  # the visitor and their link come later
        params = {} if waits else page_query(query)
        if params.get("lang") in LANGUAGES:
            lang = params["lang"]
        if isinstance(as_of, dt.datetime):
            as_of = as_of.strftime(AS_OF_FORMAT)
        state.setdefault("as_of", as_of or params.get("as_of") or "")
        fixed_as_of = bool(state["as_of"])
        if not state["as_of"]:
            state["as_of"] = now_paris().strftime(AS_OF_FORMAT)
        self.parsed: PastedOrder | None = None
        self.chosen_readings: dict[str, str] = {}
        self.paste_error: PasteError | None = None
        self.decision: Decision | None = None
        #: the as-of moment is the clock's (set again at each answer) until one is typed
        self.as_of_follows_clock = not fixed_as_of
        #: new questions and answers shown so far (the page's script focuses each one)
        self.runs = 0
        #: order fields written from step-through answers: fact -> {column: (before, after)}
        self._written: dict[str, dict[str, tuple[str, str]]] = {}
        #: the drafts of the answer shown, and the agent's edits: draft id -> (lang, text)
        self._drafts: list[Draft] = []
        self._edits: dict[str, tuple[str, str]] = {}
        self._others: dict[tuple[str, str], Draft] = {}
        # live La Poste status: the number asked about, answers by number, the worker
        self._live_lock = threading.RLock()
        self._live_number = ""
        self._live_answers: dict[str, tuple[float, LiveStatus]] = {}
        self._live_thread: threading.Thread | None = None
        self._visitor_thread: threading.Thread | None = None
        super().__init__(lang=lang, **state)
        if self.knowledge_error is not None:
            return
        start_warm_up(self.state.lang)
        if waits:
            self._visitor_thread = threading.Thread(
                target=self._await_visitor, args=(not fixed_as_of,), name="tpop-visitor",
                daemon=True,
            )
            self._visitor_thread.start()
        else:
            self._apply_query(params)

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        self.root.add_class("tpop-order-assistant")
        self.page_style = self._page_style(asset("order_assistant.css"))
        self.script = PageScript()
        self.script.add_class("tpop-oa-script")
        self._build_header()
        self.intro = widgets.HTML()

        # 1. the order
        self.order_heading = widgets.HTML()
        self.paste_input = widgets.Textarea(rows=7)
        self.paste_input.add_class("tpop-order-input")
        self.paste_feedback = widgets.HTML()
        self.paste_feedback.add_class("tpop-oa-feedback")
        # a field the paste leaves open between two readings: one button per reading
        self.paste_choice_buttons = [widgets.Button(layout={"width": "auto"})
                                     for _ in range(2)]
        for button in self.paste_choice_buttons:
            button.add_class("tpop-paste-choice")
        self.paste_choices = widgets.Box(self.paste_choice_buttons)
        self.paste_choices.add_class("tpop-oa-paste-choices")
        self.paste_choices.layout.display = "none"
        self.fields_heading = widgets.HTML()

        self.order_id_input = widgets.Text(continuous_update=False)
        self.shipped_at_input = widgets.Text(continuous_update=False)
        self.tracking_input = widgets.Text(continuous_update=False)
        self.country_input = widgets.Dropdown()
        self.status_input = widgets.Dropdown()
        self.claim_input = widgets.Dropdown()
        self.synced_input = widgets.ToggleButtons(style={"button_width": "auto"})
        self.inputs: dict[str, widgets.Widget] = {
            "order_id": self.order_id_input,
            "shipped_at": self.shipped_at_input,
            "tracking_number": self.tracking_input,
            "destination_country": self.country_input,
            "tracking_status": self.status_input,
            "customer_claim": self.claim_input,
            "store_tracking_synced": self.synced_input,
        }
        self.field_labels: dict[str, widgets.HTML] = {}
        self.field_hints: dict[str, widgets.HTML] = {}
        boxes = []
        for column in CANONICAL_COLUMNS:
            label, hint = widgets.HTML(), widgets.HTML()
            label.add_class("tpop-field-label")
            hint.add_class("tpop-oa-hint")
            self.field_labels[column], self.field_hints[column] = label, hint
            widget = self.inputs[column]
            widget.layout.width = "100%"
            box = widgets.VBox([label, widget, hint])
            box.add_class("tpop-oa-field")
            box.add_class(f"tpop-field-{column.replace('_', '-')}")
            boxes.append(box)
        self.fields = widgets.Box(boxes)
        self.fields.add_class("tpop-oa-fields")

        self.as_of_label = widgets.HTML()
        self.as_of_label.add_class("tpop-field-label")
        self.as_of_input = widgets.Text(continuous_update=False)
        self.as_of_input.add_class("tpop-as-of")
        self.as_of_now = widgets.Button(layout={"width": "auto", "flex": "0 0 auto"})
        self.as_of_now.add_class("tpop-as-of-now")
        self.as_of_row = widgets.Box([self.as_of_input, self.as_of_now])
        self.as_of_row.add_class("tpop-oa-asof-row")
        self.as_of_hint = widgets.HTML()
        self.as_of_hint.add_class("tpop-oa-hint")
        self.as_of_box = widgets.VBox([self.as_of_label, self.as_of_row, self.as_of_hint])
        self.as_of_box.add_class("tpop-oa-field")

        self.triage_button = widgets.Button(button_style="primary", layout={"width": "auto"})
        self.triage_button.add_class("tpop-triage-button")
        self.clear_button = widgets.Button(layout={"width": "auto"})
        self.clear_button.add_class("tpop-clear-button")
        self.actions = widgets.Box([self.triage_button, self.clear_button])
        self.actions.add_class("tpop-oa-actions")
        self.form_status = widgets.HTML()
        self.form_status.add_class("tpop-oa-hint")
        self.keys_hint = widgets.HTML()
        self.keys_hint.add_class("tpop-oa-keys")
        self.form = widgets.VBox([
            self.order_heading, self.paste_input, self.paste_feedback, self.paste_choices,
            self.fields_heading,
            self.fields, self.as_of_box, self.actions, self.form_status, self.keys_hint,
            self.script,
        ])
        self.form.add_class("tpop-card")
        self.form.add_class("tpop-oa-form")

        # 2. the questions
        self.placeholder = widgets.HTML()
        self.question = widgets.HTML()
        tree = knowledge().tree
        most = max(len(node.answers) for node in tree.questions.values())
        self.answer_buttons = [widgets.Button() for _ in range(most)]
        for button in self.answer_buttons:
            button.add_class("tpop-answer")
        self.dont_know_button = widgets.Button()
        self.dont_know_button.add_class("tpop-dont-know")
        self.answers_box = widgets.Box([*self.answer_buttons, self.dont_know_button])
        self.answers_box.add_class("tpop-oa-answers")
        self.dont_know_hint = widgets.HTML()
        self.dont_know_hint.add_class("tpop-oa-hint")
        self.back_button = widgets.Button(layout={"width": "auto", "align_self": "flex-start"})
        self.back_button.add_class("tpop-back-button")
        self.questions = widgets.VBox([self.question, self.answers_box, self.dont_know_hint])
        self.questions.add_class("tpop-card")
        self.questions.add_class("tpop-oa-question")

        # 3. the answer
        self.outcome = widgets.HTML()
        self.feedback = AnswerFeedback()  # "Was this answer right?" (learning loop)
        # The live La Poste status (tpop_kb.laposte), under the card.
        self.live_html = widgets.HTML()
        self.live_use = widgets.Button(layout={"width": "auto"})
        self.live_use.add_class("tpop-live-use")
        self.live_box = widgets.VBox([self.live_html, self.live_use])
        self.live_box.add_class("tpop-oa-live")
        self.replies_heading = widgets.HTML()
        most_drafts = max((len(d) for d in replies().outcomes.values()), default=0)
        self.draft_titles = [widgets.HTML() for _ in range(most_drafts)]
        self.draft_texts = [widgets.Textarea() for _ in range(most_drafts)]
        self.draft_resets = [widgets.Button(layout={"width": "auto"})
                             for _ in range(most_drafts)]
        self.draft_others = [widgets.HTML() for _ in range(most_drafts)]
        self.draft_boxes = []
        for title, text, reset, other in zip(self.draft_titles, self.draft_texts,
                                             self.draft_resets, self.draft_others, strict=True):
            text.layout.width = "100%"
            text.add_class("tpop-draft-text")
            reset.add_class("tpop-draft-reset")
            other.add_class("tpop-draft-other-box")
            box = widgets.VBox([title, text, reset, other])
            box.add_class("tpop-draft")
            box.add_class("tpop-oa-draft")
            self.draft_boxes.append(box)
        self.drafts_box = widgets.VBox([self.replies_heading, *self.draft_boxes])
        self.drafts_box.add_class("tpop-oa-drafts")
        self.result = widgets.VBox([
            self.placeholder, self.questions, self.back_button, self.outcome,
            self.feedback.root, self.live_box,
            self.drafts_box,
        ])
        self.result.add_class("tpop-oa-result")

        self.body = widgets.Box([self.form, self.result])
        self.body.add_class("tpop-oa-body")
        self.root.children = [
            style_widget(), self.page_style, self.header, self.intro, self.body,
        ]
        self._render_choices()  # the dropdowns need their options before they are linked

    # -- events --------------------------------------------------------------------
    def _wire(self) -> None:
        # The state is the source: linking copies its values into the widgets.
        for column, widget in self.inputs.items():
            traitlets.link((self.state, column), (widget, "value"))
        traitlets.link((self.state, "paste"), (self.paste_input, "value"))
        traitlets.link((self.state, "as_of"), (self.as_of_input, "value"))
        self.state.observe(self._on_lang, names=["lang"])
        self.state.observe(self._on_paste, names=["paste"])
        self.state.observe(self._on_field, names=list(CANONICAL_COLUMNS))
        self.state.observe(self._on_as_of, names=["as_of"])
        self.triage_button.on_click(self._on_triage)
        self.clear_button.on_click(self._on_clear)
        self.as_of_now.on_click(self._on_now)
        for button in self.answer_buttons:
            button.on_click(self._on_answer)
        self.dont_know_button.on_click(self._on_dont_know)
        self.back_button.on_click(self._on_back)
        self.live_use.on_click(self._on_use_live)
        for button in self.paste_choice_buttons:
            button.on_click(self._on_paste_choice)
        for text in self.draft_texts:
            text.observe(self._on_draft_edit, names=["value"])
        for button in self.draft_resets:
            button.on_click(self._on_draft_reset)

    @guarded
    def _on_lang(self, _change: dict[str, Any]) -> None:
        self._render()

    @guarded
    def _on_paste(self, change: dict[str, Any]) -> None:
        text = change["new"]
        if not text.strip():
            self.parsed, self.paste_error = None, None
            self._render_feedback()
            return
        try:
            parsed = parse_paste(text, as_of=self._as_of())
        except PasteError as error:
            self.parsed, self.paste_error = None, error
            self._render_feedback()
            return
        self.parsed, self.paste_error = parsed, None
        self.chosen_readings = {}
        self._fill(parsed.record)
        self._reset(new_order=True)
        self._render()

    @guarded
    def _on_paste_choice(self, button: widgets.Button) -> None:
        """One reading of an ambiguous ship date chosen: it goes into the form."""
        question = self._open_paste_question()
        index = self.paste_choice_buttons.index(button)
        if question is None or index >= len(question.choices):
            return
        self.state.shipped_at = question.choices[index]
        self.chosen_readings[question.field] = question.choices[index]
        self._render_feedback()
        self._render_hints()
        if self.state.phase != "form":
            self._run(reset=False)

    def _open_paste_question(self) -> Any:
        """The paste's first question not yet answered by a choice (None when none)."""
        if self.parsed is None:
            return None
        return next((q for q in self.parsed.questions if q.field not in self.chosen_readings),
                    None)

    @guarded
    def _on_field(self, _change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self._render_hints()
        if self.state.phase != "form":
            self._run(reset=False)
        else:
            self._render_result()

    @guarded
    def _on_as_of(self, _change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self.as_of_follows_clock = False  # typed: it stays until "Now"
        self._as_of_changed()

    @guarded
    def _on_now(self, _button: widgets.Button) -> None:
        self._set_as_of(now_paris().strftime(AS_OF_FORMAT), follows_clock=True)

    def _set_as_of(self, value: str, follows_clock: bool) -> None:
        """Set the as-of moment from code (the clock, a link), not as typed."""
        with self._quietly():
            self.state.as_of = value
        self.as_of_follows_clock = follows_clock
        self._as_of_changed()

    def _as_of_changed(self) -> None:
        self._render_as_of()
        if self.state.phase != "form" and self._as_of() is not None:
            self._run(reset=False)

    @guarded
    def _on_triage(self, _button: widgets.Button | None = None) -> None:
        self._run(reset=True)

    @guarded
    def _on_clear(self, _button: widgets.Button) -> None:
        with self._quietly():
            self.state.paste = ""
            for column in CANONICAL_COLUMNS:
                setattr(self.state, column, "")
        self.parsed, self.paste_error = None, None
        self._reset(new_order=True)
        self._render()

    @guarded
    def _on_answer(self, button: widgets.Button) -> None:
        index = self.answer_buttons.index(button)
        step = self._pending()
        if step is None:
            return
        answers = list(step.node.answers)
        if index < len(answers):
            self._answer(step, answers[index], assumed=False)

    @guarded
    def _on_dont_know(self, _button: widgets.Button) -> None:
        step = self._pending()
        if step is not None:
            self._answer(step, step.node.when_unknown, assumed=True)

    @guarded
    def _on_back(self, _button: widgets.Button) -> None:
        asked = list(self.state.asked)
        if not asked:
            self._reset()
            self._render_result()
            return
        fact = asked.pop()
        answers = {k: v for k, v in self.state.answers.items() if k != fact}
        assumed = [f for f in self.state.assumed if f != fact]
        self._unwrite(self._written.pop(fact, {}))
        self.state.set_trait("answers", answers)
        self.state.set_trait("assumed", assumed)
        self.state.asked = asked
        self._render_hints()
        self._run(reset=False)

    @guarded
    def _on_draft_edit(self, change: dict[str, Any]) -> None:
        """The agent typed in a draft: their text is kept (language switch, new answer)."""
        if self._quiet:
            return
        index = self.draft_texts.index(change["owner"])
        if index >= len(self._drafts):
            return
        draft = self._drafts[index]
        lang = self._edits.get(draft.id, (draft.lang, ""))[0]
        if change["new"] == draft.text and lang == draft.lang:
            self._edits.pop(draft.id, None)
        else:
            self._edits[draft.id] = (lang, change["new"])
        self._render_draft(index)

    @guarded
    def _on_draft_reset(self, button: widgets.Button) -> None:
        """"Replace with the new draft": the agent's edits of this draft are dropped."""
        index = self.draft_resets.index(button)
        if index < len(self._drafts):
            self._edits.pop(self._drafts[index].id, None)
            self._render_draft(index)

    @guarded
    def _on_use_live(self, _button: widgets.Button) -> None:
        """Put La Poste's live status into the form (the answer follows)."""
        status = self.live_answer()
        if status is not None and status.ok and not status.problem:
            self.state.tracking_status = status.tracking_status or ""

    # -- actions ---------------------------------------------------------------------
    def _fill(self, record: dict[str, str]) -> None:
        """Put a parsed record into the form; fields it lacks become unknown (a new order)."""
        with self._quietly():
            for column in CANONICAL_COLUMNS:
                value = record.get(column, "")
                if column == "store_tracking_synced":
                    value = value if value in ("true", "false") else ""
                setattr(self.state, column, value)
        self._render_hints()

    def _reset(self, new_order: bool = False) -> None:
        """Back to the form; ``new_order``: another order, so the drafts' edits go too."""
        self.decision = None
        self._written = {}
        if new_order:
            self._edits = {}
        self.state.answers = {}
        self.state.asked = []
        self.state.assumed = []
        self.state.phase = "form"

    def _apply_query(self, params: dict[str, str]) -> None:
        """Fill the form from a deep link and, when it names an order, run the triage."""
        record: dict[str, str] = {}
        if params.get("paste"):
            self.state.paste = params["paste"]  # parsed and shown like a paste
            record.update(self.parsed.record if self.parsed else {})
        fields = {k: v for k, v in params.items() if k not in ("lang", "as_of", "paste")}
        if fields:
            parsed = parse_record(fields, how="query")
            self.parsed, self.paste_error = parsed, None
            record.update(parsed.record)
        if record:
            self._fill(record)
            self._run(reset=True)
        self._render_feedback()

    def _await_visitor(self, refresh_as_of: bool) -> None:
        """In a preheated kernel's background thread: wait for the visitor, take their link.

        The as-of moment becomes the time they arrived, unless the page was given one or
        the link names one. Never raises: a failure shows the page's fault message.
        """
        try:
            params = page_query(visitor_query())
            if params.get("lang") in LANGUAGES:
                self.state.lang = params["lang"]
            # Setting the as-of moment also tells the server the kernel is in use (a
            # widget message), so idle culling counts from the visitor's arrival, not
            # from when the page was built (unless the moment does not change: a page
            # given its moment in code, or built this very minute).
            if params.get("as_of"):
                self._set_as_of(params["as_of"], follows_clock=False)
            elif refresh_as_of:
                self._set_as_of(now_paris().strftime(AS_OF_FORMAT), follows_clock=True)
            self._apply_query(params)
        except Exception as exc:  # no traceback on the page, even from this thread
            self.show_fault(exc)

    def wait_for_visitor(self, timeout: float | None = None) -> bool:
        """In a preheated kernel, wait until the visitor's link is applied (tests, notebooks).

        True when it is (or when there was nothing to wait for).
        """
        worker = self._visitor_thread
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return True

    def _record(self) -> dict[str, str]:
        """The form as a record for :func:`order_from_record` (empty fields: unknown)."""
        return {c: getattr(self.state, c) for c in CANONICAL_COLUMNS
                if getattr(self.state, c).strip()}

    def _as_of(self) -> dt.datetime | None:
        try:
            return parse_as_of(self.state.as_of)
        except ValueError:
            return None

    def _run(self, reset: bool) -> None:
        """Triage the form's order with the answers given; move to a question or the answer."""
        if self.as_of_follows_clock:  # judged at the moment it is asked
            now = now_paris().strftime(AS_OF_FORMAT)
            if now != self.state.as_of:
                with self._quietly():
                    self.state.as_of = now
                self._render_as_of()
        as_of = self._as_of()
        if as_of is None:
            self.decision = None
            self.state.phase = "form"
            self.form_status.value = (
                f'<span class="tpop-bad">{wording(f"{_K}.fix_as_of", self.lang)}</span>'
            )
            self._render_result()
            return
        self.form_status.value = ""
        if reset:
            self._written = {}  # answers written into fields are the order's data now
            self.state.answers = {}
            self.state.asked = []
            self.state.assumed = []
        order = order_from_record(self._record())
        self.decision = triage_order(order, as_of, answers=dict(self.state.answers))
        self.state.phase = "questions" if self.decision.unknown_steps else "result"
        if self.state.phase == "result":  # an answer shown: one event (tpop_kb.events)
            self.feedback.reset(events.record_answer(self.decision, self.lang))
        self.runs += 1
        self._render_result()

    def _pending(self) -> Step | None:
        if self.decision is None or self.state.phase != "questions":
            return None
        steps = self.decision.unknown_steps
        return steps[0] if steps else None

    def _answer(self, step: Step, answer: str, assumed: bool) -> None:
        fact = step.node.fact
        self.state.set_trait("answers", {**self.state.answers, fact: answer})
        if assumed:
            self.state.set_trait("assumed", [*self.state.assumed, fact])
        else:
            self._write_back(fact, answer)
        self.state.asked = [*self.state.asked, fact]
        self._run(reset=False)

    def _write_back(self, fact: str, answer: str) -> None:
        """An answer an order field can hold goes into that field (Back takes it out)."""
        decision = self.decision
        known: dict[str, str | None] = {}
        if decision is not None:
            known.update(order_facts(decision.order, decision.as_of, decision.tree)[0])
        known.update(self.state.answers)
        fields = {c: v for c, v in written_back(fact, answer, known).items()
                  if getattr(self.state, c) != v}
        if not fields:
            return
        self._written[fact] = {c: (getattr(self.state, c), v) for c, v in fields.items()}
        with self._quietly():
            for column, value in fields.items():
                setattr(self.state, column, value)
        self._render_hints()

    def _unwrite(self, fields: dict[str, tuple[str, str]]) -> None:
        """Put back fields an answer was written into (not those changed by hand since)."""
        with self._quietly():
            for column, (before, after) in fields.items():
                if getattr(self.state, column) == after:
                    setattr(self.state, column, before)

    def lookup_query(self) -> str:
        """The deep link of the order shown (its fields, the language, and the as-of
        moment when it was typed): what the browser keeps to bring the answer back."""
        params = {c: v.strip() for c, v in self._record().items()}
        params["lang"] = self.lang
        if not self.as_of_follows_clock:
            params["as_of"] = self.state.as_of.strip()
        return urlencode(params)

    # -- state -> widgets ------------------------------------------------------------
    def _render(self) -> None:
        lang = self.lang
        home = f'<a class="tpop-home" href="index.ipynb">{wording(f"{_K}.home", lang)}</a>'
        self.brand.value = brand_html(lang, home)
        self.intro.value = (
            f'<div class="tpop-hero" lang="{esc(lang)}"><h1>{wording(f"{_K}.title", lang)}</h1>'
            f'<p class="tpop-lead">{wording(f"{_K}.lead", lang)}</p></div>'
        )
        self.order_heading.value = (
            f'<h2 class="tpop-section-title">{wording(f"{_K}.order_heading", lang)}</h2>'
            f'<label class="tpop-field-label">{wording(f"{_K}.paste_label", lang)}</label>'
        )
        self.paste_input.placeholder = wording(f"{_K}.paste_placeholder", lang, plain=True)
        self.fields_heading.value = (
            f'<h2 class="tpop-section-title">{wording(f"{_K}.fields_heading", lang)}</h2>'
        )
        for column, label in self.field_labels.items():
            label.value = esc(views.column_label(column, lang))
        for column in TEXT_FIELDS:
            self.inputs[column].placeholder = wording(
                f"{_K}.field_placeholder.{column}", lang, plain=True
            )
        self._render_choices()
        self.as_of_label.value = wording(f"{_K}.as_of_label", lang)
        self.as_of_input.placeholder = "2026-11-26T10:00"
        self.as_of_now.description = wording(f"{_K}.as_of_now", lang, plain=True)
        self.triage_button.description = wording(f"{_K}.triage", lang, plain=True)
        self.triage_button.tooltip = wording(f"{_K}.triage_keys", lang, plain=True)
        self.keys_hint.value = f'<p class="tpop-keys">{wording(f"{_K}.triage_keys", lang)}</p>'
        self.clear_button.description = wording(f"{_K}.clear", lang, plain=True)
        self.dont_know_button.description = wording(f"{_K}.dont_know", lang, plain=True)
        self.back_button.description = wording(f"{_K}.back", lang, plain=True)
        for button in self.draft_resets:
            button.description = wording(f"{_K}.draft_reset", lang, plain=True)
        self.script.texts = {
            **{
                key: wording(f"{_K}.recent.{key}", lang, plain=True)
                for key in ("heading", "note", "none")
            },
            "locale": LOCALES[lang].replace("_", "-"),
        }
        if self.form_status.value:
            self.form_status.value = (
                f'<span class="tpop-bad">{wording(f"{_K}.fix_as_of", lang)}</span>'
            )
        self._render_feedback()
        self._render_hints()
        self._render_as_of()
        self._render_result(new=False)

    def _render_choices(self) -> None:
        """Dropdown and toggle options in the page's language, values kept."""
        lang = self.lang
        tree = knowledge().tree
        claim_node = tree.question_for("customer_claim")
        unknown = wording(f"{_K}.unknown", lang, plain=True)
        options = {
            "destination_country": [(unknown, ""), *_country_options(lang)],
            "tracking_status": [(unknown, "")]
            + [(wording(f"{_K}.status.{s}", lang, plain=True), s) for s in CHOICE_STATUS],
            "customer_claim": [(unknown, "")]
            + [(tree.answer_label(claim_node, c, lang), c) for c in CHOICE_CLAIM],
            "store_tracking_synced": [
                (wording(f"{_K}.synced.{s or 'unknown'}", lang, plain=True), s)
                for s in CHOICE_SYNCED
            ],
        }
        with self._quietly():
            for column, choices in options.items():
                widget = self.inputs[column]
                value = getattr(self.state, column)
                if list(widget.options) == choices:
                    continue
                widget.options = choices  # selects the first option (and, linked, the state)
                widget.value = value if value in [v for _, v in choices] else ""
                setattr(self.state, column, widget.value)

    def _render_feedback(self) -> None:
        lang = self.lang
        question = self._open_paste_question() if self.paste_error is None else None
        self.paste_feedback.value = views.paste_feedback(
            self.parsed, self.paste_error, question, lang
        )
        for i, button in enumerate(self.paste_choice_buttons):
            choices = question.choices if question is not None else ()
            button.layout.display = "" if i < len(choices) else "none"
            if i < len(choices):
                button.description = choice_label(choices[i], lang)
        self.paste_choices.layout.display = "" if question is not None else "none"

    def _render_hints(self) -> None:
        lang = self.lang
        hints = {c: "" for c in CANONICAL_COLUMNS}
        shipped = self.state.shipped_at
        try:
            value = parse_datetime(shipped.strip()) if shipped.strip() else None
        except ValueError:
            value = None
        question = self._open_paste_question()
        hints["shipped_at"] = views.shipped_hint(
            value, shipped, lang,
            choose=question is not None and question.field == "shipped_at",
        )
        number = self.state.tracking_number.strip()
        if number:
            check = check_tracking_number(number)
            css = "tpop-ok" if check.valid else "tpop-bad"
            mark = "✓ " if check.valid else "⚠ "
            hints["tracking_number"] = (
                f'<span class="{css} tpop-tracking-check" data-kind="{esc(check.kind)}">'
                f"{mark}{esc(check.message(lang))}</span>"
            )
        for column, hint in self.field_hints.items():
            hint.value = hints[column]
            hint.layout.display = "" if hints[column] else "none"

    def _render_as_of(self) -> None:
        self.as_of_hint.value = views.as_of_hint(
            self._as_of(), self.state.as_of, self.lang, now=self.as_of_follows_clock
        )

    def _render_result(self, new: bool = True) -> None:
        """Show the phase; ``new``: a new question or answer (not a language switch), which
        the page's script focuses and, for an answer, keeps in the tab's history."""
        phase = self.state.phase
        lang = self.lang
        show = {
            self.placeholder: phase == "form",
            self.questions: phase == "questions",
            self.back_button: phase == "questions" or (phase == "result" and bool(
                self.state.asked)),
            self.outcome: phase == "result",
            self.feedback.root: phase == "result",
            self.live_box: phase == "result" and bool(self._live_number),
            self.drafts_box: phase == "result",
        }
        for widget, visible in show.items():
            widget.layout.display = "" if visible else "none"
        focus = ""
        if phase == "form":
            self.placeholder.value = views.placeholder(lang)
            self.outcome.value = ""
            self._render_drafts([])
        elif phase == "questions":
            self._render_question()
            self.outcome.value = ""
            self._render_drafts([])
            focus = "question"
        elif self.decision is not None:
            self.outcome.value = views.outcome_card(
                self.decision, lang, asked=self.state.asked, assumed=self.state.assumed,
                run=self.runs,
            )
            self._render_drafts(drafts(self.decision, lang))
            self.feedback.render(lang)
            focus = "answer"
        self._ask_live()
        if new and focus:
            decision = self.decision
            label = ""
            if decision is not None:
                order_id = decision.order.order_id or decision.order.tracking_number or ""
                label = " · ".join(x for x in (order_id, decision.outcome.title[lang]) if x)
            with self.script.hold_sync():
                self.script.focus = focus
                self.script.lookup = self.lookup_query() if focus == "answer" else ""
                self.script.label = label
                self.script.run = self.runs

    # -- live La Poste status ----------------------------------------------------------
    def _ask_live(self) -> None:
        """When live status is on and the answer shows a tracking number, ask La Poste.

        The question runs in a background thread; an answer younger than
        :data:`LIVE_REUSE_S` is reused (answering a question or switching the language
        does not ask again).
        """
        decision = self.decision
        number = ""
        if self.state.phase == "result" and decision is not None and live_enabled():
            number = normalise_tracking_number(decision.order.tracking_number)
        with self._live_lock:
            self._live_number = number
            answer = self._live_answers.get(number)
            fresh = answer is not None and time.monotonic() - answer[0] < LIVE_REUSE_S
            if number and not fresh:
                self._live_answers.pop(number, None)
                worker = threading.Thread(
                    target=self._fetch_live, args=(number, self.lang), name="tpop-live",
                    daemon=True,
                )
                self._live_thread = worker
                worker.start()
            self._render_live()

    def _fetch_live(self, number: str, lang: str) -> None:
        """In the background: ask La Poste (never raises), keep the answer, show it."""
        status = live_status(number, lang, timeout=LIVE_TIMEOUT_S, retries=LIVE_RETRIES)
        with self._live_lock:
            self._live_answers[number] = (time.monotonic(), status)
            if number != self._live_number:
                return  # the page has moved on to another order
            try:
                self._render_live()
            except Exception as exc:  # no traceback on the page, even from this thread
                self.show_fault(exc)

    def live_answer(self) -> LiveStatus | None:
        """La Poste's answer for the number shown, or None (not asked, or not back yet)."""
        with self._live_lock:
            answer = self._live_answers.get(self._live_number)
            return answer[1] if answer and self._live_number else None

    def wait_for_live(self, timeout: float | None = None) -> LiveStatus | None:
        """Wait for the question to La Poste to come back (tests, notebooks)."""
        worker = self._live_thread
        if worker is not None:
            worker.join(timeout)
        return self.live_answer()

    def _render_live(self) -> None:
        with self._live_lock:
            number = self._live_number
            shown = bool(number) and self.state.phase == "result"
            self.live_box.layout.display = "" if shown else "none"
            self.live_use.layout.display = "none"
            if not shown:
                self.live_html.value = ""
                return
            html, button = views.live_section(
                number, self.live_answer(), self.state.tracking_status, self.lang
            )
            if button:
                self.live_use.description = button
                self.live_use.layout.display = ""
            self.live_html.value = html

    def _render_question(self) -> None:
        lang = self.lang
        step = self._pending()
        decision = self.decision
        if step is None or decision is None:
            return
        tree = decision.tree
        node = step.node
        self.question.value = views.question_card(
            decision, step, lang, asked=self.state.asked, assumed=self.state.assumed,
            run=self.runs,
        )
        answers = list(node.answers)
        for i, button in enumerate(self.answer_buttons):
            for css in [c for c in button._dom_classes if c.startswith("tpop-answer-")]:
                button.remove_class(css)
            if i < len(answers):
                button.description = tree.answer_label(node, answers[i], lang)
                button.tooltip = button.description
                button.add_class(f"tpop-answer-{answers[i].replace('_', '-')}")
                button.layout.display = ""
            else:
                button.layout.display = "none"
        self.dont_know_hint.value = views.dont_know_hint(decision, step, lang)
        self.dont_know_button.tooltip = wording(f"{_K}.dont_know_hint", lang,
            answer=tree.answer_label(node, node.when_unknown, lang), plain=True)

    # -- the drafts --------------------------------------------------------------------
    def _render_drafts(self, found: list[Draft]) -> None:
        """The answer's drafts in the page's language; each box keeps the agent's edits."""
        lang = self.lang
        if self.state.phase == "result" and self.decision is not None:
            self.replies_heading.value = views.drafts_intro(lang, bool(found))
        self._drafts = list(found)
        other_lang = _other_lang(lang)
        others = drafts(self.decision, other_lang) if found and self.decision else []
        # each draft in both languages: the "other" one is the language its box is not in
        self._others = {(d.lang, d.id): d for d in [*found, *others]}
        for i, box in enumerate(self.draft_boxes):
            if i < len(found):
                self._render_draft(i)
                box.layout.display = ""
            else:
                with self._quietly():
                    self.draft_texts[i].value = ""
                box.layout.display = "none"

    def _render_draft(self, index: int) -> None:
        lang = self.lang
        draft = self._drafts[index]
        edit = self._edits.get(draft.id)
        text_lang, text = edit if edit is not None else (draft.lang, draft.text)
        other = self._others.get((_other_lang(text_lang), draft.id))
        self.draft_titles[index].value = views.draft_head(
            draft, lang, text_lang=text_lang, edited=edit is not None, other=other
        )
        with self._quietly():
            self.draft_texts[index].value = text
        self.draft_texts[index].rows = _rows(text)
        self.draft_resets[index].layout.display = "" if edit is not None else "none"
        self.draft_others[index].value = views.draft_other(other, lang) if other else ""
