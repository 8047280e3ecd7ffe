"""Broken and hostile input: every file of tests/corpus/ gets a clear message, never a traceback,
and a file that is read gives one result row per order (rows in = rows out)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES_AS_OF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tpop_kb import OrderFileError, order_from_record, read_orders, triage_frame, triage_order

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def test_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".xlsx")}
    assert files == set(EXPECTED)
    assert len(files) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reader(name):
    expected = EXPECTED[name]
    if "error" in expected:
        with pytest.raises(OrderFileError) as info:
            read_orders(CORPUS / name)
        message = str(info.value)
        assert expected["error"] in message
        assert message.startswith(name + ": ")
        return
    table = read_orders(CORPUS / name)
    result = triage_frame(table.orders, SAMPLES_AS_OF)
    assert table.rows == len(table.orders) == len(result) == expected["rows"]
    invalid = result[result["outcome"] == "invalid_input"]
    assert len(invalid) == expected["invalid"]
    for text, error in zip(expected.get("error_has", []), invalid["error"], strict=False):
        assert text in error
    if expected.get("note"):
        assert any(expected["note"] in note for note in table.notes), table.notes


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if "error" in e))
def test_cli_says_one_clear_line(name):
    done = subprocess.run([sys.executable, "-m", "tpop_kb", "triage", str(CORPUS / name)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and EXPECTED[name]["error"] in lines[0]


def test_clean_values():
    table = read_orders(CORPUS / "spaces_nbsp.csv")
    row = table.orders.iloc[0]
    assert row["order_id"] == "N1" and row["destination_country"] == "BE"
    assert row["tracking_status"] == "in_transit"
    serial = read_orders(CORPUS / "excel_serial_dates.csv").orders["shipped_at"]
    assert [str(v) for v in serial] == ["2026-11-19 23:59:59", "2026-11-19 18:00:00"]


def test_utf16_and_mixed_encodings_keep_accents():
    assert read_orders(CORPUS / "utf16_tab.csv").orders["destination_country"].iloc[0] == "DE"
    mixed = read_orders(CORPUS / "mixed_encoding.csv").orders
    assert list(mixed["destination_country"]) == ["US", "EG"]


# ---------------------------------------------------------------------------
# Fuzz: no input makes the reader raise anything but OrderFileError
# ---------------------------------------------------------------------------

CELLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "2026-11-24", "24/11/2026 09:00", "46350", "FR", "Belgique", "livré",
                     "none", "oui", '"', "\r", "\n", ";", ",", "\t", "\x00", "=1+1", "é"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_reader_bytes(data):
    try:
        table = read_orders(data, name="fuzz.csv")
    except OrderFileError as exc:
        assert str(exc).startswith("fuzz.csv: ")
        return
    assert len(table.orders) == table.rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(["order_id", "shipped_at", "pays", "statut", "claim", "synced",
                              "tracking", "x"]), min_size=1, max_size=6),
    st.lists(st.lists(CELLS, max_size=7), max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "cp1252", "utf-16", "utf-8-sig"]),
)
def test_fuzz_reader_csv(header, rows, delimiter, encoding):
    text = "\n".join(delimiter.join(r) for r in [header, *rows])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        table = read_orders(data, name="fuzz.csv")
    except OrderFileError:
        return
    result = triage_frame(table.orders, SAMPLES_AS_OF)
    assert len(result) == table.rows


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["order", "shipped at", "pays", "status", "claim",
                                        "synced", "tracking number", "other"]), CELLS))
def test_fuzz_records_never_raise(record):
    decision = triage_order(order_from_record(record), SAMPLES_AS_OF)
    assert decision.code
