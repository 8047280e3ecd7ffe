"""The order assistant's views: plain data (a decision, the language, …) in, HTML out.

Every function here is pure: no widget, no state, no clock (the moment "now" is passed
in). :mod:`tpop_kb.apps.order_assistant` calls them from its ``_render*`` methods; the
tests call them directly (``tests/test_apps_order_assistant.py``).

Every text comes from :func:`~tpop_kb.apps._base.wording` (``data/ui/order_assistant.yaml``),
every value from a customer or a paste is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from babel.dates import format_date, format_datetime

from ..answer import why_text
from ..countries import country_name
from ..knowledge import LOCALES, knowledge
from ..messages import translate
from ..orders import CANONICAL_COLUMNS, time_given
from ..postal import destination_post, destination_post_url
from ..replies import Draft
from ..replies import format_date as format_reply_date
from ..replies import format_datetime as format_reply_datetime
from ..tracking import check_tracking_number
from ..triage import Decision, Step, la_poste_url
from ..workdays import working_days_between
from ._base import Html, esc, plural, wording

__all__ = [
    "AS_OF_FORMAT",
    "FIELD_FORMAT",
    "TEXT_FIELDS",
    "answer_words",
    "as_of_hint",
    "callouts",
    "column_label",
    "date_values",
    "dates_section",
    "dont_know_hint",
    "draft_head",
    "draft_other",
    "drafts_intro",
    "errors_section",
    "links_section",
    "live_section",
    "long_datetime",
    "outcome_card",
    "paste_feedback",
    "path_items",
    "placeholder",
    "question_card",
    "quote",
    "short_date",
    "shipped_hint",
    "until",
]

AS_OF_FORMAT = "%Y-%m-%dT%H:%M"
FIELD_FORMAT = "%Y-%m-%d %H:%M"
TEXT_FIELDS = ("order_id", "shipped_at", "tracking_number")
_K = "order_assistant"


# -- small pieces ------------------------------------------------------------------------
def short_date(value: dt.date | dt.datetime, lang: str, kind: str, as_of: dt.datetime) -> str:
    """A short localised date ('mar. 24 nov. 15:00'); the year only when not as-of's."""
    name = kind if value.year == as_of.year else f"{kind}_year"
    pattern = wording(f"{_K}.formats.{name}", lang, plain=True)
    if isinstance(value, dt.datetime):
        return format_datetime(value, pattern, locale=LOCALES[lang])
    return format_date(value, pattern, locale=LOCALES[lang])


def long_datetime(value: dt.datetime, lang: str) -> str:
    """'jeudi 26 novembre 2026, 10:00'."""
    return format_datetime(
        value, wording(f"{_K}.formats.long_datetime", lang, plain=True), locale=LOCALES[lang]
    )


def column_label(column: str, lang: str) -> str:
    """An order field's name (``data/columns.yaml``), plain text."""
    return str(knowledge().columns["columns"][column]["label"][lang])


def answer_words(section: str, key: str, lang: str) -> str:
    """Words of data/ui/answer.yaml (shared with `python -m tpop_kb answer`), plain text."""
    texts = knowledge().ui.get("answer", {}).get(section, {}).get(key, {})
    return str(texts.get(lang) or texts.get("en") or key)


def quote(passage_id: str, lang: str) -> str:
    """One article passage as a block quote in the page's language, with the article's title
    (the passage id only in ``data-passage``, never as visible text)."""
    article = knowledge().article
    passage = article.passages[passage_id]
    return (
        f'<blockquote class="tpop-quote" data-passage="{esc(passage_id)}" '
        f'cite="{esc(article.source_url)}"><p>{esc(passage.in_(lang))}</p>'
        f"<footer>{esc(article.title[lang])}</footer>"
        "</blockquote>"
    )


