"""Many staff at once: concurrent browser sessions on the order assistant, one server.

The server is ``make serve-shared``'s (``config/shared/voila.py`` on top of
``voila.json``, a token on every URL) with, by default, a pool of preheated order
assistant kernels sized to the largest burst (``--pool``; 0 for none). Before each level
the script waits until the pool is full and every pooled kernel has built its page
(reporting how long filling took and the pool's memory). Then, for each level (default 10,
then 25 sessions), every session opens the order assistant in its own browser context at
the same instant, pastes an order, clicks, and waits for the outcome card.

Reported: the success rate (and the step failed sessions were at), p50 time to the page
ready and p50/p95 time to the outcome (from navigation), the memory of the kernels (PSS:
shared pages split, so the sum is what the machine holds; RSS beside it) and of the server
at the peak, the sessions' kernels left right after their tabs closed (each page asks
the server to shut its kernel down as it closes; culling, shortened here to ``--cull``
seconds, takes the rest) and when they were all gone, when the pool was full and built
again, the page-build errors in the server log, and where the CPU went during the burst
(kernels, server, and the Chromium clients, which share this machine's cores here but run
on the staff's own computers in real use).

For this measurement the page-build limits are raised (``--build-timeout``: the cell
time limit and the kernel start-up limit, 60 s each in ``make serve-shared``, and the wait
for a built page's output, 4 s by default: a pool filling 25 pages at once on two cores
misses it). A kernel taken from the pool is replaced after ``config/shared/voila.py``'s
``fill_delay`` (``--fill-delay`` to try another). The server's log is kept in
``/tmp/tpop-bench-voila.log``.

Usage: ``python benchmarks/load.py [--levels 10 25] [--pool 25] [--write]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import record_goals, write_section  # noqa: E402
from _voila import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    all_pids,
    cpu_seconds,
    descends_from,
    kernel_pid,
    memory_mb,
    percentile,
    server_kernels,
    total_memory_mb,
    voila,
    wait_for_pool,
)

HEADING = "### Many staff at once"
ORDER = "order: L-{n}\nshipped at: 2026-11-02 10:00\nstatus: in_transit\ncountry: BE"
PAGE = "order_assistant.ipynb"
TIMEOUT = 300_000
CULL_INTERVAL = 5
#: What the server logs when a page (a visitor's or a pooled one) fails to build.
BUILD_ERRORS = re.compile(r"timed out|TimeoutError|Timeout waiting|didn't respond|"
                          r"Kernel died|DeadKernelError|CellExecutionError")
KERNEL_ID_JS = "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"


async def session(browser, server, n: int) -> dict:  # noqa: ANN001
    """One visit: seconds to the page ready and to the outcome (None: failed, and where)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    start = time.perf_counter()
    visit = {"ready": None, "outcome": None, "failed": "", "kernel": ""}
    step = "page"
    try:
        await page.goto(server.page(PAGE), timeout=TIMEOUT)
        step = "page ready"
        await page.wait_for_selector(".tpop-order-input textarea:enabled", timeout=TIMEOUT)
        visit["ready"] = time.perf_counter() - start
        visit["kernel"] = await page.evaluate(KERNEL_ID_JS)
        step = "outcome"
        await page.locator(".tpop-order-input textarea").fill(ORDER.format(n=n))
        await page.click(".tpop-triage-button", timeout=TIMEOUT)
        await page.wait_for_selector(f'.tpop-outcome:has-text("L-{n}")', timeout=TIMEOUT)
        visit["outcome"] = time.perf_counter() - start
    except Exception as exc:  # a failed session is counted, not fatal
        visit["failed"] = f"{step}: {type(exc).__name__}"
    finally:
        # The tab is closed normally: the page asks the server to shut its kernel down.
        try:
            closing = page.wait_for_event("close", timeout=10_000)
            await page.close(run_before_unload=True)
            await closing
        except Exception:  # noqa: S110 - a page that does not close is closed with its context
            pass
        await context.close()
    return visit


