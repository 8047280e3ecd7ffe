"""The insights page's views: a summary of the events (``tpop_kb.events.summary``) -> HTML.

Plain functions, tested without widgets; every text comes from the page wording
(``data/ui/insights.yaml``), every value is escaped.
"""

from __future__ import annotations

import re
from typing import Any

from ..countries import country_name
from ..diagram import tree_svg
from ..events import edge_uses, scenario_draft
from ..knowledge import LOCALES, knowledge
from ._base import Html, esc, wording

__all__ = [
    "countries_html",
    "empty_html",
    "flags_html",
    "insights_html",
    "outcome_title",
    "outcomes_html",
    "paths_svg",
    "per_day_html",
    "stats_html",
]

_K = "insights"
#: outcome tones of tree.yaml -> the bar colours of the page (insights.css)
_TONES = ("wait", "act", "decide", "done", "error", "escalate")


def _hour_text(hour: str, lang: str) -> str:
    """An event's hour (``2026-12-06T09:00``, UTC) as the page's language writes it
    (``6 déc. 2026, 09:00``); anything else as it is."""
    import datetime as dt

    from babel.dates import format_datetime

    try:
        moment = dt.datetime.fromisoformat(hour)
    except (TypeError, ValueError):
        return str(hour)
    return format_datetime(moment, "d MMM y, HH:mm", locale=LOCALES.get(lang, "en_GB"))


def outcome_title(code: str, lang: str) -> str:
    node = knowledge().tree.nodes.get(code)
    return node.title.get(lang, code) if node is not None and node.title else code


def _tone(code: str) -> str:
    node = knowledge().tree.nodes.get(code)
    tone = node.tone if node is not None else ""
    return tone if tone in _TONES else "other"


def _bars(rows: list[tuple[str, int, str]], css: str) -> str:
    """Horizontal bars: (label HTML, n, tone) -> a list; widths relative to the largest."""
    top = max((n for _, n, _ in rows), default=0) or 1
    items = "".join(
        f'<li class="tpop-ins-bar-row" data-tone="{esc(tone)}"><span class="tpop-ins-label">'
        f'{label}</span><span class="tpop-ins-bar"><span style="width:{100 * n / top:.1f}%">'
        f'</span></span><span class="tpop-ins-n">{n}</span></li>'
        for label, n, tone in rows
    )
    return f'<ul class="tpop-ins-bars {css}">{items}</ul>'


def empty_html(lang: str, recording: bool) -> str:
    off = (f'<p class="tpop-ins-off">{wording(f"{_K}.recording_off", lang)}</p>'
           if not recording else "")
    return (f'<div class="tpop-callout tpop-ins-empty" role="status">'
            f'<p>{wording(f"{_K}.empty", lang)}</p>{off}</div>')


def stats_html(found: dict[str, Any], lang: str) -> str:
    feedback = found.get("feedback", {})
    values = (
        ("answers", found["answers"]), ("bulk_runs", found["bulk_runs"]),
        ("bulk_orders", found["bulk_orders"]), ("flagged", feedback.get("no", 0)),
        ("confirmed", feedback.get("yes", 0)),
    )
    return '<div class="tpop-stats tpop-ins-stats">' + "".join(
        f'<div class="tpop-stat" data-stat="{key}"><span class="tpop-stat-value">{n}</span>'
        f'<span class="tpop-stat-label">{wording(f"{_K}.stats.{key}", lang)}</span></div>'
        for key, n in values
    ) + "</div>"


