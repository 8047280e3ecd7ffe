"""The landing page's views: its state (language, notebooks, article watch) -> HTML.

Plain functions, tested without widgets; every text comes from the page wording
(``wording``), every value is escaped.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_date

from ..events import enabled as events_enabled
from ..knowledge import LOCALES, knowledge
from ._base import Html, esc, wording

__all__ = ["PAGES", "THRESHOLD_LABELS", "about_html", "intro_html", "pages_html",
           "recording_html", "watch_html"]

#: The pages, in the order shown: (key in ui.yaml ``landing.pages``, notebook file).
PAGES: tuple[tuple[str, str], ...] = (
    ("order_assistant", "order_assistant.ipynb"),
    ("bulk_triage", "bulk_triage.ipynb"),
    ("training", "training.ipynb"),
    ("knowledge_explorer", "knowledge.ipynb"),
    ("insights", "insights.ipynb"),
)

#: The article's two numbers (tree.yaml ``thresholds``) and their labels in ui.yaml.
THRESHOLD_LABELS = (
    ("activation_working_hours", "landing.activation_label"),
    ("contact_after_days", "landing.contact_label"),
)


def watch_html(result: Any, lang: str) -> str:
    """The article-change banner: checking (``result`` None), unchanged, changed, or could
    not check (``WatchResult.message`` gives its reason in the page's language too)."""
    if result is None:
        return (
            '<div class="tpop-watch tpop-small tpop-muted" data-status="checking">'
            f'{wording("landing.watch_checking", lang)}</div>'
        )
    tone = {"changed": "tpop-tone-escalate", "unchanged": "tpop-tone-done"}.get(
        result.status, "tpop-tone-wait"
    )
    return (
        f'<div class="tpop-watch tpop-callout {tone}" data-status="{esc(result.status)}">'
        f"{esc(result.message(lang))}</div>"
    )


def recording_html(lang: str, on: bool | None = None) -> str:
    """Whether answers are recorded for the insights page (tpop_kb.events)."""
    on = events_enabled() if on is None else on
    key = "landing.recording_on" if on else "landing.recording_off"
    return (f'<p class="tpop-recording tpop-small tpop-muted" data-recording='
            f'"{"on" if on else "off"}">{wording(key, lang)}</p>')


def intro_html(lang: str) -> str:
    return (
        f'<div class="tpop-hero" lang="{esc(lang)}">'
        f"<h1>{wording('landing.title', lang)}</h1>"
        f'<p class="tpop-lead">{wording("landing.tagline", lang)}</p>'
        "</div>"
    )


def pages_html(lang: str, available: list[str] | tuple[str, ...]) -> str:
    """A card per page: a link when its notebook is in ``available``, else "coming soon"."""
    cards = []
    for key, notebook in PAGES:
        title = wording(f"landing.pages.{key}.title", lang)
        text = wording(f"landing.pages.{key}.description", lang)
        if notebook in available:
            cards.append(
                f'<a class="tpop-card tpop-page-link" href="{esc(notebook)}" '
                f'data-page="{esc(key)}">'
                f'<div class="tpop-card-title">{title}</div>'
                f'<p class="tpop-card-text">{text}</p>'
                f'<span class="tpop-card-link">{wording("common.open", lang)} →</span>'
                "</a>"
            )
        else:
            cards.append(
                f'<div class="tpop-card tpop-card-disabled tpop-page-soon" '
                f'data-page="{esc(key)}">'
                f'<div class="tpop-card-title">{title}</div>'
                f'<p class="tpop-card-text">{text}</p>'
                f'<span class="tpop-badge tpop-card-link">'
                f"{wording('common.coming_soon', lang)}</span>"
                "</div>"
            )
    return (
        f'<h2 class="tpop-section-title">{wording("landing.pages_heading", lang)}</h2>'
        f'<div class="tpop-grid tpop-pages">{"".join(cards)}</div>'
    )


def about_html(lang: str) -> str:
    """The rules' two numbers and the source article (title, date, link, version)."""
    kb = knowledge()
    article = kb.article
    updated = format_date(article.updated_on, format="long", locale=LOCALES[lang])
    thresholds = kb.tree.thresholds
    rule = wording("landing.thresholds", lang, **{
        name: Html(f"<strong>{esc(value)}</strong>") for name, value in thresholds.items()
    })
    stats = "".join(
        f'<div class="tpop-stat" data-threshold="{esc(name)}">'
        f'<span class="tpop-stat-value">{esc(thresholds[name])}</span>'
        f'<span class="tpop-stat-label">{wording(label, lang)}</span>'
        "</div>"
        for name, label in THRESHOLD_LABELS
    )
    return (
        '<div class="tpop-columns">'
        '<section class="tpop-card tpop-rules">'
        f'<h2 class="tpop-section-title">{wording("landing.rules_heading", lang)}</h2>'
        f'<div class="tpop-stats">{stats}</div>'
        f'<p class="tpop-thresholds">{rule}</p>'
        "</section>"
        '<section class="tpop-card tpop-article">'
        f'<h2 class="tpop-section-title">{wording("landing.about_heading", lang)}</h2>'
        f'<h3 class="tpop-article-title">{esc(article.title[lang])}</h3>'
        f'<p class="tpop-updated-on tpop-muted">{wording("common.updated_on", lang)} '
        f'<time datetime="{article.updated_on.isoformat()}">{esc(updated)}</time></p>'
        f'<p><a class="tpop-source" href="{esc(article.source_url)}" target="_blank" '
        f'rel="noopener noreferrer">{wording("landing.view_source", lang)} ↗</a></p>'
        f'<p class="tpop-version tpop-small tpop-muted">{wording("common.kb_version", lang)} '
        f'<code class="tpop-kb-version">{esc(kb.version)}</code></p>'
        "</section>"
        "</div>"
    )
