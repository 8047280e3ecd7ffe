"""The bulk triage page (``notebooks/bulk_triage.ipynb``): a whole export of orders at once.

Staff

1. upload a CSV or ``.xlsx`` file (or pick a bundled sample); the page says the
   size limit, and a file too large or of the wrong kind gets a message;
2. check which column of the file feeds each piece of information, and change
   it with a dropdown; a required one missing blocks the triage, by name;
3. see how many rows were read, are ready, and need checking (row, column,
   value, why) — every row of the file stays, rows in = rows out;
4. triage the orders "as of" a moment (now, Paris time, by default), with a
   progress bar;
5. read the counts per next action, three charts, and a table they can filter,
   sort and page through;
6. download the result as CSV (UTF-8 with BOM) or ``.xlsx``, built in memory.

The reading, the rules and the files come from the engine (:mod:`tpop_kb.orders`,
:mod:`tpop_kb.triage`, :mod:`tpop_kb.export`, :mod:`tpop_kb.charts`): the result
is the one ``python -m tpop_kb triage`` gives for the same file and moment.

Hooks for browser tests (stable): the file input sits in ``.tpop-upload``; the
run button is ``.tpop-run-button``; ``.tpop-summary`` has one child per outcome
with ``data-outcome`` and ``data-count``; the download buttons are
``.tpop-download-csv`` and ``.tpop-download-xlsx``; the table's count line is
``.tpop-table-count``; mapping dropdowns are ``.tpop-map-<column>``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets

from ..knowledge import KnowledgeError, data_dir, knowledge, line_of
from ..orders import (
    CANONICAL_COLUMNS,
    ColumnMapping,
    OrderFileError,
    map_columns,
    normalize_frame,
    parse_as_of,
    read_orders,
)
from ..triage import OUTCOMES, OUTPUT_COLUMNS, triage_frame
from ..workdays import now_paris
from ._base import App, AppState, brand_html, esc, guarded, t
from .result_table import ResultTable, column_label, html_text, number, outcome_title
from .style import style_widget
from .transfer import DownloadButton, FileDrop

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BulkTriageApp", "BulkTriageState", "settings", "upload_limit"]

AS_OF_FORMAT = "%Y-%m-%dT%H:%M"
#: The table's first columns, in this order; then any other output column; then DISPLAY_LAST.
DISPLAY_FIRST = (
    "row", "order_id", "outcome", "flags", "reason", "days_since_shipped", "recheck_at",
    "contact_from", "destination_country", "tracking_url", "destination_post_url",
)
DISPLAY_LAST = ("error", "article_ref")
NOT_IN_FILE = ""
_BABEL_LOCALES = {"en": "en_GB", "fr": "fr_FR"}


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


def file_size(size: int, lang: str) -> str:
    """``52 428 800`` -> ``50 MB`` / ``50 Mo`` (binary multiples, one decimal under 10)."""
    from babel.numbers import format_decimal

    locale = _BABEL_LOCALES.get(lang, "en_GB")
    if size < 1024:
        shown = format_decimal(size, locale=locale)
        return t("bulk_triage.units.bytes", lang).replace("{n}", shown)
    if size < 1024 * 1024:
        unit, value = "kb", size / 1024
    else:
        unit, value = "mb", size / (1024 * 1024)
    shown = format_decimal(round(value, 1) if value < 10 else round(value), locale=locale)
    return t(f"bulk_triage.units.{unit}", lang).replace("{n}", shown)


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

    def __init__(self, lang: str = "fr", **state: Any) -> None:
        self.raw: pd.DataFrame | None = None
        self.orders: pd.DataFrame | None = None
        self.result: pd.DataFrame | None = None
        self.notes: list[str] = []
        self._charts: dict[str, tuple[bytes, bytes, bytes]] = {}
        state.setdefault("as_of_text", now_paris().strftime(AS_OF_FORMAT))
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
        run_row = widgets.HBox([as_of_field, self.run_button])
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
        self.download_csv = DownloadButton(
            build=self._csv_bytes, on_failure=self._on_download_failed
        )
        self.download_csv.add_class("tpop-download-csv")
        self.download_xlsx = DownloadButton(
            build=self._xlsx_bytes, on_failure=self._on_download_failed
        )
        self.download_xlsx.add_class("tpop-download-xlsx")
        self.download_message = widgets.HTML()
        self.download_buttons = widgets.HBox([self.download_csv, self.download_xlsx])
        self.download_buttons.add_class("tpop-downloads")
        self.download_card = self._card(
            "tpop-step-download",
            [self.download_title, self.download_intro, self.download_buttons,
             self.download_message],
        )

        self.root.children = [
            style_widget(),
            widgets.HTML(f"<style>{PAGE_CSS}</style>", layout=widgets.Layout(height="0")),
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
        self.state.observe(self._on_lang, names="lang")
        self.state.observe(
            self._on_state,
            names=["lang", "source", "loaded", "mapping", "as_of_text", "message", "sample",
                   "running", "data_version", "result_version", "download_error",
                   "sample_loaded"],
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
        if reason not in knowledge().ui["bulk_triage"]["upload"]["errors"]:
            reason = "read_error"
        self.state.message = {
            "key": f"bulk_triage.upload.errors.{reason}",
            "values": {"name": refused.get("name", ""), "size": int(refused.get("size") or 0)},
            "tone": "error",
        }

    @guarded
    def _on_receiving(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.state.message = {
                "key": "bulk_triage.upload.receiving",
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
    def _on_download_failed(self, exc: BaseException) -> None:
        self.state.download_error = type(exc).__name__

    @guarded
    def _on_lang(self, _change: dict[str, Any]) -> None:
        self.result_table.state.lang = self.state.lang

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
        self.result_table.set_frame(None)
        limit = upload_limit()
        if len(content) > limit:
            self._clear_file()
            self.state.message = {
                "key": "bulk_triage.upload.errors.too_big",
                "values": {"name": name, "size": len(content)},
                "tone": "error",
            }
            return
        try:
            table = read_orders(content, name=name)
            raw, mapping, notes = table.raw, table.mapping, list(table.notes)
        except OrderFileError as exc:
            try:  # readable, but required columns were not recognised: let staff pick them
                loose = read_orders(content, name=name, mapping=_AnyColumns({}, []))
            except OrderFileError:
                self._clear_file()
                self.state.message = {
                    "key": "bulk_triage.upload.unreadable",
                    "values": {"name": name},
                    "tone": "error",
                    "detail": str(exc),
                }
                return
            raw, notes = loose.raw, list(loose.notes)
            mapping = map_columns(raw.columns)
        self.raw = raw
        self.notes = [n for n in notes if not n.startswith("Columns not used")]
        with self.state.hold_trait_notifications():
            self.state.source = name
            self.state.size = len(content)
            self.state.loaded = True
            self.state.sample_loaded = sample
            self.state.message = {
                "key": "bulk_triage.upload.loaded",
                "values": {"name": name, "size": len(content), "rows": len(raw)},
                "tone": "done",
            }
        self._apply_mapping(
            {c: mapping.columns.get(c, NOT_IN_FILE) for c in CANONICAL_COLUMNS}
        )

    def _clear_file(self) -> None:
        self.raw = self.orders = self.result = None
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
            return "bulk_triage.run.no_file"
        if self.column_mapping().missing_required():
            return "bulk_triage.run.blocked"
        if self.as_of_value() is None:
            return "bulk_triage.run.bad_as_of"
        return None

    def run(self) -> pd.DataFrame | None:
        """Triage every order, in steps of ``triage.chunk_rows`` with the progress bar."""
        import pandas as pd

        if self.blocked() or self.state.running:
            self._render()
            return None
        orders = self.orders
        as_of = self.as_of_value()
        assert orders is not None and as_of is not None
        step = max(1, int(self._settings["triage"]["chunk_rows"]))
        total = len(orders)
        started = time.perf_counter()
        with self.state.hold_trait_notifications():
            self.state.running = True
            self.state.done = 0
            self.state.total = total
        try:
            parts = []
            for start in range(0, total, step):
                parts.append(triage_frame(orders.iloc[start : start + step], as_of))
                self.state.done = min(total, start + step)
            result = pd.concat(parts) if parts else triage_frame(orders, as_of)
        finally:
            self.state.running = False
        self.result = result
        self._charts = {}
        self.result_table.set_frame(self._display_frame(result))
        with self.state.hold_trait_notifications():
            self.state.result_as_of = as_of.strftime(AS_OF_FORMAT)
            self.state.result_data_version = self.state.data_version
            self.state.result_seconds = time.perf_counter() - started
            self.state.download_error = ""
            self.state.result_version += 1
        return result

    def _display_frame(self, result: pd.DataFrame) -> pd.DataFrame:
        """The table's rows: row number, the destination country, and every output column.

        What staff read first comes first (:data:`DISPLAY_FIRST`); any other output
        column follows, so that a column the engine adds shows up by itself.
        """
        import numpy as np
        import pandas as pd

        assert self.orders is not None
        columns: dict[str, Any] = {
            "row": np.arange(1, len(result) + 1),
            "destination_country": self.orders["destination_country"]
            .astype(object).fillna("").to_numpy(dtype=object),
        }
        for column in OUTPUT_COLUMNS:
            columns[column] = result[column].reset_index(drop=True)
        order = [c for c in DISPLAY_FIRST if c in columns]
        order += [c for c in columns if c not in order and c not in DISPLAY_LAST]
        order += [c for c in DISPLAY_LAST if c in columns and c not in order]
        return pd.DataFrame({c: columns[c] for c in order})

    def _csv_bytes(self) -> bytes:
        from ..export import to_csv_bytes

        if self.result is None:
            raise ValueError("no result yet")
        return to_csv_bytes(self.result)

    def _xlsx_bytes(self) -> bytes:
        from ..export import to_xlsx_bytes

        if self.result is None:
            raise ValueError("no result yet")
        lang = self.state.lang
        about = {
            t("bulk_triage.download.about.title", lang): "",
            t("bulk_triage.download.about.source", lang): self.state.source,
            t("bulk_triage.download.about.as_of", lang): self.state.result_as_of.replace(
                "T", " "
            ),
            t("bulk_triage.download.about.rows", lang): len(self.result),
        }
        counts = self.result["outcome"].value_counts()
        for code in self._outcome_codes():
            about[f"{outcome_title(code, lang)} ({code})"] = int(counts.get(code, 0))
        about[t("bulk_triage.download.about.kb_version", lang)] = knowledge().version
        return to_xlsx_bytes(self.result, about=about)

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
        self.home.value = (
            f'<a class="tpop-home-link" href="index.ipynb">{esc(t("bulk_triage.home", lang))}</a>'
        )
        self.intro.value = (
            f'<div class="tpop-hero" lang="{esc(lang)}">'
            f"<h1>{esc(t('bulk_triage.title', lang))}</h1>"
            f'<p class="tpop-lead">{esc(t("bulk_triage.lead", lang))}</p></div>'
        )
        for widget, key in (
            (self.upload_title, "upload"),
            (self.mapping_title, "mapping"),
            (self.validation_title, "validation"),
            (self.run_title, "run"),
            (self.results_title, "results"),
            (self.download_title, "download"),
        ):
            widget.value = f"<h2>{esc(t(f'bulk_triage.steps.{key}', lang))}</h2>"

    def _render_upload(self, lang: str) -> None:
        limit = file_size(upload_limit(), lang)
        self.upload.button_label = t("bulk_triage.upload.button", lang)
        self.upload.drop_label = t("bulk_triage.upload.drop", lang)
        self.upload.hint = t("bulk_triage.upload.hint", lang).replace("{limit}", limit)
        self.upload.disabled = self.state.running
        self.sample_label.value = esc(t("bulk_triage.upload.sample_label", lang))
        options = [(t("bulk_triage.upload.sample_placeholder", lang), "")] + [
            (self._sample_title(name, lang), name) for name in sample_files()
        ]
        if list(self.sample_picker.options) != options:
            self.sample_picker.options = options
        self.sample_picker.value = self.state.sample if self.state.sample in sample_files() else ""
        self.sample_button.description = t("bulk_triage.upload.sample_button", lang)
        self.sample_button.disabled = not self.state.sample or self.state.running
        self.file_status.value = self._message_html(lang)

    @staticmethod
    def _sample_title(name: str, lang: str) -> str:
        texts = knowledge().ui["bulk_triage"]["upload"]["sample_names"].get(
            name.replace(".", "_")
        )
        return f"{texts[lang]} — {name}" if texts else name

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
        text = html_text(message["key"], lang, **values)
        tone = message.get("tone", "info")
        detail = message.get("detail")
        parts = [f"<p>{text}</p>"]
        if detail:
            parts.append(f'<pre lang="en">{esc(detail)}</pre>')
            if lang != "en":
                parts.append(
                    f'<p class="tpop-small tpop-muted">'
                    f"{esc(t('bulk_triage.upload.reader_language', lang))}</p>"
                )
        if tone == "done" and self.state.sample_loaded:
            sample_as_of = str(self._settings.get("samples", {}).get("as_of") or "")
            if sample_as_of:
                parts.append(
                    '<p class="tpop-small tpop-muted">'
                    + html_text("bulk_triage.upload.sample_as_of", lang,
                                as_of=sample_as_of.replace("T", " "))
                    + "</p>"
                )
        role = ' role="alert"' if tone == "error" else ' role="status"'
        css = {"error": "tpop-tone-error", "done": "tpop-tone-done"}.get(tone, "tpop-tone-act")
        return (
            f'<div class="tpop-callout {css} tpop-file-message" data-tone="{esc(tone)}"{role}>'
            f"{''.join(parts)}</div>"
        )

    def _render_mapping(self, lang: str) -> None:
        loaded = self.state.loaded and self.raw is not None
        self.mapping_grid.layout.display = None if loaded else "none"
        key = "intro" if loaded else "waiting"
        self.mapping_intro.value = (
            f'<p class="tpop-muted">{esc(t(f"bulk_triage.mapping.{key}", lang))}</p>'
        )
        for cell, key in zip(self.mapping_head, ("field", "column", "example"), strict=True):
            cell.value = esc(t(f"bulk_triage.mapping.{key}", lang))
        if not loaded:
            self.mapping_message.value = ""
            return
        assert self.raw is not None
        spec = knowledge().columns["columns"]
        headers = list(self.raw.columns)
        options = [(t("bulk_triage.mapping.not_in_file", lang), NOT_IN_FILE)] + [
            (h, h) for h in headers
        ]
        mapping = self.state.mapping
        for column in CANONICAL_COLUMNS:
            required = spec.get(column, {}).get("required") == "yes"
            badge = (
                f'<span class="tpop-badge tpop-tone-escalate">'
                f"{esc(t('bulk_triage.mapping.required', lang))}</span>"
                if required
                else '<span class="tpop-badge">'
                f'{esc(t("bulk_triage.mapping.optional", lang))}</span>'
            )
            label = spec.get(column, {}).get("label", {}).get(lang, column)
            self.mapping_labels[column].value = (
                f'<span class="tpop-mapping-name">{esc(label)}</span> {badge}'
            )
            control = self.mapping_controls[column]
            if list(control.options) != options:
                control.options = options
            chosen = mapping.get(column, NOT_IN_FILE)
            control.value = chosen if chosen in headers else NOT_IN_FILE
            self.mapping_examples[column].value = self._example_html(chosen, lang)
        self.mapping_message.value = self._mapping_message_html(lang)

    def _example_html(self, header: str, lang: str) -> str:
        if not header or self.raw is None or header not in self.raw.columns:
            return '<span class="tpop-muted">—</span>'
        # the first filled cell, without scanning a whole column of a large file
        found = next((str(v) for v in self.raw[header].to_numpy(object) if str(v).strip()), None)
        if found is None:
            empty = esc(t("bulk_triage.validation.empty_value", lang))
            return f'<span class="tpop-muted">{empty}</span>'
        value = found
        value = value if len(value) <= 40 else value[:39] + "…"
        return f"<code>{esc(value)}</code>"

    def _mapping_message_html(self, lang: str) -> str:
        spec = knowledge().columns["columns"]
        mapping = self.column_mapping()
        parts = []
        missing = mapping.missing_required()
        if missing:
            names = ", ".join(
                f"« {spec[c]['label'][lang]} »" if lang == "fr" else f"“{spec[c]['label'][lang]}”"
                for c in missing
            )
            parts.append(
                '<div class="tpop-callout tpop-tone-error tpop-mapping-error" role="alert" '
                f'data-missing="{esc(" ".join(missing))}">'
                f"{html_text('bulk_triage.mapping.missing', lang, columns=names)}</div>"
            )
        by_header: dict[str, list[str]] = {}
        for column, header in mapping.columns.items():
            by_header.setdefault(header, []).append(column)
        for header, columns in by_header.items():
            if len(columns) > 1:
                labels = ", ".join(spec[c]["label"][lang] for c in columns)
                parts.append(
                    '<div class="tpop-callout tpop-tone-wait tpop-mapping-shared">'
                    + html_text("bulk_triage.mapping.shared", lang, header=header,
                                columns=labels)
                    + "</div>"
                )
        if mapping.ignored:
            parts.append(
                '<p class="tpop-small tpop-muted tpop-mapping-unused">'
                + html_text("bulk_triage.mapping.unused", lang,
                            columns=", ".join(mapping.ignored))
                + "</p>"
            )
        return "".join(parts)

    def _render_validation(self, lang: str) -> None:
        import numpy as np

        loaded = self.state.loaded and self.orders is not None
        if not loaded:
            self.validation.value = (
                f'<p class="tpop-muted">{esc(t("bulk_triage.validation.waiting", lang))}</p>'
            )
            return
        assert self.orders is not None and self.raw is not None
        if self.column_mapping().missing_required():
            self.validation.value = (
                f'<p class="tpop-muted tpop-validation-blocked">'
                f"{esc(t('bulk_triage.run.blocked', lang))}</p>"
            )
            return
        fresh = (
            self.result is not None
            and self.state.result_data_version == self.state.data_version
        )
        errors = (self.result if fresh else self.orders)["error"].astype(str).to_numpy(object)
        total = len(errors)
        bad = [int(i) for i in np.flatnonzero(errors != "")]
        stats = "".join(
            f'<div class="tpop-stat tpop-count-{key}" data-count="{value}">'
            f'<span class="tpop-stat-value">{esc(number(value, lang))}</span>'
            f'<span class="tpop-stat-label">{esc(t(f"bulk_triage.validation.{key}", lang))}</span>'
            "</div>"
            for key, value in (
                ("rows_read", total), ("valid", total - len(bad)), ("invalid", len(bad))
            )
        )
        parts = [f'<div class="tpop-stats tpop-validation-stats">{stats}</div>']
        if not bad:
            parts.append(
                '<p class="tpop-all-valid">✓ '
                f'{esc(t("bulk_triage.validation.all_valid", lang))}</p>'
            )
        else:
            parts.append(
                '<p class="tpop-muted">'
                + html_text("bulk_triage.validation.intro", lang,
                            outcome=outcome_title("invalid_input", lang))
                + "</p>"
            )
            parts.append(self._invalid_rows_html(bad, errors, lang))
        if self.notes:
            items = "".join(f'<li lang="en">{esc(n)}</li>' for n in self.notes)
            parts.append(
                f'<div class="tpop-reader-notes"><h3>{esc(t("bulk_triage.validation.notes", lang))}'
                f"</h3><ul>{items}</ul></div>"
            )
        self.validation.value = "".join(parts)

    def _invalid_rows_html(self, bad: list[int], errors: Any, lang: str) -> str:
        assert self.raw is not None and self.orders is not None
        limit = int(self._settings["validation"]["max_listed"])
        mapping = self.column_mapping()
        spec = knowledge().columns["columns"]
        ids = self.orders["order_id"].astype(str).to_numpy(object)
        head = "".join(
            f'<th scope="col">{esc(t(f"bulk_triage.validation.{k}", lang))}</th>'
            for k in ("row", "order", "field", "value", "why")
        )
        rows = []
        for i in bad[:limit]:
            for column, why in split_errors(str(errors[i])):
                header = mapping.columns.get(column)
                value = str(self.raw[header].iat[i]) if header else ""
                shown = (
                    f"<code>{esc(value)}</code>" if value.strip()
                    else f'<span class="tpop-muted">'
                         f'{esc(t("bulk_triage.validation.empty_value", lang))}</span>'
                )
                label = spec.get(column, {}).get("label", {}).get(lang, column) if column else ""
                rows.append(
                    f'<tr data-row="{i + 1}" data-column="{esc(column)}">'
                    f"<td>{i + 1}</td><td>{esc(ids[i])}</td><td>{esc(label)}</td>"
                    f'<td>{shown}</td><td lang="en">{esc(why)}</td></tr>'
                )
        more = ""
        if len(bad) > limit:
            more = (
                '<p class="tpop-small tpop-muted">'
                + html_text("bulk_triage.validation.more", lang,
                            n=number(len(bad) - limit, lang))
                + "</p>"
            )
        note = (
            f'<p class="tpop-small tpop-muted">{esc(t("bulk_triage.validation.row_help", lang))}'
            + (f" {esc(t('bulk_triage.upload.reader_language', lang))}" if lang != "en" else "")
            + "</p>"
        )
        return (
            '<div class="tpop-table-scroll tpop-invalid-scroll">'
            f'<table class="tpop-table tpop-invalid-rows"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>{more}{note}'
        )

    def _render_run(self, lang: str) -> None:
        self.as_of_label.value = esc(t("bulk_triage.run.as_of", lang))
        if self.as_of.value != self.state.as_of_text:
            self.as_of.value = self.state.as_of_text
        self.as_of.placeholder = "2026-11-26T10:00"
        self.now_button.description = t("bulk_triage.run.now", lang)
        self.run_button.description = t("bulk_triage.run.button", lang)
        blocked = self.blocked()
        self.run_button.disabled = bool(blocked) or self.state.running
        self.now_button.disabled = self.state.running
        self.as_of.disabled = self.state.running
        help_html = (
            '<p class="tpop-small tpop-muted">'
            f'{esc(t("bulk_triage.run.as_of_help", lang))}</p>'
        )
        if blocked == "bulk_triage.run.bad_as_of":
            help_html = (
                '<div class="tpop-callout tpop-tone-error tpop-as-of-error" role="alert">'
                f"{html_text(blocked, lang, value=self.state.as_of_text)}</div>"
            )
        self.as_of_help.value = help_html
        running = self.state.running
        self.progress.layout.display = None if running else "none"
        self.progress.max = max(1, self.state.total)
        self.progress.value = self.state.done
        if running:
            status = html_text("bulk_triage.run.running", lang,
                               done=number(self.state.done, lang),
                               total=number(self.state.total, lang))
            self.run_status.value = f'<p class="tpop-muted" role="status">{status}</p>'
        elif blocked in ("bulk_triage.run.no_file", "bulk_triage.run.blocked"):
            self.run_status.value = (
                f'<p class="tpop-muted tpop-run-blocked">{esc(t(blocked, lang))}</p>'
            )
        elif self.result is not None:
            when = self.state.result_as_of.replace("T", " ")
            self.run_status.value = (
                '<p class="tpop-run-done" role="status">✓ '
                + html_text("bulk_triage.run.done", lang, total=number(len(self.result), lang),
                            as_of=when, seconds=_seconds(self.state.result_seconds, lang))
                + "</p>"
            )
        else:
            self.run_status.value = ""

    def _is_stale(self) -> bool:
        return self.result is not None and (
            self.state.result_data_version != self.state.data_version
            or self.as_of_value() is None
            or self.as_of_value().strftime(AS_OF_FORMAT) != self.state.result_as_of
        )

    def _render_results(self, lang: str) -> None:
        has_result = self.result is not None
        self.charts.layout.display = None if has_result else "none"
        self.table_title.value = f"<h3>{esc(t('bulk_triage.results.table', lang))}</h3>"
        self.charts_title.value = (
            f"<h3>{esc(t('bulk_triage.results.charts', lang))}</h3>" if has_result else ""
        )
        self.result_table.root.layout.display = None if has_result else "none"
        self.table_title.layout.display = None if has_result else "none"
        self.stale.value = (
            '<div class="tpop-callout tpop-tone-wait tpop-stale-note" role="status">'
            f"{esc(t('bulk_triage.run.stale', lang))}</div>"
            if self._is_stale()
            else ""
        )
        if not has_result:
            self.summary.value = (
                f'<p class="tpop-muted tpop-results-empty">'
                f"{esc(t('bulk_triage.results.empty', lang))}</p>"
            )
            return
        assert self.result is not None
        self.summary.value = self._summary_html(lang)
        if lang not in self._charts:
            self._charts[lang] = self._draw_charts(lang)
        for image, png in zip(self.chart_images, self._charts[lang], strict=True):
            if image.value != png:
                image.value = png

    def _summary_html(self, lang: str) -> str:
        from ..charts import outcome_color

        assert self.result is not None
        counts = self.result["outcome"].value_counts()
        total = max(len(self.result), 1)
        tree = knowledge().tree
        items = []
        for code in self._outcome_codes():
            n = int(counts.get(code, 0))
            share = _percent(n / total, lang)
            tone = tree.outcomes[code].tone
            zero = " tpop-summary-zero" if n == 0 else ""
            items.append(
                f'<div class="tpop-summary-item tpop-tone-{esc(tone)}{zero}" '
                f'data-outcome="{esc(code)}" data-count="{n}" '
                f'style="--tpop-outcome-color: {esc(outcome_color(code))}">'
                f'<span class="tpop-summary-count">{esc(number(n, lang))}</span>'
                f'<span class="tpop-summary-title">{esc(outcome_title(code, lang))}</span>'
                f'<span class="tpop-summary-share">'
                f"{html_text('bulk_triage.results.share', lang, percent=share)}</span>"
                "</div>"
            )
        return (
            f'<h3>{esc(t("bulk_triage.results.summary", lang))}</h3>'
            f'<div class="tpop-summary" data-total="{len(self.result)}">{"".join(items)}</div>'
        )

    def _draw_charts(self, lang: str) -> tuple[bytes, bytes, bytes]:
        from ..charts import country_chart, days_histogram, outcome_counts_chart

        assert self.result is not None and self.orders is not None
        cfg = self._settings["charts"]
        countries = self.orders["destination_country"].astype(object).fillna("")
        return (
            outcome_counts_chart(self.result["outcome"], lang),
            country_chart(self.result, countries, lang, top=int(cfg["top_countries"])),
            days_histogram(self.result, lang, max_days=int(cfg["max_days"])),
        )

    def _render_downloads(self, lang: str) -> None:
        has_result = self.result is not None
        self.download_buttons.layout.display = None if has_result else "none"
        key = "intro" if has_result else "waiting"
        self.download_intro.value = (
            f'<p class="tpop-muted">{esc(t(f"bulk_triage.download.{key}", lang))}</p>'
        )
        stem = self._file_stem() if has_result else "triage"
        for button, key, suffix in (
            (self.download_csv, "csv", ".csv"),
            (self.download_xlsx, "xlsx", ".xlsx"),
        ):
            button.label = t(f"bulk_triage.download.{key}", lang)
            button.busy_label = t("bulk_triage.download.preparing", lang)
            button.disabled = not has_result or self.state.running
            button.filename = stem + suffix
        from ..export import CSV_MIME, XLSX_MIME

        self.download_csv.mime = CSV_MIME
        self.download_xlsx.mime = XLSX_MIME
        self.download_message.value = (
            '<div class="tpop-alert tpop-alert-error" role="alert">'
            f"{html_text('bulk_triage.download.failed', lang, kind=self.state.download_error)}"
            "</div>"
            if self.state.download_error
            else ""
        )

    # -- for tests and notebooks -----------------------------------------------------
    def displayed_columns(self) -> list[str]:
        """The table's columns, in order."""
        if self.result_table.frame is None:
            return []
        return list(self.result_table.frame.columns)

    def column_heading(self, column: str) -> str:
        return column_label(column, self.state.lang)


