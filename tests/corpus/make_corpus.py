"""Writes the bad-input corpus next to this file. Run it to rebuild; the files are committed.

Each file's expected behaviour is in expected.yaml (tested by tests/test_corpus.py).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = "order_id,shipped_at,tracking_number,destination_country,tracking_status\n"


def xlsx_bytes() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["order_id", "shipped_at", "destination_country"])
    for i in range(50):
        sheet.append([f"A{i}", "2026-11-20 10:00", "BE"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def files() -> dict[str, bytes]:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("orders.txt", HEADER + "A1,2026-11-24,,FR,none\n")
    xlsx = xlsx_bytes()
    wide_header = ",".join(["order_id", "shipped_at"] + [f"extra_{i}" for i in range(198)])
    wide_row = ",".join(["W1", "2026-11-20"] + [str(i) for i in range(198)])
    return {
        "empty.csv": b"",
        "blank_lines.csv": b"\n\n   \n\r\n",
        "header_only.csv": HEADER.encode(),
        "header_only_bom.csv": b"\xef\xbb\xbf" + "N° de commande;Date d'expédition\r\n".encode(),
        "image_png.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01",
        "photo_jpg.csv": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
        "archive_zip.csv": archive.getvalue(),
        "old_excel_xls.csv": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
        "corrupt.xlsx": b"PK\x03\x04" + b"[Content_Types].xml xl/ " + b"\x13\x37" * 200,
        "truncated.xlsx": xlsx[: len(xlsx) // 2],
        "pipe_delimited.csv": b"order_id|shipped_at|country\nA1|2026-11-24|FR\n",
        "mixed_encoding.csv": "order_id;shipped_at;pays\nA1;2026-11-20;États-Unis\n".encode()
        + "A2;2026-11-20;Égypte\n".encode("cp1252"),
        "utf16_tab.csv": "Commande\tExpédié le\tPays\r\nU1\t20/11/2026\tAllemagne\r\n".encode(
            "utf-16"
        ),
        "duplicate_ids.csv": (HEADER + "D1,2026-11-20,,FR,none\nD1,2026-11-21,,FR,none\n"
                              "D2,2026-11-20,,FR,none\n").encode(),
        "duplicate_columns.csv": b"order_id,order_id,shipped_at\nA1,B1,2026-11-20\n",
        "unknown_columns.csv": b"order_id,shipped_at,customer_name,colour\nA1,2026-11-20,Ann,red\n",
        "huge_cell.csv": (HEADER + "X" * 100_000 + ",2026-11-20,,FR,none\nOK1,2026-11-20,,FR,none\n"
                          ).encode(),
        "wide_200_columns.csv": (wide_header + "\n" + wide_row + "\n").encode(),
        "future_dates.csv": (HEADER + "F1,2031-01-01,,FR,none\nF2,2026-11-20,,FR,none\n").encode(),
        "impossible_dates.csv": (HEADER + "I1,31/02/2026,,FR,none\nI2,2026-13-40,,FR,none\n"
                                 "I3,24/11/2026 25:61,,FR,none\n").encode(),
        "nonsense_status.csv": (HEADER + "S1,2026-11-20,,FR,teleported\nS2,2026-11-20,,FR,42\n"
                                ).encode(),
        "spaces_nbsp.csv": ("order_id;shipped_at;pays;statut\n  N1 ;\u00a020/11/2026\u00a0;"
                            " Belgique\u00a0; en transit \n").encode(),
        "excel_serial_dates.csv": b"order_id,shipped_at\nE1,46345\nE2,46345.75\n",
        "formula_cells.csv": (HEADER + '"=HYPERLINK(""http://evil.example"",""click"")",'
                              "2026-11-20,,FR,none\n+33612345678,2026-11-20,,FR,none\n"
                              "@SUM(A1:A2),2026-11-20,,FR,none\n-1+1,2026-11-20,,FR,none\n"
                              ).encode(),
        "unclosed_quote.csv": (HEADER + 'Q1,2026-11-20,,FR,none\n"Q2,2026-11-20,,FR,none\n'
                               "Q3,2026-11-20,,FR,none\n").encode(),
        "too_many_fields.csv": (HEADER + "T1,2026-11-20,,FR,none,surprise,more\n").encode(),
        "missing_required.csv": b"order_id,tracking_number\nM1,LA123456785FR\n",
        "json_renamed.csv": b'{"order_id": "J1", "shipped_at": "2026-11-20"}\n',
        "html_renamed.csv": b"<html><body><table><tr><td>order_id</td></tr></table></body></html>",
        "cr_only_line_endings.csv": b"order_id,shipped_at\rC1,2026-11-20\rC2,2026-11-21\r",
        "script_injection.csv": (HEADER + '<img src=x onerror=alert(1)>,2026-11-20,,'
                                 '"<script>alert(2)</script>",none\n'
                                 "[click](javascript:alert(3)),2026-11-20,,FR,"
                                 "<b>bold</b>\n").encode(),
    }


if __name__ == "__main__":
    for name, data in files().items():
        (HERE / name).write_bytes(data)
