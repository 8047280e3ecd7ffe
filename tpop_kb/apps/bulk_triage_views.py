"""The bulk triage page's views: plain data in, HTML out (no widget, no state).

Every text comes from :func:`~tpop_kb.apps._base.wording` (escaped); every value from
a file or a customer is escaped. The page (:mod:`tpop_kb.apps.bulk_triage`) and its
result table (:mod:`tpop_kb.apps.result_table`) call these with what they hold; the
tests call them with small hand-made data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from ..charts import outcome_color
from ..knowledge import LOCALES, knowledge
from ..messages import translate
from ._base import esc, plural, wording

__all__ = [
    "ASSISTANT_PAGE",
    "assistant_link",
    "changed_rows",
    "file_message_html",
    "file_size",
    "invalid_rows_html",
    "moment_text",
    "mapping_message_html",
    "number",
    "percent",
    "run_status_html",
    "summary_html",
    "table_html",
    "validation_html",
    "why_text",
]

#: The page wording's prefix (``data/ui/bulk_triage.yaml``).
_K = "bulk_triage"
#: The order assistant's page, relative to the bulk page (both are Voila notebooks).
ASSISTANT_PAGE = "order_assistant.ipynb"
#: Lines above the first order in a spreadsheet: the header.
#: The canonical columns a row's link to the order assistant carries.
LINK_COLUMNS = (
    "order_id", "shipped_at", "tracking_number", "destination_country", "tracking_status",
    "customer_claim", "store_tracking_synced",
)

_LATE = re.compile(r"^shipped_at: '(?P<moment>[^']*)' is after the as-of moment (?P<as_of>.+)$")
_EMPTY_ID = "order_id: empty"
_EN = ' lang="en"'


# -- numbers ------------------------------------------------------------------------


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["en"])


def number(value: int, lang: str) -> str:
    """An integer with the language's thousands separator."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_locale(lang))


def percent(share: float, lang: str) -> str:
    from babel.numbers import format_percent

    return format_percent(share, locale=_locale(lang))


