"""The landing page in Chromium, through a real Voila server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tpop_kb import knowledge
from tpop_kb.apps.landing import PAGES

pytestmark = pytest.mark.browser

NOTEBOOKS = {p.name for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb")}


def test_landing_page(page, open_app, screenshot, voila_server):
    open_app(page, "index.ipynb", selector=".tpop-landing")
    kb = knowledge()

    # French first, with the knowledge base version and the source article.
    expect(page.locator(".tpop-kb-version")).to_have_text(kb.version)
    expect(page.locator(".tpop-hero h1")).to_have_text("Base de connaissances du suivi postal")
    expect(page.locator(".tpop-article-title")).to_have_text(kb.article.title["fr"])
    expect(page.locator(".tpop-updated-on")).to_contain_text("septembre 2024")
    expect(page.locator("a.tpop-source")).to_have_attribute("href", kb.article.source_url)
    thresholds = kb.tree.thresholds
    rules = page.locator(".tpop-thresholds")
    expect(rules).to_contain_text(f"{thresholds['activation_working_hours']} heures ouvrées")
    expect(rules).to_contain_text(f"{thresholds['contact_after_days']} jours")
    # Nothing half-translated: the article watch's reason is French on the French page
    # (this machine is usually offline: the check says why it could not be done).
    banner = page.locator(".tpop-watch")
    expect(banner).not_to_have_attribute("data-status", "checking", timeout=20_000)
    if banner.get_attribute("data-status") == "unavailable":
        expect(banner).to_contain_text("Impossible de vérifier l'article d'aide")
        assert "could not" not in banner.inner_text() and "offline" not in banner.inner_text()
        screenshot(page, "landing-fr")
    # The notebook's markdown title is hidden in Voila: the app's header replaces it.
    expect(page.locator(".jp-MarkdownCell").first).to_be_hidden()

    # A link for every page whose notebook exists, "coming soon" for the others.
    for key, notebook in PAGES:
        card = page.locator(f'[data-page="{key}"]')
        expect(card).to_be_visible()
        if notebook in NOTEBOOKS:
            expect(card).to_have_attribute("href", f"{notebook}?lang=fr")
        else:
            expect(card).to_contain_text("Bientôt")
    existing = [notebook for _, notebook in PAGES if notebook in NOTEBOOKS]
    expect(page.locator("a.tpop-page-link")).to_have_count(len(existing))

    # The toggle switches every text to English, live.
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Postal tracking knowledge base")
    expect(page.locator(".tpop-article-title")).to_have_text(kb.article.title["en"])
    expect(page.locator(".tpop-updated-on")).to_contain_text("September 2024")
    expect(rules).to_contain_text(f"{thresholds['activation_working_hours']} working hours")
    expect(page.locator(".tpop-header")).to_contain_text("Support knowledge base")
    expect(page.locator(".tpop-kb-version")).to_have_text(kb.version)

    assert page.tpop_errors == []
    path = screenshot(page, "landing")
    assert path.stat().st_size > 10_000

    page.get_by_role("button", name="Français").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Base de connaissances du suivi postal")


def test_landing_narrow_window(page, open_app, screenshot):
    page.set_viewport_size({"width": 420, "height": 900})
    open_app(page, "index.ipynb", selector=".tpop-landing")
    # Nothing wider than the window: no horizontal scrolling.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    expect(page.locator(".tpop-kb-version")).to_be_visible()
    screenshot(page, "landing-narrow", full_page=True)


def test_voila_config_is_read(voila_server, page, open_app):
    """voila.json (repository root) reaches the server: kernel culling is on."""
    open_app(page, "index.ipynb")
    log = voila_server.log()
    assert "Culling kernels with idle durations > 900 seconds" in log, log[-3000:]
