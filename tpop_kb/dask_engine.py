"""Triage beyond one machine: the same vectorised function on Dask DataFrame partitions.

Analysts triage years of order history across merchants. :func:`triage_dask` reads one or
many CSV files (same dialect as :func:`tpop_kb.orders.read_orders`: ``,`` ``;`` or tab,
UTF-8 or cp1252) or Parquet files, runs :func:`tpop_kb.orders.normalize_frame` and
:func:`tpop_kb.triage.triage_frame` on every partition, and writes partitioned output
(``part-00000.csv``… or a Parquet dataset). Without a scheduler address it starts a local
cluster; with one (``tcp://host:8786``) it runs there.

Rows keep their order (partition by partition) and results are identical to the pandas
engine (tested on a two-worker ``LocalCluster``). Dask is an optional dependency:
``pip install 'tpop_kb[dask]'``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .orders import (
    ColumnMapping,
    OrderFileError,
    _blank_rows,
    _decode,
    _sniff_delimiter,
    _unique_headers,
    _xlsx_cell,
    map_columns,
    normalize_frame,
)
from .triage import OUTPUT_COLUMNS, triage_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DaskResult", "triage_dask"]

_SAMPLE_BYTES = 1 << 16


@dataclass
class DaskResult:
    """What :func:`triage_dask` wrote: the files and the count of each outcome."""

    files: list[Path]
    counts: dict[str, int]
    rows: int


def _csv_dialect(path: Path) -> tuple[str, str, list[str]]:
    """Encoding, delimiter and header of a CSV file, read from its first bytes."""
    with open(path, "rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
    if not head.strip():
        raise OrderFileError(f"{path.name}: the file is empty")
    text, note = _decode(head)
    if note is not None:
        raise OrderFileError(
            f"{path.name}: mixed encodings; convert it to UTF-8 first or use the pandas engine"
        )
    try:
        head.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # the sample may end inside a UTF-8 character: only earlier failures mean cp1252
        encoding = "utf-8-sig" if exc.start >= len(head) - 3 else "cp1252"
    delimiter = _sniff_delimiter(text)
    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")], delimiter=delimiter))
    return encoding, delimiter, _unique_headers([h.strip().lstrip("\ufeff") for h in header])


def _cell_text(value: Any) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return _xlsx_cell(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value)


def _as_text(partition: pd.DataFrame) -> pd.DataFrame:
    """Typed Parquet columns -> text cells, as a spreadsheet shows them."""
    import pandas as pd

    return pd.DataFrame(
        {c: partition[c].astype(object).map(_cell_text).astype(object) for c in partition.columns},
        index=partition.index,
    )


def _triage_partition(
    raw: pd.DataFrame, mapping: ColumnMapping, as_of: dt.datetime, typed: bool
) -> pd.DataFrame:
    if typed:
        raw = _as_text(raw)
    else:
        raw = raw.fillna("")
        blank = _blank_rows(raw)
        if blank.any():
            raw = raw[~blank]
    result = triage_frame(normalize_frame(raw, mapping), as_of)
    return result.loc[:, list(OUTPUT_COLUMNS)]


def _triage_and_write(
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    as_of: dt.datetime,
    typed: bool,
    target: Path,
    kind: str,
    partition_info: dict | None = None,
) -> pd.DataFrame:
    """One partition: triage it, write its part file, return its outcome counts."""
    result = _triage_partition(raw, mapping, as_of, typed)
    number = partition_info["number"] if partition_info else 0
    path = target / f"part-{number:05d}.{kind}"
    if kind == "parquet":
        result.to_parquet(path, index=False)
    else:
        result.to_csv(path, index=False, lineterminator="\n")
    counts = result["outcome"].value_counts()
    return counts.rename_axis("outcome").reset_index(name="count").astype({"count": "int64"})


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

    ``output`` is a folder; it gets ``part-*.csv`` files, or a Parquet dataset when its
    name ends with ``.parquet``. Raises :class:`OrderFileError` for unreadable input.
    """
    import dask.dataframe as dd
    import pandas as pd
    from dask.distributed import Client, LocalCluster

    paths = [Path(sources)] if isinstance(sources, (str, Path)) else [Path(s) for s in sources]
    if not paths:
        raise OrderFileError("no input files")
    for path in paths:
        if not path.exists():
            raise OrderFileError(f"{path.name}: no such file")
    parquet = all(p.suffix == ".parquet" or p.is_dir() for p in paths)

    cluster = None
    client = Client(scheduler) if scheduler else None
    if client is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        if parquet:
            frame = dd.read_parquet([str(p) for p in paths])
            headers = [str(c) for c in frame.columns]
            frame.columns = headers
        else:
            encoding, delimiter, headers = _csv_dialect(paths[0])
            for other in paths[1:]:
                if _csv_dialect(other)[2] != headers:
                    raise OrderFileError(f"{other.name}: its columns differ from {paths[0].name}'s")
            frame = dd.read_csv(
                [str(p) for p in paths], sep=delimiter, encoding=encoding, dtype=str,
                keep_default_na=False, na_filter=False, header=0, names=headers,
                blocksize=blocksize, skip_blank_lines=True,
            )
        mapping = map_columns(headers)
        missing = mapping.missing_required()
        if missing:
            raise OrderFileError(
                f"{paths[0].name}: required column missing: {', '.join(missing)}"
            )
        target = Path(output)
        target.mkdir(parents=True, exist_ok=True)
        kind = "parquet" if target.suffix == ".parquet" else "csv"
        written = frame.map_partitions(
            _triage_and_write, mapping, as_of, parquet, target, kind,
            meta=pd.DataFrame({"outcome": pd.Series(dtype=object),
                               "count": pd.Series(dtype="int64")}),
        )
        counts = written.compute().groupby("outcome")["count"].sum()
        files = sorted(p for p in target.iterdir() if p.suffix in (".csv", ".parquet"))
        counts_dict = {str(k): int(v) for k, v in counts.items() if v}
        return DaskResult(files=files, counts=counts_dict, rows=sum(counts_dict.values()))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def read_dask_output(files: Sequence[Path]) -> Any:
    """The written parts as one pandas frame, in order (for tests and analysts)."""
    import pandas as pd

    frames = []
    for path in files:
        if path.suffix == ".parquet":
            frames.append(pd.read_parquet(path))
        else:
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
    return pd.concat(frames, ignore_index=True)
