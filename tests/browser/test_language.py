"""The chosen language across pages and reloads, the links between pages and the tab
titles, in Chromium (tpop_kb/apps/assets/common.js through _base.PageSession)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _lang_in_url(page) -> str | None:
    found = re.search(r"[?&]lang=(\w+)", page.url)
    return found.group(1) if found else None


def test_english_chosen_on_the_landing_page_opens_every_page_in_english(
    page, open_app, screenshot, voila_server
):
    open_app(page, "index.ipynb", selector=".tpop-landing")
    expect(page).to_have_title("Base de connaissances du support — TPOP")
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Postal tracking knowledge base")
    expect(page).to_have_title("Support knowledge base — TPOP")
    # the choice is in the address (a reload keeps it) and in every link to a page
    expect(page).to_have_url(re.compile(r"[?&]lang=en\b"))
    link = page.locator('a.tpop-page-link[data-page="order_assistant"]')
    expect(link).to_have_attribute("href", "order_assistant.ipynb?lang=en")
    assert page.evaluate("localStorage.getItem('tpop-lang')") == "en"

    # the link opens the order assistant in English, its tab named after it
    link.click()
    page.wait_for_selector(".tpop-order-assistant", state="visible", timeout=60_000)
    expect(page).to_have_title("Order assistant — TPOP")
    expect(page.get_by_role("button", name="English")).to_have_class(re.compile("mod-active"))
    home = page.locator("a.tpop-home-link, a.tpop-home").first
    expect(home).to_have_attribute("href", re.compile(r"index\.ipynb\?lang=en$"))

    # a page opened without `lang` (typed address, bookmark) takes the stored choice
    open_app(page, "bulk_triage.ipynb", selector=".tpop-bulk")
    expect(page).to_have_title("Bulk triage — TPOP")
    expect(page.locator(".tpop-header")).to_contain_text("All pages")
    expect(page).to_have_url(re.compile(r"[?&]lang=en\b"))
    screenshot(page, "language-bulk-en")

    # a reload keeps the language
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector(".tpop-bulk", state="visible", timeout=60_000)
    expect(page.locator(".tpop-header")).to_contain_text("All pages")
    expect(page).to_have_title("Bulk triage — TPOP")
    assert page.tpop_errors == []


def test_french_chosen_back_is_kept_too(page, open_app):
    open_app(page, "index.ipynb", selector=".tpop-landing")
    page.get_by_role("button", name="English").click()
    expect(page).to_have_title("Support knowledge base — TPOP")
    page.get_by_role("button", name="Français").click()
    expect(page).to_have_title("Base de connaissances du support — TPOP")
    assert page.evaluate("localStorage.getItem('tpop-lang')") == "fr"
    open_app(page, "knowledge.ipynb", selector=".tpop-app")
    expect(page).to_have_title("Explorateur de connaissances — TPOP")
    assert _lang_in_url(page) == "fr"
    home = page.locator('.tpop-header a[href^="index.ipynb"]').first
    expect(home).to_have_attribute("href", "index.ipynb?lang=fr")


def test_a_link_with_lang_wins_over_the_stored_choice(page, voila_server):
    from .conftest import open_voila_page

    open_voila_page(page, voila_server, "index.ipynb?lang=en", selector=".tpop-landing")
    expect(page.locator(".tpop-hero h1")).to_have_text("Postal tracking knowledge base")
    open_voila_page(page, voila_server, "training.ipynb?lang=fr", selector=".tpop-app")
    expect(page).to_have_title("Formation — TPOP")
    assert page.evaluate("localStorage.getItem('tpop-lang')") == "fr"
    # the All pages link takes the language back to the landing page
    page.locator('.tpop-header a[href^="index.ipynb"]').first.click()
    page.wait_for_selector(".tpop-landing", state="visible", timeout=60_000)
    expect(page.locator(".tpop-hero h1")).to_have_text("Base de connaissances du suivi postal")
    assert _lang_in_url(page) == "fr"
