"""The Dask engine gives the pandas engine's results, partition by partition, in order."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import SAMPLES, SAMPLES_AS_OF

from tpop_kb import OUTPUT_COLUMNS, OrderFileError, read_orders, triage_frame

pytest.importorskip("dask.distributed")

from tpop_kb.dask_engine import read_dask_output, triage_dask  # noqa: E402


def expected(path) -> pd.DataFrame:
    frame = triage_frame(read_orders(path).orders, SAMPLES_AS_OF)
    return frame.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["orders.csv", "orders_fr.csv"])
def test_csv_on_a_two_worker_cluster_matches_pandas(tmp_path, sample):
    result = triage_dask(SAMPLES / sample, tmp_path / "out", SAMPLES_AS_OF, blocksize=10000,
                         workers=2)
    assert len(result.files) >= 2  # several partitions
    got = read_dask_output(result.files)
    want = expected(SAMPLES / sample)
    assert list(got.columns) == list(OUTPUT_COLUMNS)
    assert got.to_dict("records") == want.reset_index(drop=True).to_dict("records")
    assert result.counts == want["outcome"].value_counts().to_dict()
    assert result.rows == 360


@pytest.mark.slow
def test_parquet_in_and_out(tmp_path):
    table = read_orders(SAMPLES / "orders.csv")
    source = tmp_path / "orders.parquet"
    typed = table.raw.copy()
    typed["shipped_at"] = pd.to_datetime(typed["shipped_at"], errors="coerce")
    typed.to_parquet(source)
    result = triage_dask(source, tmp_path / "out.parquet", SAMPLES_AS_OF, workers=2)
    got = as_text(read_dask_output(result.files))
    want = triage_frame(table.orders, SAMPLES_AS_OF)
    # invalid dates became NaT in the typed file: compare the rows that had a valid date
    valid = typed["shipped_at"].notna() | (table.raw["shipped_at"] == "")
    assert got[valid.to_numpy()].to_dict("records") == as_text(want)[valid].reset_index(
        drop=True).to_dict("records")


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(OrderFileError, match="no such file"):
        triage_dask(tmp_path / "nope.csv", tmp_path / "out", dt.datetime(2026, 11, 26))


@pytest.mark.slow
def test_cli_engine_dask(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    out = tmp_path / "parts"
    done = subprocess.run(
        [sys.executable, "-m", "tpop_kb", "triage", str(SAMPLES / "orders_fr.csv"),
         "--as-of", "2026-11-26T10:00", "--engine", "dask", "--output", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "360 orders" in done.stderr
    got = read_dask_output(sorted(out.glob("part-*.csv")))
    assert got.to_dict("records") == expected(SAMPLES / "orders_fr.csv").reset_index(
        drop=True).to_dict("records")
    refused = subprocess.run(
        [sys.executable, "-m", "tpop_kb", "triage", str(SAMPLES / "orders.csv"), "--engine",
         "dask"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert refused.returncode == 2 and "give --output FOLDER" in refused.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["orders.csv", "orders_fr.csv"])
def test_parts_are_the_command_lines_bytes(tmp_path, sample):
    """The same engine on each partition: the parts, the header line of all but the first
    taken out, are byte for byte the single-process command line's output."""
    from tpop_kb.cli import main

    single = tmp_path / "single.csv"
    assert main(["triage", str(SAMPLES / sample), "--as-of", "2026-11-26T10:00",
                 "--output", str(single)]) == 0
    result = triage_dask(SAMPLES / sample, tmp_path / "parts", SAMPLES_AS_OF, blocksize=7000,
                         workers=2)
    assert len(result.files) >= 3
    joined = b""
    for number, path in enumerate(result.files):
        data = path.read_bytes()
        joined += data if number == 0 else data[data.index(b"\n") + 1 :]
    assert joined == single.read_bytes()
