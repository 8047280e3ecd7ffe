"""The pages' shared look: one stylesheet, carried by an ``ipywidgets.HTML``.

Every page puts :func:`style_widget` first in its root box. The class names are
generic so that every page reuses them:

``.tpop-app``
    the page's root box (centred, system fonts); ``.tpop-<page>`` names the page.
``.tpop-header``, ``.tpop-brand``, ``.tpop-lang``
    the top bar: TPOP's name at left, the FR/EN toggle at right.
``.tpop-hero``, ``.tpop-lead``, ``.tpop-section-title``, ``.tpop-muted``, ``.tpop-small``
    headings and running text.
``.tpop-grid``, ``.tpop-card`` (``.tpop-card-title``, ``.tpop-card-text``, ``.tpop-card-link``),
``.tpop-card-disabled``
    responsive card grids; a card may be a link (``<a class="tpop-card">``).
``.tpop-badge``, ``.tpop-kv``, ``.tpop-table``, ``.tpop-callout``
    small labels, key/value lists, result tables, highlighted notes.
``.tpop-columns``, ``.tpop-stats`` (``.tpop-stat``, ``.tpop-stat-value``, ``.tpop-stat-label``)
    a wide and a narrow column; key figures.
``.tpop-alert``, ``.tpop-alert-error``
    a message box (faults above the page, form errors).
``.tpop-tone-wait``, ``-act``, ``-escalate``, ``-done``, ``-decide``, ``-error``
    the outcome tones of tree.yaml as colours; combine with ``.tpop-card``,
    ``.tpop-badge`` or ``.tpop-callout``.
``var(--tpop-tone-<tone>-fg)``, ``-bg``, ``-border``
    the same colours as CSS variables (on ``:root``), for the pages' and widgets'
    stylesheets (an error's red, a success's green...): no stylesheet types them again.

In Voila (``body[data-voila]``) the notebook's markdown cells are hidden: the
app's own header, which follows the language toggle, replaces the notebook's
title. In JupyterLab the notebook shows as written.
"""

from __future__ import annotations

import functools
from importlib.resources import files

import ipywidgets as widgets

from ..diagram import TONE_COLOURS

__all__ = ["CSS", "TONES", "asset", "style_widget"]

#: Outcome tones (``tone:`` in tree.yaml) -> (text, background, border) colours: the
#: diagram's (tpop_kb/diagram.py), the one place they are written.
TONES = TONE_COLOURS


@functools.cache
def asset(name: str) -> str:
    """The text of a page's stylesheet or script, a real file in ``tpop_kb/apps/assets/``
    (``asset("order_assistant.css")``), read once. (Here, below ``_base`` and
    ``connection``, so that every module reads its assets the same way.)"""
    return files("tpop_kb.apps").joinpath("assets", name).read_text(encoding="utf-8")


#: the parts of a tone's colours, as :data:`TONES` orders them
_PARTS = ("fg", "bg", "border")


def tone_variables() -> str:
    """The tones' colours as CSS variables on ``:root`` (``--tpop-tone-error-fg``...): the
    one place a stylesheet gets them from."""
    lines = [
        f"  --tpop-tone-{name}-{part}: {colour};"
        for name, colours in TONES.items()
        for part, colour in zip(_PARTS, colours, strict=True)
    ]
    return ":root {\n" + "\n".join(lines) + "\n}"


def _tone_rules() -> str:
    return "\n".join(
        f".tpop-tone-{name} {{ "
        + " ".join(f"--tpop-tone-{part}: var(--tpop-tone-{name}-{part});" for part in _PARTS)
        + " }"
        for name in TONES
    )


#: The shared stylesheet: the tones' colours as variables, ``assets/common.css`` and the
#: ``.tpop-tone-*`` classes.
CSS = tone_variables() + "\n" + asset("common.css") + _tone_rules() + "\n"


def style_widget() -> widgets.HTML:
    """An ``HTML`` widget holding the shared page CSS; put it first in the page's root."""
    sheet = widgets.HTML(value=f"<style>{CSS}</style>")
    sheet.add_class("tpop-style")
    sheet.layout.margin = "0"
    sheet.layout.height = "0"
    return sheet
