"""Broken and hostile input on the pages (issue 7, part 1), without a browser.

- Every file of ``tests/corpus/`` goes into the bulk page the way an upload does: a
  refused file shows the reader's own message (the one the CLI prints); a file that
  is read gives one row per order, in the validation counts, the table and the
  download (rows in = rows out); never a traceback, never a fault.
- Files just under and just over the page's limit (generated here, not committed).
- Bad pastes into the order assistant: a clear message, never a traceback; and a fuzz
  test: no pasted text makes the page fail.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import time
from pathlib import Path

import pytest
import yaml
from conftest import walk_widgets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tpop_kb import OrderFileError, read_orders
from tpop_kb.apps import BulkTriageApp, OrderAssistantApp
from tpop_kb.apps.bulk_triage import upload_limit

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
AS_OF = "2026-11-26T10:00"
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def page_text(app) -> str:
    """Every text the page shows (visible widgets' string values), unescaped, in order."""
    values = (getattr(w, "value", None) for w in walk_widgets(app.root, visible_only=True))
    return html.unescape("\n".join(
        v for v in values if isinstance(v, str) and not v.startswith("<style>")))


def upload(app: BulkTriageApp, name: str, content: bytes) -> None:
    """What FileDrop does once a whole file has arrived from the browser."""
    app.upload.value = {"serial": time.monotonic_ns(), "name": name, "size": len(content),
                        "content": content}


def count(app: BulkTriageApp, key: str) -> int:
    found = re.search(rf'tpop-count-{key}" data-count="(\d+)"', app.validation.value)
    assert found, app.validation.value
    return int(found.group(1))


def assert_clean(app) -> None:
    text = page_text(app)
    assert app.fault.value == "", app.fault.value
    assert "Traceback" not in text and 'File "' not in text


# ---------------------------------------------------------------------------
# The corpus on the bulk page
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_corpus_file_on_the_bulk_page(name):
    expected = EXPECTED[name]
    content = (CORPUS / name).read_bytes()
    app = BulkTriageApp(lang="en")
    upload(app, name, content)
    assert_clean(app)
    assert app.upload.value is None, "the upload widget lets go of the file once it is read"
    status = html.unescape(app.file_status.value)
    if "error" in expected:
        with pytest.raises(OrderFileError) as info:
            read_orders(content, name=name)
        message = str(info.value)
        assert expected["error"] in message
        if app.state.loaded:
            # readable, but a required column was not recognised: the mapping step names
            # it and the triage waits until staff pick it
            column = re.search(r"required column missing: '(\w+)'", message).group(1)
            missing = re.search(r'data-missing="([^"]*)"', app.mapping_message.value)
            assert missing and column in missing.group(1).split()
            assert app.blocked() == "bulk_triage.run.blocked"
            app.run_button.click()
            assert app.result is None
        else:
            assert 'data-tone="error"' in app.file_status.value
            assert message in status, (message, status)  # the CLI's message, word for word
            assert app.blocked() == "bulk_triage.run.no_file"
        return
    rows = expected["rows"]
    assert f"{rows} rows read" in status or (rows == 0 and "0 rows read" in status), status
    app.as_of.value = AS_OF
    app.run_button.click()
    assert_clean(app)
    assert app.result is not None and len(app.result) == rows
    assert count(app, "rows_read") == rows
    assert count(app, "invalid") == expected["invalid"]
    assert int(re.search(r'data-total="(\d+)"', app.summary.value).group(1)) == rows
    data = app.download_csv.click()
    assert data is not None
    downloaded = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(downloaded) - 1 == rows
    if expected.get("note"):
        table = read_orders(content, name=name)
        note = next(n for n in table.notes if expected["note"] in n)
        if note.startswith("Columns not used: "):
            # the page lists the columns it does not use under the mapping, every one
            unused = html.unescape(app.mapping_message.value)
            for header in table.mapping.ignored:
                assert header in unused, header
        else:
            assert note in html.unescape(app.validation.value)  # the reader's remark


def test_corpus_messages_in_french_keep_the_readers_words():
    """The reader's own message, in the page's language (issue 14: nothing half-translated)."""
    app = BulkTriageApp(lang="fr")
    upload(app, "image_png.csv", (CORPUS / "image_png.csv").read_bytes())
    status = html.unescape(app.file_status.value)
    assert "image_png.csv ne peut pas être lu" in status and "une image PNG" in status
    assert "a PNG image" not in status
    app.lang_toggle.value = "en"
    assert "image_png.csv cannot be read" in html.unescape(app.file_status.value)
    assert "a PNG image" in html.unescape(app.file_status.value)


# ---------------------------------------------------------------------------
# Files at the size limit
# ---------------------------------------------------------------------------


def _file_of_size(size: int) -> tuple[bytes, int]:
    """A CSV of exactly ``size`` bytes (sample orders, a long unused note column)."""
    lines = (SAMPLES / "orders.csv").read_text(encoding="utf-8").splitlines()
    header = (lines[0] + ",note\n").encode()
    note = "Client prévenu par e-mail; " + "x" * 900
    chunks = [header]
    total, rows, k = len(header), 0, 0
    while True:
        for line in lines[1:]:
            order_id, rest = line.split(",", 1)
            row = f'{order_id}-{k},{rest},"{note}"\n'.encode()
            if total + len(row) + 1100 > size:
                # the last row takes the bytes left, in its note
                head = f'{order_id}-{k},{rest},"'.encode()
                tail = b'"\n'
                fill = size - total - len(head) - len(tail)
                chunks.append(head + b"y" * fill + tail)
                return b"".join(chunks), rows + 1
            chunks.append(row)
            total += len(row)
            rows += 1
        k += 1


def test_a_file_just_under_the_limit_is_read_and_one_just_over_is_refused():
    limit = upload_limit()
    assert limit >= 50 * 1000 * 1000
    content, rows = _file_of_size(limit - 1)
    assert len(content) == limit - 1
    app = BulkTriageApp(lang="en")
    upload(app, "just_under.csv", content)
    assert_clean(app)
    assert app.state.loaded and len(app.orders) == rows
    app.as_of.value = AS_OF
    app.run_button.click()
    assert_clean(app)
    assert len(app.result) == rows and count(app, "rows_read") == rows

    # one byte over, set straight into the widget: the page checks the size itself
    over = content + b"yy"
    assert len(over) == limit + 1
    upload(app, "just_over.csv", over)
    status = html.unescape(app.file_status.value)
    assert 'data-tone="error"' in app.file_status.value
    assert "just_over.csv is 64 MB: more than the 64 MB this page accepts" in status
    assert app.result is None and not app.state.loaded
    assert app.upload.value is None


def test_the_upload_widget_refuses_a_file_over_the_limit_before_it_is_sent():
    """The browser announces the file's size first; over the limit, not one byte is taken."""
    app = BulkTriageApp(lang="fr")
    limit = upload_limit()
    app.upload._on_message(app.upload, {"kind": "start", "id": "1", "name": "gros.csv",
                                        "size": limit + 1}, [])
    status = html.unescape(app.file_status.value)
    assert "gros.csv fait 64 Mo : plus que les 64 Mo acceptés par cette page" in status
    assert app.upload._pending is None and app.upload.value is None
    # pieces that add up to more than announced are refused as well
    app.upload._on_message(app.upload, {"kind": "start", "id": "2", "name": "menteur.csv",
                                        "size": 10}, [])
    app.upload._on_message(app.upload, {"kind": "chunk", "id": "2"}, [b"x" * (limit + 1)])
    assert "menteur.csv" in html.unescape(app.file_status.value)
    assert app.upload.value is None


def test_a_file_sent_in_pieces_is_let_go_once_read():
    app = BulkTriageApp(lang="en")
    content = (SAMPLES / "orders.csv").read_bytes()
    app.upload._on_message(app.upload, {"kind": "start", "id": "a", "name": "orders.csv",
                                        "size": len(content)}, [])
    half = len(content) // 2
    app.upload._on_message(app.upload, {"kind": "chunk", "id": "a"}, [content[:half]])
    app.upload._on_message(app.upload, {"kind": "chunk", "id": "a"}, [content[half:]])
    app.upload._on_message(app.upload, {"kind": "end", "id": "a"}, [])
    assert app.state.loaded and len(app.orders) == 360
    assert app.upload.value is None and app.upload._pending is None


# ---------------------------------------------------------------------------
# Bad pastes into the order assistant
# ---------------------------------------------------------------------------

WIDE = ",".join(f"col{i}" for i in range(200))
BAD_PASTES = {
    "blank": ("   \n\t\n  ", None),
    "words": ("bonjour, où est mon colis ?", "nothing_usable"),
    "header_only_csv": ("order_id;shipped_at;tracking_number\n", "header_only"),
    "binary_png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".decode("latin-1"), None),
    "nul_bytes": ("Order id: A\x00B\nShipped at: 2026-11-20\x00", None),
    "zip_as_text": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00".decode("latin-1") * 20, None),
    "html_page": ("<!DOCTYPE html><html><body><h1>Order</h1></body></html>", None),
    "broken_json": ('{"order_id": "A1", "shipped_at": ', None),
    "json_array": ('[{"order_id": "A1"}, {"order_id": "A2"}]', None),
    "deep_json": ("[" * 5000 + "]" * 5000, None),
    "json_nonsense_types": ('{"order_id": null, "shipped_at": 46350, "tracking_status": [1]}',
                            None),
    "huge_cell": ("Order id: " + "X" * 100_000 + "\nShipped at: 2026-11-20 10:00", None),
    "wide_csv": (WIDE + "\n" + ",".join("v" for _ in range(200)), None),
    "impossible_date": ("Order id: D1\nShipped at: 31/02/2026", None),
    "future_date": ("Order id: F1\nShipped at: 2031-01-01 10:00\nStatus: none", None),
    "nonsense_status": ("Order id: S1\nShipped at: 2026-11-20\nStatus: teleported", None),
    "excel_serial": ("Order id: E1\nShipped at: 46345", None),
    "nbsp_spaces": ("Order id:\u00a0 N1 \u00a0\nPays :\u00a0Belgique\u202f", None),
    "formula": ('order_id,shipped_at\n=HYPERLINK("http://evil","x"),2026-11-20', None),
    "rtl_override": ("Order id: \u202eRDC-1\nShipped at: 2026-11-20", None),
    "cr_only": ("Order id: C1\rShipped at: 2026-11-20 10:00\rStatus: none", None),
    "many_lines": ("\n".join(f"Line {i}: value {i}" for i in range(5000)), None),
    "query_string": ("order_id=Q1&shipped_at=2026-11-20&statut=lost", None),
    "mixed_delimiters": ("order_id;shipped_at,tracking\tx\nA;2026-11-20,LA1\t", None),
}


