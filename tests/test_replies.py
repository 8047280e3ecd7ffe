"""Reply drafts: every outcome, both languages, the facts they carry, and the template file."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import yaml

from tpop_kb import KnowledgeBase, KnowledgeError, data_dir, order_from_record, triage_order
from tpop_kb.postal import destination_post_url
from tpop_kb.replies import (
    PLACEHOLDERS,
    _first_of_month,
    drafts,
    format_date,
    format_datetime,
    load_replies,
    replies,
)

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
    "tracking_silent": {"order_id": "TP-10", "shipped_at": "2026-11-19 16:45",
                        "tracking_number": NUMBER, "tracking_status": "none",
                        "destination_country": "FR"},
    "collect_at_post_office": {"order_id": "TP-11", "shipped_at": "2026-11-01 10:00",
                               "tracking_number": NUMBER,
                               "tracking_status": "awaiting_collection",
                               "destination_country": "BE"},
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
    assert "le mardi 24 novembre 2026 à 15 h 00" in draft.text  # shipped
    assert "le jeudi 26 novembre 2026 à 15 h 00" in draft.text  # recheck: 48 working hours
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
    assert destination_post_url("BE", NUMBER) in fr.text


def test_destination_without_a_listed_post_uses_the_fallback_and_drops_the_link():
    fields = {**ORDERS["check_destination_post"], "destination_country": "BR"}
    (en,) = drafts(decide(fields), "en")
    assert "on the tracking site of the destination country's postal service." in en.text
    assert "Tracking page of" not in en.text
    urls = re.findall(r"https://\S+", en.text)
    assert urls and all(url.startswith("https://www.laposte.fr/") for url in urls)


def test_lines_about_unknown_facts_are_left_out():
    fields = {k: v for k, v in ORDERS["wait_before_contact"].items() if k != "tracking_number"}
    (fr,) = drafts(decide(fields), "fr")
    assert "laposte.fr" not in fr.text and "Vous pouvez la suivre" not in fr.text
    assert "numéro de suivi est" not in fr.text
    assert "il y a 5 jours" in fr.text
    no_id = {k: v for k, v in ORDERS["wait_before_contact"].items() if k != "order_id"}
    (en,) = drafts(decide(no_id), "en")
    assert "Your order was shipped with La Poste" in en.text  # fallback: no empty slot


def test_merchant_decides_has_one_draft_per_choice():
    found = drafts(decide(ORDERS["delivered_merchant_decides"]), "en")
    assert [d.id for d in found] == ["decline", "new_order"]
    assert "no longer able to send a new one" in found[0].text
    assert "new order for you, at our expense" in found[1].text


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


# ---------------------------------------------------------------------------
# Words that promise nothing the article does not
# ---------------------------------------------------------------------------

#: Promises TPOP has not made, and words a customer must never read.
FORBIDDEN_TO_CUSTOMERS = (
    "no recourse", "aucun recours", "reship", "réexpédi", "investigation", "enquête",
    "logistics partner", "partenaire logistique", "will be able to track", "pourrez suivre",
    "you will receive", "vous recevrez", "being looked into", "en cours de traitement",
    "look into it", "ferons le point",
)
#: Variants of the orders above: abroad, no listed operator, missing facts.
VARIANTS = [
    ORDERS[code] for code in sorted(ORDERS) if code != "invalid_input"
] + [
    {**ORDERS["check_destination_post"], "destination_country": "BR"},
    {**ORDERS["wait_before_contact"], "destination_country": "BE"},
    {**ORDERS["wait_before_contact"], "destination_country": "BR"},
    {**ORDERS["tracking_silent"], "destination_country": ""},
    {k: v for k, v in ORDERS["contact_tpop"].items() if k != "destination_country"},
    {k: v for k, v in ORDERS["collect_at_post_office"].items() if k != "tracking_number"},
]


def _customer_texts():
    for code, templates in replies().outcomes.items():
        for template in templates:
            if template.to == "customer":
                for lang in ("en", "fr"):
                    yield code, lang, template.title[lang] + "\n" + template.text[lang]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("fields", VARIANTS, ids=lambda f: f"{f['order_id']}-"
                         f"{f.get('destination_country', '')}")
def test_customer_drafts_promise_nothing_the_article_does_not(fields, lang):
    for draft in drafts(decide(fields), lang):
        if draft.to != "customer":
            continue
        text = draft.text.casefold()
        found = [w for w in FORBIDDEN_TO_CUSTOMERS if w in text]
        assert not found, (draft.id, found, draft.text)
        assert not re.search(r"\b(often|usually|souvent|généralement)\b", text), draft.text


def test_customer_templates_promise_nothing_the_article_does_not():
    for code, lang, text in _customer_texts():
        found = [w for w in FORBIDDEN_TO_CUSTOMERS if w in text.casefold()]
        assert not found, (code, lang, found)


def _text_leaves(node, where=""):
    """(where, lang, text) of every {en, fr} text of a YAML file (lists of steps too)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("en", "fr") and isinstance(value, str):
                yield where, key, value
            elif key in ("en", "fr") and isinstance(value, list):
                for item in value:
                    yield where, key, str(item)
            else:
                yield from _text_leaves(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _text_leaves(item, f"{where}[{i}]")


def _data_texts():
    """Every text of data/ in English and French, except the article's own passages
    (article.yaml: the English is the published article, word for word)."""
    root = data_dir()
    files = [*sorted(root.glob("*.yaml")), *sorted((root / "ui").glob("*.yaml")),
             *sorted(root.glob("knowledge/*/tree.yaml"))]
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        for where, lang, text in _text_leaves(raw):
            yield f"{path.relative_to(root)}{where}", lang, text


def test_no_french_text_says_muet_or_capital_b_bpost():
    texts = list(_data_texts())
    assert any(lang == "fr" for _, lang, _ in texts)
    for where, lang, text in texts:
        if lang == "fr":
            assert "muet" not in text.casefold(), (where, text)
        assert "Bpost" not in text, (where, text)  # the operator writes itself "bpost"


def test_no_text_overstates_what_the_article_says_may_happen():
    for where, _lang, text in _data_texts():
        assert not re.search(r"\b(often|usually|in many cases|souvent|généralement)\b",
                             text, re.IGNORECASE), (where, text)


def test_no_text_says_tpop_does_not_reship_or_quotes_the_article_word_for_word():
    for where, _lang, text in _data_texts():
        for words in ("reship", "réexpédi", "word for word", "mot pour mot"):
            assert words not in text.casefold(), (where, text)


def test_landing_page_does_not_claim_the_article_word_for_word():
    from tpop_kb.apps import landing

    source = open(landing.__file__, encoding="utf-8").read().casefold()
    assert "word for word" not in source and "mot pour mot" not in source


# ---------------------------------------------------------------------------
# French dates and times
# ---------------------------------------------------------------------------


def test_french_dates_write_the_first_of_the_month_1er_and_times_with_h():
    assert format_date(dt.date(2026, 5, 1), "fr") == "vendredi 1er mai 2026"
    assert format_date(dt.date(2026, 5, 2), "fr") == "samedi 2 mai 2026"
    assert format_datetime(dt.datetime(2026, 5, 1, 10, 0), "fr") == (
        "vendredi 1er mai 2026 à 10 h 00")
    assert format_datetime(dt.datetime(2026, 11, 24, 9, 5), "fr") == (
        "mardi 24 novembre 2026 à 9 h 05")
    assert format_date(dt.date(2026, 5, 1), "en") == "Friday 1 May 2026"
    assert format_datetime(dt.datetime(2026, 5, 1, 10, 0), "en") == (
        "Friday 1 May 2026 at 10:00")


def test_first_of_month_leaves_quoted_words_and_two_digit_days_alone():
    assert _first_of_month("EEEE d MMMM y 'à' H 'h' mm") == "EEEE d'er' MMMM y 'à' H 'h' mm"
    assert _first_of_month("dd/MM/y 'd'") == "dd/MM/y 'd'"


def test_french_drafts_write_le_1er():
    fields = {"order_id": "TP-12", "shipped_at": "2026-05-01 10:00",
              "tracking_number": NUMBER, "tracking_status": "none"}
    (draft,) = drafts(decide(fields, as_of=dt.datetime(2026, 5, 4, 9, 0)), "fr")
    assert draft.to == "customer"
    assert "le vendredi 1er mai 2026 à 10 h 00" in draft.text


def test_a_ship_date_without_a_time_is_written_without_one():
    fields = {**ORDERS["contact_tpop"], "shipped_at": "14/10/2026"}
    customer, support = drafts(decide(fields), "fr")
    assert "Date d'expédition : 2026-10-14\n" in support.text
    assert "23 h 59" not in customer.text and "23:59" not in support.text


# ---------------------------------------------------------------------------
# The message to TPOP: every fact, always
# ---------------------------------------------------------------------------

TPOP_FACTS = {
    "fr": ("N° de commande :", "N° de suivi :", "Date d'expédition :",
           "Jours depuis l'expédition :", "Pays de destination :", "Dernier statut du suivi :",
           "Référence de la commande boutique :"),
    "en": ("Order id:", "Tracking number:", "Ship date:", "Days since shipping:",
           "Destination country:", "Last tracking status:", "Store order reference:"),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_tpop_message_has_a_line_for_each_of_the_seven_facts(lang):
    (support,) = [d for d in drafts(decide(ORDERS["contact_tpop"]), lang) if d.to == "tpop"]
    lines = support.text.splitlines()
    for label in TPOP_FACTS[lang]:
        assert sum(line.startswith(label) for line in lines) == 1, (label, support.text)
    status = {"fr": "Dernier statut du suivi : en cours d'acheminement",
              "en": "Last tracking status: in transit"}[lang]
    assert status in lines
    missing = {"fr": "Référence de la commande boutique : non renseignée",
               "en": "Store order reference: not given"}[lang]
    assert missing in lines  # orders carry no store reference yet


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_tpop_message_writes_not_given_for_a_missing_fact(lang):
    # no tracking number, status or country: still past 21 days without delivery
    fields = {"order_id": "TP-5", "shipped_at": "2026-10-14 10:00"}
    decision = decide(fields)
    assert decision.code == "contact_tpop"
    (support,) = [d for d in drafts(decision, lang) if d.to == "tpop"]
    word = {"fr": "non renseign", "en": "not given"}[lang]
    lines = support.text.splitlines()
    for label in TPOP_FACTS[lang]:
        (line,) = [line for line in lines if line.startswith(label)]
        if label.startswith(("N° de suivi", "Tracking number", "Pays", "Destination",
                             "Dernier", "Last", "Référence", "Store")):
            assert word in line, line
    assert "TP-5" in support.text and "2026-10-14 10:00" in support.text


def test_every_placeholder_of_a_tpop_message_has_a_tpop_fallback(tree):
    table = replies()
    for code, templates in table.outcomes.items():
        for template in templates:
            if template.to != "tpop":
                continue
            for lang, text in template.text.items():
                used = set(re.findall(r"\{(\w+)\}", text)) - set(tree.thresholds)
                missing = used - set(table.fallbacks["tpop"])
                assert not missing, (code, template.id, lang, missing)


def test_customer_fallbacks_write_no_not_given():
    for texts in replies().fallbacks["customer"].values():
        assert "not given" not in texts["en"] and "renseign" not in texts["fr"]


def test_every_tracking_status_has_words(kb):
    statuses = set(kb.columns["values"]["tracking_status"])
    assert statuses <= set(replies().tracking_statuses), statuses


def test_the_header_comment_names_every_placeholder():
    header = (data_dir() / "replies.yaml").read_text(encoding="utf-8").split("\nformats:")[0]
    for name in PLACEHOLDERS:
        assert "{" + name + "}" in header, name


# ---------------------------------------------------------------------------
# Countries, destination posts, and the two newer outcomes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("code", ["check_destination_post", "wait_before_contact"])
def test_a_country_without_a_listed_post_still_gets_the_tracking_number(code, lang):
    fields = {**ORDERS[code], "destination_country": "BR"}
    (draft,) = drafts(decide(fields), lang)
    assert NUMBER in draft.text
    if code == "check_destination_post":
        name = {"fr": "la poste du pays de destination",
                "en": "the destination country's postal service"}[lang]
        assert name in draft.text


@pytest.mark.parametrize("code", ["check_destination_post", "wait_before_contact",
                                  "tracking_silent"])
def test_abroad_the_customer_gets_the_destination_post_and_its_link(code):
    template = replies().outcomes[code][0]
    for lang, text in template.text.items():
        assert any("{destination_post}" in line and "{destination_post_url}" in line
                   for line in text.splitlines()), (code, lang)
    fields = {**ORDERS[code], "destination_country": "BE"}
    decision = decide(fields)
    if decision.code == code:  # tracking_silent is for France or an unknown country
        (fr,) = drafts(decision, "fr")
        assert "bpost" in fr.text and destination_post_url("BE", NUMBER) in fr.text


@pytest.mark.parametrize("code", ["wait_before_contact", "tracking_silent"])
def test_in_france_no_destination_post_line(code):
    fields = {**ORDERS[code], "destination_country": "FR"}
    for lang in ("fr", "en"):
        (draft,) = drafts(decide(fields), lang)
        assert "pays de destination" not in draft.text
        assert "destination country" not in draft.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_tracking_silent_reply_says_what_the_article_says(lang):
    found = drafts(decide(ORDERS["tracking_silent"]), lang)
    assert [d.to for d in found] == ["customer"]
    text = found[0].text
    assert NUMBER in text
    assert f"https://www.laposte.fr/outils/suivre-vos-envois?code={NUMBER}" in text
    words = {"fr": ("inexact", "boîte aux lettres", "plus de 21 jours",
                    "à partir du vendredi 11 décembre 2026"),
             "en": ("inaccurate", "mailbox", "more than 21 days",
                    "from Friday 11 December 2026")}[lang]
    for word in words:
        assert word in text, (word, text)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("days_ago", [3, 25])
def test_collect_at_post_office_sends_the_customer_to_the_post_office(lang, days_ago):
    shipped = (AS_OF - dt.timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M")
    decision = decide({**ORDERS["collect_at_post_office"], "shipped_at": shipped})
    assert decision.code == "collect_at_post_office"
    found = drafts(decision, lang)
    assert [d.to for d in found] == ["customer"]
    text = found[0].text
    words = {"fr": ("bureau de poste", "avis de passage", "pièce d'identité", NUMBER),
             "en": ("post office", "delivery notice", "proof of identity", NUMBER)}[lang]
    for word in words:
        assert word in text, (word, text)
    for word in ("TPOP", "partenaire", "partner", "nous écrire", "write to us"):
        assert word not in text, (word, text)
