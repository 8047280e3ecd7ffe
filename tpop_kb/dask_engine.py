"""Triage beyond one machine: the same engine on Dask, one partition per task.

Analysts triage years of order history across merchants. :func:`triage_dask` splits one
or many CSV files (same dialect as :func:`tpop_kb.orders.read_orders`: ``,`` ``;`` or tab,
UTF-8 or cp1252) into byte ranges at line ends, or Parquet files into row groups, and
runs the command line's own path on each partition in a Dask worker: the partition's
cells are read into Arrow (:func:`~tpop_kb.orders.read_orders` on the range, with the
file's header line), normalised and triaged by :func:`~tpop_kb.triage.triage_table`
(Arrow in, Arrow out, no pandas), and written by :func:`~tpop_kb.triage.triage_to_csv`
as ``part-00000.csv``… (or Parquet parts). Without a scheduler address it starts a local
cluster; with one (``tcp://host:8786``) it runs there (the files must then be where the
workers can read them).

Rows keep their order (partition by partition), and the parts, their header lines but
the first taken out, are byte for byte the command line's output. A value holding a line
break must not cross a partition boundary: such files are better triaged by one process.
Dask is an optional dependency: ``pip install 'tpop_kb[dask]'``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .orders import (
    OrderFileError,
    cell_text,
    map_columns,
    normalize_table,
    read_orders,
    sniff_csv,
)
from .triage import triage_table, triage_to_csv

__all__ = ["DaskResult", "read_dask_output", "triage_dask"]

_SAMPLE_BYTES = 1 << 16


@dataclass
class DaskResult:
    """What :func:`triage_dask` wrote: the files and the count of each outcome."""

    files: list[Path]
    counts: dict[str, int]
    rows: int


@dataclass(frozen=True)
class _Part:
    """One partition: a byte range of a CSV file (after its header line), or a row group
    of a Parquet file."""

    path: str
    start: int = 0
    end: int = 0
    header: bytes = b""  # the file's header line, given to every range but the first
    row_group: int = -1  # Parquet


def _parse_size(blocksize: str | int) -> int:
    if isinstance(blocksize, int):
        return blocksize
    text = blocksize.strip().upper()
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3), ("B", 1)):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def _csv_parts(path: Path, blocksize: int) -> tuple[list[_Part], list[str]]:
    """A CSV file as byte ranges that end at line ends, and its headers."""
    with open(path, "rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
        try:
            _, _, headers = sniff_csv(head)
        except OrderFileError as exc:
            raise OrderFileError(f"{path.name}: {exc}") from None
        size = path.stat().st_size
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: no splitting at bytes
            return [_Part(str(path), 0, size)], headers
        first_end = head.find(b"\n")
        if first_end < 0:
            return [_Part(str(path), 0, size)], headers
        header = head[: first_end + 1]
        bounds = [0]
        at = max(blocksize, first_end + 1)
        while at < size:
            handle.seek(at)
            tail = b""
            while b"\n" not in tail:
                more = handle.read(1 << 16)
                if not more:
                    break
                tail += more
            found = tail.find(b"\n")
            if found < 0:
                break
            bounds.append(at + found + 1)
            at = bounds[-1] + blocksize
        bounds.append(size)
    parts = [_Part(str(path), a, b, header if a else b"") for a, b in zip(bounds, bounds[1:],
                                                                          strict=False) if b > a]
    return parts, headers


def _parquet_parts(path: Path) -> tuple[list[_Part], list[str]]:
    import pyarrow.parquet as pq

    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    parts, headers = [], None
    for file in files:
        meta = pq.ParquetFile(file)
        names = [str(n) for n in meta.schema_arrow.names if not str(n).startswith("__index")]
        headers = headers or names
        parts += [_Part(str(file), row_group=g) for g in range(max(meta.num_row_groups, 1))]
    return parts, headers or []


def _as_text(table: Any) -> dict[str, Any]:
    """Typed Parquet columns -> Arrow text cells, as a spreadsheet shows them."""
    import pyarrow as pa

    from ._arrow import strings, texts

    out = {}
    for name in table.column_names:
        if name.startswith("__index"):
            continue
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            out[name] = texts(column)
        else:
            out[name] = strings([cell_text(v) for v in column.to_pylist()])
    return out


def _read_part(part: _Part) -> Any:
    """A partition's canonical orders (Arrow)."""
    if part.row_group >= 0:
        import pyarrow.parquet as pq

        file = pq.ParquetFile(part.path)
        table = file.read_row_group(part.row_group) if file.num_row_groups else (
            file.read())
        cells = _as_text(table)
        return normalize_table(cells, table.num_rows, map_columns(list(cells)))
    with open(part.path, "rb") as handle:
        handle.seek(part.start)
        data = part.header + handle.read(part.end - part.start)
    return read_orders(data, name=Path(part.path).name).orders_table


