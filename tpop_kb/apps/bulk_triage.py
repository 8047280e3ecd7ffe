"""The bulk triage page (``notebooks/bulk_triage.ipynb``): a whole export of orders at once.

Staff

1. upload a CSV or ``.xlsx`` file (or pick a bundled sample); the page says the
   size limit, and a file too large or of the wrong kind gets a message;
2. check which column of the file feeds each piece of information, and change
   it with a dropdown; a required one missing blocks the triage, by name;
3. see how many rows were read, are ready, and need checking (row, column,
   value, why) — every row of the file stays, rows in = rows out;
4. triage the orders "as of" a moment (now, Paris time, by default), with a
   progress bar and a button that cancels it (in a kernel the triage runs in a
   thread, so that the click arrives); rows the triage itself finds wrong (shipped
   after the as-of moment, no order id) are counted and explained in step 3;
5. read the counts per next action, three charts, and a table they can filter,
   sort (a click on a heading) and page through; each order links to the order
   assistant filled with it;
6. download all the orders, or the table's filtered rows, as CSV (UTF-8 with BOM)
   or ``.xlsx``, built in memory: French Excel (``;``, French headings, titles and
   reasons, dd/mm/yyyy) or the command line's English columns; both with the file's
   ship date, tracking number, country and tracking status.

Row numbers are the spreadsheet's line numbers (the header is line 1). The HTML comes
from :mod:`tpop_kb.apps.bulk_triage_views`; the page's CSS and the table's script are
``assets/bulk_triage.css`` and ``assets/bulk_triage.js``.

The reading, the rules and the files come from the engine (:mod:`tpop_kb.orders`,
:mod:`tpop_kb.triage`, :mod:`tpop_kb.export`, :mod:`tpop_kb.charts`): the result
is the one ``python -m tpop_kb triage`` gives for the same file and moment.

Hooks for browser tests (stable): the file input sits in ``.tpop-upload``; the
run button is ``.tpop-run-button``; ``.tpop-summary`` has one child per outcome
with ``data-outcome`` and ``data-count``; the download buttons are
``.tpop-download-csv`` and ``.tpop-download-xlsx``; the table's count line is
``.tpop-table-count``; mapping dropdowns are ``.tpop-map-<column>``; the filtered-rows
downloads are ``.tpop-download-filtered-csv`` and ``.tpop-download-filtered-xlsx``,
the format toggle ``.tpop-download-format``; the triage's cancel button is
``.tpop-cancel-button``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets

from ..events import record_bulk
from ..knowledge import LANGUAGES, KnowledgeError, data_dir, knowledge, line_of
from ..orders import (
    CANONICAL_COLUMNS,
    ColumnMapping,
    OrderFileError,
    file_lines,
    map_columns,
    normalize_frame,
    parse_as_of,
    read_orders,
)
from ..triage import OUTCOMES, OUTPUT_COLUMNS, triage_frame
from ..workdays import calendar_version, now_paris
from ._base import App, AppState, asset, brand_html, guarded, wording
from .bulk_triage_views import (
    as_of_help_html,
    changed_html,
    changed_rows,
    column_label,
    country_label,
    download_all_label_html,
    download_failed_html,
    download_filtered_label_html,
    download_intro_html,
    example_html,
    file_message_html,
    file_size,
    flag_title,
    hero_html,
    home_html,
    invalid_rows_html,
    mapping_intro_html,
    mapping_label_html,
    mapping_message_html,
    moment_text,
    number,
    outcome_title,
    reason_text,
    results_empty_html,
    run_status_html,
    sample_title,
    stale_html,
    status_label,
    step_title_html,
    subtitle_html,
    summary_html,
    validation_blocked_html,
    validation_html,
    validation_waiting_html,
    why_text,
)
from .result_table import ResultTable
from .style import style_widget
from .transfer import DownloadButton, FileDrop

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "BulkTriageApp",
    "BulkTriageState",
    "INPUT_COLUMNS",
    "download_frame",
    "file_size",
    "settings",
    "upload_limit",
]

#: The page wording's prefix (``data/ui/bulk_triage.yaml``).
_K = "bulk_triage"
AS_OF_FORMAT = "%Y-%m-%dT%H:%M"
#: The table's first columns, in this order (the order id stays in view when the table
#: scrolls sideways); then any other output column; then DISPLAY_LAST.
DISPLAY_FIRST = (
    "order_id", "row", "outcome", "reason", "recheck_at", "contact_from",
    "days_since_shipped", "flags", "destination_country", "shipped_at", "tracking_number",
    "tracking_status", "tracking_url", "destination_post_url",
)
DISPLAY_LAST = ("article_ref", "error")
#: The file's columns the downloads carry beside the result (canonical values).
INPUT_COLUMNS = ("shipped_at", "tracking_number", "destination_country", "tracking_status")
#: Read by the link to the order assistant, not shown.
HIDDEN_COLUMNS = ("_customer_claim", "_store_tracking_synced")
NOT_IN_FILE = ""
#: Download formats, one per language: French Excel (``fr``), or English with the command
#: line's columns (``en``); the page's language's is offered first.
DOWNLOAD_STYLES = LANGUAGES


#: The settings the page needs: section -> its whole numbers > 0 (and ``upload.accept``).
_REQUIRED_SETTINGS = {
    "upload": ("max_bytes", "chunk_bytes"),
    "triage": ("chunk_rows",),
    "validation": ("max_listed",),
    "table": (),
    "charts": ("top_countries", "max_days"),
}


def settings() -> dict[str, Any]:
    """The page's settings, from ``data/bulk_triage.yaml``, checked.

    A missing or malformed file, or a missing setting, raises :class:`KnowledgeError`
    naming the file and the line; the page then shows it instead of a traceback.
    """
    kb = knowledge()
    raw = kb.file("bulk_triage.yaml")
    path = kb.root / "bulk_triage.yaml"
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: expected sections {', '.join(_REQUIRED_SETTINGS)}")
    for section, keys in _REQUIRED_SETTINGS.items():
        if not isinstance(raw.get(section), dict):
            raise KnowledgeError(f"{path}{line_of(path, section)}: section '{section}' "
                                 "is missing")
        for key in keys:
            value = raw[section].get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                where = line_of(path, key) if key in raw[section] else line_of(path, section)
                raise KnowledgeError(f"{path}{where}: {section}.{key} must be a whole "
                                     "number > 0")
    accept = raw["upload"].get("accept")
    pages = raw["table"].get("page_sizes")
    if not isinstance(accept, list) or not accept:
        raise KnowledgeError(f"{path}{line_of(path, 'accept')}: upload.accept must list "
                             "file name endings")
    if not isinstance(pages, list) or not pages or not all(
        isinstance(n, int) and n > 0 for n in pages
    ):
        raise KnowledgeError(f"{path}{line_of(path, 'page_sizes')}: table.page_sizes must "
                             "list whole numbers > 0")
    return raw


def upload_limit() -> int:
    """The largest file the page accepts, in bytes."""
    return int(settings()["upload"]["max_bytes"])


def samples_dir() -> Path:
    return data_dir() / "samples"


def sample_files() -> list[str]:
    """The bundled sample order files (CSV and .xlsx), by name."""
    folder = samples_dir()
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir() if p.suffix.lower() in (".csv", ".xlsx", ".tsv")
    )


def _in_kernel() -> bool:
    """Whether the page runs in a Jupyter kernel (Voila): then the triage runs in a
    thread, so that a click on "cancel" reaches the page while it runs."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def download_frame(
    result: pd.DataFrame, orders: pd.DataFrame, style: str
) -> tuple[pd.DataFrame, dict[str, str], tuple[str, ...]]:
    """The rows of a download: the result's columns, then the file's :data:`INPUT_COLUMNS`;
    with the headings and the columns written as links.

    ``style`` ``"en"``: the command line's columns and values as they are (codes, ISO
    dates), headings the column names. ``"fr"``: French headings, next actions,
    remarks, reasons, countries and statuses, dates ``dd/mm/yyyy``. ``result`` and
    ``orders`` hold the same rows in the same order.
    """
    import pandas as pd

    shipped = orders["shipped_at"].reset_index(drop=True)
    shipped_text = pd.Series(
        [v.strftime(AS_OF_FORMAT) if not pd.isna(v) else "" for v in shipped], dtype=object
    )
    out: dict[str, Any] = {c: result[c].reset_index(drop=True) for c in OUTPUT_COLUMNS}
    out["shipped_at"] = shipped_text
    for column in ("tracking_number", "destination_country", "tracking_status"):
        out[column] = orders[column].astype(object).fillna("").astype(str).reset_index(
            drop=True)
    columns = [*OUTPUT_COLUMNS, *INPUT_COLUMNS]
    links = ("tracking_url", "destination_post_url")
    if style != "fr":
        return pd.DataFrame(out, columns=columns), {}, links
    lang = "fr"

    def each_distinct(series: pd.Series, word: Any) -> pd.Series:
        """``word`` of each distinct value, once (a file has few of them)."""
        text = series.astype(object).where(series.notna(), "").astype(str)
        return text.map({v: word(v) for v in text.unique()})

    # the reason: one text per distinct combination of the values it is made of
    keys = ["outcome", "days_since_shipped", "recheck_at", "contact_from", "reason"]
    parts = pd.DataFrame({k: out[k] for k in keys})
    parts["shipped_at"] = (out["shipped_at"] != "").map({True: "x", False: ""})
    parts["tracking_status"] = (out["tracking_status"] != "").map({True: "x", False: ""})
    combos = parts.astype(object).where(parts.notna(), None)
    distinct = combos.drop_duplicates()
    texts = {tuple(r.values()): reason_text(r, lang)
             for r in distinct.to_dict("records")}
    out["reason"] = pd.Series([texts[k] for k in combos.itertuples(index=False, name=None)],
                              dtype=object)
    out["outcome"] = each_distinct(out["outcome"], lambda c: outcome_title(c, lang))
    out["flags"] = each_distinct(
        out["flags"], lambda v: ", ".join(flag_title(f, lang) for f in v.split(";") if f))
    for column in ("recheck_at", "contact_from", "shipped_at"):
        out[column] = each_distinct(out[column], lambda v: moment_text(v, lang))
    out["article_ref"] = each_distinct(out["article_ref"], lambda v: v.replace(";", ", "))
    # the triage's own errors in French (the reader's stay as it words them)
    out["error"] = each_distinct(
        out["error"], lambda v: " ; ".join(why_text(e, lang)[0] for e in v.split("; ") if e))
    out["destination_country"] = each_distinct(
        out["destination_country"], lambda c: country_label(c, lang) if c else "")
    out["tracking_status"] = each_distinct(
        out["tracking_status"], lambda c: status_label(c, lang) if c else "")
    headers = {c: column_label(c, lang) for c in columns}
    return pd.DataFrame(out, columns=columns), headers, links


