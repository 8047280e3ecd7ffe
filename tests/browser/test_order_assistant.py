"""The order assistant in Chromium, through a real Voila server.

One page load pastes nine orders in the formats staff use (labelled lines in English
and French, JSON, CSV with ``,`` ``;`` and tab, an order page's text) and covers every
outcome code; another steps through the questions; a deep link opens the English page;
a narrow window checks the layout. Then what only a browser shows: Ctrl/Cmd+Enter, the
focus moving to the answer and scrolled into view in a 420 px window, visible focus
rings, Enter pressed twice on a step's button, printing on A4 (print media and a PDF),
and Back/reload bringing the last answer back from this tab's session storage.
Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tpop_kb.postal import destination_post_url

from .conftest import full_screenshot

pytestmark = pytest.mark.browser

PAGE = "order_assistant.ipynb"
AS_OF = "2026-11-26T10:00"  # a Thursday
NUMBER = "LA123456785FR"
LA_POSTE = "https://www.laposte.fr/outils/suivre-vos-envois?code="
TIMEOUT = 20_000

ORDER_PAGE = """Commande #TP-3
Commandée le 17/11/2026 à 10:02
Expédiée le 19 novembre 2026 à 16h45
Numéro de suivi : LV 121 752 944 FR
Statut du suivi : en attente
Adresse de livraison
Maurice Dupont
12 rue de la Loi
1000 Bruxelles
Belgique
"""

#: (paste, answers to click, outcome, recheck ISO, contact ISO, hrefs, text in the first reply)
ORDERS = [
    (
        "Order id: TP-1\nTracking status: none\n",
        [".tpop-answer-no"],  # "Has the order been shipped?" -> no
        "not_shipped", None, None, [], "n'a pas encore été expédiée",
    ),
    (
        "N° de commande : TP-2\nDate d'expédition : 25/11/2026 à 15h00\n"
        f"N° de suivi : {NUMBER}\nStatut : en attente\nPays : France\n",
        [], "wait_for_activation", "2026-11-27", "2026-12-17", [LA_POSTE + NUMBER],
        "après le vendredi 27 novembre 2026 à 15 h 00",
    ),
    (
        ORDER_PAGE, [], "check_destination_post", None, "2026-12-11",
        [LA_POSTE + "LV121752944FR", destination_post_url("BE", "LV121752944FR")],
        "bpost",
    ),
    (
        json.dumps({"order_id": "TP-4", "shipped_at": "2026-11-21T16:00",
                    "tracking_number": "6A39226687149", "destination_country": "France",
                    "tracking_status": "in_transit"}),
        [], "wait_before_contact", None, "2026-12-13", [LA_POSTE + "6A39226687149"],
        "il y a 5 jours",
    ),
    (
        "Commande;Date d'expédition;N° de suivi;Pays;Statut\n"
        f"TP-5;14/10/2026 10:00;{NUMBER};Allemagne;en transit\n",
        [], "contact_tpop", None, "2026-11-05",
        [LA_POSTE + NUMBER, destination_post_url("DE", NUMBER)],
        "Nous signalons votre colis à notre partenaire de production",
    ),
    (
        "order_id,shipped_at,tracking_number,tracking_status,customer_claim,tracking synced\n"
        f"TP-6,2026-11-01 10:00,{NUMBER},delivered,none,no\n",
        [], "delivered", None, None, [LA_POSTE + NUMBER], "indique que votre commande TP-6",
    ),
    (
        "Order id\tShipped at\tTracking number\tStatus\tClaim\n"
        f"TP-7\t2026-11-08\t{NUMBER}\tlivré\tnon reçu\n",
        [], "delivered_go_to_post_office", None, None, [LA_POSTE + NUMBER],
        "pièce d'identité",
    ),
    (
        "N° de commande : TP-8\nExpédiée le : 01/11/2026\nStatut : distribué\n"
        "Réclamation client : toujours non reçu\n",
        [], "delivered_merchant_decides", None, None, [], "toujours pas pu récupérer votre colis",
    ),
    (
        "Order id: TP-9\nShipped at: 31/02/2026\n",
        [], "invalid_input", None, None, [], None,
    ),
]


def set_as_of(page, value: str = AS_OF) -> None:
    field = page.locator(".tpop-as-of input")
    if field.input_value() != value:
        field.fill(value)
        field.press("Enter")
        expect(page.locator(".tpop-as-of-value")).to_be_visible(timeout=TIMEOUT)


def paste(page, text: str) -> None:
    page.locator(".tpop-order-input textarea").fill(text)


def test_every_outcome_from_pasted_orders(page, open_app, screenshot, voila_server):
    open_app(page, PAGE, selector=".tpop-order-assistant")
    expect(page.locator(".tpop-hero h1")).to_have_text("Assistant commande")
    set_as_of(page)
    expect(page.locator(".tpop-as-of-value")).to_contain_text("jeudi 26 novembre 2026, 10:00")
    seen = set()
    for text, answers, code, recheck, contact, hrefs, reply in ORDERS:
        paste(page, text)
        expect(page.locator(".tpop-paste-ok, .tpop-paste-problems").first).to_be_visible()
        page.click(".tpop-triage-button")
        for answer in answers:
            page.locator(answer).click(timeout=TIMEOUT)
        card = page.locator(f'.tpop-outcome[data-outcome="{code}"]')
        expect(card).to_be_visible(timeout=TIMEOUT)
        seen.add(code)

        if recheck:
            expect(card.locator(".tpop-recheck-at")).to_contain_text(recheck)
        else:
            expect(card.locator(".tpop-recheck-at")).to_have_count(0)
        if contact:
            expect(card.locator(".tpop-contact-from")).to_contain_text(contact)
        else:
            expect(card.locator(".tpop-contact-from")).to_have_count(0)
        for href in hrefs:
            expect(card.locator(f'a[href="{href}"]')).to_have_count(1)
        drafts = page.locator(".tpop-draft-text textarea")
        if reply is None:
            expect(page.locator(".tpop-no-reply")).to_be_visible()
        else:
            expect(drafts.first).to_be_visible()
            assert reply in drafts.first.input_value(), (code, drafts.first.input_value())

        if code == "wait_for_activation":
            expect(card.locator(".tpop-recheck-at")).to_contain_text("ven. 27 nov. 15:00")
            expect(card.locator(".tpop-recheck-at")).to_contain_text("dans 1 jour ouvré")
            expect(card.locator(".tpop-contact-from")).to_contain_text("dans 21 jours")
        if code == "check_destination_post":
            expect(card.locator(".tpop-caveat")).to_be_visible()
            expect(card.locator(".tpop-contact-from")).to_contain_text("dans 15 jours")
            full_screenshot(page, "order_assistant_fr")
        if code == "contact_tpop":
            support = page.locator('.tpop-draft:has([data-to="tpop"]) .tpop-draft-text textarea')
            value = support.input_value()
            for fact in ("TP-5", NUMBER, "2026-10-14 10:00", "Jours depuis l'expédition : 43"):
                assert fact in value
        if code == "delivered":
            expect(card.locator('[data-flag="store_sync_missing"]')).to_contain_text(
                "Deux raisons possibles"
            )
        if code == "delivered_merchant_decides":
            expect(drafts).to_have_count(2)
            assert "à nos frais" in drafts.nth(1).input_value()
        if code == "invalid_input":
            expect(card.locator(".tpop-oa-errors")).to_contain_text("31/02/2026")
    assert len(seen) == 9
    assert page.tpop_errors == []
    log = voila_server.log()
    assert NUMBER not in log and "TP-5" not in log and "Traceback" not in log


def test_step_through_the_questions(page, open_app):
    open_app(page, PAGE, selector=".tpop-order-assistant")
    set_as_of(page)
    # Typed into the fields, no paste: each field is sent when it loses the focus.
    page.fill(".tpop-field-order-id input", "Q-1")
    page.fill(".tpop-field-shipped-at input", "19/11/2026 16:45")
    page.fill(".tpop-field-tracking-number input", NUMBER)
    page.click(".tpop-triage-button")
    step = page.locator(".tpop-step-of")
    expect(step).to_have_text("Question 1 sur 4", timeout=TIMEOUT)
    expect(page.locator(".tpop-question-text")).to_have_text(
        "Le suivi indique-t-il que le colis a été livré ?"
    )
    # Facts the order gives are shown as known, not asked.
    expect(page.locator('.tpop-known-steps [data-node="q_shipped"]')).to_contain_text(
        "d'après la commande"
    )
    expect(page.locator('.tpop-oa-question [data-passage="delivered-situation"]')).to_be_visible()
    page.click(".tpop-answer-no")
    expect(step).to_have_text("Question 2 sur 4", timeout=TIMEOUT)
    page.click(".tpop-answer-no")
    expect(step).to_have_text("Question 3 sur 4", timeout=TIMEOUT)
    page.click(".tpop-answer-no")
    expect(step).to_have_text("Question 4 sur 4", timeout=TIMEOUT)
    expect(page.locator(".tpop-question-text")).to_contain_text("autre pays que la France")
    page.click(".tpop-back-button")
    expect(step).to_have_text("Question 3 sur 4", timeout=TIMEOUT)
    page.click(".tpop-answer-no")
    expect(step).to_have_text("Question 4 sur 4", timeout=TIMEOUT)
    page.click(".tpop-dont-know")
    card = page.locator('.tpop-outcome[data-outcome="tracking_silent"]')
    expect(card).to_be_visible(timeout=TIMEOUT)
    expect(card.locator('[data-node="q_abroad"]')).to_contain_text("réponse par défaut")
    expect(card.locator('[data-node="q_delivered"]')).to_contain_text("votre réponse")
    expect(card.locator(".tpop-contact-from")).to_contain_text("2026-12-11")
    page.click(".tpop-back-button")
    page.click(".tpop-answer-yes", timeout=TIMEOUT)  # it goes abroad after all
    expect(page.locator('.tpop-outcome[data-outcome="check_destination_post"]')).to_be_visible(
        timeout=TIMEOUT
    )
    assert page.tpop_errors == []


def test_deep_link_in_english_and_copy(page, open_app, screenshot, voila_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=voila_server.url.rstrip("/"))
    query = (
        f"?lang=en&order_id=TP-77&tracking_number={NUMBER}&shipped_at=2026-11-20T15:00"
        "&destination_country=BE&tracking_status=none&as_of=2026-11-20T16:00"
    )
    open_app(page, PAGE + query, selector=".tpop-order-assistant")
    card = page.locator('.tpop-outcome[data-outcome="wait_for_activation"]')
    expect(card).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".tpop-hero h1")).to_have_text("Order assistant")
    expect(page.locator(".tpop-order-input textarea")).to_have_value("")
    expect(page.locator(".tpop-field-tracking-number input")).to_have_value(NUMBER)
    expect(page.locator(".tpop-as-of input")).to_have_value("2026-11-20T16:00")
    recheck = card.locator(".tpop-recheck-at")
    expect(recheck).to_contain_text("Tue 24 Nov 15:00")
    expect(recheck).to_contain_text("in 2 working days")
    expect(recheck).to_contain_text("2026-11-24")
    contact = card.locator(".tpop-contact-from")
    expect(contact).to_contain_text("Sat 12 Dec")
    expect(contact).to_contain_text("in 22 days")
    expect(contact).to_contain_text("2026-12-12")
    expect(card.locator(f'a[href="{LA_POSTE}{NUMBER}"]')).to_have_count(1)
    expect(card.locator(".tpop-destination-link")).to_contain_text("bpost's site (Belgium)")
    draft = page.locator(".tpop-draft-text textarea").first
    assert draft.input_value().startswith("Hello,")
    assert "after Tuesday 24 November 2026 at 15:00" in draft.input_value()
    full_screenshot(page, "order_assistant_en")

    # Copy: the button copies the textarea as edited, through the browser's clipboard.
    draft.fill(draft.input_value() + "\nAnna, customer care")
    copy = page.locator(".tpop-draft button.tpop-copy").first
    copy.click()
    expect(copy).to_have_text("Copied ✓")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith("Anna, customer care") and "TP-77" in copied

    # French, live: the same order, every text switched; the edited draft keeps its
    # edits (in English, and says so), the other draft follows the page.
    page.get_by_role("button", name="Français").click()
    expect(page.locator(".tpop-hero h1")).to_have_text("Assistant commande")
    expect(recheck).to_contain_text("mar. 24 nov. 15:00")
    expect(recheck).to_contain_text("dans 2 jours ouvrés")
    kept = page.locator(".tpop-draft .tpop-draft-text textarea").first
    assert kept.input_value().endswith("Anna, customer care")
    expect(page.locator(".tpop-draft-for").first).to_have_text("Au client · en anglais")
    expect(page.locator(".tpop-draft-edited").first).to_be_visible()
    # The French version can be copied without switching back.
    other = page.locator(".tpop-draft button.tpop-copy-other").first
    expect(other).to_have_text("Copier en français")
    other.click()
    expect(other).to_have_text("Copié ✓")
    assert page.evaluate("navigator.clipboard.readText()").startswith("Bonjour,")
    page.locator(".tpop-draft-reset").first.click()
    expect(kept).to_have_value(re.compile("^Bonjour,"))
    expect(page.locator(".tpop-draft-for").first).to_have_text("Au client · en français")
    assert page.tpop_errors == []
    assert NUMBER not in voila_server.log()  # the link's customer data is not logged


def test_narrow_window(page, open_app, screenshot):
    page.set_viewport_size({"width": 420, "height": 900})
    open_app(page, PAGE + "?as_of=2026-11-26T10:00", selector=".tpop-order-assistant")
    paste(page, ORDER_PAGE)
    page.click(".tpop-triage-button")
    expect(page.locator('.tpop-outcome[data-outcome="check_destination_post"]')).to_be_visible(
        timeout=TIMEOUT
    )
    overflow = page.evaluate(
        "() => { const cells = document.querySelector('#rendered_cells');"
        " const widths = [document.documentElement.scrollWidth - window.innerWidth];"
        " if (cells) widths.push(cells.scrollWidth - cells.clientWidth);"
        " return Math.max(...widths); }"
    )
    assert overflow <= 0
    box = page.locator(".tpop-outcome").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 420
    path = full_screenshot(page, "order_assistant_narrow")
    assert path.stat().st_size > 10_000
    assert re.search(r"2026-12-11", page.locator(".tpop-contact-from").inner_text())
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-draft-for").first).to_have_text("To the customer · in English")
    full_screenshot(page, "order_assistant_narrow_en")


# ---------------------------------------------------------------------------
# Issue 14: keyboard, focus and scroll, print, Back and reload
# ---------------------------------------------------------------------------

TP2 = ORDERS[1][0]  # wait_for_activation
TP5 = ORDERS[4][0]  # contact_tpop


def focused(page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement; const r = e.getBoundingClientRect();"
        " const s = getComputedStyle(e);"
        " return {cls: e.className, tag: e.tagName, top: r.top, bottom: r.bottom,"
        " height: innerHeight, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"
    )


def test_keyboard_focus_and_scroll_in_a_narrow_window(page, open_app, screenshot):
    page.set_viewport_size({"width": 420, "height": 800})
    open_app(page, PAGE + "?as_of=2026-11-26T10:00", selector=".tpop-order-assistant")
    box = page.locator(".tpop-order-input textarea")
    box.fill(TP5)
    box.press("Control+Enter")  # the answer, from the keyboard
    card = page.locator('.tpop-outcome[data-outcome="contact_tpop"]')
    expect(card).to_be_visible(timeout=TIMEOUT)
    title = card.locator(".tpop-outcome-title")
    expect(title).to_be_focused(timeout=TIMEOUT)
    where = focused(page)
    assert 0 <= where["top"] < where["height"], where  # scrolled into view (was below)
    # the whole head line ("3. La réponse · Commande TP-5 · Au …") and the title are in view
    for part in (card.locator(".tpop-outcome-head .tpop-section-title"),
                 card.locator(".tpop-outcome-order"), title):
        box = part.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 800, box
    assert where["outline"] != "none" and where["width"] >= 3, where
    screenshot(page, "order_assistant_narrow_answer")

    # Cmd+Enter in a field, after changing it: the new value is used.
    field = page.locator(".tpop-field-order-id input")
    field.fill("TP-55")
    field.press("Meta+Enter")
    expect(card.locator(".tpop-outcome-order")).to_contain_text("TP-55", timeout=TIMEOUT)
    expect(title).to_be_focused(timeout=TIMEOUT)

    # Focus rings on buttons reached with the keyboard are clearly visible.
    page.locator(".tpop-field-order-id input").focus()
    page.locator(".tpop-triage-button").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    ring = focused(page)
    assert "tpop-triage-button" in ring["cls"], ring
    assert ring["outline"] != "none" and ring["width"] >= 3, ring
    assert page.tpop_errors == []


def test_enter_twice_answers_one_question(page, open_app):
    open_app(page, PAGE + "?as_of=2026-11-26T10:00", selector=".tpop-order-assistant")
    page.fill(".tpop-field-order-id input", "Q-2")
    page.fill(".tpop-field-shipped-at input", "19/11/2026 16:45")
    field = page.locator(".tpop-field-tracking-number input")
    field.fill(NUMBER)
    field.press("Control+Enter")
    step = page.locator(".tpop-step-of")
    expect(step).to_have_text("Question 1 sur 4", timeout=TIMEOUT)
    expect(page.locator(".tpop-question-text")).to_be_focused(timeout=TIMEOUT)
    page.locator(".tpop-answer-no").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the agent presses again before the page has moved on
    expect(step).to_have_text("Question 2 sur 4", timeout=TIMEOUT)
    expect(page.locator(".tpop-question-text")).to_be_focused(timeout=TIMEOUT)
    page.wait_for_timeout(1500)
    expect(step).to_have_text("Question 2 sur 4")  # not answered twice
    page.keyboard.press("Enter")  # on the question's title: nothing
    page.wait_for_timeout(800)
    expect(step).to_have_text("Question 2 sur 4")
    # Answers go into the order's fields.
    page.click(".tpop-answer-no")
    expect(step).to_have_text("Question 3 sur 4", timeout=TIMEOUT)
    page.click(".tpop-answer-no")  # no event yet
    expect(step).to_have_text("Question 4 sur 4", timeout=TIMEOUT)
    expect(page.locator(".tpop-field-tracking-status select")).to_have_value("Aucun événement")
    page.click(".tpop-answer-no")  # not abroad: France
    expect(page.locator(".tpop-outcome")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".tpop-field-destination-country select")).to_have_value("France")
    hint = page.locator(".tpop-oa-question .tpop-oa-hint")
    assert "masse" not in hint.inner_text().lower()
    assert page.tpop_errors == []


def test_print_gives_the_answer_and_the_drafts_on_a4(page, open_app, screenshot):
    open_app(page, PAGE + "?as_of=2026-11-26T10:00", selector=".tpop-order-assistant")
    paste(page, TP5)
    page.click(".tpop-triage-button")
    card = page.locator('.tpop-outcome[data-outcome="contact_tpop"]')
    expect(card).to_be_visible(timeout=TIMEOUT)
    support = page.locator(".tpop-draft .tpop-draft-text textarea").nth(1)
    support.fill(support.input_value() + "\nSigné : Anna")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    expect(page.locator(".tpop-oa-form")).to_be_hidden()
    expect(page.locator(".tpop-header")).to_be_hidden()
    expect(card).to_be_visible()
    copies = page.locator(".tpop-print-text")
    expect(copies).to_have_count(2)
    expect(copies.nth(1)).to_be_visible()
    assert copies.nth(1).inner_text().endswith("Signé : Anna")  # whole, edits included
    full_screenshot(page, "order_assistant_print")
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 2, pages  # not one clipped page
    page.emulate_media(media="screen")
    expect(page.locator(".tpop-oa-form")).to_be_visible()


def test_back_and_reload_bring_the_last_answer_back(page, open_app, voila_server):
    open_app(page, PAGE + "?as_of=2026-11-26T10:00", selector=".tpop-order-assistant")
    recent = page.locator(".tpop-recent")
    expect(recent).to_contain_text("Aucune commande consultée")
    paste(page, TP2)
    page.click(".tpop-triage-button")
    expect(page.locator('.tpop-outcome[data-outcome="wait_for_activation"]')).to_be_visible(
        timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"order_id=TP-2"), timeout=TIMEOUT)
    paste(page, TP5)
    page.click(".tpop-triage-button")
    expect(page.locator('.tpop-outcome[data-outcome="contact_tpop"]')).to_be_visible(
        timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"order_id=TP-5"), timeout=TIMEOUT)
    links = recent.locator("a.tpop-recent-link")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text("TP-5")
    stored = page.evaluate("sessionStorage.getItem('tpop-order-assistant-recent')")
    assert "TP-5" in stored and "TP-2" in stored

    page.reload(wait_until="domcontentloaded")
    expect(page.locator('.tpop-outcome[data-outcome="contact_tpop"]')).to_be_visible(
        timeout=60_000)
    expect(page.locator(".tpop-field-order-id input")).to_have_value("TP-5")
    expect(links).to_have_count(2)

    page.evaluate("history.back()")
    expect(page.locator('.tpop-outcome[data-outcome="wait_for_activation"]')).to_be_visible(
        timeout=60_000)
    expect(page.locator(".tpop-field-order-id input")).to_have_value("TP-2")

    page.locator(".tpop-recent a.tpop-recent-link", has_text="TP-5").click()
    expect(page.locator('.tpop-outcome[data-outcome="contact_tpop"]')).to_be_visible(
        timeout=60_000)
    # The kernel stored nothing: the server's log does not hold the orders.
    assert "TP-5" not in voila_server.log() and "TP-2" not in voila_server.log()


def test_a_ship_date_without_a_time_says_so_and_never_midnight(page, open_app):
    open_app(page, PAGE + "?as_of=2026-11-26T10:00", selector=".tpop-order-assistant")
    box = page.locator(".tpop-order-input textarea")
    box.fill(f"Order id: D1\nShipped at: 2026-10-14\nTracking: {NUMBER}\n"
             "Status: in transit\nCountry: France")
    box.press("Control+Enter")
    note = page.locator(".tpop-outcome .tpop-time-not-given")
    expect(note).to_contain_text("heure non précisée", timeout=TIMEOUT)
    expect(page.locator(".tpop-field-shipped-at")).to_contain_text("heure non précisée")
    shown = page.locator(".tpop-order-assistant").inner_text()
    assert "00:00" not in shown and "23:59" not in shown
    assert page.tpop_errors == []


def test_the_country_list_has_only_real_countries(page, open_app):
    open_app(page, PAGE + "?as_of=2026-11-26T10:00", selector=".tpop-order-assistant")
    options = page.locator(".tpop-field-destination-country select option").all_inner_texts()
    assert "France" in options and "Belgique" in options, options
    for fake in ("Pseudo-Accents", "Pseudo-Bidi", "Région inconnue", "Unknown Region"):
        assert not any(fake in option for option in options), (fake, options)


def test_the_as_of_hint_says_now_only_while_following_the_clock(page, open_app):
    open_app(page, PAGE, selector=".tpop-order-assistant")
    when = page.locator(".tpop-as-of-when")
    expect(when).to_have_attribute("data-now", "true", timeout=TIMEOUT)
    expect(when).to_contain_text("Maintenant, heure de Paris")
    field = page.locator(".tpop-as-of input")
    field.fill("2026-11-26T09:30")
    field.press("Tab")
    expect(when).to_have_attribute("data-now", "false", timeout=TIMEOUT)
    expect(when).to_contain_text("Moment saisi")
    expect(when).not_to_contain_text("Maintenant, heure de Paris")
    page.click(".tpop-as-of-now")
    expect(when).to_have_attribute("data-now", "true", timeout=TIMEOUT)
    expect(when).to_contain_text("Maintenant, heure de Paris")
    assert page.tpop_errors == []
