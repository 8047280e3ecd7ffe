"""The order assistant page without a browser: set widget values, click buttons, read the HTML."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import ipywidgets as widgets
import pytest
from conftest import widget_html
from conftest import wording_leaves as leaves

from tpop_kb import knowledge, order_from_record, triage_order
from tpop_kb.apps import OrderAssistantApp
from tpop_kb.apps import order_assistant_views as views
from tpop_kb.apps._base import asset, wording
from tpop_kb.apps.order_assistant import page_query
from tpop_kb.orders import parse_datetime
from tpop_kb.replies import drafts

AS_OF = dt.datetime(2026, 11, 26, 10, 0)  # a Thursday
NUMBER = "LA123456785FR"


def page_html(app: OrderAssistantApp) -> str:
    """Every HTML text the page shows (visible widgets only), in order."""
    return widget_html(app.root, visible_only=True, styles=False)


def visible(widget: widgets.Widget) -> bool:
    return widget.layout.display != "none"


def new_app(**kwargs) -> OrderAssistantApp:
    kwargs.setdefault("query", "")
    kwargs.setdefault("as_of", AS_OF)
    return OrderAssistantApp(**kwargs)


def outcome_code(app: OrderAssistantApp) -> str | None:
    found = re.search(r'class="tpop-outcome [^"]*" data-outcome="([a-z_]+)"', app.outcome.value)
    return found.group(1) if found else None


def paste_and_triage(app: OrderAssistantApp, text: str) -> None:
    app.paste_input.value = text
    app.triage_button.click()


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------


def test_page_structure_and_hooks():
    app = new_app()
    assert {"tpop-app", "tpop-order-assistant"} <= set(app.root._dom_classes)
    assert app.root.children[0].value.startswith("<style>")
    assert "tpop-order-input" in app.paste_input._dom_classes
    assert "tpop-triage-button" in app.triage_button._dom_classes
    assert "tpop-as-of" in app.as_of_input._dom_classes
    assert isinstance(app.as_of_input, widgets.Text)
    assert app.lang == "fr" and app.lang_toggle in app.header.children
    assert "application/vnd.jupyter.widget-view+json" in app._repr_mimebundle_()
    # Before any order: the start hint, no question, no card.
    assert app.state.phase == "form"
    assert visible(app.placeholder) and not visible(app.questions)
    assert not visible(app.outcome) and not visible(app.drafts_box)
    assert wording("order_assistant.start_hint", "fr", plain=True).split("«")[0] in html.unescape(
        app.placeholder.value
    )


def test_as_of_defaults_to_now_in_paris(monkeypatch):
    import tpop_kb.apps.order_assistant as module

    monkeypatch.setattr(module, "now_paris", lambda: dt.datetime(2026, 3, 2, 8, 15))
    app = OrderAssistantApp(query="")
    assert app.as_of_input.value == "2026-03-02T08:15"
    assert "lundi 2 mars 2026, 08:15" in app.as_of_hint.value
    app.as_of_input.value = "2026-11-26T10:00"
    monkeypatch.setattr(module, "now_paris", lambda: dt.datetime(2026, 3, 3, 9, 0))
    app.as_of_now.click()
    assert app.state.as_of == "2026-03-03T09:00"


def test_bad_as_of_is_said_and_blocks_the_triage():
    app = new_app()
    app.order_id_input.value = "A1"
    app.as_of_input.value = "tomorrow"
    assert "tpop-as-of-error" in app.as_of_hint.value
    assert "« tomorrow » n&#x27;est pas une date" in app.as_of_hint.value
    app.triage_button.click()
    assert app.decision is None and app.state.phase == "form"
    assert "Corrigez d&#x27;abord" in app.form_status.value
    app.as_of_input.value = "26/11/2026 10:00"  # day-first also works
    assert "tpop-as-of-value" in app.as_of_hint.value
    app.triage_button.click()
    assert app.state.phase == "questions" and app.form_status.value == ""


# ---------------------------------------------------------------------------
# Paste -> fields
# ---------------------------------------------------------------------------


def test_key_value_paste_fills_the_fields_and_says_what_it_read():
    app = new_app()
    app.paste_input.value = (
        "N° de commande : TP-42\nDate d'expédition : 20/11/2026 à 15h00\n"
        "N° de suivi : LA 123 456 785 FR\nPays : Belgique\nStatut : en attente\n"
        "Réclamation : non reçu\nSuivi synchronisé : non\nClient : Jeanne"
    )
    assert app.order_id_input.value == "TP-42"
    assert app.shipped_at_input.value == "2026-11-20 15:00"
    assert app.tracking_input.value == NUMBER
    assert app.country_input.value == "BE" and app.country_input.label == "Belgique"
    assert app.status_input.value == "none"
    assert app.claim_input.value == "not_received"
    assert app.synced_input.value == "false"
    feedback = app.paste_feedback.value
    assert "Lu comme des lignes « clé : valeur »" in feedback
    assert "libellé « Date d&#x27;expédition »" in feedback
    assert "Client" in feedback and "tpop-paste-ignored" in feedback
    assert "vendredi 20 novembre 2026, 15:00" in app.field_hints["shipped_at"].value
    assert 'data-kind="s10"' in app.field_hints["tracking_number"].value


def test_json_csv_and_text_pastes():
    app = new_app()
    app.paste_input.value = json.dumps({"order": {"id": 7, "country": "Spain"}})
    assert (app.order_id_input.value, app.country_input.value) == ("7", "ES")
    assert "Lu comme un objet JSON" in app.paste_feedback.value
    app.paste_input.value = "order_id;shipped_at;tracking_status\nB2;2026-11-25 09:00;livré\n"
    assert (app.order_id_input.value, app.shipped_at_input.value) == ("B2", "2026-11-25 09:00")
    assert app.status_input.value == "delivered"
    assert app.country_input.value == ""  # a new paste is a new order: old fields cleared
    assert "colonne « shipped_at »" in app.paste_feedback.value
    app.paste_input.value = "Parcel 6A12345678901 shipped 2026-11-25 to Italy"
    assert (app.tracking_input.value, app.country_input.value) == ("6A12345678901", "IT")
    assert "Repéré dans le texte" in app.paste_feedback.value


def test_problems_and_notes_are_shown():
    app = new_app()
    app.paste_input.value = "Order id: A1\nStatus: Shipped\nLA123456785FR 6A12345678901"
    feedback = html.unescape(app.paste_feedback.value)
    assert "Statut du suivi : « Shipped » n'a pas pu être lu" in feedback
    assert "choisissez la bonne valeur" in feedback
    assert 'data-note="other_tracking_numbers"' in feedback
    assert app.status_input.value == ""


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("hello there", "nothing_usable", "Rien d'exploitable"),
        ("order_id,shipped_at\n", "header_only", "ligne d'en-tête"),
        ("Status: Shipped", "nothing_usable", "« Shipped »"),
    ],
)
def test_unusable_pastes_say_so_and_keep_the_fields(text, code, words):
    app = new_app()
    app.order_id_input.value = "KEEP"
    app.paste_input.value = text
    feedback = html.unescape(app.paste_feedback.value)
    assert f'data-code="{code}"' in feedback and words in feedback
    assert app.order_id_input.value == "KEEP"
    app.paste_input.value = ""
    assert "tpop-paste-error" not in app.paste_feedback.value


def test_customer_text_is_escaped_everywhere():
    app = new_app()
    evil = '<img src=x onerror="alert(1)">'
    paste_and_triage(app, f"Order id: {evil}\nShipped at: 2026-11-25 09:00\n"
                          f"Statut : en attente\nPays: France\nClient: {evil}")
    assert app.order_id_input.value == evil
    assert app.state.phase == "result"
    shown = page_html(app)
    assert "<img" not in shown and "&lt;img src=x" in shown
    app.paste_input.value = f"Shipped at: {evil}"
    assert "<img" not in app.paste_feedback.value
    app.shipped_at_input.value = evil
    assert "<img" not in app.field_hints["shipped_at"].value


# ---------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------

#: One paste per outcome code, in the formats staff use, with nothing left to ask.
PASTES = {
    "not_shipped": ("Order id: TP-1\nStatus: none\n", {"q_shipped": "no"}),
    "wait_for_activation": (
        "N° de commande : TP-2\nExpédiée le : 25/11/2026 à 15h00\n"
        f"N° de suivi : {NUMBER}\nStatut : en attente\nPays : France\n", {}),
    "check_destination_post": (
        json.dumps({"order_id": "TP-3", "shipped_at": "2026-11-19T16:45",
                    "tracking_number": "LV121752944FR", "destination_country": "Belgique",
                    "tracking_status": "none"}), {}),
    "wait_before_contact": (
        "order_id,shipped_at,tracking_number,destination_country,tracking_status\n"
        "TP-4,2026-11-21 16:00,6A39226687149,France,in_transit\n", {}),
    "contact_tpop": (
        "Commande;Date d'expédition;N° de suivi;Pays;Statut\n"
        f"TP-5;14/10/2026 10:00;{NUMBER};Allemagne;en transit\n", {}),
    "delivered": (
        f"Order TP-6\nShipped 2026-11-01 10:00\nTracking {NUMBER}\nTracking status: delivered\n"
        "Claim: none\nTracking synced: no\n", {}),
    "delivered_go_to_post_office": (
        "Order id\tShipped at\tStatus\tClaim\n TP-7\t2026-11-08\tlivré\tnon reçu\n", {}),
    "delivered_merchant_decides": (
        "N° de commande : TP-8\nExpédiée le : 01/11/2026\nStatut : distribué\n"
        "Réclamation client : toujours non reçu\n", {}),
    "invalid_input": ("Order id: TP-9\nShipped at: 31/02/2026\n", {}),
    "tracking_silent": (
        "N° de commande : TP-10\nExpédiée le : 16/11/2026 à 11h00\n"
        f"N° de suivi : {NUMBER}\nStatut : aucun\nPays : France\n", {}),
    "collect_at_post_office": (
        f"Commande TP-11 expédiée le 02/11/2026 à 10h00, suivi {NUMBER}.\n"
        "Votre colis est disponible dans votre bureau de poste.\n", {}),
}


def answer_all(app: OrderAssistantApp, answers: dict[str, str]) -> None:
    while app.state.phase == "questions":
        step = app.decision.unknown_steps[0]
        wanted = answers.get(step.node.id)
        if wanted is None:
            app.dont_know_button.click()
        else:
            index = list(step.node.answers).index(wanted)
            app.answer_buttons[index].click()


def test_every_outcome_code_is_covered(tree):
    assert set(PASTES) == set(tree.outcomes)


@pytest.mark.parametrize("code", sorted(PASTES))
def test_each_outcome_card(code, tree):
    text, answers = PASTES[code]
    app = new_app()
    paste_and_triage(app, text)
    answer_all(app, answers)
    assert app.state.phase == "result"
    assert outcome_code(app) == code == app.decision.code
    card = app.outcome.value
    node = tree.outcomes[code]
    assert f'tpop-tone-{node.tone}"' in card
    assert html.escape(node.title["fr"]) in card
    for step in node.steps["fr"]:
        assert html.escape(step.split("{")[0]) in card
    for pid in node.passages:
        assert f'data-passage="{pid}"' in card
    assert "{" not in card
    texts = [t.value for t in app.draft_texts if t.value]
    expected = drafts(app.decision, "fr")
    assert texts == [d.text for d in expected]
    if code == "invalid_input":
        assert "tpop-no-reply" in app.replies_heading.value and texts == []
        assert "tpop-oa-errors" in card and "Date d&#x27;expédition" in card


def test_wait_for_activation_dates_and_links():
    app = new_app()
    paste_and_triage(app, PASTES["wait_for_activation"][0])
    card = app.outcome.value
    recheck = re.search(r'<div class="tpop-oa-date tpop-recheck-at">(.*?)</div>', card).group(1)
    assert "ven. 27 nov. 15:00" in recheck and "dans 1 jour ouvré" in recheck
    assert "2026-11-27 15:00" in recheck and 'datetime="2026-11-27T15:00"' in recheck
    contact = re.search(r'<div class="tpop-oa-date tpop-contact-from">(.*?)</div>', card).group(1)
    assert "jeu. 17 déc." in contact and "dans 21 jours" in contact and "2026-12-17" in contact
    assert f'href="https://www.laposte.fr/outils/suivre-vos-envois?code={NUMBER}"' in card
    assert "tpop-destination-link" not in card  # France: La Poste only
    assert "Revérifiez le suivi après le vendredi 27 novembre 2026 à 15 h 00." in card


def test_recheck_over_a_weekend_counts_working_days():
    # Shipped Fri 20 Nov 15:00: tracking may activate until Tue 24 Nov 15:00.
    app = new_app(as_of=dt.datetime(2026, 11, 20, 16, 0))
    paste_and_triage(app, "Order: A\nShipped at: 2026-11-20 15:00\nStatus: none\nCountry: FR")
    assert "mar. 24 nov. 15:00" in app.outcome.value
    assert "dans 2 jours ouvrés" in app.outcome.value
    app.lang_toggle.value = "en"
    assert "Tue 24 Nov 15:00" in app.outcome.value and "in 2 working days" in app.outcome.value
    assert "Sat 12 Dec" in app.outcome.value and "in 22 days" in app.outcome.value


def test_foreign_destination_links_and_caveat():
    app = new_app()
    paste_and_triage(app, PASTES["check_destination_post"][0])
    card = app.outcome.value
    bpost = "https://track.bpost.cloud/btr/web/#/search?lang=fr&amp;itemCode=LV121752944FR"
    assert f'href="{bpost}"' in card
    assert "Suivre le colis sur le site de bpost (Belgique)" in card
    assert "tpop-caveat" in card and "boîte aux lettres" in card
    contact = re.search(r'tpop-contact-from">(.*?)</div>', card).group(1)
    assert "ven. 11 déc." in contact and "dans 15 jours" in contact  # shipped 19 Nov


def test_search_only_destination_says_to_paste_the_number():
    app = new_app()
    paste_and_triage(app, f"Order: A\nShipped at: 2026-11-19\nTracking: {NUMBER}\n"
                          "Country: Luxembourg\nStatus: none")
    assert "tpop-destination-link" in app.outcome.value
    assert f"collez {NUMBER} dans sa zone de recherche" in app.outcome.value


def test_contact_tpop_support_message_and_past_contact_date():
    app = new_app()
    paste_and_triage(app, PASTES["contact_tpop"][0])
    contact = re.search(r'tpop-contact-from">(.*?)</div>', app.outcome.value).group(1)
    assert "2026-11-05" in contact and "il y a 21 jours" in contact
    titles = " ".join(t.value for t in app.draft_titles)
    assert 'data-to="tpop"' in titles and "Message au support TPOP" in titles
    support = app.draft_texts[1].value
    for fact in ("TP-5", NUMBER, "2026-10-14 10:00", "Jours depuis l'expédition : 43"):
        assert fact in support


def test_store_sync_flag_and_its_two_reasons(tree):
    app = new_app()
    paste_and_triage(app, PASTES["delivered"][0])
    assert app.decision.flags == ("store_sync_missing",)
    card = app.outcome.value
    assert 'data-flag="store_sync_missing"' in card
    assert html.escape(tree.flags["store_sync_missing"].text["fr"]) in card
    assert 'data-passage="store-sync-missing"' in card


def test_merchant_decides_two_choices_and_two_replies():
    app = new_app()
    paste_and_triage(app, PASTES["delivered_merchant_decides"][0])
    card = app.outcome.value
    assert "soit vous passez une nouvelle commande manuelle" in card.lower()
    assert 'data-passage="no-reshipment"' in card
    shown = [b for b in app.draft_boxes if visible(b)]
    assert len(shown) == 2
    assert "à nos frais" in app.draft_texts[1].value


def test_tracking_number_with_a_wrong_check_digit_is_flagged():
    app = new_app()
    paste_and_triage(app, "Order: A\nShipped at: 2026-11-25 09:00\nTracking: LA123456784FR\n"
                          "Status: none\nCountry: FR")
    assert "tpop-bad" in app.field_hints["tracking_number"].value
    assert "est 4 au lieu de 5" in html.unescape(app.field_hints["tracking_number"].value)
    assert "tpop-tracking-warning" in app.outcome.value


def test_copy_buttons_name_their_textarea_and_hold_no_code_or_customer_data():
    app = new_app()
    paste_and_triage(app, PASTES["contact_tpop"][0])
    shown = [t for t, b in zip(app.draft_titles, app.draft_boxes, strict=True) if visible(b)]
    assert len(shown) == 2
    for title in shown:
        buttons = re.findall(r"<button[^>]*>", title.value)
        assert len(buttons) == 2  # this draft, and the same draft in English
        assert 'data-target=".tpop-draft-text textarea"' in buttons[0]
        assert 'data-target=".tpop-draft-other textarea"' in buttons[1]
        for button in buttons:
            assert 'class="tpop-copy' in button
            assert "onclick" not in button  # the page's script file does the copying
            assert "TP-5" not in button and NUMBER not in button
    assert all("tpop-draft" in box._dom_classes for box in app.draft_boxes)
    script = asset("order_assistant.js")
    assert "navigator.clipboard.writeText(box.value)" in script
    assert 'document.execCommand("copy")' in script


# ---------------------------------------------------------------------------
# Step through the questions
# ---------------------------------------------------------------------------


def test_step_through_back_and_dont_know(tree):
    app = new_app()
    paste_and_triage(app, f"Order id: Q1\nShipped at: 2026-11-19 16:45\nTracking: {NUMBER}")
    assert app.state.phase == "questions"
    assert visible(app.questions) and visible(app.back_button) and not visible(app.outcome)
    q = app.question.value
    # Four facts unknown: delivered? waiting at a post office? any event? abroad? (the
    # rest follows from the dates)
    assert "Question 1 sur 4" in q and 'data-node="q_delivered"' in q
    assert html.escape(tree.nodes["q_delivered"].text["fr"]) in q
    assert 'data-passage="delivered-situation"' in q  # the passage the step rests on
    # Known from the order: shown as answered, not asked.
    assert 'data-node="q_shipped" data-source="order"' in q
    assert [b.description for b in app.answer_buttons if visible(b)] == ["Oui", "Non"]
    assert "tpop-answer-no" in app.answer_buttons[1]._dom_classes

    app.answer_buttons[1].click()  # not delivered
    q = app.question.value
    assert "Question 2 sur 4" in q and 'data-node="q_at_post_office"' in q
    app.answer_buttons[1].click()  # not waiting at a post office
    q = app.question.value
    assert "Question 3 sur 4" in q and 'data-node="q_tracking_active"' in q
    app.answer_buttons[1].click()  # no event yet
    q = app.question.value
    assert "Question 4 sur 4" in q and 'data-node="q_abroad"' in q
    assert "Non</span><span class=\"tpop-src\">(votre réponse)" in q
    assert "Oui" in app.answer_buttons[0].description

    app.back_button.click()  # back to "any event yet?"
    assert 'data-node="q_tracking_active"' in app.question.value
    assert app.state.asked == ["delivered", "awaiting_collection"]
    app.answer_buttons[1].click()
    app.dont_know_button.click()  # abroad? unknown: the article's default (no)
    assert app.state.phase == "result"
    assert outcome_code(app) == "tracking_silent"
    assert app.state.assumed == ["abroad"]
    path = app.outcome.value
    assert 'data-node="q_abroad" data-source="assumed"' in path
    assert 'data-node="q_delivered" data-source="you"' in path
    assert 'data-node="q_valid" data-source="order"' in path

    app.back_button.click()  # from the answer, back to the last question
    assert app.state.phase == "questions" and 'data-node="q_abroad"' in app.question.value
    app.answer_buttons[0].click()  # abroad: yes
    assert outcome_code(app) == "check_destination_post"
    for _ in range(4):
        app.back_button.click()
    assert app.state.phase == "questions" and app.state.asked == []
    app.back_button.click()  # before the first question: back to the form
    assert app.state.phase == "form" and visible(app.placeholder)


def test_questions_for_an_order_without_a_ship_date(tree):
    app = new_app()
    paste_and_triage(app, "Order id: Q2")
    assert 'data-node="q_shipped"' in app.question.value
    app.answer_buttons[0].click()  # shipped: yes (but no date)
    assert app.state.phase == "questions"
    answer_all(app, {"q_delivered": "yes", "q_claim": "not_received"})
    assert outcome_code(app) == "delivered_go_to_post_office"


def test_changing_a_field_after_the_answer_updates_it():
    app = new_app()
    paste_and_triage(app, PASTES["wait_before_contact"][0])
    assert outcome_code(app) == "wait_before_contact"
    app.status_input.value = "delivered"  # now the claim matters, and it is not known
    assert app.state.phase == "questions" and 'data-node="q_claim"' in app.question.value
    app.claim_input.value = "not_received"
    assert outcome_code(app) == "delivered_go_to_post_office"
    app.as_of_input.value = "2026-11-22T10:00"
    assert app.decision.as_of == dt.datetime(2026, 11, 22, 10)
    assert "Au dimanche 22 novembre 2026, 10:00" in app.outcome.value
    app.paste_input.value = "Order id: other"  # a new paste: back to the form
    assert app.state.phase == "form" and app.outcome.value == ""


def test_clear_button_starts_over():
    app = new_app()
    paste_and_triage(app, PASTES["delivered"][0])
    app.clear_button.click()
    assert app.paste_input.value == "" and app.order_id_input.value == ""
    assert app.synced_input.value == "" and app.state.phase == "form"


def test_fields_typed_by_hand_without_a_paste():
    app = new_app()
    app.order_id_input.value = "H1"
    app.shipped_at_input.value = "2026-11-25 09:00"
    app.status_input.value = "none"
    app.country_input.value = "FR"
    app.triage_button.click()
    assert outcome_code(app) == "wait_for_activation"
    expected = triage_order(order_from_record({"order_id": "H1", "shipped_at": "2026-11-25 09:00",
                                               "tracking_status": "none",
                                               "destination_country": "FR"}), AS_OF)
    assert app.decision.recheck_at == expected.recheck_at


# ---------------------------------------------------------------------------
# Language
# ---------------------------------------------------------------------------


def test_language_toggle_switches_every_text_live(tree):
    app = new_app()
    paste_and_triage(app, PASTES["contact_tpop"][0])
    country = app.country_input.value
    app.lang_toggle.value = "en"
    assert app.lang == "en"
    assert app.triage_button.description == "Get the answer"
    assert app.country_input.value == country == "DE" and app.country_input.label == "Germany"
    assert app.status_input.label == "In transit (any event)"
    assert html.escape(tree.outcomes["contact_tpop"].title["en"]) in app.outcome.value
    assert "Message to TPOP support" in app.draft_titles[1].value
    assert app.draft_texts[0].value.startswith("Hello")
    assert "Read as a CSV header line" in app.paste_feedback.value
    assert app.state.phase == "result" and outcome_code(app) == "contact_tpop"
    html_en = page_html(app)
    for french in ("Obtenir la réponse", "Que faire", "Réponse au client", "Collez"):
        assert french not in html_en
    app.lang_toggle.value = "fr"
    assert app.draft_texts[0].value.startswith("Bonjour")


def test_questions_switch_language_too(tree):
    app = new_app()
    paste_and_triage(app, "Order id: L1")
    app.lang_toggle.value = "en"
    assert html.escape(tree.nodes["q_shipped"].text["en"]) in app.question.value
    assert "Question 1 of" in app.question.value
    assert [b.description for b in app.answer_buttons if visible(b)] == ["Yes", "No"]
    assert app.dont_know_button.description == "I don't know"


def test_every_page_text_exists_in_both_languages():

    found = list(leaves(knowledge().ui["order_assistant"], "order_assistant"))
    assert len(found) > 50
    for where, texts in found:
        assert str(texts["en"]).strip() and str(texts["fr"]).strip(), where
        assert set(re.findall(r"\{\w+\}", texts["en"])) == set(
            re.findall(r"\{\w+\}", texts["fr"])
        ), where


# ---------------------------------------------------------------------------
# Deep links
# ---------------------------------------------------------------------------


def test_deep_link_fills_the_form_and_runs_the_triage():
    app = OrderAssistantApp(
        query="tracking_number=LA123456785FR&shipped_at=2026-11-20T15:00&destination_country=BE"
              "&lang=en&as_of=2026-11-23T09:00&order_id=TP-77&tracking_status=none&utm=mail"
    )
    assert app.lang == "en" and app.state.as_of == "2026-11-23T09:00"
    assert (app.tracking_input.value, app.country_input.value) == (NUMBER, "BE")
    assert app.shipped_at_input.value == "2026-11-20 15:00"
    assert outcome_code(app) == "wait_for_activation"
    assert "Filled from the link" in app.paste_feedback.value
    assert "Not order fields (not used): utm" in app.paste_feedback.value
    assert "Tue 24 Nov 15:00" in app.outcome.value


def test_deep_link_from_voilas_query_string(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "commande=TP-1&exp%C3%A9di%C3%A9e+le=25%2F11%2F2026+09%3A00"
                                       "&statut=en+attente&pays=France&as_of=2026-11-26T10%3A00")
    app = OrderAssistantApp()
    assert app.order_id_input.value == "TP-1" and app.shipped_at_input.value == "2026-11-25 09:00"
    assert app.lang == "fr" and outcome_code(app) == "wait_for_activation"


def test_deep_link_with_a_paste_and_with_bad_values():
    app = new_app(query="paste=Order+id%3A+P1%0AShipped+at%3A+2026-11-25+09%3A00"
                        "&tracking_status=none&destination_country=FR")
    assert app.order_id_input.value == "P1" and app.status_input.value == "none"
    assert outcome_code(app) == "wait_for_activation"
    bad = new_app(query="shipped_at=someday&statut=lost")
    assert "« lost »" in html.unescape(bad.paste_feedback.value)
    assert outcome_code(bad) == "invalid_input"
    assert new_app(query="lang=de&utm=x").lang == "fr"
    assert new_app(query="lang=de&utm=x").state.phase == "form"


def test_page_query_reads_first_values_and_ignores_huge_strings(monkeypatch):
    assert page_query("a=1&a=2&b=") == {"a": "1"}
    assert page_query("x=" + "y" * 30_000) == {}
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert page_query() == {}


def test_an_ambiguous_ship_date_is_asked_with_both_readings():
    app = new_app()
    app.as_of_input.value = "2026-11-26T10:00"
    app.paste_input.value = f"Order A5, shipped 05/11/2026, tracking {NUMBER}"
    assert app.shipped_at_input.value == ""  # never guessed
    assert "choisissez la bonne" in app.field_hints["shipped_at"].value
    assert 'tpop-paste-question' in app.paste_feedback.value
    shown = [b for b in app.paste_choice_buttons if visible(b)]
    assert visible(app.paste_choices) and len(shown) == 2
    assert "5 novembre 2026" in shown[0].description and "11 mai 2026" in shown[1].description
    shown[0].click()
    assert app.shipped_at_input.value == "2026-11-05"
    assert not visible(app.paste_choices)
    assert "tpop-paste-question" not in app.paste_feedback.value


def test_fields_say_how_certain_they_are_and_a_missing_time_is_said():
    app = new_app()
    app.as_of_input.value = "2026-11-26T10:00"
    app.paste_input.value = (f"Commande TP-12 expédiée le 20/11/2026, suivi {NUMBER}, "
                             "livraison en Belgique. Le suivi n'affiche rien.")
    feedback = app.paste_feedback.value
    assert 'data-field="destination_country" data-certainty="inferred"' in feedback
    assert 'data-field="tracking_status" data-certainty="inferred"' in feedback
    assert "heure non précisée" in app.field_hints["shipped_at"].value
    app.triage_button.click()
    card = app.outcome.value
    assert "tpop-time-not-given" in card and "23:59" not in card


def test_an_unconfirmed_destination_link_says_so():
    app = new_app()
    app.as_of_input.value = "2026-11-26T10:00"
    app.paste_input.value = (f"Order id: TP-13\nShipped at: 2026-11-16 10:00\n"
                             f"Tracking number: {NUMBER}\nCountry: Denmark\nStatus: none\n")
    app.triage_button.click()
    assert "tpop-destination-unconfirmed" in app.outcome.value


# ---------------------------------------------------------------------------
# Issue 14: a whole working day on this page
# ---------------------------------------------------------------------------


def type_into(app: OrderAssistantApp, index: int, text: str) -> None:
    """What the browser does when the agent types in a draft: the value changes."""
    app.draft_texts[index].value = text


def test_language_switch_keeps_the_edits_of_a_draft():
    app = new_app()
    paste_and_triage(app, PASTES["wait_for_activation"][0])
    original = app.draft_texts[0].value
    assert original.startswith("Bonjour")
    type_into(app, 0, original + "\nAnna, service client")
    assert "tpop-draft-edited" in app.draft_titles[0].value
    assert visible(app.draft_resets[0])
    app.lang_toggle.value = "en"
    # The edited draft keeps its text (French) and says so, in the page's language.
    assert app.draft_texts[0].value.endswith("Anna, service client")
    head = app.draft_titles[0].value
    assert 'data-lang="fr"' in head and "To the customer · in French" in head
    assert "Your edits are kept" in head
    assert app.draft_resets[0].description == "Replace with the new draft"
    # A draft not edited follows the page.
    assert not visible(app.draft_boxes[1]) or app.draft_texts[1].value.startswith("Hello")
    # Back to French: still the edited text; then the agent asks for the new draft.
    app.lang_toggle.value = "fr"
    assert app.draft_texts[0].value.endswith("Anna, service client")
    app.lang_toggle.value = "en"
    app.draft_resets[0].click()
    assert app.draft_texts[0].value.startswith("Hello")
    assert "tpop-draft-edited" not in app.draft_titles[0].value
    assert not visible(app.draft_resets[0])


def test_edits_survive_a_new_answer_but_not_a_new_order():
    app = new_app()
    paste_and_triage(app, PASTES["wait_for_activation"][0])
    type_into(app, 0, "Bonjour, texte à moi.")
    app.as_of_input.value = "2026-11-26T11:00"  # the answer is worked out again
    assert app.draft_texts[0].value == "Bonjour, texte à moi."
    app.clear_button.click()
    paste_and_triage(app, PASTES["wait_for_activation"][0])
    assert app.draft_texts[0].value.startswith("Bonjour,\n") or app.draft_texts[0].value != (
        "Bonjour, texte à moi.")
    assert "tpop-draft-edited" not in app.draft_titles[0].value


def test_drafts_say_who_they_are_for_and_their_language_and_copy_the_other():
    app = new_app()
    paste_and_triage(app, PASTES["contact_tpop"][0])
    customer, tpop = app.draft_titles[0].value, app.draft_titles[1].value
    assert "Au client · en français" in customer and 'data-to="customer"' in customer
    assert "Au support TPOP · en français" in tpop and 'data-to="tpop"' in tpop
    assert "Copier en anglais" in customer
    english = drafts(app.decision, "en")
    other = html.unescape(app.draft_others[0].value)
    assert "Le même brouillon en anglais" in other
    assert english[0].text in other and 'lang="en"' in other
    app.lang_toggle.value = "en"
    assert "To the customer · in English" in app.draft_titles[0].value
    assert "Copy in French" in app.draft_titles[0].value
    assert drafts(app.decision, "fr")[1].text in html.unescape(app.draft_others[1].value)


def test_step_through_answers_are_written_into_the_fields():
    app = new_app()
    paste_and_triage(app, f"Order id: Q1\nShipped at: 2026-11-19 16:45\nTracking: {NUMBER}")
    assert (app.status_input.value, app.country_input.value) == ("", "")
    app.answer_buttons[1].click()  # delivered: no (no field holds that alone)
    assert app.status_input.value == ""
    app.answer_buttons[1].click()  # waiting at a post office: no
    app.answer_buttons[1].click()  # any event: no -> "no event yet"
    assert app.status_input.value == "none"
    app.answer_buttons[1].click()  # abroad: no -> France
    assert app.country_input.value == "FR"
    assert outcome_code(app) == "tracking_silent"
    # The path still says these were the agent's answers.
    assert 'data-node="q_abroad" data-source="you"' in app.outcome.value
    assert 'data-node="q_tracking_active" data-source="you"' in app.outcome.value
    app.back_button.click()  # Back takes the answer out of the field again
    assert app.country_input.value == "" and 'data-node="q_abroad"' in app.question.value
    app.back_button.click()
    assert app.status_input.value == ""
    app.answer_buttons[0].click()  # any event: yes -> in transit
    assert app.status_input.value == "in_transit"
    app.dont_know_button.click()  # abroad: not known -> nothing written
    assert app.country_input.value == ""
    assert "order_id=Q1" in app.lookup_query() and "tracking_status=in_transit" in (
        app.lookup_query())


def test_claim_answers_go_into_the_claim_field():
    app = new_app()
    paste_and_triage(app, "Order id: C1\nShipped at: 2026-11-01 10:00\nStatus: delivered\n")
    assert 'data-node="q_claim"' in app.question.value
    app.answer_buttons[1].click()  # not received
    assert app.claim_input.value == "not_received"
    assert outcome_code(app) == "delivered_go_to_post_office"


def test_dont_know_explains_what_it_does_on_this_page():
    app = new_app()
    paste_and_triage(app, f"Order id: Q1\nShipped at: 2026-11-19 16:45\nTracking: {NUMBER}")
    for lang, words in (("fr", ("« Je ne sais pas »", "« Non »", "« ← Retour »")),
                        ("en", ("“I don't know”", "“No”", "“← Back”"))):
        app.lang_toggle.value = lang
        hint = html.unescape(app.dont_know_hint.value)
        for word in words:
            assert word in hint, (lang, hint)
        for other_page in ("bulk", "masse", "file", "fichier"):
            assert other_page not in hint.lower()
        assert app.dont_know_button.tooltip == hint


def test_a_ship_date_without_a_time_is_never_shown_as_midnight():
    app = new_app()
    paste_and_triage(app, f"Order id: D1\nShipped at: 2026-10-14\nTracking: {NUMBER}\n"
                          "Status: in transit\nCountry: France")
    assert outcome_code(app) == "contact_tpop"
    shown = page_html(app) + "".join(t.value for t in app.draft_texts)
    assert "00:00" not in shown and "23:59" not in shown
    assert "heure non précisée" in app.field_hints["shipped_at"].value
    assert "tpop-time-not-given" in app.outcome.value
    support = app.draft_texts[1].value
    assert "2026-10-14" in support and "2026-10-14 00:00" not in support


def test_as_of_says_now_only_while_it_follows_the_clock(monkeypatch):
    import tpop_kb.apps.order_assistant as module

    clock = {"now": dt.datetime(2026, 11, 26, 9, 0)}
    monkeypatch.setattr(module, "now_paris", lambda: clock["now"])
    app = OrderAssistantApp(query="")
    assert 'data-now="true"' in app.as_of_hint.value and "Maintenant" in app.as_of_hint.value
    # An hour later the answer is asked: it is judged now, not when the page was opened.
    clock["now"] = dt.datetime(2026, 11, 26, 10, 0)
    paste_and_triage(app, PASTES["wait_for_activation"][0])
    assert app.state.as_of == "2026-11-26T10:00"
    assert app.decision.as_of == dt.datetime(2026, 11, 26, 10, 0)
    # A typed moment is not "now", whatever the clock says, until "Now" is clicked.
    app.as_of_input.value = "2026-11-26T09:30"
    assert 'data-now="false"' in app.as_of_hint.value
    assert "Maintenant, heure de Paris" not in html.unescape(app.as_of_hint.value)
    assert "Moment saisi" in html.unescape(app.as_of_hint.value)
    clock["now"] = dt.datetime(2026, 11, 26, 11, 30)
    app.triage_button.click()
    assert app.state.as_of == "2026-11-26T09:30"  # typed: kept
    assert "as_of=2026-11-26T09%3A30" in app.lookup_query()
    app.as_of_now.click()
    assert app.state.as_of == "2026-11-26T11:30" and 'data-now="true"' in app.as_of_hint.value
    assert "as_of=" not in app.lookup_query()  # the clock's moment is not kept in links


def test_the_country_list_holds_countries_only():
    app = new_app()
    for lang in ("fr", "en"):
        app.lang_toggle.value = lang
        labels = [label for label, _ in app.country_input.options]
        codes = [code for _, code in app.country_input.options][1:]
        assert not [x for x in labels if "pseudo" in x.lower()]
        assert not {"XA", "XB", "ZZ", "EU", "UN"} & set(codes)
        assert all(re.fullmatch(r"[A-Z]{2}", c) for c in codes)
        assert {"FR", "BE", "DE", "US"} <= set(codes) and len(codes) > 150


def test_each_new_question_and_answer_is_handed_to_the_page_script():
    app = new_app()
    assert app.script.run == 0
    paste_and_triage(app, f"Order id: Q1\nShipped at: 2026-11-19 16:45\nTracking: {NUMBER}")
    assert app.script.focus == "question" and app.script.lookup == ""
    first = app.script.run
    assert f'data-run="{first}"' in app.question.value
    answer_all(app, {})
    assert app.script.focus == "answer" and app.script.run > first
    assert f'data-run="{app.script.run}"' in app.outcome.value
    assert app.script.lookup == app.lookup_query()
    assert app.script.label.startswith("Q1 · ")
    run = app.script.run
    app.lang_toggle.value = "en"  # a language switch is not a new answer: no focus move
    assert app.script.run == run and app.script.texts["heading"] == "Recent lookups in this tab"
    reopened = new_app(query=app.script.lookup)  # the kept link brings the answer back
    assert reopened.decision.code == app.decision.code == "tracking_silent"
    assert reopened.lang == "fr"  # the language it was given in


def test_style_and_script_are_files():
    import tpop_kb.apps.order_assistant as module

    app = new_app()
    css = asset("order_assistant.css")
    assert app.page_style.value == f"<style>{css}</style>"
    assert "@media print" in css and "@page" in css and ":focus-visible" in css
    assert not hasattr(module, "PAGE_CSS") and not hasattr(module, "_COPY_JS")
    assert module.PageScript._esm == asset("order_assistant.js")
    assert app.script in app.form.children


# ---------------------------------------------------------------------------
# The view functions, without widgets
# ---------------------------------------------------------------------------


def decision_for(record: dict[str, str], answers: dict[str, str] | None = None):
    return triage_order(order_from_record(record), AS_OF, answers=answers or {})


def test_outcome_card_view_from_plain_data(tree):
    decision = decision_for({"order_id": "V<1>", "shipped_at": "2026-11-25 15:00",
                             "tracking_number": NUMBER, "tracking_status": "none",
                             "destination_country": "FR"})
    card = views.outcome_card(decision, "en", run=7)
    assert 'data-outcome="wait_for_activation"' in card and 'data-run="7"' in card
    assert '<h2 class="tpop-outcome-title" tabindex="-1">' in card
    assert "Order V&lt;1&gt;" in card and "V<1>" not in card
    assert "Fri 27 Nov 15:00" in card and "in 1 working day" in card
    assert 'data-source="order"' in card and 'data-source="you"' not in card
    french = views.outcome_card(decision, "fr")
    assert "ven. 27 nov. 15:00" in french and 'lang="fr"' in french


def test_path_items_view_says_where_each_answer_came_from():
    decision = decision_for({"order_id": "V2"}, {"shipped": "yes", "delivered": "no"})
    items = views.path_items(decision, decision.path, "fr", asked=["shipped"],
                             assumed=["delivered"])
    assert 'data-node="q_shipped" data-source="you"' in items
    assert 'data-node="q_delivered" data-source="assumed"' in items
    assert 'data-node="q_valid" data-source="order"' in items
    assert "(votre réponse)" in items and "« Je ne sais pas »" in items


def test_dates_view_with_and_without_a_time():
    timed = decision_for({"order_id": "V3", "shipped_at": "2026-11-20 15:00",
                          "tracking_status": "in_transit"})
    assert "2026-11-20 15:00" in views.dates_section(timed, "en")
    day = decision_for({"order_id": "V3", "shipped_at": "2026-11-20",
                        "tracking_status": "in_transit"})
    section = views.dates_section(day, "en")
    assert "tpop-time-not-given" in section and "time not given" in section
    assert "00:00" not in section and "23:59" not in section
    assert "<code>2026-11-20</code>" in section


def test_question_card_and_dont_know_views():
    decision = decision_for({"order_id": "V4", "shipped_at": "2026-11-19 16:45",
                             "tracking_number": NUMBER})
    step = decision.unknown_steps[0]
    card = views.question_card(decision, step, "en", asked=[], run=3)
    assert "Question 1 of 4" in card and 'data-run="3"' in card and 'tabindex="-1"' in card
    assert 'data-passage="delivered-situation"' in card
    hint = html.unescape(views.dont_know_hint(decision, step, "en"))
    assert "“No”" in hint and "bulk" not in hint.lower()


def test_draft_views():
    decision = decision_for({"order_id": "V<5>", "shipped_at": "2026-11-25 15:00",
                             "tracking_status": "none", "destination_country": "FR"})
    fr, en = drafts(decision, "fr")[0], drafts(decision, "en")[0]
    head = views.draft_head(fr, "en", text_lang="fr", edited=True, other=en)
    assert "To the customer · in French" in head and 'data-lang="fr"' in head
    assert "Copy in English" in head and "tpop-draft-edited" in head
    assert "V<5>" not in head
    other = views.draft_other(en, "fr")
    assert "Le même brouillon en anglais" in other
    assert "V&lt;5&gt;" in other and "V<5>" not in other
    assert views.drafts_intro("fr", False).count("tpop-no-reply") == 1


def test_form_views():
    assert views.as_of_hint(None, "demain", "fr", now=False).count("tpop-as-of-error") == 1
    now = views.as_of_hint(AS_OF, "2026-11-26T10:00", "en", now=True)
    assert 'data-now="true"' in now and "Now, Paris time" in now
    typed = views.as_of_hint(AS_OF, "2026-11-26T10:00", "en", now=False)
    assert 'data-now="false"' in typed and "Typed moment" in typed
    day = views.shipped_hint(parse_datetime("2026-11-20"), "2026-11-20", "en", choose=False)
    assert "time not given" in day and "00:00" not in day
    midnight = parse_datetime("2026-11-20 00:00")  # a time given as midnight is shown
    assert "00:00" in views.shipped_hint(midnight, "2026-11-20 00:00", "en", choose=False)
    assert "choose the right one" in views.shipped_hint(None, "", "en", choose=True)
    assert "is not a date" in views.shipped_hint(None, "someday", "en", choose=False)
    assert "The fields below fill in" in views.paste_feedback(None, None, None, "en")


def test_written_answers_stay_when_the_answer_is_asked_again_and_back_spares_hand_edits():
    app = new_app()
    paste_and_triage(app, f"Order id: Q1\nShipped at: 2026-11-19 16:45\nTracking: {NUMBER}")
    answer_all(app, {"q_delivered": "no", "q_at_post_office": "no", "q_tracking_active": "no",
                     "q_abroad": "no"})
    assert (app.status_input.value, app.country_input.value) == ("none", "FR")
    app.triage_button.click()  # again: the fields now say it, nothing is asked
    assert app.state.phase == "result" and app.state.asked == []
    assert outcome_code(app) == "tracking_silent"
    app2 = new_app()
    paste_and_triage(app2, f"Order id: Q1\nShipped at: 2026-11-19 16:45\nTracking: {NUMBER}")
    answer_all(app2, {"q_delivered": "no", "q_at_post_office": "no",
                      "q_tracking_active": "no", "q_abroad": "no"})
    app2.country_input.value = "BE"  # changed by hand after the answer was written
    app2.back_button.click()
    assert app2.country_input.value == "BE"


def test_the_french_page_shows_field_errors_in_french():
    """Nothing half-translated (issue 14): a ship date that is not a date."""
    import datetime as dt
    import html as html_lib

    from tpop_kb import order_from_record, triage_order
    from tpop_kb.apps.order_assistant_views import errors_section

    decision = triage_order(order_from_record({"order_id": "TP-9", "shipped_at": "31/02/2026"}),
                            dt.datetime(2026, 11, 26, 10, 0))
    french = html_lib.unescape(errors_section(decision, "fr"))
    assert "« 31/02/2026 » n'est pas une date" in french and "is not a date" not in french
    english = html_lib.unescape(errors_section(decision, "en"))
    assert "'31/02/2026' is not a date" in english


def test_the_warm_up_answers_a_sample_order_and_only_in_a_kernel(caplog, monkeypatch):
    """The kernel's first answer is prepared in the background (calendar, Arrow, reply
    templates); here, outside a kernel, the page does not start it, and the warm-up itself
    answers the sample file's first shipped order without failing."""
    import logging

    from tpop_kb.apps import order_assistant as oa

    assert oa.start_warm_up() is False  # pytest's process is no Jupyter kernel
    calls = []
    monkeypatch.setattr("tpop_kb.answer.answer", lambda text, *a: calls.append(text) or {})
    with caplog.at_level(logging.DEBUG, logger=oa.__name__):
        oa._warm_up()
    assert not [r for r in caplog.records if "warm-up failed" in r.message]
    assert len(calls) == 1 and "shipped_at" in calls[0].splitlines()[0]
    shipped = calls[0].splitlines()[1].split(",")[1]
    assert shipped.strip(), "the sample order used is a shipped one"
    monkeypatch.undo()
    with caplog.at_level(logging.DEBUG, logger=oa.__name__):
        oa._warm_up()
    assert not [r for r in caplog.records if "warm-up failed" in r.message]