def _percent(share: float, lang: str) -> str:
    from babel.numbers import format_percent

    return format_percent(share, locale=_BABEL_LOCALES.get(lang, "en_GB"))


def _seconds(value: float, lang: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(round(value, 1), locale=_BABEL_LOCALES.get(lang, "en_GB"))


PAGE_CSS = """
.tpop-bulk .tpop-header-end { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
.tpop-bulk .tpop-home-link { font-size: 14px; font-weight: 600; white-space: nowrap; }
.tpop-bulk .tpop-step {
  background: var(--tpop-surface);
  border: 1px solid var(--tpop-border);
  border-radius: var(--tpop-radius);
  padding: 18px 20px;
  margin: 0 0 16px 0;
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04);
  gap: 10px;
  overflow: visible;
}
.tpop-bulk .tpop-step-title h2 { font-size: 19px; font-weight: 700; margin: 0; }
.tpop-bulk h3 { font-size: 15px; font-weight: 650; margin: 6px 0 8px 0; }
.tpop-bulk .widget-html, .tpop-bulk .widget-html-content { overflow: visible; }
.tpop-bulk .tpop-samples { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.tpop-bulk .tpop-sample-label { color: var(--tpop-muted); font-size: 14px; }
.tpop-bulk .tpop-sample-picker { width: auto; min-width: 280px; max-width: 100%; flex: 0 1 auto; }
.tpop-bulk .tpop-sample-picker select { font-size: 14px; }
.tpop-bulk .tpop-callout p { margin: 0 0 4px 0; }
.tpop-bulk .tpop-callout pre {
  white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0 0 0; font-size: 13px;
}
.tpop-bulk .tpop-mapping {
  display: grid;
  grid-template-columns: minmax(180px, 1.2fr) minmax(200px, 1.3fr) minmax(120px, 1fr);
  gap: 6px 16px;
  align-items: center;
}
.tpop-bulk .tpop-mapping-head { color: var(--tpop-muted); font-size: 13px; font-weight: 600; }
.tpop-bulk .tpop-mapping .widget-dropdown { width: 100%; margin: 0; }
.tpop-bulk .tpop-mapping .widget-dropdown select { font-size: 14px; }
.tpop-bulk .tpop-mapping-name { font-weight: 600; margin-right: 6px; }
.tpop-bulk .tpop-mapping-example code { overflow-wrap: anywhere; }
.tpop-bulk .tpop-mapping-message .tpop-callout { margin-top: 8px; }
.tpop-bulk .tpop-validation-stats .tpop-stat-value { font-size: 26px; }
.tpop-bulk .tpop-count-invalid .tpop-stat-value { color: #b42318; }
.tpop-bulk .tpop-count-valid .tpop-stat-value { color: #17723c; }
.tpop-bulk .tpop-all-valid { color: #17723c; font-weight: 600; }
.tpop-bulk .tpop-table-scroll { width: 100%; overflow-x: auto; }
.tpop-bulk .tpop-invalid-scroll { max-height: 360px; overflow-y: auto; margin-bottom: 6px; }
.tpop-bulk .tpop-invalid-rows td:last-child { min-width: 260px; }
.tpop-bulk .tpop-invalid-rows td:nth-child(2) { white-space: nowrap; }
.tpop-bulk .tpop-reader-notes ul { margin: 0; padding-left: 20px; font-size: 14px; }
.tpop-bulk .tpop-run-row { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 12px; }
.tpop-bulk .tpop-field { flex: 1 1 200px; min-width: 0; }
.tpop-bulk .tpop-run-row .tpop-field { flex: 0 1 auto; }
.tpop-bulk .tpop-control-label { font-size: 13px; font-weight: 600; color: var(--tpop-muted); }
.tpop-bulk .tpop-as-of { width: 190px; margin: 0 6px 0 0; }
.tpop-bulk .tpop-as-of input { font-variant-numeric: tabular-nums; font-size: 14px; }
.tpop-bulk .widget-button { font-size: 14px; border-radius: 6px; height: 32px; width: auto; }
.tpop-bulk .tpop-run-button { font-weight: 650; padding: 0 18px; height: 36px; }
.tpop-bulk .tpop-progress { width: 100%; margin: 0; }
.tpop-bulk .tpop-progress .progress { height: 10px; }
.tpop-bulk .tpop-run-done { color: #17723c; font-weight: 600; }
.tpop-bulk .tpop-summary {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 10px;
}
.tpop-bulk .tpop-summary-item {
  display: flex;
  flex-direction: column;
  gap: 2px;
  padding: 10px 12px 10px 14px;
  border: 1px solid var(--tpop-border);
  border-left: 5px solid var(--tpop-outcome-color);
  border-radius: 8px;
  background: var(--tpop-surface);
}
.tpop-bulk .tpop-summary-count {
  font-size: 26px; font-weight: 750; line-height: 1.1; font-variant-numeric: tabular-nums;
}
.tpop-bulk .tpop-summary-title { font-size: 14px; font-weight: 600; line-height: 1.3; }
.tpop-bulk .tpop-summary-share { font-size: 12px; color: var(--tpop-muted); }
.tpop-bulk .tpop-summary-zero { opacity: 0.55; }
.tpop-bulk .tpop-charts {
  display: grid;
  grid-template-columns: repeat(2, minmax(0, 1fr));
  gap: 14px;
  align-items: start;
}
.tpop-bulk .tpop-chart-days { grid-column: 1 / -1; }
.tpop-bulk .tpop-chart {
  width: 100%; height: auto; max-width: 100%; border: 1px solid var(--tpop-border);
  border-radius: 8px; background: #ffffff; padding: 6px; object-fit: contain; margin: 0;
}
.tpop-bulk .tpop-filters {
  display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; width: 100%;
}
.tpop-bulk .tpop-filters .tpop-field { flex: 1 1 190px; }
.tpop-bulk .tpop-filters .tpop-field:first-child { flex: 2 1 280px; }
.tpop-bulk .tpop-control { width: 100%; margin: 0; }
.tpop-bulk .tpop-control select, .tpop-bulk .tpop-control input { font-size: 14px; }
.tpop-bulk .tpop-sort-controls { display: flex; gap: 6px; width: 100%; }
.tpop-bulk .tpop-sort-controls .tpop-sort { flex: 1 1 auto; min-width: 0; }
.tpop-bulk .tpop-sort-direction { width: auto; margin: 0; flex: 0 0 auto; }
.tpop-bulk .tpop-sort-direction .widget-toggle-button { width: 34px; height: 28px; margin: 0; }
.tpop-bulk .tpop-table-top {
  display: flex; align-items: center; justify-content: space-between; gap: 12px;
  margin: 6px 0; flex-wrap: wrap;
}
.tpop-bulk .tpop-table-count { font-weight: 600; font-variant-numeric: tabular-nums; }
.tpop-bulk .tpop-button-link {
  background: transparent; border: none; box-shadow: none; color: var(--tpop-accent);
  font-weight: 600;
}
.tpop-bulk .tpop-results { font-size: 13px; }
.tpop-bulk .tpop-results th { white-space: nowrap; position: sticky; top: 0; }
.tpop-bulk .tpop-results td { line-height: 1.35; }
.tpop-bulk .tpop-results .tpop-col-row {
  color: var(--tpop-muted); font-variant-numeric: tabular-nums;
}
.tpop-bulk .tpop-results .tpop-col-order_id { white-space: nowrap; font-weight: 600; }
.tpop-bulk .tpop-results .tpop-col-reason { min-width: 300px; }
.tpop-bulk .tpop-results .tpop-col-error { min-width: 220px; color: #b42318; }
.tpop-bulk .tpop-row-error { color: #b42318; font-size: 12px; margin-top: 2px; }
.tpop-bulk .tpop-results .tpop-col-recheck_at,
.tpop-bulk .tpop-results .tpop-col-contact_from { white-space: nowrap; }
.tpop-bulk .tpop-results .tpop-col-days_since_shipped { text-align: right; }
.tpop-bulk .tpop-results .tpop-col-article_ref { white-space: nowrap; }
.tpop-bulk .tpop-results .tpop-col-flags { min-width: 190px; }
.tpop-bulk .tpop-results .tpop-col-flags .tpop-badge {
  display: inline-block; margin: 0 4px 4px 0; white-space: normal; border-radius: 6px;
  line-height: 1.3; padding: 2px 8px;
}
.tpop-bulk .tpop-results [class*="_url"] a { white-space: nowrap; }
.tpop-bulk .tpop-outcome-chip {
  display: inline-block; padding-left: 8px; border-left: 4px solid var(--tpop-outcome-color);
  font-weight: 600; min-width: 160px;
}
.tpop-bulk .tpop-pager { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 6px; }
.tpop-bulk .tpop-pager-button { width: 38px; }
.tpop-bulk .tpop-page-label { min-width: 120px; text-align: center; align-self: center; }
.tpop-bulk .tpop-pager .tpop-field { flex: 0 0 120px; margin-left: auto; }
.tpop-bulk .tpop-downloads { display: flex; flex-wrap: wrap; gap: 10px; }
@media (max-width: 720px) {
  .tpop-bulk .tpop-step { padding: 14px 12px; }
  .tpop-bulk .tpop-mapping { grid-template-columns: 1fr; gap: 2px; }
  .tpop-bulk .tpop-mapping-head { display: none; }
  .tpop-bulk .tpop-mapping-example { margin-bottom: 10px; }
  .tpop-bulk .tpop-sample-picker { min-width: 0; width: 100%; }
  .tpop-bulk .tpop-summary { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .tpop-bulk .tpop-summary-count { font-size: 22px; }
  .tpop-bulk .tpop-pager .tpop-field { margin-left: 0; }
  /* charts keep a legible size and scroll sideways inside their box */
  .tpop-bulk .tpop-charts { grid-template-columns: 1fr; overflow-x: auto; }
  .tpop-bulk .tpop-chart { min-width: 540px; max-width: none; }
}
"""
