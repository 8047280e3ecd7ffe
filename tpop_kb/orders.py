"""Orders in: spreadsheets and records turned into canonical orders.

Staff have CSV files with ``,`` ``;`` or tab, in UTF-8 (with or without BOM) or
cp1252 (French Excel), ``.xlsx`` workbooks, and records typed or pasted by hand.
Headers and values are matched against the alias table in ``data/columns.yaml``
(case-, accent- and punctuation-insensitive); countries are read by
:mod:`tpop_kb.countries`.

Nothing is dropped: every input row gives one canonical row, and a value that
cannot be read is kept as it was with a message in the ``error`` column naming
the column and the value. A file that cannot be read at all raises
:class:`OrderFileError` with a message meant for a person.

Canonical fields (the public vocabulary): ``order_id, shipped_at,
tracking_number, destination_country, tracking_status, customer_claim,
store_tracking_synced``. Unknown values are ``None`` in an :class:`Order` and
empty (``""`` / ``NaT`` / ``<NA>``) in a frame.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .countries import parse_country
from .knowledge import knowledge
from .messages import Msg, message
from .text import INVISIBLE_CLASS, clean, normalize_key, shorten

if TYPE_CHECKING:  # pandas is imported on first use only
    import numpy as np
    import pandas as pd

__all__ = [
    "CANONICAL_COLUMNS",
    "END_OF_DAY",
    "canonical_frame",
    "canonical_table",
    "cell_text",
    "column_for",
    "ColumnMapping",
    "file_lines",
    "map_columns",
    "normalize_frame",
    "Order",
    "order_from_record",
    "OrderFileError",
    "OrderTable",
    "parse_as_of",
    "parse_datetime",
    "parse_value",
    "read_orders",
    "sniff_csv",
    "time_given",
    "unknown_column",
]

CANONICAL_COLUMNS = (
    "order_id",
    "shipped_at",
    "tracking_number",
    "destination_country",
    "tracking_status",
    "customer_claim",
    "store_tracking_synced",
)


class OrderFileError(ValueError):
    """An order file or paste cannot be read at all. ``str(error)`` is the message for staff
    (English); ``error.msg``, when given, is the same message as a
    :class:`~tpop_kb.messages.Msg`: a page shows it in its language with
    :func:`tpop_kb.messages.translate`."""

    def __init__(self, text: Any = "") -> None:
        super().__init__(str(text))
        self.msg = text if isinstance(text, Msg) else None


# ---------------------------------------------------------------------------
# Keys and values
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _column_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for column, spec in knowledge().columns["columns"].items():
        table[normalize_key(column)] = column
        for alias in spec.get("aliases", ()):
            table.setdefault(normalize_key(alias), column)
    return table


@lru_cache(maxsize=1)
def column_for(label: Any) -> str | None:
    """The canonical column a header or label names (data/columns.yaml), or None."""
    return _column_aliases().get(normalize_key(label))


def _value_aliases() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for column, choices in knowledge().columns["values"].items():
        table[column] = {}
        for canonical, aliases in choices.items():
            table[column][normalize_key(canonical)] = canonical
            for alias in aliases or ():
                table[column][normalize_key(alias)] = canonical
    return table


#: The moment a ship date without a time stands for: the end of that day. It is the
#: cautious reading: the activation window ends as late as it can, so a customer is
#: never told too early that tracking should work (days are counted by date and do not
#: move). :func:`time_given` tells such a moment apart for display ("time not given").
END_OF_DAY = dt.time(23, 59, 59)


def time_given(moment: dt.datetime | None) -> bool:
    """False for a ship moment read from a date without a time (see :data:`END_OF_DAY`)."""
    return moment is not None and moment.time() != END_OF_DAY


def parse_datetime(text: Any) -> dt.datetime | None:
    """A date or date-time in one of the formats of ``data/columns.yaml``; '' -> None.

    A date without a time gives :data:`END_OF_DAY` of that date. Raises ValueError with a
    message for staff when the text is not such a date. Python dates and datetimes (from
    spreadsheets) pass through.
    """
    if isinstance(text, dt.datetime):
        return text.replace(tzinfo=None, microsecond=0)
    if isinstance(text, dt.date):
        return dt.datetime.combine(text, END_OF_DAY)
    value = clean(text)
    if not value:
        return None
    serial = _EXCEL_SERIAL.fullmatch(value)
    if serial:  # a date cell that lost its format: days since 1899-12-30 (Excel's epoch)
        moment = _EXCEL_EPOCH + dt.timedelta(days=float(value))
        if serial.group(1) is None:  # a whole number: a date without a time
            return dt.datetime.combine(moment.date(), END_OF_DAY)
        return moment.replace(second=0, microsecond=0)
    for fmt in _date_formats():
        try:
            moment = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return moment if "%H" in fmt else dt.datetime.combine(moment.date(), END_OF_DAY)
    raise ValueError(message("orders.not_a_date", value=shorten(value)))


def parse_as_of(text: Any) -> dt.datetime | None:
    """An "as of" moment: like :func:`parse_datetime`, but a date alone means the start
    of that day (it is a moment to look from, not a ship date)."""
    value = parse_datetime(text)
    if value is not None and not time_given(value):
        return dt.datetime.combine(value.date(), dt.time())
    return value


_EXCEL_SERIAL = re.compile(r"[2-9]\d{4}(\.\d+)?")  # 1954-10-03 .. 2173-10-14
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


@lru_cache(maxsize=1)
def _date_formats() -> tuple[str, ...]:
    return tuple(knowledge().columns["date_formats"])


@lru_cache(maxsize=8)
def _max_length(column: str) -> int:
    return int(knowledge().columns["columns"][column].get("max_length") or 0)


def parse_value(column: str, text: Any) -> str:
    """A tracking status, claim or store-sync value -> its canonical word.

    ``store_tracking_synced`` gives ``"true"``, ``"false"`` or ``"unknown"``.
    Raises ValueError naming the accepted values.
    """
    table = _value_aliases()[column]
    value = clean(text)
    found = table.get(normalize_key(value))
    if found is None:
        accepted = ", ".join(knowledge().columns["values"][column])
        raise ValueError(message("orders.unknown_value", value=shorten(value), accepted=accepted))
    return found


@dataclass(frozen=True)
class Order:
    """One order in canonical form. ``None`` means the fact is not known."""

    order_id: str | None = None
    shipped_at: dt.datetime | None = None
    tracking_number: str | None = None
    destination_country: str | None = None
    tracking_status: str | None = None  # none | in_transit | delivered
    customer_claim: str | None = None  # none | not_received | still_not_received
    store_tracking_synced: bool | None = None
    errors: tuple[str, ...] = field(default=())


def _parse_field(column: str, raw: Any) -> Any:
    """One raw value -> canonical value; raises ValueError('...') without the column name."""
    if column == "order_id" or column == "tracking_number":
        value = clean(raw)
        limit = _max_length(column)
        if limit and len(value) > limit:
            raise ValueError(message("orders.too_long", value=shorten(value), length=len(value),
                                     limit=limit))
        return value.replace(" ", "") if column == "tracking_number" and value else value
    if column == "shipped_at":
        return parse_datetime(raw)
    if column == "destination_country":
        return parse_country(raw)
    if column == "store_tracking_synced":
        word = parse_value(column, raw)
        return {"true": True, "false": False}.get(word)
    return parse_value(column, raw)


def order_from_record(record: Mapping[str, Any]) -> Order:
    """A mapping with canonical or alias keys -> :class:`Order` (errors collected, never raised).

    Keys the alias table does not know are ignored; a missing key means unknown. The
    record is read as a one-row file: its cells (:func:`cell_text`: typed values as a
    spreadsheet's) go through the file reader's column code (:func:`normalize_table`'s),
    so a pasted order and a file's row read alike by construction.
    """
    import numpy as np

    from ._arrow import strings

    cells: dict[str, str] = {}
    aliases = _column_aliases()
    for key, raw in record.items():
        column = aliases.get(normalize_key(key))
        if column is not None and column not in cells:
            cells[column] = cell_text(raw)
    values: dict[str, Any] = {}
    errors: list[str] = []
    for column in CANONICAL_COLUMNS:  # errors in column order, as a file's row has them
        if column not in cells:
            continue
        column_values, bad, messages = _normalize_column(column, strings([cells[column]]), 1)
        if bad is not None and bad[0]:
            errors.append(str(messages[0].as_py()))
        value = column_values[0].as_py()
        if column == "shipped_at" and value is not None:
            value = dt.datetime(1970, 1, 1) + dt.timedelta(
                microseconds=int(np.datetime64(value, "ns").astype("int64")) // 1000)
        values[column] = None if value == "" else value
    if "order_id" in cells and not clean(cells["order_id"]):
        values["order_id"] = ""  # present but empty (its message says so)
    return Order(errors=tuple(errors), **values)


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


@dataclass
class ColumnMapping:
    """Which header of the file feeds which canonical column."""

    columns: dict[str, str]  # canonical -> header in the file
    ignored: list[str]  # headers that feed nothing

    def missing_required(self) -> list[str]:
        spec = knowledge().columns["columns"]
        return [c for c, s in spec.items() if s.get("required") == "yes" and c not in self.columns]


def map_columns(headers: Iterable[str]) -> ColumnMapping:
    """Match headers against the alias table; the first header wins when two mean the same."""
    aliases = _column_aliases()
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        column = aliases.get(normalize_key(header))
        if column is None or column in columns:
            ignored.append(header)
        else:
            columns[column] = header
    return ColumnMapping(columns, ignored)


class OrderTable:
    """What :func:`read_orders` gives: the file as read, the mapping, the canonical orders.

    ``raw`` (every cell as text, headers as in the file) and ``orders`` (canonical
    columns + ``error``, one row per row of ``raw``) are pandas frames, built on first
    use; ``orders_table`` is the canonical Arrow table the command line triages without
    pandas. Both may be given as either form.
    """

    def __init__(
        self,
        raw: Any,
        mapping: ColumnMapping,
        orders: Any,
        source: str = "",
        notes: list[str] | None = None,
    ) -> None:
        self._raw = raw
        self.mapping = mapping
        self._orders = orders
        self.source = source
        self._notes = list(notes or [])
        self._pending_notes: Future[list[str]] | None = None

    @property
    def notes(self) -> list[str]:
        """What staff should know about the file (blank rows, unused columns, repeated ids)."""
        if self._pending_notes is not None:
            self._notes.extend(self._pending_notes.result())
            self._pending_notes = None
        return self._notes

    @notes.setter
    def notes(self, value: list[str]) -> None:
        self._notes, self._pending_notes = list(value), None

    def __repr__(self) -> str:
        return f"OrderTable(source={self.source!r}, rows={self.rows}, invalid={self.invalid})"

    @property
    def raw(self) -> pd.DataFrame:
        if self._raw is not None and not _is_frame(self._raw):
            lines = self.lines
            self._raw = self._raw.to_pandas()
            self._raw.attrs["lines"] = lines.tolist()
        return self._raw

    @property
    def lines(self) -> np.ndarray:
        """Each order's line in the file as a spreadsheet numbers it (the header is line 1;
        blank rows, taken out, keep their number)."""
        return file_lines(self._raw, self.rows)

    @property
    def orders(self) -> pd.DataFrame:
        if not _is_frame(self._orders):
            self._orders = canonical_frame(self._orders)
        return self._orders

    @property
    def orders_table(self) -> Any:
        """The canonical orders as an Arrow table (see :func:`normalize_table`)."""
        if _is_frame(self._orders):
            return canonical_table(self._orders)
        return self._orders

    @property
    def rows(self) -> int:
        if self._raw is None:
            return self._rows
        return len(self._raw) if _is_frame(self._raw) else self._raw.num_rows

    def release_cells(self) -> None:
        """Let the file's cells go (``raw`` is then ``None``): the command line needs the
        canonical orders only, and a big file's cells are a fifth of its peak memory."""
        if self._raw is not None:
            self._rows = self.rows
            self._raw = None

    @property
    def invalid(self) -> int:
        if _is_frame(self._orders):
            return int((self._orders["error"] != "").sum())
        import pyarrow.compute as pc

        from ._arrow import to_numpy

        return int((to_numpy(pc.utf8_length(self._orders.column("error"))) > 0).sum())


def file_lines(raw: Any, rows: int) -> np.ndarray:
    """The spreadsheet lines of a reader's rows (``raw``: its frame or Arrow table)."""
    import numpy as np

    if raw is not None and _is_frame(raw):
        found = raw.attrs.get("lines")
        if found is not None and len(found) == rows:
            return np.asarray(found, dtype=np.int64)
    elif raw is not None:
        found = (raw.schema.metadata or {}).get(b"lines")
        if found is not None:
            return np.frombuffer(found, dtype="<i8").astype(np.int64)
    return np.arange(2, rows + 2, dtype=np.int64)


def _is_frame(value: Any) -> bool:
    """A pandas frame (True) or an Arrow table (False)."""
    import pyarrow as pa

    return not isinstance(value, pa.Table)


#: one worker for the checks that can run beside the triage (Arrow releases the GIL)
_BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tpop-orders")

_XLSX_MAGIC = b"PK\x03\x04"
_MAX_ERROR_HEADERS = 12


#: the start of files that are not orders, and what they are (``orders.kinds.*`` messages)
_MAGIC_KINDS = (
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"%PDF", "pdf"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf", "7z"),
)


def _binary_kind(data: bytes) -> str | None:
    """What a binary file is, or None for text."""
    for magic, kind in _MAGIC_KINDS:
        if data.startswith(magic):
            return message(f"orders.kinds.{kind}")
    if b"\x00" in data[:8192]:
        return message("orders.binary")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        return message("orders.web_page")
    if head.startswith((b"{", b"[")):
        return message("orders.json_file")
    return None


def _decode(data: bytes) -> tuple[str, str | None]:
    """Bytes -> text, and a note when the encoding had to be guessed line by line.

    UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 with or without BOM, cp1252
    (French Excel); a file mixing UTF-8 and cp1252 lines is read line by line.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    utf8 = 0
    decoded = []
    for line in data.split(b"\n"):
        try:
            decoded.append(line.decode("utf-8"))
            utf8 += any(b > 127 for b in line)
        except UnicodeDecodeError:
            decoded.append(line.decode("cp1252", errors="replace"))
    note = message("orders.mixed_lines") if utf8 else None
    return "\n".join(decoded), note


def sniff_csv(head: bytes) -> tuple[str, str, list[str]]:
    """Encoding, delimiter and header of a CSV file, from its first bytes (as
    :func:`read_orders` reads them): ``utf-8-sig`` or ``cp1252``, ``,`` ``;`` or tab, and
    the headers as the reader names them. Raises :class:`OrderFileError` for an empty
    start or a file that mixes encodings line by line (it needs the careful reader)."""
    if not head.strip():
        raise OrderFileError(Msg("orders.file_empty"))
    text, note = _decode(head)
    if note is not None:
        raise OrderFileError(Msg("orders.mixed_encodings"))
    try:
        head.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # the sample may end inside a UTF-8 character: only earlier failures mean cp1252
        encoding = "utf-8-sig" if exc.start >= len(head) - 3 else "cp1252"
    delimiter = _sniff_delimiter(text)
    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")], delimiter=delimiter))
    return encoding, delimiter, _unique_headers([h.strip().lstrip("\ufeff") for h in header])


def cell_text(value: Any) -> str:
    """A typed cell (a spreadsheet's or a Parquet file's) as the text the readers give it:
    dates ISO, whole floats without '.0', nothing as ''."""
    return _xlsx_cell(value)


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header: the first line with a cell filled (a file may start
    with blank lines, or with rows of empty cells)."""
    header, start = "", 0
    while start < len(text):  # line by line, without copying a big file's text
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if text[start:end].strip(" \t,;\r\ufeff"):
            header = text[start:end]
            break
        start = end + 1
    counts = {d: header.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv_text(text: str, name: str) -> pd.DataFrame:
    import pandas as pd

    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise OrderFileError(Msg("orders.file", name=name, problem=Msg(
            "orders.bad_csv", detail=exc, line=reader.line_num))) from None
    numbered = [(line, r) for line, r in enumerate(rows, 1) if any(c.strip() for c in r)]
    if not numbered:
        raise OrderFileError(Msg("orders.file", name=name, problem=Msg("orders.file_empty")))
    (header_line, header), body_lines = numbered[0], numbered[1:]
    header = [h.strip().lstrip("\ufeff") for h in header]
    width = len(header)
    for line, r in body_lines:
        if len(r) > width and any(c.strip() for c in r[width:]):
            raise OrderFileError(Msg("orders.file", name=name, problem=Msg(
                "orders.too_many_fields", line=line, fields=len(r), width=width,
                delimiter=Msg(f"orders.{_DELIMITER_NAMES[delimiter]}"))))
    blank = len(rows) - header_line - len(body_lines)
    body = [(r + [""] * width)[:width] for _, r in body_lines]
    frame = pd.DataFrame(body, columns=_unique_headers(header), dtype=object)
    frame.attrs["blank_rows"] = blank
    frame.attrs["lines"] = [line for line, _ in body_lines]
    return frame


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def _is_utf8(data: bytes) -> bool:
    """UTF-8 text (with or without BOM), not UTF-16: what the fast reader takes as it is."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if data.isascii():
        return True
    try:
        data.decode("utf-8")  # checked, then let go: the reader keeps the bytes only
    except UnicodeDecodeError:
        return False
    return True


_NON_SPACE = re.compile(rb"\S")


def _read_csv_fast(data: bytes) -> Any:
    """The common case, read by pyarrow's multithreaded reader into an Arrow table of text
    cells (blank rows taken out, counted in ``schema.metadata[b"blank_rows"]``, the kept
    rows' spreadsheet lines in ``b"lines"`` when any was); None -> use the careful reader.
    ``data``: UTF-8, with or without BOM; bytes that are not UTF-8 (cp1252, UTF-16) give
    None (pyarrow checks every cell, this function the header), so the caller need not
    decode a big file first to know.

    Only well-formed files take this path: header on the first line, every row as wide as
    the header (or empty). Anything else (and every error) goes to :func:`_read_csv_text`,
    which reads the same cells and explains problems line by line.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    end = data.find(b"\n", start)
    if end < 0:
        return None
    try:
        first_line = data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    found = _NON_SPACE.search(data, end + 1)
    if not first_line.strip() or found is None:
        return None
    if found.group()[0] >= 0x80 and not data[end + 1 :].decode("utf-8", "replace").strip():
        return None  # only non-ASCII spaces after the header
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    delimiter = _sniff_delimiter(first_line)
    if "\r" in first_line.rstrip("\r"):
        return None  # old Mac line endings: the careful reader handles them
    try:
        header = next(csv.reader([first_line.rstrip("\r")], delimiter=delimiter), None)
    except csv.Error:
        return None
    if header is None:
        return None
    width = len(header)
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(start)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=16 * 1024 * 1024),
            # an empty line is a row of empty cells: counted with the blank rows below
            parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False,
                                             newlines_in_values=b'"' in data),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                check_utf8=True),  # a cell that is not UTF-8: the careful reader decodes
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    import numpy as np

    from ._arrow import bools

    table = table.rename_columns(_unique_headers([h.strip().lstrip("\ufeff") for h in header]))
    table = table.combine_chunks()
    blank = _blank_rows_arrow(table)
    metadata = {"blank_rows": str(int(blank.sum()))}
    if blank.any():
        table = table.filter(bools(~blank))
        # the kept rows' lines (the header is line 1), as little-endian int64 bytes
        metadata["lines"] = (np.flatnonzero(~blank) + 2).astype("<i8").tobytes()
    return table.replace_schema_metadata(metadata)


