"""Shared fixtures: paths and the sample files."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SAMPLES_AS_OF = dt.datetime(2026, 11, 26, 10, 0)

sys.path.insert(0, str(ROOT / "benchmarks"))

# Pages record events (tpop_kb/events.py): never into the user's real data folder from a
# test run. A test that wants its own store sets TPOP_KB_EVENTS_DB itself.
os.environ.setdefault(
    "TPOP_KB_EVENTS_DB",
    str(Path(tempfile.mkdtemp(prefix="tpop-events-")) / "events.sqlite3"),
)  # orders_gen: the sample generator


@pytest.fixture
def events_db(tmp_path, monkeypatch):
    """An event store of the test's own (``TPOP_KB_EVENTS_DB``), recording on: the
    path of its SQLite file (not created until something is recorded)."""
    path = tmp_path / "events.sqlite3"
    monkeypatch.setenv("TPOP_KB_EVENTS_DB", str(path))
    monkeypatch.delenv("TPOP_KB_EVENTS", raising=False)
    return path


@pytest.fixture
def kb():
    from tpop_kb import knowledge

    return knowledge()


@pytest.fixture
def tree(kb):
    return kb.tree


# ---------------------------------------------------------------------------
# Shared helpers: wording trees and the widgets of a page
# ---------------------------------------------------------------------------


def wording_leaves(node, where):
    """Every ``{en, fr}`` text under ``node`` of the page wording, as ``(where, texts)``;
    anything else than a mapping or such a pair fails, naming where."""
    if isinstance(node, dict) and set(node) == {"en", "fr"}:
        yield where, node
    else:
        assert isinstance(node, dict), f"{where}: expected a mapping or {{en, fr}}"
        for key, child in node.items():
            yield from wording_leaves(child, f"{where}.{key}")


@pytest.fixture
def leaves():
    """``leaves(kb.ui["landing"], "landing")``: see :func:`wording_leaves`."""
    return wording_leaves


def walk_widgets(widget, *, visible_only: bool = False):
    """The widget and every widget under it, in order (``visible_only``: not below a
    widget whose layout hides it)."""
    if visible_only and getattr(getattr(widget, "layout", None), "display", None) == "none":
        return
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk_widgets(child, visible_only=visible_only)


def widget_html(root, *, visible_only: bool = False, styles: bool = True) -> str:
    """Every ``HTML`` widget's text under ``root`` (an app's ``root``), in order, joined by
    new lines; ``styles=False`` leaves out the style sheets (``<style>`` widgets)."""
    import ipywidgets as widgets

    return "\n".join(
        w.value for w in walk_widgets(root, visible_only=visible_only)
        if isinstance(w, widgets.HTML) and (styles or not w.value.startswith("<style>"))
    )
