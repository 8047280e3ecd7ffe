"""Pasted orders: labelled lines, JSON, CSV, order-page text; what is found and what is not."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tpop_kb import OrderFileError
from tpop_kb.orders import CANONICAL_COLUMNS
from tpop_kb.paste import (
    MAX_PASTE_CHARS,
    PastedOrder,
    PasteError,
    find_dates,
    find_tracking_numbers,
    parse_paste,
    parse_record,
)

D = dt.datetime


def how(result: PastedOrder) -> dict[str, tuple[str, str]]:
    return {f.field: (f.how, f.source) for f in result.found}


# ---------------------------------------------------------------------------
# key: value lines
# ---------------------------------------------------------------------------


def test_english_labels():
    result = parse_paste(
        "Order id: TP-1001\n"
        "Shipped at: 2026-11-20 15:00\n"
        "Tracking number: LA123456785FR\n"
        "Destination country: Belgium\n"
        "Tracking status: in transit\n"
        "Customer claim: none\n"
        "Tracking synced: yes\n"
    )
    assert result.format == "lines"
    assert result.record == {
        "order_id": "TP-1001",
        "shipped_at": "2026-11-20 15:00",
        "tracking_number": "LA123456785FR",
        "destination_country": "BE",
        "tracking_status": "in_transit",
        "customer_claim": "none",
        "store_tracking_synced": "true",
    }
    assert how(result)["order_id"] == ("label", "Order id")
    assert result.problems == [] and result.notes == [] and result.ignored == []
    order = result.order()
    assert order.shipped_at == D(2026, 11, 20, 15) and order.store_tracking_synced is True


def test_french_labels_spaces_and_french_time():
    result = parse_paste(
        "N° de commande : TP-1002\n"
        "Date d'expédition : 20/11/2026 à 15h30\n"
        "N° de suivi : LA 123 456 785 FR\n"
        "Pays de destination : Allemagne\n"
        "Statut du suivi : en cours d'acheminement\n"
        "Réclamation client : toujours non reçu\n"
        "Suivi synchronisé : non\n"
    )
    assert result.record == {
        "order_id": "TP-1002",
        "shipped_at": "2026-11-20 15:30",
        "tracking_number": "LA123456785FR",
        "destination_country": "DE",
        "tracking_status": "in_transit",
        "customer_claim": "still_not_received",
        "store_tracking_synced": "false",
    }
    assert how(result)["shipped_at"] == ("label", "Date d'expédition")


@pytest.mark.parametrize("separator", [":", " = ", "\t", " :  "])
def test_separators_bullets_and_quotes(separator):
    text = (
        f"- order_id{separator}\"A-7\",\n"
        f"• shipped_at{separator}2026-11-20\n"
        f"* country{separator}France\n"
    )
    result = parse_paste(text)
    assert result.record == {
        "order_id": "A-7", "shipped_at": "2026-11-20", "destination_country": "FR",
    }


def test_labelled_values_with_extra_words_are_read():
    result = parse_paste(
        "Statut : Livré le 22/11/2026\n"
        "Pays : 1000 Bruxelles, Belgique\n"
        "Suivi : https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901\n"
        "Expédiée le : samedi 21 novembre 2026 à 9h05\n"
    )
    assert result.record["tracking_status"] == "delivered"
    assert result.record["destination_country"] == "BE"
    assert result.record["tracking_number"] == "6A12345678901"
    assert result.record["shipped_at"] == "2026-11-21 09:05"


def test_unreadable_choice_is_left_out_and_reported():
    result = parse_paste("Order id: A1\nStatus: Shipped\nCountry: Atlantis\n")
    assert result.record == {"order_id": "A1"}
    problems = {p.field: p for p in result.problems}
    assert set(problems) == {"tracking_status", "destination_country"}
    assert problems["tracking_status"].value == "Shipped"
    assert "not a known value" in problems["tracking_status"].message
    assert result.order().errors == ()


def test_unreadable_ship_date_stays_in_the_record_with_a_problem():
    result = parse_paste("Order id: A1\nShipped at: 31/02/2026\n")
    assert result.record["shipped_at"] == "31/02/2026"
    (problem,) = result.problems
    assert problem.field == "shipped_at" and "not a date" in problem.message
    assert result.order().errors[0].startswith("shipped_at: '31/02/2026'")


def test_a_later_readable_value_wins_over_an_unreadable_one():
    result = parse_paste("Status: Shipped\nTracking status: delivered\nOrder: A1\n")
    assert result.record["tracking_status"] == "delivered"
    assert result.problems == []


def test_first_label_wins_for_a_field():
    result = parse_paste("Order id: A1\nCommande: B2\n")
    assert result.record["order_id"] == "A1"


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def test_flat_json_with_types():
    result = parse_paste(json.dumps({
        "order_id": 1001, "shipped_at": "2026-11-20T15:00", "tracking_number": None,
        "pays": "Espagne", "store_tracking_synced": False, "customer": "Jane",
    }))
    assert result.format == "json"
    assert result.record == {
        "order_id": "1001", "shipped_at": "2026-11-20 15:00", "destination_country": "ES",
        "store_tracking_synced": "false",
    }
    assert result.ignored == ["customer"]


def test_nested_json_and_utc_times_become_paris_time():
    result = parse_paste(json.dumps({
        "order": {
            "id": "TP-3",
            "fulfillment": {"shipped_at": "2026-07-01T13:00:00Z",
                            "tracking_number": "LA123456785FR"},
            "shipping_address": {"name": "Jane", "country": "Italy"},
        }
    }))
    assert result.record == {
        "order_id": "TP-3", "shipped_at": "2026-07-01 15:00",  # CEST: UTC+2
        "tracking_number": "LA123456785FR", "destination_country": "IT",
    }


def test_json_list_reads_the_first_order_and_says_so():
    result = parse_paste(json.dumps([{"order_id": "A1"}, {"order_id": "A2"}, {"order_id": "A3"}]))
    assert result.record == {"order_id": "A1"}
    assert [(n.code, n.values) for n in result.notes] == [("extra_rows", {"count": "2"})]


def test_broken_json_is_read_as_text_with_a_note():
    result = parse_paste('{"order_id": "A1", "tracking_number": "LA123456785FR",')
    assert result.record["tracking_number"] == "LA123456785FR"
    assert result.record["order_id"] == "A1"
    assert result.notes[0].code == "not_json"


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_header_and_row(delimiter):
    header = delimiter.join(["N° de commande", "Date d'expédition", "Pays", "Statut", "Client"])
    row = delimiter.join(["TP-5", "24/11/2026 09:00", "Pays-Bas", "livré", "Jane"])
    result = parse_paste(f"{header}\n{row}\n")
    assert result.format == "csv"
    assert result.record == {
        "order_id": "TP-5", "shipped_at": "2026-11-24 09:00", "destination_country": "NL",
        "tracking_status": "delivered",
    }
    assert how(result)["order_id"] == ("csv", "N° de commande")
    assert result.ignored == ["Client"]


def test_csv_with_quotes_extra_rows_and_short_row():
    text = 'order_id,shipped_at,country\n"A,1",2026-11-24\nA2,2026-11-25,FR\n\nA3,,BE\n'
    result = parse_paste(text)
    assert result.record == {"order_id": "A,1", "shipped_at": "2026-11-24"}
    assert result.notes[0].code == "extra_rows" and result.notes[0].values == {"count": "2"}


def test_csv_header_without_row_is_a_clear_error():
    with pytest.raises(PasteError) as error:
        parse_paste("order_id;shipped_at;tracking_number\n")
    assert error.value.code == "header_only"
    assert "no order row" in str(error.value)


# ---------------------------------------------------------------------------
# Text copied from an order page
# ---------------------------------------------------------------------------

ORDER_PAGE_FR = """Commande #TP-202600021
Commandée le 17/11/2026 à 10:02
Payée
Expédiée le 19 novembre 2026 à 16h45
Numéro de suivi : voir ci-dessous
LV 121 752 944 FR
Adresse de livraison
Maurice Dupont
12 rue de la Loi
1000 Bruxelles
Belgique