class _AnyColumns(ColumnMapping):
    """A mapping that asks for no column: reads a file whose required columns are not found,
    so that staff can pick them on the page."""

    def missing_required(self) -> list[str]:
        return []


_ERROR_PART = re.compile(r"; (?=(?:" + "|".join(CANONICAL_COLUMNS) + r"): )")


def split_errors(error: str) -> list[tuple[str, str]]:
    """``"shipped_at: 'x' is not a date; order_id: empty"`` -> [(column, why), ...]."""
    parts = []
    for part in _ERROR_PART.split(error) if error else []:
        column, sep, why = part.partition(": ")
        if sep and column in CANONICAL_COLUMNS:
            parts.append((column, why))
        else:
            parts.append(("", part))
    return parts


class BulkTriageState(AppState):
    """The page's state. The frames themselves live on the app (``app.raw``...)."""

    #: "cancel" was clicked while the triage runs
    cancelling = traitlets.Bool(False)
    #: the last triage was cancelled after this many orders (-1: it was not)
    cancelled_at = traitlets.Int(-1)
    #: the downloads' format: "fr" (French Excel) or "en" (the command line's)
    download_style = traitlets.Unicode("fr")

    source = traitlets.Unicode("")  # the file's name
    size = traitlets.Int(0)
    loaded = traitlets.Bool(False)
    #: canonical column -> header of the file ('' = not in the file)
    mapping = traitlets.Dict()
    as_of_text = traitlets.Unicode("")
    #: the upload area's message: {"key", "values", "tone", "detail"}
    message = traitlets.Dict()
    sample = traitlets.Unicode("")
    sample_loaded = traitlets.Bool(False)
    running = traitlets.Bool(False)
    done = traitlets.Int(0)
    total = traitlets.Int(0)
    #: raised when the orders change (file or mapping) and when a result arrives
    data_version = traitlets.Int(0)
    result_version = traitlets.Int(0)
    #: the as-of text and data version the shown result was made with
    result_as_of = traitlets.Unicode("")
    result_data_version = traitlets.Int(-1)
    result_seconds = traitlets.Float(0.0)
    download_error = traitlets.Unicode("")


