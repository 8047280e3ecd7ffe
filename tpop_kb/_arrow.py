"""Small Arrow helpers for the bulk engine, built so that pandas is never imported.

``pyarrow.array()`` imports pandas on its first call (to recognise pandas objects), and
so does ``ChunkedArray.to_numpy()``; pandas costs about 0.4 s to import, a third of a
10,000-order command. The command line reads, triages and writes orders with Arrow and
numpy only, through these helpers: arrays are built from numpy buffers or encoded
strings (``pyarrow.Array.from_buffers``), and read back from single-chunk arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "SPACE_CLASS",
    "bools",
    "byte_matrix",
    "codes_of",
    "distinct",
    "empty_strings",
    "from_numpy",
    "one_chunk",
    "scalar",
    "strings",
    "texts",
    "to_numpy",
    "without_space",
    "where_distinct",
]

#: Python's ``str.split()`` whitespace as a character class that Arrow's RE2 and Python's
#: ``re`` both run (real characters, not escapes)
SPACE_CLASS = (
    "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)

_TYPES = {
    np.dtype("int8"): pa.int8(),
    np.dtype("int16"): pa.int16(),
    np.dtype("int32"): pa.int32(),
    np.dtype("int64"): pa.int64(),
    np.dtype("datetime64[ns]"): pa.timestamp("ns"),
}


def _validity(missing: np.ndarray | None) -> pa.Buffer | None:
    if missing is None or not missing.any():
        return None
    return pa.py_buffer(np.packbits(~missing.astype(bool), bitorder="little"))


def from_numpy(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """A numpy int or datetime64[ns] array as an Arrow array (``NaT`` and ``missing`` null)."""
    values = np.ascontiguousarray(values)
    if values.dtype.kind == "M":
        values = values.astype("datetime64[ns]")
        nat = np.isnat(values)
        if nat.any():
            missing = nat if missing is None else (missing | nat)
    arrow_type = _TYPES[values.dtype]
    return pa.Array.from_buffers(arrow_type, len(values),
                                 [_validity(missing), pa.py_buffer(values)])


def bools(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """A numpy bool array as an Arrow boolean array (``missing`` null)."""
    packed = np.packbits(np.ascontiguousarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values),
                                 [_validity(missing), pa.py_buffer(packed)])


def strings(values: Sequence[str | None] | np.ndarray) -> pa.Array:
    """Python strings (``None`` null) as an Arrow string array."""
    items = list(values)
    encoded = [b"" if v is None else str(v).encode("utf-8") for v in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    if encoded:
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
    arrow_type = pa.string() if offsets[-1] < 2**31 else pa.large_string()
    offsets = offsets.astype(np.int32 if arrow_type == pa.string() else np.int64)
    missing = np.array([v is None for v in items], dtype=bool)
    return pa.Array.from_buffers(
        arrow_type, len(encoded),
        [_validity(missing), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def one_chunk(values: Any) -> pa.Array:
    """A chunked array as one array (others pass through)."""
    if isinstance(values, pa.ChunkedArray):
        if values.num_chunks == 1:
            return values.chunk(0)
        if values.num_chunks == 0:
            return pa.nulls(0, values.type)
        return values.combine_chunks()
    return values


_NUMPY = {
    pa.int8(): np.int8,
    pa.int16(): np.int16,
    pa.int32(): np.int32,
    pa.int64(): np.int64,
    pa.uint8(): np.uint8,
    pa.float64(): np.float64,
}


def to_numpy(values: Any) -> np.ndarray:
    """An Arrow array (chunked or not) as numpy, read from its buffers (``to_numpy()``
    imports pandas). Booleans: null reads as False; timestamps: null reads as NaT;
    integers must have no null; other types come back as Python objects."""
    array = one_chunk(values)
    n, start, kind = len(array), array.offset, array.type
    buffers = array.buffers()
    if pa.types.is_boolean(kind):
        if n == 0 or buffers[1] is None:
            return np.zeros(n, dtype=bool)
        bits = np.unpackbits(np.frombuffer(buffers[1], dtype=np.uint8), bitorder="little")
        out = bits[start : start + n].astype(bool)
        return out & ~_nulls(array) if array.null_count else out
    if pa.types.is_timestamp(kind) or kind in _NUMPY:
        if n == 0 or buffers[1] is None:
            dtype = f"datetime64[{kind.unit}]" if pa.types.is_timestamp(kind) else _NUMPY[kind]
            return np.zeros(0, dtype=dtype)
        if pa.types.is_timestamp(kind):
            raw = np.frombuffer(buffers[1], dtype=np.int64)[start : start + n]
            out = raw.view(f"datetime64[{kind.unit}]")
            if array.null_count:
                out = out.copy()
                out[_nulls(array)] = np.datetime64("NaT")
            return out
        if array.null_count:
            raise ValueError("fill the nulls of an integer column before reading it")
        return np.frombuffer(buffers[1], dtype=_NUMPY[kind])[start : start + n]
    return np.array(array.to_pylist(), dtype=object)


def _nulls(array: pa.Array) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(array.buffers()[0], dtype=np.uint8), bitorder="little")
    return ~bits[array.offset : array.offset + len(array)].astype(bool)


def scalar(value: str | bool) -> pa.Scalar:
    """An Arrow scalar for a compute function's argument (a bare Python value would be
    converted by ``pyarrow.scalar``, which imports pandas)."""
    if isinstance(value, bool):
        return bools(np.array([value]))[0]
    return strings([value])[0]


def empty_strings(n: int) -> pa.Array:
    """``n`` empty strings (not nulls)."""
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(np.zeros(n + 1, np.int32)),
                                                  pa.py_buffer(b"")])


def where_distinct(values: Any, test: Callable[[Any], bool]) -> np.ndarray:
    """``test`` applied to each distinct value once, as a numpy mask over the rows (for
    columns of few distinct values: ``pc.is_in`` would convert its value set through
    pandas)."""
    encoded = pc.dictionary_encode(one_chunk(values))
    verdicts = np.array([bool(test(v)) for v in encoded.dictionary.to_pylist()] + [False])
    return verdicts[codes_of(encoded.indices, len(verdicts) - 1)]


def codes_of(indices: Any, missing: int) -> np.ndarray:
    """Dictionary indices as a numpy int array, ``missing`` where null."""
    indices = one_chunk(indices)
    if not indices.null_count:
        return to_numpy(indices).astype(np.int64)
    codes = np.full(len(indices), missing, dtype=np.int64)
    valid = pc.is_valid(indices)
    codes[to_numpy(valid)] = to_numpy(indices.filter(valid))
    return codes


def without_space(values: Any) -> np.ndarray:
    """Rows that surely hold no whitespace (printable ASCII without ' '), as a numpy mask:
    a fast test in C++ that spares the regular expressions most values."""
    values = one_chunk(values)
    plain = to_numpy(pc.ascii_is_printable(values)) & ~to_numpy(pc.match_substring(values, " "))
    return plain | (to_numpy(pc.binary_length(values)) == 0)


def distinct(values: Any) -> tuple[np.ndarray, list[Any]]:
    """A column of few distinct values as row codes and those values (the last one None,
    the code of a null); a dictionary-encoded column is read as it is."""
    if isinstance(values, pa.ChunkedArray) and values.num_chunks > 1 and pa.types.is_dictionary(
            values.type):
        values = values.cast(values.type.value_type)  # chunks may have other dictionaries
    values = one_chunk(values)
    encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
    words = encoded.dictionary.to_pylist()
    return codes_of(encoded.indices, len(words)), [*words, None]


def texts(values: Any) -> pa.Array:
    """A column of text as one Arrow string array, ``''`` for a missing value.

    Takes an Arrow array (nulls become ``''``), a pandas Series (``NaN``/``None``/``NA``
    are missing, other values as ``str``), or a numpy array or list (``None`` is
    missing, other values as ``str``).
    """
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        array = one_chunk(values)
    elif type(values).__module__.startswith("pandas"):  # a Series: pandas is loaded already
        import pandas as pd

        if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
            array = one_chunk(pa.array(values.array))
        else:
            cells = values.astype(object).where(values.notna(), "").astype(str)
            array = strings(cells.to_numpy(dtype=object))
    else:
        array = strings([v if isinstance(v, str) else ("" if v is None else str(v))
                         for v in np.asarray(values, dtype=object)])
    # 32-bit offsets: S10 numbers are read straight from the buffers (postal)
    return pc.fill_null(array.cast(pa.string()), scalar(""))


def _offsets_and_bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's offsets (one more than its length) and its data bytes, as numpy
    views of its buffers (no copy of the text)."""
    offset_type = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(values.buffers()[1], dtype=offset_type)
    offsets = offsets[values.offset : values.offset + len(values) + 1]
    data = values.buffers()[2]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data is not None
                     else np.zeros(0, dtype=np.uint8))


def byte_matrix(values: Any, width: int) -> np.ndarray:
    """The bytes of strings that are all ``width`` bytes long, as an (n, width) uint8
    matrix read from the array's buffers (no copy of the text)."""
    values = one_chunk(values)
    if not len(values):
        return np.zeros((0, width), dtype=np.uint8)
    offsets, data = _offsets_and_bytes(values)
    return data[offsets[0] : offsets[-1]].reshape(len(values), width)


def first_bytes(values: Any) -> np.ndarray:
    """Each string's first byte as an int16 numpy array, 256 for an empty string or a null
    (read from the array's buffers: no copy of the text)."""
    values = one_chunk(values)
    n = len(values)
    out = np.full(n, 256, dtype=np.int16)
    if not n:
        return out
    offsets, data = _offsets_and_bytes(values)
    starts = offsets[:-1]
    filled = offsets[1:] > starts
    if values.null_count:
        filled &= ~_nulls(values)
    rows = np.flatnonzero(filled)
    out[rows] = data[starts[rows]]
    return out
