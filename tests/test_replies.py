"""Reply drafts: every outcome, both languages, the facts they carry, and the template file."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest

from tpop_kb import KnowledgeBase, KnowledgeError, data_dir, order_from_record, triage_order
from tpop_kb.replies import PLACEHOLDERS, drafts, load_replies, replies

AS_OF = dt.datetime(2026, 11, 26, 10, 0)  # a Thursday
NUMBER = "LA123456785FR"

#: One order per outcome code (the same facts as the engine's tests).
ORDERS = {
    "not_shipped": {"order_id": "TP-1"},
    "wait_for_activation": {"order_id": "TP-2", "shipped_at": "2026-11-24 15:00",
                            "tracking_number": NUMBER, "tracking_status": "none"},
    "check_destination_post": {"order_id": "TP-3", "shipped_at": "2026-11-19 16:45",
                               "tracking_number": NUMBER, "tracking_status": "none",
                               "destination_country": "BE"},
    "wait_before_contact": {"order_id": "TP-4", "shipped_at": "2026-11-21 16:00",
                            "tracking_number": NUMBER, "tracking_status": "in_transit"},
    "contact_tpop": {"order_id": "TP-5", "shipped_at": "2026-10-14 10:00",
                     "tracking_number": NUMBER, "tracking_status": "in_transit",
                     "destination_country": "DE"},
    "delivered": {"order_id": "TP-6", "shipped_at": "2026-11-01", "tracking_number": NUMBER,
                  "tracking_status": "delivered"},
    "delivered_go_to_post_office": {"order_id": "TP-7", "shipped_at": "2026-11-01",
                                    "tracking_number": NUMBER, "tracking_status": "delivered",
                                    "customer_claim": "not_received"},
    "delivered_merchant_decides": {"order_id": "TP-8", "shipped_at": "2026-11-01",
                                   "tracking_number": NUMBER, "tracking_status": "delivered",
                                   "customer_claim": "still_not_received"},
    "invalid_input": {"order_id": "TP-9", "shipped_at": "31/02/2026"},
}


def decide(fields, as_of=AS_OF):
    return triage_order(order_from_record(fields), as_of)


def test_every_outcome_has_an_order_here(tree):
    assert set(ORDERS) == set(tree.outcomes)
    for code, fields in ORDERS.items():
        assert decide(fields).code == code


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("code", sorted(ORDERS))
def test_every_outcome_has_filled_drafts(code, lang):
    found = drafts(decide(ORDERS[code]), lang)
    if code == "invalid_input":
        assert found == []
        return
    assert found and found[0].to == "customer"
    for draft in found:
        assert draft.lang == lang and draft.title and draft.text.endswith("\n")
        assert "{" not in draft.text and "}" not in draft.text, draft.text
        assert "\n\n\n" not in draft.text
        assert ORDERS[code]["order_id"] in draft.text
        greeting = {"fr": "Bonjour", "en": "Hello"}[lang]
        assert draft.text.startswith(greeting)


def test_french_drafts_write_dates_out_in_french():
    (draft,) = drafts(decide(ORDERS["wait_for_activation"]), "fr")
    assert "mardi 24 novembre 2026 à 15:00" in draft.text  # shipped
    assert "jeudi 26 novembre 2026 à 15:00" in draft.text  # recheck: 48 working hours later
    assert "48 heures ouvrées" in draft.text
    assert f"https://www.laposte.fr/outils/suivre-vos-envois?code={NUMBER}" in draft.text
    (english,) = drafts(decide(ORDERS["wait_for_activation"]), "en")
    assert "Tuesday 24 November 2026 at 15:00" in english.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_contact_tpop_has_a_message_to_tpop_support_with_the_facts(lang):
    decision = decide(ORDERS["contact_tpop"])
    customer, support = drafts(decision, lang)
    assert (customer.to, support.to) == ("customer", "tpop")
    labels = {
        "fr": ("N° de commande : TP-5", f"N° de suivi : {NUMBER}",
               "Date d'expédition : 2026-10-14 10:00", "Jours depuis l'expédition : 43",
               "Pays de destination : Allemagne"),
        "en": ("Order id: TP-5", f"Tracking number: {NUMBER}", "Ship date: 2026-10-14 10:00",
               "Days since shipping: 43", "Destination country: Germany"),
    }[lang]
    for line in labels:
        assert line in support.text
    assert "21" in support.text  # the contact threshold, from tree.yaml
    assert decision.days_since_shipped == 43


def test_destination_post_is_named_and_linked():
    (fr,) = drafts(decide(ORDERS["check_destination_post"]), "fr")
    assert "bpost" in fr.text
    assert f"https://www.bpost.be/en/track-and-trace?itemId={NUMBER}" in fr.text


def test_destination_without_a_listed_post_uses_the_fallback_and_drops_the_link():
    fields = {**ORDERS["check_destination_post"], "destination_country": "BR"}
    (en,) = drafts(decide(fields), "en")
    assert "the postal service of the destination country shows the latest steps" in en.text
    assert "tracking page:" not in en.text


def test_lines_about_unknown_facts_are_left_out():
    fields = {k: v for k, v in ORDERS["wait_before_contact"].items() if k != "tracking_number"}
    (fr,) = drafts(decide(fields), "fr")
    assert "laposte.fr" not in fr.text and "Vous pouvez la suivre ici" not in fr.text
    assert "il y a 5 jours" in fr.text
    no_id = {k: v for k, v in ORDERS["wait_before_contact"].items() if k != "order_id"}
    (en,) = drafts(decide(no_id), "en")
    assert "Your order was shipped with La Poste" in en.text  # fallback: no empty slot


def test_merchant_decides_has_one_draft_per_choice():
    found = drafts(decide(ORDERS["delivered_merchant_decides"]), "en")
    assert [d.id for d in found] == ["decline", "new_order"]
    assert "no longer able to send a new one" in found[0].text
    assert "new parcel at our expense" in found[1].text


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        drafts(decide(ORDERS["delivered"]), "de")


def test_templates_use_known_placeholders_only():
    table = replies()
    for code, templates in table.outcomes.items():
        for template in templates:
            for lang, text in template.text.items():
                used = set(re.findall(r"\{(\w+)\}", text))
                assert used <= set(PLACEHOLDERS) | {"activation_working_hours",
                                                    "contact_after_days"}, (code, lang)


# ---------------------------------------------------------------------------
# A broken file says where
# ---------------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    return copy


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("Its tracking number is {tracking_number}.", "Its number is {tracking_no}.",
         r"replies.yaml, line \d+: wait_for_activation.customer.text.en uses unknown "
         r"placeholder\(s\) \{tracking_no\}"),
        ("      to: tpop\n", "      to: merchant\n", r"contact_tpop.tpop_support: 'to' must be"),
        ("  invalid_input: []\n", "", r"no drafts for outcome\(s\) invalid_input"),
        ("  invalid_input: []\n", "  invalid_input: []\n  lost: []\n", r"'lost' is not an outcome"),
        ("    - id: new_order\n", "    - id: decline\n", r"delivered_merchant_decides.decline is "
                                                          r"repeated"),
    ],
)
def test_broken_templates_name_the_file_and_the_problem(data_copy, old, new, message):
    path = data_copy / "replies.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=message):
        load_replies(KnowledgeBase(data_copy))


def test_the_shipped_file_is_valid():
    load_replies(KnowledgeBase(data_dir()))
