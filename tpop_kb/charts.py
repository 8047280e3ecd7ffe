"""Charts of a triage result, drawn offline as PNG bytes (matplotlib, no CDN, no pyplot state).

Three charts, each self-contained (title, axes, legend), in French or English;
``*_chart`` gives PNG bytes, ``*_figure`` the matplotlib figure (for tests):

- :func:`outcome_counts_chart`: how many orders per outcome (the next action);
- :func:`days_histogram`: days since shipping, one bar per day, stacked and
  coloured by outcome, with the contact threshold of ``tree.yaml`` marked;
- :func:`country_chart`: outcomes by destination country (the largest
  countries, then "other countries" and "unknown").

Outcome names come from ``tree.yaml`` (``title``), country names from CLDR,
other wording from ``data/ui/bulk_triage.yaml`` (section ``bulk_triage.charts``).
:data:`OUTCOME_COLORS` gives every outcome one colour, used by the page too so
that a colour means the same thing everywhere.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .diagram import TONE_COLOURS
from .knowledge import knowledge
from .triage import OUTCOMES

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "OUTCOME_COLORS",
    "country_chart",
    "country_figure",
    "days_figure",
    "days_histogram",
    "outcome_color",
    "outcome_counts_chart",
    "outcome_counts_figure",
]

#: One colour per outcome code (public and stable codes, see tree.yaml).
OUTCOME_COLORS: dict[str, str] = {
    "not_shipped": "#b8c0cc",
    "wait_for_activation": "#f2c94c",
    "check_destination_post": "#3b82f6",
    "tracking_silent": "#d9a05b",
    "wait_before_contact": "#c98a0b",
    "contact_tpop": "#e4572e",
    "delivered": "#2e9d5b",
    "delivered_go_to_post_office": "#14b8a6",
    "delivered_merchant_decides": "#7c3aed",
    "collect_at_post_office": "#0e7490",
    "invalid_input": "#475467",
}
#: Colours for outcomes a future tree adds, by tone: the tones' own (text) colours,
#: :data:`tpop_kb.diagram.TONE_COLOURS`, the one place they are written.
_TONE_COLORS = {tone: fg for tone, (fg, _bg, _border) in TONE_COLOURS.items()}
_INK = "#1b2430"
_MUTED = "#5b6675"
_GRID = "#e3e7ed"
_WIDTH_IN = 5.8  # a chart in half the page's width
_WIDE_IN = 10.0  # a chart across the page
_DPI = 150
_FONT = {
    "font.family": "DejaVu Sans",
    "font.size": 10.5,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 10.5,
    "axes.edgecolor": _GRID,
    "axes.labelcolor": _MUTED,
    "xtick.color": _MUTED,
    "ytick.color": _INK,
    "text.color": _INK,
    "svg.fonttype": "none",
}


def outcome_color(code: str) -> str:
    """The colour of an outcome; an outcome unknown here gets its tone's colour."""
    if code in OUTCOME_COLORS:
        return OUTCOME_COLORS[code]
    node = knowledge().tree.outcomes.get(code)
    return _TONE_COLORS.get(node.tone if node else "", "#98a2b3")


def _text(key: str, lang: str, **values: Any) -> str:
    """Chart wording from ``bulk_triage.charts`` (plain text: a chart is not HTML)."""
    text = str(knowledge().ui["bulk_triage"]["charts"][key][lang])
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def _outcome_codes() -> list[str]:
    """Outcomes in the order of the public vocabulary, then any the tree adds."""
    tree_codes = list(knowledge().tree.outcomes)
    return [c for c in OUTCOMES if c in tree_codes] + [c for c in tree_codes if c not in OUTCOMES]


def _title(code: str, lang: str) -> str:
    node = knowledge().tree.outcomes.get(code)
    return node.title[lang] if node else code


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _number(value: int, lang: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale="fr_FR" if lang == "fr" else "en_GB")


