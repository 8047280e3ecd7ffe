"""Page benchmark: the app's own Voila configuration measured with Playwright and Chromium.

In one run, against one Voila server (with ``--preheat`` the pool of preheated kernels):

- **ready**: navigation to the order assistant ready for input (its paste area enabled),
  against the floor: a one-button notebook served by the same Voila;
- **click to outcome**: on the order assistant, paste an order, click, wait for the
  outcome card (p50 and p95 over ``--clicks`` clicks, alternating two orders);
- **upload to summary**: a 100,000-row file uploaded on the bulk page until the summary
  shows the counts per outcome;
- **kernel memory**: the order assistant's own kernel (found by the kernel id its page
  carries), RSS, PSS and USS from ``/proc/<pid>/smaps_rollup``, once the page is ready
  and again after the clicks, with the CPU time it used to start and build the page;
  and (without ``--preheat``) where that memory goes: a fresh process importing what
  the kernel imports, step by step.

With ``--preheat`` the order assistant and the floor are both preheated (a pool of
``--pool`` kernels each, nothing else: the same settings as ``make serve-shared``'s
preheat) and every page load waits until the pool has been refilled and its kernels
have built their pages, so that each load gets a preheated kernel.

Usage: ``python benchmarks/pages.py [--runs 5] [--clicks 40] [--preheat] [--write]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import orders_gen  # noqa: E402
from _results import record_goals, write_section  # noqa: E402
from _voila import (  # noqa: E402
    cpu_seconds,
    kernel_pid,
    launch_browser,
    median,
    memory_mb,
    page_kernel_id,
    percentile,
    preheat_only,
    server_kernels,
    voila,
    wait_for_pool,
)

ORDERS = [
    "order: B-1\nshipped at: 2026-11-02 10:00\nstatus: in_transit\ncountry: BE",
    "commande: B-2\nexpédié le: 25/11/2026 09:00\nstatut: en attente\npays: France",
]
TIMEOUT = 120_000


ASSISTANT = "order_assistant.ipynb"
FLOOR = "floor.ipynb"
PREHEAT_NOTE = "; the order assistant and the floor preheated, each load waiting for a full pool"


def time_ready(page, url: str, selector: str) -> float:  # noqa: ANN001
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, state="visible", timeout=TIMEOUT)
    return time.perf_counter() - start


class Pool:
    """With preheated kernels: wait before each page load until the pool is full again.

    The pool holds ``size`` kernels for each preheated notebook; the kernels of pages
    already opened that are still running (a closed tab's kernel waits for culling under
    ``make app``'s settings) are counted on top.
    """

    def __init__(self, server, size: int, notebooks: int) -> None:  # noqa: ANN001
        self.server, self.pooled, self.opened = server, size * notebooks, []
        self.fill_s: list[float] = []  # from a kernel taken to the pool full and built again
        self._taken: float | None = None

    def ready(self) -> None:
        """Wait for a full pool; call just before a page load (which takes a kernel)."""
        if not self.pooled:
            return
        time.sleep(1.5)  # Voila starts a refill one second after a pooled kernel is taken
        alive = [k for k in self.opened if kernel_pid(k) is not None]
        called = time.monotonic()
        built = called + wait_for_pool(self.server, self.pooled + len(alive), 180)
        if self._taken is not None:
            self.fill_s.append(built - self._taken)
        self._taken = time.monotonic()

    def memory(self) -> dict[str, float]:
        """Memory of one pooled kernel (the median of the pool's, by PSS)."""
        opened = {kernel_pid(k) for k in self.opened}
        pooled = [memory_mb(pid) for pid in server_kernels(self.server) if pid not in opened]
        if not pooled:
            return {"rss": 0.0, "pss": 0.0, "uss": 0.0}
        return sorted(pooled, key=lambda m: m["pss"])[len(pooled) // 2]


def measure_ready(browser, server, runs: int, pool: Pool) -> tuple[list[float], list[float]]:  # noqa: ANN001
    app, floor = [], []
    for _ in range(runs):
        for target, selector, bucket in (
            (ASSISTANT, ".tpop-order-input textarea:enabled", app),
            (FLOOR, ".floor-ready", floor),
        ):
            pool.ready()
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            bucket.append(time_ready(page, server.page(target), selector))
            pool.opened.append(page_kernel_id(page))
            context.close()
            time.sleep(0.5)
    return app, floor


def measure_clicks(browser, server, clicks: int, pool: Pool) -> dict:  # noqa: ANN001
    """Click-to-outcome times, and the page's own kernel's memory before and after."""
    pool.ready()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(server.page(ASSISTANT))
    page.wait_for_selector(".tpop-order-input textarea:enabled", timeout=TIMEOUT)
    kernel = page_kernel_id(page)
    pool.opened.append(kernel)
    pid = kernel_pid(kernel)
    if pid is None:
        raise SystemExit(f"no process found for the page's kernel {kernel}")
    opened = memory_mb(pid)
    cpu = cpu_seconds(pid)
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
    after = memory_mb(pid)
    context.close()
    return {"times": times, "opened": opened, "after": after, "cpu": cpu}


def measure_upload(browser, server, path: Path, runs: int) -> list[float]:  # noqa: ANN001
    """From choosing the file to the summary of counts per outcome (upload, read, triage)."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(server.page("bulk_triage.ipynb"))
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


#: Run in a fresh process from notebooks/ (as a kernel is): memory after each step.
IMPORT_STEPS = r"""
import json, sys, time
def memory():
    values = {}
    for line in open("/proc/self/smaps_rollup").read().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) / 1024
    return values["Rss"], values["Private_Clean"] + values["Private_Dirty"]
steps = [("Python", "pass"),
         ("ipykernel (the kernel itself)", "import ipykernel.kernelapp"),
         ("ipywidgets", "import ipywidgets"),
         ("numpy", "import numpy"),
         ("PyYAML", "import yaml"),
         ("requests (live La Poste status)", "import requests"),
         ("Babel (dates in words)", "import babel.dates"),
         ("tpop_kb and the page's module", "import tpop_kb.apps.order_assistant"),
         ("the page built (knowledge base read, widgets)",
          "from tpop_kb.apps import OrderAssistantApp; OrderAssistantApp(query='')"),
         ("voila.utils (preheated kernels only: the visitor's link)", "import voila.utils")]
rows = []
for name, code in steps:
    start = time.perf_counter()
    exec(code)
    rows.append((name, *memory(), time.perf_counter() - start))
print(json.dumps(rows))
"""


def import_steps() -> list[tuple[str, float, float, float]]:
    """(step, RSS, USS, seconds) after each import of the assistant's kernel, fresh process."""
    done = subprocess.run([sys.executable, "-c", IMPORT_STEPS], capture_output=True,
                          text=True, cwd=HERE.parent / "notebooks", timeout=300)
    if done.returncode != 0:
        raise SystemExit("import steps failed:\n" + done.stderr[-2000:])
    return [tuple(row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


def memory_lines(steps: list[tuple[str, float, float, float]]) -> list[str]:
    lines = ["", "Where the assistant kernel's memory goes: a fresh Python process started from "
             "`notebooks/`, importing what the kernel imports, step by step (USS added by "
             "each step; Voila's kernel adds its messaging on top).", "",
             "| step | RSS after | USS after | USS added | time |",
             "| --- | ---: | ---: | ---: | ---: |"]
    before = 0.0
    for name, rss, uss, seconds in steps:
        lines.append(f"| {name} | {rss:.0f} MB | {uss:.0f} MB | +{uss - before:.0f} MB | "
                     f"{seconds:.2f} s |")
        before = uss
    return lines


def _mb(memory: dict[str, float]) -> str:
    return f"{memory['rss']:.0f} / {memory['pss']:.0f} / {memory['uss']:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--preheat", action="store_true",
                        help="preheated kernels for the order assistant and the floor")
    parser.add_argument("--pool", type=int, default=1, help="with --preheat: kernels a notebook")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.write and args.runs < 5:
        parser.error("--write needs --runs 5 or more (RESULTS.md figures are medians of ≥ 5)")

    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="tpop-pages-"))
    upload = folder / f"orders_{args.rows}.csv"
    rows = orders_gen.generate_orders(args.rows, orders_gen.SAMPLES_AS_OF, seed=11)
    upload.write_text(orders_gen.canonical_csv(rows), encoding="utf-8")
    extra, config = [], None
    if args.preheat:
        extra = ["--preheat_kernel=True", f"--pool_size={args.pool}"]
        config = {"VoilaKernelManager": {"preheat_denylist": preheat_only(ASSISTANT, FLOOR)}}
    with voila(extra, config=config) as server, sync_playwright() as playwright:
        pool = Pool(server, args.pool if args.preheat else 0, 2)
        browser = launch_browser(playwright)
        ready, floor = measure_ready(browser, server, args.runs, pool)
        clicks = measure_clicks(browser, server, args.clicks, pool)
        pooled = pool.memory() if args.preheat else None
        uploads = measure_upload(browser, server, upload, args.runs)
        browser.close()
    times = clicks["times"]
    mode = (f"preheated kernels (pool of {args.pool})" if args.preheat
            else "kernels started on request")
    lines = [
        f"### Pages, {mode} ({dt.date.today().isoformat()})",
        "",
        f"`benchmarks/pages.py{' --preheat' if args.preheat else ''}`: `make app`'s settings "
        f"(`voila.json`){PREHEAT_NOTE if args.preheat else ''}. "
        f"Median of {args.runs} page loads each, in the same run; clicks: {args.clicks}. "
        "Memory as RSS / PSS / USS (resident; shared pages split between processes; "
        "private: what stopping the kernel gives back).",
        "",
        "| measure | result | goal |",
        "| --- | ---: | --- |",
        f"| order assistant ready for input | {median(ready):.2f} s | ≤ 1.25 × floor |",
        f"| floor: one-button notebook | {median(floor):.2f} s | |",
        f"| ratio | {median(ready) / median(floor):.2f}× | ≤ 1.25× |",
        f"| click to outcome, p50 | {percentile(times, 0.5) * 1000:.0f} ms | |",
        f"| click to outcome, p95 | {percentile(times, 0.95) * 1000:.0f} ms | < 300 ms |",
        f"| upload {args.rows:,} rows to summary | {median(uploads):.2f} s | < 5 s |",
        f"| the assistant's own kernel, page ready | {_mb(clicks['opened'])} | |",
        f"| the assistant's own kernel, after the clicks | {_mb(clicks['after'])} "
        "| < 150 MB |",
        f"| its CPU time to start and build the page | {clicks['cpu']:.1f} s | |",
    ]
    if pooled is not None:
        lines += [
            f"| a preheated kernel waiting in the pool | {_mb(pooled)} | |",
            f"| pool refilled and built after a load (median) | {median(pool.fill_s):.1f} s | |",
        ]
    if not args.preheat:
        lines += memory_lines(import_steps())
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section(f"### Pages, {mode}", report)
        ratio, p95 = median(ready) / median(floor), percentile(times, 0.95) * 1000
        kernel, upload_s = clicks["after"]["rss"], median(uploads)
        label = " (preheated)" if args.preheat else " (kernels on request)"
        record_goals("pages-preheated" if args.preheat else "pages", [
            ("order assistant ready within 1.25× the one-widget floor" + label,
             f"{ratio:.2f}× ({median(ready):.2f} s against {median(floor):.2f} s)",
             ratio <= 1.25),
            ("click to outcome p95 under 300 ms" + label, f"{p95:.0f} ms", p95 < 300),
            (f"{args.rows:,}-row upload summarised in under 5 s" + label, f"{upload_s:.2f} s",
             upload_s < 5),
            ("the order assistant's kernel under 150 MB (RSS after the clicks)" + label,
             f"{kernel:.0f} MB", kernel < 150),
        ], dt.date.today().isoformat())


if __name__ == "__main__":
    main()
