"""The training page's views: a scenario, the engine's decision and the session in, HTML out.

Every function here is plain: data in (a :class:`~tpop_kb.scenarios.Scenario`, its
:class:`~tpop_kb.triage.Decision`, the tree, the language…), an HTML string out, no
widget; :mod:`tpop_kb.apps.training` puts them on the page and the tests read them
directly. Nothing here knows a rule: what is right, which question decided and which
passage it cites all come from the engine's explained path (``decision.path``, each
node's ``passages``) and the scenario's deciding passage. Wording comes from
``data/ui/training.yaml`` through :func:`~tpop_kb.apps._base.wording`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from babel.dates import format_date, format_datetime

from ..countries import country_name
from ..diagram import decision_path, tree_svg
from ..knowledge import LOCALES, Article, Node, Tree
from ..orders import map_columns, parse_datetime
from ..scenarios import Scenario
from ..triage import Decision, Step
from ._base import Html, esc, plural, wording

_K = "training"

__all__ = [
    "action_html",
    "case_html",
    "confirm_html",
    "deciding_html",
    "deciding_step",
    "explain",
    "fact_in_words",
    "feedback_html",
    "flag_html",
    "hero_html",
    "home_html",
    "outcome_walk_html",
    "passage_html",
    "path_diagram_html",
    "progress_html",
    "question_html",
    "result_html",
    "review_html",
    "score_html",
    "step_passage",
    "walk_question_html",
]


def when(value: dt.datetime, lang: str) -> str:
    """A moment as the page writes it (plain text)."""
    return format_datetime(
        value, wording(f"{_K}.formats.datetime", lang, plain=True), locale=LOCALES[lang]
    )


def day(value: dt.date, lang: str) -> str:
    """A day as the page writes it (plain text)."""
    return format_date(value, wording(f"{_K}.formats.date", lang, plain=True), locale=LOCALES[lang])


# -- the page's frame -----------------------------------------------------------------


def hero_html(lang: str, load_error: str = "") -> str:
    """The title and lead; a scenario file that cannot be read is said here."""
    out = (
        f'<div class="tpop-hero" lang="{esc(lang)}"><h1>{wording(f"{_K}.title", lang)}</h1>'
        f'<p class="tpop-lead">{wording(f"{_K}.lead", lang)}</p></div>'
    )
    if load_error:
        out += (
            '<div class="tpop-callout tpop-tone-error tpop-load-error" role="alert">'
            f'<strong>{wording(f"{_K}.load_error", lang)}</strong><p>{esc(load_error)}</p></div>'
        )
    return out


def home_html(lang: str) -> str:
    """The link back to the landing page, in the header."""
    return f'<a class="tpop-home" href="index.ipynb">{wording(f"{_K}.home", lang)}</a>'


def score_html(right: int, total: int, lang: str) -> str:
    value = (
        wording(f"{_K}.score", lang, right=right, total=total)
        if total
        else wording(f"{_K}.score_empty", lang)
    )
    return (
        f'<div class="tpop-score" data-right="{right}" data-total="{total}">'
        f'<span class="tpop-score-label">{wording(f"{_K}.score_heading", lang)}</span>'
        f"<span>{value}</span></div>"
    )


def confirm_html(right: int, total: int, lang: str) -> str:
    """The question asked before a new session wipes the score."""
    return (
        '<div class="tpop-callout tpop-tone-wait tpop-confirm-text" role="alertdialog" '
        'aria-live="assertive">'
        f'<strong>{wording(f"{_K}.confirm_heading", lang)}</strong>'
        f'<p>{wording(f"{_K}.confirm_text", lang, right=right, total=total)}</p></div>'
    )


# -- the case -------------------------------------------------------------------------


def fact_in_words(
    column: str, raw: str, decision: Decision, tree: Tree, lang: str
) -> str:
    """One fact of the order as the agent reads it (HTML): the engine's reading of the raw
    export value in words (a status, yes / no, a country, a date), the raw value when
    the engine could not read it."""
    order = decision.order
    text = raw.strip()
    if not text:
        return f'<span class="tpop-empty">{wording(f"{_K}.empty_value", lang)}</span>'
    if column == "shipped_at":
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        return esc(when(moment, lang)) if moment is not None else esc(text)
    if column == "tracking_status" and order.tracking_status is not None:
        return wording(f"{_K}.status.{order.tracking_status}", lang)
    if column == "store_tracking_synced" and order.store_tracking_synced is not None:
        return wording(f"{_K}.yes" if order.store_tracking_synced else f"{_K}.no", lang)
    if column == "destination_country" and order.destination_country:
        return esc(country_name(order.destination_country, lang))
    if column == "customer_claim" and order.customer_claim is not None:
        node = next((n for n in tree.questions.values() if n.fact == "customer_claim"), None)
        if node is not None and order.customer_claim in node.answers:
            return esc(tree.answer_label(node, order.customer_claim, lang))
    return esc(text)


def case_html(
    case: Scenario,
    decision: Decision,
    tree: Tree,
    columns: Mapping[str, Any],
    number: int,
    count: int,
    lang: str,
) -> str:
    """The scenario's card: its story and the order's facts in words.

    ``columns``: ``columns.yaml``'s ``columns`` (their labels); ``number`` of ``count``.
    """
    canonical = {header: column for column, header in map_columns(case.order).columns.items()}
    rows = []
    for key, raw in case.order.items():
        column = canonical.get(key, key)
        label = columns.get(column, {}).get("label", {}).get(lang, key)
        value = fact_in_words(column, raw, decision, tree, lang)
        rows.append(f'<tr data-field="{esc(column)}"><th>{esc(label)}</th><td>{value}</td></tr>')
    return (
        f'<section class="tpop-card tpop-case" data-scenario="{esc(case.id)}">'
        '<span class="tpop-badge">'
        f'{wording(f"{_K}.scenario_of", lang, n=number, total=count)}</span>'
        f"<h2>{esc(case.title[lang])}</h2>"
        f"<h3>{wording(f'{_K}.case_heading', lang)}</h3>"
        f'<blockquote class="tpop-story">{esc(case.story[lang])}</blockquote>'
        f'<p class="tpop-muted tpop-small tpop-as-of-note">'
        f"{wording(f'{_K}.received', lang, moment=when(case.as_of, lang))}</p>"
        f"<h3>{wording(f'{_K}.facts_heading', lang)}</h3>"
        f'<table class="tpop-table tpop-facts"><tbody>{"".join(rows)}</tbody></table>'
        "</section>"
    )


# -- the quiz -------------------------------------------------------------------------


def _bar(width: int, lang: str) -> str:
    return (
        f'<div class="tpop-progress" role="progressbar" aria-valuenow="{width}" '
        'aria-valuemin="0" aria-valuemax="100" aria-label="'
        f'{wording(f"{_K}.progress_label", lang)}">'
        f'<span style="width:{width}%"></span></div>'
    )


def progress_html(at_action: bool, lang: str) -> str:
    """Above the question: nothing numbered (the question's own Q-number is the one
    number), the last step said in words."""
    text = wording(f"{_K}.action_progress", lang) if at_action else wording(f"{_K}.progress", lang)
    return f'<div class="tpop-progress-text">{text}</div>'


def question_html(
    tree: Tree, node: Node, number: int, step: int, width: int, lang: str
) -> str:
    """A question of the quiz: its tree number (the diagram's), its text and help."""
    return (
        _bar(width, lang)
        + f'<div class="tpop-question" data-step="{step}" data-node="{esc(node.id)}">'
        f'<h2><span class="tpop-badge">Q{number}</span> {esc(tree.fill(node.text[lang]))}</h2>'
        f'<p class="tpop-muted tpop-small">{esc(tree.fill(node.help[lang]))}</p></div>'
    )


def action_html(step: int, width: int, lang: str) -> str:
    return (
        _bar(width, lang)
        + f'<div class="tpop-question" data-step="{step}" data-node="">'
        f'<h2>{wording(f"{_K}.action_question", lang)}</h2></div>'
    )


def explain(step: Step, decision: Decision, tree: Tree, lang: str) -> str:
    """Why this answer for this order (HTML), from the order's facts and the engine's dates."""
    order = decision.order
    fact = step.node.fact
    label = tree.answer_label(step.node, step.answer, lang)
    if not step.known:
        if fact == "shipped":
            return wording(f"{_K}.explain.shipped.no", lang)
        return wording(f"{_K}.explain.unknown", lang, answer=label)
    th = tree.thresholds
    if fact == "input_valid":
        if step.answer == "yes":
            return wording(f"{_K}.explain.input_valid.yes", lang)
        return wording(f"{_K}.explain.input_valid.no", lang, errors="; ".join(decision.errors))
    if fact == "shipped" and order.shipped_at is not None:
        return wording(f"{_K}.explain.shipped.yes", lang, shipped_at=when(order.shipped_at, lang))
    if fact in ("delivered", "tracking_active", "awaiting_collection"):
        status = order.tracking_status or "none"
        return wording(
            f"{_K}.explain.{fact}", lang, status=wording(f"{_K}.status.{status}", lang, plain=True)
        )
    if fact == "customer_claim":
        return wording(f"{_K}.explain.customer_claim", lang, claim=label)
    if fact == "within_activation_window" and decision.activation_deadline is not None:
        assert order.shipped_at is not None
        return wording(f"{_K}.explain.within_activation_window",
            lang,
            shipped_at=when(order.shipped_at, lang),
            deadline=when(decision.activation_deadline, lang),
            as_of=when(decision.as_of, lang),
            activation_working_hours=th["activation_working_hours"],
        )
    if fact == "past_contact_window" and order.shipped_at is not None:
        days = decision.days_since_shipped or 0
        return wording(f"{_K}.explain.past_contact_window",
            lang,
            shipped_date=day(order.shipped_at.date(), lang),
            days=Html(plural(f"{_K}.calendar_days", lang, days)),
            contact_after_days=th["contact_after_days"],
        )
    if fact == "abroad" and order.destination_country:
        return wording(
            f"{_K}.explain.abroad", lang, country=country_name(order.destination_country, lang)
        )
    return esc(label)


def step_passage(step: Step, deciding: str) -> str:
    """The passage that decides a question: the scenario's deciding passage when the
    question cites it, else the first passage the question cites."""
    passages = step.node.passages
    if deciding in passages:
        return deciding
    return passages[0] if passages else ""


def deciding_step(decision: Decision, passage: str) -> Step | None:
    """The question that decided the case: on the engine's path, the last question that
    cites the deciding ``passage``; else the last question asked (the one whose answer
    led to the outcome)."""
    for step in reversed(decision.path):
        if passage in step.node.passages:
            return step
    return decision.path[-1] if decision.path else None


def passage_html(article: Article, pid: str, lang: str) -> str:
    """One article passage, quoted."""
    passage = article.passages.get(pid)
    if passage is None:
        return ""
    return (
        f'<blockquote class="tpop-quote" data-passage="{esc(pid)}">'
        f"{esc(passage.in_(lang))}"
        f"<footer>{wording(f'{_K}.article_says', lang)}"
        f" · {esc(article.title[lang])}</footer></blockquote>"
    )


def feedback_html(
    *,
    correct: bool,
    answer: str,
    why: str,
    passage: str,
    article: Article,
    lang: str,
    deciding: str = "",
) -> str:
    """The feedback after an answer: right or wrong (and the right ``answer``), ``why``
    (HTML), the question that decided (``deciding``, HTML, the final action only) and
    the one passage that decides."""
    head = wording(f"{_K}.right", lang) if correct else wording(f"{_K}.wrong", lang, answer=answer)
    decided = (
        f'<p class="tpop-deciding"><strong>{wording(f"{_K}.deciding_question", lang)}</strong> '
        f"{deciding}</p>"
        if deciding
        else ""
    )
    return (
        f'<div class="tpop-feedback tpop-callout tpop-tone-{"done" if correct else "error"}" '
        f'data-correct="{"true" if correct else "false"}" role="status">'
        f'<div class="tpop-feedback-head">{head}</div>'
        f'<p class="tpop-why"><strong>{wording(f"{_K}.why", lang)}</strong> — {why}</p>'
        f"{decided}{passage_html(article, passage, lang)}</div>"
    )


def deciding_html(step: Step, decision: Decision, tree: Tree, number: int, lang: str) -> str:
    """The question that decided, its answer for this order and why (HTML)."""
    answer = tree.answer_label(step.node, step.answer, lang)
    return (
        f'<span class="tpop-badge" data-node="{esc(step.node.id)}">Q{number}</span> '
        f"{esc(tree.fill(step.node.text[lang]))} → <strong>{esc(answer)}</strong>. "
        f"{explain(step, decision, tree, lang)}"
    )


def flag_html(tree: Tree, flag_id: str, lang: str) -> str:
    flag = tree.flags[flag_id]
    return (
        f'<div class="tpop-callout tpop-tone-wait tpop-flag" data-flag="{esc(flag_id)}">'
        f"<strong>{esc(flag.title[lang])}</strong><p>{esc(flag.text[lang])}</p></div>"
    )


def _steps(decision: Decision, tree: Tree, lang: str) -> str:
    values = decision.values()
    return "".join(
        f"<li>{esc(tree.fill(s, **values))}</li>" for s in decision.outcome.steps[lang]
    )


def result_html(
    case: Scenario, decision: Decision, tree: Tree, right: int, total: int, lang: str
) -> str:
    """The end of a scenario: its score, the outcome and its steps, remarks, the lesson."""
    outcome = decision.outcome
    parts = [
        f'<section class="tpop-result" data-outcome="{esc(outcome.id)}">',
        f'<h3>{wording(f"{_K}.done_heading", lang)}</h3>',
        f'<p><strong>{wording(f"{_K}.done_score", lang, right=right, total=total)}</strong></p>',
        f'<div class="tpop-callout tpop-tone-{esc(outcome.tone)} tpop-result-outcome">'
        f"<h4>{esc(tree.fill(outcome.title[lang], **decision.values()))}</h4>"
        f'<ol class="tpop-steps">{_steps(decision, tree, lang)}</ol></div>',
    ]
    if decision.flags:
        parts.append(f'<h3>{wording(f"{_K}.remarks", lang)}</h3>')
        parts.extend(flag_html(tree, flag_id, lang) for flag_id in decision.flags)
    if case.lesson:
        parts.append(
            f'<h3>{wording(f"{_K}.lesson", lang)}</h3>'
            f'<p class="tpop-lesson">{esc(tree.fill(case.lesson[lang]))}</p>'
        )
    parts.append("</section>")
    return "".join(parts)


def path_diagram_html(
    tree: Tree, decision: Decision, lang: str, steps: int | None = None
) -> str:
    """The decision's path on the tree (the first ``steps`` nodes of it, walk mode)."""
    ids = decision_path(decision)
    shown = ids if steps is None else ids[:steps]
    return (
        f'<h2 class="tpop-section-title">{wording(f"{_K}.path_heading", lang)}</h2>'
        + tree_svg(tree, lang, path=shown, current=shown[-1] if shown else None)
    )


# -- the walk-through ------------------------------------------------------------------


def _walk_head(step: int, total: int, lang: str) -> str:
    return (
        '<div class="tpop-progress-text">'
        f'{wording(f"{_K}.walk_step", lang, n=step + 1, total=total)}'
        "</div>"
    )


def walk_question_html(
    s: Step,
    decision: Decision,
    tree: Tree,
    article: Article,
    number: int,
    step: int,
    total: int,
    lang: str,
) -> str:
    node = s.node
    answer = tree.answer_label(node, s.answer, lang)
    passages = "".join(passage_html(article, pid, lang) for pid in node.passages)
    return (
        f'<div class="tpop-walk" data-step="{step}" data-node="{esc(node.id)}">'
        f"{_walk_head(step, total, lang)}"
        f'<h2 class="tpop-walk-question"><span class="tpop-badge">Q{number}</span> '
        f"{esc(tree.fill(node.text[lang]))}</h2>"
        f'<p class="tpop-muted tpop-small">{esc(tree.fill(node.help[lang]))}</p>'
        f'<div class="tpop-callout tpop-tone-act"><strong>'
        f'{wording(f"{_K}.walk_answer", lang, answer=answer)}</strong>'
        f"<p>{explain(s, decision, tree, lang)}</p></div>{passages}</div>"
    )


def outcome_walk_html(
    case: Scenario,
    decision: Decision,
    tree: Tree,
    article: Article,
    step: int,
    total: int,
    lang: str,
) -> str:
    outcome = decision.outcome
    parts = [
        f'<div class="tpop-walk" data-step="{step}" data-node="{esc(outcome.id)}">',
        _walk_head(step, total, lang),
        f'<div class="tpop-callout tpop-tone-{esc(outcome.tone)} tpop-result-outcome" '
        f'data-outcome="{esc(outcome.id)}">'
        f'<span class="tpop-small tpop-muted">{wording(f"{_K}.walk_outcome", lang)}</span>'
        f"<h4>{esc(tree.fill(outcome.title[lang], **decision.values()))}</h4>"
        f"<p>{esc(decision.reason(lang))}</p></div>",
        f'<h3>{wording(f"{_K}.steps_heading", lang)}</h3>'
        f'<ol class="tpop-steps">{_steps(decision, tree, lang)}</ol>',
    ]
    parts.extend(flag_html(tree, flag_id, lang) for flag_id in decision.flags)
    if case.lesson:
        parts.append(
            f'<h3>{wording(f"{_K}.lesson", lang)}</h3>'
            f'<p class="tpop-lesson">{esc(tree.fill(case.lesson[lang]))}</p>'
        )
    parts.append(f'<h3>{wording(f"{_K}.deciding_passage", lang)}</h3>')
    parts.append(passage_html(article, case.passage, lang))
    parts.append("</div>")
    return "".join(parts)


# -- the session ------------------------------------------------------------------------


def review_html(
    results: Mapping[str, Mapping[str, Any]],
    titles: Mapping[str, str],
    numbers: Mapping[str, int],
    lang: str,
) -> str:
    """The session's scenarios: how many played, those to review and the questions missed.

    ``results``: scenario id -> ``{"right", "total", "missed": [node id or "" (the
    action)]}``; ``titles``: scenario id -> its title in ``lang``.
    """
    if not results:
        return ""
    played = len(results)
    perfect = sum(1 for r in results.values() if r["right"] == r["total"])
    items = []
    for sid, result in results.items():
        if result["right"] == result["total"]:
            continue
        missed = ", ".join(
            f"Q{numbers.get(node_id, '?')}"
            if node_id
            else wording(f"{_K}.action", lang, plain=True)
            for node_id in result["missed"]
        )
        items.append(
            f'<li data-scenario="{esc(sid)}">'
            + wording(f"{_K}.review_item", lang, title=titles[sid], missed=missed)
            + "</li>"
        )
    body = (
        f'<ul>{"".join(items)}</ul><p class="tpop-muted tpop-small">'
        f'{wording(f"{_K}.review_hint", lang)}</p>'
        if items
        else f'<p class="tpop-muted">{wording(f"{_K}.review_none", lang)}</p>'
    )
    if perfect == 0:
        perfect_text = wording(f"{_K}.scenarios_perfect_none", lang)
    elif perfect == played:
        perfect_text = plural(f"{_K}.scenarios_perfect_all", lang, played)
    else:
        perfect_text = wording(f"{_K}.scenarios_perfect_some", lang, n=perfect)
    summary = wording(
        f"{_K}.scenarios_summary", lang,
        played=Html(plural(f"{_K}.scenarios_played", lang, played)), perfect=Html(perfect_text),
    )
    return (
        '<section class="tpop-card tpop-review">'
        f'<h3>{wording(f"{_K}.review_heading", lang)}</h3>'
        f"<p><strong>{summary}</strong></p>{body}</section>"
    )

