"""Shared fixtures: paths and the sample files."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SAMPLES_AS_OF = dt.datetime(2026, 11, 26, 10, 0)

sys.path.insert(0, str(ROOT / "benchmarks"))  # orders_gen: the sample generator


@pytest.fixture
def kb():
    from tpop_kb import knowledge

    return knowledge()


@pytest.fixture
def tree(kb):
    return kb.tree