def _triage_part(part: _Part, as_of: dt.datetime, target: str, number: int,
                 kind: str) -> dict[str, int]:
    """One partition: read, triage and write it (a Dask task). Returns its outcome counts."""
    orders = _read_part(part)
    path = Path(target) / f"part-{number:05d}.{kind}"
    if kind == "parquet":
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        result = triage_table(orders, as_of)
        pq.write_table(result, path)
        found = pc.value_counts(result.column("outcome"))
        return dict(zip(found.field("values").to_pylist(),
                        found.field("counts").to_pylist(), strict=True))
    return triage_to_csv(orders, as_of, str(path))


def triage_dask(
    sources: str | Path | Sequence[str | Path],
    output: str | Path,
    as_of: dt.datetime,
    *,
    scheduler: str | None = None,
    blocksize: str | int = "64MB",
    workers: int = 2,
) -> DaskResult:
    """Triage CSV or Parquet files with Dask and write partitioned output to ``output``.

    ``output`` is a folder; it gets ``part-*.csv`` files, or Parquet parts when its
    name ends with ``.parquet``. CSV files are cut into ranges of ``blocksize`` bytes at
    most; on a local cluster, small enough that each of the ``workers`` gets one.
    Raises :class:`OrderFileError` for unreadable input.
    """
    from dask.distributed import Client, LocalCluster

    paths = [Path(sources)] if isinstance(sources, (str, Path)) else [Path(s) for s in sources]
    if not paths:
        raise OrderFileError("no input files")
    for path in paths:
        if not path.exists():
            raise OrderFileError(f"{path.name}: no such file")
    parquet = all(p.suffix == ".parquet" or p.is_dir() for p in paths)
    size = _parse_size(blocksize)
    if scheduler is None and not parquet:  # a local cluster: every worker gets a share
        total = sum(p.stat().st_size for p in paths)
        size = min(size, max(1 << 16, -(-total // max(workers, 1))))
    parts: list[_Part] = []
    headers: list[str] | None = None
    for path in paths:
        found, names = _parquet_parts(path) if parquet else _csv_parts(path, size)
        if headers is not None and names != headers:
            raise OrderFileError(f"{path.name}: its columns differ from {paths[0].name}'s")
        headers = names
        parts += found
    missing = map_columns(headers or []).missing_required()
    if missing:
        raise OrderFileError(f"{paths[0].name}: required column missing: {', '.join(missing)}")
    target = Path(output)
    target.mkdir(parents=True, exist_ok=True)
    kind = "parquet" if target.suffix == ".parquet" else "csv"

    cluster = None
    client = Client(scheduler) if scheduler else None
    if client is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(_triage_part, part, as_of, str(target), number, kind,
                                 pure=False)
                   for number, part in enumerate(parts)]
        counts: dict[str, int] = {}
        for found in client.gather(futures):
            for code, count in found.items():
                counts[code] = counts.get(code, 0) + count
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    files = [target / f"part-{number:05d}.{kind}" for number in range(len(parts))]
    counts = {str(k): int(v) for k, v in counts.items() if v}
    return DaskResult(files=files, counts=counts, rows=sum(counts.values()))


def read_dask_output(files: Sequence[Path]) -> Any:
    """The written parts as one pandas frame, in order (for tests and analysts)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    frames = []
    for path in files:
        if path.suffix == ".parquet":
            frames.append(pq.read_table(path).to_pandas(
                types_mapper={pa.int64(): pd.Int64Dtype()}.get))
        else:
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
    return pd.concat(frames, ignore_index=True)
