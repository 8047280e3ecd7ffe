"""Ready-to-send replies for a triaged order, from the templates in ``data/replies.yaml``.

Each outcome of the decision tree has its drafts: a reply to the merchant's customer
(two for ``delivered_merchant_decides``, one per choice the merchant has), and for
``contact_tpop`` a message to TPOP's support team with the order id, the tracking
number, the ship date, the days since shipping, the destination country, the last
tracking status and the store's order reference. ``invalid_input`` has none: the
order's data must be corrected first.

>>> drafts(decision, "fr")[0].text          # doctest: +SKIP
'Bonjour,\\n\\nMerci pour votre message.\\nVotre commande TP-2 a été expédiée ...'

Placeholders are filled from the :class:`~tpop_kb.triage.Decision`; a line whose
placeholder has no value (and no fallback in the file for the draft's recipient) is
left out, so a draft never shows an empty slot. The message to TPOP gives every fact a
fallback ("not given"), so none of its lines is ever left out. Dates are written out in
the draft's language with Babel, using the patterns of the file's ``formats`` (in
French the first of the month is written "1er"). The drafts are plain text: pages
escape them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .countries import country_name
from .knowledge import LANGUAGES, KnowledgeBase, KnowledgeError, knowledge, line_of
from .orders import time_given
from .postal import destination_post, destination_post_url
from .text import visible
from .triage import la_poste_url

if TYPE_CHECKING:
    from .triage import Decision

__all__ = [
    "PLACEHOLDERS",
    "Draft",
    "Replies",
    "drafts",
    "format_date",
    "format_datetime",
    "load_replies",
    "replies",
    "reply_values",
    "tracking_status_words",
]

#: Every placeholder a template may use (besides the thresholds of tree.yaml).
PLACEHOLDERS = (
    "order_id",
    "tracking_number",
    "tracking_url",
    "shipped_on",
    "shipped_at",
    "shipped_at_iso",
    "days_since_shipped",
    "recheck_at",
    "contact_from",
    "destination_country",
    "destination_post",
    "destination_post_url",
    "tracking_status",
    "store_order_ref",
)
RECIPIENTS = ("customer", "tpop")
_BABEL_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Template:
    id: str
    to: str
    title: dict[str, str]
    text: dict[str, str]


@dataclass(frozen=True)
class Replies:
    """``data/replies.yaml``, validated."""

    formats: dict[str, dict[str, str]]
    #: recipient -> placeholder -> {lang: text}
    fallbacks: dict[str, dict[str, dict[str, str]]]
    outcomes: dict[str, tuple[Template, ...]]
    #: tracking status code (data/columns.yaml) -> {lang: words}
    tracking_statuses: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    """One filled draft: who it is ``to`` (customer | tpop), its title and text."""

    id: str
    to: str
    lang: str
    title: str
    text: str


def _pair(raw: Any, path: Any, where: str, allow_empty: bool = False) -> dict[str, str]:
    if not isinstance(raw, Mapping) or any(lang not in raw for lang in LANGUAGES):
        raise KnowledgeError(
            f"{path}{line_of(path, where.split('.')[-1])}: {where} needs a text in "
            f"each of {', '.join(LANGUAGES)}"
        )
    out = {lang: "" if raw[lang] is None else str(raw[lang]) for lang in LANGUAGES}
    if not allow_empty and any(not v.strip() for v in out.values()):
        raise KnowledgeError(
            f"{path}{line_of(path, where.split('.')[-1])}: {where} has an empty text"
        )
    return out


def load_replies(kb: KnowledgeBase | None = None) -> Replies:
    """Read and validate ``data/replies.yaml`` (no cache). Errors name the file and line."""
    kb = kb or knowledge()
    path = kb.root / "replies.yaml"
    raw = kb.file("replies.yaml")
    if not isinstance(raw, Mapping):
        raise KnowledgeError(f"{path}: expected formats, fallbacks and outcomes")
    formats = {
        name: _pair((raw.get("formats") or {}).get(name), path, f"formats.{name}")
        for name in ("date", "datetime")
    }
    known = set(PLACEHOLDERS) | set(kb.tree.thresholds)
    raw_fallbacks = raw.get("fallbacks") or {}
    if not isinstance(raw_fallbacks, Mapping) or any(
        to not in RECIPIENTS or (table is not None and not isinstance(table, Mapping))
        for to, table in raw_fallbacks.items()
    ):
        raise KnowledgeError(
            f"{path}{line_of(path, 'fallbacks')}: 'fallbacks' must map each recipient "
            f"({', '.join(RECIPIENTS)}) to placeholders"
        )
    fallbacks: dict[str, dict[str, dict[str, str]]] = {to: {} for to in RECIPIENTS}
    for to, table in raw_fallbacks.items():
        for name, texts in (table or {}).items():
            if name not in PLACEHOLDERS:
                raise KnowledgeError(
                    f"{path}{line_of(path, str(name))}: fallback for unknown placeholder "
                    f"'{name}'"
                )
            fallbacks[to][str(name)] = _pair(
                texts, path, f"fallbacks.{to}.{name}", allow_empty=True
            )
    statuses = {
        str(code): _pair(texts, path, f"tracking_statuses.{code}")
        for code, texts in (raw.get("tracking_statuses") or {}).items()
    }
    table = raw.get("outcomes")
    if not isinstance(table, Mapping):
        raise KnowledgeError(f"{path}: 'outcomes' must map outcome codes to drafts")
    codes = set(kb.tree.outcomes)
    missing = sorted(codes - set(table))
    if missing:
        raise KnowledgeError(f"{path}: no drafts for outcome(s) {', '.join(missing)}")
    outcomes: dict[str, tuple[Template, ...]] = {}
    for code, items in table.items():
        code = str(code)
        if code not in codes:
            raise KnowledgeError(f"{path}{line_of(path, code)}: '{code}' is not an outcome")
        if not isinstance(items, list):
            raise KnowledgeError(f"{path}{line_of(path, code)}: {code} must list drafts")
        seen: list[Template] = []
        for item in items:
            if not isinstance(item, Mapping) or not re.fullmatch(r"[a-z][a-z0-9_]*",
                                                                 str(item.get("id", ""))):
                raise KnowledgeError(
                    f"{path}{line_of(path, code)}: every draft of {code} needs a lower-case id"
                )
            draft_id = str(item["id"])
            where = f"{code}.{draft_id}"
            if any(t.id == draft_id for t in seen):
                raise KnowledgeError(f"{path}{line_of(path, code)}: {where} is repeated")
            if item.get("to") not in RECIPIENTS:
                raise KnowledgeError(
                    f"{path}{line_of(path, code)}: {where}: 'to' must be one of "
                    f"{', '.join(RECIPIENTS)}"
                )
            title = _pair(item.get("title"), path, f"{where}.title")
            text = _pair(item.get("text"), path, f"{where}.text")
            for lang, body in text.items():
                unknown = sorted(set(_PLACEHOLDER.findall(body)) - known)
                if unknown:
                    raise KnowledgeError(
                        f"{path}{line_of(path, code)}: {where}.text.{lang} uses unknown "
                        f"placeholder(s) {', '.join('{' + u + '}' for u in unknown)}"
                    )
            seen.append(Template(draft_id, str(item["to"]), title, text))
        outcomes[code] = tuple(seen)
    return Replies(formats, fallbacks, outcomes, statuses)


@lru_cache(maxsize=4)
def _replies_of(kb: KnowledgeBase) -> Replies:
    return load_replies(kb)


def replies() -> Replies:
    """The reply templates (read once, validated)."""
    return _replies_of(knowledge())


def _first_of_month(pattern: str) -> str:
    """A Babel pattern whose day of the month (``d``) is followed by the literal 'er'.

    French writes the first of the month "1er" ("le 1er mai"), which no CLDR pattern
    gives. Quoted literals are left alone; ``dd`` (two digits) too.
    """
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            quoted = not quoted
            out.append(ch)
            i += 1
            continue
        if ch == "d" and not quoted:
            j = i
            while j < len(pattern) and pattern[j] == "d":
                j += 1
            out.append(pattern[i:j] + ("'er'" if j - i == 1 else ""))
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _pattern(name: str, day: int, lang: str) -> str:
    pattern = replies().formats[name][lang]
    return _first_of_month(pattern) if lang == "fr" and day == 1 else pattern


def format_date(value: dt.date, lang: str) -> str:
    """A date written out in ``lang`` (``formats.date``): 'samedi 12 décembre 2026',
    'vendredi 1er mai 2026'."""
    from babel.dates import format_date as babel_date

    return babel_date(value, _pattern("date", value.day, lang), locale=_BABEL_LOCALES[lang])


def format_datetime(value: dt.datetime, lang: str) -> str:
    """A date and time written out in ``lang`` (``formats.datetime``):
    'vendredi 1er mai 2026 à 10 h 00'."""
    from babel.dates import format_datetime as babel_datetime

    return babel_datetime(
        value, _pattern("datetime", value.day, lang), locale=_BABEL_LOCALES[lang]
    )


def tracking_status_words(status: str | None, lang: str) -> str:
    """The tracking status in words ('en cours d'acheminement', 'livré'); '' when not known.

    Words come from ``tracking_statuses`` in ``data/replies.yaml``; a status without
    words there is written as its code, underscores as spaces.
    """
    if not status:
        return ""
    words = replies().tracking_statuses.get(status)
    return words[lang] if words else status.replace("_", " ")


def reply_values(decision: Decision, lang: str) -> dict[str, str]:
    """The placeholders' values for one decision, in ``lang`` ('' when not known)."""
    order = decision.order
    shipped = order.shipped_at if not decision.errors else None
    country = order.destination_country or ""
    operator = destination_post(country)
    shipped_on = shipped_at = shipped_at_iso = ""
    if shipped is not None:
        shipped_on = format_date(shipped.date(), lang)
        # a ship date given without a time is written without one (not "at 23:59")
        timed = time_given(shipped)
        shipped_at = format_datetime(shipped, lang) if timed else shipped_on
        shipped_at_iso = shipped.strftime("%Y-%m-%d %H:%M" if timed else "%Y-%m-%d")
    values = {
        "order_id": order.order_id or "",
        "tracking_number": order.tracking_number or "",
        "tracking_url": la_poste_url(order.tracking_number),
        "shipped_on": shipped_on,
        "shipped_at": shipped_at,
        "shipped_at_iso": shipped_at_iso,
        "days_since_shipped": (
            "" if decision.days_since_shipped is None else str(decision.days_since_shipped)
        ),
        "recheck_at": format_datetime(decision.recheck_at, lang) if decision.recheck_at else "",
        "contact_from": (
            format_date(decision.contact_from, lang) if decision.contact_from else ""
        ),
        "destination_country": country_name(country, lang) if country else "",
        "destination_post": operator.name if operator else "",
        "destination_post_url": destination_post_url(country, order.tracking_number),
        "tracking_status": tracking_status_words(order.tracking_status, lang),
        # the store's own reference of the order, when the order carries one
        "store_order_ref": str(getattr(order, "store_order_ref", None) or ""),
    }
    values.update({k: str(v) for k, v in decision.tree.thresholds.items()})
    # nothing invisible goes into a text sent to a customer (bidirectional overrides…)
    return {name: visible(value) for name, value in values.items()}


def _fill(template: str, values: Mapping[str, str], fallbacks: Mapping[str, str]) -> str:
    lines = []
    for line in template.strip("\n").split("\n"):
        names = _PLACEHOLDER.findall(line)
        if any(not values.get(n) and n not in fallbacks for n in names):
            continue
        filled = _PLACEHOLDER.sub(
            lambda m: values.get(m.group(1)) or fallbacks.get(m.group(1), ""), line
        )
        if names:
            filled = re.sub(r" {2,}", " ", filled).replace(" ,", ",").replace(" .", ".")
        lines.append(filled.rstrip())
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def drafts(decision: Decision, lang: str = "fr") -> list[Draft]:
    """The outcome's drafts, filled, in ``lang`` (en | fr); [] for ``invalid_input``."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    table = replies()
    values = reply_values(decision, lang)
    fallbacks = {
        to: {name: texts[lang] for name, texts in names.items()}
        for to, names in table.fallbacks.items()
    }
    return [
        Draft(t.id, t.to, lang, t.title[lang], _fill(t.text[lang], values, fallbacks[t.to]))
        for t in table.outcomes.get(decision.code, ())
    ]

