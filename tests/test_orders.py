"""Reading orders: files, encodings, delimiters, headers, values."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from conftest import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from tpop_kb.messages import message
from tpop_kb.orders import (
    OrderFileError,
    map_columns,
    order_from_record,
    parse_datetime,
    parse_value,
    read_orders,
)

HEADER = "order_id,shipped_at,tracking_number,destination_country,tracking_status\n"


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Order ID", "order_id"), ("order", "order_id"), ("Order number", "order_id"),
        ("Commande", "order_id"), ("N° de commande", "order_id"),
        ("Numéro de commande", "order_id"), ("shipped at", "shipped_at"),
        ("Shipping date", "shipped_at"), ("date shipped", "shipped_at"),
        ("Date d'expédition", "shipped_at"), ("EXPÉDIÉ LE", "shipped_at"),
        ("Tracking number", "tracking_number"), ("tracking", "tracking_number"),
        ("Numéro de suivi", "tracking_number"), ("n° de suivi", "tracking_number"),
        ("Country", "destination_country"), ("destination", "destination_country"),
        ("Pays", "destination_country"), ("Pays de destination", "destination_country"),
        ("Status", "tracking_status"), ("Tracking status", "tracking_status"),
        ("statut", "tracking_status"), ("Statut du suivi", "tracking_status"),
        ("claim", "customer_claim"), ("Réclamation", "customer_claim"),
        ("réclamation client", "customer_claim"), ("Tracking synced", "store_tracking_synced"),
        ("synced", "store_tracking_synced"), ("Suivi synchronisé", "store_tracking_synced"),
    ],
)
def test_header_aliases(header, column):
    assert map_columns([header]).columns == {column: header}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24", dt.datetime(2026, 11, 24, 23, 59, 59)),  # no time: end of the day
        ("2026-11-24T09:00", dt.datetime(2026, 11, 24, 9)),
        ("2026-11-24 09:00", dt.datetime(2026, 11, 24, 9)),
        ("24/11/2026", dt.datetime(2026, 11, 24, 23, 59, 59)),
        ("24/11/2026 09:00", dt.datetime(2026, 11, 24, 9)),
        (" 24/11/2026\u00a009:00 ", dt.datetime(2026, 11, 24, 9)),
        ("", None),
    ],
)
def test_dates(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["31/02/2026", "2026-13-01", "tomorrow", "11/24/2026"])
def test_bad_dates_say_why(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_datetime(text)


@pytest.mark.parametrize(
    ("column", "text", "value"),
    [
        ("tracking_status", "", "none"), ("tracking_status", "pending", "none"),
        ("tracking_status", "info_received", "none"), ("tracking_status", "Aucun", "none"),
        ("tracking_status", "en attente", "none"),
        ("tracking_status", "out_for_delivery", "in_transit"),
        ("tracking_status", "available_for_pickup", "awaiting_collection"),
        ("tracking_status", "attempt_fail", "awaiting_collection"),
        ("tracking_status", "avis de passage", "awaiting_collection"),
        ("tracking_status", "Disponible dans votre bureau de poste", "awaiting_collection"),
        ("tracking_status", "exception", "in_transit"),
        ("tracking_status", "En transit", "in_transit"),
        ("tracking_status", "en cours d'acheminement", "in_transit"),
        ("tracking_status", "Livré", "delivered"), ("tracking_status", "distribué", "delivered"),
        ("customer_claim", "", "none"), ("customer_claim", "non reçu", "not_received"),
        ("customer_claim", "Toujours non reçu", "still_not_received"),
        ("customer_claim", "not_received", "not_received"),
        ("store_tracking_synced", "oui", "true"), ("store_tracking_synced", "NON", "false"),
        ("store_tracking_synced", "1", "true"), ("store_tracking_synced", "0", "false"),
        ("store_tracking_synced", "yes", "true"), ("store_tracking_synced", "", "unknown"),
    ],
)
def test_value_aliases(column, text, value):
    assert parse_value(column, text) == value


def test_unknown_value_names_the_accepted_ones():
    with pytest.raises(ValueError, match="none, in_transit, awaiting_collection, delivered"):
        parse_value("tracking_status", "lost")


def test_order_from_record_collects_errors():
    order = order_from_record({"Commande": "A1", "Expédié le": "32/01/2026", "pays": "Mars",
                               "Statut": "livré", "unknown column": "x"})
    assert order.order_id == "A1"
    assert order.tracking_status == "delivered"
    assert order.shipped_at is None
    assert len(order.errors) == 2
    assert order.errors[0].startswith("shipped_at: '32/01/2026'")
    assert order.errors[1].startswith("destination_country: 'Mars'")


def test_missing_fields_are_unknown():
    order = order_from_record({"order": "A1"})
    assert order.shipped_at is None and order.tracking_status is None
    assert order.store_tracking_synced is None and order.destination_country is None


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_delimiters_and_encodings(delimiter, encoding):
    text = (delimiter.join(["Commande", "Date d'expédition", "Pays", "Statut"]) + "\n"
            + delimiter.join(["A1", "24/11/2026", "Pays-Bas", "livré"]) + "\n"
            + delimiter.join(["A2", "2026-11-25 10:00", "États-Unis", "en transit"]) + "\n")
    table = read_orders(text.encode(encoding), name="x.csv")
    assert table.rows == 2 and table.invalid == 0
    assert list(table.orders["destination_country"]) == ["NL", "US"]
    assert list(table.orders["tracking_status"]) == ["delivered", "in_transit"]
    assert table.orders["shipped_at"].iloc[1] == dt.datetime(2026, 11, 25, 10)


def test_xlsx(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Order number", "Shipping date", "Country", "Tracking number"])
    sheet.append(["A1", dt.datetime(2026, 11, 24, 9, 30), "Belgium", "LA123456785FR"])
    sheet.append([1002, "24/11/2026", "FR", None])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_orders(buffer.getvalue(), name="orders.xlsx")
    assert table.rows == 2 and table.invalid == 0
    assert list(table.orders["order_id"]) == ["A1", "1002"]
    assert table.orders["shipped_at"].iloc[0] == dt.datetime(2026, 11, 24, 9, 30)
    assert list(table.orders["tracking_number"]) == ["LA123456785FR", ""]


def test_bad_values_keep_every_row_and_name_column_and_value():
    text = HEADER + "A1,2026-11-24,,Atlantis,none\n,2026-11-24,,FR,none\nA3,soon,,FR,lost\n"
    table = read_orders(text.encode(), name="x.csv")
    assert table.rows == 3 and len(table.orders) == 3
    errors = list(table.orders["error"])
    assert "destination_country: 'Atlantis'" in errors[0]
    assert errors[1] == "order_id: empty"
    assert "shipped_at: 'soon'" in errors[2] and "tracking_status: 'lost'" in errors[2]


def test_missing_required_column_is_named():
    with pytest.raises(OrderFileError, match="required column missing: 'shipped_at'"):
        read_orders(b"order_id,country\nA1,FR\n", name="x.csv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"PK\x03\x04" + b"\x00" * 40 + b"hello.txt", "ZIP"),
        (b"PK\x03\x04" + b"xl/" + b"\x00" * 200, "not a readable .xlsx"),
        (b"order_id,shipped_at\nA1,2026-11-24,extra\n", "row 2 has 3 fields"),
    ],
)
def test_unreadable_files_raise_a_clear_error(data, message):
    with pytest.raises(OrderFileError, match=message):
        read_orders(data, name="bad.csv")


def test_header_only_is_zero_orders():
    table = read_orders(b"order_id,shipped_at\n", name="x.csv")
    assert table.rows == 0 and len(table.orders) == 0


def test_short_rows_are_padded_not_dropped():
    table = read_orders(b"order_id,shipped_at,pays\nA1,2026-11-24\nA2\n", name="x.csv")
    assert table.rows == 2
    assert table.orders["error"].iloc[1] == ""  # no date: not shipped, not an error


def test_duplicate_meaning_headers_keep_the_first_and_say_so():
    table = read_orders(b"order,commande,shipped_at\nA1,B1,2026-11-24\n", name="x.csv")
    assert table.orders["order_id"].iloc[0] == "A1"
    assert any("commande" in note for note in table.notes)


def test_missing_file():
    with pytest.raises(OrderFileError, match="no such file"):
        read_orders(SAMPLES / "nope.csv")


def test_samples_read_alike():
    english = read_orders(SAMPLES / "orders.csv")
    french = read_orders(SAMPLES / "orders_fr.csv")
    assert english.rows == french.rows >= 300
    assert english.orders.equals(french.orders)


def test_blank_rows_are_skipped_and_said():
    table = read_orders(b"order_id;shipped_at\nA1;2026-11-24\n;\n\nA2;\n;;\n", name="x.csv")
    assert list(table.orders["order_id"]) == ["A1", "A2"]
    assert any("3 blank row(s) skipped" in note for note in table.notes)


SPACES = ["", " ", "\u00a0", "\u202f", "\u2003", "\x1c", "  "]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.sampled_from(list("AB12-_é ") + SPACES[1:-1]), max_size=12),
            st.sampled_from(["2026-11-24", "24/11/2026 09:00", "2026-11-24T09:05",
                             "31/02/2026", "46350", "2026-1-4", "", "1/2/2026 9:00",
                             "24.11.2026", "2026-11-24 09:00:30"]),
            st.sampled_from(SPACES),
            st.text(alphabet=st.sampled_from(list("LA0123456789FR ") + SPACES[1:-1]), max_size=16),
        ),
        min_size=1, max_size=15,
    ),
    st.sampled_from([",", ";"]),
)
def test_file_reader_and_record_reader_agree(rows, delimiter):
    """A file's rows read as the same cells given as records (order_from_record reads a
    record as a one-row file): the CSV readers' quoting, blank rows, padding and the
    row's joined messages change nothing."""
    lines = [delimiter.join(["order_id", "shipped_at", "tracking_number"])]
    for order_id, date, pad, tracking in rows:
        cells = [order_id, pad + date + pad, tracking]
        lines.append(delimiter.join('"' + c + '"' if (delimiter in c or '"' in c) else c
                                    for c in cells))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    try:
        table = read_orders(data, name="p.csv")
    except OrderFileError:
        return
    records = [r for r in rows if any((r[0] + r[1] + r[3]).split())]
    assert table.rows == len(records)
    for (order_id, date, pad, tracking), (_, got) in zip(records, table.orders.iterrows(),
                                                         strict=True):
        order = order_from_record({"order_id": order_id, "shipped_at": pad + date + pad,
                                   "tracking_number": tracking})
        assert got["order_id"] == (order.order_id or "")
        assert got["tracking_number"] == (order.tracking_number or "")
        expected_date = order.shipped_at
        assert (None if pd.isna(got["shipped_at"]) else got["shipped_at"].to_pydatetime()) == (
            expected_date)
        assert got["error"] == "; ".join(order.errors)