@pytest.fixture(scope="module")
def assistant():
    return OrderAssistantApp(lang="en", query="", as_of=dt.datetime(2026, 11, 26, 10, 0))


@pytest.mark.parametrize("name", sorted(BAD_PASTES))
def test_bad_pastes_get_a_clear_message(name, assistant):
    text, code = BAD_PASTES[name]
    app = assistant
    app.clear_button.click()
    app.paste_input.value = text
    assert_clean(app)
    feedback = html.unescape(app.paste_feedback.value)
    if text.strip():
        assert re.search(r"tpop-paste-(ok|problems|error)", feedback), feedback
    if code is not None:
        assert f'data-code="{code}"' in feedback
    app.triage_button.click()
    assert_clean(app)
    assert app.state.phase in ("questions", "result")


def test_a_paste_that_is_not_an_order_says_what_was_expected(assistant):
    app = assistant
    app.clear_button.click()
    app.paste_input.value = "bonjour, où est mon colis ?"
    feedback = html.unescape(app.paste_feedback.value)
    assert 'data-code="nothing_usable"' in feedback and "Nothing usable" in feedback


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.tuples(
                st.sampled_from(["Order id", "N° de commande", "Shipped at", "Expédiée le",
                                 "Tracking", "Pays", "Statut", "Claim", "Synced", "x", ""]),
                st.one_of(st.text(max_size=40),
                          st.sampled_from(["2026-11-20 10:00", "31/02/2026", "46350", "livré",
                                           "LA123456785FR", "<img src=x onerror=alert(1)>",
                                           "=1+1", "\u00a0", "Belgique", "{", "}"]))),
            max_size=8,
        ).map(lambda pairs: "\n".join(f"{k}: {v}" for k, v in pairs)),
        st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=20), st.integers(),
                                                         st.none(), st.booleans()),
                        max_size=6).map(json.dumps),
    )
)
def test_fuzz_no_paste_makes_the_page_fail(assistant, text):
    app = assistant
    app.paste_input.value = text
    assert app.fault.value == "", (text, app.fault.value)
    app.triage_button.click()
    assert app.fault.value == "", (text, app.fault.value)
    while app.state.phase == "questions":
        app.dont_know_button.click()
        assert app.fault.value == "", (text, app.fault.value)
    shown = "\n".join(
        w.value for w in (app.paste_feedback, app.outcome, app.question)
    )
    assert "<img" not in shown and "<script" not in shown
    app.clear_button.click()