def _figure(height: float, width: float = _WIDTH_IN) -> Figure:
    """A figure whose labels fit inside its size, so that every chart has the same scale."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=_DPI, facecolor="white", layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, facecolor="white")
    return buffer.getvalue()


def _style_axes(axes: Any, grid_axis: str) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis=grid_axis, color=_GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    axes.tick_params(length=0)


def _integer_ticks(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, nbins=6))


def _legend(figure: Figure, codes: Sequence[str], lang: str, columns: int = 2,
            wrap: int = 34) -> None:
    """The outcomes' colours, below the chart."""
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=outcome_color(c), edgecolor="none", label=_wrap(_title(c, lang), wrap))
        for c in codes
    ]
    if handles:
        figure.legend(
            handles=handles,
            loc="outside lower center",
            ncol=min(columns, len(handles)),
            frameon=False,
            fontsize=9.5,
            handlelength=1.2,
            columnspacing=1.6,
        )


def outcome_counts_chart(outcomes: pd.Series, lang: str = "en") -> bytes:
    """Horizontal bars: orders per outcome (every outcome of the tree, zeros included); PNG."""
    return _png(outcome_counts_figure(outcomes, lang))


def days_histogram(result: pd.DataFrame, lang: str = "en", *, max_days: int = 60) -> bytes:
    """Orders per day since shipping, stacked by outcome (see :func:`days_figure`); PNG."""
    return _png(days_figure(result, lang, max_days=max_days))


def country_chart(
    result: pd.DataFrame, countries: pd.Series, lang: str = "en", *, top: int = 10
) -> bytes:
    """Outcomes by destination country (see :func:`country_figure`); PNG."""
    return _png(country_figure(result, countries, lang, top=top))


def outcome_counts_figure(outcomes: pd.Series, lang: str = "en") -> Figure:
    """The figure of :func:`outcome_counts_chart`."""
    from matplotlib import rc_context

    codes = _outcome_codes()
    counts = outcomes.value_counts()
    values = [int(counts.get(code, 0)) for code in codes]
    total = max(sum(values), 1)
    with rc_context(_FONT):
        figure = _figure(0.42 * len(codes) + 1.1)
        axes = figure.subplots()
        positions = list(range(len(codes)))[::-1]
        axes.barh(
            positions, values, color=[outcome_color(c) for c in codes], height=0.68, zorder=2
        )
        axes.set_yticks(positions, [_wrap(_title(c, lang), 30) for c in codes], fontsize=9)
        peak = max(values) if any(values) else 1
        for y, value in zip(positions, values, strict=True):
            axes.text(
                value + peak * 0.015,
                y,
                f"{_number(value, lang)} ({round(100 * value / total)} %)"
                if lang == "fr"
                else f"{_number(value, lang)} ({round(100 * value / total)}%)",
                va="center",
                fontsize=9,
                color=_INK,
            )
        axes.set_xlim(0, peak * 1.28)
        _integer_ticks(axes.xaxis)
        axes.set_xlabel(_text("orders", lang))
        axes.set_title(_text("outcomes_title", lang), loc="left", pad=10)
        _style_axes(axes, "x")
        return figure