async def level(server, sessions: int) -> dict:  # noqa: ANN001
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        options = {"args": CHROMIUM_ARGS}
        if CHROMIUM.exists():
            options["executable_path"] = str(CHROMIUM)
        browser = await playwright.chromium.launch(**options)
        peak = {"kernels_pss": 0.0, "kernels_rss": 0.0, "server": 0.0, "count": 0}
        cpu: dict[int, tuple[str, float, float]] = {}  # pid -> (who, first seen, last seen)

        def account() -> None:
            """CPU used during the burst, by the kernels, the server and the browser."""
            for pid in all_pids():
                if pid in cpu:
                    who, first, _ = cpu[pid]
                elif pid == server.pid:
                    who, first = "server", cpu_seconds(pid)
                elif descends_from(pid, server.pid):
                    who, first = "kernels", cpu_seconds(pid) if not started else 0.0
                elif descends_from(pid, os.getpid()):
                    who, first = "browser", cpu_seconds(pid) if not started else 0.0
                else:
                    continue
                used = cpu_seconds(pid)
                cpu[pid] = (who, first, max(used, cpu.get(pid, ("", 0.0, 0.0))[2]))

        started = False
        account()  # what existed before the burst counts from now on
        started = True

        async def watch() -> None:
            while True:
                account()
                pids = server_kernels(server)
                total = total_memory_mb(pids)
                peak["kernels_pss"] = max(peak["kernels_pss"], total["pss"])
                peak["kernels_rss"] = max(peak["kernels_rss"], total["rss"])
                peak["server"] = max(peak["server"], memory_mb(server.pid)["rss"])
                peak["count"] = max(peak["count"], len(pids))
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        began = time.perf_counter()
        visits = await asyncio.gather(*(session(browser, server, n) for n in range(sessions)))
        wall = time.perf_counter() - began
        watcher.cancel()
        account()
        await browser.close()
    used = Counter()
    for who, first, last in cpu.values():
        used[who] += max(0.0, last - first)
    done = [v["outcome"] for v in visits if v["outcome"] is not None]
    ready = [v["ready"] for v in visits if v["ready"] is not None]
    return {
        "sessions": sessions,
        "success": len(done) / sessions,
        "p50": percentile(done, 0.5) if done else float("nan"),
        "p95": percentile(done, 0.95) if done else float("nan"),
        "ready_p50": percentile(ready, 0.5) if ready else float("nan"),
        "failures": Counter(v["failed"] for v in visits if v["failed"]),
        "kernels": [v["kernel"] for v in visits if v["kernel"]],
        "wall": wall,
        "cpu": dict(used),
        **peak,
    }


def after_close(server, kernels: list[str], pool: int, limit: float) -> dict:  # noqa: ANN001
    """After the sessions closed: their kernels left, when they were gone, the pool refilled."""
    start = time.monotonic()
    left = sum(kernel_pid(k) is not None for k in kernels)
    gone = float("nan")
    while time.monotonic() - start < limit:
        if all(kernel_pid(k) is None for k in kernels):
            gone = time.monotonic() - start
            break
        time.sleep(1)
    refilled = float("nan")
    if pool:
        remaining = max(limit - (time.monotonic() - start), 60)
        refilled = time.monotonic() - start + wait_for_pool(server, pool, remaining)
    return {"left": left, "gone": gone, "refilled": refilled,
            "after": len(server_kernels(server))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 25])
    parser.add_argument("--pool", type=int, default=None,
                        help="preheated order assistant kernels (default: the largest level; "
                             "0: none)")
    parser.add_argument("--build-timeout", type=int, default=300,
                        help="seconds a page may take to build, a kernel to start, and a "
                             "built page's output to arrive")
    parser.add_argument("--fill-delay", type=float, default=None,
                        help="seconds before the pool replaces a kernel taken (default: "
                             "config/shared/voila.py's)")
    parser.add_argument("--cull", type=int, default=120, help="idle seconds before culling")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    pool = max(args.levels) if args.pool is None else args.pool
    extra = ["--preheat_kernel=True", f"--pool_size={pool}"] if pool else []
    config = {
        "MappingKernelManager": {"cull_idle_timeout": args.cull,
                                 "cull_interval": CULL_INTERVAL},
        "VoilaExecutor": {"timeout": args.build_timeout,
                          "startup_timeout": args.build_timeout,
                          "iopub_timeout": args.build_timeout},
    }
    if args.fill_delay is not None:
        config["VoilaKernelManager"] = {"fill_delay": args.fill_delay}
    rows = []
    with voila(extra, config=config, shared=True) as server:
        logged = 0
        for sessions in args.levels:
            filled = wait_for_pool(server, pool, 900) if pool else 0.0
            pooled = total_memory_mb(server_kernels(server))
            fill_errors = len(BUILD_ERRORS.findall(server.log()[logged:]))
            logged = len(server.log())
            result = asyncio.run(level(server, sessions))
            closed = after_close(server, result.pop("kernels"), pool,
                                 args.cull * 4 + 4 * CULL_INTERVAL + 300)
            errors = len(BUILD_ERRORS.findall(server.log()[logged:]))
            logged = len(server.log())
            rows.append({**result, **closed, "fill": filled, "pool_mb": pooled,
                         "errors": errors, "fill_errors": fill_errors})
            print(rows[-1], flush=True)
    report = "\n".join(render(rows, pool, args))
    print(report)
    if args.write:
        write_section(HEADING, report)
        record_goals("load", [
            (f"{r['sessions']} staff at once on one server, all succeed"
             + (f" (preheated pool of {pool})" if pool else ""),
             f"{r['success']:.0%}, outcome p50 {r['p50']:.0f} s / p95 {r['p95']:.0f} s",
             r["success"] == 1.0)
            for r in rows
        ], dt.date.today().isoformat())


