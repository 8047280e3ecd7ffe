"""The bulk triage page without a browser: upload, mapping, validation, triage, table, files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import wording_leaves as leaves

from tpop_kb import data_dir, knowledge, read_orders, triage_frame
from tpop_kb.apps.bulk_triage import (
    INPUT_COLUMNS,
    BulkTriageApp,
    file_size,
    sample_files,
    settings,
    split_errors,
    upload_limit,
)
from tpop_kb.apps.transfer import DownloadButton, FileDrop
from tpop_kb.cli import main as cli_main
from tpop_kb.export import to_csv_bytes
from tpop_kb.knowledge import ui_text
from tpop_kb.triage import OUTCOMES, OUTPUT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = data_dir() / "samples"
AS_OF = "2026-11-26T10:00"
AS_OF_DT = dt.datetime(2026, 11, 26, 10, 0)


def upload(app: BulkTriageApp, name: str, content: bytes) -> None:
    """What the browser's FileDrop does once a file has arrived."""
    app.upload.value = {"serial": time.monotonic_ns(), "name": name, "size": len(content),
                        "content": content}


def triaged(app: BulkTriageApp, name: str, content: bytes, as_of: str = AS_OF) -> None:
    upload(app, name, content)
    app.as_of.value = as_of
    app.run_button.click()
    assert app.fault.value == "", app.fault.value


def summary_counts(app: BulkTriageApp) -> dict[str, int]:
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r'data-outcome="(\w+)" data-count="(\d+)"', app.summary.value)
    }


