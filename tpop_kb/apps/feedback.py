"""The "Was this answer right?" control under the order assistant's answer.

"Yes", or "No / unclear" with a reason (``data/events.yaml`` ``feedback_reasons``) and an
optional comment the control warns must hold no customer data (tpop_kb.events scrubs
it before storing). It records through :func:`tpop_kb.events.record_feedback`, off the
page's thread; it never raises into the page. Its view (state -> HTML) is
:func:`status_html`; its style is ``assets/feedback.css``.
"""

from __future__ import annotations

import logging
from typing import Any

import ipywidgets as widgets

from .. import events
from ._base import asset, wording

__all__ = ["AnswerFeedback", "status_html"]

log = logging.getLogger("tpop_kb.apps")
_KEY = "order_assistant.feedback"


def status_html(status: str, lang: str) -> str:
    """The line under the control: "" (nothing sent yet), "yes", "no" or "off"."""
    if not status:
        return ""
    key = {"yes": "thanks", "no": "thanks_flag", "off": "off"}[status]
    tone = "tpop-muted" if status == "off" else "tpop-ok"
    return (f'<span class="tpop-feedback-status {tone}" role="status" '
            f'data-status="{status}">{wording(f"{_KEY}.{key}", lang)}</span>')


class AnswerFeedback:
    """The control (``.root``); ``reset(ref)`` for each new answer shown, ``render(lang)``."""

    def __init__(self) -> None:
        self.ref = ""
        self.status = ""
        self.lang = "fr"
        self.question = widgets.HTML()
        self.question.add_class("tpop-feedback-question")
        self.yes = widgets.Button(layout={"width": "auto"})
        self.yes.add_class("tpop-feedback-yes")
        self.no = widgets.Button(layout={"width": "auto"})
        self.no.add_class("tpop-feedback-no")
        row = widgets.Box([self.question, self.yes, self.no])
        row.add_class("tpop-feedback-row")
        self.reason = widgets.Dropdown(layout={"width": "auto"})
        self.reason.add_class("tpop-feedback-reason")
        self.comment = widgets.Textarea(rows=2, layout={"width": "100%"})
        self.comment.add_class("tpop-feedback-comment")
        self.warning = widgets.HTML()
        self.warning.add_class("tpop-feedback-warning")
        self.send = widgets.Button(button_style="primary", layout={"width": "auto"})
        self.send.add_class("tpop-feedback-send")
        self.details = widgets.VBox([self.reason, self.warning, self.comment, self.send])
        self.details.add_class("tpop-feedback-details")
        self.details.layout.display = "none"
        self.status_line = widgets.HTML()
        style = widgets.HTML(f"<style>{asset('feedback.css')}</style>")
        style.layout.height = "0"
        self.root = widgets.VBox([style, row, self.details, self.status_line])
        self.root.add_class("tpop-feedback")
        self.yes.on_click(self._on_yes)
        self.no.on_click(self._on_no)
        self.send.on_click(self._on_send)
        self.render("fr")

    def reset(self, ref: str) -> None:
        """A new answer is shown (``ref`` from :func:`tpop_kb.events.record_answer`)."""
        self.ref, self.status = ref, ""
        self.comment.value = ""
        self.details.layout.display = "none"
        self.render(self.lang)

    def render(self, lang: str) -> None:
        self.lang = lang
        self.question.value = wording(f"{_KEY}.question", lang)
        self.yes.description = wording(f"{_KEY}.yes", lang, plain=True)
        self.no.description = wording(f"{_KEY}.no", lang, plain=True)
        self.reason.description = ""
        chosen = self.reason.value
        self.reason.options = [
            (wording(f"{_KEY}.reasons.{r}", lang, plain=True), r)
            for r in events.feedback_reasons()
        ]
        if chosen in events.feedback_reasons():
            self.reason.value = chosen
        self.comment.placeholder = wording(f"{_KEY}.comment_placeholder", lang, plain=True)
        self.warning.value = f'⚠ {wording(f"{_KEY}.warning", lang)}'
        self.send.description = wording(f"{_KEY}.send", lang, plain=True)
        done = bool(self.status)
        for button in (self.yes, self.no, self.send):
            button.disabled = done
        self.status_line.value = status_html(self.status, lang)

    def _record(self, verdict: str, reason: str = "", comment: str = "") -> None:
        try:
            sent = events.record_feedback(self.ref, verdict, reason, comment)
        except Exception as exc:  # recording never breaks the page
            log.warning("feedback not recorded (%s)", type(exc).__name__)
            sent = False
        self.status = verdict if sent else "off"
        self.details.layout.display = "none"
        self.render(self.lang)

    def _on_yes(self, _button: Any) -> None:
        self._record("yes")

    def _on_no(self, _button: Any) -> None:
        self.details.layout.display = ""

    def _on_send(self, _button: Any) -> None:
        self._record("no", str(self.reason.value or "other"), self.comment.value)
