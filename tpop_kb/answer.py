"""One pasted order in, everything the order assistant shows out, as plain data.

:func:`answer` is what ``python -m tpop_kb answer`` prints (``--json``): the fields the
paste gave (value, where from, how certain), the outcome with the tree's defaults for
what is unknown, the questions still open, the dates, the links and the reply drafts.
The dictionary's shape is versioned (``schema``) and documented in the README; outside
checks call it, so keys are only ever added.

It reads with :func:`tpop_kb.paste.parse_paste`, decides with
:func:`tpop_kb.triage.triage_order` and words with :mod:`tpop_kb.replies`: no rule
lives here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .knowledge import knowledge
from .orders import CANONICAL_COLUMNS, order_from_record, time_given
from .paste import PastedOrder, PasteError, parse_paste
from .postal import destination_post
from .replies import drafts, format_date, format_datetime
from .triage import la_poste_url, triage_order
from .workdays import now_paris

__all__ = ["SCHEMA", "answer", "answer_error", "choice_label", "why_text"]

#: The JSON form's name and version: a new key keeps it, a changed meaning bumps it.
SCHEMA = "tpop_kb.answer/1"
_ISO_MINUTE = "%Y-%m-%dT%H:%M"


def _moment(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime(_ISO_MINUTE)


def choice_label(value: str, lang: str) -> str:
    """A reading of an ambiguous ship date, written out ("jeudi 5 novembre 2026 à 10 h 00")."""
    try:
        moment = dt.datetime.strptime(value, "%Y-%m-%d %H:%M")
    except ValueError:
        return format_date(dt.date.fromisoformat(value), lang)
    return format_datetime(moment, lang)


def answer(text: str, as_of: dt.datetime | None = None, lang: str = "fr") -> dict[str, Any]:
    """The order assistant's answer for one paste, as a JSON-ready dictionary.

    Raises :class:`~tpop_kb.paste.PasteError` when the paste holds no order field
    (:func:`answer_error` gives its JSON form).
    """
    as_of = as_of or now_paris()
    parsed = parse_paste(text, as_of=as_of)
    return _answer(parsed, as_of, lang)


def answer_error(error: PasteError) -> dict[str, Any]:
    """The JSON form of a paste that could not be read."""
    return {
        "schema": SCHEMA,
        "error": {
            "code": error.code,
            "message": str(error),
            "problems": [
                {"field": p.field, "value": p.value, "message": p.message}
                for p in error.problems
            ],
        },
    }


def _answer(parsed: PastedOrder, as_of: dt.datetime, lang: str) -> dict[str, Any]:
    kb = knowledge()
    tree = kb.tree
    record = dict(parsed.record)
    order = order_from_record(record)
    decision = triage_order(order, as_of)
    outcome = decision.outcome
    values = decision.values()
    if decision.recheck_at is not None:
        values["recheck_at"] = format_datetime(decision.recheck_at, lang)
    if decision.contact_from is not None:
        values["contact_from"] = format_date(decision.contact_from, lang)

    fields = {
        f.field: {
            "value": f.value,
            "source": f.how,
            "label": f.source,
            "certainty": f.certainty,
            "why": f.why,
            "detail": f.detail,
            "explained": why_text(f.why, f.detail, lang),
        }
        for f in parsed.found
    }
    questions: list[dict[str, Any]] = [
        {
            "kind": "field",
            "fact": q.field,
            "text": _field_question(q.field, lang).replace("{detail}", q.detail),
            "why": q.why,
            "detail": q.detail,
            "choices": [{"value": c, "label": choice_label(c, lang)} for c in q.choices],
        }
        for q in parsed.questions
    ]
    for step in decision.unknown_steps:
        node = step.node
        questions.append({
            "kind": "tree",
            "fact": node.fact,
            "node": node.id,
            "text": tree.fill(node.text[lang]),
            "help": tree.fill(node.help.get(lang, "")),
            "assumed": step.answer,
            "choices": [{"value": a, "label": tree.answer_label(node, a, lang)}
                        for a in node.answers],
        })

    shipped = order.shipped_at
    operator = destination_post(order.destination_country)
    destination = None
    if operator is not None and order.tracking_number:
        destination = {
            "country": operator.country,
            "name": operator.name,
            "url": operator.url(order.tracking_number),
            "search_only": operator.search_only,
            "confirmed": operator.confirmed,
            "note": operator.note(lang),
        }
    return {
        "schema": SCHEMA,
        "as_of": as_of.strftime(_ISO_MINUTE),
        "lang": lang,
        "kb_version": kb.version,
        "format": parsed.format,
        "fields": fields,
        "missing": [c for c in CANONICAL_COLUMNS if c not in record
                    and c not in {q.field for q in parsed.questions}],
        "ignored": list(parsed.ignored),
        "problems": [{"field": p.field, "value": p.value, "message": p.message}
                     for p in parsed.problems],
        "notes": [{"code": n.code, "values": dict(n.values)} for n in parsed.notes],
        "outcome": {
            "code": outcome.id,
            "tone": outcome.tone,
            "title": tree.fill(outcome.title[lang]),
            "summary": tree.fill(outcome.summary[lang], **values),
            "steps": [tree.fill(s, **values) for s in outcome.steps[lang]],
            "reason": decision.reason(lang),
            "passages": decision.passages,
            "path": [{"node": s.node.id, "fact": s.node.fact, "answer": s.answer,
                      "known": s.known} for s in decision.path],
        },
        "flags": [{"id": f, "title": tree.flags[f].title[lang],
                   "text": tree.fill(tree.flags[f].text[lang])} for f in decision.flags],
        "errors": list(decision.errors),
        "questions": questions,
        "dates": {
            "shipped_at": _moment(shipped),
            "ship_time_given": time_given(shipped) if shipped is not None else None,
            "days_since_shipped": decision.days_since_shipped,
            "activation_deadline": _moment(decision.activation_deadline),
            "recheck_at": _moment(decision.recheck_at),
            "contact_from": (decision.contact_from.isoformat()
                             if decision.contact_from else None),
        },
        "links": {
            "la_poste": la_poste_url(order.tracking_number) or None,
            "destination_post": destination,
        },
        "replies": [
            {"id": d.id, "to": d.to, "lang": d.lang, "title": d.title, "text": d.text}
            for d in drafts(decision, lang)
        ],
    }


def why_text(why: str, detail: str, lang: str) -> str:
    """How a value was read, in words ('' for a value taken as written)."""
    texts = knowledge().ui.get("answer", {}).get("why", {}).get(why)
    if not texts:
        return ""
    return texts[lang].replace("{detail}", detail)


def _field_question(column: str, lang: str) -> str:
    texts = knowledge().ui.get("answer", {}).get("field_question", {}).get(column, {})
    return texts.get(lang) or texts.get("en") or column
