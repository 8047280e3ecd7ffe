"""Charts: drawn offline (PNG), localised, and showing the numbers of the result."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tpop_kb import data_dir, knowledge, read_orders, triage_frame
from tpop_kb.charts import (
    OUTCOME_COLORS,
    country_chart,
    country_figure,
    days_figure,
    days_histogram,
    outcome_color,
    outcome_counts_chart,
    outcome_counts_figure,
)
from tpop_kb.countries import country_name
from tpop_kb.triage import OUTCOMES

AS_OF = dt.datetime(2026, 11, 26, 10, 0)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample():
    table = read_orders(data_dir() / "samples" / "orders.csv")
    return table.orders, triage_frame(table.orders, AS_OF)


def _texts(figure) -> list[str]:
    found = [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]
    return [" ".join(t.split()) for t in found if t]


def test_every_outcome_has_its_own_colour():
    assert set(OUTCOME_COLORS) == set(OUTCOMES) == set(knowledge().tree.outcomes)
    assert len(set(OUTCOME_COLORS.values())) == len(OUTCOME_COLORS)
    assert outcome_color("not_a_code").startswith("#")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_charts_are_png_and_localised(sample, lang):
    orders, result = sample
    for data in (
        outcome_counts_chart(result["outcome"], lang),
        days_histogram(result, lang),
        country_chart(result, orders["destination_country"], lang),
    ):
        assert data.startswith(PNG)
        assert len(data) > 20_000
    texts = " | ".join(_texts(outcome_counts_figure(result["outcome"], lang)))
    for node in knowledge().tree.outcomes.values():
        assert " ".join(node.title[lang].split()) in texts
    title = knowledge().ui["bulk_triage"]["charts"]["outcomes_title"][lang]
    assert title in texts


def test_outcome_bars_are_the_counts(sample):
    _, result = sample
    figure = outcome_counts_figure(result["outcome"], "en")
    bars = figure.axes[0].patches
    counts = result["outcome"].value_counts()
    assert [int(b.get_width()) for b in bars] == [int(counts.get(c, 0)) for c in OUTCOMES]
    assert [b.get_facecolor() for b in bars] == [
        pytest.approx(_rgba(OUTCOME_COLORS[c])) for c in OUTCOMES
    ]


def _rgba(hex_colour: str) -> tuple[float, ...]:
    from matplotlib.colors import to_rgba

    return to_rgba(hex_colour)


def test_histogram_stacks_sum_to_the_orders_per_day(sample):
    _, result = sample
    max_days = 30
    figure = days_figure(result, "fr", max_days=max_days)
    axes = figure.axes[0]
    heights = np.zeros(max_days + 1)
    for bar in axes.patches:
        heights[int(round(bar.get_x() + bar.get_width() / 2))] += bar.get_height()
    days = result["days_since_shipped"].dropna().astype(int).clip(0, max_days)
    assert heights.tolist() == np.bincount(days, minlength=max_days + 1).tolist()
    texts = " | ".join(_texts(figure))
    threshold = knowledge().tree.thresholds["contact_after_days"]
    assert f"après {threshold} jours" in texts
    hidden = int(result["days_since_shipped"].isna().sum())
    assert f"{hidden} commandes sans date d'expédition" in texts
    assert f"{max_days}+" in texts


def test_country_chart_groups_small_countries(sample):
    orders, result = sample
    countries = orders["destination_country"].astype(object)
    figure = country_figure(result, countries, "fr", top=3)
    labels = [t.get_text().replace("\n", " ") for t in figure.axes[0].get_yticklabels()]
    top = countries[countries != ""].value_counts().index[:3]
    assert labels[:3] == [country_name(c, "fr") for c in top]
    assert "Autres pays" in labels
    assert ("Pays inconnu" in labels) == bool((countries == "").any())
    totals = {}
    for bar in figure.axes[0].patches:
        y = round(bar.get_y() + bar.get_height() / 2)
        totals[y] = totals.get(y, 0) + bar.get_width()
    assert sum(totals.values()) == len(result), "every order is in one bar"


def test_charts_of_an_empty_result():
    empty = triage_frame(read_orders(b"order_id,shipped_at\n", name="e.csv").orders, AS_OF)
    countries = pd.Series([], dtype=object)
    assert outcome_counts_chart(empty["outcome"], "fr").startswith(PNG)
    assert days_histogram(empty, "fr").startswith(PNG)
    assert country_chart(empty, countries, "en").startswith(PNG)