def test_the_article_passages_are_words_never_their_ids():
    """Under "D'après l'article": the passage's words in the page's language and the
    article's title; the id only in data-passage."""
    for lang in ("fr", "en"):
        app = new_app(lang=lang)
        paste_and_triage(app, PASTES["contact_tpop"][0])
        card = app.outcome.value
        passages = card.split('class="tpop-oa-passages"')[1]
        ids = re.findall(r'data-passage="([\w-]+)"', passages)
        assert ids, passages
        text = re.sub(r"<[^>]+>", " ", passages)
        article = knowledge().article
        for pid in ids:
            assert pid not in text, (lang, pid)
            assert html.escape(article.passages[pid].in_(lang)) in passages


def test_the_languages_are_the_knowledge_bases(monkeypatch):
    import tpop_kb.apps.order_assistant as module

    assert module._other_lang("fr") == "en" and module._other_lang("en") == "fr"
    monkeypatch.setattr(module, "LANGUAGES", ("en",))  # one list: a link cannot add one
    assert new_app(lang="en", query="lang=fr").lang == "en"


def test_one_wording_function_on_these_pages():
    """wording() is the only lookup: no page-level prefix wrapper left."""
    import inspect

    from tpop_kb.apps import (
        knowledge_explorer,
        knowledge_explorer_views,
        order_assistant,
        training,
        training_views,
    )

    for module in (order_assistant, views, knowledge_explorer, knowledge_explorer_views,
                   training, training_views):
        for name in ("_w", "_t", "_text", "_plain", "_P"):
            assert not hasattr(module, name), (module.__name__, name)
        source = inspect.getsource(module)
        assert not re.search(r"\b(?:self\.)?_(?:w|t|text|plain)\(", source), module.__name__
    assert not hasattr(OrderAssistantApp, "_w")


@pytest.mark.parametrize(("lang", "n", "text"), [
    ("fr", 1, "L'autre passage sur lequel reposent les questions"),
    ("fr", 3, "Les 3 autres passages sur lesquels reposent les questions"),
    ("en", 1, "The other passage the questions rest on"),
    ("en", 2, "The 2 other passages the questions rest on"),
])
def test_the_other_passages_are_counted_in_words(lang, n, text):
    from tpop_kb.apps._base import plural

    assert plural("order_assistant.more_passages", lang, n, plain=True) == text
