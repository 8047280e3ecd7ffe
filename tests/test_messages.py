"""The engine's messages (tpop_kb/messages.py, data/ui/messages.yaml): built once from a
template, English for the command line and the files, the page's language on a page."""

from __future__ import annotations

import re

import pytest

from tpop_kb.messages import Msg, message, templates, translate
from tpop_kb.orders import OrderFileError, normalize_table, order_from_record, read_orders

BAD_DATE = "shipped_at: '31/02/2026' is not a date (expected 2026-11-24, 2026-11-24 09:00, " \
    "24/11/2026 or 24/11/2026 09:00)"


def test_every_template_exists_in_both_languages_with_the_same_placeholders(kb, leaves):
    found = list(leaves(kb.ui["messages"], "messages"))
    assert len(found) > 30
    for where, texts in found:
        assert str(texts["en"]).strip() and str(texts["fr"]).strip(), where
        holes = [sorted(re.findall(r"\{(\w+)\}", str(texts[lang]))) for lang in ("en", "fr")]
        assert holes[0] == holes[1], where
    assert set(templates()) == {where.removeprefix("messages.") for where, _ in found}


def test_the_reader_builds_its_row_messages_from_the_templates():
    order = order_from_record({"order_id": "", "shipped_at": "31/02/2026",
                               "destination_country": "Narnia"})
    assert order.errors == (
        "order_id: empty",
        BAD_DATE,
        "destination_country: " + message("orders.unknown_country", value="Narnia"),
    )
    assert order.errors[2].endswith("is not a known country (use BE, Belgium or Belgique)")


@pytest.mark.parametrize("lang, expected", [
    ("en", "Ship date" + BAD_DATE.removeprefix("shipped_at")),
    ("fr", "Date d'expédition : « 31/02/2026 » n'est pas une date (attendu : 2026-11-24, "
           "2026-11-24 09:00, 24/11/2026 ou 24/11/2026 09:00)"),
])
def test_a_row_message_in_the_page_language(lang, expected):
    """The file keeps the column's code; the page names it by its label (columns.yaml)."""
    assert translate(BAD_DATE, lang) == expected


def test_the_arrow_path_gives_the_same_messages_and_they_translate():
    import pyarrow as pa

    from tpop_kb.orders import map_columns

    columns = {"order_id": pa.array(["A1", "", "A3"]),
               "shipped_at": pa.array(["2026-11-20", "31/02/2026", "31/02/2026"])}
    table = normalize_table(columns, 3, map_columns(list(columns)))
    errors = table.column("error").to_pylist()
    assert errors[0] == ""
    assert errors[1] == "order_id: empty; " + BAD_DATE
    assert errors[2] == BAD_DATE
    assert translate(errors[1], "fr") == (
        "N° de commande : vide ; " + translate(BAD_DATE, "fr"))
    assert "n'est pas une date" in translate(errors[1], "fr")


def test_file_errors_carry_their_message_for_any_language(tmp_path):
    with pytest.raises(OrderFileError) as caught:
        read_orders(b"", name="export.csv")
    assert str(caught.value) == "export.csv: the file is empty"
    assert isinstance(caught.value.msg, Msg)
    assert translate(caught.value, "fr") == "export.csv : le fichier est vide"
    assert translate(str(caught.value), "fr") == "export.csv : le fichier est vide"
    with pytest.raises(OrderFileError) as caught:
        read_orders(tmp_path / "missing.csv")
    assert translate(caught.value, "fr") == "missing.csv : fichier introuvable"
    with pytest.raises(OrderFileError) as caught:
        read_orders(b"%PDF-1.4 ...", name="x.csv")
    assert translate(caught.value, "en") == str(caught.value)
    assert translate(caught.value, "fr").startswith("x.csv : pas un fichier CSV ou .xlsx")


def test_a_delimiter_problem_is_translated_whole():
    text = ("x.csv: row 3 has 5 fields but the header has 4; check the delimiter (comma was "
            "detected) and quotes")
    assert translate(text, "fr") == (
        "x.csv : la ligne 3 a 5 champs mais l'en-tête en a 4 ; vérifiez le séparateur "
        "(détecté : virgule) et les guillemets")


def test_text_that_is_no_message_comes_back_as_it_is():
    for text in ("", "Colis livré", "Something: else", "a; b"):
        assert translate(text, "fr") == text
    assert translate(None, "fr") == ""
    assert translate(BAD_DATE, "de") == BAD_DATE


def test_the_article_watch_reason_follows_the_language():
    from tpop_kb.article_watch import WatchResult
    from tpop_kb.knowledge import knowledge

    result = WatchResult("unavailable", "https://x", knowledge().article.updated_on,
                         reason=message("watch.offline"))
    assert "could not connect (offline?)" in result.message("en")
    french = result.message("fr")
    assert "connexion impossible (hors ligne ?)" in french
    assert "offline" not in french


def test_the_live_status_problem_follows_the_language():
    from tpop_kb.laposte import LiveStatus

    problem = message("live.gave_up", tries=3, problem=Msg("live.could_not_connect"))
    status = LiveStatus("LA123456785FR", None, api_message=problem, problem="unavailable")
    assert "did not answer after 3 tries (could not connect)" in status.message("en")
    french = status.message("fr")
    assert "n'a pas répondu après 3 essais (connexion impossible)" in french


def test_an_unknown_code_is_refused():
    with pytest.raises(KeyError):
        Msg("orders.no_such_message")


def test_a_missing_column_and_the_notes_in_french():
    with pytest.raises(OrderFileError) as caught:
        read_orders(b"order|date\nA1|2026-11-20\n", name="x.csv")
    english = str(caught.value)
    assert english.startswith("x.csv: required column missing: 'order_id' (also read as: ")
    assert "The header looks separated by '|'" in english
    french = translate(caught.value, "fr")
    assert french.startswith("x.csv : colonne obligatoire absente : « order_id » (également")
    assert "L'en-tête semble séparé par « | »" in french and "also read" not in french

    table = read_orders(b"order_id,shipped_at,colour,size\nA1,2026-11-20,red,M\n"
                        b"A1,2026-11-21,blue,L\n\n", name="y.csv")
    notes = table.notes
    assert "Columns not used: colour, size" in notes
    assert "1 order id(s) appear on several rows, all kept: 'A1' ×2" in notes
    french_notes = [translate(n, "fr") for n in notes]
    assert "Colonnes non utilisées : colour, size" in french_notes
    assert ("1 numéro(s) de commande figurent sur plusieurs lignes, toutes conservées : "
            "'A1' ×2") in french_notes
    assert translate("Columns not used: a, b and 3 more", "fr") == (
        "Colonnes non utilisées : a, b et 3 de plus")


def test_what_a_file_that_is_no_orders_is_in_french():
    with pytest.raises(OrderFileError) as caught:
        read_orders(b"%PDF-1.4 ...", name="x.csv")
    assert str(caught.value) == "x.csv: not a CSV or .xlsx file: a PDF document"
    assert translate(caught.value, "fr") == "x.csv : pas un fichier CSV ou .xlsx : un document PDF"
    assert translate(str(caught.value), "fr") == translate(caught.value, "fr")