def cli_rows(path: Path, tmp_path: Path) -> list[list[str]]:
    out = tmp_path / f"{path.stem}.cli.csv"
    assert cli_main(["triage", str(path), "--as-of", AS_OF, "-o", str(out)]) == 0
    with open(out, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def shown_count(app: BulkTriageApp) -> int:
    return int(re.search(r'data-shown="(\d+)"', app.result_table.count.value).group(1))


# -- settings and wording ---------------------------------------------------------------


def test_upload_limit_equals_voila_json():
    config = json.loads((ROOT / "voila.json").read_text(encoding="utf-8"))
    websocket = config["Voila"]["tornado_settings"]["websocket_max_message_size"]
    assert upload_limit() == websocket
    assert upload_limit() >= 50 * 1000 * 1000, "the issue asks for files of at least 50 MB"
    assert settings()["upload"]["chunk_bytes"] * 4 <= websocket, "pieces far below the limit"


def test_wording_in_both_languages_with_the_same_placeholders():

    found = list(leaves(knowledge().ui["bulk_triage"], "bulk_triage"))
    assert len(found) > 100
    for where, texts in found:
        assert str(texts["en"]).strip() and str(texts["fr"]).strip(), where
        holes = [sorted(re.findall(r"\{(\w+)\}", str(texts[lang]))) for lang in ("en", "fr")]
        assert holes[0] == holes[1], where


def test_every_output_column_has_a_heading():
    columns = knowledge().ui["bulk_triage"]["columns"]
    for column in (*OUTPUT_COLUMNS, "row", "destination_country"):
        assert column in columns, f"bulk_triage.columns.{column} is missing"


def test_file_sizes_are_readable():
    assert file_size(64 * 1024 * 1024, "fr") == "64 Mo"
    assert file_size(64 * 1024 * 1024, "en") == "64 MB"
    assert file_size(1536, "en") == "1.5 KB"
    assert file_size(1536, "fr") == "1,5 Ko"
    assert file_size(12, "fr") == "12 octets"


def test_split_errors():
    assert split_errors("") == []
    assert split_errors("shipped_at: 'x' is not a date; order_id: empty") == [
        ("shipped_at", "'x' is not a date"),
        ("order_id", "empty"),
    ]
    assert split_errors("tracking_status: 'a; b' is not a known value (expected x, y)") == [
        ("tracking_status", "'a; b' is not a known value (expected x, y)")
    ]


# -- the page ------------------------------------------------------------------------------


def test_page_builds_in_french_with_the_limit_and_samples():
    app = BulkTriageApp()
    assert {"tpop-app", "tpop-bulk"} <= set(app.root._dom_classes)
    assert "tpop-upload" in app.upload._dom_classes
    assert "tpop-run-button" in app.run_button._dom_classes
    assert "tpop-download-csv" in app.download_csv._dom_classes
    assert "tpop-download-xlsx" in app.download_xlsx._dom_classes
    assert app.upload.max_bytes == upload_limit()
    assert "64 Mo" in app.upload.hint
    assert app.run_button.disabled
    assert app.run_button.description == "Trier les commandes"
    assert [v for _, v in app.sample_picker.options][1:] == sample_files()
    assert {"orders.csv", "orders_fr.csv"} <= set(sample_files())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", app.as_of.value)
    assert app.fault.value == ""


@pytest.mark.parametrize("sample", ["orders.csv", "orders_fr.csv"])
def test_sample_triage_equals_the_cli(sample, tmp_path):
    app = BulkTriageApp()
    app.sample_picker.value = sample
    app.sample_button.click()
    assert app.as_of.value == settings()["samples"]["as_of"] == AS_OF
    assert app.state.mapping["order_id"], app.state.mapping
    assert not app.run_button.disabled
    app.run_button.click()
    expected = cli_rows(SAMPLES / sample, tmp_path)
    app.download_format.value = "en"  # the command line's columns first, then the file's
    got = list(csv.reader(io.StringIO(app.download_csv.click().decode("utf-8-sig"))))
    assert [r[: len(OUTPUT_COLUMNS)] for r in got] == expected
    assert got[0][len(OUTPUT_COLUMNS):] == list(INPUT_COLUMNS)
    counts = summary_counts(app)
    assert set(counts) == set(OUTCOMES)
    cli_counts = pd.Series([r[1] for r in expected[1:]]).value_counts()
    assert counts == {c: int(cli_counts.get(c, 0)) for c in OUTCOMES}
    assert sum(counts.values()) == 360 == len(app.result)
    assert all(counts[c] > 0 for c in OUTCOMES), "the samples cover every outcome"
    assert shown_count(app) == 360
    assert app.download_csv.last[0].endswith(".csv")


def test_french_export_uploaded_through_the_file_widget(tmp_path):
    app = BulkTriageApp()
    content = (SAMPLES / "orders_fr.csv").read_bytes()
    triaged(app, "commandes.csv", content)
    assert "commandes.csv" in app.file_status.value and "360 lignes lues" in app.file_status.value
    assert app.state.mapping["shipped_at"] == "Date d'expédition"
    table = read_orders(content, name="x.csv")
    stats = dict(re.findall(r'tpop-count-(\w+)" data-count="(\d+)"', app.validation.value))
    invalid = int((app.result["error"] != "").sum())
    assert stats == {"rows_read": "360", "valid": str(360 - invalid), "invalid": str(invalid)}
    assert invalid >= table.invalid > 0
    # the rows to check: row, column, value and why
    assert "31/02/2026" in app.validation.value or "2026-13-05" in app.validation.value
    assert app.validation.value.count("<tr data-row=") >= invalid
    expected = cli_rows(SAMPLES / "orders_fr.csv", tmp_path)
    app.download_format.value = "en"
    data = app.download_xlsx.click()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = [["" if v is None else str(v) for v in r] for r in book["triage"].iter_rows(
        values_only=True)]
    assert [r[: len(OUTPUT_COLUMNS)] for r in rows] == expected
    about = {r[0]: r[1] for r in book["about"].iter_rows(values_only=True)}
    assert about["File"] == "commandes.csv" and about["Orders"] == 360
    book.close()


def test_progress_bar_runs_in_steps_with_the_same_result(monkeypatch):
    app = BulkTriageApp()
    app._settings = {**app._settings, "triage": {"chunk_rows": 50}}
    steps = []
    app.state.observe(lambda c: steps.append(c["new"]), names="done")
    triaged(app, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    assert steps == [50, 100, 150, 200, 250, 300, 350, 360]
    assert app.progress.value == 360 and app.progress.max == 360
    assert app.progress.layout.display == "none"  # hidden once done
    whole = triage_frame(read_orders(SAMPLES / "orders.csv").orders, AS_OF_DT)
    pd.testing.assert_frame_equal(app.result, whole)
    assert "360 commandes triées" in app.run_status.value
    assert app.cancel_button.layout.display == "none"  # shown only while it runs


def test_language_switches_every_text_live():
    app = BulkTriageApp()
    triaged(app, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    french_chart = app.chart_images[0].value
    app.lang_toggle.value = "en"
    assert "Bulk triage" in app.intro.value
    assert app.run_button.description == "Triage the orders"
    assert app.upload.button_label == "Choose a file" and "64 MB" in app.upload.hint
    assert "360 rows read" in app.file_status.value
    assert "Rows to check" in app.validation.value
    assert "Orders per" not in app.summary.value and "Next action per order" in app.summary.value
    assert knowledge().tree.outcomes["delivered"].title["en"] in app.summary.value
    assert "Orders 1–25 of 360" in app.result_table.count.value
    assert "Next action" in app.result_table.table.value
    assert app.download_csv.label == "Download CSV"
    assert app.state.download_style == "en", "the files follow the page until chosen"
    assert app.mapping_head[0].value == "Information"
    assert app.chart_images[0].value != french_chart
    assert "Livré" not in app.summary.value
    app.lang_toggle.value = "fr"
    assert app.chart_images[0].value == french_chart
    assert "Prochaine action par commande" in app.summary.value


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason, words",
    [
        ("too_big", ["huge.csv", "70 Mo", "64 Mo"]),
        ("wrong_kind", ["photo.png", "CSV", ".xlsx"]),
        ("several", ["un seul fichier"]),
        ("empty", ["vide.csv", "vide"]),
        ("incomplete", ["n'a pas été reçu en entier"]),
    ],
)
def test_refused_files_get_a_clear_message(reason, words):
    app = BulkTriageApp()
    name = {"too_big": "huge.csv", "wrong_kind": "photo.png", "empty": "vide.csv"}.get(reason, "x")
    app.upload.rejected = {"serial": 1, "name": name, "size": 70 * 1024 * 1024, "reason": reason}
    status = app.file_status.value
    assert 'data-tone="error"' in status and 'role="alert"' in status
    for word in words:
        assert word.replace("'", "&#x27;") in status or word in status, (word, status)
    assert app.run_button.disabled and app.fault.value == ""


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("image.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, ["PNG"]),
        ("empty.csv", b"   \n", ["empty"]),
        ("bad.xlsx", b"PK\x03\x04not a workbook", ["ZIP"]),
    ],
)
def test_unreadable_files_say_why(name, content, words):
    app = BulkTriageApp()
    upload(app, name, content)
    status = app.file_status.value
    assert 'data-tone="error"' in status and name in status
    assert "<pre" in status
    for word in words:
        assert word in status
    assert app.fault.value == "" and app.run_button.disabled
    assert app.result is None


def test_file_over_the_limit_is_refused_by_the_page_too():
    app = BulkTriageApp()
    app.upload.max_bytes = 10  # the browser checks first; the page never trusts it alone
    app.upload._on_message(None, {"kind": "start", "id": "a", "name": "big.csv", "size": 11}, [])
    assert app.upload.rejected["reason"] == "too_big"
    assert "big.csv" in app.file_status.value and 'data-tone="error"' in app.file_status.value


def test_file_drop_assembles_pieces():
    drop = FileDrop(chunk_bytes=4)
    seen = []
    drop.observe(lambda c: seen.append(c["new"]), names="value")
    drop._on_message(None, {"kind": "start", "id": "f1", "name": "o.csv", "size": 10}, [])
    assert drop.sending_size == 10 and drop.sending_name == "o.csv"
    for offset, piece in ((0, b"abcd"), (4, b"efgh"), (8, b"ij")):
        drop._on_message(None, {"kind": "chunk", "id": "f1", "offset": offset},
                         [memoryview(piece)])
    assert drop.received == 10
    drop._on_message(None, {"kind": "end", "id": "f1"}, [])
    assert seen[-1]["content"] == b"abcdefghij" and seen[-1]["name"] == "o.csv"
    assert drop.sending_size == 0
    # a piece of another file is ignored; a short file is refused
    drop._on_message(None, {"kind": "start", "id": "f2", "name": "o.csv", "size": 10}, [])
    drop._on_message(None, {"kind": "chunk", "id": "zz", "offset": 0}, [memoryview(b"x" * 4)])
    drop._on_message(None, {"kind": "chunk", "id": "f2", "offset": 0}, [memoryview(b"x" * 4)])
    drop._on_message(None, {"kind": "end", "id": "f2"}, [])
    assert drop.rejected["reason"] == "incomplete"
    drop._on_message(None, {"kind": "start", "id": "f3", "name": "o.pdf", "size": 4}, [])
    assert drop.rejected["reason"] == "wrong_kind"


def test_download_button_sends_the_file_in_pieces():
    sent = []
    button = DownloadButton(build=lambda: b"0123456789", filename="t.csv")
    button.chunk_bytes = 4
    button.send = lambda content, buffers=None: sent.append((content, buffers))
    assert button.click() == b"0123456789"
    kinds = [c["kind"] for c, _ in sent]
    assert kinds == ["start", "chunk", "chunk", "chunk", "end"]
    assert b"".join(bytes(b[0]) for c, b in sent if c["kind"] == "chunk") == b"0123456789"
    assert sent[0][0]["filename"] == "t.csv" and not button.busy
    failures = []
    broken = DownloadButton(build=lambda: 1 / 0, on_failure=failures.append)
    assert broken.click() is None and isinstance(failures[0], ZeroDivisionError)
    assert not broken.busy


def test_bad_as_of_blocks_the_run_with_a_message():
    app = BulkTriageApp()
    upload(app, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    app.as_of.value = "demain midi"
    assert app.run_button.disabled
    assert "tpop-as-of-error" in app.as_of_help.value
    assert "demain midi" in app.as_of_help.value
    app.run_button.click()  # a click on a disabled button does nothing
    assert app.result is None
    app.as_of.value = "26/11/2026 10:00"
    assert not app.run_button.disabled
    app.run_button.click()
    assert app.state.result_as_of == AS_OF


def test_missing_required_column_is_named_then_picked(tmp_path):
    text = (SAMPLES / "orders.csv").read_text(encoding="utf-8")
    renamed = text.replace("order_id,", "Ref client,", 1).encode()
    app = BulkTriageApp()
    upload(app, "export.csv", renamed)
    assert app.raw is not None and len(app.raw) == 360
    assert app.state.mapping["order_id"] == ""
    message = app.mapping_message.value
    assert "tpop-mapping-error" in message and "N° de commande" in message
    assert 'data-missing="order_id"' in message
    assert app.run_button.disabled
    assert "tpop-validation-blocked" in app.validation.value
    assert "Ref client" in [v for _, v in app.mapping_controls["order_id"].options]
    app.mapping_controls["order_id"].value = "Ref client"
    assert "tpop-mapping-error" not in app.mapping_message.value
    assert not app.run_button.disabled
    app.as_of.value = AS_OF
    app.run_button.click()
    expected = cli_rows(SAMPLES / "orders.csv", tmp_path)
    got = list(csv.reader(io.StringIO(to_csv_bytes(app.result).decode("utf-8-sig"))))
    assert got == expected


def test_changing_a_mapping_reads_the_rows_again():
    app = BulkTriageApp()
    triaged(app, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    before = summary_counts(app)
    assert app.stale.value == ""
    app.mapping_controls["tracking_status"].value = ""  # "not in the file"
    assert (app.orders["tracking_status"] == "").all()
    assert "tpop-stale-note" in app.stale.value
    app.run_button.click()
    after = summary_counts(app)
    assert after != before
    assert after["delivered"] == 0, "without a status no order is known as delivered"
    assert sum(after.values()) == 360
    assert app.stale.value == ""
    # a header chosen twice is pointed out, not refused
    app.mapping_controls["customer_claim"].value = "tracking_status"
    app.mapping_controls["tracking_status"].value = "tracking_status"
    assert "tpop-mapping-shared" in app.mapping_message.value


def test_customer_text_is_escaped_everywhere():
    evil = '<img src=x onerror="alert(1)">'
    content = (
        "order_id,shipped_at,destination_country,tracking_status\n"
        f'"{evil}",2026-11-02 09:00,FR,in_transit\n'
        f'"ok-1",2026-11-02 09:00,"{evil}",in_transit\n'
    ).encode()
    app = BulkTriageApp()
    triaged(app, "<b>evil</b>.csv", content)
    html = app.file_status.value + app.validation.value + app.result_table.table.value
    assert "<img" not in html and "<b>evil" not in html
    assert "&lt;img src=x" in app.result_table.table.value
    assert "&lt;img src=x" in app.validation.value
    assert "&lt;b&gt;evil&lt;/b&gt;.csv" in app.file_status.value


# -- the table --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def done_app():
    app = BulkTriageApp()
    triaged(app, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    return app


def test_table_filters(done_app):
    app, table = done_app, done_app.result_table
    result = app.result
    counts = result["outcome"].value_counts()
    table.outcome.value = "contact_tpop"
    assert shown_count(app) == counts["contact_tpop"]
    assert set(re.findall(r'<tr data-outcome="(\w+)"', table.table.value)) == {"contact_tpop"}
    table.country.value = "FR"
    both = ((result["outcome"] == "contact_tpop") & (app.orders["destination_country"] == "FR"))
    assert shown_count(app) == int(both.sum())
    table.reset.click()
    assert shown_count(app) == 360
    table.flag.value = "store_sync_missing"
    assert shown_count(app) == int(result["flags"].str.contains("store_sync_missing").sum()) > 0
    table.flag.value = "__none__"
    assert shown_count(app) == int((result["flags"] == "").sum())
    table.flag.value = "__all__"
    table.search.value = "tp-2026000"
    assert 0 < shown_count(app) < 360
    table.search.value = "no such order"
    assert shown_count(app) == 0 and "tpop-table-empty" in table.table.value
    table.reset.click()
    # options carry counts and localised names
    labels = dict((v, k) for k, v in table.outcome.options)
    assert labels["delivered"] == f"Colis livré ({counts['delivered']})"
    assert any(k.startswith("Belgique (") for k, _ in table.country.options)


def test_table_sort_and_pages(done_app):
    app, table = done_app, done_app.result_table
    table.sort.value = "days_since_shipped"
    table.direction.value = True
    first = re.search(r'tpop-col-days_since_shipped">(\d+)<', table.table.value).group(1)
    assert int(first) == int(app.result["days_since_shipped"].max())
    table.sort.value = "__file__"
    assert 'data-order="TP-202600007"' in table.table.value.split("</tr>")[1]
    assert table.first.disabled and not table.next.disabled
    table.next.click()
    assert "Commandes 26 à 50 sur 360" in table.count.value
    table.last.click()
    assert "Commandes 351 à 360 sur 360" in table.count.value and table.next.disabled
    table.page_size.value = 100
    assert "Commandes 1 à 100 sur 360" in table.count.value
    assert table.table.value.count("<tr data-outcome=") == 100
    table.page_size.value = 25


def test_table_shows_every_output_column_with_links_and_french_reasons(done_app):
    app = done_app
    columns = app.displayed_columns()
    assert set(OUTPUT_COLUMNS) <= set(columns)
    assert columns[:4] == ["order_id", "row", "outcome", "reason"]
    assert set(INPUT_COLUMNS) <= set(columns)
    html = app.result_table.table.value
    for column in columns:
        assert f'data-column="{column}"' in html
    assert 'href="https://www.laposte.fr/' in html and 'rel="noopener noreferrer"' in html
    assert "Expédié il y a" in html or "Le suivi indique" in html


# -- 100,000 orders ------------------------------------------------------------------------


@pytest.mark.slow
def test_100k_orders_stay_responsive():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from orders_gen import canonical_csv, generate_orders
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    content = canonical_csv(generate_orders(100_000, AS_OF_DT, seed=11)).encode()
    app = BulkTriageApp()
    started = time.perf_counter()
    triaged(app, "big.csv", content)
    took = time.perf_counter() - started
    assert len(app.result) == 100_000 == len(app.raw)
    assert sum(summary_counts(app).values()) == 100_000
    assert took < 60, took
    table = app.result_table
    for action in (
        lambda: setattr(table.outcome, "value", "delivered"),
        lambda: setattr(table.country, "value", "BE"),
        lambda: setattr(table.sort, "value", "order_id"),
        lambda: setattr(table.direction, "value", True),
        lambda: table.next.click(),
        lambda: table.reset.click(),
    ):
        started = time.perf_counter()
        action()
        assert time.perf_counter() - started < 1.5, action
    assert table.table.value.count("<tr data-outcome=") == 25
    assert shown_count(app) == 100_000
    assert len(app.download_csv.click().splitlines()) == 100_001


# -- issue 14: French downloads, filtered rows, heading sort, row links, counts, cancel --------


def _french_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so that Excel shows accents"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_french_download_is_french_excel(done_app):
    app = done_app
    assert app.state.download_style == "fr"  # the French page's files are French
    assert app.download_format.value == "fr"
    rows = _french_csv(app.download_csv.click())
    head = rows[0]
    assert head[:4] == ["Commande", "Prochaine action", "Revérifier le", "Contacter TPOP dès le"]
    assert head[-4:] == ["Date d'expédition", "Numéro de suivi", "Pays", "Statut du suivi"]
    assert len(rows) == 361 and all(len(r) == len(head) for r in rows)
    by_id = {r[0]: dict(zip(head, r, strict=True)) for r in rows[1:]}
    result = app.result.set_index("order_id")
    waiting = result.index[(result["outcome"] == "wait_for_activation")][0]
    row = by_id[waiting]
    assert row["Prochaine action"] == knowledge().tree.outcomes["wait_for_activation"].title["fr"]
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row["Revérifier le"]), row
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", row["Contacter TPOP dès le"]), row
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row["Date d'expédition"]), row
    assert row["Pourquoi"] != result.loc[waiting, "reason"], "the reason in French"
    assert row["Statut du suivi"] == "Aucun événement"
    assert "30/11/2026" in row["Pourquoi"] or re.search(r"\d\d/\d\d/\d{4}", row["Pourquoi"])
    assert not [r for r in rows[1:] if "{" in r[head.index("Pourquoi")]], "every placeholder"
    assert "Belgique" in {r["Pays"] for r in by_id.values()}
    assert any(", " in r["Passages de l'article"] for r in by_id.values())
    assert not any(";" in r["Passages de l'article"] for r in by_id.values())
    assert app.download_csv.filename.endswith("_fr.csv")
    # the English / comma option remains
    app.download_format.value = "en"
    try:
        english = list(csv.reader(io.StringIO(app.download_csv.click().decode("utf-8-sig"))))
        assert english[0] == [*OUTPUT_COLUMNS, *INPUT_COLUMNS]
    finally:
        app.download_format.value = "fr"


def test_french_download_neutralises_formulas():
    content = (
        b"order_id,shipped_at,destination_country,tracking_status\n"
        b'"=HYPERLINK(""http://x"")",2026-11-20 09:00,FR,in_transit\n'
        b"@SUM(A1),2026-11-20 09:00,BE,none\n"
    )
    app = BulkTriageApp()
    triaged(app, "f.csv", content)
    rows = _french_csv(app.download_csv.click())
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")" and rows[2][0] == "'@SUM(A1)"
    book = openpyxl.load_workbook(io.BytesIO(app.download_xlsx.click()))
    cells = [c.value for c in book["tri"]["A"]]
    assert cells[1:] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)"]


def test_french_xlsx_has_links_and_the_file_columns(done_app):
    book = openpyxl.load_workbook(io.BytesIO(done_app.download_xlsx.click()))
    sheet = book["tri"]
    head = [c.value for c in sheet[1]]
    assert head[-4:] == ["Date d'expédition", "Numéro de suivi", "Pays", "Statut du suivi"]
    col = head.index("Suivi La Poste") + 1
    linked = [sheet.cell(i, col) for i in range(2, sheet.max_row + 1)
              if sheet.cell(i, col).value]
    assert linked and all(c.hyperlink is not None and c.hyperlink.target == c.value
                          for c in linked)
    about = {r[0]: r[1] for r in book["à propos"].iter_rows(values_only=True)}
    assert about["Commandes"] == 360


def test_filtered_rows_download_beside_all(done_app):
    app, table = done_app, done_app.result_table
    assert app.download_filtered_csv.disabled, "nothing filtered: nothing to download"
    assert "tpop-filtered-none" in app.download_filtered_label.value
    table.outcome.value = "contact_tpop"
    try:
        n = int((app.result["outcome"] == "contact_tpop").sum())
        assert not app.download_filtered_csv.disabled
        assert f"({n})" in app.download_filtered_label.value
        rows = _french_csv(app.download_filtered_csv.click())
        title = knowledge().tree.outcomes["contact_tpop"].title["fr"]
        assert len(rows) == n + 1 and {r[1] for r in rows[1:]} == {title}
        book = openpyxl.load_workbook(io.BytesIO(app.download_filtered_xlsx.click()),
                                      read_only=True)
        assert sum(1 for _ in book["tri"].iter_rows()) == n + 1
        book.close()
        assert len(_french_csv(app.download_csv.click())) == 361, "all stays all"
    finally:
        table.reset.click()
    assert app.download_filtered_csv.disabled


def test_clicking_a_heading_sorts_then_turns_the_order_round(done_app):
    table = done_app.result_table
    html = table.table.value
    assert 'class="tpop-sort-header" data-sort="days_since_shipped"' in html
    table.table.click_heading("days_since_shipped")
    assert table.state.sort == "days_since_shipped" and not table.state.descending
    assert table.sort.value == "days_since_shipped", "the dropdown follows"
    assert 'aria-sort="ascending"' in table.table.value
    table.table.click_heading("days_since_shipped")
    assert table.state.descending and 'aria-sort="descending"' in table.table.value
    first = re.search(r'tpop-col-days_since_shipped">(\d+)<', table.table.value).group(1)
    assert int(first) == int(done_app.result["days_since_shipped"].max())
    table.table.click_heading("no_such_column")  # ignored
    assert table.state.sort == "days_since_shipped"
    table.sort.value = "__file__"


def test_each_row_links_to_the_order_assistant_with_that_order(done_app):
    from urllib.parse import parse_qsl, urlsplit

    from tpop_kb.apps import OrderAssistantApp

    html = done_app.result_table.table.value
    links = re.findall(r'<a class="tpop-assistant-link" href="([^"]+)"', html)
    assert len(links) == 25
    url = links[1].replace("&amp;", "&")
    parts = urlsplit(url)
    assert parts.path == "order_assistant.ipynb"
    query = dict(parse_qsl(parts.query))
    assert query["lang"] == "fr" and query["as_of"] == AS_OF
    order = done_app.result.iloc[1]
    assert query["order_id"] == order["order_id"]
    assistant = OrderAssistantApp(query=parts.query)
    assert assistant.state.phase == "result"
    assert f'data-outcome="{order["outcome"]}"' in assistant.outcome.value


@pytest.mark.parametrize("kind", ["csv", "csv-cp1252", "csv-careful", "xlsx"])
def test_rows_below_blank_lines_keep_their_spreadsheet_line(kind):
    """Blank rows are taken out of the orders but not out of the numbering: a row's
    number is the line a spreadsheet shows it on, in every reader."""
    rows = [["order_id", "shipped_at", "destination_country", "tracking_status"],
            ["B-1", "2026-11-20 09:00", "FR", "in_transit"], [], ["", "", "", ""],
            ["B-2", "pas une date", "FR", "none"], [],
            ["B-3", "2026-11-21 09:00", "Atlantis", "none"]]
    if kind == "xlsx":
        import io

        import openpyxl

        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row or [None])
        buffer = io.BytesIO()
        book.save(buffer)
        content, name = buffer.getvalue(), "lignes.xlsx"
    else:
        text = "\n".join(",".join(r) for r in rows) + "\n"
        if kind == "csv-careful":  # a row too short for the fast reader
            text = text.replace("B-3,", '"B-3",', 1) + "B-4\n"
        content = text.encode("cp1252" if kind == "csv-cp1252" else "utf-8")
        if kind == "csv-cp1252":
            content = content.replace(b"pas une date", "pas une d\xe9te".encode("cp1252"))
        name = "lignes.csv"
    app = BulkTriageApp(lang="fr")
    upload(app, name, content)
    assert app.fault.value == "", app.fault.value
    validation = app.validation.value
    assert '<tr data-row="5"' in validation and '<tr data-row="7"' in validation, validation
    assert '<tr data-row="3"' not in validation and '<tr data-row="4"' not in validation
    app.as_of.value = AS_OF
    app.run_button.click()
    rows_shown = re.findall(r'tpop-col-row">(\d+)<', app.result_table.table.value)
    assert rows_shown[:3] == ["2", "5", "7"], rows_shown


