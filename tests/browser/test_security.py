"""Security of the pages in a real Voila session (issue 7, parts 2 and 3; docs/security.md).

- Hostile text pasted or uploaded runs nothing: no dialog, no ``window.__xss``, no
  request or console error from an injected element, no element or link made by the
  payload; the payload shows as plain text. A positive control proves the checks
  would see an injected ``<img onerror>``.
- An upload -> triage -> download (CSV and .xlsx) leaves no file holding an uploaded
  value in the repository or the temp directory, and nothing in the server log; the
  page's file input lets go of the file once it is sent.
- Two browser sessions at once never see each other's orders.
- No page (every notebook of notebooks/) asks anything of another server (issue 12).
- Bidirectional, zero-width and control characters pasted or uploaded reach no field,
  answer, reply draft (as copied), result table or download (issue 12).
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import openpyxl
import pytest
from playwright.sync_api import expect

from tpop_kb.postal import destination_post_url
from tpop_kb.tracking import s10_check_digit
from tpop_kb.triage import la_poste_url

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
ASSISTANT = "order_assistant.ipynb"
BULK = "bulk_triage.ipynb"
AS_OF = "2026-11-26T10:00"
TIMEOUT = 30_000
LONG_MS = 120_000

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = "<script>window.__xss=2</script>"
JS_LINK = "javascript:window.__xss=3"
MD_LINK = "[click](javascript:alert(1))"
ANCHOR = '<a href="javascript:window.__xss=4">click</a>'
SVG = "<svg onload=window.__xss=5>"
PAYLOADS = (IMG, SCRIPT, JS_LINK, MD_LINK, ANCHOR, SVG)

#: DOM left by a payload that ran or was parsed as HTML
INJECTED = (
    "img[src='x'], img[onerror], svg[onload], [onerror], [onload], "
    "a[href^='javascript' i], iframe, object, embed"
)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


class Watch:
    """Dialogs, console errors and requests of a page, recorded from its first load."""

    def __init__(self, page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda m: self.errors.append(f"{m.text} @ {m.location}")
                if m.type == "error" else None)
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def from_payload(self) -> list[str]:
        """Console errors and requests that only an injected element would cause."""
        hits = [e for e in self.errors if "__xss" in e or "/x'" in e or "/x " in e
                or "javascript:" in e]
        hits += [u for u in self.requests if u.rstrip("/").endswith("/x")
                 or u.startswith("javascript:")]
        return hits


def assert_inert(page, watch: Watch) -> None:
    """Nothing the payloads hold ran or became an element."""
    page.wait_for_timeout(500)  # let an injected onerror/onload fire, if there is one
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert watch.dialogs == []
    assert watch.from_payload() == []
    found = page.eval_on_selector_all(INJECTED, "els => els.map(e => e.outerHTML.slice(0, 120))")
    assert found == [], found
    scripts = page.eval_on_selector_all(
        "script", "els => els.filter(e => e.textContent.includes('__xss')).length"
    )
    assert scripts == 0
    assert page.tpop_errors == []


def shown_text(page) -> str:
    """What the page shows: its text, and the values of its fields."""
    return page.evaluate(
        "document.body.innerText + '\\n' + Array.from("
        "document.querySelectorAll('input, textarea, select')).map(e => e.value).join('\\n')"
    )


def positive_control(page, watch: Watch) -> None:
    """The checks above would catch an injected element: one injected on purpose runs,
    is found in the DOM, and its request is seen."""
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', "
        "'<img id=tpop-probe src=x onerror=\"window.__probe = 1\">')"
    )
    page.wait_for_function("window.__probe === 1", timeout=5_000)
    assert page.locator(INJECTED).count() >= 1
    assert watch.from_payload(), "the probe's request to 'x' was not seen"
    page.evaluate("document.getElementById('tpop-probe').remove(); delete window.__probe")
    watch.errors.clear()
    watch.requests.clear()


def answer_to_the_end(page, order_id: str) -> None:
    """Click "I don't know" until the answer card for ``order_id`` shows."""
    badge = page.locator(".tpop-outcome .tpop-outcome-order")
    for _ in range(40):
        if badge.count() and badge.first.is_visible() and order_id in badge.first.inner_text():
            return
        dont_know = page.locator(".tpop-dont-know")
        if dont_know.is_visible():
            dont_know.click()
        page.wait_for_timeout(250)
    expect(badge).to_contain_text(order_id, timeout=TIMEOUT)


def paste(page, text: str, order_id: str) -> None:
    """Paste an order and wait until the page has read it (its order id is in the field).

    Waiting matters: ipywidgets holds back a widget's updates while its last one is
    unanswered, so a click on another widget could reach the kernel first.
    """
    page.locator(".tpop-order-input textarea").fill(text)
    expect(page.locator(".tpop-field-order-id input")).to_have_value(order_id, timeout=TIMEOUT)


def s10(serial: int) -> str:
    digits = f"{serial:08d}"
    return f"LA{digits}{s10_check_digit(digits)}FR"


def choose_file(page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click(".tpop-upload .tpop-choose-file")
    chooser.value.set_files(str(path))


def upload(page, path: Path) -> None:
    choose_file(page, path)
    expect(page.locator(".tpop-file-message[data-tone=done]")).to_contain_text(
        path.name, timeout=LONG_MS
    )


def run_triage(page) -> None:
    field = page.locator(".tpop-as-of input")
    field.fill(AS_OF)
    field.press("Enter")
    expect(page.locator(".tpop-as-of-error")).to_have_count(0)
    button = page.locator("button.tpop-run-button")
    expect(button).to_be_enabled(timeout=TIMEOUT)
    button.click()
    expect(page.locator(".tpop-summary")).to_be_visible(timeout=LONG_MS)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# ---------------------------------------------------------------------------
# 1. nothing runs
# ---------------------------------------------------------------------------

KEY_VALUE = (
    f"Order id: {IMG}\nShipped at: 2026-11-25 15:00\nTracking number: {SCRIPT}\n"
    f"Country: {JS_LINK}\nStatus: {MD_LINK}\nClaim: {ANCHOR}\nClient: {SVG}\n"
)
JSON_PASTE = json.dumps({
    "order_id": SVG, "shipped_at": "2026-11-19 16:45", "tracking_number": MD_LINK,
    "destination_country": IMG, "tracking_status": SCRIPT, "customer_claim": ANCHOR,
    "note": JS_LINK,
})
_buffer = io.StringIO()
csv.writer(_buffer).writerows([
    ["order_id", "shipped_at", "tracking_number", "destination_country", "tracking_status",
     "customer_claim"],
    [ANCHOR, "2026-11-20 09:00", IMG, SCRIPT, JS_LINK, MD_LINK],
])
CSV_PASTE = _buffer.getvalue()


def test_no_script_runs_from_pasted_or_uploaded_orders(page, open_app, voila_server, tmp_path):
    watch = Watch(page)

    # the order assistant: every paste format, then a deep link
    open_app(page, f"{ASSISTANT}?as_of={AS_OF}", selector=".tpop-order-assistant")
    # (paste, the payloads the page must show as text: not those of unused labels)
    pastes = [
        (KEY_VALUE, IMG, [p for p in PAYLOADS if p != SVG]),  # "Client" is no order field
        (JSON_PASTE, SVG, [p for p in PAYLOADS if p != JS_LINK]),  # nor is "note"
        (CSV_PASTE, ANCHOR, [IMG, SCRIPT, JS_LINK, MD_LINK, ANCHOR]),
    ]
    for text, order_id, expected in pastes:
        paste(page, text, order_id)
        page.click(".tpop-triage-button")
        answer_to_the_end(page, order_id)
        assert_inert(page, watch)
        shown = shown_text(page)
        missing = [p for p in expected if p not in shown]
        assert missing == [], (missing, text[:60])
    # tracking links come from the project's templates only, the number URL-encoded
    paste(page, "Order id: L1\nShipped at: 2026-11-25 15:00\nCountry: Belgique\nStatus: none\n",
          "L1")
    number = 'X"><svg/onload=alert(6)>'  # no spaces: the number is used as typed
    field = page.locator(".tpop-field-tracking-number input")
    field.fill(number)
    field.press("Enter")
    page.click(".tpop-triage-button")
    answer_to_the_end(page, "L1")
    expect(page.locator(".tpop-outcome .tpop-laposte-link")).to_be_visible()
    hrefs = page.eval_on_selector_all(".tpop-outcome a[href]", "as => as.map(a => a.href)")
    encoded = quote(number, safe="")
    assert sorted(hrefs) == sorted([la_poste_url(number), destination_post_url("BE", number)])
    assert all(h.startswith("https://") and encoded in h for h in hrefs), hrefs
    expect(page.locator(".tpop-laposte-link")).to_contain_text(number)
    assert_inert(page, watch)

    query = urlencode({"order_id": IMG, "shipped_at": "2026-11-25 15:00",
                       "tracking_number": SCRIPT, "destination_country": MD_LINK,
                       "paste": ANCHOR, "as_of": AS_OF})
    page.goto(voila_server.render_url(f"{ASSISTANT}?{query}"))
    page.wait_for_selector(".tpop-order-assistant", state="visible", timeout=60_000)
    answer_to_the_end(page, IMG)
    assert_inert(page, watch)
    positive_control(page, watch)

    # the bulk page: a file with the payloads in order id, country, status, tracking number
    hostile = write_csv(
        tmp_path / "commandes_piegees.csv",
        ["order_id", "shipped_at", "tracking_number", "destination_country", "tracking_status",
         "customer_claim", "customer_name"],
        [
            [IMG, "2026-11-20 09:00", SCRIPT, JS_LINK, MD_LINK, ANCHOR, SVG],
            [SCRIPT, "2026-11-20 09:00", MD_LINK, IMG, SVG, "none", ANCHOR],
            [MD_LINK, "2026-11-20 09:00", IMG, "FR", "none", "none", JS_LINK],
            [ANCHOR, "2026-11-20 09:00", JS_LINK, SVG, IMG, "none", SCRIPT],
            ["ok-1", "2026-11-20 09:00", "LA123456785FR", "FR", "in_transit", "none", "x"],
        ],
    )
    open_app(page, BULK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    for path in (hostile, CORPUS / "script_injection.csv"):
        upload(page, path)
        assert_inert(page, watch)
        run_triage(page)
        expect(page.locator(".tpop-results tbody tr").first).to_be_visible(timeout=TIMEOUT)
        assert_inert(page, watch)
    # the last file's values show as text in the list of rows to check and in the table
    validation = page.locator(".tpop-validation")
    expect(validation).to_contain_text("<img src=x onerror=alert(1)>")
    expect(validation).to_contain_text("<script>alert(2)</script>")
    expect(page.locator(".tpop-results")).to_contain_text("[click](javascript:alert(3))")
    positive_control(page, watch)
    assert "Traceback" not in voila_server.log()


# ---------------------------------------------------------------------------
# 2. no file, no log
# ---------------------------------------------------------------------------


def _snapshot(roots: list[Path]) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of every file under the roots (the repository's .git aside)."""
    seen: dict[str, tuple[int, int]] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root, onerror=lambda _e: None):
            dirs[:] = [d for d in dirs if not (folder == str(REPO) and d == ".git")]
            for name in files:
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path, follow_symlinks=False)
                except OSError:
                    continue
                seen[path] = (stat.st_size, stat.st_mtime_ns)
    return seen


