"""The order assistant page (``notebooks/order_assistant.ipynb``): one order, start to finish.

1. **The order.** Staff paste whatever they have into one text area (``key: value``
   lines, JSON, a CSV header and row, or an order page's text: :mod:`tpop_kb.paste`);
   the fields fill in as editable widgets so that a misread value can be corrected.
2. **The questions.** For every fact the decision tree needs and the order does not
   give, the page asks the tree's own question, one at a time ("question k of n"), with
   the article passage it rests on, Back, and "I don't know" (the tree's
   ``when_unknown`` answer, as the bulk triage assumes). Facts the order gives are shown
   as already known.
3. **The answer.** One card (``.tpop-outcome[data-outcome=<code>]``): what to do, the
   dates in words and relative ("in 2 working days"), the La Poste and destination
   postal links, the caveats and flags, the path through the tree and the quoted
   passages; then the reply drafts of :mod:`tpop_kb.replies`, each with a copy button.

The as-of moment defaults to now in Paris; trainers type another one. A deep link
pre-fills the form, e.g.
``order_assistant.ipynb?tracking_number=LA123456785FR&shipped_at=2026-11-20T15:00&destination_country=BE&lang=en&as_of=2026-11-26T10:00``;
every column alias of ``data/columns.yaml`` works as a parameter, and ``paste=`` fills
the paste area. A link that names an order runs the triage at once. Voila passes the
page's query string to a kernel it starts for the visitor as the ``QUERY_STRING``
environment variable (``voila/handler.py``). A *preheated* kernel (``--preheat_kernel``)
builds the page before anyone asks for it: the page is built with an empty form, and a
background thread waits for the visitor through :func:`voila.utils.get_query_string`
(:func:`visitor_query`), then fills the form from their link and sets the as-of moment
to the time they arrived (the kernel may have waited for hours).

Copying a draft: the copy button is plain HTML with an ``onclick`` handler (browsers run
inline handlers of ``innerHTML``; only ``<script>`` elements are not run). It copies
the textarea's current text, edits included, with the Clipboard API inside the click
(no round trip to the kernel, so the browser's user-gesture rule holds) and falls back
to ``document.execCommand('copy')`` where the Clipboard API is missing (plain-http
sites); when both fail it selects the text and says "press Ctrl+C". The handler's code
is a constant: no customer text is ever put into JavaScript.

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
from urllib.parse import parse_qsl

import ipywidgets as widgets
import traitlets
from babel import Locale
from babel.dates import format_date, format_datetime

from ..answer import choice_label, why_text
from ..knowledge import knowledge
from ..laposte import LiveStatus, live_enabled, live_status
from ..orders import (
    CANONICAL_COLUMNS,
    country_codes,
    country_name,
    normalize_key,
    order_from_record,
    parse_as_of,
    parse_datetime,
    time_given,
)
from ..paste import PastedOrder, PasteError, parse_paste, parse_record
from ..postal import (
    check_tracking_number,
    destination_post,
    destination_post_url,
    normalise_tracking_number,
)
from ..postal import ui_text as postal_text
from ..replies import Draft, drafts, replies
from ..replies import format_date as format_reply_date
from ..replies import format_datetime as format_reply_datetime
from ..triage import Decision, Step, la_poste_url, order_facts, triage_order
from ..workdays import now_paris, working_days_between
from ._base import App, AppState, Html, brand_html, esc, guarded, page_html, page_text
from .style import style_widget

__all__ = ["OrderAssistantApp", "OrderAssistantState", "page_query", "preheated", "visitor_query"]

_BABEL_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
AS_OF_FORMAT = "%Y-%m-%dT%H:%M"
FIELD_FORMAT = "%Y-%m-%d %H:%M"
#: Longest query string read from a deep link (a longer one is ignored).
MAX_QUERY_CHARS = 20_000
CHOICE_STATUS = ("none", "in_transit", "delivered")
CHOICE_CLAIM = ("none", "not_received", "still_not_received")
CHOICE_SYNCED = ("true", "false", "")
TEXT_FIELDS = ("order_id", "shipped_at", "tracking_number")
#: Live La Poste status: seconds a try, retries, and how long an answer is reused.
LIVE_TIMEOUT_S = 5.0
LIVE_RETRIES = 1
LIVE_REUSE_S = 120.0

_COPY_JS = (
    "var b=this,t=b.closest('.tpop-draft').querySelector('textarea');"
    "function ok(){b.textContent=b.dataset.done;"
    "setTimeout(function(){b.textContent=b.dataset.label},2500)}"
    "function no(){t.focus();t.select();b.textContent=b.dataset.fail}"
    "function old(){try{t.focus();t.select();document.execCommand('copy')?ok():no()}"
    "catch(e){no()}}"
    "if(navigator.clipboard&&window.isSecureContext){"
    "navigator.clipboard.writeText(t.value).then(ok,old)}else{old()}"
)

PAGE_CSS = """
.tpop-order-assistant .tpop-oa-body {
  display: grid;
  grid-template-columns: minmax(0, 5fr) minmax(0, 7fr);
  gap: 18px;
  align-items: start;
  width: 100%;
}
.tpop-order-assistant .tpop-oa-form, .tpop-order-assistant .tpop-oa-result {
  min-width: 0; width: 100%; overflow: visible;
}
.tpop-order-assistant .tpop-oa-form { padding: 16px 18px; gap: 6px; }
.tpop-order-assistant .tpop-oa-form > * { width: 100%; }
.tpop-order-assistant .widget-label-basic, .tpop-order-assistant .tpop-field-label {
  font-size: 13px; font-weight: 600; color: var(--tpop-muted);
}
.tpop-order-assistant .tpop-order-input { width: 100%; margin: 0; }
.tpop-order-assistant .tpop-order-input textarea {
  min-height: 150px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 13px; border-radius: 8px; padding: 8px 10px; resize: vertical;
}
.tpop-order-assistant .tpop-oa-fields {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
  gap: 10px 14px;
  margin: 4px 0 6px 0;
}
.tpop-order-assistant .tpop-oa-field { min-width: 0; width: 100%; gap: 2px; }
.tpop-order-assistant .widget-text, .tpop-order-assistant .widget-dropdown { height: auto; }
.tpop-order-assistant .tpop-oa-form .tpop-section-title { margin-top: 8px; }
.tpop-order-assistant .tpop-oa-field .widget-text,
.tpop-order-assistant .tpop-oa-field .widget-dropdown,
.tpop-order-assistant .tpop-oa-field .widget-toggle-buttons,
.tpop-order-assistant .tpop-as-of { width: 100%; margin: 0; }
.tpop-order-assistant .tpop-oa-field input, .tpop-order-assistant .tpop-oa-field select,
.tpop-order-assistant .tpop-as-of input {
  height: 32px; border-radius: 6px; font-size: 14px;
}
.tpop-order-assistant .tpop-oa-field .widget-toggle-button { width: auto; flex: 1 1 0; }
.tpop-order-assistant .tpop-oa-hint { font-size: 12.5px; line-height: 1.4; min-height: 0; }
.tpop-order-assistant .tpop-oa-hint .tpop-ok { color: #17723c; }
.tpop-order-assistant .tpop-oa-hint .tpop-bad, .tpop-order-assistant .tpop-bad { color: #b42318; }
.tpop-order-assistant .tpop-oa-asof-row { display: flex; gap: 8px; align-items: center; }
.tpop-order-assistant .tpop-oa-asof-row .tpop-as-of { flex: 1 1 auto; }
.tpop-order-assistant .tpop-oa-actions {
  display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px;
}
.tpop-order-assistant .jupyter-button { border-radius: 6px; height: 34px; font-size: 14px; }
.tpop-order-assistant .tpop-triage-button { font-weight: 600; padding: 0 18px; }
.tpop-order-assistant .tpop-oa-actions .jupyter-button,
.tpop-order-assistant .tpop-as-of-now { width: auto; min-width: 0; padding: 0 14px; }
.tpop-order-assistant .tpop-back-button { width: auto; align-self: flex-start; padding: 0 14px; }
.tpop-order-assistant .tpop-oa-feedback ul { margin: 4px 0 0 0; padding-left: 18px; }
.tpop-order-assistant .tpop-oa-feedback li { margin: 2px 0; }
.tpop-order-assistant .tpop-oa-feedback .tpop-callout { padding: 8px 12px; font-size: 13.5px; }
.tpop-order-assistant .tpop-oa-feedback .tpop-callout + .tpop-callout { margin-top: 6px; }
.tpop-order-assistant .tpop-oa-result { gap: 12px; }
.tpop-order-assistant .tpop-oa-result > * { width: 100%; }
.tpop-order-assistant .tpop-outcome {
  background: var(--tpop-surface); padding: 0; overflow: hidden;
}
.tpop-order-assistant .tpop-outcome-head {
  background: var(--tpop-tone-bg); padding: 14px 18px 12px 18px;
  border-bottom: 1px solid var(--tpop-tone-border);
}
.tpop-order-assistant .tpop-outcome-head h2 {
  font-size: 21px; font-weight: 700; color: var(--tpop-tone-fg); margin: 4px 0 4px 0;
}
.tpop-order-assistant .tpop-outcome-head p { margin: 0; }
.tpop-order-assistant .tpop-outcome-body { padding: 12px 18px 16px 18px; }
.tpop-order-assistant .tpop-outcome-body > section { margin-top: 14px; }
.tpop-order-assistant .tpop-outcome-body > section:first-child { margin-top: 0; }
.tpop-order-assistant .tpop-outcome h3, .tpop-order-assistant .tpop-oa-question h3 {
  font-size: 12.5px; font-weight: 700; letter-spacing: 0.05em; text-transform: uppercase;
  color: var(--tpop-muted); margin: 0 0 6px 0;
}
.tpop-order-assistant .tpop-steps { margin: 0; padding-left: 22px; }
.tpop-order-assistant .tpop-steps li { margin: 3px 0; }
.tpop-order-assistant .tpop-oa-dates { display: grid; gap: 6px; }
.tpop-order-assistant .tpop-oa-date {
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px;
  padding: 8px 12px; border-radius: 8px; background: var(--tpop-canvas);
}
.tpop-order-assistant .tpop-oa-date strong { font-size: 16px; }
.tpop-order-assistant .tpop-oa-date .tpop-rel {
  font-weight: 600; color: var(--tpop-tone-fg);
}
.tpop-order-assistant .tpop-oa-date code { font-size: 12px; color: var(--tpop-muted); }
.tpop-order-assistant .tpop-oa-links { display: flex; flex-direction: column; gap: 6px; }
.tpop-order-assistant .tpop-oa-links a { font-weight: 600; overflow-wrap: anywhere; }
.tpop-order-assistant .tpop-callout h4 { margin: 0 0 4px 0; font-size: 14.5px; }
.tpop-order-assistant .tpop-callout p { margin: 0 0 4px 0; }
.tpop-order-assistant .tpop-oa-path { margin: 0; padding-left: 0; list-style: none; }
.tpop-order-assistant .tpop-oa-path li {
  display: flex; flex-wrap: wrap; gap: 2px 8px; align-items: baseline;
  padding: 5px 0; border-bottom: 1px dashed var(--tpop-border); font-size: 14px;
}
.tpop-order-assistant .tpop-oa-path li:last-child { border-bottom: 0; }
.tpop-order-assistant .tpop-oa-path .tpop-q { flex: 1 1 260px; }
.tpop-order-assistant .tpop-oa-path .tpop-a { font-weight: 650; }
.tpop-order-assistant .tpop-src { font-size: 12px; color: var(--tpop-muted); }
.tpop-order-assistant .tpop-quote {
  margin: 0 0 8px 0; padding: 6px 12px; border-left: 3px solid var(--tpop-border);
  color: var(--tpop-ink); font-size: 14px; background: var(--tpop-canvas);
  border-radius: 0 6px 6px 0;
}
.tpop-order-assistant .tpop-more-passages summary {
  cursor: pointer; color: var(--tpop-accent); font-size: 14px; margin: 4px 0 8px 0;
}
.tpop-order-assistant .tpop-quote footer { font-size: 12px; color: var(--tpop-muted); }
.tpop-order-assistant .tpop-oa-question { padding: 16px 18px; }
.tpop-order-assistant .tpop-question-text {
  font-size: 20px; font-weight: 700; margin: 10px 0 4px 0;
}
.tpop-order-assistant .tpop-step-of { font-weight: 600; }
.tpop-order-assistant .tpop-progress {
  height: 6px; border-radius: 3px; background: var(--tpop-border); overflow: hidden;
  margin: 4px 0 12px 0;
}
.tpop-order-assistant .tpop-progress span {
  display: block; height: 100%; background: var(--tpop-accent);
}
.tpop-order-assistant .tpop-oa-answers { display: flex; flex-wrap: wrap; gap: 8px; }
.tpop-order-assistant .tpop-oa-answers .jupyter-button { width: auto; min-width: 90px; }
.tpop-order-assistant .tpop-answer { font-weight: 600; }
.tpop-order-assistant .tpop-oa-draft {
  border: 1px solid var(--tpop-border); border-radius: var(--tpop-radius);
  padding: 12px 14px; background: var(--tpop-surface); gap: 6px;
}
.tpop-order-assistant .tpop-oa-draft .widget-textarea { width: 100%; margin: 0; }
.tpop-order-assistant .tpop-oa-draft textarea {
  font-family: var(--tpop-font); font-size: 14px; line-height: 1.45; border-radius: 6px;
  padding: 8px 10px; resize: vertical;
}
.tpop-order-assistant .tpop-draft-head {
  display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 6px;
}
.tpop-order-assistant .tpop-draft-title { font-weight: 650; }
.tpop-order-assistant button.tpop-copy {
  font-family: var(--tpop-font); font-size: 14px; font-weight: 600; cursor: pointer;
  height: 32px; padding: 0 16px; border-radius: 6px; border: 1px solid var(--tpop-accent);
  background: var(--tpop-accent); color: #fff;
}
.tpop-order-assistant button.tpop-copy:hover { filter: brightness(1.1); }
.tpop-order-assistant .tpop-oa-placeholder {
  border: 1px dashed var(--tpop-border); border-radius: var(--tpop-radius);
  padding: 28px 22px; color: var(--tpop-muted); background: var(--tpop-canvas);
}
.tpop-order-assistant .tpop-home { font-size: 13px; }
.tpop-order-assistant .tpop-oa-live { gap: 6px; }
.tpop-order-assistant .tpop-live { padding: 10px 14px; }
.tpop-order-assistant .tpop-live p { margin: 0 0 2px 0; }
.tpop-order-assistant .tpop-live-use { align-self: flex-start; padding: 0 14px; }
@media (max-width: 980px) {
  .tpop-order-assistant .tpop-oa-body { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 720px) {
  .tpop-order-assistant .tpop-oa-form { padding: 12px; }
  .tpop-order-assistant .tpop-outcome-head, .tpop-order-assistant .tpop-outcome-body {
    padding-left: 12px; padding-right: 12px;
  }
  .tpop-order-assistant .tpop-oa-fields { grid-template-columns: minmax(0, 1fr); }
}
"""


_Html = Html  # already-escaped HTML for _html


def _text(key: str, lang: str, **values: Any) -> str:
    """Page wording as plain text."""
    return page_text(f"order_assistant.{key}", lang, **values)


def _html(key: str, lang: str, **values: Any) -> str:
    """Page wording as HTML, text and values escaped."""
    return page_html(f"order_assistant.{key}", lang, **values)


def _plural(key: str, lang: str, n: int) -> str:
    form = "one" if Locale.parse(lang).plural_form(abs(n)) == "one" else "other"
    return _text(f"{key}_{form}", lang, n=n)


def _format(value: dt.date | dt.datetime, lang: str, kind: str, as_of: dt.datetime) -> str:
    """A short localised date ('mar. 24 nov. 15:00'); the year only when not as-of's."""
    name = kind if value.year == as_of.year else f"{kind}_year"
    pattern = _text(f"formats.{name}", lang)
    locale = _BABEL_LOCALES[lang]
    if isinstance(value, dt.datetime):
        return format_datetime(value, pattern, locale=locale)
    return format_date(value, pattern, locale=locale)


def _answer_words(section: str, key: str, lang: str) -> str:
    """Words of data/ui/answer.yaml (shared with `python -m tpop_kb answer`)."""
    texts = knowledge().ui.get("answer", {}).get(section, {}).get(key, {})
    return str(texts.get(lang) or texts.get("en") or key)


def _long(value: dt.datetime, lang: str) -> str:
    return format_datetime(value, _text("formats.long_datetime", lang),
                           locale=_BABEL_LOCALES[lang])


def _rows(text: str, width: int = 80, most: int = 26) -> int:
    """Textarea rows to show ``text`` whole (wrapped at about ``width`` characters)."""
    lines = sum(max(1, -(-len(line) // width)) for line in text.split("\n"))
    return min(lines + 1, most)


def _column_label(column: str, lang: str) -> str:
    return str(knowledge().columns["columns"][column]["label"][lang])


@lru_cache(maxsize=4)
def _country_options(lang: str) -> tuple[tuple[str, str], ...]:
    names = [(country_name(code, lang), code) for code in country_codes()]
    return tuple(sorted(names, key=lambda item: normalize_key(item[0])))


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
        if params.get("lang") in ("en", "fr"):
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
        # live La Poste status: the number asked about, answers by number, the worker
        self._live_lock = threading.RLock()
        self._live_number = ""
        self._live_answers: dict[str, tuple[float, LiveStatus]] = {}
        self._live_thread: threading.Thread | None = None
        self._visitor_thread: threading.Thread | None = None
        super().__init__(lang=lang, **state)
        if self.knowledge_error is not None:
            return
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
        self.page_style = self._page_style(PAGE_CSS)
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
        self.form = widgets.VBox([
            self.order_heading, self.paste_input, self.paste_feedback, self.paste_choices,
            self.fields_heading,
            self.fields, self.as_of_box, self.actions, self.form_status,
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
        self.draft_boxes = []
        for title, text in zip(self.draft_titles, self.draft_texts, strict=True):
            text.layout.width = "100%"
            text.add_class("tpop-draft-text")
            box = widgets.VBox([title, text])
            box.add_class("tpop-draft")
            box.add_class("tpop-oa-draft")
            self.draft_boxes.append(box)
        self.drafts_box = widgets.VBox([self.replies_heading, *self.draft_boxes])
        self.drafts_box.add_class("tpop-oa-drafts")
        self.result = widgets.VBox([
            self.placeholder, self.questions, self.back_button, self.outcome, self.live_box,
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
        self._reset()
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
        self._render_as_of()
        if self.state.phase != "form" and self._as_of() is not None:
            self._run(reset=False)

    @guarded
    def _on_now(self, _button: widgets.Button) -> None:
        self.state.as_of = now_paris().strftime(AS_OF_FORMAT)

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
        self._reset()
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
        self.state.set_trait("answers", answers)
        self.state.set_trait("assumed", assumed)
        self.state.asked = asked
        self._run(reset=False)

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

    def _reset(self) -> None:
        self.decision = None
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
            if params.get("lang") in ("en", "fr"):
                self.state.lang = params["lang"]
            # Setting the as-of moment also tells the server the kernel is in use (a
            # widget message), so idle culling counts from the visitor's arrival, not
            # from when the page was built (unless the moment does not change: a page
            # given its moment in code, or built this very minute).
            if params.get("as_of"):
                self.state.as_of = params["as_of"]
            elif refresh_as_of:
                self.state.as_of = now_paris().strftime(AS_OF_FORMAT)
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
        as_of = self._as_of()
        if as_of is None:
            self.decision = None
            self.state.phase = "form"
            self.form_status.value = (
                f'<span class="tpop-bad">{_html("fix_as_of", self.lang)}</span>'
            )
            self._render_result()
            return
        self.form_status.value = ""
        if reset:
            self.state.answers = {}
            self.state.asked = []
            self.state.assumed = []
        order = order_from_record(self._record())
        self.decision = triage_order(order, as_of, answers=dict(self.state.answers))
        self.state.phase = "questions" if self.decision.unknown_steps else "result"
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
        self.state.asked = [*self.state.asked, fact]
        self._run(reset=False)

    # -- state -> widgets ------------------------------------------------------------
    def _render(self) -> None:
        lang = self.lang
        home = f'<a class="tpop-home" href="index.ipynb">{_html("home", lang)}</a>'
        self.brand.value = brand_html(lang, home)
        self.intro.value = (
            f'<div class="tpop-hero" lang="{esc(lang)}"><h1>{_html("title", lang)}</h1>'
            f'<p class="tpop-lead">{_html("lead", lang)}</p></div>'
        )
        self.order_heading.value = (
            f'<h2 class="tpop-section-title">{_html("order_heading", lang)}</h2>'
            f'<label class="tpop-field-label">{_html("paste_label", lang)}</label>'
        )
        self.paste_input.placeholder = _text("paste_placeholder", lang)
        self.fields_heading.value = (
            f'<h2 class="tpop-section-title">{_html("fields_heading", lang)}</h2>'
        )
        for column, label in self.field_labels.items():
            label.value = esc(_column_label(column, lang))
        for column in TEXT_FIELDS:
            self.inputs[column].placeholder = _text(f"field_placeholder.{column}", lang)
        self._render_choices()
        self.as_of_label.value = esc(_text("as_of_label", lang))
        self.as_of_input.placeholder = "2026-11-26T10:00"
        self.as_of_now.description = _text("as_of_now", lang)
        self.triage_button.description = _text("triage", lang)
        self.clear_button.description = _text("clear", lang)
        self.dont_know_button.description = _text("dont_know", lang)
        self.back_button.description = _text("back", lang)
        if self.form_status.value:
            self.form_status.value = (
                f'<span class="tpop-bad">{_html("fix_as_of", lang)}</span>'
            )
        self._render_feedback()
        self._render_hints()
        self._render_as_of()
        self._render_result()

    def _render_choices(self) -> None:
        """Dropdown and toggle options in the page's language, values kept."""
        lang = self.lang
        tree = knowledge().tree
        claim_node = tree.question_for("customer_claim")
        unknown = _text("unknown", lang)
        options = {
            "destination_country": [(unknown, ""), *_country_options(lang)],
            "tracking_status": [(unknown, "")]
            + [(_text(f"status.{s}", lang), s) for s in CHOICE_STATUS],
            "customer_claim": [(unknown, "")]
            + [(tree.answer_label(claim_node, c, lang), c) for c in CHOICE_CLAIM],
            "store_tracking_synced": [
                (_text(f"synced.{s or 'unknown'}", lang), s) for s in CHOICE_SYNCED
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
        parts: list[str] = []
        if self.paste_error is not None:
            code = self.paste_error.code
            parts.append(
                f'<div class="tpop-callout tpop-tone-error tpop-paste-error" '
                f'data-code="{esc(code)}">{_html(f"paste_error.{code}", lang)}'
                f"{self._problems_html(self.paste_error.problems)}</div>"
            )
        elif self.parsed is not None:
            parsed = self.parsed
            if parsed.found:
                items = "".join(
                    f'<li data-field="{esc(f.field)}" data-certainty="{esc(f.certainty)}">'
                    f"<strong>{esc(_column_label(f.field, lang))}</strong> — "
                    f'<span class="tpop-muted">{self._how_html(f.how, f.source)}</span>'
                    f"{self._certainty_html(f)}</li>"
                    for f in parsed.found
                )
                parts.append(
                    '<div class="tpop-callout tpop-tone-done tpop-paste-ok">'
                    f'<strong>{_html(f"paste_format.{parsed.format}", lang)}.</strong> '
                    f'{_html("recognised", lang)}<ul>{items}</ul></div>'
                )
            question = self._open_paste_question()
            if question is not None:
                parts.append(
                    '<div class="tpop-callout tpop-tone-act tpop-paste-question" '
                    f'data-field="{esc(question.field)}">'
                    + esc(_answer_words("field_question", question.field, lang)
                          .replace("{detail}", question.detail))
                    + "</div>"
                )
            if parsed.problems:
                parts.append(
                    '<div class="tpop-callout tpop-tone-wait tpop-paste-problems">'
                    f"{self._problems_html(parsed.problems)}</div>"
                )
            for note in parsed.notes:
                values = dict(note.values)
                if "countries" in values:
                    values["countries"] = ", ".join(
                        country_name(c.strip(), lang) for c in values["countries"].split(",")
                    )
                parts.append(
                    f'<div class="tpop-callout tpop-tone-act tpop-paste-note" '
                    f'data-note="{esc(note.code)}">{_html(f"note.{note.code}", lang, **values)}'
                    "</div>"
                )
            if parsed.ignored:
                parts.append(
                    '<p class="tpop-small tpop-muted tpop-paste-ignored">'
                    f'{_html("ignored", lang, labels=", ".join(parsed.ignored))}</p>'
                )
        else:
            parts.append(f'<p class="tpop-small tpop-muted">{_html("paste_hint", lang)}</p>')
        self.paste_feedback.value = "".join(parts)
        question = self._open_paste_question() if self.paste_error is None else None
        for i, button in enumerate(self.paste_choice_buttons):
            choices = question.choices if question is not None else ()
            button.layout.display = "" if i < len(choices) else "none"
            if i < len(choices):
                button.description = choice_label(choices[i], lang)
        self.paste_choices.layout.display = "" if question is not None else "none"

    def _certainty_html(self, found: Any) -> str:
        """' · inferred: first "taken in charge" event…' (nothing for a value as written)."""
        lang = self.lang
        explained = why_text(found.why, found.detail, lang)
        if found.certainty == "certain" and not explained:
            return ""
        words = _answer_words("certainty", found.certainty, lang)
        tail = f" : {explained}" if lang == "fr" else f": {explained}"
        return (f' <span class="tpop-certainty tpop-certainty-{esc(found.certainty)}">· '
                f"{esc(words)}{esc(tail) if explained else ''}</span>")

    def _how_html(self, how: str, source: str) -> str:
        if how == "text" or not source:
            return _html("how.text", self.lang)
        return _html(f"how.{how}", self.lang, source=source)

    def _problems_html(self, problems: list[Any]) -> str:
        if not problems:
            return ""
        lang = self.lang
        items = "".join(
            f'<li data-field="{esc(p.field)}">'
            + _html(
                "problem", lang, field=_column_label(p.field, lang), value=p.value,
                fix=_text("problem_fix_text" if p.field in TEXT_FIELDS else "problem_fix_choice",
                          lang),
            )
            + "</li>"
            for p in problems
        )
        return f"<ul>{items}</ul>"

    def _render_hints(self) -> None:
        lang = self.lang
        hints = {c: "" for c in CANONICAL_COLUMNS}
        shipped = self.state.shipped_at.strip()
        if shipped:
            try:
                value = parse_datetime(shipped)
                if time_given(value):
                    written = _long(value, lang)
                else:
                    written = (f"{format_reply_date(value.date(), lang)} — "
                               f"{_answer_words('why', 'time_not_given', lang)}")
                hints["shipped_at"] = f'<span class="tpop-ok">✓ {esc(written)}</span>'
            except ValueError:
                hints["shipped_at"] = (
                    f'<span class="tpop-bad">{_html("date_error", lang, value=shipped)}</span>'
                )
        elif (question := self._open_paste_question()) is not None and (
                question.field == "shipped_at"):
            hints["shipped_at"] = f'<span class="tpop-act">{_html("shipped_choose", lang)}</span>'
        else:
            hints["shipped_at"] = f'<span class="tpop-muted">{_html("shipped_empty", lang)}</span>'
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
        lang = self.lang
        value = self._as_of()
        if value is None:
            self.as_of_hint.value = (
                f'<span class="tpop-bad tpop-as-of-error">'
                f'{_html("as_of_error", lang, value=self.state.as_of)}</span>'
            )
        else:
            now = abs((value - now_paris()).total_seconds()) < 120
            self.as_of_hint.value = (
                f'<span class="tpop-ok tpop-as-of-value">✓ {esc(_long(value, lang))}</span>'
                f' <span class="tpop-muted">· '
                f'{_html("as_of_hint" if now else "as_of_hint_other", lang)}</span>'
            )

    def _render_result(self) -> None:
        phase = self.state.phase
        lang = self.lang
        show = {
            self.placeholder: phase == "form",
            self.questions: phase == "questions",
            self.back_button: phase == "questions" or (phase == "result" and bool(
                self.state.asked)),
            self.outcome: phase == "result",
            self.live_box: phase == "result" and bool(self._live_number),
            self.drafts_box: phase == "result",
        }
        for widget, visible in show.items():
            widget.layout.display = "" if visible else "none"
        if phase == "form":
            self.placeholder.value = (
                f'<div class="tpop-oa-placeholder">'
                f'<h2 class="tpop-section-title">{_html("answer_heading", lang)}</h2>'
                f'<p>{_html("start_hint", lang)}</p></div>'
            )
            self.outcome.value = ""
            self._render_drafts([])
        elif phase == "questions":
            self._render_question()
            self.outcome.value = ""
            self._render_drafts([])
        elif self.decision is not None:
            self.outcome.value = self._outcome_html(self.decision)
            self._render_drafts(drafts(self.decision, lang))
        self._ask_live()

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
            lang = self.lang
            status = self.live_answer()
            if status is None:
                kind, tone = "asking", "wait"
                body = (
                    f'<p class="tpop-live-asking" role="status">'
                    f'{_html("live.asking", lang, number=number)}</p>'
                )
            else:
                kind = status.problem or "ok"
                tone = "done" if kind == "ok" else "wait"
                body = f'<p class="tpop-live-message">{esc(status.message(lang))}</p>'
                form = self.state.tracking_status
                if kind == "ok" and status.tracking_status and status.tracking_status != form:
                    said = _text(f"status.{form}", lang) if form else _text("unknown", lang)
                    body += (
                        f'<p class="tpop-small tpop-muted tpop-live-form">'
                        f'{_html("live.form_status", lang, status=said)}</p>'
                    )
                    self.live_use.description = _text(
                        "live.use", lang, status=_text(f"status.{status.tracking_status}", lang)
                    )
                    self.live_use.layout.display = ""
            self.live_html.value = (
                f'<section class="tpop-callout tpop-tone-{tone} tpop-live" data-live="{kind}" '
                f'data-number="{esc(number)}"><h4>{_html("live.heading", lang)}</h4>'
                f"{body}</section>"
            )

    def _render_question(self) -> None:
        lang = self.lang
        step = self._pending()
        decision = self.decision
        if step is None or decision is None:
            return
        tree = decision.tree
        node = step.node
        k = len(self.state.asked) + 1
        n = len(self.state.asked) + len(decision.unknown_steps)
        before = decision.path[: decision.path.index(step)]
        known = [s for s in before if s.known]
        known_html = ""
        if known:
            known_html = (
                f'<h3>{_html("so_far", lang)}</h3>'
                f'<ol class="tpop-oa-path tpop-known-steps">{self._path_items(known)}</ol>'
            )
        passages = "".join(self._quote(pid) for pid in node.passages)
        width = int(100 * (k - 1) / max(n, 1))
        self.question.value = (
            f'<h2 class="tpop-section-title">{_html("questions_heading", lang)}</h2>'
            f'<div class="tpop-step-of" data-k="{k}" data-n="{n}">'
            f'{_html("step_of", lang, k=k, n=n)}</div>'
            f'<div class="tpop-progress"><span style="width:{width}%"></span></div>'
            f"{known_html}"
            f'<h2 class="tpop-question-text" data-node="{esc(node.id)}">'
            f"{esc(tree.fill(node.text[lang]))}</h2>"
            f'<p class="tpop-muted">{esc(tree.fill(node.help[lang]))}</p>'
            f'<h3>{_html("rests_on", lang)}</h3>{passages}'
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
        self.dont_know_hint.value = _html(
            "dont_know_hint", lang, answer=tree.answer_label(node, node.when_unknown, lang)
        )

    def _render_drafts(self, found: list[Draft]) -> None:
        lang = self.lang
        if self.state.phase == "result" and self.decision is not None:
            if found:
                intro = f'<p class="tpop-small tpop-muted">{_html("copy_hint", lang)}</p>'
            else:
                intro = f'<p class="tpop-callout tpop-no-reply">{_html("no_reply", lang)}</p>'
            self.replies_heading.value = (
                f'<h2 class="tpop-section-title">{_html("replies_heading", lang)}</h2>{intro}'
            )
        for i, box in enumerate(self.draft_boxes):
            if i < len(found):
                draft = found[i]
                recipient = _html("to_tpop" if draft.to == "tpop" else "to_customer", lang)
                self.draft_titles[i].value = (
                    f'<div class="tpop-draft-head" data-draft="{esc(draft.id)}" '
                    f'data-to="{esc(draft.to)}">'
                    f'<span><span class="tpop-badge">{recipient}</span> '
                    f'<span class="tpop-draft-title">{esc(draft.title)}</span></span>'
                    f'<button type="button" class="tpop-copy" '
                    f'data-label="{_html("copy", lang)}" data-done="{_html("copied", lang)}" '
                    f'data-fail="{_html("copy_failed", lang)}" onclick="{esc(_COPY_JS)}">'
                    f'{_html("copy", lang)}</button></div>'
                )
                self.draft_texts[i].value = draft.text
                self.draft_texts[i].rows = _rows(draft.text)
                box.layout.display = ""
            else:
                self.draft_texts[i].value = ""
                box.layout.display = "none"

    # -- the outcome card -------------------------------------------------------------
    def _outcome_html(self, decision: Decision) -> str:
        lang = self.lang
        node = decision.outcome
        tree = decision.tree
        values = self._date_values(decision)
        summary = esc(tree.fill(node.summary[lang], **values))
        steps = "".join(f"<li>{esc(tree.fill(s, **values))}</li>" for s in node.steps[lang])
        sections = [
            f'<section class="tpop-oa-todo"><h3>{_html("what_to_do", lang)}</h3>'
            f'<ol class="tpop-steps">{steps}</ol></section>'
        ]
        if decision.errors:
            sections.insert(0, self._errors_html(decision))
        dates = self._dates_html(decision)
        if dates:
            sections.append(dates)
        sections.append(self._links_html(decision))
        sections.extend(self._callouts_html(decision))
        sections.append(
            f'<section><h3>{_html("path_heading", lang)}</h3>'
            f'<ol class="tpop-oa-path tpop-path">{self._path_items(decision.path)}</ol></section>'
        )
        main = list(node.passages) + [
            p for f in decision.flags for p in tree.flags[f].passages if p not in node.passages
        ]
        others = [p for p in decision.passages if p not in main]
        more = ""
        if others:
            more = (
                f'<details class="tpop-more-passages"><summary>'
                f'{_html("more_passages", lang, n=len(others))}</summary>'
                f'{"".join(self._quote(pid) for pid in others)}</details>'
            )
        sections.append(
            f'<section class="tpop-oa-passages"><h3>{_html("passages_heading", lang)}</h3>'
            f'{"".join(self._quote(pid) for pid in main)}{more}</section>'
        )
        as_of = _long(decision.as_of, lang)
        order_line = ""
        if decision.order.order_id:
            order_line = (
                f'<span class="tpop-badge tpop-outcome-order">'
                f'{_html("order_line", lang, order_id=decision.order.order_id)}</span> '
            )
        return (
            f'<div class="tpop-outcome tpop-card tpop-tone-{esc(node.tone)}" '
            f'data-outcome="{esc(node.id)}" lang="{esc(lang)}">'
            '<div class="tpop-outcome-head">'
            f'<span class="tpop-section-title">{_html("answer_heading", lang)}</span> '
            f"{order_line}"
            f'<span class="tpop-small tpop-muted tpop-outcome-as-of">'
            f'{_html("as_of_line", lang, as_of=as_of)}</span>'
            f'<h2 class="tpop-outcome-title">{esc(node.title[lang])}</h2>'
            f'<p class="tpop-outcome-summary">{summary}</p>'
            "</div>"
            f'<div class="tpop-outcome-body">{"".join(sections)}</div>'
            "</div>"
        )

    def _date_values(self, decision: Decision) -> dict[str, str]:
        """Placeholders of the outcome's texts, with dates written out in the page language."""
        lang = self.lang
        values = {k: str(v) for k, v in decision.values().items()}
        if decision.recheck_at is not None:
            values["recheck_at"] = format_reply_datetime(decision.recheck_at, lang)
        if decision.contact_from is not None:
            values["contact_from"] = format_reply_date(decision.contact_from, lang)
        return values

    def _errors_html(self, decision: Decision) -> str:
        lang = self.lang
        items = []
        for error in decision.errors:
            column, sep, message = error.partition(": ")
            if sep and column in CANONICAL_COLUMNS:
                items.append(
                    f"<li><strong>{esc(_column_label(column, lang))}</strong> — "
                    f"{esc(message)}</li>"
                )
            else:
                items.append(f"<li>{esc(error)}</li>")
        return (
            '<section class="tpop-callout tpop-tone-error tpop-oa-errors">'
            f'<h4>{_html("errors_heading", lang)}</h4><ul>{"".join(items)}</ul></section>'
        )

    def _dates_html(self, decision: Decision) -> str:
        lang = self.lang
        as_of = decision.as_of
        rows = []
        shipped = decision.order.shipped_at if not decision.errors else None
        if shipped is not None and decision.days_since_shipped is not None:
            days = decision.days_since_shipped
            relative = _text("today", lang) if days == 0 else _plural("days_ago", lang, days)
            if time_given(shipped):
                when = _Html(f"<strong>{esc(_format(shipped, lang, 'datetime', as_of))}</strong>")
            else:  # the cautious reading (end of the day) is said, not shown as 23:59
                when = _Html(
                    f"<strong>{esc(_format(shipped.date(), lang, 'date', as_of))}</strong> "
                    f'<span class="tpop-muted tpop-time-not-given">('
                    f"{esc(_text('time_not_given_assumed', lang))})</span>"
                )
            rows.append(
                '<div class="tpop-oa-date tpop-shipped">'
                f'<span>{_html("shipped_line", lang, date=when)}</span>'
                f'<span class="tpop-rel">{esc(relative)}</span>'
                f"<code>{shipped.strftime(FIELD_FORMAT if time_given(shipped) else '%Y-%m-%d')}"
                "</code></div>"
            )
        if decision.recheck_at is not None:
            recheck = decision.recheck_at
            rows.append(
                '<div class="tpop-oa-date tpop-recheck-at">'
                f'<span>{_html("recheck_label", lang)}</span>'
                f"<strong>{esc(_format(recheck, lang, 'datetime', as_of))}</strong>"
                f'<span class="tpop-rel">{esc(self._until(recheck, as_of))}</span>'
                f'<code><time datetime="{recheck.strftime(AS_OF_FORMAT)}">'
                f"{recheck.strftime(FIELD_FORMAT)}</time></code></div>"
            )
        if decision.contact_from is not None:
            contact = decision.contact_from
            days = (contact - as_of.date()).days
            if days > 0:
                relative = _plural("in_days", lang, days)
            elif days == 0:
                relative = _text("today", lang)
            else:
                relative = _plural("days_ago", lang, -days)
            rows.append(
                '<div class="tpop-oa-date tpop-contact-from">'
                f'<span>{_html("contact_label", lang)}</span>'
                f"<strong>{esc(_format(contact, lang, 'date', as_of))}</strong>"
                f'<span class="tpop-rel">{esc(relative)}</span>'
                f'<code><time datetime="{contact.isoformat()}">{contact.isoformat()}</time>'
                "</code></div>"
            )
        if not rows:
            return ""
        return (
            f'<section class="tpop-oa-dates-section"><h3>{_html("dates_heading", lang)}</h3>'
            f'<div class="tpop-oa-dates">{"".join(rows)}</div></section>'
        )

    def _until(self, moment: dt.datetime, as_of: dt.datetime) -> str:
        """'in 2 working days', 'in 5 hours' (same day) or 'in 1 day' (over a weekend)."""
        lang = self.lang
        if moment.date() == as_of.date():
            hours = max(int((moment - as_of).total_seconds() // 3600), 0)
            return _plural("in_hours", lang, hours) if hours else _text("today", lang)
        working = working_days_between(as_of.date(), moment.date())
        if working > 0:
            return _plural("in_working_days", lang, working)
        return _plural("in_days", lang, (moment.date() - as_of.date()).days)

    def _links_html(self, decision: Decision) -> str:
        lang = self.lang
        order = decision.order
        number = order.tracking_number or ""
        items = []
        if not number:
            if decision.facts.get("shipped") == "yes":
                items.append(f'<p class="tpop-muted">{_html("no_tracking_number", lang)}</p>')
        else:
            url = la_poste_url(number)
            items.append(
                f'<a class="tpop-laposte-link" href="{esc(url)}" target="_blank" '
                f'rel="noopener noreferrer">{_html("la_poste_link", lang, number=number)} ↗</a>'
            )
            check = check_tracking_number(number)
            if check.flag:
                items.append(
                    '<p class="tpop-bad tpop-small tpop-tracking-warning">'
                    f"⚠ {esc(check.message(lang))}</p>"
                )
            country = order.destination_country
            if country and country != "FR":
                operator = destination_post(country)
                name = country_name(country, lang)
                if operator is None:
                    items.append(
                        '<p class="tpop-muted tpop-destination-none">'
                        f'{esc(postal_text("destination.none", lang, country=name))}</p>'
                    )
                else:
                    link = destination_post_url(country, number)
                    label = postal_text(
                        "destination.link", lang, operator=operator.name, country=name
                    )
                    items.append(
                        f'<a class="tpop-destination-link" href="{esc(link)}" target="_blank" '
                        f'rel="noopener noreferrer" data-country="{esc(country)}">'
                        f"{esc(label)} ↗</a>"
                    )
                    if operator.search_only:
                        items.append(
                            '<p class="tpop-small tpop-muted">'
                            + esc(postal_text("destination.search_only", lang,
                                              operator=operator.name, number=number))
                            + "</p>"
                        )
                    if not operator.confirmed:
                        items.append(
                            '<p class="tpop-small tpop-muted tpop-destination-unconfirmed">'
                            + esc(operator.note(lang)) + "</p>"
                        )
        if not items:
            return ""
        return (
            f'<section class="tpop-oa-links-section"><h3>{_html("links_heading", lang)}</h3>'
            f'<div class="tpop-oa-links">{"".join(items)}</div></section>'
        )

    def _callouts_html(self, decision: Decision) -> list[str]:
        lang = self.lang
        kb = knowledge()
        out = []
        if "tracking-may-lag" in decision.passages:
            passage = kb.article.passages["tracking-may-lag"]
            out.append(
                '<section class="tpop-callout tpop-tone-wait tpop-caveat">'
                f'<h4>{_html("caveat_title", lang)}</h4><p>{esc(passage.in_(lang))}</p>'
                "</section>"
            )
        for flag_id in decision.flags:
            flag = decision.tree.flags[flag_id]
            out.append(
                f'<section class="tpop-callout tpop-tone-act tpop-flag" data-flag="{esc(flag_id)}">'
                f"<h4>{esc(flag.title[lang])}</h4><p>{esc(flag.text[lang])}</p></section>"
            )
        return out

    def _path_items(self, steps: list[Step]) -> str:
        """One list item per question: the question, the answer, and where it came from."""
        lang = self.lang
        decision = self.decision
        if decision is None:
            return ""
        tree = decision.tree
        from_order, _, _ = order_facts(decision.order, decision.as_of, tree)
        items = []
        for step in steps:
            fact = step.node.fact
            if from_order.get(fact) is not None:
                source, key = "order", "from_order"
            elif fact in self.state.assumed:
                source, key = "assumed", "assumed"
            else:
                source, key = "you", "from_you"
            items.append(
                f'<li data-node="{esc(step.node.id)}" data-source="{source}">'
                f'<span class="tpop-q">{esc(tree.fill(step.node.text[lang]))}</span>'
                f'<span class="tpop-a">{esc(tree.answer_label(step.node, step.answer, lang))}'
                f'</span><span class="tpop-src">({_html(key, lang)})</span></li>'
            )
        return "".join(items)

    def _quote(self, passage_id: str) -> str:
        lang = self.lang
        article = knowledge().article
        passage = article.passages[passage_id]
        return (
            f'<blockquote class="tpop-quote" data-passage="{esc(passage_id)}" '
            f'cite="{esc(article.source_url)}"><p>{esc(passage.in_(lang))}</p>'
            f"<footer>{esc(article.title[lang])} · <code>{esc(passage_id)}</code></footer>"
            "</blockquote>"
        )