def per_day_html(found: dict[str, Any], lang: str) -> str:
    days: dict[str, dict[str, int]] = {}
    for day, outcome, n in found["per_day"]:
        days.setdefault(day, {})[outcome] = n
    top = max((sum(v.values()) for v in days.values()), default=0) or 1
    rows = []
    for day, outcomes in days.items():
        total = sum(outcomes.values())
        segments = "".join(
            f'<span data-tone="{_tone(code)}" style="width:{100 * n / top:.1f}%" '
            f'title="{esc(outcome_title(code, lang))}: {n}"></span>'
            for code, n in sorted(outcomes.items())
        )
        rows.append(f'<tr data-day="{esc(day)}"><th scope="row">{esc(day)}</th>'
                    f'<td class="tpop-ins-stack">{segments}</td><td>{total}</td></tr>')
    return (
        f'<section class="tpop-card tpop-ins-per-day"><h2 class="tpop-section-title">'
        f'{wording(f"{_K}.per_day_heading", lang)}</h2><table class="tpop-ins-table">'
        f'<thead><tr><th>{wording(f"{_K}.day", lang)}</th><th></th>'
        f'<th>{wording(f"{_K}.total", lang)}</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></section>'
    )


def outcomes_html(found: dict[str, Any], lang: str) -> str:
    rows = [(esc(outcome_title(code, lang)), n, _tone(code))
            for code, n in found["per_outcome"].items()]
    return (
        f'<section class="tpop-card tpop-ins-outcomes"><h2 class="tpop-section-title">'
        f'{wording(f"{_K}.outcomes_heading", lang)}</h2>'
        f'<p class="tpop-small tpop-muted">{wording(f"{_K}.outcomes_note", lang)}</p>'
        f"{_bars(rows, 'tpop-ins-outcome-bars')}</section>"
    )


_EDGE = re.compile(r'<path class="(tpop-edge[^"]*)" data-edge="([^"]*)"([^>]*?)'
                   r'stroke-width="[^"]*"([^>]*)/>')


def paths_svg(found: dict[str, Any], lang: str) -> str:
    """The decision tree, each arrow as wide as the answers that took it (a tooltip
    gives the number); arrows nobody took stay thin."""
    uses = edge_uses(found["paths"])
    top = max(uses.values(), default=0) or 1
    svg = tree_svg(lang=lang, legend=False)

    def weigh(match: re.Match[str]) -> str:
        classes, edge, before, after = match.groups()
        source, _, answer = edge.partition(":")
        n = uses.get((source, answer), 0)
        width = 1.2 + 10 * n / top if n else 1.0
        used = " is-used" if n else ""
        tip = wording(f"{_K}.uses", lang, plain=True, n=n)
        return (f'<path class="{classes}{used}" data-edge="{edge}" data-uses="{n}"{before}'
                f'stroke-width="{width:.1f}"{after}><title>{esc(tip)}</title></path>')

    return _EDGE.sub(weigh, svg)


def _reason(reason: str, lang: str) -> str:
    try:
        return wording(f"order_assistant.feedback.reasons.{reason}", lang)
    except KeyError:
        return esc(reason or "—")


def flags_html(found: dict[str, Any], lang: str) -> str:
    heading = (f'<section class="tpop-card tpop-ins-flags"><h2 class="tpop-section-title">'
               f'{wording(f"{_K}.flags_heading", lang)}</h2>')
    if not found["flagged_by_reason"]:
        return heading + f'<p class="tpop-muted">{wording(f"{_K}.no_flags", lang)}</p></section>'
    reasons = _bars([(_reason(r, lang), n, "escalate")
                     for r, n in found["flagged_by_reason"].items()], "tpop-ins-reason-bars")
    nodes = _bars([(esc(outcome_title(o, lang)), n, _tone(o))
                   for o, n in found["flagged_by_node"]], "tpop-ins-node-bars")
    items = []
    for flagged in found["flagged"]:
        comment = (f'<q>{esc(flagged["comment"])}</q>' if flagged["comment"]
                   else f'<span class="tpop-muted">{wording(f"{_K}.no_comment", lang)}</span>')
        items.append(
            f'<li class="tpop-ins-flag" data-ref="{esc(flagged["ref"])}">'
            f'<strong>{esc(outcome_title(flagged["outcome"], lang))}</strong> · '
            f'{_reason(flagged["reason"], lang)} · {esc(flagged["country"] or "—")} · '
            f'{esc(_hour_text(flagged["hour"], lang))} UTC<br>{comment}'
            f'<details class="tpop-ins-draft"><summary>{wording(f"{_K}.draft_summary", lang)}'
            f'</summary><p class="tpop-small tpop-muted">{wording(f"{_K}.draft_note", lang)}'
            f'</p><pre>{esc(scenario_draft(flagged))}</pre></details></li>'
        )
    return (
        heading + '<div class="tpop-columns">'
        f'<div><h3>{wording(f"{_K}.by_reason", lang)}</h3>{reasons}</div>'
        f'<div><h3>{wording(f"{_K}.by_outcome", lang)}</h3>{nodes}</div></div>'
        f'<h3>{wording(f"{_K}.latest_flags", lang)}</h3>'
        f'<ul class="tpop-ins-flag-list">{"".join(items)}</ul></section>'
    )