def _date_texts():
    """Texts in the zero-padded shapes of data/columns.yaml, with any field's digits
    (31/02, month 13, hour 24, second 60, year 0000...), a stray letter now and then."""
    two = st.integers(0, 99).map(lambda v: f"{v:02d}")
    # year 0 is no year; the others within what datetime64[ns] holds (1678-2261)
    year = st.sampled_from([0, 1679, 1900, 2000, 2024, 2026, 2100, 2261]).map(
        lambda v: f"{v:04d}")
    day = st.sampled_from([0, 1, 9, 28, 29, 30, 31, 32]).map(lambda v: f"{v:02d}")
    month = st.sampled_from([0, 1, 2, 4, 12, 13]).map(lambda v: f"{v:02d}")
    hour = st.sampled_from([0, 9, 23, 24]).map(lambda v: f"{v:02d}")
    shape = st.sampled_from(["{Y}-{m}-{d}", "{Y}-{m}-{d}T{H}:{M}", "{Y}-{m}-{d} {H}:{M}",
                             "{Y}-{m}-{d} {H}:{M}:{S}", "{d}/{m}/{Y}", "{d}/{m}/{Y} {H}:{M}",
                             "{d}/{m}/{Y} {H}:{M}:{S}", "{d}/{m}/{Y} {H}h{M}", "{d}.{m}.{Y}",
                             "{d}-{m}-{Y}", "{Y}/{m}/{d} {H}:{M}"])
    text = st.builds(lambda f, Y, m, d, H, M, S: f.format(Y=Y, m=m, d=d, H=H, M=M, S=S),
                     shape, year, month, day, hour, two, two)
    typo = st.tuples(text, st.integers(0, 18), st.sampled_from("x :/-")).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :])
    return st.one_of(text, text, typo)