class BulkTriageApp(App):
    """The bulk triage page. ``BulkTriageApp()`` in a notebook shows it."""

    css_class = "tpop-app"
    state_class = BulkTriageState

    def __init__(self, lang: str = "fr", *, background: bool | None = None,
                 **state: Any) -> None:
        self.raw: pd.DataFrame | None = None
        #: each row's line in the file as a spreadsheet numbers it (header: line 1)
        self.lines: np.ndarray | None = None
        self.orders: pd.DataFrame | None = None
        self.result: pd.DataFrame | None = None
        #: the orders the result was made from (the page's may have changed since)
        self.result_orders: pd.DataFrame | None = None
        self.notes: list[str] = []
        self._charts: dict[str, tuple[bytes, bytes, bytes]] = {}
        #: the triage runs in a thread (default: in a kernel), so that "cancel" is heard
        self.background = _in_kernel() if background is None else background
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._style_chosen = False
        state.setdefault("as_of_text", now_paris().strftime(AS_OF_FORMAT))
        state.setdefault("download_style", lang if lang in DOWNLOAD_STYLES else "en")
        super().__init__(lang=lang, **state)

    # -- layout --------------------------------------------------------------------
    def _build(self) -> None:
        # read here, inside the base class's guard: a broken settings file shows its card
        cfg = self._settings = settings()
        self.root.add_class("tpop-bulk")
        self.home = widgets.HTML()
        self.home.add_class("tpop-home")
        end = widgets.HBox([self.home, self.lang_toggle])
        end.add_class("tpop-header-end")
        self._build_header(end)
        self.brand.add_class("tpop-brand-box")
        self.intro = widgets.HTML()
        self.intro.layout.width = "100%"

        # 1. upload
        self.upload = FileDrop(
            max_bytes=upload_limit(),
            chunk_bytes=int(cfg["upload"]["chunk_bytes"]),
            accept=",".join(cfg["upload"]["accept"]),
        )
        self.upload.add_class("tpop-upload")
        self.sample_label = widgets.HTML()
        self.sample_label.add_class("tpop-sample-label")
        self.sample_picker = widgets.Dropdown(options=[("", "")], value="")
        self.sample_picker.add_class("tpop-sample-picker")
        self.sample_button = widgets.Button(icon="folder-open")
        self.sample_button.add_class("tpop-sample-button")
        samples = widgets.HBox([self.sample_label, self.sample_picker, self.sample_button])
        samples.add_class("tpop-samples")
        self.file_status = widgets.HTML()
        self.file_status.add_class("tpop-file-status")
        self.upload_title = self._title()
        self.upload_card = self._card(
            "tpop-step-upload", [self.upload_title, self.upload, samples, self.file_status]
        )

        # 2. columns
        self.mapping_title = self._title()
        self.mapping_intro = widgets.HTML()
        self.mapping_head = [widgets.HTML() for _ in range(3)]
        for cell in self.mapping_head:
            cell.add_class("tpop-mapping-head")
        self.mapping_labels: dict[str, widgets.HTML] = {}
        self.mapping_controls: dict[str, widgets.Dropdown] = {}
        self.mapping_examples: dict[str, widgets.HTML] = {}
        cells: list[widgets.Widget] = list(self.mapping_head)
        for column in CANONICAL_COLUMNS:
            label = widgets.HTML()
            label.add_class("tpop-mapping-label")
            control = widgets.Dropdown(options=[("", NOT_IN_FILE)], value=NOT_IN_FILE)
            control.add_class(f"tpop-map-{column}")
            control.add_class("tpop-map")
            control.tpop_column = column  # type: ignore[attr-defined]
            example = widgets.HTML()
            example.add_class("tpop-mapping-example")
            self.mapping_labels[column] = label
            self.mapping_controls[column] = control
            self.mapping_examples[column] = example
            cells += [label, control, example]
        self.mapping_grid = widgets.GridBox(cells)
        self.mapping_grid.add_class("tpop-mapping")
        self.mapping_message = widgets.HTML()
        self.mapping_message.add_class("tpop-mapping-message")
        self.mapping_card = self._card(
            "tpop-step-mapping",
            [self.mapping_title, self.mapping_intro, self.mapping_grid, self.mapping_message],
        )

        # 3. rows
        self.validation_title = self._title()
        self.validation = widgets.HTML()
        self.validation.add_class("tpop-validation")
        self.validation.layout.width = "100%"
        self.validation_card = self._card(
            "tpop-step-validation", [self.validation_title, self.validation]
        )

        # 4. triage
        self.run_title = self._title()
        self.as_of_label = widgets.HTML()
        self.as_of_label.add_class("tpop-control-label")
        self.as_of = widgets.Text(continuous_update=False)
        self.as_of.add_class("tpop-as-of")
        self.now_button = widgets.Button(icon="clock-o")
        self.now_button.add_class("tpop-now-button")
        self.run_button = widgets.Button(button_style="primary", icon="play")
        self.run_button.add_class("tpop-run-button")
        self.cancel_button = widgets.Button(icon="stop")
        self.cancel_button.add_class("tpop-cancel-button")
        self.cancel_button.layout.display = "none"
        self.as_of_help = widgets.HTML()
        self.as_of_help.add_class("tpop-as-of-help")
        self.progress = widgets.IntProgress(value=0, min=0, max=1)
        self.progress.add_class("tpop-progress")
        self.progress.layout.display = "none"
        self.run_status = widgets.HTML()
        self.run_status.add_class("tpop-run-status")
        as_of_field = widgets.VBox(
            [self.as_of_label, widgets.HBox([self.as_of, self.now_button])]
        )
        as_of_field.add_class("tpop-field")
        run_row = widgets.HBox([as_of_field, self.run_button, self.cancel_button])
        run_row.add_class("tpop-run-row")
        self.run_card = self._card(
            "tpop-step-run",
            [self.run_title, run_row, self.as_of_help, self.progress, self.run_status],
        )

        # 5. results
        self.results_title = self._title()
        self.stale = widgets.HTML()
        self.stale.add_class("tpop-stale")
        self.summary = widgets.HTML()
        self.summary.add_class("tpop-summary-box")
        self.summary.layout.width = "100%"
        self.charts_title = widgets.HTML()
        self.chart_images = [widgets.Image(format="png") for _ in range(3)]
        for image, css in zip(
            self.chart_images,
            ("tpop-chart-outcomes", "tpop-chart-countries", "tpop-chart-days"),
            strict=True,
        ):
            image.add_class("tpop-chart")
            image.add_class(css)
        self.charts = widgets.Box(self.chart_images)
        self.charts.add_class("tpop-charts")
        self.table_title = widgets.HTML()
        self.result_table = ResultTable(
            lang=self.state.lang,
            page_sizes=tuple(int(n) for n in self._settings["table"]["page_sizes"]),
            on_fault=self.show_fault,
        )
        self.results_card = self._card(
            "tpop-step-results",
            [self.results_title, self.stale, self.summary, self.charts_title, self.charts,
             self.table_title, self.result_table.root],
        )

        # 6. download
        self.download_title = self._title()
        self.download_intro = widgets.HTML()
        self.download_format_label = widgets.HTML()
        self.download_format_label.add_class("tpop-control-label")
        self.download_format = widgets.RadioButtons(options=[("", "fr"), ("", "en")],
                                                    value=self.state.download_style)
        self.download_format.add_class("tpop-download-format")

        def button(build: Any, css: str) -> DownloadButton:
            made = DownloadButton(build=build, on_failure=self._on_download_failed)
            made.add_class(css)
            return made

        self.download_csv = button(self._csv_bytes, "tpop-download-csv")
        self.download_xlsx = button(self._xlsx_bytes, "tpop-download-xlsx")
        self.download_filtered_csv = button(
            lambda: self._csv_bytes(filtered=True), "tpop-download-filtered-csv")
        self.download_filtered_xlsx = button(
            lambda: self._xlsx_bytes(filtered=True), "tpop-download-filtered-xlsx")
        self.download_all_label = widgets.HTML()
        self.download_all_label.add_class("tpop-download-label")
        self.download_filtered_label = widgets.HTML()
        self.download_filtered_label.add_class("tpop-download-label")
        self.download_message = widgets.HTML()
        all_rows = widgets.VBox([self.download_all_label,
                                 widgets.HBox([self.download_csv, self.download_xlsx])])
        filtered_rows = widgets.VBox([
            self.download_filtered_label,
            widgets.HBox([self.download_filtered_csv, self.download_filtered_xlsx]),
        ])
        for box in (all_rows, filtered_rows):
            box.add_class("tpop-download-group")
        format_field = widgets.VBox([self.download_format_label, self.download_format])
        format_field.add_class("tpop-field")
        self.download_buttons = widgets.Box([format_field, all_rows, filtered_rows])
        self.download_buttons.add_class("tpop-downloads")
        self.download_card = self._card(
            "tpop-step-download",
            [self.download_title, self.download_intro, self.download_buttons,
             self.download_message],
        )

        self.root.children = [
            style_widget(),
            widgets.HTML(f"<style>{asset('bulk_triage.css')}</style>",
                         layout=widgets.Layout(height="0")),
            self.header,
            self.intro,
            self.upload_card,
            self.mapping_card,
            self.validation_card,
            self.run_card,
            self.results_card,
            self.download_card,
        ]

    @staticmethod
    def _title() -> widgets.HTML:
        title = widgets.HTML()
        title.add_class("tpop-step-title")
        return title

    @staticmethod
    def _card(css: str, children: list[widgets.Widget]) -> widgets.VBox:
        card = widgets.VBox(children)
        card.add_class("tpop-step")
        card.add_class(css)
        return card

    # -- events --------------------------------------------------------------------
    def _wire(self) -> None:
        self.upload.observe(self._on_upload, names="value")
        self.upload.observe(self._on_rejected, names="rejected")
        self.upload.observe(self._on_receiving, names="sending_size")
        self.sample_picker.observe(self._on_sample_picked, names="value")
        self.sample_button.on_click(self._on_sample)
        for control in self.mapping_controls.values():
            control.observe(self._on_mapping, names="value")
        self.as_of.observe(self._on_as_of, names="value")
        self.now_button.on_click(self._on_now)
        self.run_button.on_click(self._on_run)
        self.cancel_button.on_click(self._on_cancel)
        self.download_format.observe(self._on_download_format, names="value")
        self.result_table.state.observe(
            self._on_table_filter, names=["outcome", "country", "flag", "search", "version"])
        self.state.observe(self._on_lang, names="lang")
        self.state.observe(
            self._on_state,
            names=["lang", "source", "loaded", "mapping", "as_of_text", "message", "sample",
                   "running", "data_version", "result_version", "download_error",
                   "sample_loaded", "cancelling", "cancelled_at", "download_style"],
        )
        self.state.observe(self._on_progress, names=["done", "total"])

    @guarded
    def _on_upload(self, change: dict[str, Any]) -> None:
        value = change["new"]
        if not value:
            return
        content = bytes(value["content"])
        self.upload.value = None  # the file is held once, while it is read, then let go
        self.state.sample = ""
        self._load(content, str(value.get("name") or "upload"), sample=False)

    @guarded
    def _on_rejected(self, change: dict[str, Any]) -> None:
        refused = change["new"]
        if not refused:
            return
        reason = refused.get("reason", "read_error")
        if reason not in knowledge().ui[_K]["upload"]["errors"]:
            reason = "read_error"
        values: dict[str, Any] = {"name": refused.get("name", ""),
                                  "size": int(refused.get("size") or 0)}
        key = f"{_K}.upload.errors.{reason}"
        if reason == "cancelled" and self.state.loaded:  # the file loaded before stays
            key = f"{_K}.upload.cancelled_kept"
            values["source"] = self.state.source
        self.state.message = {
            "key": key, "values": values, "tone": "info" if reason == "cancelled" else "error",
        }

    @guarded
    def _on_receiving(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.state.message = {
                "key": f"{_K}.upload.receiving",
                "values": {"name": self.upload.sending_name},
                "tone": "info",
            }

    @guarded
    def _on_sample_picked(self, change: dict[str, Any]) -> None:
        self.state.sample = change["new"] or ""

    @guarded
    def _on_sample(self, _button: widgets.Button | None = None) -> None:
        name = self.state.sample
        if not name or name not in sample_files():
            return
        path = samples_dir() / name
        sample_as_of = str(self._settings.get("samples", {}).get("as_of") or "")
        if sample_as_of:
            self.state.as_of_text = sample_as_of
        self._load(path.read_bytes(), name, sample=True)

    @guarded
    def _on_mapping(self, change: dict[str, Any]) -> None:
        if self._rendering or self.raw is None:
            return
        column = change["owner"].tpop_column
        mapping = dict(self.state.mapping)
        mapping[column] = change["new"] or NOT_IN_FILE
        self._apply_mapping(mapping)

    @guarded
    def _on_as_of(self, change: dict[str, Any]) -> None:
        if not self._rendering:
            self.state.as_of_text = change["new"]

    @guarded
    def _on_now(self, _button: widgets.Button | None = None) -> None:
        self.state.as_of_text = now_paris().strftime(AS_OF_FORMAT)

    @guarded
    def _on_run(self, _button: widgets.Button | None = None) -> None:
        self.run()

    @guarded
    def _on_cancel(self, _button: widgets.Button | None = None) -> None:
        if self.state.running:
            self._cancel.set()
            self.state.cancelling = True

    @guarded
    def _on_download_format(self, change: dict[str, Any]) -> None:
        if not self._rendering and change["new"] in DOWNLOAD_STYLES:
            self._style_chosen = True
            self.state.download_style = change["new"]

    @guarded
    def _on_table_filter(self, _change: dict[str, Any]) -> None:
        self._render_downloads(self.state.lang)

    @guarded
    def _on_download_failed(self, exc: BaseException) -> None:
        self.state.download_error = type(exc).__name__

    @guarded
    def _on_lang(self, _change: dict[str, Any]) -> None:
        self.result_table.state.lang = self.state.lang
        if not self._style_chosen:  # the files follow the page's language until chosen
            self.state.download_style = self.state.lang

    @guarded
    def _on_state(self, _change: dict[str, Any]) -> None:
        self._render()

    @guarded
    def _on_progress(self, _change: dict[str, Any]) -> None:
        self._render_run(self.state.lang)

    # -- actions (engine calls) ------------------------------------------------------
    def _load(self, content: bytes, name: str, *, sample: bool) -> None:
        """Read a file: the orders, the detected mapping; the last result is cleared."""
        self.result = None
        self._charts = {}
        self.state.cancelled_at = -1
        self.result_table.set_frame(None)
        limit = upload_limit()
        if len(content) > limit:
            self._clear_file()
            self.state.message = {
                "key": f"{_K}.upload.errors.too_big",
                "values": {"name": name, "size": len(content)},
                "tone": "error",
            }
            return
        try:
            table = read_orders(content, name=name)
            raw, mapping, notes = table.raw, table.mapping, list(table.notes)
            lines = table.lines
        except OrderFileError as exc:
            try:  # readable, but required columns were not recognised: let staff pick them
                loose = read_orders(content, name=name, mapping=_AnyColumns({}, []))
            except OrderFileError:
                self._clear_file()
                self.state.message = {
                    "key": f"{_K}.upload.unreadable",
                    "values": {"name": name},
                    "tone": "error",
                    "detail": str(exc),
                }
                return
            raw, notes, lines = loose.raw, list(loose.notes), loose.lines
            mapping = map_columns(raw.columns)
        self.raw = raw
        self.lines = lines
        self.notes = [n for n in notes if not n.startswith("Columns not used")]
        with self.state.hold_trait_notifications():
            self.state.source = name
            self.state.size = len(content)
            self.state.loaded = True
            self.state.sample_loaded = sample
            self.state.message = {
                "key": f"{_K}.upload.loaded",
                "values": {"name": name, "size": len(content), "rows": len(raw)},
                "tone": "done",
            }
        self._apply_mapping(
            {c: mapping.columns.get(c, NOT_IN_FILE) for c in CANONICAL_COLUMNS}
        )

    def _clear_file(self) -> None:
        self.raw = self.orders = self.result = self.lines = None
        with self.state.hold_trait_notifications():
            self.state.source = ""
            self.state.size = 0
            self.state.loaded = False
            self.state.mapping = {}
            self.state.data_version += 1

    def column_mapping(self, mapping: dict[str, str] | None = None) -> ColumnMapping:
        """The page's choices as the engine's :class:`ColumnMapping`."""
        chosen = {c: h for c, h in (mapping or self.state.mapping).items() if h}
        headers = list(self.raw.columns) if self.raw is not None else []
        used = set(chosen.values())
        return ColumnMapping(chosen, [h for h in headers if h not in used])

    def _apply_mapping(self, mapping: dict[str, str]) -> None:
        """Read the rows again with these columns (the engine's ``normalize_frame``)."""
        if self.raw is None:
            return
        self.orders = normalize_frame(self.raw, self.column_mapping(mapping))
        with self.state.hold_trait_notifications():
            self.state.mapping = dict(mapping)
            self.state.data_version += 1

    def as_of_value(self) -> dt.datetime | None:
        """The as-of moment typed on the page, or None when it is not a date."""
        try:
            return parse_as_of(self.state.as_of_text)
        except ValueError:
            return None

    def blocked(self) -> str | None:
        """Why the triage cannot run now (a ui.yaml key), or None."""
        if self.raw is None or self.orders is None:
            return f"{_K}.run.no_file"
        if self.column_mapping().missing_required():
            return f"{_K}.run.blocked"
        if self.as_of_value() is None:
            return f"{_K}.run.bad_as_of"
        return None

    def run(self) -> pd.DataFrame | None:
        """Triage every order, in steps of ``triage.chunk_rows`` with the progress bar.

        In the foreground (tests, notebooks without a kernel) it returns the result; in
        the background (a kernel) it returns None at once and a thread does the work,
        checking "cancel" between steps: a cancelled triage shows no result at all.
        """
        if self.blocked() or self.state.running:
            self._render()
            return None
        orders = self.orders
        as_of = self.as_of_value()
        assert orders is not None and as_of is not None
        self._cancel.clear()
        with self.state.hold_trait_notifications():
            self.state.running = True
            self.state.cancelling = False
            self.state.cancelled_at = -1
            self.state.done = 0
            self.state.total = len(orders)
        version = self.state.data_version  # the orders this result will be made from
        if not self.background:
            return self._triage(orders, as_of, version)
        self._thread = threading.Thread(
            target=self._triage, args=(orders, as_of, version), name="tpop-bulk-triage",
            daemon=True,
        )
        self._thread.start()
        return None

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a triage running in the background (tests, scripts)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _triage(self, orders: pd.DataFrame, as_of: dt.datetime,
                version: int) -> pd.DataFrame | None:
        import pandas as pd

        step = max(1, int(self._settings["triage"]["chunk_rows"]))
        total = len(orders)
        started = time.perf_counter()
        result = None
        try:
            parts = []
            for start in range(0, total, step):
                if self._cancel.is_set():
                    break
                parts.append(triage_frame(orders.iloc[start : start + step], as_of))
                self.state.done = min(total, start + step)
            else:
                result = pd.concat(parts) if parts else triage_frame(orders, as_of)
            if self._cancel.is_set():
                result = None
        except Exception as exc:  # the thread's errors reach the page as a message
            self.show_fault(exc)
            result = None
        finally:
            with self.state.hold_trait_notifications():
                if result is None:
                    self.state.cancelled_at = self.state.done if self._cancel.is_set() else -1
                self.state.running = False
                self.state.cancelling = False
        if result is None:
            return None
        self.result = result
        self.result_orders = orders
        # one event per run, its counts per outcome only (tpop_kb.events; never raises)
        record_bulk({str(k): int(v) for k, v in result["outcome"].value_counts().items()},
                    self.state.lang)
        self._charts = {}
        stamp = as_of.strftime(AS_OF_FORMAT)
        self.result_table.set_frame(self._display_frame(result, orders), as_of=stamp)
        with self.state.hold_trait_notifications():
            self.state.result_as_of = stamp
            self.state.result_data_version = version  # stale if the mapping changed since
            self.state.result_seconds = time.perf_counter() - started
            self.state.download_error = ""
            self.state.result_version += 1
        return result

    def _display_frame(self, result: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
        """The table's rows: the spreadsheet's line, the file's columns the triage read,
        and every output column.

        What staff read first comes first (:data:`DISPLAY_FIRST`); any other output
        column follows, so that a column the engine adds shows up by itself; the
        :data:`HIDDEN_COLUMNS` feed the link to the order assistant.
        """
        import numpy as np
        import pandas as pd

        orders = orders.reset_index(drop=True)
        shipped = orders["shipped_at"]
        columns: dict[str, Any] = {
            "row": self._lines(len(result)),
            "shipped_at": np.array(
                [v.strftime(AS_OF_FORMAT) if not pd.isna(v) else "" for v in shipped],
                dtype=object),
        }
        for column in ("destination_country", "tracking_number", "tracking_status"):
            columns[column] = orders[column].astype(object).fillna("").to_numpy(dtype=object)
        for column in OUTPUT_COLUMNS:
            columns[column] = result[column].reset_index(drop=True)
        order = [c for c in DISPLAY_FIRST if c in columns]
        order += [c for c in columns if c not in order and c not in DISPLAY_LAST]
        order += [c for c in DISPLAY_LAST if c in columns and c not in order]
        frame = pd.DataFrame({c: columns[c] for c in order})
        frame["_customer_claim"] = orders["customer_claim"].astype(object).fillna("").to_numpy(
            dtype=object)
        synced = orders["store_tracking_synced"].astype(object)
        frame["_store_tracking_synced"] = synced.where(synced.notna(), None).to_numpy(
            dtype=object)
        return frame

    def _lines(self, rows: int) -> np.ndarray:
        """The file's lines of its ``rows`` rows (the reader's; 2, 3... when it gave none)."""
        if self.lines is not None and len(self.lines) == rows:
            return self.lines
        return file_lines(None, rows)

    def _download_rows(self, filtered: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The result's rows and the file's, all or the table's filtered ones (in the
        table's order)."""
        orders = self.result_orders
        if self.result is None or orders is None:
            raise ValueError("no result yet")
        if not filtered:
            return self.result, orders
        positions = self.result_table.view().index.to_numpy()
        return self.result.iloc[positions], orders.iloc[positions]

    def _csv_bytes(self, filtered: bool = False) -> bytes:
        from ..export import to_csv_bytes

        result, orders = self._download_rows(filtered)
        style = self.state.download_style
        frame, headers, _links = download_frame(result, orders, style)
        return to_csv_bytes(frame, list(frame.columns), sep=";" if style == "fr" else ",",
                            headers=headers)

    def _xlsx_bytes(self, filtered: bool = False) -> bytes:
        from ..export import to_xlsx_bytes

        result, orders = self._download_rows(filtered)
        style = self.state.download_style

        about: dict[str, Any] = {  # in the file's own language, not the page's
            wording(f"{_K}.download.about.title", style, plain=True): "",
            wording(f"{_K}.download.about.source", style, plain=True): self.state.source,
            wording(f"{_K}.download.about.as_of", style, plain=True):
                self.state.result_as_of.replace("T", " "),
            wording(f"{_K}.download.about.rows", style, plain=True): len(result),
        }
        counts = result["outcome"].value_counts()
        for code in self._outcome_codes():
            about[f"{outcome_title(code, style)} ({code})"] = int(counts.get(code, 0))
        about[wording(f"{_K}.download.about.kb_version", style, plain=True)] = (
            knowledge().version)
        about[wording(f"{_K}.download.about.calendar", style, plain=True)] = calendar_version()
        frame, headers, links = download_frame(result, orders, style)
        sheets = (wording(f"{_K}.download.sheets.triage", style, plain=True),
                  wording(f"{_K}.download.sheets.about", style, plain=True))
        return to_xlsx_bytes(frame, list(frame.columns), about=about, headers=headers,
                             links=links, sheet_names=sheets)

    def _file_stem(self) -> str:
        stem = Path(self.state.source or "orders").stem
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "orders"
        when = self.state.result_as_of.replace("-", "").replace(":", "").replace("T", "-")
        return f"triage_{stem}_{when}"

    @staticmethod
    def _outcome_codes() -> list[str]:
        tree_codes = list(knowledge().tree.outcomes)
        return [c for c in OUTCOMES if c in tree_codes] + [
            c for c in tree_codes if c not in OUTCOMES
        ]

    # -- state -> widgets ------------------------------------------------------------
    _rendering = False

    def _render(self) -> None:
        lang = self.state.lang
        self._rendering = True
        try:
            self._render_static(lang)
            self._render_upload(lang)
            self._render_mapping(lang)
            self._render_validation(lang)
            self._render_run(lang)
            self._render_results(lang)
            self._render_downloads(lang)
        finally:
            self._rendering = False

    def _render_static(self, lang: str) -> None:
        self.brand.value = brand_html(lang)
        self.home.value = home_html(lang)
        self.intro.value = hero_html(lang)
        for widget, key in (
            (self.upload_title, "upload"),
            (self.mapping_title, "mapping"),
            (self.validation_title, "validation"),
            (self.run_title, "run"),
            (self.results_title, "results"),
            (self.download_title, "download"),
        ):
            widget.value = step_title_html(key, lang)

    def _render_upload(self, lang: str) -> None:
        self.upload.button_label = wording(f"{_K}.upload.button", lang, plain=True)
        self.upload.drop_label = wording(f"{_K}.upload.drop", lang, plain=True)
        self.upload.cancel_label = wording(f"{_K}.upload.cancel", lang, plain=True)
        self.upload.hint = wording(f"{_K}.upload.hint", lang, plain=True,
                                   limit=file_size(upload_limit(), lang))
        self.upload.disabled = self.state.running
        self.sample_label.value = wording(f"{_K}.upload.sample_label", lang)
        options = [(wording(f"{_K}.upload.sample_placeholder", lang, plain=True), "")] + [
            (sample_title(name, lang), name) for name in sample_files()
        ]
        if list(self.sample_picker.options) != options:
            self.sample_picker.options = options
        self.sample_picker.value = self.state.sample if self.state.sample in sample_files() else ""
        self.sample_button.description = wording(f"{_K}.upload.sample_button", lang, plain=True)
        self.sample_button.disabled = not self.state.sample or self.state.running
        self.file_status.value = self._message_html(lang)

    def _message_html(self, lang: str) -> str:
        message = self.state.message
        if not message:
            return ""
        values = dict(message.get("values") or {})
        if "size" in values:
            values["size"] = file_size(int(values["size"]), lang)
        if "rows" in values:
            values["rows"] = number(int(values["rows"]), lang)
        values.setdefault("limit", file_size(upload_limit(), lang))
        tone = message.get("tone", "info")
        note = ""
        if tone == "done" and self.state.sample_loaded:
            sample_as_of = str(self._settings.get("samples", {}).get("as_of") or "")
            if sample_as_of:
                note = wording(f"{_K}.upload.sample_as_of", lang, plain=True,
                               as_of=sample_as_of.replace("T", " "))
        return file_message_html(message["key"], values, lang, tone=tone,
                                 detail=str(message.get("detail") or ""), note=note)

    def _render_mapping(self, lang: str) -> None:
        loaded = self.state.loaded and self.raw is not None
        self.mapping_grid.layout.display = None if loaded else "none"
        self.mapping_intro.value = mapping_intro_html(loaded, lang)
        for cell, key in zip(self.mapping_head, ("field", "column", "example"), strict=True):
            cell.value = wording(f"{_K}.mapping.{key}", lang)
        if not loaded:
            self.mapping_message.value = ""
            return
        assert self.raw is not None
        spec = knowledge().columns["columns"]
        headers = list(self.raw.columns)
        options = [(wording(f"{_K}.mapping.not_in_file", lang, plain=True),
                    NOT_IN_FILE)] + [(h, h) for h in headers]
        mapping = self.state.mapping
        for column in CANONICAL_COLUMNS:
            required = spec.get(column, {}).get("required") == "yes"
            label = spec.get(column, {}).get("label", {}).get(lang, column)
            self.mapping_labels[column].value = mapping_label_html(label, required, lang)
            control = self.mapping_controls[column]
            if list(control.options) != options:
                control.options = options
            chosen = mapping.get(column, NOT_IN_FILE)
            control.value = chosen if chosen in headers else NOT_IN_FILE
            self.mapping_examples[column].value = example_html(self._example(chosen), lang)
        self.mapping_message.value = self._mapping_message_html(lang)

    def _example(self, header: str) -> str | None:
        """The first filled cell of a file's column ('' : none; None: no such column),
        without scanning a whole column of a large file."""
        if not header or self.raw is None or header not in self.raw.columns:
            return None
        return next((str(v) for v in self.raw[header].to_numpy(object) if str(v).strip()), "")

    def _mapping_message_html(self, lang: str) -> str:
        mapping = self.column_mapping()
        by_header: dict[str, list[str]] = {}
        for column, header in mapping.columns.items():
            by_header.setdefault(header, []).append(column)
        return mapping_message_html(mapping.missing_required(), by_header, mapping.ignored,
                                    lang)

    def _render_validation(self, lang: str) -> None:
        import numpy as np

        loaded = self.state.loaded and self.orders is not None
        if not loaded:
            self.validation.value = validation_waiting_html(lang)
            return
        assert self.orders is not None and self.raw is not None
        if self.column_mapping().missing_required():
            self.validation.value = validation_blocked_html(lang)
            return
        fresh = (
            self.result is not None
            and self.state.result_data_version == self.state.data_version
        )
        read = self.orders["error"].astype(str).to_numpy(object)
        errors = self.result["error"].astype(str).to_numpy(object) if fresh else read
        bad = [int(i) for i in np.flatnonzero(errors != "")]
        changes = ""
        if fresh:
            changes = changed_html(changed_rows(read, errors),
                                   self.state.result_as_of.replace("T", " "), lang)
        self.validation.value = validation_html(
            len(errors), len(bad), lang,
            rows_html=self._invalid_rows_html(bad, errors, lang) if bad else "",
            changes_html=changes,
            notes=self.notes,
        )

    def _invalid_rows_html(self, bad: list[int], errors: Any, lang: str) -> str:
        assert self.raw is not None and self.orders is not None
        limit = int(self._settings["validation"]["max_listed"])
        mapping = self.column_mapping()
        ids = self.orders["order_id"].astype(str).to_numpy(object)
        lines = self._lines(len(ids))
        rows = []
        for i in bad[:limit]:
            for column, why in split_errors(str(errors[i])):
                header = mapping.columns.get(column)
                value = str(self.raw[header].iat[i]) if header else ""
                rows.append({"line": int(lines[i]), "order": ids[i], "column": column,
                             "value": value, "why": why,
                             "error": f"{column}: {why}" if column else why})
        return invalid_rows_html(rows, len(bad) - min(len(bad), limit), lang)

    def _render_run(self, lang: str) -> None:
        self.as_of_label.value = wording(f"{_K}.run.as_of", lang)
        if self.as_of.value != self.state.as_of_text:
            self.as_of.value = self.state.as_of_text
        self.as_of.placeholder = "2026-11-26T10:00"
        self.now_button.description = wording(f"{_K}.run.now", lang, plain=True)
        self.run_button.description = wording(f"{_K}.run.button", lang, plain=True)
        self.cancel_button.description = wording(f"{_K}.run.cancel", lang, plain=True)
        blocked = self.blocked()
        running = self.state.running
        self.run_button.disabled = bool(blocked) or running
        self.cancel_button.layout.display = None if running else "none"
        self.cancel_button.disabled = self.state.cancelling
        self.now_button.disabled = running
        self.as_of.disabled = running
        bad_as_of = blocked == f"{_K}.run.bad_as_of"
        self.as_of_help.value = as_of_help_html(
            lang, self.state.as_of_text if bad_as_of else None)
        self.progress.layout.display = None if running else "none"
        self.progress.max = max(1, self.state.total)
        self.progress.value = self.state.done
        finished = None
        if self.result is not None and not running:
            fresh = self.state.result_data_version == self.state.data_version
            changed = 0
            if fresh and self.orders is not None:
                read = self.orders["error"].astype(str).to_numpy(object)
                after = self.result["error"].astype(str).to_numpy(object)
                changed = int(((read == "") & (after != "")).sum())
            finished = {"total": len(self.result), "as_of": self.state.result_as_of.replace(
                "T", " "), "seconds": self.state.result_seconds, "changed": changed}
        cancelled = self.state.cancelled_at
        self.run_status.value = run_status_html(
            lang, running=running, cancelling=self.state.cancelling, done=self.state.done,
            total=self.state.total,
            blocked=None if bad_as_of else blocked,
            cancelled=(cancelled, self.state.total) if cancelled >= 0 else None,
            finished=finished,
        )

    def _is_stale(self) -> bool:
        return self.result is not None and (
            self.state.result_data_version != self.state.data_version
            or self.as_of_value() is None
            or self.as_of_value().strftime(AS_OF_FORMAT) != self.state.result_as_of
        )

    def _render_results(self, lang: str) -> None:
        has_result = self.result is not None
        self.charts.layout.display = None if has_result else "none"
        self.table_title.value = subtitle_html("results.table", lang)
        self.charts_title.value = subtitle_html("results.charts", lang) if has_result else ""
        self.result_table.root.layout.display = None if has_result else "none"
        self.table_title.layout.display = None if has_result else "none"
        self.stale.value = stale_html(self._is_stale(), lang)
        if not has_result:
            self.summary.value = results_empty_html(lang)
            return
        assert self.result is not None
        counts = {str(k): int(v) for k, v in self.result["outcome"].value_counts().items()}
        self.summary.value = summary_html(counts, self._outcome_codes(), lang)
        if lang not in self._charts:
            self._charts[lang] = self._draw_charts(lang)
        for image, png in zip(self.chart_images, self._charts[lang], strict=True):
            if image.value != png:
                image.value = png

    def _draw_charts(self, lang: str) -> tuple[bytes, bytes, bytes]:
        from ..charts import country_chart, days_histogram, outcome_counts_chart

        assert self.result is not None and self.result_orders is not None
        cfg = self._settings["charts"]
        countries = self.result_orders["destination_country"].astype(object).fillna("")
        return (
            outcome_counts_chart(self.result["outcome"], lang),
            country_chart(self.result, countries, lang, top=int(cfg["top_countries"])),
            days_histogram(self.result, lang, max_days=int(cfg["max_days"])),
        )

    def filtered_count(self) -> int | None:
        """How many rows the table's filters keep (None: the table is not filtered)."""
        table = self.result_table
        if self.result is None or table.frame is None or not table.filtered():
            return None
        return len(table.view())

    def _render_downloads(self, lang: str) -> None:
        has_result = self.result is not None
        self.download_buttons.layout.display = None if has_result else "none"
        self.download_intro.value = download_intro_html(
            lang, {"kb": knowledge().version, "calendar": calendar_version()}
            if has_result else None)
        self.download_format_label.value = wording(f"{_K}.download.format", lang)
        options = [(wording(f"{_K}.download.formats.{style}", lang, plain=True), style)
                   for style in sorted(DOWNLOAD_STYLES, key=lambda style: style != lang)]
        if list(self.download_format.options) != options:
            self.download_format.options = options
        if self.download_format.value != self.state.download_style:
            self.download_format.value = self.state.download_style
        filtered = self.filtered_count()
        self.download_all_label.value = download_all_label_html(
            len(self.result) if self.result is not None else 0, lang)
        self.download_filtered_label.value = download_filtered_label_html(filtered, lang)
        stem = self._file_stem() if has_result else "triage"
        from ..export import CSV_MIME, XLSX_MIME

        for button, key, suffix, only in (
            (self.download_csv, "csv", ".csv", False),
            (self.download_xlsx, "xlsx", ".xlsx", False),
            (self.download_filtered_csv, "csv", ".csv", True),
            (self.download_filtered_xlsx, "xlsx", ".xlsx", True),
        ):
            button.label = wording(f"{_K}.download.{key}", lang, plain=True)
            button.busy_label = wording(f"{_K}.download.preparing", lang, plain=True)
            button.disabled = (not has_result or self.state.running
                               or (only and not filtered))
            english = self.state.download_style == "en"
            part = ("_filtered" if english else "_filtre") if only else ""
            button.filename = stem + part + ("" if english else "_fr") + suffix
            button.mime = CSV_MIME if suffix == ".csv" else XLSX_MIME
        self.download_message.value = download_failed_html(self.state.download_error, lang)

    # -- for tests and notebooks -----------------------------------------------------
    def displayed_columns(self) -> list[str]:
        """The table's columns, in order."""
        if self.result_table.frame is None:
            return []
        return [c for c in self.result_table.frame.columns if not c.startswith("_")]