def render(rows: list[dict], pool: int, args: argparse.Namespace) -> list[str]:
    refill = ("`config/shared/voila.py`'s `fill_delay`" if args.fill_delay is None
              else f"{args.fill_delay:g} s")
    preheat = (f"a pool of {pool} preheated order assistant kernels "
               f"(`--preheat_kernel=True --pool_size={pool}`; a kernel taken is replaced "
               f"after {refill})" if pool else "no preheated kernels")
    lines = [
        f"{HEADING} ({dt.date.today().isoformat()})",
        "",
        "`benchmarks/load.py`: every session opens the order assistant in its own browser "
        "context at the same instant, pastes an order and waits for the outcome; one "
        "`make serve-shared` server (token, `config/shared/voila.py`) on this machine, "
        f"with {preheat}; for the measurement, pages may take {args.build_timeout} s to "
        "build (start-up, cell and output limits) and idle kernels are culled after "
        f"{args.cull} s (checked every {CULL_INTERVAL} s). Chromium runs on the same "
        "machine. Times from navigation; "
        "memory: the kernels' PSS summed (what the machine holds; RSS summed beside it) "
        "and the server's RSS, at the peak.",
        "",
        "| sessions | succeeded | page ready p50 | outcome p50 | outcome p95 "
        "| kernels at peak | kernels' memory (PSS / RSS) | server memory "
        "| sessions' kernels left at close | all shut down after | pool refilled after "
        "| kernels then | page-build errors logged |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['sessions']} | {r['success']:.0%} | {r['ready_p50']:.1f} s | "
            f"{r['p50']:.1f} s | {r['p95']:.1f} s | {r['count']} | "
            f"{r['kernels_pss']:,.0f} / {r['kernels_rss']:,.0f} MB | {r['server']:.0f} MB | "
            f"{r['left']} | {r['gone']:.0f} s | "
            + (f"{r['refilled']:.0f} s" if pool else "–") + f" | {r['after']} | {r['errors']} |"
        )
    if pool:
        lines += ["", "The pool, waited for before each burst until full and built:", "",
                  "| before the level of | waited (from) | pool's memory (PSS / RSS) "
                  "| page-build errors logged meanwhile |",
                  "| ---: | ---: | ---: | ---: |"]
        for i, r in enumerate(rows):
            since = "server start" if i == 0 else "previous level's end"
            lines.append(f"| {r['sessions']} sessions | {r['fill']:.0f} s ({since}) | "
                         f"{r['pool_mb']['pss']:,.0f} / {r['pool_mb']['rss']:,.0f} MB | "
                         f"{r['fill_errors']} |")
    lines += ["", f"Where the CPU went during each burst ({os.cpu_count()} cores), in CPU seconds:",
              "", "| sessions | burst (wall) | kernels | Voila server | Chromium (the clients) |",
              "| ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        used = r["cpu"]
        lines.append(f"| {r['sessions']} | {r['wall']:.0f} s | {used.get('kernels', 0):.0f} s | "
                     f"{used.get('server', 0):.0f} s | {used.get('browser', 0):.0f} s |")
    failures = [(r["sessions"], r["failures"]) for r in rows if r["failures"]]
    if failures:
        lines += ["", "Failed sessions, by the step they were at: " + "; ".join(
            f"{n} sessions: " + ", ".join(f"{why} × {count}" for why, count in f.items())
            for n, f in failures
        ) + "."]
    return lines


if __name__ == "__main__":
    main()
