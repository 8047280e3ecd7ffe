"""Dask beside one process: ``triage --engine dask`` against the default engine, same file.

For each size (default 1M orders) it generates the bulk benchmark's order file
(:func:`bulk.make_file`, so both benchmarks share the file and its cache), then times the
whole process with :func:`bulk.timed` (wall time and peak memory of the parent process
from ``/usr/bin/time -v``), alternating the two engines, median of ``--runs`` (at least 5):

- ``one process``: ``python -m tpop_kb triage FILE --as-of … --output F.csv`` (the default
  engine);
- ``dask``: ``python -m tpop_kb triage FILE --as-of … --engine dask --output DIR``: a local
  cluster of 2 single-threaded worker processes, partitions of at most 64 MB (at least
  one per worker), one CSV part per partition, each triaged by the same engine.

The two outputs are compared byte for byte once per size (the parts joined, their header
lines but the first taken out), so the timing is of two runs of one engine.

Usage: ``python benchmarks/dask_bench.py [--sizes 1000000] [--runs 5] [--write]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import record_goals, write_section  # noqa: E402
from bulk import AS_OF, PYTHON, SHAPES, machine, make_file, timed  # noqa: E402

HEADING = "### Dask beside one process"
#: What a partition of the local cluster holds (tpop_kb.dask_engine's default).
BLOCKSIZE = "64MB"


def _rows(paths: list[Path]) -> list[list[str]]:
    """Every data row of CSV files written by the CLI, header checked and dropped."""
    rows: list[list[str]] = []
    header: list[str] | None = None
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            first = next(reader)
            if header is None:
                header = first
            elif first != header:
                raise SystemExit(f"{path.name}: header differs from the first part's")
            rows.extend(reader)
    return rows


def same_results(pandas_csv: Path, dask_dir: Path) -> bool:
    """The parts, joined (header lines but the first taken out), are the single process's
    bytes."""
    parts = sorted(dask_dir.glob("part-*.csv"))
    joined = bytearray()
    for number, path in enumerate(parts):
        data = path.read_bytes()
        joined += data if number == 0 else data[data.index(b"\n") + 1 :]
    return bool(parts) and bytes(joined) == pandas_csv.read_bytes()


def measure(size: int, runs: int, folder: Path, shape: str = "generated") -> dict[str, float]:
    source = make_file(size, folder, shape)
    pandas_out = folder / f"single_{shape}_{size}.csv"
    dask_out = folder / f"dask_{shape}_{size}"
    pandas_cli = [PYTHON, "-m", "tpop_kb", "triage", str(source), "--as-of", AS_OF,
                  "--output", str(pandas_out)]
    dask_cli = [PYTHON, "-m", "tpop_kb", "triage", str(source), "--as-of", AS_OF,
                "--engine", "dask", "--output", str(dask_out)]
    # Warm the file cache and check the engines agree before timing them.
    timed(pandas_cli)
    shutil.rmtree(dask_out, ignore_errors=True)
    timed(dask_cli)
    if not same_results(pandas_out, dask_out):
        raise SystemExit(f"{size:,} orders: the Dask output differs from one process's")
    pandas_runs, dask_runs = [], []
    for _ in range(runs):
        pandas_runs.append(timed(pandas_cli))
        shutil.rmtree(dask_out, ignore_errors=True)  # every run writes a fresh folder
        dask_runs.append(timed(dask_cli))
    return {
        "size": size,
        "bytes": source.stat().st_size,
        "parts": len(list(dask_out.glob("part-*.csv"))),
        "pandas_s": statistics.median(t for t, _ in pandas_runs),
        "pandas_mb": statistics.median(m for _, m in pandas_runs),
        "dask_s": statistics.median(t for t, _ in dask_runs),
        "dask_min": min(t for t, _ in dask_runs),
        "dask_max": max(t for t, _ in dask_runs),
        "dask_mb": statistics.median(m for _, m in dask_runs),
    }


def table(results: list[dict[str, float]]) -> str:
    lines = [
        "| orders | file | one process | Dask, local cluster | runs (Dask) "
        "| Dask ÷ one process | output parts | peak memory one process / Dask |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['bytes'] / 2**20:.1f} MB | {r['pandas_s']:.2f} s | "
            f"{r['dask_s']:.2f} s | {r['dask_min']:.1f}–{r['dask_max']:.1f} s | "
            f"{r['dask_s'] / r['pandas_s']:.2f}× | {r['parts']} | "
            f"{r['pandas_mb']:.0f} / {r['dask_mb']:.0f} MB |"
        )
    return "\n".join(lines)


def dask_result(r: dict[str, float]) -> str:
    return (f"Dask {r['dask_s']:.1f} s beside one process {r['pandas_s']:.1f} s on this 2-core "
            f"machine, {r['dask_s'] / r['pandas_s']:.1f}× (outputs byte for byte the same)")


def reading(r: dict[str, float]) -> str:
    """What the figures say; the one-machine capacity is derived from a large run's peak."""
    verdict = (
        f"Dask takes {r['dask_s'] / r['pandas_s']:.1f}× the single process's time here"
        if r["dask_s"] >= r["pandas_s"]
        else f"Dask is {r['pandas_s'] / r['dask_s']:.1f}× faster than one process here"
    )
    capacity = ""
    if r["size"] >= 500_000:  # below that, start-up dominates the peak memory
        per_million = r["pandas_mb"] / r["size"] * 1_000_000
        memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
        fits = memory_mb * 0.75 / per_million  # millions of orders; a quarter for the rest
        capacity = (
            f": one process peaked at about {per_million:,.0f} MB a million orders "
            f"in this run, so this machine ({memory_mb / 1024:.0f} GiB, a quarter kept for "
            f"the rest) triages about {fits:,.0f} million orders in one go"
        )
    return (
        f"Reading: {verdict}. On one {os.cpu_count()}-core machine Dask adds the cluster's "
        "start-up and moving partitions between processes, and splits the same per-row work "
        "over the same cores. On paper, Dask on a cluster pays off once one machine's memory "
        f"or time budget is exceeded{capacity}. Beyond that (years of history across "
        "merchants), or when the answer is needed sooner than one machine's cores allow, "
        "partitions spread over N workers scale close to linearly, since each partition is "
        "triaged on its own (no shuffle); the fixed costs are the cluster's start-up and a "
        "few milliseconds of scheduling a partition."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shape", choices=SHAPES, default="generated",
                        help="the order file's shape (see benchmarks/bulk.py)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "tpop_bench")
    args = parser.parse_args()
    if args.write and args.runs < 5:
        parser.error("--write needs --runs 5 or more (RESULTS.md figures are medians of ≥ 5)")
    args.data.mkdir(parents=True, exist_ok=True)
    results = [measure(size, args.runs, args.data, args.shape) for size in args.sizes]
    report = (
        f"{HEADING} ({dt.date.today().isoformat()})\n\n{machine()}\n\n"
        f"`python -m tpop_kb triage FILE --engine dask --output DIR` (a local cluster of 2 "
        f"single-threaded worker processes, partitions of at most {BLOCKSIZE} and at least "
        f"one per worker, one CSV part per partition, each triaged by the same engine) "
        f"against `python -m tpop_kb triage FILE --output F.csv` (one process), same file, "
        f"the two alternated in the same run; median of {args.runs} runs each, whole "
        f"processes including start-up (the cluster's too). The outputs were checked byte "
        f"for byte first (the parts joined, header lines but the first taken out). Peak "
        f"memory: GNU time's maximum resident set size (for Dask, of the largest single "
        f"process, not the sum of the workers').\n\n"
        + table(results)
        + "\n\n"
        + reading(results[-1])
    )
    print(report)
    if args.write:
        write_section(HEADING, report)
        rows = []
        for r in results:
            if r["size"] == 1_000_000:
                rows.append(("Dask at 1M orders on two local workers, within 3× one process",
                             dask_result(r), r["dask_s"] <= 3 * r["pandas_s"]))
            else:
                rows.append((f"Dask at {r['size']:,} orders on two local workers (a figure to "
                             "report)", dask_result(r), None))
        record_goals("dask", rows, dt.date.today().isoformat())


if __name__ == "__main__":
    main()
