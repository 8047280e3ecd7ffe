"""One set of tone colours: ``tpop_kb.diagram.TONE_COLOURS``.

The pages' stylesheets read them as CSS variables (``var(--tpop-tone-error-fg)``...)
that :mod:`tpop_kb.apps.style` defines once from that table; the charts take their
fallback colours from it too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tpop_kb.diagram import TONE_COLOURS

ASSETS = Path(__file__).resolve().parents[1] / "tpop_kb" / "apps" / "assets"
HEXES = {c.lower() for colours in TONE_COLOURS.values() for c in colours}


def test_no_stylesheet_types_a_tone_colour() -> None:
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(ASSETS.glob("*.css"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if {h.lower() for h in re.findall(r"#[0-9a-fA-F]{6}\b", line)} & HEXES
    ]
    assert not found, "use var(--tpop-tone-<tone>-fg/-bg/-border) instead of:\n" + "\n".join(
        found)


def test_the_shared_stylesheet_defines_each_variable_once() -> None:
    from tpop_kb.apps.style import CSS

    for tone, (fg, bg, border) in TONE_COLOURS.items():
        for part, colour in (("fg", fg), ("bg", bg), ("border", border)):
            assert CSS.count(f"--tpop-tone-{tone}-{part}: {colour};") == 1
        assert f".tpop-tone-{tone} {{ --tpop-tone-fg: var(--tpop-tone-{tone}-fg);" in CSS


def test_every_variable_a_stylesheet_uses_is_defined() -> None:
    from tpop_kb.apps.style import CSS

    used = {
        name
        for path in ASSETS.glob("*.css")
        for name in re.findall(r"var\((--tpop-tone-[a-z]+-[a-z]+)", path.read_text("utf-8"))
    }
    assert used, "the stylesheets use the tone variables"
    assert {n for n in used if f"{n}:" not in CSS} == set()


@pytest.mark.parametrize("tone", sorted(TONE_COLOURS))
def test_chart_tone_colours_are_the_diagrams(tone: str) -> None:
    from tpop_kb.charts import _TONE_COLORS

    assert _TONE_COLORS[tone] == TONE_COLOURS[tone][0]
