"""Downloads: CSV (UTF-8 with BOM) and .xlsx built in memory, formula cells neutralised.

Every file is read back (csv module, openpyxl) and compared with the command
line's output for the same orders and moment.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from tpop_kb import data_dir, read_orders, triage_frame
from tpop_kb.cli import main as cli_main
from tpop_kb.export import (
    FORMULA_TRIGGERS,
    export_frame,
    neutralize,
    to_csv_bytes,
    to_xlsx_bytes,
)
from tpop_kb.triage import OUTPUT_COLUMNS

AS_OF = dt.datetime(2026, 11, 26, 10, 0)
SAMPLES = data_dir() / "samples"


def _cli_rows(path: Path, tmp_path: Path) -> list[list[str]]:
    out = tmp_path / "cli.csv"
    assert cli_main(["triage", str(path), "--as-of", "2026-11-26T10:00", "-o", str(out)]) == 0
    with open(out, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, so that Excel reads UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_rows(data: bytes, sheet: str = "triage") -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()
    return [["" if v is None else str(v) for v in row] for row in rows]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("\n=cmd", "'\n=cmd"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("TP-1=2", "TP-1=2"),
        ("", ""),
        ("abc", "abc"),
        (12, 12),
        (None, None),
    ],
)
def test_neutralize(value, expected):
    assert neutralize(value) == expected


def test_formula_triggers_are_owasps():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r", "\n"}


@pytest.mark.parametrize("sample", ["orders.csv", "orders_fr.csv"])
def test_csv_and_xlsx_equal_the_cli_output(sample, tmp_path):
    expected = _cli_rows(SAMPLES / sample, tmp_path)
    result = triage_frame(read_orders(SAMPLES / sample).orders, AS_OF)
    assert len(result) == 360
    csv_rows = _csv_rows(to_csv_bytes(result))
    assert csv_rows == expected
    xlsx_rows = _xlsx_rows(to_xlsx_bytes(result))
    assert xlsx_rows == expected


def test_xlsx_types_widths_and_about_sheet():
    result = triage_frame(read_orders(SAMPLES / "orders.csv").orders, AS_OF)
    data = to_xlsx_bytes(result, about={"File": "orders.csv", "Orders": 360, "As of": AS_OF})
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["triage", "about"]
    sheet = book["triage"]
    assert [c.value for c in sheet[1]] == list(OUTPUT_COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None
    days_column = list(OUTPUT_COLUMNS).index("days_since_shipped") + 1
    days = [sheet.cell(row=r, column=days_column).value for r in range(2, sheet.max_row + 1)]
    assert all(d is None or isinstance(d, int | float) for d in days)
    assert any(isinstance(d, int | float) for d in days) and None in days
    about = {r[0].value: r[1].value for r in book["about"].iter_rows()}
    assert about == {"File": "orders.csv", "Orders": 360, "As of": "2026-11-26 10:00"}


def _dangerous_result():
    ids = ["=1+1", "+33612", "-42", "@SUM(A1)", "\tTAB", "OK-1", 'x"y,z', "line\nbreak"]
    lines = ["order_id,shipped_at,destination_country"]
    for i, order_id in enumerate(ids):
        quoted = '"' + order_id.replace('"', '""') + '"'
        lines.append(f"{quoted},2026-11-{10 + i:02d} 09:00,FR")
    table = read_orders("\n".join(lines).encode(), name="evil.csv")
    return triage_frame(table.orders, AS_OF), ids


def test_formula_cells_are_neutralised_in_both_formats():
    result, ids = _dangerous_result()
    got = [r[0] for r in _csv_rows(to_csv_bytes(result))[1:]]
    expected = [neutralize(str(v)) for v in result["order_id"]]
    assert got == expected
    # the reader trims spaces and tabs around values, so "\tTAB" arrives as "TAB"
    assert got[:6] == ["'=1+1", "'+33612", "'-42", "'@SUM(A1)", "TAB", "OK-1"]
    assert got[6:] == ['x"y,z', "line break"]
    for value in got:
        assert not value.startswith(FORMULA_TRIGGERS), value
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(result)))
    cells = [book["triage"].cell(row=r, column=1) for r in range(2, len(ids) + 2)]
    assert [c.value for c in cells] == expected
    assert all(c.data_type == "s" for c in cells), "text cells, never formulas"
    # the workbook holds no formula at all
    for row in book["triage"].iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


def test_export_frame_keeps_rows_and_numbers():
    result, ids = _dangerous_result()
    frame = export_frame(result)
    assert list(frame.columns) == list(OUTPUT_COLUMNS)
    assert len(frame) == len(ids) == len(result)
    assert str(frame["days_since_shipped"].dtype) == "Int64"
    assert frame["error"].map(type).eq(str).all()


def test_export_frame_names_a_missing_column():
    result, _ = _dangerous_result()
    with pytest.raises(KeyError, match="reason"):
        export_frame(result.drop(columns=["reason"]))


def test_empty_result_gives_header_only_files():
    table = read_orders(b"order_id,shipped_at\n", name="empty.csv")
    result = triage_frame(table.orders, AS_OF)
    assert _csv_rows(to_csv_bytes(result)) == [list(OUTPUT_COLUMNS)]
    assert _xlsx_rows(to_xlsx_bytes(result)) == [list(OUTPUT_COLUMNS)]


def test_tab_and_line_break_starts_are_neutralised():
    result, _ = _dangerous_result()
    result = result.iloc[:3].copy()
    result["order_id"] = ["\t=1+1", "\r=1+1", "\n=1+1"]
    expected = ["'\t=1+1", "'\r=1+1", "'\n=1+1"]
    assert [r[0] for r in _csv_rows(to_csv_bytes(result))[1:]] == expected
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(result)))
    # OOXML stores a carriage return as _x000D_, which openpyxl reads back as written
    assert [book["triage"].cell(row=r, column=1).value for r in (2, 3, 4)] == [
        "'\t=1+1", "'_x000D_=1+1", "'\n=1+1"
    ]


def test_csv_for_french_excel_semicolons_headings_and_neutralised_cells():
    import pandas as pd

    frame = pd.DataFrame({"order_id": ["=1+1", "A;B", "É-1"], "days": pd.array([3, None, 5],
                                                                              dtype="Int64")})
    data = to_csv_bytes(frame, ["order_id", "days"], sep=";",
                        headers={"order_id": "Commande", "days": "Jours"})
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.split("\r\n")[0] == "Commande;Jours"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[1:] == [["'=1+1", "3"], ["A;B", ""], ["É-1", "5"]]
    with pytest.raises(ValueError):
        to_csv_bytes(frame, ["order_id"], sep="|")


def test_xlsx_links_are_clickable_and_headings_given():
    import pandas as pd

    frame = pd.DataFrame({
        "order_id": ["A", "B", "C"],
        "tracking_url": ["https://www.laposte.fr/x?code=1", "", "javascript:alert(1)"],
    })
    data = to_xlsx_bytes(frame, ["order_id", "tracking_url"], links=("tracking_url",),
                         headers={"order_id": "Commande", "tracking_url": "Suivi"},
                         sheet_names=("tri", "à propos"), about={"Fichier": "x.csv"})
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["tri"]
    assert [c.value for c in sheet[1]] == ["Commande", "Suivi"]
    assert sheet["B2"].hyperlink.target == "https://www.laposte.fr/x?code=1"
    assert sheet["B4"].hyperlink is None and sheet["B4"].value == "javascript:alert(1)"
    assert sheet["A2"].hyperlink is None
    assert book["à propos"]["A1"].value == "Fichier"
