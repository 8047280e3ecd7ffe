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

import ipywidgets as widgets

__all__ = ["CSS", "TONES", "style_widget"]

#: Outcome tones (``tone:`` in tree.yaml) -> (text, background, border) colours.
TONES: dict[str, tuple[str, str, str]] = {
    "wait": ("#8a5a00", "#fff8e6", "#f2c94c"),
    "act": ("#1d4ed8", "#eef4ff", "#93b4f5"),
    "escalate": ("#b93815", "#fff3ed", "#f4a47c"),
    "done": ("#17723c", "#effaf3", "#86d3a3"),
    "decide": ("#6b3fc2", "#f5f1ff", "#c2aef2"),
    "error": ("#b42318", "#fef3f2", "#f5a8a2"),
}


def _tone_rules() -> str:
    return "\n".join(
        f".tpop-tone-{name} {{ --tpop-tone-fg: {fg}; --tpop-tone-bg: {bg}; "
        f"--tpop-tone-border: {border}; }}"
        for name, (fg, bg, border) in TONES.items()
    )


CSS = (
    """
.tpop-app {
  --tpop-font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif;
  --tpop-ink: #1b2430;
  --tpop-muted: #5b6675;
  --tpop-border: #e3e7ed;
  --tpop-surface: #ffffff;
  --tpop-canvas: #f6f8fa;
  --tpop-accent: #1f4fd1;
  --tpop-accent-soft: #eef3ff;
  --tpop-radius: 10px;
  --tpop-tone-fg: var(--tpop-ink);
  --tpop-tone-bg: var(--tpop-surface);
  --tpop-tone-border: var(--tpop-border);
  font-family: var(--tpop-font);
  font-size: 15px;
  line-height: 1.5;
  color: var(--tpop-ink);
  max-width: 1120px;
  width: 100%;
  margin: 0 auto;
  box-sizing: border-box;
}
.tpop-app *, .tpop-app *::before, .tpop-app *::after { box-sizing: border-box; }
.tpop-app .widget-html, .tpop-app .widget-html-content {
  font-family: var(--tpop-font);
  font-size: inherit;
  line-height: inherit;
  color: inherit;
  height: auto;
  margin: 0;
}
.tpop-app .widget-html-content { width: 100%; }
.tpop-app a { color: var(--tpop-accent); text-decoration: none; }
.tpop-app a:hover { text-decoration: underline; }
.tpop-app a:focus-visible { outline: 2px solid var(--tpop-accent); outline-offset: 2px; }
.tpop-app h1, .tpop-app h2, .tpop-app h3 {
  font-family: var(--tpop-font);
  color: var(--tpop-ink);
  margin: 0;
  line-height: 1.25;
}

/* Voila: the app's header replaces the notebook's markdown title; no gutters. */
body[data-voila] .jp-MarkdownCell { display: none; }
body[data-voila] .jp-OutputArea-output { padding: 0; }

/* Header bar */
.tpop-header {
  display: flex;
  flex-flow: row wrap;
  align-items: center;
  justify-content: space-between;
  gap: 8px 16px;
  padding: 10px 20px;
  margin: 0 0 24px 0;
  background: var(--tpop-surface);
  border: 1px solid var(--tpop-border);
  border-radius: var(--tpop-radius);
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.05);
}
.tpop-brand { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.tpop-brand-name {
  font-weight: 800;
  font-size: 20px;
  letter-spacing: 0.06em;
  color: var(--tpop-accent);
}
.tpop-brand-sub { color: var(--tpop-muted); font-size: 14px; }
.tpop-lang { width: auto; margin: 0; flex: 0 0 auto; }
.tpop-lang .widget-toggle-buttons { display: flex; }
.tpop-lang .widget-toggle-button {
  font-family: var(--tpop-font);
  font-size: 13px;
  height: 30px;
  margin: 0;
  background: var(--tpop-surface);
  color: var(--tpop-muted);
  border: 1px solid var(--tpop-border);
  box-shadow: none;
}
.tpop-lang .widget-toggle-button:first-child { border-radius: 6px 0 0 6px; }
.tpop-lang .widget-toggle-button:last-child {
  border-radius: 0 6px 6px 0;
  border-left-width: 0;
}
.tpop-lang .widget-toggle-button.mod-active {
  background: var(--tpop-accent);
  border-color: var(--tpop-accent);
  color: #ffffff;
  box-shadow: none;
}

/* Text */
.tpop-hero { margin: 4px 0 24px 0; }
.tpop-hero h1 { font-size: 30px; font-weight: 700; margin-bottom: 8px; }
.tpop-lead { font-size: 17px; color: var(--tpop-muted); max-width: 760px; margin: 0; }
.tpop-section-title {
  font-size: 13px;
  font-weight: 700;
  letter-spacing: 0.06em;
  text-transform: uppercase;
  color: var(--tpop-muted);
  margin: 0 0 10px 0;
}
.tpop-card .tpop-section-title { margin-bottom: 12px; }
.tpop-app p { margin: 0 0 8px 0; }
.tpop-app p:last-child { margin-bottom: 0; }
.tpop-muted { color: var(--tpop-muted); }
.tpop-small { font-size: 13px; }
.tpop-app code, .tpop-code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.9em;
  background: var(--tpop-canvas);
  border: 1px solid var(--tpop-border);
  border-radius: 4px;
  padding: 0 4px;
}

/* Cards */
.tpop-grid {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
  gap: 14px;
  margin-bottom: 24px;
}
.tpop-card {
  display: block;
  background: var(--tpop-tone-bg);
  border: 1px solid var(--tpop-tone-border);
  border-radius: var(--tpop-radius);
  padding: 16px 18px;
  color: var(--tpop-ink);
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04);
}
.tpop-app a.tpop-card { color: var(--tpop-ink); transition: border-color 0.15s, box-shadow 0.15s; }
.tpop-app a.tpop-card:hover {
  text-decoration: none;
  border-color: var(--tpop-accent);
  box-shadow: 0 4px 12px rgba(31, 79, 209, 0.12);
}
.tpop-card-title { font-size: 16px; font-weight: 650; margin: 0 0 4px 0; }
.tpop-card-text { color: var(--tpop-muted); margin: 0; font-size: 14px; }
.tpop-card-link { display: inline-block; margin-top: 10px; font-weight: 600; font-size: 14px; }
.tpop-app a.tpop-card .tpop-card-link { color: var(--tpop-accent); }
.tpop-card-disabled { background: var(--tpop-canvas); border-style: dashed; box-shadow: none; }
.tpop-card-disabled .tpop-card-title { color: var(--tpop-muted); }
.tpop-card[class*="tpop-tone-"] { border-left: 4px solid var(--tpop-tone-fg); }

/* Labels, key/value lists, notes, tables */
.tpop-badge {
  display: inline-block;
  padding: 1px 9px;
  border-radius: 999px;
  font-size: 12px;
  font-weight: 600;
  line-height: 20px;
  white-space: nowrap;
  color: var(--tpop-tone-fg);
  background: var(--tpop-tone-bg);
  border: 1px solid var(--tpop-tone-border);
}
.tpop-kv { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
.tpop-kv dt { color: var(--tpop-muted); font-size: 14px; }
.tpop-kv dd { margin: 0; overflow-wrap: anywhere; }
.tpop-callout {
  background: var(--tpop-tone-bg);
  border: 1px solid var(--tpop-tone-border);
  border-left: 4px solid var(--tpop-tone-fg);
  border-radius: 8px;
  padding: 12px 16px;
}
.tpop-table { border-collapse: collapse; width: 100%; font-size: 14px; }
.tpop-table th, .tpop-table td {
  text-align: left;
  padding: 7px 10px;
  border-bottom: 1px solid var(--tpop-border);
  vertical-align: top;
}
.tpop-table th { color: var(--tpop-muted); font-weight: 600; background: var(--tpop-canvas); }
.tpop-columns {
  display: grid;
  grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
  gap: 14px;
  margin-bottom: 24px;
}
.tpop-card h3 { font-size: 18px; font-weight: 650; margin: 0 0 4px 0; }

/* Key figures */
.tpop-stats {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(180px, 1fr));
  gap: 12px;
  margin-bottom: 14px;
}
.tpop-stat {
  display: flex;
  align-items: center;
  gap: 12px;
  padding: 10px 14px;
  background: var(--tpop-accent-soft);
  border-radius: 8px;
}
.tpop-stat-value {
  font-size: 30px;
  font-weight: 750;
  line-height: 1;
  color: var(--tpop-accent);
  font-variant-numeric: tabular-nums;
}
.tpop-stat-label { font-size: 13px; line-height: 1.35; color: var(--tpop-ink); }

/* Alerts: a fault above the page, or a message in a form */
.tpop-alert {
  border: 1px solid var(--tpop-tone-border, #f5a8a2); border-radius: 8px;
  background: var(--tpop-tone-bg, #fef3f2); color: var(--tpop-tone-fg, #b42318);
  padding: 10px 14px; margin: 0 0 12px 0; font-size: 14px;
}
.tpop-alert-error { --tpop-tone-fg: #b42318; --tpop-tone-bg: #fef3f2; --tpop-tone-border: #f5a8a2; }
.tpop-alert pre { white-space: pre-wrap; margin: 6px 0 0 0; font-size: 13px; color: #3b0d0a; }

/* Narrow windows */
@media (max-width: 720px) {
  .tpop-app { font-size: 14px; }
  .tpop-header { padding: 8px 12px; margin-bottom: 16px; }
  .tpop-hero h1 { font-size: 24px; }
  .tpop-lead { font-size: 15px; }
  .tpop-columns { grid-template-columns: 1fr; }
  .tpop-kv { grid-template-columns: 1fr; gap: 2px; }
  .tpop-kv dd { margin-bottom: 8px; }
}
"""
    + _tone_rules()
    + "\n"
)


def style_widget() -> widgets.HTML:
    """An ``HTML`` widget holding the shared page CSS; put it first in the page's root."""
    sheet = widgets.HTML(value=f"<style>{CSS}</style>")
    sheet.add_class("tpop-style")
    sheet.layout.margin = "0"
    sheet.layout.height = "0"
    return sheet