def _blank_rows_arrow(table: Any) -> Any:
    """Rows whose every cell is empty or whitespace (Python's idea of it), as a numpy mask."""
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import SPACE_CLASS, first_bytes, from_numpy, to_numpy

    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        column = _one_chunk(column)
        # only a cell that is empty or starts with a space can be blank: its first byte
        # (read from the buffers) is none, ASCII whitespace or the start of a non-ASCII
        # character (U+00A0, U+2003…); the few such cells are tested exactly in C++
        first = first_bytes(column)
        blank &= _may_start_blank()[first]
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        spaces = pc.match_substring_regex(column.take(from_numpy(rows)), "^" + SPACE_CLASS + "*$")
        blank[rows] = to_numpy(spaces)
    return blank


@lru_cache(maxsize=1)
def _may_start_blank() -> Any:
    """First byte (256: an empty cell) -> may the cell be whitespace only?"""
    import numpy as np

    table = np.zeros(257, dtype=bool)
    table[[256, *b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "]] = True
    table[0x80:256] = True
    return table



def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers):
        h = h or f"column {i + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h} ({seen[h]})"
        else:
            seen[h] = 1
        out.append(h)
    return out


#: an .xlsx whose parts unpack to more than this is refused before it is parsed ...
XLSX_MAX_UNPACKED = 1024 * 1024 * 1024
#: ... and so is one over 64 MiB unpacked that is packed more than this many times over
#: (workbooks pack 5-20 times; a zip bomb, hundreds of times)
XLSX_MAX_RATIO = 100


def _check_xlsx_size(data: bytes, name: str) -> None:
    """Refuse a zip bomb from the sizes its archive declares, before anything is unpacked.

    Python's zipfile stops a member that unpacks to more than it declared, so the
    declared sizes bound what openpyxl can unpack. (openpyxl parses the XML with
    defusedxml, a dependency: no entity expansion, no external entities.)
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a readable archive: openpyxl's own message follows
    unpacked = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if unpacked > XLSX_MAX_UNPACKED or (
        unpacked > 64 * 1024 * 1024 and unpacked / packed > XLSX_MAX_RATIO
    ):
        raise OrderFileError(Msg("orders.file", name=name, problem=Msg(
            "orders.xlsx_too_large", unpacked=unpacked // (1024 * 1024),
            packed=len(data) // 1024)))


def _read_xlsx(data: bytes, name: str) -> pd.DataFrame:
    import pandas as pd

    _check_xlsx_size(data, name)
    try:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise OrderFileError(Msg("orders.file", name=name, problem=Msg(
            "orders.xlsx_damaged", kind=type(exc).__name__))) from None
    try:
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    numbered = [(line, r) for line, r in enumerate(rows, 1)
                if any(c is not None and str(c).strip() != "" for c in r)]
    blank = len(rows) - len(numbered)
    rows = [r for _, r in numbered]
    if not rows:
        raise OrderFileError(Msg("orders.file", name=name, problem=Msg("orders.sheet_empty")))
    header = [clean(h) for h in rows[0]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    body = [[_xlsx_cell(c) for c in (r + [None] * width)[:width]] for r in rows[1:]]
    frame = pd.DataFrame(body, columns=_unique_headers(header), dtype=object)
    frame.attrs["blank_rows"] = blank
    frame.attrs["lines"] = [line for line, _ in numbered[1:]]
    return frame


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_orders(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    mapping: ColumnMapping | None = None,
) -> OrderTable:
    """Read a CSV or .xlsx file (path or bytes) into an :class:`OrderTable`.

    Raises :class:`OrderFileError` when the file cannot be read, is empty, or lacks
    a required column; a bad value in a row never raises (see the ``error`` column).
    """
    if isinstance(source, bytes):
        data, label = source, name or "upload"
    else:
        path = Path(source)
        label = name or path.name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise OrderFileError(Msg("orders.file", name=label,
                                     problem=Msg("orders.no_such_file"))) from None
        except IsADirectoryError:
            raise OrderFileError(Msg("orders.file", name=label,
                                     problem=Msg("orders.is_a_folder"))) from None
        except OSError as exc:
            raise OrderFileError(Msg("orders.file", name=label, problem=Msg(
                "orders.cannot_be_read", reason=exc.strerror))) from None
    if not data[:4096].strip() and not data.strip():  # (a copy of a big file only if blank)
        raise OrderFileError(Msg("orders.file", name=label, problem=Msg("orders.file_empty")))
    notes = []
    if data.startswith(_XLSX_MAGIC):
        if b"xl/" not in data[:4096] and b"[Content_Types].xml" not in data[:4096]:
            raise OrderFileError(Msg("orders.file", name=label,
                                     problem=Msg("orders.zip_not_orders")))
        raw = _read_xlsx(data, label)
    else:
        kind = None if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _binary_kind(data)
        if kind:
            raise OrderFileError(Msg("orders.file", name=label,
                                     problem=Msg("orders.not_orders", reason=kind)))
        raw = _read_csv_fast(data)  # None when not UTF-8 or not well formed
        if raw is None:  # another encoding, or a file the careful reader must explain
            text, encoding_note = _decode(data)
            if encoding_note:
                notes.append(encoding_note)
            elif not _is_utf8(data):
                raw = _read_csv_fast(text.encode("utf-8"))  # cp1252 or UTF-16, transcoded
            if raw is None:
                raw = _read_csv_text(text, label)
            del text
    del data  # the cells are in ``raw`` now: a big file's bytes need not wait for the end
    arrow = not _is_frame(raw)
    headers = list(raw.column_names if arrow else raw.columns)
    found = mapping or map_columns(headers)
    missing = found.missing_required()
    if missing:
        spec = knowledge().columns["columns"]
        shown: Any = ", ".join(f"'{h}'" for h in headers[:_MAX_ERROR_HEADERS])
        if len(headers) > _MAX_ERROR_HEADERS:
            shown = Msg("orders.and_more", shown=shown, count=len(headers) - _MAX_ERROR_HEADERS)
        names = [Msg("orders.missing_column", column=c,
                     aliases=", ".join(spec[c]["aliases"][1:5])) for c in missing]
        odd = [c for c in "|:/ " if c in headers[0]] if len(headers) == 1 else []
        problem = (Msg("orders.missing_columns_hint", names=names, shown=shown, separator=odd[0])
                   if odd else Msg("orders.missing_columns", names=names, shown=shown))
        raise OrderFileError(Msg("orders.file", name=label, problem=problem))
    blank = int((raw.schema.metadata or {}).get(b"blank_rows", 0)) if arrow else int(
        raw.attrs.get("blank_rows") or 0)
    if blank:
        notes.append(message("orders.blank_rows", count=blank))
    if found.ignored:
        unused: Any = ", ".join(found.ignored[:_MAX_ERROR_HEADERS])
        more = len(found.ignored) - _MAX_ERROR_HEADERS
        if more > 0:
            unused = Msg("orders.and_more", shown=unused, count=more)
        notes.append(message("orders.columns_unused", shown=unused))
    if arrow:
        columns = {h: _one_chunk(raw.column(h)) for h in found.columns.values()}
    else:
        from ._arrow import texts

        columns = {h: texts(raw[h]) for h in found.columns.values()}
    orders = normalize_table(columns, len(raw) if not arrow else raw.num_rows, found)
    table = OrderTable(raw=raw, mapping=found, orders=orders, source=label, notes=notes)
    # Finding repeated order ids hashes every id: it runs beside whatever comes next
    # (the triage), and ``notes`` waits for it.
    table._pending_notes = _BACKGROUND.submit(_duplicate_notes, orders.column("order_id"))
    return table


def _duplicate_notes(order_ids: Any) -> list[str]:
    """One note naming order ids that appear on more than one row (rows are all kept)."""
    import pyarrow.compute as pc

    from ._arrow import bools, to_numpy

    order_ids = _one_chunk(order_ids)
    filled = order_ids.filter(bools(to_numpy(pc.binary_length(order_ids)) > 0))
    if len(pc.unique(filled)) == len(filled):  # the usual case, found faster
        return []
    counts = pc.value_counts(filled)
    repeated = counts.filter(bools(to_numpy(counts.field("counts")) > 1))
    if len(repeated) == 0:
        return []
    pairs = sorted(zip(repeated.field("values").to_pylist(), repeated.field("counts").to_pylist(),
                       strict=True), key=lambda pair: -pair[1])  # most repeated first, stable
    shown: Any = ", ".join(f"'{shorten(str(k), 30)}' ×{v}" for k, v in pairs[:5])
    if len(pairs) > 5:
        shown = Msg("orders.and_more", shown=shown, count=len(pairs) - 5)
    return [message("orders.repeated_ids", count=len(pairs), shown=shown)]


def normalize_frame(raw: pd.DataFrame, mapping: ColumnMapping) -> pd.DataFrame:
    """Raw text cells -> canonical typed columns plus ``error`` (one row per input row).

    The pandas view of :func:`normalize_table` (same index as ``raw``): text columns are
    Python strings (``''`` unknown), ``shipped_at`` is ``datetime64[ns]`` (``NaT``
    unknown), ``store_tracking_synced`` a nullable boolean.
    """
    from ._arrow import texts

    columns = {header: texts(raw[header]) for header in mapping.columns.values()}
    frame = canonical_frame(normalize_table(columns, len(raw), mapping))
    frame.index = raw.index
    return frame


def canonical_table(orders: pd.DataFrame) -> Any:
    """A canonical orders frame (:func:`normalize_frame`, possibly edited by a page) as the
    canonical Arrow table the engine reads (:func:`normalize_table`'s form)."""
    import pandas as pd
    import pyarrow as pa

    from ._arrow import texts

    n = len(orders)
    out: dict[str, Any] = {}
    for column in (*CANONICAL_COLUMNS, "error"):
        if column not in orders.columns:
            out[column] = unknown_column(column if column != "error" else "order_id", n)
            continue
        values = orders[column]
        if column == "shipped_at":
            moments = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
            out[column] = pa.array(moments, type=pa.timestamp("ns"), from_pandas=True)
        elif column == "store_tracking_synced":
            flags = pd.array(values.to_numpy(dtype=object), dtype="boolean")
            out[column] = pa.array(flags.to_numpy(dtype=bool, na_value=False),
                                   mask=flags.isna(), type=pa.bool_())
        else:
            out[column] = texts(values)
    return pa.table(out)


def canonical_frame(canonical: Any) -> pd.DataFrame:
    """A canonical Arrow table (:func:`normalize_table`) as a pandas frame."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, Any] = {}
    for column in (*CANONICAL_COLUMNS, "error"):
        values = canonical.column(column)
        if pa.types.is_dictionary(values.type):
            values = values.cast(pa.string())
        if column == "shipped_at":
            out[column] = values.to_numpy().astype("datetime64[ns]")
        elif column == "store_tracking_synced":
            known = pc.fill_null(values, False).to_numpy()
            out[column] = pd.arrays.BooleanArray(known, pc.is_null(values).to_numpy())
        else:
            out[column] = values.to_numpy().astype(object)
    return pd.DataFrame(out)


def normalize_table(raw: Mapping[str, Any], n: int, mapping: ColumnMapping) -> Any:
    """Raw text columns (Arrow, by header) -> the canonical Arrow table, one row per input row.

    Columns ``order_id, shipped_at (timestamp[ns], null unknown), tracking_number,
    destination_country, tracking_status, customer_claim`` (strings, ``''`` unknown; the
    last three dictionary-encoded),
    ``store_tracking_synced`` (bool, null unknown) and ``error`` (``''`` or the row's
    messages, joined by ``'; '`` in column order).

    Columns of few values by nature (statuses, claims, countries, store flags) are parsed
    once per distinct value. Order ids and tracking numbers (mostly distinct) are cleaned
    in Arrow (C++), and ship dates of the common shapes read row by row from their bytes
    with numpy, whatever their number of distinct values (a property test holds them to
    ``strptime``); what those paths do not recognise goes through the per-value
    functions. :func:`order_from_record` reads a record through the same column code.
    """
    import pyarrow as pa

    headers = [(c, mapping.columns.get(c)) for c in CANONICAL_COLUMNS]
    # columns are independent: two at a time, on two cores (Arrow and numpy release the GIL)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tpop-columns") as pool:
        done = list(pool.map(
            lambda item: _normalize_column(item[0], None if item[1] is None else raw[item[1]], n),
            headers))
    out = {column: values for (column, _), (values, _, _) in zip(headers, done, strict=True)}
    problems = [(bad, messages) for _, bad, messages in done if bad is not None]
    out["error"] = _joined_messages(problems, n)
    return pa.table(out)


def _normalize_column(column: str, cells: Any, n: int) -> tuple[Any, Any, Any]:
    """One canonical column from its raw cells (None: not in the file), with the rows that
    have a message and the messages (None, None without any)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import bools, empty_strings, from_numpy, scalar, strings, to_numpy

    if cells is None:
        return unknown_column(column, n), None, None
    messages = None  # built only for a column with at least one message
    if column in ("order_id", "tracking_number"):  # mostly distinct: no dictionary
        values, messages = _identifiers_arrow(column, cells)
    elif column == "shipped_at":  # often all distinct: read row by row, in numpy
        parsed, messages = _parse_dates(cells)
        values = from_numpy(parsed)
    else:
        encoded = pc.dictionary_encode(cells)
        codes = encoded.indices
        uniques = to_numpy(encoded.dictionary).astype(object)
        parsed, unique_messages = _parse_each(column, uniques)
        if column == "store_tracking_synced":
            known = np.array([v is not None for v in parsed], dtype=bool)
            values = bools(np.array([bool(v) for v in parsed], dtype=bool),
                           missing=~known).take(codes)
        else:  # few distinct words: kept dictionary-encoded, as read
            words = strings(["" if v is None else str(v) for v in parsed])
            values = pa.DictionaryArray.from_arrays(codes, words)
        if any(unique_messages):
            messages = strings(unique_messages).take(codes)
    bad = np.zeros(n, dtype=bool) if messages is None else (
        to_numpy(pc.utf8_length(messages)) > 0)
    if column == "order_id":
        empty = (to_numpy(pc.utf8_length(values)) == 0) & ~bad
        if empty.any():
            messages = pc.if_else(bools(empty), scalar(message("orders.row", column="order_id",
                                                                problem=Msg("orders.empty"))),
                                  empty_strings(n) if messages is None else messages)
            bad = bad | empty
    return (values, bad, messages) if bad.any() else (values, None, None)


def _joined_messages(problems: list[tuple[Any, Any]], n: int) -> Any:
    """Each row's messages, in column order, joined with '; ' ('' for a row without any)."""
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import bools, empty_strings, from_numpy, scalar, to_numpy

    empty = empty_strings(n)
    if not problems:
        return empty
    bad = np.zeros(n, dtype=bool)
    for mask, _ in problems:
        bad |= mask
    rows = from_numpy(np.flatnonzero(bad))
    joined = None
    for _, messages in problems:  # only the rows with a message, in C++
        taken = messages.take(rows)
        if joined is None:
            joined = taken
            continue
        has_joined = to_numpy(pc.binary_length(joined)) > 0
        has_taken = to_numpy(pc.binary_length(taken)) > 0
        both = pc.binary_join_element_wise(joined, taken, scalar("; "))
        joined = pc.if_else(bools(has_joined & has_taken), both,
                            pc.if_else(bools(has_joined), joined, taken))
    return pc.replace_with_mask(empty, bools(bad), joined)


def _one_chunk(array: Any) -> Any:
    from ._arrow import one_chunk

    return one_chunk(array)


def unknown_column(column: str, n: int) -> Any:
    """A canonical column of ``n`` unknown values, as a file without that column gives it
    (Arrow): null ship moments, null store flags, ``''`` texts."""
    import pyarrow as pa

    from ._arrow import empty_strings

    if column == "shipped_at":
        return pa.nulls(n, pa.timestamp("ns"))
    if column == "store_tracking_synced":
        return pa.nulls(n, pa.bool_())
    return empty_strings(n)


def _parse_each(column: str, uniques: Any) -> tuple[list[Any], list[str]]:
    values: list[Any] = []
    messages: list[str] = []
    for value in uniques:
        try:
            values.append(_parse_field(column, value))
            messages.append("")
        except ValueError as exc:
            values.append(None)
            messages.append(message("orders.row", column=column, problem=exc))
    return values, messages


def _identifiers_arrow(column: str, cells: Any) -> tuple[Any, Any]:
    """Order ids and tracking numbers: invisible characters out, spaces folded and trimmed,
    length checked, in Arrow.
    Returns the values and their messages (None when no value has one).

    Most values hold no whitespace at all: only the others go through the regular
    expression (Python's whitespace) and the trimming.
    """
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import (
        SPACE_CLASS,
        bools,
        empty_strings,
        from_numpy,
        strings,
        to_numpy,
        without_space,
    )

    cells = _one_chunk(cells)
    n = len(cells)
    odd = np.flatnonzero(~without_space(cells))  # '' counts as odd: harmless
    values = cells
    if len(odd):
        # invisible and control characters out first (never reach a page or a reply)
        chosen = pc.replace_substring_regex(cells.take(from_numpy(odd)), INVISIBLE_CLASS, "")
        if column == "tracking_number":
            cleaned = pc.replace_substring_regex(chosen, SPACE_CLASS + "+", "")
        else:
            cleaned = pc.utf8_trim(pc.replace_substring_regex(chosen, SPACE_CLASS + "+", " "), " ")
        mask = np.zeros(n, dtype=bool)
        mask[odd] = True
        values = pc.replace_with_mask(cells, bools(mask), cleaned)
    messages = None
    limit = _max_length(column)
    if limit:
        too_long = np.flatnonzero(to_numpy(pc.utf8_length(cells)) > limit)
        if len(too_long):  # rare: the per-value function words the message
            parsed, found = _parse_each(column, cells.take(from_numpy(too_long)).to_pylist())
            mask = np.zeros(n, dtype=bool)
            mask[too_long] = True
            values = pc.replace_with_mask(
                values, bools(mask), strings(["" if v is None else v for v in parsed]))
            messages = pc.replace_with_mask(empty_strings(n), bools(mask), strings(found))
    return values, messages


def _parse_dates(texts: Any) -> tuple[Any, Any]:
    """Ship-date texts (an Arrow string array, one a row) -> datetime64[ns] values and
    their messages (an Arrow string array, '' when fine; None when no value has one).

    Values of the formats in data/columns.yaml, zero-padded, are read from their bytes
    with numpy (each format on the texts of its width: a matrix of digits), every field
    checked as Python's ``strptime`` checks it (31/02 is no date); nothing is done once
    per value, so a file of all-distinct moments costs what one of few does. Everything
    else (other shapes, mistakes) goes through :func:`parse_datetime`, once per distinct
    value.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import bools, byte_matrix, empty_strings, from_numpy, strings, to_numpy

    text = _one_chunk(texts)
    n = len(text)
    if n > _DATE_ROWS:  # a slice at a time: the byte matrices and digits stay small
        parts = [_parse_dates(text.slice(start, _DATE_ROWS)) for start in range(0, n, _DATE_ROWS)]
        if all(m is None for _, m in parts):
            return np.concatenate([v for v, _ in parts]), None
        return np.concatenate([v for v, _ in parts]), pa.concat_arrays(
            [empty_strings(len(v)) if m is None else m for v, m in parts])
    values = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    size = to_numpy(pc.binary_length(text)) if n else np.zeros(0, dtype=np.int32)
    pending = size > 0
    for width, formats in _formats_by_width(_date_formats()).items():  # copied once a width
        fits = pending & (size == width)
        if not fits.any():
            continue
        where = np.flatnonzero(fits)
        chars = byte_matrix(text.filter(bools(fits)), width)
        for fmt in formats:  # in the order of data/columns.yaml: the first that reads wins
            fields, literals, _ = _layout(fmt)
            ok, moments = _read_layout(chars, fields, literals)
            if "%H" not in fmt:  # a date without a time: the end of that day (END_OF_DAY)
                moments = moments + np.timedelta64(86399, "s")
            values[where[ok]] = moments[ok]
            pending[where[ok]] = False
            if ok.all():
                break
            where, chars = where[~ok], chars[~ok]
    if not pending.any():
        return values, None
    # other shapes and mistakes: the per-value parser, once per distinct text
    rows = np.flatnonzero(pending)
    encoded = pc.dictionary_encode(text.take(from_numpy(rows)))
    parsed = np.full(len(encoded.dictionary), np.datetime64("NaT"), dtype="datetime64[ns]")
    found = []
    for i, value in enumerate(encoded.dictionary.to_pylist()):
        try:
            moment = parse_datetime(value)
            if moment is not None:
                parsed[i] = np.datetime64(moment, "ns")
            found.append("")
        except ValueError as exc:
            found.append(message("orders.row", column="shipped_at", problem=exc))
    codes = to_numpy(encoded.indices).astype(np.int64)
    values[rows] = parsed[codes]
    if not any(found):
        return values, None
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return values, pc.replace_with_mask(empty_strings(n), bools(mask),
                                        strings(found).take(from_numpy(codes)))


#: ship dates read at a time (131,072)
_DATE_ROWS = 1 << 17
_FIELD_WIDTHS = {"%Y": 4, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2}


@lru_cache(maxsize=8)
def _formats_by_width(formats: tuple[str, ...]) -> dict[int, list[str]]:
    """Date formats (data/columns.yaml's) grouped by the width of their zero-padded texts,
    each group in the given order."""
    groups: dict[int, list[str]] = {}
    for fmt in formats:
        groups.setdefault(_layout(fmt)[2], []).append(fmt)
    return groups


@lru_cache(maxsize=32)
def _layout(fmt: str) -> tuple[tuple[tuple[str, int, int], ...], tuple[tuple[int, int], ...],
                                int]:
    """A strptime format's zero-padded layout: its fields (directive, start, width), its
    literal characters (position, byte) and its width."""
    fields, literals, i, at = [], [], 0, 0
    while i < len(fmt):
        token = fmt[i : i + 2]
        if token in _FIELD_WIDTHS:
            fields.append((token, at, _FIELD_WIDTHS[token]))
            at += _FIELD_WIDTHS[token]
            i += 2
        else:
            literals.append((at, ord(fmt[i])))
            at += 1
            i += 1
    return tuple(fields), tuple(literals), at


def _read_layout(chars: Any, fields: Any, literals: Any) -> tuple[Any, Any]:
    """Texts of one layout (an (n, width) byte matrix) -> which are real moments, as
    Python's ``strptime`` would have them, and their datetime64[ns] values (NaT for the
    others). Column by column on bytes: a few vector operations per character."""
    import numpy as np

    n = len(chars)
    moments = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.ones(n, dtype=bool)
    for at, byte in literals:  # the separators first: they rule most other formats out
        ok &= chars[:, at] == byte
    if not ok.any():
        return ok, moments
    rows = None if ok.all() else np.flatnonzero(ok)
    if rows is not None:
        chars = chars[rows]
    good = np.ones(len(chars), dtype=bool)
    number = {"%H": 0, "%M": 0, "%S": 0}
    for token, at, width in fields:  # int32: four digits at most
        value = np.zeros(len(chars), dtype=np.int32)
        for k in range(at, at + width):
            digit = chars[:, k] - np.uint8(ord("0"))  # wraps below '0': > 9 too
            good &= digit <= 9
            value *= 10
            value += digit
        number[token] = value
    year, month, day = number["%Y"], number["%m"], number["%d"]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
    last = month_days[np.clip(month, 1, 12) - 1] + (leap & (month == 2))
    # years datetime64[ns] holds (the others go to the per-value parser, as before)
    good &= (year > 1678) & (year < 2262) & (month >= 1) & (month <= 12) & (day >= 1)
    good &= (day <= last) & (number["%H"] <= 23) & (number["%M"] <= 59) & (number["%S"] <= 59)
    # days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    of_era = y - era * 400
    of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    of_400 = of_era * 365 + of_era // 4 - of_era // 100 + of_year
    days = era * 146097 + of_400 - 719468
    seconds = days.astype(np.int64) * 86400 + (number["%H"] * 3600 + number["%M"] * 60
                                                 + number["%S"])
    values = np.where(good, seconds * 10**9, np.iinfo(np.int64).min).view("datetime64[ns]")
    if rows is None:
        return good, values
    ok[rows] = good
    moments[rows] = values
    return ok, moments
