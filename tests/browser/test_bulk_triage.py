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

        # the command line's format: its columns first, then the file's
        page.locator(".tpop-download-format input[type=radio]").nth(1).check()
        expect(page.locator(".tpop-download-format input").nth(1)).to_be_checked()
        width = len(expected[0])
        name, data = download(page, ".tpop-download-csv")
        assert name.endswith(".csv") and Path(sample).stem in name
        assert [r[:width] for r in csv_rows(data)] == expected
        name, data = download(page, ".tpop-download-xlsx")
        assert name.endswith(".xlsx")
        assert [r[:width] for r in xlsx_rows(data)] == expected

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
    # "Page 1 sur 15" sits on the pager buttons' line
    label = page.locator(".tpop-page-label .tpop-page-number").bounding_box()
    button = page.locator(".tpop-page-next").bounding_box()
    assert label and button
    middle = label["y"] + label["height"] / 2
    assert abs(middle - (button["y"] + button["height"] / 2)) <= 3, (label, button)
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


# -- issue 14: a table that fits its card, heading sort, row links, French files, cancel -----


def load_sample(page, name: str = "orders_fr.csv") -> None:
    sample = [o for o in options(page, ".tpop-sample-picker") if o.endswith(name)][0]
    page.select_option(".tpop-sample-picker select", value=sample)
    page.click(".tpop-sample-button")
    expect(page.locator(".tpop-file-message[data-tone=done]")).to_contain_text(name)
    expect(page.locator(".tpop-as-of input")).to_have_value(AS_OF)


def _scroll_box(page) -> dict:
    return page.eval_on_selector(
        ".tpop-results-scroll",
        "el => ({scroll: el.scrollWidth, client: el.clientWidth, left: el.scrollLeft,"
        " box: el.getBoundingClientRect().left})",
    )


def test_table_scrolls_sideways_with_the_order_kept_in_view_and_sorts_by_heading(
    page, open_app, screenshot
):
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    load_sample(page)
    run(page)
    scroll_to(page, ".tpop-table-widget")
    # the table fits its card: the page does not scroll sideways, the table does
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    box = _scroll_box(page)
    assert box["scroll"] > box["client"], box
    expect(page.locator(".tpop-scroll-hint")).to_be_visible()  # says there is more
    heads = page.eval_on_selector_all(".tpop-results thead th",
                                      "ths => ths.map(t => t.dataset.column)")
    assert heads[:4] == ["order_id", "row", "outcome", "reason"]
    first_order = page.locator(".tpop-results tbody tr").first.locator(".tpop-col-order_id")
    first_line = page.locator(".tpop-results tbody tr").first.locator(".tpop-col-row")
    expect(first_line).to_have_text("2")  # the spreadsheet's line: the header is line 1
    before = first_order.bounding_box()
    page.eval_on_selector(".tpop-results-scroll", "el => { el.scrollLeft = 600; }")
    time.sleep(0.2)
    after = first_order.bounding_box()
    assert abs(after["x"] - before["x"]) < 1.5, (before, after)  # sticky: still in view
    assert first_line.bounding_box()["x"] < before["x"], "the other columns moved under it"
    screenshot(page, "bulk_triage-table-scrolled")

    # a click on a heading sorts every row; a second click turns the order round
    heading = page.locator('.tpop-results button.tpop-sort-header[data-sort="days_since_shipped"]')
    heading.click()
    expect(page.locator('.tpop-results th[data-column="days_since_shipped"]')).to_have_attribute(
        "aria-sort", "ascending")
    days = page.locator(".tpop-results tbody tr").first.locator(".tpop-col-days_since_shipped")
    expect(days).to_have_text("0")
    assert _scroll_box(page)["left"] > 500, "the table stays scrolled where it was"
    page.locator('.tpop-results button.tpop-sort-header[data-sort="days_since_shipped"]').click()
    expect(page.locator('.tpop-results th[data-column="days_since_shipped"]')).to_have_attribute(
        "aria-sort", "descending")
    expect(page.locator(".tpop-sort select")).to_have_value("Jours depuis l'expédition")
    top = int(days.inner_text())
    assert top > 30, top
    # the sort is keyboard-reachable: Enter on a focused heading sorts
    page.locator('.tpop-results button.tpop-sort-header[data-sort="order_id"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator('.tpop-results th[data-column="order_id"]')).to_have_attribute(
        "aria-sort", "ascending")
    assert page.tpop_errors == []


