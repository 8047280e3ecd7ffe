"""Writing one section of benchmarks/RESULTS.md, replacing the section of the same heading."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(heading: str, report: str) -> None:
    """Put ``report`` (starting with ``### <heading>``) in RESULTS.md, replacing the old one."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    text = re.sub(re.escape(heading) + r".*?(?=\n### |\Z)", "", text, flags=re.S).rstrip()
    RESULTS.write_text(text + "\n\n" + report + "\n", encoding="utf-8")