def _holding(paths: list[str], values: list[str]) -> dict[str, list[str]]:
    """The files among ``paths`` that hold one of the values (UTF-8 or UTF-16)."""
    needles = [(v, v.encode("utf-8"), v.encode("utf-16-le")) for v in values]
    found: dict[str, list[str]] = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read(256 * 1024 * 1024)
        except OSError:
            continue
        hits = [v for v, u8, u16 in needles if u8 in data or u16 in data]
        if hits:
            found[path] = hits
    return found


def test_upload_triage_download_leaves_no_file_and_no_log(
    page, open_app, voila_server, voila_log, tmp_path
):
    marker = uuid.uuid4().hex[:10].upper()
    rng = random.Random(marker)
    ids = [f"PRIV{marker}{i:03d}" for i in range(40)]
    numbers = [s10(rng.randrange(10**7, 10**8)) for _ in ids]
    names = [f"Cliente {marker} n°{i}" for i in range(len(ids))]
    days = [f"2026-11-{rng.randrange(1, 26):02d} {rng.randrange(8, 18):02d}:00" for _ in ids]
    countries = [rng.choice(["FR", "BE", "DE", "Espagne", "Italie"]) for _ in ids]
    statuses = [rng.choice(["none", "in_transit", "delivered", "en attente"]) for _ in ids]
    source = write_csv(
        tmp_path / f"export_{marker}.csv",
        ["order_id", "shipped_at", "tracking_number", "destination_country",
         "tracking_status", "customer_name"],
        [list(r) for r in zip(ids, days, numbers, countries, statuses, names, strict=True)],
    )
    values = [*ids, *numbers, *names, marker]
    # the repository, the temp directory, and where Jupyter and IPython keep their files
    # (kernel connection files, the kernels' history database)
    roots = [REPO, Path(tempfile.gettempdir())] + [
        p for p in (Path.home() / ".ipython", Path.home() / ".local" / "share" / "jupyter")
        if p.is_dir()
    ]
    before = _snapshot(roots)  # the source file exists already: it is not "new"

    open_app(page, BULK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    upload(page, source)
    # the file input lets go of the file once it is sent
    file_input = page.locator(".tpop-upload input.tpop-file-input")
    assert file_input.evaluate("i => [i.files.length, i.value]") == [0, ""]
    run_triage(page)
    expect(page.locator(".tpop-table-count")).to_have_attribute("data-shown", str(len(ids)))
    expect(page.locator(".tpop-results")).to_contain_text(ids[0])

    downloads = {}
    for css in (".tpop-download-csv", ".tpop-download-xlsx"):
        with page.expect_download(timeout=LONG_MS) as info:
            page.click(f"{css} button")
        item = info.value
        downloads[css] = Path(item.path()).read_bytes()
        item.delete()  # the browser's own copy: where an agent saves a file is theirs
    # the downloads hold the orders (so the check below is not vacuous)
    text = downloads[".tpop-download-csv"].decode("utf-8-sig")
    assert all(i in text for i in ids)
    book = openpyxl.load_workbook(io.BytesIO(downloads[".tpop-download-xlsx"]), read_only=True)
    got = {row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    book.close()
    assert set(ids) <= got

    page.close()  # the tab closes: its kernel goes
    control = tmp_path / "control.txt"  # proves the scan finds a file that holds a value
    control.write_text(f"written by this test: {numbers[3]}", encoding="utf-8")
    after = _snapshot(roots)
    changed = [p for p, s in after.items() if before.get(p) != s]
    assert str(voila_log) in changed, "the snapshot sees the server's log grow"
    assert _holding(changed, values) == {str(control): [numbers[3]]}, "a file holds uploaded values"
    log = voila_log.read_text(encoding="utf-8", errors="replace")
    assert [v for v in values if v in log] == []
    assert source.name not in log and "Traceback" not in log


# ---------------------------------------------------------------------------
# 3. two sessions at once
# ---------------------------------------------------------------------------


def test_two_sessions_never_share_data(browser, browser_context_args, open_app, tmp_path):
    alpha_ctx = browser.new_context(**browser_context_args)
    bravo_ctx = browser.new_context(**browser_context_args)
    try:
        alpha, bravo = alpha_ctx.new_page(), bravo_ctx.new_page()
        for page in (alpha, bravo):
            open_app(page, f"{ASSISTANT}?as_of={AS_OF}", selector=".tpop-order-assistant")
        kernel = "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        assert alpha.evaluate(kernel) != bravo.evaluate(kernel)

        def order(tag: str) -> str:
            return (f"Order id: {tag}-0001\nShipped at: 2026-11-20 09:00\n"
                    f"Tracking number: {s10(12345678 if tag == 'ALPHA' else 87654321)}\n"
                    "Country: Belgique\nStatus: in_transit\n")

        paste(alpha, order("ALPHA"), "ALPHA-0001")
        paste(bravo, order("BRAVO"), "BRAVO-0001")
        for page, tag in ((alpha, "ALPHA"), (bravo, "BRAVO")):
            page.click(".tpop-triage-button")
            answer_to_the_end(page, f"{tag}-0001")
        for page, mine, theirs in ((alpha, "ALPHA", "BRAVO"), (bravo, "BRAVO", "ALPHA")):
            shown = shown_text(page)
            assert f"{mine}-0001" in shown and theirs not in shown
            assert s10(12345678 if theirs == "ALPHA" else 87654321) not in shown

        # the bulk page: one file each, at the same time
        files = {}
        for tag in ("ALPHA", "BRAVO"):
            files[tag] = write_csv(
                tmp_path / f"{tag.lower()}.csv",
                ["order_id", "shipped_at", "destination_country", "tracking_status"],
                [[f"{tag}-{i:04d}", "2026-11-20 09:00", "FR", "in_transit"] for i in range(30)],
            )
        for page in (alpha, bravo):
            open_app(page, BULK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
        upload(alpha, files["ALPHA"])
        # the other session has no file at all
        expect(bravo.locator(".tpop-file-message[data-tone=done]")).to_have_count(0)
        expect(bravo.locator("button.tpop-run-button")).to_be_disabled()
        upload(bravo, files["BRAVO"])
        for page in (alpha, bravo):
            run_triage(page)
        for page, mine, theirs in ((alpha, "ALPHA", "BRAVO"), (bravo, "BRAVO", "ALPHA")):
            expect(page.locator(".tpop-table-count")).to_have_attribute("data-shown", "30")
            shown = shown_text(page)
            assert f"{mine}-0000" in shown and theirs not in shown
            with page.expect_download(timeout=LONG_MS) as info:
                page.click(".tpop-download-csv button")
            data = Path(info.value.path()).read_text(encoding="utf-8-sig")
            info.value.delete()
            assert data.count(f"{mine}-") == 30 and theirs not in data
    finally:
        alpha_ctx.close()
        bravo_ctx.close()


# ---------------------------------------------------------------------------
# Nothing leaves the server (issue 12)
# ---------------------------------------------------------------------------

LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
#: every notebook of notebooks/ (checked below), with the element that shows it is built
PAGES = {
    "index.ipynb": ".tpop-landing",
    ASSISTANT: ".tpop-order-assistant",
    BULK: ".tpop-bulk .tpop-upload .tpop-choose-file",
    "training.ipynb": ".tpop-training",
    "knowledge.ipynb": ".tpop-knowledge-explorer",
    "insights.ipynb": ".tpop-insights",
    # the analysts' reading notebook (for JupyterLab), which Voila serves too
    "analyst_guide.ipynb": "#rendered_cells .jp-OutputArea-output",
}


def test_no_page_asks_anything_of_another_server(
    browser, browser_context_args, open_app, voila_server
):
    """Every page, in full, with every request to a non-loopback host aborted: none is
    attempted (Voila's templates load Font Awesome from a CDN; the server removes it)."""
    from urllib.parse import urlsplit

    context = browser.new_context(**browser_context_args)
    outside: list[str] = []
    seen: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        seen.append(url)
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    assert sorted(PAGES) == sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    context.route("**/*", guard)
    try:
        for name, selector in PAGES.items():
            page = context.new_page()
            open_app(page, name, selector=selector)
            page.wait_for_load_state("networkidle", timeout=LONG_MS)
            external = page.eval_on_selector_all(
                "link[href], script[src]",
                "els => els.map(e => e.href || e.src)"
                ".filter(u => /^(https?:)?\\/\\//.test(u) && !u.startsWith(location.origin))",
            )
            assert external == [], (name, external)
            page.close()
        # the page list and an error page, too
        for path in ("voila/tree", "voila/render/missing.ipynb"):
            page = context.new_page()
            page.goto(f"{voila_server}{path}", wait_until="networkidle", timeout=LONG_MS)
            page.close()
    finally:
        context.close()
    assert outside == [], outside
    assert len(seen) > 20  # the guard saw the pages' own requests


# ---------------------------------------------------------------------------
# Invisible characters never reach a field, the answer, a reply or a download (issue 12)
# ---------------------------------------------------------------------------

#: bidirectional override, embedding and isolates, zero-width space, left-to-right mark,
#: byte order mark, and control characters (BEL, ESC, DEL, a C1 control)
SPOOF = ("\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200e", "\ufeff",
         "\x07", "\x1b", "\x7f", "\x9b")
#: the same characters once URL-encoded (a link built from a value that kept them)
SPOOF_ENCODED = ("%E2%80%AE", "%E2%80%AA", "%E2%81%A6", "%E2%81%A9", "%E2%80%8B",
                 "%E2%80%8E", "%EF%BB%BF", "%07", "%1B", "%7F", "%C2%9B")
#: what openpyxl can write into a cell (no C0 control character)
SPOOF_XLSX = tuple(c for c in SPOOF if c >= "\x7f")


def _spoofed(text: str, chars: tuple[str, ...] = SPOOF, offset: int = 0) -> str:
    """``text`` with one of ``chars`` after every character."""
    return "".join(ch + chars[(i + offset) % len(chars)] for i, ch in enumerate(text))


def _spoofs_in(text: str) -> list[str]:
    found = [f"U+{ord(c):04X}" for c in SPOOF if c in text]
    return found + [e for e in SPOOF_ENCODED if e in text.upper()]


def test_invisible_characters_never_reach_a_field_an_answer_or_a_reply(
    page, open_app, voila_server
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=voila_server.url.rstrip("/"))
    number = s10(31415926)
    order_id = "BIDI-7731"
    text = (f"Order id: {_spoofed(order_id)}\nShipped at: 2026-11-20 15:00\n"
            f"Tracking number: \u2066{_spoofed(number, offset=3)}\u2069\n"
            f"Country: {_spoofed('Belgique', offset=5)}\nStatus: none\u202e\u200b\x07\n")
    assert len(_spoofs_in(text)) == len(SPOOF)  # every character is in the paste
    open_app(page, f"{ASSISTANT}?as_of=2026-11-20T16:00&lang=en",
             selector=".tpop-order-assistant")
    paste(page, text, order_id)  # the field holds the id without the characters
    expect(page.locator(".tpop-field-tracking-number input")).to_have_value(number)
    # the last field the paste fills: every update has reached the page before the click
    expect(page.locator(".tpop-field-destination-country select")).to_have_value(
        "Belgium", timeout=TIMEOUT)
    page.click(".tpop-triage-button")
    answer_to_the_end(page, order_id)
    card = page.locator(".tpop-outcome").first
    expect(card.locator(".tpop-laposte-link")).to_contain_text(number)
    expect(card.locator(".tpop-destination-link")).to_be_visible()  # Belgique was read

    fields = page.evaluate(
        "Array.from(document.querySelectorAll('input, textarea, select'))"
        ".filter(e => !e.closest('.tpop-order-input')).map(e => e.value)"
    )
    assert any(order_id in v for v in fields) and any(number in v for v in fields)
    assert [v for v in fields if _spoofs_in(v)] == []
    html = card.evaluate("e => e.innerHTML")
    assert order_id in html and number in html
    assert _spoofs_in(html) == [] and _spoofs_in(card.inner_text()) == []
    # the reply drafts, as the copy buttons copy them
    drafts = page.locator(".tpop-draft")
    expect(drafts.first).to_be_visible(timeout=TIMEOUT)
    copied = []
    for css in ("button.tpop-copy", "button.tpop-copy-other"):
        buttons = page.locator(f".tpop-draft {css}")
        for i in range(buttons.count()):
            page.evaluate("navigator.clipboard.writeText('')")
            buttons.nth(i).click()
            page.wait_for_function("navigator.clipboard.readText().then(t => t !== '')",
                                   timeout=10_000)
            copied.append(page.evaluate("navigator.clipboard.readText()"))
    assert len(copied) >= 2 and any(order_id in c for c in copied), copied
    assert [c[:80] for c in copied if _spoofs_in(c)] == []
    assert page.tpop_errors == []


def test_invisible_characters_never_reach_the_bulk_table_or_its_downloads(
    page, open_app, tmp_path
):
    ids = [f"BIDI-{i:04d}" for i in range(6)]
    numbers = [s10(27182818 + 7 * i) for i in range(6)]
    header = ["order_id", "shipped_at", "tracking_number", "destination_country",
              "tracking_status", "customer_name"]

    def rows(chars: tuple[str, ...]) -> list[list[str]]:
        return [[_spoofed(i, chars, n), "2026-11-20 09:00", _spoofed(num, chars, n + 1),
                 _spoofed("Belgique", chars, n + 2), _spoofed("in_transit", chars, n),
                 _spoofed(f"Client {n}", chars, n + 3)]
                for n, (i, num) in enumerate(zip(ids, numbers, strict=True))]

    source_csv = write_csv(tmp_path / "bidi_orders.csv", header, rows(SPOOF))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows(SPOOF_XLSX):
        sheet.append(row)
    source_xlsx = tmp_path / "bidi_orders.xlsx"
    book.save(source_xlsx)
    assert all(c in source_csv.read_text(encoding="utf-8") for c in SPOOF)

    open_app(page, BULK, selector=".tpop-bulk .tpop-upload .tpop-choose-file")
    for source in (source_csv, source_xlsx):
        upload(page, source)
        run_triage(page)
        expect(page.locator(".tpop-table-count")).to_have_attribute("data-shown", str(len(ids)))
        table = page.locator(".tpop-results").evaluate("e => e.innerHTML")
        assert all(i in table for i in ids) and numbers[0] in table, source.name
        shown = page.locator(".tpop-bulk").evaluate("e => e.innerHTML")
        assert _spoofs_in(shown) == [], source.name
        downloads = {}
        for css in (".tpop-download-csv", ".tpop-download-xlsx"):
            with page.expect_download(timeout=LONG_MS) as info:
                page.click(f"{css} button")
            downloads[css] = Path(info.value.path()).read_bytes()
            info.value.delete()
        data = downloads[".tpop-download-csv"].decode("utf-8-sig")
        assert all(i in data for i in ids) and all(n in data for n in numbers), source.name
        assert _spoofs_in(data) == [], source.name
        workbook = openpyxl.load_workbook(io.BytesIO(downloads[".tpop-download-xlsx"]),
                                          read_only=True)
        cells = [str(v) for r in workbook.worksheets[0].iter_rows(values_only=True)
                 for v in r if v is not None]
        workbook.close()
        assert set(ids) <= set(cells) and set(numbers) <= set(cells), source.name
        assert [c for c in cells if _spoofs_in(c)] == [], source.name
    assert page.tpop_errors == []