def test_row_link_opens_the_order_assistant_with_that_order(page, open_app, context):
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    load_sample(page)
    run(page)
    row = page.locator(".tpop-results tbody tr").nth(3)
    outcome = row.get_attribute("data-outcome")
    order = row.get_attribute("data-order")
    link = row.locator("a.tpop-assistant-link")
    expect(link).to_have_attribute("target", "_blank")
    with context.expect_page(timeout=LONG_MS) as opened:
        link.click()
    assistant = opened.value
    assistant.wait_for_selector(f'.tpop-outcome[data-outcome="{outcome}"]', timeout=LONG_MS)
    assert order in assistant.url.replace("%2F", "/") or order in assistant.content()
    assistant.close()


def test_downloads_in_french_all_and_filtered(page, open_app):
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    load_sample(page, "orders.csv")
    run(page)
    expect(page.locator(".tpop-download-filtered-csv button")).to_be_disabled()
    name, data = download(page, ".tpop-download-csv")
    assert name.endswith("_fr.csv")
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:2] == ["Commande", "Prochaine action"] and "Statut du suivi" in rows[0]
    assert len(rows) == 361
    shipped = rows[0].index("Date d'expédition")
    assert all(r[shipped] == "" or r[shipped][2] == "/" for r in rows[1:])
    _, data = download(page, ".tpop-download-xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["tri"]
    col = [c.value for c in sheet[1]].index("Suivi La Poste") + 1
    assert any(sheet.cell(i, col).hyperlink is not None for i in range(2, sheet.max_row + 1))

    # the filtered rows, beside all of them
    tree = knowledge().tree
    code = "contact_tpop"
    label = [o for o in options(page, ".tpop-filter-outcome")
             if o.startswith(tree.outcomes[code].title["fr"] + " (")][0]
    page.select_option(".tpop-filter-outcome select", value=label)
    shown = int(label.rsplit("(", 1)[1].rstrip(")"))
    expect(page.locator(".tpop-table-count")).to_have_attribute("data-shown", str(shown))
    button = page.locator(".tpop-download-filtered-csv button")
    expect(button).to_be_enabled()
    expect(page.locator(".tpop-step-download")).to_contain_text(f"({shown})")
    _, data = download(page, ".tpop-download-filtered-csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == shown + 1
    assert {r[1] for r in rows[1:]} == {tree.outcomes[code].title["fr"]}

    # the English option: commas, English headings (the command line's columns)
    page.locator(".tpop-download-format input[type=radio]").nth(1).check()
    _, data = download(page, ".tpop-download-csv")
    rows = csv_rows(data)
    assert rows[0][:2] == ["order_id", "outcome"] and len(rows) == 361
    assert page.tpop_errors == []


SLOW_PIECES = """
(() => {
  const original = Blob.prototype.arrayBuffer;
  Blob.prototype.arrayBuffer = async function () {
    if (window.tpopSlowPieces) await new Promise((r) => setTimeout(r, 700));
    return original.call(this);
  };
})();
"""


def test_cancel_an_upload_and_a_triage(page, open_app, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        from orders_gen import canonical_csv, generate_orders
    finally:
        sys.path.pop(0)
    import datetime as dt

    big = tmp_path / "beaucoup.csv"
    big.write_text(canonical_csv(generate_orders(400_000, dt.datetime(2026, 11, 26, 10),
                                                 seed=5)), encoding="utf-8")
    page.add_init_script(SLOW_PIECES)
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")

    # an upload: "cancel" stops it, and nothing is loaded
    page.evaluate("window.tpopSlowPieces = true")
    choose_file(page, big)
    cancel = page.locator(".tpop-upload .tpop-cancel-upload")
    expect(cancel).to_be_visible()
    expect(cancel).to_have_text("Annuler l'envoi")
    cancel.click()
    message = page.locator(".tpop-file-message")
    expect(message).to_contain_text("Envoi de beaucoup.csv annulé")
    expect(cancel).to_be_hidden()
    expect(page.locator(".tpop-file-message[data-tone=done]")).to_have_count(0)
    expect(page.locator("button.tpop-run-button")).to_be_disabled()

    # a triage: "cancel" stops it, and no result is shown
    page.evaluate("window.tpopSlowPieces = false")
    load(page, big)
    set_as_of(page, AS_OF)
    page.locator("button.tpop-run-button").click()
    stop = page.locator("button.tpop-cancel-button")
    expect(stop).to_be_visible(timeout=LONG_MS)
    stop.click()
    expect(page.locator(".tpop-run-cancelled")).to_contain_text("Tri annulé", timeout=LONG_MS)
    expect(stop).to_be_hidden()
    expect(page.locator(".tpop-results-empty")).to_be_visible()
    expect(page.locator(".tpop-summary")).to_have_count(0)
    expect(page.locator(".tpop-download-csv button")).to_be_hidden()
    expect(page.locator("button.tpop-run-button")).to_be_enabled()
    assert page.tpop_errors == []


@pytest.mark.parametrize("lang, width", [("fr", 1280), ("fr", 420), ("en", 1280), ("en", 420)])
def test_screenshots_french_and_english_narrow_and_wide(page, open_app, screenshot, lang, width):
    page.set_viewport_size({"width": width, "height": 900})
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator(".tpop-bulk h1")).to_have_text("Bulk triage")
        expect(page.locator(".tpop-sample-picker option").first).to_have_text(
            "— choose a sample —")
    load_sample(page)
    run(page)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    box = _scroll_box(page)
    assert box["scroll"] > box["client"], "more columns on the right, inside the table"
    scroll_to(page, ".tpop-table-widget")
    screenshot(page, f"bulk_triage-table-{lang}-{width}")
    scroll_to(page, ".tpop-step-download")
    screenshot(page, f"bulk_triage-download-{lang}-{width}")
    assert page.tpop_errors == []


def test_counts_changed_by_the_triage_are_explained(page, open_app, screenshot, tmp_path):
    orders = tmp_path / "futur.csv"
    orders.write_text(
        "order_id,shipped_at,destination_country,tracking_status\n"
        "A-1,2026-11-20 09:00,FR,in_transit\n"
        "A-2,2026-12-20 09:00,FR,in_transit\n"
        "A-3,2026-12-21 09:00,BE,none\n"
        "A-4,2026-12-22 09:00,FR,none\n"
        "A-5,pas une date,FR,none\n",
        encoding="utf-8",
    )
    open_app(page, NOTEBOOK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    load(page, orders)
    expect(page.locator(".tpop-count-invalid")).to_have_attribute("data-count", "1")
    set_as_of(page, AS_OF)
    run(page)
    expect(page.locator(".tpop-count-invalid")).to_have_attribute("data-count", "4")
    note = page.locator('.tpop-triage-changes [data-why="late"]')
    expect(note).to_have_attribute("data-count", "3")
    expect(note).to_contain_text("3 lignes de plus sont à vérifier")
    expect(page.locator(".tpop-run-changed")).to_contain_text("l'étape 3 explique pourquoi")
    expect(page.locator('.tpop-invalid-rows tr[data-row="3"]')).to_contain_text("A-2")
    scroll_to(page, ".tpop-step-validation")
    screenshot(page, "bulk_triage-changed")
    assert page.tpop_errors == []