def test_counts_that_change_at_triage_are_explained_with_spreadsheet_lines():
    content = (
        b"order_id,shipped_at,destination_country,tracking_status\n"
        b"A-1,2026-11-20 09:00,FR,in_transit\n"
        b"A-2,2026-12-20 09:00,FR,in_transit\n"
        b"A-3,2026-12-21 09:00,BE,none\n"
        b"A-4,2026-12-22 09:00,FR,none\n"
        b"A-5,pas une date,FR,none\n"
    )
    app = BulkTriageApp()
    upload(app, "futur.csv", content)
    before = dict(re.findall(r'tpop-count-(\w+)" data-count="(\d+)"', app.validation.value))
    assert before["invalid"] == "1"
    assert '<tr data-row="6"' in app.validation.value, "A-5 is on line 6 (header on line 1)"
    app.as_of.value = AS_OF
    app.run_button.click()
    after = dict(re.findall(r'tpop-count-(\w+)" data-count="(\d+)"', app.validation.value))
    assert after["invalid"] == "4"
    assert 'data-why="late" data-count="3"' in app.validation.value
    assert "3 lignes de plus sont à vérifier" in app.validation.value
    assert "postérieure à la date du tri (26/11/2026 10:00)" in app.validation.value
    for line in (3, 4, 5):
        assert f'<tr data-row="{line}"' in app.validation.value
    assert "Expédiée le 20/12/2026 09:00" in app.validation.value
    french = _french_csv(app.download_csv.click())
    problem = french[0].index("Problème dans la ligne")
    assert french[2][problem] == (
        "Expédiée le 20/12/2026 09:00, après la date du tri (26/11/2026 10:00)")
    assert french[5][problem].startswith(
        "Date d'expédition : « pas une date » n'est pas une date")  # the reader's words, in French
    assert 'data-count="3"' in app.run_status.value
    assert ("Au moment du tri, 3 lignes se sont ajoutées aux lignes à vérifier"
            in app.run_status.value)
    assert "l&#x27;en-tête est la ligne 1" in app.validation.value
    rows = re.findall(r'tpop-col-row">(\d+)<', app.result_table.table.value)
    assert rows == ["2", "3", "4", "5", "6"]
    app.lang_toggle.value = "en"
    assert "3 more rows are to check since the triage" in app.validation.value


