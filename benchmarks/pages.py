"""Page benchmark: the app's own Voila configuration measured with Playwright and Chromium.

In one run, against one Voila server (with ``--preheat`` the pool of preheated kernels):

- **ready**: navigation to the order assistant ready for input (its paste area enabled),
  against the floor: a one-button notebook served by the same Voila;
- **click to outcome**: on the order assistant, paste an order, click, wait for the
  outcome card (p50 and p95 over ``--clicks`` clicks, alternating two orders);
- **upload to summary**: a 100,000-row file uploaded on the bulk page until the summary
  shows the counts per outcome;
- **kernel memory**: resident memory of the page's kernel after the clicks.

Usage: ``python benchmarks/pages.py [--runs 5] [--clicks 40] [--preheat] [--write]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import orders_gen  # noqa: E402
from _results import write_section  # noqa: E402
from _voila import kernel_memory_mb, launch_browser, median, percentile, voila  # noqa: E402

ORDERS = [
    "order: B-1\nshipped at: 2026-11-02 10:00\nstatus: in_transit\ncountry: BE",
    "commande: B-2\nexpédié le: 25/11/2026 09:00\nstatut: en attente\npays: France",
]
TIMEOUT = 120_000


def time_ready(page, url: str, selector: str) -> float:  # noqa: ANN001
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, state="visible", timeout=TIMEOUT)
    return time.perf_counter() - start


def measure_ready(browser, base: str, runs: int) -> tuple[list[float], list[float]]:  # noqa: ANN001
    app, floor = [], []
    for _ in range(runs):
        for target, selector, bucket in (
            ("order_assistant.ipynb", ".tpop-order-input textarea:enabled", app),
            ("floor.ipynb", ".floor-ready", floor),
        ):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            bucket.append(time_ready(page, f"{base}/voila/render/{target}", selector))
            context.close()
            time.sleep(0.5)
    return app, floor


def measure_clicks(browser, base: str, clicks: int) -> tuple[list[float], float]:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{base}/voila/render/order_assistant.ipynb")
    page.wait_for_selector(".tpop-order-input textarea:enabled", timeout=TIMEOUT)
    page.locator(".tpop-as-of input").fill("2026-11-26T10:00")
    page.locator(".tpop-as-of input").press("Enter")
    times = []
    for i in range(clicks):
        text = ORDERS[i % 2]
        expected = "B-1" if i % 2 == 0 else "B-2"
        page.locator(".tpop-order-input textarea").fill(text)
        start = time.perf_counter()
        page.click(".tpop-triage-button")
        page.wait_for_selector(f'.tpop-outcome:has-text("{expected}")', timeout=TIMEOUT)
        times.append(time.perf_counter() - start)
    memory = max(kernel_memory_mb(), default=0.0)
    context.close()
    return times, memory


def measure_upload(browser, base: str, path: Path, runs: int) -> list[float]:  # noqa: ANN001
    """From choosing the file to the summary of counts per outcome (upload, read, triage)."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{base}/voila/render/bulk_triage.ipynb")
        page.wait_for_selector(".tpop-upload .tpop-choose-file", timeout=TIMEOUT)
        with page.expect_file_chooser() as chooser:
            page.click(".tpop-upload .tpop-choose-file")
        start = time.perf_counter()
        chooser.value.set_files(str(path))
        page.wait_for_selector(".tpop-file-message[data-tone=done]", timeout=TIMEOUT)
        page.locator("button.tpop-run-button").click(timeout=TIMEOUT)
        page.wait_for_selector(".tpop-summary [data-outcome][data-count]", timeout=TIMEOUT)
        times.append(time.perf_counter() - start)
        context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--preheat", action="store_true", help="preheated kernels (pool of 2)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="tpop-pages-"))
    upload = folder / f"orders_{args.rows}.csv"
    rows = orders_gen.generate_orders(args.rows, orders_gen.SAMPLES_AS_OF, seed=11)
    upload.write_text(orders_gen.canonical_csv(rows), encoding="utf-8")
    extra = ["--preheat_kernel=True", "--pool_size=2"] if args.preheat else []
    with voila(extra) as base, sync_playwright() as playwright:
        browser = launch_browser(playwright)
        ready, floor = measure_ready(browser, base, args.runs)
        clicks, memory = measure_clicks(browser, base, args.clicks)
        uploads = measure_upload(browser, base, upload, args.runs)
        browser.close()
    mode = "preheated kernels (pool 2)" if args.preheat else "kernels started on request"
    report = "\n".join([
        f"### Pages, {mode} ({dt.date.today().isoformat()})",
        "",
        f"Median of {args.runs} page loads each, in the same run; clicks: {args.clicks}.",
        "",
        "| measure | result | goal |",
        "| --- | ---: | --- |",
        f"| order assistant ready for input | {median(ready):.2f} s | ≤ 1.25 × floor |",
        f"| floor: one-button notebook | {median(floor):.2f} s | |",
        f"| ratio | {median(ready) / median(floor):.2f}× | ≤ 1.25× |",
        f"| click to outcome, p50 | {percentile(clicks, 0.5) * 1000:.0f} ms | |",
        f"| click to outcome, p95 | {percentile(clicks, 0.95) * 1000:.0f} ms | < 300 ms |",
        f"| upload {args.rows:,} rows to summary | {median(uploads):.2f} s | < 5 s |",
        f"| kernel memory (largest kernel after the clicks) | {memory:.0f} MB | < 150 MB |",
    ])
    print(report)
    if args.write:
        write_section(f"### Pages, {mode}", report)


if __name__ == "__main__":
    main()
