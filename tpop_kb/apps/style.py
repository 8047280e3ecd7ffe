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

In Voila (``body[data-voila]``) the notebook's markdown cells are hidden: the
app's own header, which follows the language toggle, replaces the notebook's
title. In JupyterLab the notebook shows as written.
"""

from __future__ import annotations

from importlib.resources import files

import ipywidgets as widgets

from ..diagram import TONE_COLOURS

__all__ = ["CSS", "TONES", "style_widget"]

#: Outcome tones (``tone:`` in tree.yaml) -> (text, background, border) colours: the
#: diagram's (tpop_kb/diagram.py), the one place they are written.
TONES = TONE_COLOURS


def _tone_rules() -> str:
    return "\n".join(
        f".tpop-tone-{name} {{ --tpop-tone-fg: {fg}; --tpop-tone-bg: {bg}; "
        f"--tpop-tone-border: {border}; }}"
        for name, (fg, bg, border) in TONES.items()
    )


#: The shared stylesheet: ``assets/common.css`` and the tones' colours. (Read as
#: ``_base.asset`` reads a page's sheet, without importing ``_base``: it imports this.)
CSS = (files("tpop_kb.apps").joinpath("assets", "common.css").read_text(encoding="utf-8")
       + _tone_rules() + "\n")


def style_widget() -> widgets.HTML:
    """An ``HTML`` widget holding the shared page CSS; put it first in the page's root."""
    sheet = widgets.HTML(value=f"<style>{CSS}</style>")
    sheet.add_class("tpop-style")
    sheet.layout.margin = "0"
    sheet.layout.height = "0"
    return sheet
