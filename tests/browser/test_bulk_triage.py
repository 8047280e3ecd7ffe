"""The bulk triage page in Chromium, through a real Voila server.

Files go through the page's real file input (``.tpop-upload``); counts and
downloaded files are compared with the command line (``python -m tpop_kb
triage``) on the same file and moment.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from tpop_kb import data_dir, knowledge
from tpop_kb.apps.bulk_triage import upload_limit
from tpop_kb.triage import OUTCOMES

pytestmark = pytest.mark.browser

SAMPLES = data_dir() / "samples"
AS_OF = "2026-11-26T10:00"
NOTEBOOK = "bulk_triage.ipynb"
LONG_MS = 180_000


def cli(path: Path, tmp_path: Path) -> list[list[str]]:
    """The command line's result rows (header first) for a file."""
    out = tmp_path / f"{path.stem}.cli.csv"
    subprocess.run(
        [sys.executable, "-m", "tpop_kb", "triage", str(path), "--as-of", AS_OF, "-o", str(out)],
        check=True,
        capture_output=True,
    )
    with open(out, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def cli_counts(rows: list[list[str]]) -> dict[str, int]:
    counts = {code: 0 for code in OUTCOMES}
    for row in rows[1:]:
        counts[row[1]] += 1
    return counts


def choose_file(page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click(".tpop-upload .tpop-choose-file")
    chooser.value.set_files(str(path))


def load(page, path: Path) -> None:
    choose_file(page, path)
    message = page.locator(".tpop-file-message[data-tone=done]")
    expect(message).to_contain_text(path.name, timeout=LONG_MS)
    expect(page.locator(".tpop-results-empty")).to_be_visible()


def set_as_of(page, value: str) -> None:
    page.fill(".tpop-as-of input", value)
    page.press(".tpop-as-of input", "Enter")
    expect(page.locator(".tpop-as-of-error")).to_have_count(0)


def run(page) -> None:
    button = page.locator("button.tpop-run-button")
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator(".tpop-summary")).to_be_visible(timeout=LONG_MS)
    page.wait_for_function(
        "Array.from(document.querySelectorAll('img.tpop-chart'))"
        ".every(i => i.complete && i.naturalWidth > 0)",
        timeout=LONG_MS,
    )


def page_counts(page) -> dict[str, int]:
    return page.eval_on_selector_all(
        ".tpop-summary [data-outcome]",
        "items => Object.fromEntries(items.map(i => [i.dataset.outcome, +i.dataset.count]))",
    )


def download(page, css: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=LONG_MS) as info:
        page.click(f"{css} button")
    item = info.value
    return item.suggested_filename, Path(item.path()).read_bytes()


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        rows = [list(r) for r in book["triage"].iter_rows(values_only=True)]
    finally:
        book.close()
    return [["" if v is None else str(v) for v in r] for r in rows]


def scroll_to(page, css: str) -> None:
    page.locator(css).first.scroll_into_view_if_needed()
    page.evaluate(
        "css => document.querySelector(css).scrollIntoView({block: 'start'})", css
    )
    time.sleep(0.3)


def test_samples_match_the_cli_and_download_both_formats(page, open_app, screenshot, tmp_path):
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    expect(page.locator(".tpop-bulk h1")).to_have_text("Tri en masse")
    limit = f"{upload_limit() // (1024 * 1024)} Mo"
    expect(page.locator(".tpop-upload .tpop-drop-hint")).to_contain_text(limit)
    expect(page.locator("button.tpop-run-button")).to_be_disabled()

    for sample in ("orders.csv", "orders_fr.csv"):
        expected = cli(SAMPLES / sample, tmp_path)
        load(page, SAMPLES / sample)
        set_as_of(page, AS_OF)
        run(page)
        counts = page_counts(page)
        assert counts == cli_counts(expected), sample
        assert sum(counts.values()) == 360
        expect(page.locator(".tpop-table-count")).to_have_attribute("data-shown", "360")
        stats = page.locator(".tpop-count-rows_read")
        expect(stats).to_have_attribute("data-count", "360")

        name, data = download(page, ".tpop-download-csv")
        assert name.endswith(".csv") and Path(sample).stem in name
        assert csv_rows(data) == expected
        name, data = download(page, ".tpop-download-xlsx")
        assert name.endswith(".xlsx")
        assert xlsx_rows(data) == expected

    assert page.tpop_errors == []
    # screenshots of the results for the docs (French, 1280 × 800)
    scroll_to(page, ".tpop-step-results")
    screenshot(page, "bulk_triage")
    page.set_viewport_size({"width": 1280, "height": 1400})  # the three charts in one view
    scroll_to(page, ".tpop-charts")
    page.locator(".tpop-charts").screenshot(path=str(_shot("bulk_triage-charts")))
    page.set_viewport_size({"width": 1280, "height": 800})


def _shot(name: str) -> Path:
    folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def test_column_mapping_filters_and_language(page, open_app, screenshot, tmp_path):
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    text = (SAMPLES / "orders.csv").read_text(encoding="utf-8")
    renamed = tmp_path / "export_boutique.csv"
    renamed.write_text(text.replace("order_id,", "Ref client,", 1), encoding="utf-8")
    expected = cli(SAMPLES / "orders.csv", tmp_path)

    load(page, renamed)
    error = page.locator(".tpop-mapping-error")
    expect(error).to_contain_text("N° de commande")
    expect(page.locator("button.tpop-run-button")).to_be_disabled()
    scroll_to(page, ".tpop-step-mapping")
    screenshot(page, "bulk_triage-mapping")
    page.select_option(".tpop-map-order_id select", value="Ref client")
    expect(error).to_have_count(0)
    set_as_of(page, AS_OF)
    run(page)
    counts = page_counts(page)
    assert counts == cli_counts(expected)

    # filter by outcome, country and remark; the count line and the rows follow
    tree = knowledge().tree
    code = "contact_tpop"
    page.select_option(
        ".tpop-filter-outcome select", value=f"{tree.outcomes[code].title['fr']} ({counts[code]})"
    )
    count = page.locator(".tpop-table-count")
    expect(count).to_have_attribute("data-shown", str(counts[code]))
    rows = page.locator(".tpop-results tbody tr")
    expect(rows).to_have_count(min(counts[code], 25))
    expect(page.locator(f'.tpop-results tbody tr:not([data-outcome="{code}"])')).to_have_count(0)
    expected_fr = sum(
        1 for r, src in zip(expected[1:], _countries(SAMPLES / "orders.csv"), strict=True)
        if r[1] == code and src == "FR"
    )
    france = [o for o in options(page, ".tpop-filter-country") if o.startswith("France (")][0]
    page.select_option(".tpop-filter-country select", value=france)
    expect(count).to_have_attribute("data-shown", str(expected_fr))
    page.locator(".tpop-table-widget").screenshot(path=str(_shot("bulk_triage-table")))
    page.click(".tpop-filter-reset")
    expect(count).to_have_attribute("data-shown", "360")
    flags_at = expected[0].index("flags")
    flagged = sum(1 for r in expected[1:] if "store_sync_missing" in r[flags_at].split(";"))
    title = tree.flags["store_sync_missing"].title["fr"]
    flag_label = [o for o in options(page, ".tpop-filter-flag") if o.startswith(title)][0]
    page.select_option(".tpop-filter-flag select", value=flag_label)
    expect(count).to_have_attribute("data-shown", str(flagged))
    page.click(".tpop-filter-reset")

    # sort by days since shipping, largest first
    page.select_option(".tpop-sort select", value="Jours depuis l'expédition")
    page.click(".tpop-sort-direction button >> nth=1")
    days_at = expected[0].index("days_since_shipped")
    most = max(int(r[days_at]) for r in expected[1:] if r[days_at])
    expect(page.locator(".tpop-results tbody tr").first.locator(
        ".tpop-col-days_since_shipped")).to_have_text(str(most))

    # the language switches every text, live
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tpop-bulk h1")).to_have_text("Bulk triage")
    expect(page.locator("button.tpop-run-button")).to_contain_text("Triage the orders")
    expect(count).to_contain_text("Orders 1–25 of 360")
    expect(page.locator(".tpop-summary")).to_contain_text(tree.outcomes[code].title["en"])
    expect(page.locator(".tpop-download-csv button")).to_contain_text("Download CSV")
    assert page.tpop_errors == []


def options(page, css: str) -> list[str]:
    """A dropdown's option values (its labels, as the page gave them)."""
    return page.eval_on_selector_all(f"{css} select option", "os => os.map(o => o.value)")


def _countries(path: Path) -> list[str]:
    from tpop_kb import read_orders

    return list(read_orders(path).orders["destination_country"].astype(str))


def test_large_file_and_refused_files(page, open_app, tmp_path):
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    refused = page.locator(".tpop-file-message[data-tone=error]")

    # over the limit: refused in the browser, before it is sent, with the limit named
    too_big = tmp_path / "trop_gros.csv"
    with open(too_big, "wb") as handle:
        handle.truncate(upload_limit() + 1)
    choose_file(page, too_big)
    expect(refused).to_contain_text("trop_gros.csv")
    expect(refused).to_contain_text(f"{upload_limit() // (1024 * 1024)} Mo")
    # the wrong kind of file
    wrong = tmp_path / "facture.pdf"
    wrong.write_bytes(b"%PDF-1.4\n")
    choose_file(page, wrong)
    expect(refused).to_contain_text("facture.pdf")
    expect(refused).to_contain_text("CSV")

    # a file of more than 50 MB goes through
    big = tmp_path / "gros_export.csv"
    rows = (SAMPLES / "orders.csv").read_text(encoding="utf-8").splitlines()
    note = "Client prévenu par e-mail; " + "x" * 900
    target = 52_500_000
    with open(big, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(rows[0] + ",note\n")
        size, k = len(rows[0]) + 6, 0
        while size < target:
            for line in rows[1:]:
                order_id, rest = line.split(",", 1)
                text = f'{order_id}-{k},{rest},"{note}"\n'
                handle.write(text)
                size += len(text.encode("utf-8"))
            k += 1
    assert 50_000_000 < big.stat().st_size < upload_limit()
    expected = cli(big, tmp_path)
    started = time.monotonic()
    load(page, big)
    set_as_of(page, AS_OF)
    run(page)
    took = time.monotonic() - started
    counts = page_counts(page)
    assert counts == cli_counts(expected)
    total = len(expected) - 1
    expect(page.locator(".tpop-count-rows_read")).to_have_attribute("data-count", str(total))
    expect(page.locator(".tpop-table-count")).to_have_attribute("data-shown", str(total))
    assert took < 150, took
    assert page.tpop_errors == []


def test_narrow_window(page, open_app, screenshot):
    page.set_viewport_size({"width": 420, "height": 900})
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    sample = [o for o in options(page, ".tpop-sample-picker") if o.endswith("orders_fr.csv")][0]
    page.select_option(".tpop-sample-picker select", value=sample)
    page.click(".tpop-sample-button")
    expect(page.locator(".tpop-file-message[data-tone=done]")).to_contain_text("orders_fr.csv")
    expect(page.locator(".tpop-as-of input")).to_have_value(AS_OF)
    run(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page itself never scrolls sideways; the table scrolls inside"
    scroll_to(page, ".tpop-step-results")
    screenshot(page, "bulk_triage-narrow")
    assert page.tpop_errors == []