@settings(max_examples=200, deadline=None)
@given(st.lists(_date_texts(), min_size=1, max_size=40))
def test_ship_dates_read_from_bytes_as_parse_datetime_reads_them(texts):
    """The reader reads zero-padded dates from their bytes with numpy: each field checked
    as Python's strptime checks it (parse_datetime, the reference here), the same moment
    or the same message; a record reads them the same way."""
    data = ("order_id,shipped_at\n" + "".join(f"A{i},{t}\n" for i, t in enumerate(texts)))
    table = read_orders(data.encode(), name="d.csv")
    frame = table.orders
    for text, (_, got) in zip(texts, frame.iterrows(), strict=True):
        try:
            expected, problem = parse_datetime(text), None
        except ValueError as exc:
            expected, problem = None, exc
        moment = None if pd.isna(got["shipped_at"]) else got["shipped_at"].to_pydatetime(
            warn=False)
        if problem is not None:
            wanted = message("orders.row", column="shipped_at", problem=problem)
            assert moment is None and got["error"] == wanted, text
        else:
            assert moment == expected and got["error"] == "", text
        order = order_from_record({"order_id": "A", "shipped_at": text})
        assert (order.shipped_at, "; ".join(order.errors)) == (moment, got["error"]), text


def test_ship_dates_are_read_a_slice_at_a_time(monkeypatch):
    """A long column is read in slices (small byte matrices): the slices change nothing."""
    from tpop_kb import orders

    texts = ["2026-11-24 09:00:30", "31/02/2026", "24/11/2026 09:00", "", "soon",
             "2026-11-24"] * 7
    data = ("order_id,shipped_at\n" + "".join(f"A{i},{t}\n" for i, t in enumerate(texts)))
    whole = read_orders(data.encode(), name="d.csv").orders
    monkeypatch.setattr(orders, "_DATE_ROWS", 5)
    sliced = read_orders(data.encode(), name="d.csv").orders
    assert whole.equals(sliced)
    assert (whole["error"] != "").sum() == 14


