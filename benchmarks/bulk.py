"""Bulk triage benchmark: the whole ``python -m tpop_kb triage`` process against two references.

For each size (default 10k, 100k and 1M orders) it generates an order file (every
outcome, ISO and French dates, country names and codes, some invalid rows), then times,
in the same run, median of ``--runs`` (at least 5):

- ``tpop_kb``: the whole CLI process (start-up, read, validate, triage, write), with its
  peak memory from ``/usr/bin/time -v``;
- ``io floor``: one process with no logic that moves the same bytes: pyarrow reads the
  input file, then reads the project's own output file and writes it back;
- ``row by row``: a plain-Python reference of the same rules, one row at a time
  (``csv`` module, the single-order engine ``triage_order``, ``csv`` writer).

Two shapes of file (``--shape``):

- ``generated`` (the default): the generator's own (``orders_gen.generate_orders``): ship
  times on the quarter hour, numbers and moments often repeated;
- ``realistic``: shaped like a real shop's export (``orders_gen.realistic_csv``): ship times
  to the second (nearly all distinct), each order its own S10 number (a few Colissimo,
  about 1 % with a wrong check digit, some blank), countries as codes, English and French
  names, a third of the dates dd/mm/yyyy hh:mm, ids like ``TP-2026-795610`` in random
  order. The engine must not depend on the shape for its speed.

Usage: ``python benchmarks/bulk.py [--shape realistic] [--sizes 10000 100000 1000000]
[--runs 5] [--reference-runs N]``; it prints a Markdown table and, with ``--write``, updates
its section of ``benchmarks/RESULTS.md`` (one per shape) and its goal rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import orders_gen  # noqa: E402
from _results import record_goals, write_section  # noqa: E402

AS_OF = "2026-11-26T10:00"
PYTHON = sys.executable

IO_FLOOR = """
import sys
import pyarrow as pa, pyarrow.csv as pacsv
source, produced, copy = sys.argv[1:4]
options = pacsv.ConvertOptions(strings_can_be_null=False)
pacsv.read_csv(source, convert_options=options)
table = pacsv.read_csv(produced, convert_options=options)
pacsv.write_csv(table, copy)
"""

ROW_BY_ROW = """
import csv, datetime as dt, sys
from tpop_kb import OUTPUT_COLUMNS, order_from_record, triage_order
source, target, as_of = sys.argv[1], sys.argv[2], dt.datetime.fromisoformat(sys.argv[3])
with open(source, newline="", encoding="utf-8") as f, open(target, "w", newline="",
                                                            encoding="utf-8") as out:
    writer = csv.writer(out)
    writer.writerow(OUTPUT_COLUMNS)
    for record in csv.DictReader(f):
        row = triage_order(order_from_record(record), as_of).to_row()
        writer.writerow(["" if row[c] is None else row[c] for c in OUTPUT_COLUMNS])
"""


SHAPES = ("generated", "realistic")
HEADINGS = {"generated": "### Bulk triage", "realistic": "### Real-export shape, bulk triage"}


def make_file(size: int, folder: Path, shape: str = "generated") -> Path:
    if shape == "realistic":
        path = folder / f"orders_realistic_{size}.csv"
        if not path.exists():
            text = orders_gen.realistic_csv(size, orders_gen.SAMPLES_AS_OF, seed=size % 9973)
            path.write_text(text, encoding="utf-8")
        return path
    path = folder / f"orders_{size}.csv"
    if not path.exists():
        rows = orders_gen.generate_orders(size, orders_gen.SAMPLES_AS_OF, seed=size % 9973)
        path.write_text(orders_gen.canonical_csv(rows, french_dates_every=3), encoding="utf-8")
    return path


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process, from GNU time."""
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    hours, minutes, seconds = wall.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return total, rss_kb / 1024