def _country_name(code: str, lang: str) -> str:
    if not code:
        return wording(f"{_K}.unknown_country", lang)
    return esc(country_name(code, lang))


def countries_html(found: dict[str, Any], lang: str) -> str:
    countries: dict[str, dict[str, int]] = {}
    for country, outcome, n in found["countries"]:
        countries.setdefault(country, {})[outcome] = n
    rows = []
    for country, outcomes in sorted(countries.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(outcomes.values())
        segments = "".join(
            f'<span data-tone="{_tone(code)}" style="width:{100 * n / total:.1f}%" '
            f'title="{esc(outcome_title(code, lang))}: {n}"></span>'
            for code, n in sorted(outcomes.items(), key=lambda kv: -kv[1])
        )
        mix = ", ".join(f"{esc(outcome_title(code, lang))} {100 * n / total:.0f} %"
                        for code, n in sorted(outcomes.items(), key=lambda kv: -kv[1]))
        rows.append(
            f'<tr data-country="{esc(country)}"><th scope="row">{_country_name(country, lang)}'
            f'</th><td>{total}</td><td><div class="tpop-ins-stack tpop-ins-mix">{segments}</div>'
            f'<span class="tpop-small">{mix}</span></td></tr>'
        )
    return (
        f'<section class="tpop-card tpop-ins-countries"><h2 class="tpop-section-title">'
        f'{wording(f"{_K}.countries_heading", lang)}</h2><table class="tpop-ins-table">'
        f'<thead><tr><th>{wording(f"{_K}.country", lang)}</th>'
        f'<th>{wording(f"{_K}.total", lang)}</th><th>{wording(f"{_K}.mix", lang)}</th></tr>'
        f'</thead><tbody>{"".join(rows)}</tbody></table></section>'
    )


def insights_html(found: dict[str, Any] | None, lang: str, *, recording: bool = True) -> str:
    """The whole report, or the "nothing recorded yet" message for an empty period."""
    if found is None or (found["answers"] == 0 and found["bulk_runs"] == 0):
        return empty_html(lang, recording)
    off = "" if recording else empty_html(lang, recording).replace(
        wording(f"{_K}.empty", lang), "")
    paths = ""
    if found["paths"]:
        paths = (
            f'<section class="tpop-card tpop-ins-paths"><h2 class="tpop-section-title">'
            f'{wording(f"{_K}.paths_heading", lang)}</h2>'
            f'<p class="tpop-small tpop-muted">{wording(f"{_K}.paths_note", lang)}</p>'
            f'<div class="tpop-ins-diagram">{Html(paths_svg(found, lang))}</div></section>'
        )
    return (
        off + stats_html(found, lang)
        + '<div class="tpop-columns">' + per_day_html(found, lang)
        + outcomes_html(found, lang) + "</div>"
        + paths + flags_html(found, lang) + countries_html(found, lang)
    )
