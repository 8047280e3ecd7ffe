"""Writing benchmarks/RESULTS.md: one section per benchmark, and the goals table on top.

Each benchmark replaces its own ``### <heading>`` section (:func:`write_section`) and
records its goal rows (:func:`record_goals`) in ``benchmarks/goals.json``; the table
between the ``goals`` markers of RESULTS.md is rebuilt from that file every time, so
``make bench`` leaves no stale figure in it. The prose around the table is written by
hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
GOALS = Path(__file__).resolve().parent / "goals.json"
START, END = "<!-- goals:start (written by benchmarks/_results.py) -->", "<!-- goals:end -->"
#: the order of the benchmarks in the table
ORDER = ("bulk", "bulk-realistic", "pages", "pages-preheated", "load", "capacity", "dask")


def write_section(heading: str, report: str) -> None:
    """Put ``report`` (starting with ``### <heading>``) in RESULTS.md, replacing the old one."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    text = re.sub(re.escape(heading) + r".*?(?=\n### |\Z)", "", text, flags=re.S).rstrip()
    RESULTS.write_text(text + "\n\n" + report + "\n", encoding="utf-8")


def record_goals(source: str, rows: list[tuple[str, str, bool | None]], when: str) -> None:
    """Keep ``source``'s goal rows (goal, result, met; None: no goal, a figure to report)
    measured on ``when``, and rebuild the goals table of RESULTS.md from all of them."""
    goals = json.loads(GOALS.read_text(encoding="utf-8")) if GOALS.exists() else {}
    goals[source] = {"when": when, "rows": [list(row) for row in rows]}
    GOALS.write_text(json.dumps(goals, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    table = render_goals(goals)
    if START in text and END in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END),
                      lambda _: f"{START}\n{table}\n{END}", text, flags=re.S)
    else:
        text = text.rstrip() + f"\n\n## Against the goals (issue 8)\n\n{START}\n{table}\n{END}\n"
    RESULTS.write_text(text, encoding="utf-8")


def render_goals(goals: dict) -> str:
    lines = ["| goal | result | met? | measured |", "| --- | --- | --- | --- |"]
    for source in sorted(goals, key=lambda s: ORDER.index(s) if s in ORDER else len(ORDER)):
        for goal, result, met in goals[source]["rows"]:
            verdict = "–" if met is None else ("yes" if met else "**no**")
            lines.append(f"| {goal} | {result} | {verdict} | {goals[source]['when']} |")
    return "\n".join(lines)