def measure(size: int, runs: int, folder: Path, reference_runs: int,
            shape: str = "generated") -> dict[str, float]:
    source = make_file(size, folder, shape)
    output = folder / f"result_{shape}_{size}.csv"
    copy = folder / f"copy_{shape}_{size}.csv"
    cli = [PYTHON, "-m", "tpop_kb", "triage", str(source), "--as-of", AS_OF,
           "--output", str(output)]
    floor = [PYTHON, "-c", IO_FLOOR, str(source), str(output), str(copy)]
    rowwise = [PYTHON, "-c", ROW_BY_ROW, str(source),
               str(folder / f"rowwise_{shape}_{size}.csv"), AS_OF]
    timed(cli)  # warm the file cache and write the output the floor reads
    cli_runs, floor_runs, row_runs = [], [], []
    for i in range(max(runs, reference_runs)):
        if i < runs:
            cli_runs.append(timed(cli))
            floor_runs.append(timed(floor))
        if i < reference_runs:
            row_runs.append(timed(rowwise))
    return {
        "size": size,
        "cli_s": statistics.median(t for t, _ in cli_runs),
        "cli_mb": statistics.median(m for _, m in cli_runs),
        "floor_s": statistics.median(t for t, _ in floor_runs),
        "rowwise_s": statistics.median(t for t, _ in row_runs) if row_runs else float("nan"),
        "bytes": source.stat().st_size,
    }


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def table(results: list[dict[str, float]], runs: int) -> str:
    lines = [
        "| orders | file | tpop_kb triage (whole process) | I/O floor | ratio to floor "
        "| row-by-row reference | speed-up | peak memory |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['bytes'] / 2**20:.1f} MB | {r['cli_s']:.2f} s | "
            f"{r['floor_s']:.2f} s | {r['cli_s'] / r['floor_s']:.2f}× | "
            + (f"{r['rowwise_s']:.2f} s | {r['rowwise_s'] / r['cli_s']:.1f}× | "
               if r["rowwise_s"] == r["rowwise_s"] else "not run | – | ")
            + f"{r['cli_mb']:.0f} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference-runs", type=int, default=None,
                        help="runs of the row-by-row reference (default: --runs; 0: skip it)")
    parser.add_argument("--shape", choices=SHAPES, default="generated",
                        help="generated (default): the generator's files; realistic: a real "
                        "export's shape (times to the second, one S10 number per order...)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "tpop_bench")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    reference_runs = args.runs if args.reference_runs is None else args.reference_runs
    results = [measure(size, args.runs, args.data, reference_runs, args.shape)
               for size in args.sizes]
    heading = HEADINGS[args.shape]
    shape = ("" if args.shape == "generated" else
             "Files shaped like a real shop's export (`orders_gen.realistic_csv`: ship times "
             "to the second, one S10 number per order, countries as codes and English and "
             "French names, a third of the dates dd/mm/yyyy hh:mm, ids in random order).\n\n")
    reference = (f"the row-by-row reference {reference_runs} run(s)"
                 if reference_runs and reference_runs != args.runs else "")
    report = (
        f"{heading} ({dt.date.today().isoformat()})\n\n{machine()}\n\n{shape}"
        f"Median of {args.runs} runs each{' (' + reference + ')' if reference else ''}, all "
        "three measured in the same run.\n\n"
        + table(results, args.runs)
    )
    print(report)
    if args.write:
        write_section(heading, report)
        if args.shape == "realistic":
            record_goals("bulk-realistic", realistic_goal_rows(results),
                         dt.date.today().isoformat())
        else:
            record_goals("bulk", goal_rows(results), dt.date.today().isoformat())


def goal_rows(results: list[dict[str, float]]) -> list[tuple[str, str, bool | None]]:
    """Issue 8's goals for the sizes measured (10k: time; 1M: ratios and memory)."""
    by_size = {int(r["size"]): r for r in results}
    rows: list[tuple[str, str, bool | None]] = []
    if 10_000 in by_size:
        r = by_size[10_000]
        rows.append(("10k orders, whole `triage` process under 1.5 s", f"{r['cli_s']:.2f} s",
                     r["cli_s"] < 1.5))
    if 1_000_000 in by_size:
        r = by_size[1_000_000]
        ratio, speed = r["cli_s"] / r["floor_s"], r["rowwise_s"] / r["cli_s"]
        rows.append(("1M orders, within 1.5× the I/O floor",
                     f"{ratio:.2f}× ({r['cli_s']:.2f} s against {r['floor_s']:.2f} s)",
                     ratio <= 1.5))
        if speed == speed:  # the reference was run
            rows.append(("1M orders, at least 4× faster than the row-by-row reference",
                         f"{speed:.1f}× ({r['rowwise_s']:.0f} s for the reference)", speed >= 4))
        rows.append(("1M orders, peak memory under 600 MB", f"{r['cli_mb']:.0f} MB",
                     r["cli_mb"] < 600))
    return rows


def realistic_goal_rows(results: list[dict[str, float]]) -> list[tuple[str, str, bool | None]]:
    """Issue 13's goals for the real export's shape (1M: ratio and memory)."""
    by_size = {int(r["size"]): r for r in results}
    if 1_000_000 not in by_size:
        return []
    r = by_size[1_000_000]
    ratio = r["cli_s"] / r["floor_s"]
    return [
        ("1M orders of a real export's shape, within 1.4× the I/O floor",
         f"{ratio:.2f}× ({r['cli_s']:.2f} s against {r['floor_s']:.2f} s)", ratio <= 1.4),
        ("1M orders of a real export's shape, peak memory under 500 MB",
         f"{r['cli_mb']:.0f} MB", r["cli_mb"] < 500),
    ]


if __name__ == "__main__":
    main()
