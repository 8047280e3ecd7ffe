"""tpop_kb._arrow: Arrow arrays built and read without pandas, values kept exactly."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tpop_kb._arrow import (
    bools,
    codes_of,
    distinct,
    empty_strings,
    first_bytes,
    from_numpy,
    scalar,
    strings,
    texts,
    to_numpy,
    where_distinct,
    without_space,
)


def test_strings_keep_text_and_nulls():
    values = ["a", "é", None, "", "日本", "x" * 1000]
    assert strings(values).to_pylist() == values
    assert strings([]).to_pylist() == []
    assert empty_strings(3).to_pylist() == ["", "", ""]
    assert scalar("x").as_py() == "x" and scalar(False).as_py() is False


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64"])
def test_numbers_round_trip_with_nulls_and_slices(dtype):
    values = np.arange(-3, 7).astype(dtype)
    missing = np.array([i % 3 == 0 for i in range(10)])
    array = from_numpy(values, missing)
    expected = [None if m else int(v) for v, m in zip(values, missing, strict=True)]
    assert array.to_pylist() == expected
    plain = from_numpy(values)
    assert list(to_numpy(plain.slice(2, 5))) == list(values[2:7])
    with pytest.raises(ValueError, match="fill the nulls"):
        to_numpy(array)


def test_timestamps_nat_is_null_both_ways():
    moments = np.array(["2026-11-24T09:00", "NaT", "2026-12-25T00:00"], dtype="datetime64[ns]")
    array = from_numpy(moments)
    assert array.null_count == 1 and array.type == pa.timestamp("ns")
    back = to_numpy(array.slice(1))
    assert np.isnat(back[0]) and back[1] == moments[2]


def test_booleans_with_nulls_and_offsets():
    values = np.array([True, False, True, True, False, True, False, True, True])
    missing = np.array([False, False, True, False, False, False, False, False, True])
    array = bools(values, missing)
    assert array.to_pylist() == [
        None if m else bool(v) for v, m in zip(values, missing, strict=True)]
    assert list(to_numpy(array.slice(3))) == [True, False, True, False, True, False]  # null->F


def test_chunked_arrays_are_read_whole():
    chunked = pa.chunked_array([pa.array([1, 2], pa.int64()), pa.array([3], pa.int64())])
    assert list(to_numpy(chunked)) == [1, 2, 3]
    assert list(to_numpy(pa.chunked_array([pa.array(["a"]), pa.array(["b"])]))) == ["a", "b"]


def test_distinct_codes_and_dictionary_columns():
    codes, words = distinct(pa.array(["BE", None, "FR", "BE"]))
    assert [words[c] for c in codes] == ["BE", None, "FR", "BE"]
    encoded = pc.dictionary_encode(pa.array(["x", "y", "x"]))
    codes, words = distinct(encoded)
    assert [words[c] for c in codes] == ["x", "y", "x"]
    two = pa.chunked_array([pc.dictionary_encode(pa.array(["a"])),
                            pc.dictionary_encode(pa.array(["b", "a"]))])
    codes, words = distinct(two)
    assert [words[c] for c in codes] == ["a", "b", "a"]
    assert list(codes_of(pa.array([0, None, 1], pa.int32()), 9)) == [0, 9, 1]


def test_where_distinct_and_without_space():
    mask = where_distinct(pa.array(["a", "b", None, "a"]), lambda v: v == "a")
    assert list(mask) == [True, False, False, True]
    texts = pa.array(["LA123", "a b", "a\u00a0b", "", "tab\there", "x-y_z"])
    assert list(without_space(texts)) == [True, False, False, True, False, True]


def test_building_and_reading_arrays_does_not_import_pandas():
    code = (
        "import sys, numpy as np; from tpop_kb import _arrow as A; import pyarrow.compute as pc\n"
        "a = A.strings(['x', '']); b = A.from_numpy(np.arange(2)); c = A.bools(np.ones(2, bool))\n"
        "A.to_numpy(pc.utf8_length(a)); A.to_numpy(b); A.to_numpy(c); A.distinct(a)\n"
        "A.to_numpy(pc.if_else(c, A.scalar(''), a)); A.where_distinct(a, bool)\n"
        "print('pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_texts_from_every_kind_of_column():
    import pandas as pd

    assert texts(pa.array(["a", None])).to_pylist() == ["a", ""]
    assert texts(pa.chunked_array([["a"], ["b"]])).to_pylist() == ["a", "b"]
    series = pd.Series(["a", None, float("nan"), 7], dtype=object)
    assert texts(series).to_pylist() == ["a", "", "", "7"]
    assert texts(pd.Series(["x", None], dtype="string[pyarrow]")).to_pylist() == ["x", ""]
    assert texts(np.array(["LA1", None, 5], dtype=object)).to_pylist() == ["LA1", "", "5"]
    assert texts([]).to_pylist() == [] and texts([]).type == pa.string()


def test_first_bytes_of_texts_and_slices():
    values = pa.array(["", "ab", None, " x", "\u00a0", "é", "z"])
    assert first_bytes(values).tolist() == [256, 97, 256, 32, 0xC2, 0xC3, 122]
    assert first_bytes(values.slice(1, 3)).tolist() == [97, 256, 32]
    assert first_bytes(pa.array([], pa.string())).tolist() == []
    assert first_bytes(pa.array(["", None])).tolist() == [256, 256]
    assert first_bytes(pa.array(["q"], pa.large_string())).tolist() == [113]