# ---------------------------------------------------------------------------
# Downloads: formula cells neutralised, read back from the page's own files
# ---------------------------------------------------------------------------


def test_the_pages_downloads_neutralise_formula_cells():
    """A file of formula-like order ids (and a formula-like name), uploaded, triaged and
    downloaded from the page in both formats: no cell of either file starts with
    = + - @ tab CR or LF, and the workbook holds no formula."""
    import openpyxl

    from tpop_kb.export import FORMULA_TRIGGERS, neutralize

    content = (CORPUS / "formula_cells.csv").read_bytes()
    content += b'"\t=1+2",2026-11-20,,FR,none\n"\r\n=3+4",2026-11-20,,FR,none\n'
    app = BulkTriageApp(lang="en")
    name = "=HYPERLINK(evil).csv"
    upload(app, name, content)
    app.as_of.value = AS_OF
    app.run_button.click()
    assert_clean(app)
    ids = [str(v) for v in app.result["order_id"]]
    assert len(ids) == 6 and ids[0].startswith("=HYPERLINK") and ids[3] == "-1+1"

    rows = list(csv.reader(io.StringIO(app.download_csv.click().decode("utf-8-sig"),
                                       newline="")))
    assert [r[0] for r in rows[1:]] == [neutralize(i) for i in ids]
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS), cell

    book = openpyxl.load_workbook(io.BytesIO(app.download_xlsx.click()))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_TRIGGERS), cell.value
    triage_ids = [c.value for c in book["triage"]["A"][1:]]
    assert triage_ids[:4] == [neutralize(i) for i in ids[:4]]
    about = {r[0].value: r[1].value for r in book["about"].iter_rows()}
    assert "'" + name in about.values()  # the file's name, as text
    assert app.download_csv.filename.startswith("triage_HYPERLINK_evil")