Expéditeur
TPOP, 1 rue de Paris
75001 Paris
France
"""

ORDER_PAGE_EN = """Order #1001 — Fulfilled
Placed on November 18, 2026 at 9:12 am
Shipped November 20, 2026 at 3:00 pm with La Poste, tracking 6A39226687149
Ship to
Jane Doe, 10 Main Street, Manchester, United Kingdom
"""


def test_french_order_page():
    result = parse_paste(ORDER_PAGE_FR)
    assert result.format == "lines"  # "Numéro de suivi :" is a label, but its value is not
    assert result.record == {
        "order_id": "TP-202600021",
        "shipped_at": "2026-11-19 16:45",
        "tracking_number": "LV121752944FR",
        "destination_country": "BE",  # not MU (Maurice) nor FR (the sender's address)
    }
    assert how(result)["tracking_number"] == ("text", "")
    assert result.problems == []


def test_english_order_page():
    result = parse_paste(ORDER_PAGE_EN)
    assert result.format == "text"
    assert result.record == {
        "order_id": "1001",
        "shipped_at": "2026-11-20 15:00",
        "tracking_number": "6A39226687149",
        "destination_country": "GB",
    }


def test_one_unlabelled_date_and_country():
    result = parse_paste("Parcel LA123456785FR 24/11/2026 10:30 going to Portugal")
    assert result.record == {
        "shipped_at": "2026-11-24 10:30", "tracking_number": "LA123456785FR",
        "destination_country": "PT",
    }


def test_several_unlabelled_dates_are_not_guessed():
    result = parse_paste("LA123456785FR\n20/11/2026\n22/11/2026\n")
    assert "shipped_at" not in result.record
    (note,) = result.notes
    assert note.code == "several_dates" and note.values == {"dates": "20/11/2026, 22/11/2026"}


def test_dates_of_other_events_are_left_out():
    result = parse_paste("LA123456785FR\nOrdered on 18/11/2026\nDelivered on 23/11/2026\n")
    assert "shipped_at" not in result.record and result.notes == []


def test_several_countries_are_not_guessed():
    result = parse_paste("LA123456785FR\nfrom Spain\nItaly\n")
    assert "destination_country" not in result.record
    assert result.notes[0].code == "several_countries"
    assert result.notes[0].values == {"countries": "ES, IT"}


def test_several_tracking_numbers_use_the_first_and_say_so():
    result = parse_paste("LA123456785FR then 6A12345678901")
    assert result.record["tracking_number"] == "LA123456785FR"
    assert result.notes[0].code == "other_tracking_numbers"
    assert result.notes[0].values == {"used": "LA123456785FR", "others": "6A12345678901"}


def test_small_words_are_not_countries():
    # "de", "la", "in", "to" are also ISO codes (Germany, Laos, India, Tonga).
    result = parse_paste("Colis LA123456785FR remis à La Poste, de la part de TPOP, sent to me")
    assert "destination_country" not in result.record


def test_a_bare_capital_code_on_its_own_line_is_a_country():
    assert parse_paste("LA123456785FR\nBE\n").record["destination_country"] == "BE"


def test_an_invalid_date_on_a_ship_line_is_kept_and_reported():
    result = parse_paste("LA123456785FR shipped 31/02/2026")
    assert result.record["shipped_at"] == "31/02/2026"
    assert result.problems[0].field == "shipped_at"


# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("LA123456785FR", ["LA123456785FR"]),
        ("la 123 456 785 fr", ["LA123456785FR"]),
        ("n° 6A12345678901.", ["6A12345678901"]),
        ("(8R00000000001)", ["8R00000000001"]),
        ("XLA123456785FR", []),  # part of a longer word
        ("LA1234567850FR", []),
        ("LA123456785FR and again LA 123456785 FR", ["LA123456785FR"]),
        ("tel 06 12 34 56 78, order 202600014", []),
    ],
)
def test_find_tracking_numbers(text, numbers):
    assert find_tracking_numbers(text) == numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2026-11-20", D(2026, 11, 20)),
        ("2026-11-20T15:00", D(2026, 11, 20, 15)),
        ("2026-11-20 15:00:59", D(2026, 11, 20, 15)),
        ("2026-11-20T14:00:00Z", D(2026, 11, 20, 15)),
        ("2026-11-20T15:00:00+01:00", D(2026, 11, 20, 15)),
        ("20/11/2026", D(2026, 11, 20)),
        ("20/11/2026 à 15h05", D(2026, 11, 20, 15, 5)),
        ("20/11/2026 15h", D(2026, 11, 20, 15)),
        ("20.11.2026 08:30", D(2026, 11, 20, 8, 30)),
        ("1er décembre 2026", D(2026, 12, 1)),
        ("5 déc. 2026 14h30", D(2026, 12, 5, 14, 30)),
        ("5 dec 2026", D(2026, 12, 5)),
        ("20 févr. 2026", D(2026, 2, 20)),
        ("November 20, 2026 at 3:00 pm", D(2026, 11, 20, 15)),
        ("Nov 20th, 2026, 12:30 AM", D(2026, 11, 20, 0, 30)),
        ("20 November 2026 3 pm", D(2026, 11, 20, 15)),
    ],
)
def test_find_dates(text, value):
    (hit,) = find_dates(f"on {text} .")
    assert hit.value == value


def test_impossible_dates_are_found_without_a_value():
    (hit,) = find_dates("31/02/2026")
    assert hit.value is None and hit.text == "31/02/2026"


# ---------------------------------------------------------------------------
# Nothing usable
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   \n\t\n", "empty"),
        (None, "empty"),
        ("hello, can you tell me where my parcel is?", "nothing_usable"),
        ("[1, 2, 3]", "nothing_usable"),
        ("{}", "nothing_usable"),
        ("x" * (MAX_PASTE_CHARS + 1), "too_long"),
    ],
)
def test_nothing_usable_raises_the_documented_error(text, code):
    with pytest.raises(PasteError) as error:
        parse_paste(text)
    assert error.value.code == code
    assert isinstance(error.value, OrderFileError)
    assert str(error.value)


def test_nothing_usable_carries_the_problems():
    with pytest.raises(PasteError) as error:
        parse_paste("Status: Shipped")
    assert error.value.code == "nothing_usable"
    assert [p.field for p in error.value.problems] == ["tracking_status"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            list("abcdefLAFR0123456789 :;,\t\n/-.{}[]\"'éàh")
            + ["shipped", "Pays", "Order id", "2026", "LA123456785FR", "Belgique", "pm"]
        ),
        max_size=60,
    ).map("".join)
    | st.text(max_size=200)
)
def test_any_text_gives_an_order_or_the_documented_error(text):
    try:
        result = parse_paste(text)
    except PasteError as error:
        assert error.code in ("empty", "nothing_usable", "header_only")
        return
    assert result.record
    assert set(result.record) <= set(CANONICAL_COLUMNS)
    assert [f.field for f in result.found] == [c for c in CANONICAL_COLUMNS if c in result.record]
    result.order()  # never raises: errors are collected on the order


# ---------------------------------------------------------------------------
# Records (deep links)
# ---------------------------------------------------------------------------


def test_parse_record_reads_aliases_and_never_raises():
    result = parse_record(
        {"n° de suivi": "la123456785fr", "expédié le": "20/11/2026 15:00", "pays": "BE",
         "utm_source": "helpdesk", "statut": "lost"}
    )
    assert result.format == "query"
    assert result.record == {
        "shipped_at": "2026-11-20 15:00", "tracking_number": "LA123456785FR",
        "destination_country": "BE",
    }
    assert result.ignored == ["utm_source"]
    assert [p.field for p in result.problems] == ["tracking_status"]
    assert parse_record({}).record == {}