def days_figure(result: pd.DataFrame, lang: str = "en", *, max_days: int = 60) -> Figure:
    """Orders per day since shipping (0 .. ``max_days``, the last bar ``max_days``+), stacked
    by outcome; the contact threshold is drawn as a dashed line."""
    import numpy as np
    from matplotlib import rc_context

    days = result["days_since_shipped"]
    known = days.notna().to_numpy()
    values = days[known].astype("int64").to_numpy()
    outcomes = result["outcome"].to_numpy(dtype=object)[known]
    capped = np.clip(values, 0, max_days)
    present = [c for c in _outcome_codes() if (outcomes == c).any()]
    threshold = knowledge().tree.thresholds["contact_after_days"]
    with rc_context(_FONT):
        figure = _figure(5.0, _WIDE_IN)
        axes = figure.subplots()
        bins = np.arange(max_days + 1)
        bottom = np.zeros(len(bins))
        for code in present:
            heights = np.bincount(capped[outcomes == code], minlength=len(bins))[: len(bins)]
            axes.bar(
                bins, heights, bottom=bottom, width=0.86, color=outcome_color(code), zorder=2,
                linewidth=0,
            )
            bottom += heights
        top = bottom.max() if len(bottom) and bottom.max() > 0 else 1
        axes.axvline(threshold + 0.5, color=_INK, linestyle=(0, (4, 3)), linewidth=1, zorder=3)
        axes.text(
            threshold + 1.1,
            top * 1.06,
            _wrap(_text("contact_line", lang, contact_after_days=threshold), 30),
            fontsize=8.5,
            color=_INK,
            va="top",
        )
        axes.set_ylim(0, top * 1.18)
        axes.set_xlim(-0.8, max_days + 0.8)
        step = 7 if max_days > 30 else 5
        ticks = [d for d in range(0, max_days, step) if max_days - d >= step * 0.75] + [max_days]
        axes.set_xticks(ticks, [str(t) for t in ticks[:-1]] + [f"{max_days}+"])
        _integer_ticks(axes.yaxis)
        axes.set_xlabel(_text("days_x", lang))
        axes.set_ylabel(_text("orders", lang))
        hidden = int((~known).sum())
        axes.set_title(_text("days_title", lang), loc="left", pad=24 if hidden else 10)
        _style_axes(axes, "y")
        if hidden:  # a subtitle, between the title and the bars
            axes.text(
                0,
                1.015,
                _text("not_shown", lang, n=_number(hidden, lang)),
                transform=axes.transAxes,
                ha="left",
                va="bottom",
                fontsize=8.5,
                color=_MUTED,
            )
        _legend(figure, present, lang, columns=3, wrap=40)
        return figure


def country_figure(
    result: pd.DataFrame, countries: pd.Series, lang: str = "en", *, top: int = 10
) -> Figure:
    """Stacked horizontal bars: outcomes for the ``top`` countries with most orders, then
    "other countries" and "unknown country". ``countries`` holds ISO codes ('' = unknown)."""
    import numpy as np
    import pandas as pd
    from matplotlib import rc_context

    from .countries import country_name

    codes = pd.Series(countries.to_numpy(dtype=object), dtype=object).fillna("")
    outcomes = pd.Series(result["outcome"].to_numpy(dtype=object), dtype=object)
    known = codes[codes != ""]
    order = list(known.value_counts().index[:top])
    other_label = _text("other_countries", lang)
    unknown_label = _text("unknown_country", lang)
    groups = codes.where(codes.isin(order) | (codes == ""), "__other__")
    groups = groups.where(groups != "", "__unknown__")
    rows = order + [g for g in ("__other__", "__unknown__") if (groups == g).any()]
    table = pd.crosstab(groups, outcomes).reindex(index=rows, fill_value=0)
    present = [c for c in _outcome_codes() if c in table.columns and table[c].sum() > 0]
    labels = [
        other_label if g == "__other__" else unknown_label if g == "__unknown__"
        else country_name(g, lang)
        for g in rows
    ]
    with rc_context(_FONT):
        figure = _figure(0.36 * max(len(rows), 1) + 1.2 + 0.3 * ((len(present) + 1) // 2))
        axes = figure.subplots()
        positions = np.arange(len(rows))[::-1]
        left = np.zeros(len(rows))
        for code in present:
            widths = table[code].to_numpy(dtype=float) if len(rows) else np.zeros(0)
            axes.barh(positions, widths, left=left, color=outcome_color(code), height=0.7,
                      zorder=2, linewidth=0)
            left += widths
        peak = left.max() if len(left) and left.max() > 0 else 1
        for y, total in zip(positions, left, strict=True):
            axes.text(total + peak * 0.012, y, _number(int(total), lang), va="center",
                      fontsize=8.5, color=_INK)
        axes.set_yticks(positions, [_wrap(label, 24) for label in labels], fontsize=9)
        axes.set_xlim(0, peak * 1.12)
        _integer_ticks(axes.xaxis)
        axes.set_xlabel(_text("orders", lang))
        axes.set_title(_text("countries_title", lang), loc="left", pad=10)
        _style_axes(axes, "x")
        _legend(figure, present, lang)
        return figure