def seconds(value: float, lang: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(round(value, 1), locale=_locale(lang))


def file_size(size: int, lang: str) -> str:
    """``52 428 800`` -> ``50 MB`` / ``50 Mo`` (binary multiples, one decimal under 10)."""
    from babel.numbers import format_decimal

    locale = _locale(lang)
    if size < 1024:
        return wording(f"{_K}.units.bytes", lang, plain=True,
                       n=format_decimal(size, locale=locale))
    if size < 1024 * 1024:
        unit, value = "kb", size / 1024
    else:
        unit, value = "mb", size / (1024 * 1024)
    shown = format_decimal(round(value, 1) if value < 10 else round(value), locale=locale)
    return wording(f"{_K}.units.{unit}", lang, plain=True, n=shown)


def moment_text(text: str, lang: str) -> str:
    """An ISO date or moment as staff write it: ``2026-11-30T08:00`` -> ``30/11/2026 08:00``
    in French, ``2026-11-30 08:00`` in English; anything else as it is."""
    if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        rest = text[11:16] if len(text) >= 16 else ""
        day = f"{text[8:10]}/{text[5:7]}/{text[0:4]}" if lang == "fr" else text[:10]
        return f"{day} {rest}" if rest else day
    return text


# -- labels -------------------------------------------------------------------------


def column_label(column: str, lang: str) -> str:
    """A column's heading from ``bulk_triage.columns`` (plain text); its own name when it
    has none."""
    if column not in knowledge().ui[_K].get("columns", {}):
        return column
    return wording(f"{_K}.columns.{column}", lang, plain=True)


def outcome_title(code: str, lang: str) -> str:
    node = knowledge().tree.outcomes.get(code)
    return node.title[lang] if node else code


def flag_title(code: str, lang: str) -> str:
    flag = knowledge().tree.flags.get(code)
    return flag.title[lang] if flag else code


def country_label(code: str, lang: str) -> str:
    from ..countries import country_name

    if not code:
        return wording(f"{_K}.table.unknown_country", lang, plain=True)
    return country_name(code, lang)


def status_label(code: str, lang: str) -> str:
    """A tracking status's name (plain text); the code when it has none."""
    if code not in knowledge().ui[_K]["download"]["status"]:
        return code
    return wording(f"{_K}.download.status.{code}", lang, plain=True)


def why_text(error: str, lang: str) -> tuple[str, bool]:
    """One error of a row in ``lang`` (the triage's own two here, the reader's through
    :func:`tpop_kb.messages.translate`), and whether it is in ``lang`` (a text that is no
    known message stays as the reader wrote it)."""
    found = _LATE.match(error)
    if found:
        return wording(f"{_K}.validation.why_late", lang, plain=True,
                       moment=moment_text(found["moment"], lang),
                       as_of=moment_text(found["as_of"], lang)), True
    if error == _EMPTY_ID:
        return wording(f"{_K}.validation.why_empty_id", lang, plain=True), True
    shown = translate(error, lang)
    return shown, lang == "en" or shown != error


# -- upload ---------------------------------------------------------------------------


def file_message_html(
    key: str,
    values: Mapping[str, Any],
    lang: str,
    *,
    tone: str = "info",
    detail: str = "",
    note: str = "",
) -> str:
    """The upload area's message (``key`` of the wording, its values already formatted);
    ``detail``: the reader's message as it wrote it (English), shown in ``lang``
    (:func:`tpop_kb.messages.translate`; a text that is no known message stays English,
    and says so); ``note``: a last small line."""
    parts = [f"<p>{wording(key, lang, **values)}</p>"]
    if detail:
        shown = translate(detail, lang)
        english = lang != "en" and shown == detail
        parts.append(f'<pre lang="{"en" if english else esc(lang)}">{esc(shown)}</pre>')
        if english:
            parts.append(
                '<p class="tpop-small tpop-muted">'
                f'{wording(f"{_K}.upload.reader_language", lang)}</p>'
            )
    if note:
        parts.append(f'<p class="tpop-small tpop-muted">{esc(note)}</p>')
    role = ' role="alert"' if tone == "error" else ' role="status"'
    css = {"error": "tpop-tone-error", "done": "tpop-tone-done"}.get(tone, "tpop-tone-act")
    return (
        f'<div class="tpop-callout {css} tpop-file-message" data-tone="{esc(tone)}"{role}>'
        f"{''.join(parts)}</div>"
    )


# -- mapping --------------------------------------------------------------------------


def mapping_message_html(
    missing: Sequence[str], shared: Mapping[str, Sequence[str]], ignored: Sequence[str],
    lang: str,
) -> str:
    """What is wrong or worth knowing about the chosen columns: required ones missing
    (canonical names), a file column feeding several (header -> canonical names), the
    file's columns not used."""
    spec = knowledge().columns["columns"]

    def label(column: str) -> str:
        return str(spec.get(column, {}).get("label", {}).get(lang, column))

    parts = []
    if missing:
        names = ", ".join(
            f"« {label(c)} »" if lang == "fr" else f"“{label(c)}”" for c in missing
        )
        parts.append(
            '<div class="tpop-callout tpop-tone-error tpop-mapping-error" role="alert" '
            f'data-missing="{esc(" ".join(missing))}">'
            f"{wording(f'{_K}.mapping.missing', lang, columns=names)}</div>"
        )
    for header, columns in shared.items():
        if len(columns) > 1:
            parts.append(
                '<div class="tpop-callout tpop-tone-wait tpop-mapping-shared">'
                + wording(f"{_K}.mapping.shared", lang, header=header,
                          columns=", ".join(label(c) for c in columns))
                + "</div>"
            )
    if ignored:
        parts.append(
            '<p class="tpop-small tpop-muted tpop-mapping-unused">'
            + wording(f"{_K}.mapping.unused", lang, columns=", ".join(ignored))
            + "</p>"
        )
    return "".join(parts)


# -- validation -------------------------------------------------------------------------


def invalid_rows_html(rows: Iterable[Mapping[str, Any]], more: int, lang: str) -> str:
    """The rows to check: each ``{"line", "order", "column", "value", "why", "error"}``
    (line: the row's line in the spreadsheet, the header being line 1; column: canonical
    name or ''; why: the reader's words; error: ``column: why``); ``more``: rows left
    out."""
    spec = knowledge().columns["columns"]
    head = "".join(
        f'<th scope="col">{wording(f"{_K}.validation.{k}", lang)}</th>'
        for k in ("row", "order", "field", "value", "why")
    )
    body = []
    english_left = False
    for row in rows:
        column = str(row.get("column") or "")
        value = str(row.get("value") or "")
        shown = (
            f"<code>{esc(value)}</code>" if value.strip()
            else f'<span class="tpop-muted">{wording(f"{_K}.validation.empty_value", lang)}'
            "</span>"
        )
        label = spec.get(column, {}).get("label", {}).get(lang, column) if column else ""
        why, translated = why_text(str(row.get("error") or row.get("why") or ""), lang)
        if not translated:  # the reader's words, the column being in its own cell
            why = str(row.get("why") or "")
        english_left |= not translated
        why_lang = "" if translated else ' lang="en"'
        line = int(row["line"])
        body.append(
            f'<tr data-row="{line}" data-column="{esc(column)}">'
            f'<td>{line}</td><td>{esc(row.get("order", ""))}</td><td>{esc(label)}</td>'
            f"<td>{shown}</td><td{why_lang}>{esc(why)}</td></tr>"
        )
    tail = ""
    if more > 0:
        tail = (
            '<p class="tpop-small tpop-muted">'
            + wording(f"{_K}.validation.more", lang, n=number(more, lang))
            + "</p>"
        )
    notes = [wording(f"{_K}.validation.row_help", lang)]
    if english_left and lang != "en":
        notes.append(wording(f"{_K}.upload.reader_language", lang))
    note = f'<p class="tpop-small tpop-muted tpop-row-help">{" ".join(notes)}</p>'
    return (
        '<div class="tpop-table-scroll tpop-invalid-scroll">'
        f'<table class="tpop-table tpop-invalid-rows"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></div>{tail}{note}'
    )


def changed_rows(before: Sequence[str], after: Sequence[str]) -> dict[str, list[int]]:
    """Rows without an error before the triage and with one after, by why: ``late``
    (shipped after the as-of moment), ``empty_id``, ``other``; 0-based indexes."""
    groups: dict[str, list[int]] = {"late": [], "empty_id": [], "other": []}
    for i, (old, new) in enumerate(zip(before, after, strict=True)):
        if old or not new:
            continue
        parts = str(new).split("; ")
        if any(_LATE.match(p) for p in parts):
            groups["late"].append(i)
        elif _EMPTY_ID in parts:
            groups["empty_id"].append(i)
        else:
            groups["other"].append(i)
    return {k: v for k, v in groups.items() if v}


def changed_html(groups: Mapping[str, Sequence[int]], as_of: str, lang: str) -> str:
    """Why the counts changed at triage (see :func:`changed_rows`), one line a reason."""
    if not groups:
        return ""
    items = "".join(
        f'<li data-why="{esc(why)}" data-count="{len(rows)}">'
        + plural(f"{_K}.validation.changed_{why}", lang, len(rows),
                 as_of=moment_text(as_of, lang))
        + "</li>"
        for why, rows in groups.items()
    )
    return (
        '<div class="tpop-callout tpop-tone-wait tpop-triage-changes" role="status">'
        f'<h3>{wording(f"{_K}.validation.changed_title", lang)}</h3><ul>{items}</ul></div>'
    )


def validation_html(
    total: int, invalid: int, lang: str, *, rows_html: str = "", changes_html: str = "",
    notes: Sequence[str] = (),
) -> str:
    """Step 3: rows read, ready and to check; why counts changed at triage; the rows to
    check (``rows_html``, from :func:`invalid_rows_html`); the reader's notes."""
    stats = "".join(
        f'<div class="tpop-stat tpop-count-{key}" data-count="{value}">'
        f'<span class="tpop-stat-value">{esc(number(value, lang))}</span>'
        f'<span class="tpop-stat-label">{wording(f"{_K}.validation.{key}", lang)}</span>'
        "</div>"
        for key, value in (("rows_read", total), ("valid", total - invalid), ("invalid", invalid))
    )
    parts = [f'<div class="tpop-stats tpop-validation-stats">{stats}</div>', changes_html]
    if not invalid:
        parts.append(
            f'<p class="tpop-all-valid">✓ {wording(f"{_K}.validation.all_valid", lang)}</p>'
        )
    else:
        parts.append(
            '<p class="tpop-muted">'
            + wording(f"{_K}.validation.intro", lang,
                      outcome=outcome_title("invalid_input", lang))
            + "</p>"
        )
        parts.append(rows_html)
    if notes:
        shown = [(translate(n, lang), n) for n in notes]
        items = "".join(f'<li{"" if lang == "en" or t != n else _EN}>{esc(t)}</li>'
                        for t, n in shown)
        parts.append(
            f'<div class="tpop-reader-notes"><h3>{wording(f"{_K}.validation.notes", lang)}'
            f"</h3><ul>{items}</ul></div>"
        )
    return "".join(parts)


# -- triage ------------------------------------------------------------------------------


def run_status_html(
    lang: str,
    *,
    running: bool = False,
    cancelling: bool = False,
    done: int = 0,
    total: int = 0,
    blocked: str | None = None,
    cancelled: tuple[int, int] | None = None,
    finished: Mapping[str, Any] | None = None,
) -> str:
    """Step 4's status line: running (done of total), stopping, blocked (a wording key),
    cancelled (done, total), or finished (``total``, ``as_of``, ``seconds``, ``changed``)."""
    if running:
        key = f"{_K}.run.cancelling" if cancelling else f"{_K}.run.running"
        status = wording(key, lang, done=number(done, lang), total=number(total, lang))
        return f'<p class="tpop-muted tpop-run-running" role="status">{status}</p>'
    if blocked in (f"{_K}.run.no_file", f"{_K}.run.blocked"):
        return f'<p class="tpop-muted tpop-run-blocked">{wording(blocked, lang)}</p>'
    if cancelled is not None:
        text = wording(f"{_K}.run.cancelled", lang, done=number(cancelled[0], lang),
                       total=number(cancelled[1], lang))
        return (
            '<div class="tpop-callout tpop-tone-wait tpop-run-cancelled" role="status">'
            f"{text}</div>"
        )
    if finished is not None:
        text = wording(f"{_K}.run.done", lang, total=number(finished["total"], lang),
                       as_of=moment_text(str(finished["as_of"]), lang),
                       seconds=seconds(finished["seconds"], lang))
        changed = int(finished.get("changed") or 0)
        extra = (
            f' <span class="tpop-run-changed" data-count="{changed}">'
            + plural(f"{_K}.run.changed", lang, changed)
            + "</span>"
            if changed
            else ""
        )
        return f'<p class="tpop-run-done" role="status">✓ {text}{extra}</p>'
    return ""


# -- results -----------------------------------------------------------------------------


def summary_html(counts: Mapping[str, int], codes: Sequence[str], lang: str) -> str:
    """One box per next action: its count and share of the orders."""
    tree = knowledge().tree
    total = sum(int(counts.get(c, 0)) for c in codes)
    items = []
    for code in codes:
        n = int(counts.get(code, 0))
        share = percent(n / max(total, 1), lang)
        node = tree.outcomes.get(code)
        tone = node.tone if node is not None else "info"
        zero = " tpop-summary-zero" if n == 0 else ""
        items.append(
            f'<div class="tpop-summary-item tpop-tone-{esc(tone)}{zero}" '
            f'data-outcome="{esc(code)}" data-count="{n}" '
            f'style="--tpop-outcome-color: {esc(outcome_color(code))}">'
            f'<span class="tpop-summary-count">{esc(number(n, lang))}</span>'
            f'<span class="tpop-summary-title">{esc(outcome_title(code, lang))}</span>'
            f'<span class="tpop-summary-share">'
            f"{wording(f'{_K}.results.share', lang, percent=share)}</span>"
            "</div>"
        )
    return (
        f'<h3>{wording(f"{_K}.results.summary", lang)}</h3>'
        f'<div class="tpop-summary" data-total="{total}">{"".join(items)}</div>'
    )


def assistant_link(record: Mapping[str, Any], lang: str, as_of: str = "") -> str:
    """The order assistant's deep link for one row: its canonical columns (what the file
    said), the page's language and the as-of moment the result was made at."""
    params: dict[str, str] = {}
    for column in LINK_COLUMNS:
        value = record.get(column, record.get("_" + column))
        if value is None or value is True or value is False:
            value = {True: "true", False: "false"}.get(value, "")  # type: ignore[call-overload]
        text = str(value).strip()
        if text and text not in ("NaT", "<NA>", "nan"):
            params[column] = text
    params["lang"] = lang
    if as_of:
        params["as_of"] = as_of
    return f"{ASSISTANT_PAGE}?{urlencode(params)}"


def reason_text(record: Mapping[str, Any], lang: str) -> str:
    """The reason in ``lang``: the outcome's text filled from the row's values (dates as
    :func:`moment_text` writes them).

    The engine writes the reason in English (the command line's files keep that); the
    other language's text comes from the same template (:func:`~tpop_kb.triage.reason_template`:
    the row's ship date and tracking status decide its wording) and the same values.
    """
    import pandas as pd

    from ..triage import reason_template

    tree = knowledge().tree
    node = tree.outcomes.get(str(record.get("outcome", "")))
    english = str(record.get("reason") or "")
    if node is None or lang == "en":
        return english
    days = record.get("days_since_shipped")
    shipped = record.get("shipped_at")
    dated = not (shipped is None or (not isinstance(shipped, str) and pd.isna(shipped))
                 or str(shipped) == "")
    template = reason_template(tree, node, lang, dated=dated,
                               status_known=bool(str(record.get("tracking_status") or "")))
    values = {
        "days_since_shipped": "" if days is None or pd.isna(days) else int(days),
        "recheck_at": moment_text(str(record.get("recheck_at") or ""), lang),
        "contact_from": moment_text(str(record.get("contact_from") or ""), lang),
    }
    return tree.fill(template, **values)


def table_html(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    lang: str,
    *,
    sort: str = "",
    descending: bool = False,
    as_of: str = "",
) -> str:
    """One page of the result table. Each heading is a button that sorts by its column
    (``data-sort``); the order id links to the order assistant filled with that order
    (:func:`assistant_link`); columns whose name starts with ``_`` are not shown."""
    shown = [c for c in columns if not c.startswith("_")]
    head = []
    for c in shown:
        arrow, state = "", "none"
        if c == sort:
            arrow = " ↓" if descending else " ↑"
            state = "descending" if descending else "ascending"
        label = column_label(c, lang)
        sort_title = wording(f"{_K}.table.sort_by_column", lang, column=label)
        head.append(
            f'<th scope="col" class="tpop-col-{esc(c)}" data-column="{esc(c)}" '
            f'aria-sort="{state}"><button type="button" class="tpop-sort-header" '
            f'data-sort="{esc(c)}" title="{sort_title}">'
            f'{esc(label)}<span class="tpop-sort-arrow" aria-hidden="true">{arrow}</span>'
            "</button></th>"
        )
    body = []
    for record in records:
        cells = "".join(_cell(c, record.get(c), record, lang, as_of) for c in shown)
        body.append(
            f'<tr data-outcome="{esc(record.get("outcome", ""))}" '
            f'data-order="{esc(record.get("order_id", ""))}">{cells}</tr>'
        )
    return (
        f'<p class="tpop-small tpop-muted tpop-scroll-hint">→ '
        f'{wording(f"{_K}.table.scroll_hint", lang)}</p>'
        '<div class="tpop-table-scroll tpop-results-scroll" tabindex="0">'
        f'<table class="tpop-table tpop-results" lang="{esc(lang)}">'
        f'<thead><tr>{"".join(head)}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></div>'
    )


def _cell(column: str, value: Any, record: Mapping[str, Any], lang: str, as_of: str) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        value = ""
    css = f"tpop-col-{esc(column)}"
    if column == "order_id":
        order = str(value)
        link = assistant_link(record, lang, as_of)
        title = wording(f"{_K}.table.open_assistant", lang, order=order)
        return (
            f'<th scope="row" class="{css}"><a class="tpop-assistant-link" '
            f'href="{esc(link)}" target="_blank" rel="noopener" title="{title}">'
            f"{esc(order) or '—'}</a></th>"
        )
    if column == "outcome":
        code = str(value)
        return (
            f'<td class="{css}"><span class="tpop-outcome-chip" '
            f'style="--tpop-outcome-color: {esc(outcome_color(code))}">'
            f"{esc(outcome_title(code, lang))}</span></td>"
        )
    if column == "flags":
        chips = "".join(
            f'<span class="tpop-badge tpop-tone-wait tpop-flag" data-flag="{esc(f)}">'
            f"{esc(flag_title(f, lang))}</span>"
            for f in str(value).split(";") if f
        )
        return f'<td class="{css}">{chips}</td>'
    if column == "destination_country":
        code = str(value)
        text = country_label(code, lang) if code else ""
        return f'<td class="{css}" title="{esc(code)}">{esc(text)}</td>'
    if column == "tracking_status":
        code = str(value)
        text = status_label(code, lang) if code else ""
        return f'<td class="{css}" title="{esc(code)}">{esc(text)}</td>'
    if column == "reason":
        errors = [e for e in str(record.get("error") or "").split("; ") if e]
        detail = "".join(
            f'<div class="tpop-row-error"{"" if ok else _EN}>{esc(text)}</div>'
            for text, ok in (why_text(e, lang) for e in errors)
        )
        return f'<td class="{css}">{esc(reason_text(record, lang))}{detail}</td>'
    if column.endswith("_url"):
        url = str(value)
        if not url.startswith(("https://", "http://")):
            return f'<td class="{css}">{esc(url)}</td>'
        return (
            f'<td class="{css}"><a href="{esc(url)}" target="_blank" '
            f'rel="noopener noreferrer">{wording(f"{_K}.table.link", lang)} ↗</a></td>'
        )
    if column in ("recheck_at", "shipped_at", "contact_from"):
        return f'<td class="{css}">{esc(moment_text(str(value), lang))}</td>'
    if column == "article_ref":
        refs = "".join(f"<code>{esc(r)}</code> " for r in str(value).split(";") if r)
        return f'<td class="{css}">{refs}</td>'
    return f'<td class="{css}">{esc(value)}</td>'



# -- the page's other fragments (the page passes its state's values) ----------------------


def sample_title(name: str, lang: str) -> str:
    """A bundled sample's name in the picker (plain text): its wording, then the file's
    name; the file's name alone when it has no wording."""
    if name.replace(".", "_") not in knowledge().ui[_K]["upload"]["sample_names"]:
        return name
    title = wording(f"{_K}.upload.sample_names.{name.replace('.', '_')}", lang, plain=True)
    return f"{title} — {name}"


def home_html(lang: str) -> str:
    return f'<a class="tpop-home-link" href="index.ipynb">{wording(f"{_K}.home", lang)}</a>'


def hero_html(lang: str) -> str:
    return (
        f'<div class="tpop-hero" lang="{esc(lang)}">'
        f"<h1>{wording(f'{_K}.title', lang)}</h1>"
        f'<p class="tpop-lead">{wording(f"{_K}.lead", lang)}</p></div>'
    )


def step_title_html(step: str, lang: str) -> str:
    """A step's heading: ``upload``, ``mapping``, ``validation``, ``run``, ``results``,
    ``download``."""
    return f"<h2>{wording(f'{_K}.steps.{step}', lang)}</h2>"


def subtitle_html(key: str, lang: str) -> str:
    """A heading inside a step (``results.table``, ``results.charts``)."""
    return f"<h3>{wording(f'{_K}.{key}', lang)}</h3>"


def muted_html(key: str, lang: str, css: str = "") -> str:
    """A quiet line of the wording ``key`` (under ``bulk_triage``): what a step waits for."""
    classes = f"tpop-muted {css}".strip()
    return f'<p class="{classes}">{wording(f"{_K}.{key}", lang)}</p>'


def mapping_intro_html(loaded: bool, lang: str) -> str:
    return muted_html("mapping.intro" if loaded else "mapping.waiting", lang)


def mapping_label_html(label: str, required: bool, lang: str) -> str:
    """A column's name in the mapping grid, with its "required"/"optional" badge."""
    badge = (
        '<span class="tpop-badge tpop-tone-escalate">'
        f"{wording(f'{_K}.mapping.required', lang)}</span>"
        if required
        else f'<span class="tpop-badge">{wording(f"{_K}.mapping.optional", lang)}</span>'
    )
    return f'<span class="tpop-mapping-name">{esc(label)}</span> {badge}'


def example_html(value: str | None, lang: str) -> str:
    """The first filled cell of a mapped column (``None``: no column; ``""``: only empty
    cells); a long one is cut at 40 characters."""
    if value is None:
        return '<span class="tpop-muted">—</span>'
    if not value:
        return f'<span class="tpop-muted">{wording(f"{_K}.validation.empty_value", lang)}</span>'
    shown = value if len(value) <= 40 else value[:39] + "…"
    return f"<code>{esc(shown)}</code>"


def validation_waiting_html(lang: str) -> str:
    return muted_html("validation.waiting", lang)


def validation_blocked_html(lang: str) -> str:
    return muted_html("run.blocked", lang, "tpop-validation-blocked")


def as_of_help_html(lang: str, bad_value: str | None = None) -> str:
    """Under the as-of field: how to write it, or (``bad_value``) why it is not a date."""
    if bad_value is None:
        return f'<p class="tpop-small tpop-muted">{wording(f"{_K}.run.as_of_help", lang)}</p>'
    return (
        '<div class="tpop-callout tpop-tone-error tpop-as-of-error" role="alert">'
        f"{wording(f'{_K}.run.bad_as_of', lang, value=bad_value)}</div>"
    )


def stale_html(stale: bool, lang: str) -> str:
    """The note over a result made from other orders or another moment than the page's."""
    if not stale:
        return ""
    return (
        '<div class="tpop-callout tpop-tone-wait tpop-stale-note" role="status">'
        f"{wording(f'{_K}.run.stale', lang)}</div>"
    )


def results_empty_html(lang: str) -> str:
    return muted_html("results.empty", lang, "tpop-results-empty")


def download_intro_html(lang: str, versions: Mapping[str, str] | None = None) -> str:
    """What the downloads hold; ``versions`` (``kb``, ``calendar``: there is a result):
    what it was triaged with."""
    if versions is None:
        return muted_html("download.waiting", lang)
    return muted_html("download.intro", lang) + (
        '<p class="tpop-small tpop-muted tpop-download-versions">'
        + wording(f"{_K}.download.versions", lang, kb=versions["kb"],
                  calendar=versions["calendar"])
        + "</p>"
    )


def download_all_label_html(rows: int, lang: str) -> str:
    return (
        f'<span class="tpop-download-group-title">{wording(f"{_K}.download.all", lang)}'
        f" ({esc(number(rows, lang))})</span>"
    )


def download_filtered_label_html(filtered: int | None, lang: str) -> str:
    """The filtered rows' downloads' title: how many (``None``: the table is not filtered,
    and a line says so)."""
    if filtered is not None:
        title = wording(f"{_K}.download.filtered", lang, n=number(filtered, lang))
        return f'<span class="tpop-download-group-title">{title}</span>'
    return (
        f'<span class="tpop-download-group-title">'
        f'{wording(f"{_K}.download.filtered_title", lang)}</span>'
        f'<span class="tpop-small tpop-muted tpop-filtered-none">'
        f'{wording(f"{_K}.download.filtered_none", lang)}</span>'
    )


def download_failed_html(kind: str, lang: str) -> str:
    """A download that could not be built (``kind``: the error's kind; empty: none)."""
    if not kind:
        return ""
    return (
        '<div class="tpop-alert tpop-alert-error" role="alert">'
        f"{wording(f'{_K}.download.failed', lang, kind=kind)}</div>"
    )