def until(moment: dt.datetime, as_of: dt.datetime, lang: str) -> str:
    """'in 2 working days', 'in 5 hours' (same day) or 'in 1 day' (over a weekend); plain."""
    if moment.date() == as_of.date():
        hours = max(int((moment - as_of).total_seconds() // 3600), 0)
        return (
            plural(f"{_K}.in_hours", lang, hours, plain=True)
            if hours
            else wording(f"{_K}.today", lang, plain=True)
        )
    working = working_days_between(as_of.date(), moment.date())
    if working > 0:
        return plural(f"{_K}.in_working_days", lang, working, plain=True)
    return plural(f"{_K}.in_days", lang, (moment.date() - as_of.date()).days, plain=True)


def _days_from(days: int, lang: str) -> str:
    if days > 0:
        return plural(f"{_K}.in_days", lang, days, plain=True)
    if days == 0:
        return wording(f"{_K}.today", lang, plain=True)
    return plural(f"{_K}.days_ago", lang, -days, plain=True)


# -- the answer card -----------------------------------------------------------------------
def date_values(decision: Decision, lang: str) -> dict[str, str]:
    """Placeholders of the outcome's texts, with dates written out in ``lang``."""
    values = {k: str(v) for k, v in decision.values().items()}
    if decision.recheck_at is not None:
        values["recheck_at"] = format_reply_datetime(decision.recheck_at, lang)
    if decision.contact_from is not None:
        values["contact_from"] = format_reply_date(decision.contact_from, lang)
    return values


def errors_section(decision: Decision, lang: str) -> str:
    """What could not be read, field by field, in ``lang`` (the reader's messages through
    :func:`tpop_kb.messages.translate`)."""
    items = []
    for error in decision.errors:
        column, sep, message = error.partition(": ")
        if sep and column in CANONICAL_COLUMNS:
            items.append(
                f"<li><strong>{esc(column_label(column, lang))}</strong> — "
                f"{esc(translate(message, lang))}</li>"
            )
        else:
            items.append(f"<li>{esc(translate(error, lang))}</li>")
    return (
        '<section class="tpop-callout tpop-tone-error tpop-oa-errors">'
        f'<h4>{wording(f"{_K}.errors_heading", lang)}</h4><ul>{"".join(items)}</ul></section>'
    )


def dates_section(decision: Decision, lang: str) -> str:
    """Ship date, recheck moment and first contact day, in words, relative and as ISO.

    A ship date without a time is written as a day with "time not given", never as 00:00.
    """
    as_of = decision.as_of
    rows = []
    shipped = decision.order.shipped_at if not decision.errors else None
    if shipped is not None and decision.days_since_shipped is not None:
        days = decision.days_since_shipped
        relative = wording(f"{_K}.today", lang, plain=True) if days == 0 else plural(
            f"{_K}.days_ago", lang, days, plain=True)
        if time_given(shipped):
            when = Html(f"<strong>{esc(short_date(shipped, lang, 'datetime', as_of))}</strong>")
            iso = shipped.strftime(FIELD_FORMAT)
        else:  # the cautious reading (end of the day) is said, not shown as 23:59 or 00:00
            when = Html(
                f"<strong>{esc(short_date(shipped.date(), lang, 'date', as_of))}</strong> "
                f'<span class="tpop-muted tpop-time-not-given">('
                f"{wording(f'{_K}.time_not_given_assumed', lang)})</span>"
            )
            iso = shipped.strftime("%Y-%m-%d")
        rows.append(
            '<div class="tpop-oa-date tpop-shipped">'
            f'<span>{wording(f"{_K}.shipped_line", lang, date=when)}</span>'
            f'<span class="tpop-rel">{esc(relative)}</span><code>{iso}</code></div>'
        )
    if decision.recheck_at is not None:
        recheck = decision.recheck_at
        rows.append(
            '<div class="tpop-oa-date tpop-recheck-at">'
            f'<span>{wording(f"{_K}.recheck_label", lang)}</span>'
            f"<strong>{esc(short_date(recheck, lang, 'datetime', as_of))}</strong>"
            f'<span class="tpop-rel">{esc(until(recheck, as_of, lang))}</span>'
            f'<code><time datetime="{recheck.strftime(AS_OF_FORMAT)}">'
            f"{recheck.strftime(FIELD_FORMAT)}</time></code></div>"
        )
    if decision.contact_from is not None:
        contact = decision.contact_from
        rows.append(
            '<div class="tpop-oa-date tpop-contact-from">'
            f'<span>{wording(f"{_K}.contact_label", lang)}</span>'
            f"<strong>{esc(short_date(contact, lang, 'date', as_of))}</strong>"
            f'<span class="tpop-rel">{esc(_days_from((contact - as_of.date()).days, lang))}'
            f'</span><code><time datetime="{contact.isoformat()}">{contact.isoformat()}</time>'
            "</code></div>"
        )
    if not rows:
        return ""
    return (
        f'<section class="tpop-oa-dates-section"><h3>{wording(f"{_K}.dates_heading", lang)}</h3>'
        f'<div class="tpop-oa-dates">{"".join(rows)}</div></section>'
    )


def links_section(decision: Decision, lang: str) -> str:
    """The La Poste link, the destination postal service's link, and their warnings."""
    order = decision.order
    number = order.tracking_number or ""
    items = []
    if not number:
        if decision.facts.get("shipped") == "yes":
            items.append(f'<p class="tpop-muted">{wording(f"{_K}.no_tracking_number", lang)}</p>')
    else:
        url = la_poste_url(number)
        items.append(
            f'<a class="tpop-laposte-link" href="{esc(url)}" target="_blank" '
            f'rel="noopener noreferrer">{wording(f"{_K}.la_poste_link", lang, number=number)} ↗</a>'
        )
        check = check_tracking_number(number)
        if check.flag:
            items.append(
                '<p class="tpop-bad tpop-small tpop-tracking-warning">'
                f"⚠ {esc(check.message(lang))}</p>"
            )
        country = order.destination_country
        if country and country != "FR":
            items.extend(_destination_items(country, number, lang))
    if not items:
        return ""
    return (
        f'<section class="tpop-oa-links-section"><h3>{wording(f"{_K}.links_heading", lang)}</h3>'
        f'<div class="tpop-oa-links">{"".join(items)}</div></section>'
    )


def _destination_items(country: str, number: str, lang: str) -> list[str]:
    operator = destination_post(country)
    name = country_name(country, lang)
    if operator is None:
        return [
            '<p class="tpop-muted tpop-destination-none">'
            f'{wording("postal.destination.none", lang, country=name)}</p>'
        ]
    link = destination_post_url(country, number)
    label = wording("postal.destination.link", lang, operator=operator.name, country=name)
    items = [
        f'<a class="tpop-destination-link" href="{esc(link)}" target="_blank" '
        f'rel="noopener noreferrer" data-country="{esc(country)}">{label} ↗</a>'
    ]
    if operator.search_only:
        items.append(
            '<p class="tpop-small tpop-muted">'
            + wording("postal.destination.search_only", lang, operator=operator.name,
                      number=number)
            + "</p>"
        )
    if not operator.confirmed:
        items.append(
            '<p class="tpop-small tpop-muted tpop-destination-unconfirmed">'
            + esc(operator.note(lang)) + "</p>"
        )
    return items


def callouts(decision: Decision, lang: str) -> list[str]:
    """The caveat (tracking may lag) and the outcome's flags."""
    out = []
    if "tracking-may-lag" in decision.passages:
        passage = knowledge().article.passages["tracking-may-lag"]
        out.append(
            '<section class="tpop-callout tpop-tone-wait tpop-caveat">'
            f"<h4>{wording(f'{_K}.caveat_title', lang)}"
            f"</h4><p>{esc(passage.in_(lang))}</p></section>"
        )
    for flag_id in decision.flags:
        flag = decision.tree.flags[flag_id]
        out.append(
            f'<section class="tpop-callout tpop-tone-act tpop-flag" data-flag="{esc(flag_id)}">'
            f"<h4>{esc(flag.title[lang])}</h4><p>{esc(flag.text[lang])}</p></section>"
        )
    return out


def path_items(
    decision: Decision, steps: Iterable[Step], lang: str, *,
    asked: Collection[str] = (), assumed: Collection[str] = (),
) -> str:
    """One list item per question: the question, the answer, and where it came from
    (``asked``: facts answered on the page; ``assumed``: those answered "I don't know")."""
    tree = decision.tree
    items = []
    for step in steps:
        fact = step.node.fact
        if fact in assumed:
            source, key = "assumed", "assumed"
        elif fact in asked:
            source, key = "you", "from_you"
        elif step.known:
            source, key = "order", "from_order"
        else:
            source, key = "assumed", "assumed"
        items.append(
            f'<li data-node="{esc(step.node.id)}" data-source="{source}">'
            f'<span class="tpop-q">{esc(tree.fill(step.node.text[lang]))}</span>'
            f'<span class="tpop-a">{esc(tree.answer_label(step.node, step.answer, lang))}'
            f'</span><span class="tpop-src">({wording(f"{_K}.{key}", lang)})</span></li>'
        )
    return "".join(items)


def outcome_card(
    decision: Decision, lang: str, *,
    asked: Collection[str] = (), assumed: Collection[str] = (), run: int = 0,
) -> str:
    """The answer card: what to do, dates, links, caveats, the path and the passages.

    ``run`` numbers the answers given on the page (``data-run``): the page's script moves
    the focus to the card's title when it changes, not when the language does.
    """
    node = decision.outcome
    tree = decision.tree
    values = date_values(decision, lang)
    summary = esc(tree.fill(node.summary[lang], **values))
    steps = "".join(f"<li>{esc(tree.fill(s, **values))}</li>" for s in node.steps[lang])
    sections = [
        f'<section class="tpop-oa-todo"><h3>{wording(f"{_K}.what_to_do", lang)}</h3>'
        f'<ol class="tpop-steps">{steps}</ol></section>'
    ]
    if decision.errors:
        sections.insert(0, errors_section(decision, lang))
    dates = dates_section(decision, lang)
    if dates:
        sections.append(dates)
    links = links_section(decision, lang)
    if links:
        sections.append(links)
    sections.extend(callouts(decision, lang))
    items = path_items(decision, decision.path, lang, asked=asked, assumed=assumed)
    sections.append(
        f'<section class="tpop-oa-path-section"><h3>{wording(f"{_K}.path_heading", lang)}</h3>'
        f'<ol class="tpop-oa-path tpop-path">{items}</ol></section>'
    )
    main = list(node.passages) + [
        p for f in decision.flags for p in tree.flags[f].passages if p not in node.passages
    ]
    others = [p for p in decision.passages if p not in main]
    more = ""
    if others:
        more = (
            f'<details class="tpop-more-passages"><summary>'
            f'{plural(f"{_K}.more_passages", lang, len(others))}</summary>'
            f'{"".join(quote(pid, lang) for pid in others)}</details>'
        )
    sections.append(
        f'<section class="tpop-oa-passages"><h3>{wording(f"{_K}.passages_heading", lang)}</h3>'
        f'{"".join(quote(pid, lang) for pid in main)}{more}</section>'
    )
    order_line = ""
    if decision.order.order_id:
        order_line = (
            '<span class="tpop-badge tpop-outcome-order">'
            f'{wording(f"{_K}.order_line", lang, order_id=decision.order.order_id)}</span> '
        )
    return (
        f'<div class="tpop-outcome tpop-card tpop-tone-{esc(node.tone)}" '
        f'data-outcome="{esc(node.id)}" data-run="{int(run)}" lang="{esc(lang)}">'
        '<div class="tpop-outcome-head">'
        f'<span class="tpop-section-title">{wording(f"{_K}.answer_heading", lang)}</span> '
        f"{order_line}"
        '<span class="tpop-small tpop-muted tpop-outcome-as-of">'
        f'{wording(f"{_K}.as_of_line", lang, as_of=long_datetime(decision.as_of, lang))}</span>'
        f'<h2 class="tpop-outcome-title" tabindex="-1">{esc(node.title[lang])}</h2>'
        f'<p class="tpop-outcome-summary">{summary}</p>'
        "</div>"
        f'<div class="tpop-outcome-body">{"".join(sections)}</div>'
        "</div>"
    )


# -- the questions -------------------------------------------------------------------------
def question_card(
    decision: Decision, step: Step, lang: str, *,
    asked: Sequence[str] = (), assumed: Collection[str] = (), run: int = 0,
) -> str:
    """The question being asked: "question k of n", what is already known, the question,
    its help and the passages it rests on. ``data-k`` changes with every question (the
    page's script then moves the focus to the question)."""
    tree = decision.tree
    node = step.node
    k = len(asked) + 1
    n = len(asked) + len(decision.unknown_steps)
    before = decision.path[: decision.path.index(step)]
    known = [s for s in before if s.known]
    known_html = ""
    if known:
        known_html = (
            f'<h3>{wording(f"{_K}.so_far", lang)}</h3><ol class="tpop-oa-path tpop-known-steps">'
            f"{path_items(decision, known, lang, asked=asked, assumed=assumed)}</ol>"
        )
    passages = "".join(quote(pid, lang) for pid in node.passages)
    width = int(100 * (k - 1) / max(n, 1))
    return (
        f'<h2 class="tpop-section-title">{wording(f"{_K}.questions_heading", lang)}</h2>'
        f'<div class="tpop-step-of" data-k="{k}" data-n="{n}">'
        f'{wording(f"{_K}.step_of", lang, k=k, n=n)}</div>'
        f'<div class="tpop-progress"><span style="width:{width}%"></span></div>'
        f"{known_html}"
        f'<h2 class="tpop-question-text" tabindex="-1" data-node="{esc(node.id)}" '
        f'data-k="{k}" data-run="{int(run)}">{esc(tree.fill(node.text[lang]))}</h2>'
        f'<p class="tpop-muted">{esc(tree.fill(node.help[lang]))}</p>'
        f'<h3>{wording(f"{_K}.rests_on", lang)}</h3>{passages}'
    )


def dont_know_hint(decision: Decision, step: Step, lang: str) -> str:
    """What "I don't know" does on this page, with the answer it goes on with."""
    answer = decision.tree.answer_label(step.node, step.node.when_unknown, lang)
    return wording(f"{_K}.dont_know_hint", lang, answer=answer)


# -- the drafts ----------------------------------------------------------------------------
def _language_name(lang: str, in_lang: str) -> str:
    return wording(f"{_K}.language_name.of_{lang}", in_lang, plain=True)


def drafts_intro(lang: str, found: bool) -> str:
    """The drafts' heading and the line under it (or why there is no reply)."""
    if found:
        intro = f'<p class="tpop-small tpop-muted">{wording(f"{_K}.copy_hint", lang)}</p>'
    else:
        intro = f'<p class="tpop-callout tpop-no-reply">{wording(f"{_K}.no_reply", lang)}</p>'
    return f'<h2 class="tpop-section-title">{wording(f"{_K}.replies_heading", lang)}</h2>{intro}'


def _copy_button(lang: str, label: str, target: str, css: str = "") -> str:
    """A copy button: ``order_assistant.js`` copies the textarea ``target`` of its draft."""
    classes = f"tpop-copy {css}".strip()
    return (
        f'<button type="button" class="{classes}" data-target="{esc(target)}" '
        f'data-label="{esc(label)}" data-done="{wording(f"{_K}.copied", lang)}" '
        f'data-fail="{wording(f"{_K}.copy_failed", lang)}">{esc(label)}</button>'
    )


def draft_head(draft: Draft, lang: str, *, text_lang: str, edited: bool = False,
               other: Draft | None = None) -> str:
    """A draft's title line: who it is for, in which language its text is, its copy
    buttons (this text, and ``other``: the same draft in the other language).

    ``text_lang`` is the language of the text in the box (an edited draft keeps its own
    when the page switches), ``edited``: the box holds the agent's edits.
    """
    recipient = wording(
        f"{_K}.to_tpop" if draft.to == "tpop" else f"{_K}.to_customer", lang, plain=True
    )
    label = wording(f"{_K}.draft_for", lang, recipient=recipient,
               language=_language_name(text_lang, lang))
    buttons = _copy_button(
        lang, wording(f"{_K}.copy", lang, plain=True), ".tpop-draft-text textarea"
    )
    if other is not None:
        buttons += _copy_button(
            lang,
            wording(f"{_K}.copy_in", lang, language=_language_name(other.lang, lang), plain=True),
            ".tpop-draft-other textarea",
            "tpop-copy-other",
        )
    note = ""
    if edited:
        note = f'<p class="tpop-small tpop-draft-edited">{wording(f"{_K}.draft_edited", lang)}</p>'
    return (
        f'<div class="tpop-draft-head" data-draft="{esc(draft.id)}" data-to="{esc(draft.to)}" '
        f'data-lang="{esc(text_lang)}" lang="{esc(text_lang)}">'
        f'<span><span class="tpop-badge tpop-draft-for">{label}</span> '
        f'<span class="tpop-draft-title">{esc(draft.title)}</span></span>'
        f'<span class="tpop-copy-buttons">{buttons}</span></div>{note}'
    )


def draft_other(other: Draft, lang: str) -> str:
    """The same draft in the other language, folded, to read or copy without switching."""
    name = _language_name(other.lang, lang)
    rows = min(sum(1 + len(line) // 80 for line in other.text.split("\n")) + 1, 26)
    return (
        f'<details class="tpop-draft-other" data-lang="{esc(other.lang)}">'
        f"<summary>{wording(f'{_K}.other_version', lang, language=name)}</summary>"
        f'<textarea readonly rows="{rows}" lang="{esc(other.lang)}" '
        'aria-label="'
        f'{wording(f"{_K}.other_version", lang, language=name)}">{esc(other.text)}</textarea>'
        "</details>"
    )


# -- the form ------------------------------------------------------------------------------
def placeholder(lang: str) -> str:
    return (
        '<div class="tpop-oa-placeholder">'
        f'<h2 class="tpop-section-title">{wording(f"{_K}.answer_heading", lang)}</h2>'
        f'<p>{wording(f"{_K}.start_hint", lang)}</p></div>'
    )


def as_of_hint(value: dt.datetime | None, typed: str, lang: str, *, now: bool) -> str:
    """Under the as-of field: the moment in words, and whether it is now (``now``: the
    page's clock says it is, within the minute)."""
    if value is None:
        return (
            '<span class="tpop-bad tpop-as-of-error">'
            f'{wording(f"{_K}.as_of_error", lang, value=typed)}</span>'
        )
    key = "as_of_hint" if now else "as_of_hint_other"
    return (
        f'<span class="tpop-ok tpop-as-of-value">✓ {esc(long_datetime(value, lang))}</span>'
        f' <span class="tpop-muted tpop-as-of-when" data-now="{str(now).lower()}">· '
        f"{wording(f'{_K}.{key}', lang)}</span>"
    )


def shipped_hint(value: dt.datetime | None, typed: str, lang: str, *, choose: bool) -> str:
    """Under the ship-date field: the date in words ("time not given" when it has none),
    or why it could not be read, or what happens without one."""
    if typed.strip():
        if value is None:
            return (
                '<span class="tpop-bad">'
                f'{wording(f"{_K}.date_error", lang, value=typed.strip())}</span>'
            )
        if time_given(value):
            written = long_datetime(value, lang)
        else:
            written = (f"{format_reply_date(value.date(), lang)} — "
                       f"{answer_words('why', 'time_not_given', lang)}")
        return f'<span class="tpop-ok">✓ {esc(written)}</span>'
    if choose:
        return f'<span class="tpop-act">{wording(f"{_K}.shipped_choose", lang)}</span>'
    return f'<span class="tpop-muted">{wording(f"{_K}.shipped_empty", lang)}</span>'


def _certainty(found: Any, lang: str) -> str:
    """' · inferred: first "taken in charge" event…' (nothing for a value as written)."""
    explained = why_text(found.why, found.detail, lang)
    if found.certainty == "certain" and not explained:
        return ""
    words = answer_words("certainty", found.certainty, lang)
    tail = f" : {explained}" if lang == "fr" else f": {explained}"
    return (f' <span class="tpop-certainty tpop-certainty-{esc(found.certainty)}">· '
            f"{esc(words)}{esc(tail) if explained else ''}</span>")


def _how(how: str, source: str, lang: str) -> str:
    if how == "text" or not source:
        return wording(f"{_K}.how.text", lang)
    return wording(f"{_K}.how.{how}", lang, source=source)


def _problems(problems: Sequence[Any], lang: str) -> str:
    if not problems:
        return ""
    items = "".join(
        f'<li data-field="{esc(p.field)}">'
        + wording(f"{_K}.problem", lang, field=column_label(p.field, lang), value=p.value,
                  fix=wording(f"{_K}.problem_fix_text" if p.field in TEXT_FIELDS
                              else f"{_K}.problem_fix_choice", lang, plain=True))
        + "</li>"
        for p in problems
    )
    return f"<ul>{items}</ul>"


def paste_feedback(parsed: Any, error: Any, question: Any, lang: str) -> str:
    """What the paste was read as, field by field, with its problems and notes.

    ``parsed``: a :class:`~tpop_kb.paste.PastedOrder` (or None), ``error``: a
    :class:`~tpop_kb.paste.PasteError` (or None), ``question``: the paste's open question
    (a date that reads two ways) or None.
    """
    parts: list[str] = []
    if error is not None:
        parts.append(
            f'<div class="tpop-callout tpop-tone-error tpop-paste-error" '
            f'data-code="{esc(error.code)}">{wording(f"{_K}.paste_error.{error.code}", lang)}'
            f"{_problems(error.problems, lang)}</div>"
        )
    elif parsed is not None:
        if parsed.found:
            items = "".join(
                f'<li data-field="{esc(f.field)}" data-certainty="{esc(f.certainty)}">'
                f"<strong>{esc(column_label(f.field, lang))}</strong> — "
                f'<span class="tpop-muted">{_how(f.how, f.source, lang)}</span>'
                f"{_certainty(f, lang)}</li>"
                for f in parsed.found
            )
            parts.append(
                '<div class="tpop-callout tpop-tone-done tpop-paste-ok">'
                f'<strong>{wording(f"{_K}.paste_format.{parsed.format}", lang)}.</strong> '
                f'{wording(f"{_K}.recognised", lang)}<ul>{items}</ul></div>'
            )
        if question is not None:
            parts.append(
                '<div class="tpop-callout tpop-tone-act tpop-paste-question" '
                f'data-field="{esc(question.field)}">'
                + esc(answer_words("field_question", question.field, lang)
                      .replace("{detail}", question.detail))
                + "</div>"
            )
        if parsed.problems:
            parts.append(
                '<div class="tpop-callout tpop-tone-wait tpop-paste-problems">'
                f"{_problems(parsed.problems, lang)}</div>"
            )
        for note in parsed.notes:
            values = dict(note.values)
            if "countries" in values:
                values["countries"] = ", ".join(
                    country_name(c.strip(), lang) for c in values["countries"].split(",")
                )
            parts.append(
                f'<div class="tpop-callout tpop-tone-act tpop-paste-note" '
                f'data-note="{esc(note.code)}">'
                f'{wording(f"{_K}.note.{note.code}", lang, **values)}</div>'
            )
        if parsed.ignored:
            parts.append(
                '<p class="tpop-small tpop-muted tpop-paste-ignored">'
                f'{wording(f"{_K}.ignored", lang, labels=", ".join(parsed.ignored))}</p>'
            )
    else:
        parts.append(f'<p class="tpop-small tpop-muted">{wording(f"{_K}.paste_hint", lang)}</p>')
    return "".join(parts)


# -- live La Poste status ------------------------------------------------------------------
def live_section(number: str, status: Any, form_status: str, lang: str) -> tuple[str, str]:
    """The live La Poste section (``status``: a :class:`~tpop_kb.laposte.LiveStatus`, None
    while asking) and the label of the button that uses La Poste's status ("" for none)."""
    button = ""
    if status is None:
        kind, tone = "asking", "wait"
        body = (
            '<p class="tpop-live-asking" role="status">'
            f'{wording(f"{_K}.live.asking", lang, number=number)}</p>'
        )
    else:
        kind = status.problem or "ok"
        tone = "done" if kind == "ok" else "wait"
        body = f'<p class="tpop-live-message">{esc(status.message(lang))}</p>'
        if kind == "ok" and status.tracking_status and status.tracking_status != form_status:
            said = (
                wording(f"{_K}.status.{form_status}", lang, plain=True)
                if form_status
                else wording(f"{_K}.unknown", lang, plain=True)
            )
            body += (
                '<p class="tpop-small tpop-muted tpop-live-form">'
                f'{wording(f"{_K}.live.form_status", lang, status=said)}</p>'
            )
            button = wording(
                f"{_K}.live.use",
                lang,
                status=wording(f"{_K}.status.{status.tracking_status}", lang, plain=True),
                plain=True,
            )
    html = (
        f'<section class="tpop-callout tpop-tone-{tone} tpop-live" data-live="{kind}" '
        f'data-number="{esc(number)}"><h4>'
        f'{wording(f"{_K}.live.heading", lang)}</h4>{body}</section>'
    )
    return html, button
