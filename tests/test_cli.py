"""``python -m tpop_kb``: the same engine, on files, from a shell."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, SAMPLES, SAMPLES_AS_OF

from tpop_kb import OUTPUT_COLUMNS, read_orders, triage_frame


def run(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tpop_kb", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def read_result(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@pytest.mark.parametrize("sample", ["orders.csv", "orders_fr.csv"])
def test_triage_sample_to_stdout_matches_the_engine(sample):
    done = run("triage", str(SAMPLES / sample), "--as-of", "2026-11-26T10:00", "--output", "-")
    assert done.returncode == 0, done.stderr
    got = read_result(done.stdout)
    assert list(got.columns) == list(OUTPUT_COLUMNS)
    expected = triage_frame(read_orders(SAMPLES / sample).orders, SAMPLES_AS_OF)
    expected = expected.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))
    assert got.to_dict("records") == expected.reset_index(drop=True).to_dict("records")
    summary = done.stderr.strip().splitlines()[-1]
    assert summary.startswith("tpop_kb: as of 2026-11-26 10:00 (knowledge base ")
    # the holiday calendar moves deadlines: every run says which one it used
    assert re.search(r", holidays \d+\.\d+\), 360 orders: ", summary), summary
    assert "contact_tpop=" in summary


def test_output_file_and_date_only_as_of(tmp_path):
    out = tmp_path / "out.csv"
    done = run("triage", str(SAMPLES / "orders.csv"), "--as-of", "2026-11-26", "--output", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert "as of 2026-11-26 00:00" in done.stderr
    assert len(read_result(out.read_text(encoding="utf-8"))) == 360


ISSUE_EXAMPLES = [
    # order, shipped, as_of -> outcome, recheck_at
    (
        "EX1",
        "2026-11-20 15:00",
        "BE",
        "none",
        "2026-11-23T09:00",
        "wait_for_activation",
        "2026-11-24T15:00",
    ),
    (
        "EX2",
        "2026-11-21",
        "FR",
        "none",
        "2026-11-24T23:00",
        "wait_for_activation",
        "2026-11-25T00:00",
    ),
    (
        "EX3",
        "2026-11-10 12:00",
        "DE",
        "none",
        "2026-11-13T11:59",
        "wait_for_activation",
        "2026-11-13T12:00",
    ),
    ("EX4", "2026-11-10 12:00", "DE", "none", "2026-11-13T12:00", "check_destination_post", ""),
]


@pytest.mark.parametrize("french", [False, True])
@pytest.mark.parametrize("example", ISSUE_EXAMPLES, ids=[e[0] for e in ISSUE_EXAMPLES])
def test_issue_examples_through_the_cli(tmp_path, example, french):
    order, shipped, country, status, as_of, outcome, recheck = example
    if french:
        day, time = (shipped.split(" ") + [""])[:2]
        y, m, d = day.split("-")
        pays = {"BE": "Belgique", "FR": "France", "DE": "Allemagne"}[country]
        statut = {"none": "en attente"}[status]
        text = (
            "N° de commande;Date d'expédition;Pays de destination;Statut du suivi\r\n"
            f"{order};{d}/{m}/{y} {time};{pays};{statut}\r\n"
        )
        path = tmp_path / "commandes.csv"
        path.write_bytes(text.encode("cp1252"))
    else:
        path = tmp_path / "orders.csv"
        path.write_text(
            "order_id,shipped_at,destination_country,tracking_status\n"
            f"{order},{shipped},{country},{status}\n",
            encoding="utf-8",
        )
    done = run("triage", str(path), "--as-of", as_of)
    assert done.returncode == 0, done.stderr
    row = read_result(done.stdout).iloc[0]
    assert (row["outcome"], row["recheck_at"]) == (outcome, recheck)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary", "binary content"),
        (b"id,when\n1,2026-11-24\n", "required column missing"),
    ],
)
def test_unreadable_file_one_line_exit_2(tmp_path, content, message):
    path = tmp_path / "orders.csv"
    if content is not None:
        path.write_bytes(content)
    done = run("triage", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in done.stderr


def test_bad_as_of_is_a_usage_error():
    done = run("triage", str(SAMPLES / "orders.csv"), "--as-of", "next tuesday")
    assert done.returncode == 2 and "is not a date" in done.stderr
    assert "Traceback" not in done.stderr


def test_info():
    done = run("info")
    assert done.returncode == 0
    assert "activation_working_hours: 48" in done.stdout
    assert "contact_after_days: 21" in done.stdout


def test_batches_write_the_same_file_as_one_pass(tmp_path, monkeypatch, capsys):
    """A big file is triaged and written batch by batch: the result does not depend on it."""
    from tpop_kb import cli, triage

    whole, batched = tmp_path / "whole.csv", tmp_path / "batched.csv"
    args = ["triage", str(SAMPLES / "orders_fr.csv"), "--as-of", "2026-11-26T10:00"]
    assert cli.main([*args, "--output", str(whole)]) == 0
    first = capsys.readouterr().err
    monkeypatch.setattr(triage, "BATCH_ROWS", 37)  # 360 orders: ten batches, the last short
    assert cli.main([*args, "--output", str(batched)]) == 0
    assert batched.read_bytes() == whole.read_bytes()
    assert capsys.readouterr().err == first  # same notes, same counts
    expected = triage_frame(read_orders(SAMPLES / "orders_fr.csv").orders, SAMPLES_AS_OF)
    assert len(read_result(batched.read_text(encoding="utf-8"))) == len(expected) == 360


def test_the_command_line_does_not_load_pandas(tmp_path):
    """Reading, triaging and writing run on Arrow and numpy only: pandas' import alone is a
    large share of a small file's run (benchmarks/RESULTS.md)."""
    code = (
        "import sys; from tpop_kb.cli import main; "
        f"code = main(['triage', {str(SAMPLES / 'orders.csv')!r}, '--output', "
        f"{str(tmp_path / 'out.csv')!r}]); "
        "print('pandas' in sys.modules); sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