@pytest.mark.parametrize("where", ["first row", "last row"])
def test_cp1252_cells_under_an_ascii_header_are_decoded(where):
    """The fast reader takes a file as UTF-8 without decoding it first: pyarrow checks every
    cell, so a cp1252 'é' anywhere sends the file to the careful reader, which decodes it."""
    rows = ["A1,2026-11-20 10:00,LA123456785FR,Belgique,none"] * 3
    odd = "A9,2026-11-20 10:00,,Sénégal,Livré"
    rows = [odd, *rows] if where == "first row" else [*rows, odd]
    data = ("order_id,shipped_at,tracking_number,destination_country,tracking_status\n"
            + "\n".join(rows) + "\n").encode("cp1252")
    orders = read_orders(data, name="export.csv").orders
    found = orders[orders.order_id == "A9"].iloc[0]
    assert (found.destination_country, found.tracking_status, found.error) == (
        "SN", "delivered", "")
    assert len(orders) == 4


def test_a_cp1252_header_is_not_read_as_utf8():
    data = "N° de commande;Date d'expédition;Pays\nA1;20/11/2026;Belgique\n".encode("cp1252")
    orders = read_orders(data, name="export.csv").orders
    assert list(orders.order_id) == ["A1"] and list(orders.destination_country) == ["BE"]


def test_a_record_with_a_bad_id_keeps_no_value_but_says_why():
    too_long = order_from_record({"order_id": "x" * 500})
    assert too_long.order_id is None and len(too_long.errors) == 1
    assert "order_id" in too_long.errors[0]
    empty = order_from_record({"order_id": "  "})
    assert empty.order_id == "" and empty.errors == ("order_id: empty",)
