"""Many staff at once: concurrent browser sessions on the order assistant, one server.

For each level (default 10, then 25 sessions) every session opens the order assistant in
its own browser context, pastes an order, clicks, and waits for the outcome card. Reports
the success rate, p50/p95 time from navigation to outcome, the memory of the server and
its kernels at the peak, and how many kernels are left after the sessions close (Voila
keeps a closed tab's kernel until culling: here the idle timeout is shortened so the
count can be watched falling back to the preheated pool).

Usage: ``python benchmarks/load.py [--levels 10 25] [--pool 2] [--write]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import write_section  # noqa: E402
from _voila import CHROMIUM, CHROMIUM_ARGS, kernel_memory_mb, percentile, voila  # noqa: E402

ORDER = "order: L-{n}\nshipped at: 2026-11-02 10:00\nstatus: in_transit\ncountry: BE"
TIMEOUT = 300_000
CULL_IDLE = 30
CULL_INTERVAL = 5


def server_memory_mb() -> float:
    out = subprocess.run(["ps", "-eo", "rss,args"], capture_output=True, text=True).stdout
    return sum(int(line.split(None, 1)[0]) / 1024 for line in out.splitlines()[1:]
               if "-m voila" in line)


async def session(browser, base: str, n: int) -> float | None:  # noqa: ANN001
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await page.goto(f"{base}/voila/render/order_assistant.ipynb", timeout=TIMEOUT)
        area = page.locator(".tpop-order-input textarea")
        await area.wait_for(state="visible", timeout=TIMEOUT)
        await area.fill(ORDER.format(n=n))
        await page.click(".tpop-triage-button", timeout=TIMEOUT)
        await page.wait_for_selector(f'.tpop-outcome:has-text("L-{n}")', timeout=TIMEOUT)
        return time.perf_counter() - start
    except Exception:  # a failed session is counted, not fatal
        return None
    finally:
        await context.close()


async def level(base: str, sessions: int) -> dict[str, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        options = {"args": CHROMIUM_ARGS}
        if CHROMIUM.exists():
            options["executable_path"] = str(CHROMIUM)
        browser = await playwright.chromium.launch(**options)
        peak = {"kernels": 0.0, "server": 0.0}

        async def watch() -> None:
            while True:
                peak["kernels"] = max(peak["kernels"], sum(kernel_memory_mb()))
                peak["server"] = max(peak["server"], server_memory_mb())
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        results = await asyncio.gather(*(session(browser, base, n) for n in range(sessions)))
        watcher.cancel()
        await browser.close()
    ok = [r for r in results if r is not None]
    return {
        "sessions": sessions,
        "success": len(ok) / sessions,
        "p50": percentile(ok, 0.5) if ok else float("nan"),
        "p95": percentile(ok, 0.95) if ok else float("nan"),
        "kernels_mb": peak["kernels"],
        "server_mb": peak["server"],
    }


def kernels_after_close(pool: int, limit: float) -> tuple[int, float]:
    """Kernels left right after the sessions closed, and seconds until back to the pool."""
    left = len(kernel_memory_mb())
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if len(kernel_memory_mb()) <= pool:
            return left, time.monotonic() - start
        time.sleep(1)
    return left, float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 25])
    parser.add_argument("--pool", type=int, default=2, help="preheated kernels (0: none)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    extra = [f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE}",
             f"--MappingKernelManager.cull_interval={CULL_INTERVAL}"]
    if args.pool:
        extra += ["--preheat_kernel=True", f"--pool_size={args.pool}"]
    rows = []
    with voila(extra) as base:
        time.sleep(5 if args.pool else 0)  # let the pool warm
        for sessions in args.levels:
            result = asyncio.run(level(base, sessions))
            left, back = kernels_after_close(args.pool, CULL_IDLE * 4)
            rows.append({**result, "left": left, "back": back})
    lines = [
        f"### Many staff at once ({dt.date.today().isoformat()})",
        "",
        f"One Voila server, preheated pool of {args.pool}, idle kernels culled after "
        f"{CULL_IDLE} s (checked every {CULL_INTERVAL} s) for this measurement.",
        "",
        "| sessions | succeeded | p50 to outcome | p95 to outcome | kernels' memory (peak) "
        "| server memory | kernels left at close | back to the pool after |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['sessions']} | {r['success']:.0%} | {r['p50']:.1f} s | {r['p95']:.1f} s | "
            f"{r['kernels_mb']:.0f} MB | {r['server_mb']:.0f} MB | {r['left']} | "
            f"{r['back']:.0f} s |"
        )
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section("### Many staff at once", report)


if __name__ == "__main__":
    main()