def test_cancel_stops_a_running_triage_and_shows_nothing(monkeypatch):
    import threading

    import tpop_kb.apps.bulk_triage as page

    first_done, release = threading.Event(), threading.Event()
    real = page.triage_frame

    def slow(orders, as_of):
        out = real(orders, as_of)
        first_done.set()
        assert release.wait(10)
        return out

    monkeypatch.setattr(page, "triage_frame", slow)
    app = BulkTriageApp(background=True)
    app._settings = {**app._settings, "triage": {"chunk_rows": 50}}
    upload(app, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    app.as_of.value = AS_OF
    app.run_button.click()
    assert first_done.wait(10)
    assert app.state.running and app.cancel_button.layout.display is None
    assert app.run_button.disabled
    app.cancel_button.click()
    assert app.cancel_button.disabled and "Arrêt du tri" in app.run_status.value
    release.set()
    app.wait(10)
    assert not app.state.running and app.result is None
    assert "Tri annulé après 50 commandes sur 360" in app.run_status.value
    assert "tpop-results-empty" in app.summary.value, "nothing half-shown"
    assert app.download_csv.disabled and app.result_table.frame is None
    assert app.cancel_button.layout.display == "none" and not app.run_button.disabled
    # and it runs to the end when nobody cancels
    app.run_button.click()
    app.wait(10)
    assert app.result is not None and len(app.result) == 360
    assert "Tri annulé" not in app.run_status.value


def test_cancel_stops_a_running_upload():
    app = BulkTriageApp()
    drop = app.upload
    drop._on_message(None, {"kind": "start", "id": "u1", "name": "gros.csv", "size": 10}, [])
    drop._on_message(None, {"kind": "chunk", "id": "u1", "offset": 0}, [memoryview(b"abcd")])
    assert "Réception de gros.csv" in app.file_status.value
    drop._on_message(None, {"kind": "cancel", "id": "u1"}, [])
    assert drop.rejected["reason"] == "cancelled" and drop._pending is None
    assert drop.sending_size == 0
    assert "Envoi de gros.csv annulé : rien n&#x27;a été chargé." in app.file_status.value
    assert 'data-tone="info"' in app.file_status.value and not app.state.loaded
    drop._on_message(None, {"kind": "end", "id": "u1"}, [])  # late pieces are ignored
    assert not app.state.loaded
    # a file loaded before stays, and the message says so
    upload(app, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    drop._on_message(None, {"kind": "start", "id": "u2", "name": "autre.csv", "size": 10}, [])
    drop._on_message(None, {"kind": "cancel", "id": "u2"}, [])
    assert app.state.loaded and app.state.source == "orders.csv"
    assert "orders.csv, reste tel quel" in app.file_status.value


def test_page_css_and_script_are_files():
    source = (ROOT / "tpop_kb" / "apps" / "bulk_triage.py").read_text(encoding="utf-8")
    assert "<style>{" not in source.replace("<style>{asset(", "")
    assert "PAGE_CSS" not in source
    from tpop_kb.apps._base import asset

    css = asset("bulk_triage.css")
    assert ".tpop-results .tpop-col-order_id" in css and "position: sticky" in css
    assert "tpop-sort-header" in asset("bulk_triage.js")


# -- the views, without widgets --------------------------------------------------------------

from tpop_kb.apps import bulk_triage_views as views  # noqa: E402


def test_table_view_headings_sort_links_and_escapes():
    records = [{
        "order_id": "<b>A&1</b>", "row": 2, "outcome": "delivered", "reason": "Delivered.",
        "shipped_at": "2026-11-20T15:00", "tracking_status": "delivered",
        "destination_country": "BE", "recheck_at": "", "_customer_claim": "not_received",
        "_store_tracking_synced": False, "error": "",
    }]
    columns = ["order_id", "row", "outcome", "reason", "shipped_at", "tracking_status",
               "_customer_claim", "_store_tracking_synced"]
    html = views.table_html(records, columns, "fr", sort="row", descending=True,
                            as_of="2026-11-26T10:00")
    assert html.count('<button type="button" class="tpop-sort-header"') == 6
    assert 'data-column="_customer_claim"' not in html, "hidden columns are not shown"
    assert '<th scope="col" class="tpop-col-row" data-column="row" aria-sort="descending">' in html
    assert 'aria-sort="none"' in html and "Trier par Ligne" in html
    assert "<b>A" not in html and "&lt;b&gt;A&amp;1&lt;/b&gt;" in html
    href = re.search(r'class="tpop-assistant-link" href="([^"]+)"', html).group(1)
    assert href.startswith("order_assistant.ipynb?order_id=%3Cb%3EA%261%3C%2Fb%3E&amp;")
    for part in ("shipped_at=2026-11-20T15%3A00", "customer_claim=not_received",
                 "store_tracking_synced=false", "lang=fr", "as_of=2026-11-26T10%3A00"):
        assert part in href, part
    assert "20/11/2026 15:00" in html and "Livré" in html and "Belgique" not in html


def test_assistant_link_leaves_out_what_is_unknown():
    link = views.assistant_link({"order_id": "X", "shipped_at": "", "tracking_number": None,
                                 "store_tracking_synced": None, "customer_claim": "nan"}, "en")
    assert link == "order_assistant.ipynb?order_id=X&lang=en"


def test_invalid_rows_are_numbered_as_the_spreadsheet_and_translated():
    rows = [
        {"line": 2, "order": "A", "column": "shipped_at", "value": "x",
         "why": "'x' is not a date", "error": "shipped_at: 'x' is not a date"},
        {"line": 7, "order": "B", "column": "shipped_at", "value": "2026-12-20 09:00",
         "why": "'2026-12-20 09:00' is after the as-of moment 2026-11-26 10:00",
         "error": "shipped_at: '2026-12-20 09:00' is after the as-of moment 2026-11-26 10:00"},
    ]
    html = views.invalid_rows_html(rows, 0, "fr")
    assert '<tr data-row="2"' in html and '<tr data-row="7"' in html
    assert "Expédiée le 20/12/2026 09:00, après la date du tri (26/11/2026 10:00)" in html
    assert '<td lang="en">&#x27;x&#x27; is not a date</td>' in html
    assert "en anglais" in html
    only_known = views.invalid_rows_html(rows[1:], 2, "fr")
    assert "en anglais" not in only_known and "2 autres lignes" in only_known


def test_changed_rows_and_their_explanation():
    before = ["", "", "x: bad", "", ""]
    after = ["", "shipped_at: '2026-12-20 09:00' is after the as-of moment 2026-11-26 10:00",
             "x: bad", "order_id: empty", ""]
    groups = views.changed_rows(before, after)
    assert groups == {"late": [1], "empty_id": [3]}
    html = views.changed_html(groups, "2026-11-26 10:00", "en")
    assert "1 more row is to check since the triage: its ship date" in html
    assert "it has no order id" in html
    assert views.changed_html({}, "", "fr") == ""


def test_run_status_views():
    running = views.run_status_html("fr", running=True, done=20000, total=100000)
    assert "20\u202f000" in running or "20 000" in running
    assert "Arrêt du tri" in views.run_status_html("fr", running=True, cancelling=True)
    cancelled = views.run_status_html("en", cancelled=(50, 360))
    assert "Triage cancelled after 50 of 360 orders: no result is shown" in cancelled
    done = views.run_status_html("fr", finished={"total": 5, "as_of": "2026-11-26 10:00",
                                                 "seconds": 0.04, "changed": 1})
    assert "Au moment du tri, 1 ligne s&#x27;est ajoutée aux lignes à vérifier" in done
    assert views.run_status_html("fr") == ""


def test_moments_and_sizes():
    assert views.moment_text("2026-11-30T08:00", "fr") == "30/11/2026 08:00"
    assert views.moment_text("2026-12-18", "fr") == "18/12/2026"
    assert views.moment_text("2026-11-30T08:00", "en") == "2026-11-30 08:00"
    assert views.moment_text("", "fr") == "" and views.moment_text("soon", "fr") == "soon"
    assert views.file_size(64 * 1024 * 1024, "fr") == "64 Mo"


def test_a_mapping_changed_during_a_running_triage_leaves_the_result_stale(monkeypatch):
    import threading

    import tpop_kb.apps.bulk_triage as page

    started, release = threading.Event(), threading.Event()
    real = page.triage_frame

    def slow(orders, as_of):
        started.set()
        assert release.wait(10)
        return real(orders, as_of)

    monkeypatch.setattr(page, "triage_frame", slow)
    app = BulkTriageApp(background=True)
    upload(app, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    app.as_of.value = AS_OF
    app.run_button.click()
    assert started.wait(10)
    app.mapping_controls["tracking_status"].value = ""  # while it runs
    release.set()
    app.wait(10)
    assert app.result is not None and "tpop-stale-note" in app.stale.value
    rows = _french_csv(app.download_csv.click())
    status = rows[0].index("Statut du suivi")
    assert {r[status] for r in rows[1:]} != {""}, "the files hold the orders it triaged"
    assert app.download_filtered_csv.filename.endswith("_filtre_fr.csv")


def test_a_french_page_shows_the_readers_row_and_file_messages_in_french():
    """Nothing half-translated (issue 14): a row's reader message, a reader's note and a
    file that cannot be read are French on the French page."""
    from tpop_kb.apps.bulk_triage_views import file_message_html, why_text

    error = ("shipped_at: '31/02/2026' is not a date (expected 2026-11-24, 2026-11-24 09:00, "
             "24/11/2026 or 24/11/2026 09:00)")
    text, in_french = why_text(error, "fr")
    assert in_french and "n'est pas une date" in text and "is not a date" not in text
    # the page names the column by its label (the file's code stays in the CLI's files)
    assert why_text(error, "en") == ("Ship date" + error.removeprefix("shipped_at"), True)
    import html as html_lib

    from conftest import widget_html

    app = BulkTriageApp(lang="fr")
    triaged(app, "x.csv", b"order_id,shipped_at\nTP-1,31/02/2026\n")
    shown = html_lib.unescape(widget_html(app.root, styles=False))
    assert "« 31/02/2026 » n'est pas une date" in shown and "is not a date" not in shown
    html = file_message_html("bulk_triage.upload.unreadable", {"name": "x.csv"}, "fr",
                             tone="error", detail="x.csv: the file is empty")
    assert "is empty" not in html and 'lang="fr"' in html and "en anglais" not in html
    odd = file_message_html("bulk_triage.upload.unreadable", {"name": "x.csv"}, "fr",
                            tone="error", detail="x.csv: something no template knows")
    assert "something no template knows" in odd and "en anglais" in odd


def test_the_download_section_names_the_rules_and_calendar_versions():
    """A new ``holidays`` release can move a deadline: the page says which calendar and
    which knowledge base the result was computed with, and the Excel file keeps both."""
    import io

    import openpyxl

    from tpop_kb.workdays import calendar_version

    app = BulkTriageApp(lang="fr")
    assert "tpop-download-versions" not in app.download_intro.value
    triaged(app, "v.csv", b"order_id,shipped_at\nV-1,2026-11-20 09:00\n")
    intro = app.download_intro.value
    assert knowledge().version in intro and calendar_version() in intro
    assert "feuille « à propos »" in intro
    book = openpyxl.load_workbook(io.BytesIO(app.download_xlsx.click()), read_only=True)
    about = {r[0]: r[1] for r in book.worksheets[1].iter_rows(values_only=True)}
    assert calendar_version() in about.values() and knowledge().version in about.values()


# -- the page's HTML comes from view functions (plain data in, HTML out) ------------------


def test_page_fragments_are_built_by_views_from_plain_data():
    from tpop_kb.apps import bulk_triage_views as v

    hero = v.hero_html("fr")
    assert hero.startswith('<div class="tpop-hero" lang="fr"><h1>')
    assert ui_text("bulk_triage.title", "fr").split()[0] in hero
    assert v.home_html("en").startswith('<a class="tpop-home-link" href="index.ipynb">')
    assert v.step_title_html("upload", "fr").startswith("<h2>")
    assert v.subtitle_html("results.table", "en").startswith("<h3>")
    assert "tpop-tone-escalate" in v.mapping_label_html("N° <b>", True, "fr")
    assert "&lt;b&gt;" in v.mapping_label_html("N° <b>", False, "fr")
    assert "tpop-tone-escalate" not in v.mapping_label_html("x", False, "fr")
    assert v.example_html(None, "fr") == '<span class="tpop-muted">—</span>'
    assert v.example_html("", "fr").startswith('<span class="tpop-muted">')
    assert v.example_html("<x>" * 20, "fr") == f"<code>{'&lt;x&gt;' * 13}…</code>"
    assert "tpop-validation-blocked" in v.validation_blocked_html("fr")
    assert v.as_of_help_html("fr").startswith('<p class="tpop-small tpop-muted">')
    bad = v.as_of_help_html("fr", "<demain>")
    assert 'role="alert"' in bad and "&lt;demain&gt;" in bad and "tpop-as-of-error" in bad
    assert v.stale_html(False, "fr") == ""
    assert "tpop-stale-note" in v.stale_html(True, "fr")
    assert "tpop-results-empty" in v.results_empty_html("en")
    assert "tpop-download-versions" not in v.download_intro_html("fr")
    intro = v.download_intro_html("fr", {"kb": "<kb>", "calendar": "2026"})
    assert "tpop-download-versions" in intro and "&lt;kb&gt;" in intro
    assert "1 234" in v.download_all_label_html(1234, "fr").replace("\u202f", " ")
    assert "tpop-filtered-none" in v.download_filtered_label_html(None, "fr")
    assert "tpop-filtered-none" not in v.download_filtered_label_html(12, "fr")
    assert v.download_failed_html("", "fr") == ""
    assert "ValueError" in v.download_failed_html("ValueError", "fr")


def test_the_page_class_builds_no_html_itself():
    """State and wiring only: the HTML is in bulk_triage_views."""
    source = (Path(__file__).resolve().parents[1] / "tpop_kb" / "apps"
              / "bulk_triage.py").read_text(encoding="utf-8")
    page = source[source.index("class BulkTriageApp"):]
    assert not re.findall(r"""['"]<(?:p|div|span|h[1-6]|a|code)[ >]""", page)


def test_one_wording_function():
    """No local text() helpers: every page text goes through _base.wording."""
    apps = Path(__file__).resolve().parents[1] / "tpop_kb" / "apps"
    for name in ("bulk_triage.py", "result_table.py", "bulk_triage_views.py"):
        source = (apps / name).read_text(encoding="utf-8")
        assert not re.search(r"def text\(", source), name
        assert '.ui["bulk_triage"]' not in source, name


def test_labels_come_through_wording_as_plain_text(monkeypatch):
    from tpop_kb.apps import bulk_triage_views as v

    calls = []
    real = v.wording

    def spy(key, lang, **kw):
        calls.append((key, kw.get("plain")))
        return real(key, lang, **kw)

    monkeypatch.setattr(v, "wording", spy)
    assert v.column_label("tracking_status", "fr") == "Statut du suivi"
    assert v.column_label("not_a_column", "fr") == "not_a_column"
    assert v.status_label("none", "fr") == ui_text("bulk_triage.download.status.none", "fr")
    assert v.status_label("odd", "fr") == "odd"
    assert v.sample_title("orders.csv", "fr").endswith(" — orders.csv")
    assert v.sample_title("other.csv", "fr") == "other.csv"
    assert ("bulk_triage.columns.tracking_status", True) in calls
    assert ("bulk_triage.download.status.none", True) in calls
    assert ("bulk_triage.upload.sample_names.orders_csv", True) in calls


def test_english_download_option_says_what_the_agent_gets():
    """No developer jargon: what the file is like, and for whom."""
    for lang in ("fr", "en"):
        text = ui_text("bulk_triage.download.formats.en", lang)
        assert "command" not in text and "commande" not in text
        assert "2026-11-30" in text
    assert "anglais" in ui_text("bulk_triage.download.formats.en", "fr")


def test_the_page_language_download_format_comes_first():
    for lang in ("fr", "en"):
        app = BulkTriageApp(lang=lang)
        assert app.download_format.options[0][1] == lang
