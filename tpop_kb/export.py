"""Triage results as files to download: CSV (UTF-8 with BOM) and Excel ``.xlsx``, in memory.

Both files hold the columns of :data:`~tpop_kb.triage.OUTPUT_COLUMNS`, in that
order, with one row per input row: the same table the command line writes
(``python -m tpop_kb triage``), so a file downloaded from the bulk page and the
CLI's output compare cell by cell.

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed would be
run as a formula by Excel or LibreOffice. Order ids and messages come from
customers' files, so every such text cell gets a single quote in front
(``=1+1`` -> ``'=1+1``) in both formats. Numbers stay numbers.

Both builders take any frame and the columns to write: the command line's columns by
default, or a page's (its own headers, a ``;`` separator for French Excel, clickable
links in the workbook). Nothing is written to disk: the builders return bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .triage import OUTPUT_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CSV_MIME",
    "FORMULA_TRIGGERS",
    "XLSX_MIME",
    "export_frame",
    "neutralize",
    "to_csv_bytes",
    "to_xlsx_bytes",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
CSV_MIME = "text/csv;charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOM = "\ufeff"
_SHEET_NAME = "triage"
_ABOUT_SHEET = "about"
#: Excel's limits: links a sheet, characters of a link.
_MAX_LINKS = 65_530
_MAX_URL = 2_079
#: Column widths in the workbook (characters); others get the default.
_WIDTHS = {
    "order_id": 16,
    "outcome": 26,
    "recheck_at": 17,
    "contact_from": 12,
    "days_since_shipped": 10,
    "tracking_url": 40,
    "destination_post_url": 40,
    "flags": 28,
    "reason": 70,
    "article_ref": 30,
    "error": 50,
}


def neutralize(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading quote; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def export_frame(result: pd.DataFrame, columns: Sequence[str] = OUTPUT_COLUMNS) -> pd.DataFrame:
    """The result's output columns, text cells neutralised, missing values empty.

    Text columns become ``object`` columns of ``str``; integer columns keep their
    numbers (``<NA>`` where unknown).
    """
    import numpy as np
    import pandas as pd

    missing = [c for c in columns if c not in result.columns]
    if missing:
        raise KeyError(f"the result has no column {', '.join(missing)}")
    out: dict[str, Any] = {}
    for column in columns:
        series = result[column]
        if pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_float_dtype(
            series.dtype
        ):
            out[column] = series.reset_index(drop=True)
            continue
        values = series.astype(object).where(series.notna(), "").astype(str).to_numpy(object)
        risky = np.fromiter(
            (v.startswith(FORMULA_TRIGGERS) for v in values), dtype=bool, count=len(values)
        )
        if risky.any():
            values = values.copy()
            values[risky] = "'" + values[risky]
        out[column] = pd.Series(values, dtype=object)
    return pd.DataFrame(out, columns=list(columns))


def _headers(columns: Sequence[str], headers: Mapping[str, str] | None) -> list[str]:
    """The header row: each column's heading (``headers``) or its own name, neutralised."""
    return [neutralize(str((headers or {}).get(c, c))) for c in columns]


def to_csv_bytes(
    result: pd.DataFrame,
    columns: Sequence[str] = OUTPUT_COLUMNS,
    *,
    sep: str = ",",
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """CSV for Excel: UTF-8 with a byte-order mark, CRLF line ends, neutralised cells.

    ``sep``: ``,`` (the command line's) or ``;`` (what French Excel opens in columns);
    ``headers``: column -> heading (default: the column's name).
    """
    if sep not in (",", ";", "\t"):
        raise ValueError(f"unsupported separator {sep!r}")
    frame = export_frame(result, columns)
    frame.columns = _headers(columns, headers)
    buffer = io.StringIO()
    buffer.write(_BOM)
    frame.to_csv(buffer, index=False, sep=sep, lineterminator="\r\n",
                 quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode("utf-8")


def to_xlsx_bytes(
    result: pd.DataFrame,
    columns: Sequence[str] = OUTPUT_COLUMNS,
    *,
    about: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    links: Sequence[str] = (),
    sheet_names: tuple[str, str] = (_SHEET_NAME, _ABOUT_SHEET),
) -> bytes:
    """An ``.xlsx`` workbook: sheet ``triage`` (the output columns) and, if given, ``about``.

    ``about`` holds label -> value pairs (source file, as-of moment, counts...),
    written as a two-column sheet. Header row bold and frozen, with a filter.
    ``headers``: column -> heading (default: the column's name). Every text is written
    as text (never as a formula or a number); the cells of the ``links`` columns that
    hold an ``https://`` or ``http://`` address are clickable links (up to Excel's
    limit of links a sheet, after which they stay text).
    """
    import numpy as np
    import pandas as pd
    import xlsxwriter

    frame = export_frame(result, columns)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        bold = book.add_format({"bold": True, "bg_color": "#EEF3FF", "bottom": 1})
        label_format = book.add_format({"bold": True})
        link_format = book.add_format({"font_color": "#1F4FD1", "underline": 1})
        sheet = book.add_worksheet(sheet_names[0])
        for j, (column, heading) in enumerate(
            zip(frame.columns, _headers(list(frame.columns), headers), strict=True)
        ):
            sheet.write_string(0, j, heading, bold)
            sheet.set_column(j, j, _WIDTHS.get(column, 14))
        room = _MAX_LINKS
        for j, column in enumerate(frame.columns):
            series = frame[column]
            if series.dtype == object:
                linked = column in links
                for i, value in enumerate(series.to_numpy(object), 1):
                    if not value:
                        continue
                    if (linked and room > 0 and value.startswith(("https://", "http://"))
                            and len(value) <= _MAX_URL):
                        sheet.write_url(i, j, value, link_format, string=value)
                        room -= 1
                    else:
                        sheet.write_string(i, j, value)
            else:
                known = series.notna().to_numpy()
                numbers = series.to_numpy(dtype="float64", na_value=np.nan)
                for i in np.flatnonzero(known):
                    sheet.write_number(int(i) + 1, j, float(numbers[i]))
        sheet.freeze_panes(1, 0)
        if len(frame.columns):
            sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
        if about:
            info = book.add_worksheet(sheet_names[1])
            info.set_column(0, 0, 36)
            info.set_column(1, 1, 50)
            for i, (label, value) in enumerate(about.items()):
                info.write_string(i, 0, neutralize(str(label)), label_format)
                if isinstance(value, bool) or value is None:
                    info.write_string(i, 1, "" if value is None else str(value))
                elif isinstance(value, int | float) and not pd.isna(value):
                    info.write_number(i, 1, value)
                elif isinstance(value, dt.datetime):
                    info.write_string(i, 1, value.strftime("%Y-%m-%d %H:%M"))
                else:
                    info.write_string(i, 1, neutralize(str(value)))
    finally:
        book.close()
    return buffer.getvalue()
