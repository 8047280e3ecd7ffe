"""One order pasted as text: whatever support staff have at hand, read into a record.

:func:`parse_paste` reads, in this order of preference:

``json``
    a JSON object (``{"order_id": "A1", ...}``; nested objects are searched too, and a
    list of objects gives its first one);
``csv``
    a header line plus one row, separated by ``,`` ``;`` or tab, as copied from a
    spreadsheet (more rows: the first is read and a note says so);
``lines``
    ``key: value`` lines (also ``key = value`` and ``key<TAB>value``) whose keys are
    English or French labels of the alias table ``data/columns.yaml``;
``text``
    text copied from an order page: the tracking number (UPU S10 such as
    ``LA123456785FR``, Colissimo / La Poste ``6A12345678901``, spaces allowed), the
    dates (``2026-11-20 15:00``, ``20/11/2026 à 15h00``, ``20 novembre 2026``,
    ``November 20, 2026 3:00 pm``), the destination country (English or French name)
    and an order number written after "order" / "commande" are picked out.

Labelled lines and free text mix: what a label does not give is looked for in the rest
of the text. Of several dates the one on a line about shipping wins ("shipped",
"expédiée"…); dates on lines about other events (ordered, delivered…) are left out; when
that still leaves several, none is taken and a note lists them. Countries work alike,
preferring lines about the destination or the delivery address.

The result is a :class:`PastedOrder`: ``record`` (canonical column -> text, ready for
:func:`tpop_kb.orders.order_from_record` and for the page's form), ``found`` (what was
recognised, and how), ``problems`` (values that could not be read), ``notes`` (things
staff should know, e.g. other rows or other tracking numbers that were not used) and
``ignored`` (labels that are not order fields). A value that cannot be read stays in
``record`` for the free-text fields (order id, ship date, tracking number: the form shows
it with its error) and is left out for the choice fields (country, status, claim, store
sync: the form leaves them unknown); either way it is listed in ``problems``.

A paste that yields nothing usable raises :class:`PasteError` (a
:class:`~tpop_kb.orders.OrderFileError`) whose ``code`` is ``"empty"``,
``"too_long"``, ``"header_only"`` or ``"nothing_usable"``; no other exception leaves
this module. Nothing here logs: pastes hold customer data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .countries import parse_country
from .knowledge import LANGUAGES, knowledge
from .orders import (
    CANONICAL_COLUMNS,
    Order,
    OrderFileError,
    column_for,
    map_columns,
    order_from_record,
    parse_datetime,
    parse_value,
    time_given,
)
from .text import normalize_key, visible
from .tracking import number_shapes
from .workdays import PARIS, now_paris

__all__ = [
    "MAX_PASTE_CHARS",
    "Found",
    "Note",
    "Question",
    "PasteError",
    "PastedOrder",
    "Problem",
    "find_dates",
    "find_tracking_numbers",
    "parse_paste",
    "parse_record",
]

#: A paste longer than this is not one order.
MAX_PASTE_CHARS = 100_000

#: Fields whose unreadable value stays in the record (the form shows it with its error).
TEXT_FIELDS = ("order_id", "shipped_at", "tracking_number")
RECORD_DATETIME = "%Y-%m-%d %H:%M"
RECORD_DATE = "%Y-%m-%d"


class PasteError(OrderFileError):
    """Nothing usable in a paste. ``code`` says why; ``str(error)`` is the message for staff.

    Codes: ``empty`` (nothing pasted), ``too_long`` (more than :data:`MAX_PASTE_CHARS`
    characters), ``header_only`` (a header line without an order row) and
    ``nothing_usable`` (no order field recognised; ``problems`` lists values that
    looked like order fields but could not be read).
    """

    def __init__(self, code: str, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.problems = list(problems)


@dataclass(frozen=True)
class Found:
    """One recognised field: its canonical ``field``, the ``value`` put in the record,
    ``how`` it was found (json, csv, label, text, query) and the label or header it
    came from (``source``, empty for free text).

    ``certainty`` is ``certain`` (the paste says it in so many words), ``inferred`` (read
    from evidence: ``why`` names the rule and ``detail`` quotes the evidence) or
    ``ambiguous`` (never in the record: see :attr:`PastedOrder.questions`). ``why``
    codes: ``first_deposit`` (the first "taken in charge" event of a tracking page),
    ``ship_event`` (a date on a line about shipping), ``only_date`` (the only date of
    the paste, on no line about another event), ``year_from_as_of`` (a day without a
    year, put in the year that makes it the closest before the as-of moment),
    ``day_first`` / ``month_first`` (a numeric date read one way on evidence),
    ``status_from_text``, ``claim_from_text``, ``country_from_address``,
    ``country_in_prose``; ``time_not_given`` marks a ship date without a time.
    """

    field: str
    value: str
    how: str
    source: str = ""
    certainty: str = "certain"
    why: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Question:
    """A field the paste leaves open between several readings: the page asks.

    ``choices`` are record values (``"2026-11-05 10:00"``, ``"2026-05-11 10:00"``);
    ``detail`` is the text of the paste that can be read both ways.
    """

    field: str
    choices: tuple[str, ...]
    why: str
    detail: str = ""


@dataclass(frozen=True)
class Problem:
    """A value that looked like ``field`` but could not be read (``message`` in English)."""

    field: str
    value: str
    message: str


@dataclass(frozen=True)
class Note:
    """Something staff should know about the paste.

    Codes and ``values``: ``extra_rows`` (count), ``other_tracking_numbers`` (used,
    others), ``several_dates`` (dates), ``several_countries`` (countries: ISO codes),
    ``not_json`` (the paste starts like JSON but is not valid JSON; read as text).
    """

    code: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class PastedOrder:
    """What :func:`parse_paste` read. ``record`` holds canonical columns only."""

    format: str  # json | csv | lines | text | query
    record: dict[str, str] = field(default_factory=dict)
    found: list[Found] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    @property
    def fields(self) -> list[str]:
        """The canonical fields recognised, in canonical order."""
        return [c for c in CANONICAL_COLUMNS if c in self.record]

    def order(self) -> Order:
        return order_from_record(self.record)


# ---------------------------------------------------------------------------
# Shapes: tracking numbers and dates
# ---------------------------------------------------------------------------

# UPU S10 (tracking.S10_PATTERN), with the spaces La Poste prints: "LA 123 456 785 FR".
_S10 = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{2}) ?(\d{3}) ?(\d{3}) ?(\d{3}) ?([A-Za-z]{2})(?![A-Za-z0-9])"
)


_SPACED = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{1,5}(?: [A-Za-z0-9]{1,5}){1,6}(?![A-Za-z0-9])")


@lru_cache(maxsize=4)
def _shape_patterns(kb: Any) -> tuple[re.Pattern[str], ...]:
    return tuple(
        re.compile(rf"(?<![A-Za-z0-9])(?:{shape.pattern})(?![A-Za-z0-9])", re.I)
        for shape in number_shapes()
    )


def find_tracking_numbers(text: str) -> list[str]:
    """Tracking-number shapes in ``text``, spaces removed, upper case, in order, no repeats.

    UPU S10 (two letters, nine digits, two letters: ``LA123456785FR``, also written
    ``LA 123 456 785 FR``) and the other shapes of ``data/postal.yaml`` (Colissimo's
    ``6A12345678901``). Whether the check digit is right is for
    :func:`tpop_kb.tracking.check_tracking_number` to say, not this function.
    """
    hits: list[tuple[int, str]] = [
        (match.start(), "".join(match.groups()).upper()) for match in _S10.finditer(text)
    ]
    for pattern in _shape_patterns(knowledge()):
        hits.extend((m.start(), m.group(0).upper()) for m in pattern.finditer(text))
    taken = [start for start, _ in hits]
    for match in _SPACED.finditer(text):  # "6A 4166 3574 609": groups of a shape
        tokens = list(re.finditer(r"[A-Za-z0-9]+", match.group(0)))
        for first in range(len(tokens)):
            for last in range(first + 1, len(tokens)):
                compact = "".join(t.group(0) for t in tokens[first:last + 1]).upper()
                start = match.start() + tokens[first].start()
                if len(compact) > 15:
                    break
                if start not in taken and any(
                    p.fullmatch(compact) for p in _shape_patterns(knowledge())
                ):
                    hits.append((start, compact))
                    taken.append(start)
    out: list[str] = []
    for _, number in sorted(hits):
        if number not in out:
            out.append(number)
    return out


@lru_cache(maxsize=1)
def _month_numbers() -> dict[str, int]:
    from babel import Locale

    table: dict[str, int] = {}
    for lang in LANGUAGES:
        months = Locale.parse(lang).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in months[context][width].items():
                    table[normalize_key(name)] = int(number)
    table["sept"] = 9
    return table


def _month_alternation() -> str:
    names = {n for raw in _month_names_raw() for n in (raw, _fold(raw))}
    return "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))


@lru_cache(maxsize=1)
def _month_names_raw() -> tuple[str, ...]:
    from babel import Locale

    names: set[str] = {"sept"}
    for lang in LANGUAGES:
        months = Locale.parse(lang).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                names.update(str(n).rstrip(".") for n in months[context][width].values())
    return tuple(sorted(names))


def _fold(text: str) -> str:
    """Lower case without accents, same length as long as the text has no ligatures."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


_TIME = (
    r"(?:\s*(?:,|à|a|at|T|-|–|le|@)?\s*"
    r"(?P<hour>\d{1,2})\s*(?:[:hH]\s*(?P<minute>\d{2})?(?::(?P<second>\d{2}))?)"
    r"(?:\.\d+)?(?:\s*(?P<ampm>[ap])\.?m\.?)?"
    r"(?P<tz>\s*(?:Z|[+-]\d{2}:?\d{2}))?"
    r"|\s*(?:,|at|à)?\s*(?P<hour12>\d{1,2})\s*(?P<ampm12>[ap])\.?m\.?)"
)


@lru_cache(maxsize=1)
def _date_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(style, pattern), most specific first: a span taken by one is not read again."""
    months = _month_alternation()
    tail = rf"(?:{_TIME})?(?![\d:])"
    return (
        ("iso", re.compile(
            rf"(?<!\d)(?P<y>\d{{4}})-(?P<a>\d{{1,2}})-(?P<b>\d{{1,2}}){tail}", re.I)),
        ("numeric", re.compile(
            rf"(?<![\d/.])(?P<a>\d{{1,2}})[/.](?P<b>\d{{1,2}})[/.](?P<y>\d{{4}}){tail}", re.I)),
        ("numeric", re.compile(
            rf"(?<![\d-])(?P<a>\d{{1,2}})-(?P<b>\d{{1,2}})-(?P<y>\d{{4}}){tail}", re.I)),
        ("day_month", re.compile(
            rf"(?<![\w])(?P<d>\d{{1,2}})(?:er|st|nd|rd|th)?\.?\s+(?:de\s+)?(?P<mname>{months})\.?,?"
            rf"\s+(?P<y>\d{{4}}){tail}", re.I)),
        ("month_day", re.compile(
            rf"(?<![\w])(?P<mname>{months})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
            rf"(?P<y>\d{{4}}){tail}", re.I)),
        ("numeric_short", re.compile(
            rf"(?<![\w/.:,-])(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})(?![\w/]|[.,]\d){tail}", re.I)),
        ("day_month", re.compile(
            rf"(?<![\w])(?P<d>\d{{1,2}})(?:er|st|nd|rd|th)?\.?\s+(?P<mname>{months})(?![\w])\.?"
            rf"(?!\s*\d){tail}", re.I)),
        ("month_day", re.compile(
            rf"(?<![\w])(?P<mname>{months})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?![\w/])"
            rf",?(?!\s*\d{{4}}){tail}", re.I)),
    )


@dataclass(frozen=True)
class DateHit:
    """A date found in text.

    ``value`` is its reading (None when it is not a real date); for a numeric date that
    reads both ways (05/11/2026), ``value`` is the day-first reading and
    ``alternative`` the month-first one. ``style``: iso, numeric, day_month or
    month_day; ``time_given`` and ``year_given`` say what the text wrote (a day
    without a year takes the year that puts it closest before the as-of moment).
    """

    start: int
    end: int
    text: str
    value: dt.datetime | None
    style: str = "iso"
    time_given: bool = True
    year_given: bool = True
    alternative: dt.datetime | None = None

    @property
    def ambiguous(self) -> bool:
        return self.alternative is not None


def _time_of(groups: Mapping[str, Any]) -> tuple[int, int, int, bool] | None:
    """(hour, minute, second, given) of a match's time groups; None when impossible."""
    hour = minute = second = 0
    ampm = None
    given = False
    if groups.get("hour") is not None:
        hour = int(groups["hour"])
        minute = int(groups["minute"] or 0)
        second = int(groups["second"] or 0)
        ampm = groups.get("ampm")
        given = True
    elif groups.get("hour12") is not None:
        hour = int(groups["hour12"])
        ampm = groups.get("ampm12")
        given = True
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, given


def _with_zone(value: dt.datetime, tz: str) -> dt.datetime | None:
    tz = tz.strip()
    if not tz:
        return value
    offset = dt.UTC
    if tz.upper() != "Z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        try:
            offset = dt.timezone(
                sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            )
        except ValueError:
            return None
    return value.replace(tzinfo=offset).astimezone(PARIS).replace(tzinfo=None)


def _day(year: int, month: int, day: int, clock: tuple[int, int, int, bool],
         tz: str) -> dt.datetime | None:
    try:
        value = dt.datetime(year, month, day, clock[0], clock[1], clock[2])
    except (ValueError, OverflowError):
        return None
    value = _with_zone(value, tz)
    return None if value is None else value.replace(second=0)


def _closest_year(month: int, day: int, clock: tuple[int, int, int, bool],
                  as_of: dt.datetime) -> dt.datetime | None:
    """The reading of a day without a year closest before ``as_of`` (never after it)."""
    for year in (as_of.year, as_of.year - 1):
        value = _day(year, month, day, clock, "")
        if value is not None and (value.date() <= as_of.date()):
            if value <= as_of or not clock[3]:
                return value
    return None


def _make_hit(style: str, match: re.Match[str], as_of: dt.datetime) -> DateHit:
    groups = match.groupdict()
    start, end = match.span()
    text = match.group(0).strip()
    clock = _time_of(groups)
    tz = groups.get("tz") or ""
    if clock is None:
        return DateHit(start, end, text, None, style)
    year_given = groups.get("y") is not None
    value: dt.datetime | None = None
    alternative: dt.datetime | None = None
    try:
        if style == "iso":
            value = _day(int(groups["y"]), int(groups["a"]), int(groups["b"]), clock, tz)
        elif style in ("numeric", "numeric_short"):
            first, second = int(groups["a"]), int(groups["b"])
            if year_given:
                day_first = _day(int(groups["y"]), second, first, clock, tz)
                month_first = _day(int(groups["y"]), first, second, clock, tz)
            else:
                day_first = _closest_year(second, first, clock, as_of)
                month_first = _closest_year(first, second, clock, as_of)
            if day_first is not None:
                value = day_first
                if month_first is not None and month_first != day_first:
                    alternative = month_first
            else:
                value = month_first
                if value is not None and style == "numeric":
                    style = "month_first"
        else:
            month = _month_numbers()[normalize_key(groups["mname"])]
            day = int(groups["d"])
            if year_given:
                value = _day(int(groups["y"]), month, day, clock, tz)
            else:
                value = _closest_year(month, day, clock, as_of)
    except (KeyError, ValueError, TypeError):
        value = None
    return DateHit(start, end, text, value, style, clock[3], year_given, alternative)


def find_dates(text: str, as_of: dt.datetime | None = None) -> list[DateHit]:
    """Dates (with their time when one follows) in ``text``, in order of appearance.

    A date-shaped text that is not a real date (``31/02/2026``) is returned with
    ``value=None``. An ISO time with an offset (``Z``, ``+01:00``) is turned into
    Europe/Paris wall-clock time. A day without a year ("20 novembre", "Nov 20") takes
    the year that puts it closest before ``as_of`` (default: now).
    """
    as_of = as_of or now_paris()
    hits: list[DateHit] = []
    taken: list[tuple[int, int]] = []
    for style, pattern in _date_patterns():
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            hits.append(_make_hit(style, match, as_of))
    return sorted(hits, key=lambda h: h.start)


# ---------------------------------------------------------------------------
# Reading one labelled value
# ---------------------------------------------------------------------------


def _strip_value(value: Any) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    text = text.rstrip(",;").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


_EMPTY_VALUES = {"-", "–", "—", "n/a", "null", "?", "..."}
_EPOCH = re.compile(r"1[5-9]\d{8}")  # 2017 .. 2033


def _read_value(column: str, raw: str, as_of: dt.datetime | None = None
                ) -> tuple[str | DateHit | None, str]:
    """(value for the record or None, problem message or '') for one labelled value.

    A ship date that reads two ways (05/11/2026) comes back as its :class:`DateHit`:
    the reader decides it with the whole paste's evidence, or asks.
    """
    text = _strip_value(raw)
    if not text or text.casefold() in _EMPTY_VALUES:
        return None, ""
    if column == "order_id":
        for pattern in _words()["order_ids"][:1]:
            match = pattern.search(text)
            if match:
                return match.group(0), ""
        text = re.sub(r"\s*\(.*\)\s*$", "", text)
        return text.lstrip("#").strip() or text, ""
    if column == "tracking_number":
        numbers = find_tracking_numbers(text)
        if numbers:
            return numbers[0], ""
        compact = text.replace(" ", "").upper()
        if compact.isascii() and compact.isalnum() and any(ch.isdigit() for ch in compact):
            return compact, ""  # a shape the postal check will call unrecognised
        return None, f"'{text}' is not a tracking number"
    if column == "shipped_at":
        if _EPOCH.fullmatch(text):  # seconds since 1970 (shop APIs)
            if int(text) % 86400 == 0:  # midnight UTC: a date without a time
                day = dt.datetime.fromtimestamp(int(text), dt.UTC).date()
                return day.strftime(RECORD_DATE), ""
            moment = dt.datetime.fromtimestamp(int(text), dt.UTC).astimezone(PARIS)
            return moment.replace(tzinfo=None).strftime(RECORD_DATETIME), ""
        hits = find_dates(text, as_of)
        if hits and hits[0].value is not None:
            hit = hits[0]
            if hit.ambiguous:
                return hit, ""
            return _record_moment(hit.value, hit.time_given), ""
        try:
            value = parse_datetime(text)
        except ValueError as exc:
            return text, str(exc)
        if value is None:
            return None, ""
        return _record_moment(value, time_given(value)), ""
    if column == "destination_country":
        try:
            return parse_country(text), ""
        except ValueError as exc:
            found = _countries_in_line(text, strict=False)
            if len(found) == 1:
                return found[0], ""
            return None, str(exc)
    # tracking_status, customer_claim, store_tracking_synced
    try:
        return parse_value(column, text), ""
    except ValueError as exc:
        words = text.split()
        for size in range(len(words) - 1, 0, -1):  # "Livré le 22/11" -> "Livré"
            try:
                return parse_value(column, " ".join(words[:size])), ""
            except ValueError:
                continue
        if column in ("tracking_status", "customer_claim"):
            found = _scan_phrases("status" if column == "tracking_status" else "claim", text)
            if found:
                return found[0], ""
        return None, str(exc)


class _Reader:
    """Collects found fields, problems and notes; the first readable value of a field wins."""

    def __init__(self, fmt: str, text: str = "", as_of: dt.datetime | None = None) -> None:
        self.result = PastedOrder(format=fmt)
        self.text = text
        self.as_of = as_of or now_paris()
        self.asked: set[str] = set()
        self._failed: dict[str, tuple[str, str]] = {}
        self._ambiguous: tuple[DateHit, str, str] | None = None

    def has(self, column: str) -> bool:
        return column in self.result.record

    def offer(self, column: str, raw: Any, how: str, source: str = "") -> bool:
        """Try one labelled value; True when it was taken."""
        if self.has(column) or column in self.asked:
            return False
        if column == "order_id" and how == "json" and not any(
            ch.isdigit() for ch in str(raw)
        ):
            return False  # a shop JSON's "name" that is a person, not "#1087"
        value, problem = _read_value(column, raw, self.as_of)
        if problem:
            self._failed.setdefault(column, (_strip_value(raw), problem))
            if column in TEXT_FIELDS and isinstance(value, str) and value:
                self._take(column, value, how, source)
            return False
        if value is None:
            return False
        if isinstance(value, DateHit):
            if self._ambiguous is None:
                self._ambiguous = (value, how, source)
                self.asked.add(column)
            return False
        if column == "shipped_at" and len(value) == len("2026-11-20"):
            self._take(column, value, how, source, why="time_not_given")
        else:
            self._take(column, value, how, source)
        self._failed.pop(column, None)
        return True

    def take(self, column: str, value: str, how: str, source: str = "", *,
             certainty: str = "certain", why: str = "", detail: str = "") -> None:
        if not self.has(column):
            if column == "shipped_at" and len(value) == len("2026-11-20") and not why:
                why = "time_not_given"
            self._take(column, value, how, source, certainty, why, detail)
            self._failed.pop(column, None)

    def fail(self, column: str, value: str, message: str) -> None:
        self._failed.setdefault(column, (value, message))

    def ask(self, column: str, choices: tuple[str, ...], why: str, detail: str) -> None:
        if not self.has(column) and column not in {q.field for q in self.result.questions}:
            self.asked.add(column)
            self.result.questions.append(Question(column, choices, why, detail))

    def _take(self, column: str, value: str, how: str, source: str,
              certainty: str = "certain", why: str = "", detail: str = "") -> None:
        self.result.record[column] = value
        self.result.found.append(Found(column, value, how, source, certainty, why, detail))

    def ignore(self, label: str) -> None:
        if label and label not in self.result.ignored:
            self.result.ignored.append(label)

    def note(self, code: str, **values: str) -> None:
        self.result.notes.append(Note(code, dict(values)))

    def _decide_ambiguous(self) -> None:
        """A labelled ship date that reads two ways: the paste's evidence, or a question."""
        if self._ambiguous is None:
            return
        hit, how, source = self._ambiguous
        self.asked.discard("shipped_at")
        readings = [hit.value, hit.alternative]
        later = [r for r in readings if r > self.as_of]
        lines = self.text.splitlines()
        way, proof = _date_order_evidence(_date_kinds(lines, self.as_of), self.text,
                                          self.result.record.get("destination_country"))
        if len(later) == 1:
            value = readings[1 - readings.index(later[0])]
            self._take("shipped_at", _record_moment(value, hit.time_given), how, source,
                       "inferred", "other_reading_future", hit.text)
        elif way:
            value = hit.value if way == "day_first" else hit.alternative
            self._take("shipped_at", _record_moment(value, hit.time_given), how, source,
                       "inferred", way, proof)
        else:
            self.ask("shipped_at", tuple(_record_moment(r, hit.time_given) for r in readings),
                     "ambiguous_date", hit.text)

    def finish(self) -> PastedOrder:
        self._decide_ambiguous()
        result = self.result
        result.problems = [
            Problem(column, value, message)
            for column in CANONICAL_COLUMNS
            if column in self._failed and column not in result.record
            or column in self._failed and column in TEXT_FIELDS
            for value, message in [self._failed[column]]
        ]
        result.found.sort(key=lambda f: CANONICAL_COLUMNS.index(f.field))
        result.record = {c: result.record[c] for c in CANONICAL_COLUMNS if c in result.record}
        return result


def _column_of(label: str) -> str | None:
    return column_for(label)


# ---------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _vocabulary(kb: Any) -> dict[str, Any]:
    """data/paste.yaml compiled: one leftmost-longest pattern per section of phrases."""
    raw = kb.file("paste.yaml") or {}

    def pattern(phrases: dict[str, list[str]]) -> tuple[re.Pattern[str], dict[str, str]]:
        owner: dict[str, str] = {}
        for kind, words in phrases.items():
            for word in words or ():
                owner.setdefault(_fold(str(word)).replace("’", "'"), str(kind))
        alternation = "|".join(
            r"\s+".join(re.escape(part) for part in phrase.split())
            for phrase in sorted(owner, key=len, reverse=True)
        )
        return re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])"), owner

    def fold_list(key: str) -> list[str]:
        return [_fold(str(w)).replace("’", "'") for w in raw.get(key) or ()]

    return {
        "dates": pattern(raw.get("dates") or {}),
        "status": pattern(raw.get("status") or {}),
        "claim": pattern(raw.get("claim") or {}),
        "negations": set(fold_list("negations")),
        "email_headers": re.compile(
            r"^\s*(?:>\s*)?(?:" + "|".join(
                r"\s+".join(re.escape(p) for p in h.split()) for h in fold_list("email_headers")
            ) + r")\s*:"),
        "us": pattern({"us": raw.get("us_evidence") or []})[0],
        "step_bar": set(fold_list("step_bar")),
        "status_order": list((raw.get("status") or {}).keys()),
        "claim_order": list((raw.get("claim") or {}).keys()),
        "order_ids": [re.compile(p) for p in raw.get("order_ids") or ()],
        "json_wrappers": {normalize_key(w) for w in raw.get("json_wrappers") or ()},
        "not_status_before": set(fold_list("not_status_before")),
        "future_markers": set(fold_list("future_markers")),
        "note_footers": fold_list("note_footers"),
        "message_markers": set(fold_list("message_markers")),
        "ignore_lines": fold_list("ignore_lines"),
    }


def _words() -> dict[str, Any]:
    return _vocabulary(knowledge())


def _folded(text: str) -> str:
    return _fold(text).replace("’", "'").replace("\u00a0", " ")


#: Which kind of date wins when one context names several (an e-mail header or an
#: estimate is never a ship date, whatever else the line says).
_DATE_PRIORITY = ("email", "message", "estimate", "order", "deposit", "ship", "delivery",
                  "event")
_SHIP_KINDS = ("deposit", "ship")


def _kinds(text: str, nearest_last: bool = False) -> list[str]:
    """The date kinds (data/paste.yaml `dates`) named in a piece of text.

    An e-mail header or an estimate wins wherever it is; otherwise the phrase nearest
    the date does: the first one of text after the date (``nearest_last`` for the text
    before it: the last one).
    """
    regex, owner = _words()["dates"]
    folded = _folded(text)
    found = [owner.get(" ".join(m.group(0).split()), "") for m in regex.finditer(folded)
             if not _negated(folded, m.start())]  # "not yet taken in charge"
    found = [k for k in found if k]
    if nearest_last:
        found.reverse()
    strong = [k for k in ("email", "estimate") if k in found]
    return strong + [k for k in dict.fromkeys(found) if k not in strong]


@dataclass
class _Dated:
    """A date of the paste with what happened on that day."""

    hit: DateHit
    line: int
    kind: str  # one of _DATE_PRIORITY, or "" (nothing said)
    context: str


_TRAILING_TIME = re.compile(r"\s(\d{1,2})\s*[:h]\s*(\d{2})(?::\d{2})?\s*(?:([ap])\.?m\.?)?\s*$",
                            re.I)
_ISO_LINE_TIME = re.compile(r"^\s*\d{1,2}\s*[:h]\s*\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\s*$", re.I)


def _is_message(line: str) -> bool:
    """A person's words ("j'ai reçu le mail…", "my order…"), not a tracking event."""
    words = set(re.findall(r"[a-z']+", _folded(line)))
    return bool(words & _words()["message_markers"])


def _with_time_nearby(hit: DateHit, lines: list[str], date_line: int,
                      event_line: int) -> DateHit:
    """A date without a time takes a time printed alone on a line next to it: under the
    date (tracking pages), or next to its event's text (shop timelines)."""
    candidates = [date_line + 1] if event_line == date_line else [event_line + 1,
                                                                   event_line - 1]
    if event_line != date_line:  # "TPOP fulfilled 2 items.<TAB>9:41 AM"
        tail = _TRAILING_TIME.search(lines[event_line])
        if tail:
            candidates.insert(0, event_line)
    for j in candidates:
        if 0 <= j < len(lines) and j != date_line and (
                _ISO_LINE_TIME.match(lines[j]) or j == event_line):
            match = (_TRAILING_TIME.search(lines[j]) if j == event_line else
                     re.match(r"^\s*(\d{1,2})\s*[:h]\s*(\d{2})(?::\d{2})?\s*"
                              r"(?:([ap])\.?m\.?)?\s*$", lines[j], re.I))
            if not match:
                continue
            hour, minute = int(match.group(1)), int(match.group(2))
            if match.group(3):
                if not 1 <= hour <= 12:
                    continue
                hour = hour % 12 + (12 if match.group(3).lower() == "p" else 0)
            if hour > 23 or minute > 59:
                continue
            value = hit.value.replace(hour=hour, minute=minute)
            alternative = (hit.alternative.replace(hour=hour, minute=minute)
                           if hit.alternative else None)
            return DateHit(hit.start, hit.end, f"{hit.text} {lines[j].strip()}", value,
                           hit.style, True, hit.year_given, alternative)
    return hit


def _date_kinds(lines: list[str], as_of: dt.datetime) -> list[_Dated]:
    """Every date of the free lines, with the kind of event it is the date of.

    Looked for in this order: the words just before the date on its line (back to the
    previous date), the words after it (up to the next date), an e-mail header label;
    then the lines under it (up to the next date, at most three), then a line just
    above it that no other date uses.
    """
    vocab = _words()
    per_line = [find_dates(line, as_of) for line in lines]
    out: list[_Dated] = []
    for index, (line, hits) in enumerate(zip(lines, per_line, strict=True)):
        for k, hit in enumerate(hits):
            before = line[(hits[k - 1].end if k else 0):hit.start]
            after = line[hit.end:(hits[k + 1].start if k + 1 < len(hits) else len(line))]
            if vocab["email_headers"].match(_folded(line)):
                out.append(_Dated(hit, index, "email", line.strip()))
                continue
            kinds = _kinds(before, nearest_last=True) or _kinds(after)
            context = line.strip()
            event_line = index
            folded_line = _folded(line)
            if not kinds and any(f in folded_line for f in vocab["note_footers"]):
                # a shop's order note: its text is above its date
                j = index - 1
                while j >= 0 and not lines[j].strip():
                    j -= 1  # blank lines between a note and its date
                while j >= 0 and not per_line[j] and lines[j].strip():
                    kinds = _kinds(lines[j])
                    if kinds:
                        context = f"{lines[j].strip()} … {line.strip()}"
                        break
                    j -= 1
                out.append(_Dated(hit, index, kinds[0] if kinds else "", context))
                continue
            if not kinds:
                seen, j = 0, index + 1
                while j < len(lines) and seen < 3:
                    if per_line[j]:
                        break
                    if lines[j].strip() and not _ISO_LINE_TIME.match(lines[j]):
                        seen += 1
                        if seen == 1 and len((before + after).split()) <= 1:  # "Thursday"
                            context = f"{line.strip()} … {lines[j].strip()}"
                        if _is_message(lines[j]):
                            kinds = ["message"]  # a chat message under its timestamp
                            break
                        kinds = _kinds(lines[j])
                        if kinds:
                            context = f"{line.strip()} … {lines[j].strip()}"
                            event_line = j
                            break
                    j += 1
            if not hit.time_given and hit.value is not None:
                hit = _with_time_nearby(hit, lines, index, event_line)
            if not kinds and index > 0:
                above = next((i for i in range(index - 1, max(index - 3, -1), -1)
                              if lines[i].strip()), None)
                if above is not None and not per_line[above]:
                    used_by_other = above > 0 and any(
                        per_line[i] for i in range(max(0, above - 3), above)
                    )
                    if not used_by_other:
                        kinds = _kinds(lines[above])
                        if kinds:
                            context = f"{lines[above].strip()} … {line.strip()}"
            out.append(_Dated(hit, index, kinds[0] if kinds else "", context))
    return out


_US_ZIP = re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")


def _date_order_evidence(dated: list[_Dated], text: str,
                         country: str | None) -> tuple[str, str]:
    """('day_first' | 'month_first' | '', the evidence) for numeric dates of this paste.

    Strongest first: another numeric date of the paste that reads one way only
    (13/11/2026); then a US address, store or destination; then how the paste writes
    dates with month names ("November 20, 2026" is month first, "20 novembre 2026" day
    first). Conflicting evidence at one level decides nothing.
    """
    levels: list[list[tuple[str, str]]] = [[], [], []]
    for item in dated:
        hit = item.hit
        if hit.value is None or hit.ambiguous:
            continue
        if hit.style == "numeric" and hit.value.day != hit.value.month and hit.value.day > 12:
            levels[0].append(("day_first", hit.text))
        elif hit.style == "month_first":
            levels[0].append(("month_first", hit.text))
        elif hit.style == "month_day":
            levels[2].append(("month_first", hit.text))
        elif hit.style == "day_month":
            levels[2].append(("day_first", hit.text))
    us = _words()["us"].search(_folded(text))
    if country == "US":
        levels[1].append(("month_first", "US"))
    elif us:
        levels[1].append(("month_first", us.group(0)))
    elif _US_ZIP.search(text):
        levels[1].append(("month_first", _US_ZIP.search(text).group(0)))
    for level in levels:
        ways = {way for way, _ in level}
        if len(ways) == 1:
            way = ways.pop()
            return way, next(detail for w, detail in level if w == way)
    return "", ""


def _record_moment(value: dt.datetime, time_given: bool) -> str:
    return value.strftime(RECORD_DATETIME) if time_given else value.strftime(RECORD_DATE)


def _scan_ship_date(reader: _Reader, lines: list[str], as_of: dt.datetime,
                    evidence: tuple[str, str]) -> None:
    """The ship date of free text: only a date about shipping, never another event's.

    The first "taken in charge" event (a tracking page's deposit) wins; else a date on a
    line about shipping (the earliest when several); else the only date of the paste
    when the paste names no other event's date. A numeric date that reads both ways is
    decided by the paste's evidence, or asked (a question with both readings).
    """
    dated = [d for d in _date_kinds(lines, as_of)]
    deposits = [d for d in dated if d.kind == "deposit"]
    ships = [d for d in dated if d.kind == "ship"]
    why = "first_deposit" if deposits else "ship_event"
    chosen = deposits or ships
    latest = not deposits  # a shop re-ships after a cancelled fulfilment: the last one
    if not chosen:
        plain = [d for d in dated if d.kind == "" and d.hit.value is not None
                 and d.hit.style != "numeric_short" and d.hit.year_given]
        others = [d for d in dated if d.kind and d.kind not in _SHIP_KINDS]
        distinct = {(d.hit.value, d.hit.alternative) for d in plain}
        if len(distinct) == 1 and not others:
            chosen, why = plain[:1], "only_date"
        elif len(distinct) > 1 and not others:
            reader.note("several_dates", dates=", ".join(dict.fromkeys(d.hit.text
                                                                      for d in plain)))
            return
    if not chosen:
        return
    readable = [d for d in chosen if d.hit.value is not None]
    if not readable:
        bad = chosen[0].hit
        reader.take("shipped_at", bad.text, "text")
        reader.fail("shipped_at", bad.text, f"'{bad.text}' is not a real date")
        return
    # a tracking page: the first deposit; a shop's "shipped" lines: the last one (a
    # fulfilment cancelled and done again; the later date is also the cautious one)
    first = (max if latest else min)(readable, key=lambda d: d.hit.value)
    hit = first.hit
    value, certainty, detail = hit.value, "certain", _excerpt(first.context, hit.text)
    if why != "ship_event" or not hit.year_given:
        certainty = "inferred"
    if not hit.year_given:
        why = "year_from_as_of" if why == "ship_event" else why
    if hit.ambiguous:
        readings = [hit.value, hit.alternative]
        later = [r for r in readings if r > as_of]
        way, proof = evidence
        if len(later) == 1:
            value = readings[1 - readings.index(later[0])]
            certainty, why, detail = "inferred", "other_reading_future", hit.text
        elif way:
            value = hit.value if way == "day_first" else hit.alternative
            certainty, why, detail = "inferred", way, proof
        else:
            reader.ask("shipped_at", tuple(_record_moment(r, hit.time_given) for r in readings),
                       "ambiguous_date", hit.text)
            return
    elif hit.style == "month_first":
        certainty, why, detail = "inferred", "month_first", hit.text
    reader.take("shipped_at", _record_moment(value, hit.time_given), "text",
                certainty=certainty, why=why, detail=detail)


def _excerpt(context: str, around: str, width: int = 90) -> str:
    """A context short enough to show: the words around ``around``."""
    if len(context) <= width:
        return context
    at = max(context.find(around), 0)
    start = max(0, at - 45)
    end = min(len(context), at + len(around) + 30)
    return ("…" if start else "") + context[start:end].strip() + ("…" if end < len(context)
                                                                     else "")


def _step_bar_lines(lines: list[str]) -> set[int]:
    """Lines of La Poste's step bar (every step's name, whatever the parcel's state)."""
    steps = _words()["step_bar"]
    names = [_folded(line).strip(" \t·•>›|-–") for line in lines]
    out: set[int] = set()
    for i, name in enumerate(names):
        parts = [p.strip() for p in re.split(r"[·•>›|/]|\s-\s|\s–\s", name) if p.strip()]
        if len(parts) >= 2 and sum(p in steps for p in parts) >= 2:
            out.add(i)
    run: list[int] = []
    for i, name in enumerate([*names, ""]):
        if name in steps:
            run.append(i)
            continue
        if not name and run and i < len(names):
            continue  # blank lines inside a bar
        if len(run) >= 3:
            out.update(run)
        run = []
    return out


def _negated(folded: str, start: int) -> bool:
    """A negation among the three words before ``start``, in the same sentence."""
    sentence = re.split(r"[.,!?;:\n]", folded[:start])[-1]
    words = re.findall(r"[a-z']+", sentence)[-3:]
    negations = _words()["negations"]
    return any(w in negations or w.endswith("n't") or w in ("n'", "ne", "n") for w in words)


def _scan_phrases(section: str, text: str) -> tuple[str, str] | None:
    """(kind, phrase) of the strongest kind of ``section`` (status or claim) in the text."""
    vocab = _words()
    regex, owner = vocab[section]
    order = vocab[f"{section}_order"]
    lines = text.splitlines()
    folded_lines = _folded(text).splitlines()
    kept = [i for i, line in enumerate(folded_lines)
            if not any(junk in line for junk in vocab["ignore_lines"])]
    folded = "\n".join(folded_lines[i] for i in kept)
    original = "\n".join(lines[i] for i in kept) if len(lines) == len(folded_lines) else ""
    if len(original) != len(folded):
        original = ""  # a ligature changed the length: quote the folded words
    best: tuple[int, str, str] | None = None
    for match in regex.finditer(folded):
        phrase = " ".join(match.group(0).split())
        kind = owner.get(phrase, "")
        if kind not in order:
            continue
        if kind == "still_not_received" and _negated(folded, match.start()):
            kind = "not_received"  # "not yet been to the post office"
        elif kind not in ("none", "not_received") and _negated(folded, match.start()):
            continue
        following = folded[match.end():match.end() + 5].split()
        if (kind == "delivered" and following
                and following[0] in vocab["not_status_before"]):
            continue
        if kind == "delivered":
            sentence = re.split(r"[.,!?;:\n]", folded[:match.start()])[-1]
            if set(re.findall(r"[a-z']+", sentence)[-2:]) & vocab["future_markers"]:
                continue
        rank = order.index(kind)
        if best is None or rank < best[0]:
            quoted = original[match.start():match.end()] if original else phrase
            best = (rank, kind, " ".join(quoted.split()))
    return None if best is None else (best[1], best[2])


def _latest_event_status(lines: list[str], as_of: dt.datetime) -> tuple[str, str] | None:
    """The status of the most recent dated event that names one (a tracking page lists
    a parcel's events; the newest one says where it is now)."""
    best: tuple[dt.datetime, str, str] | None = None
    for item in _date_kinds(lines, as_of):
        # (a date that reads two ways is ordered by its day-first reading: only the
        # order of events matters here, no date is taken)
        if item.hit.value is None or item.kind in ("email", "order", "estimate"):
            continue
        found = _scan_phrases("status", item.context)
        if found and (best is None or item.hit.value > best[0]):
            best = (item.hit.value, found[0], found[1])
    return None if best is None else (best[1], best[2])


def _scan_text(reader: _Reader, lines: list[str], used: set[int],
               as_of: dt.datetime) -> None:
    """Fill what labels did not give from the free lines (``used`` lines are labelled)."""
    bar = _step_bar_lines(lines)
    free_lines = [line if i not in used and i not in bar else "" for i, line in
                  enumerate(lines)]
    free = [(i, line) for i, line in enumerate(lines) if i not in used]
    text = "\n".join(line for _, line in free)
    folded = [(i, _fold(line)) for i, line in free]

    if not reader.has("tracking_number"):
        numbers = find_tracking_numbers(text)
        if numbers:
            reader.take("tracking_number", numbers[0], "text")
            if len(numbers) > 1:
                reader.note("other_tracking_numbers", used=numbers[0],
                            others=", ".join(numbers[1:]))

    if not reader.has("destination_country"):
        _scan_country(reader, free, folded)

    if not reader.has("shipped_at") and "shipped_at" not in reader.asked:
        country = reader.result.record.get("destination_country")
        dated = _date_kinds(free_lines, as_of)
        evidence = _date_order_evidence(dated, "\n".join(lines), country)
        _scan_ship_date(reader, free_lines, as_of, evidence)

    scanned = "\n".join(free_lines)
    if not reader.has("tracking_status"):
        found = _latest_event_status(free_lines, as_of)
        anywhere = _scan_phrases("status", scanned)
        if found is None or (anywhere and anywhere[0] == "awaiting_collection"
                             and found[0] in ("in_transit", "none")):
            # a delivery notice in the customer's hands beats a tracking not yet updated
            found = anywhere
        if found:
            reader.take("tracking_status", found[0], "text", certainty="inferred",
                        why="status_from_text", detail=found[1])
    if not reader.has("customer_claim"):
        found = _scan_phrases("claim", scanned)
        if found:
            reader.take("customer_claim", found[0], "text", certainty="inferred",
                        why="claim_from_text", detail=found[1])

    if not reader.has("order_id"):
        _scan_order_id(reader, free, text)


def _scan_order_id(reader: _Reader, free: list[tuple[int, str]], text: str) -> None:
    trackings = set(find_tracking_numbers(text))

    def usable(candidate: str) -> bool:
        return (
            any(ch.isdigit() for ch in candidate)
            and candidate.upper() not in trackings
            and not find_dates(candidate)
        )

    patterns = _words()["order_ids"]
    # the first order number the paste writes: "Order #6093" on a shop page, TPOP's
    # "TP-2026-104233" on the dashboard
    for _, line in free:
        candidates = [(m.start(), m.group("id").strip("-/")) for m in _ORDER_ID.finditer(line)]
        candidates += [(m.start(), m.group(0)) for m in patterns[0].finditer(line)]
        for _, candidate in sorted(candidates):
            if usable(candidate):
                reader.take("order_id", candidate, "text")
                return
    for pattern in patterns[1:]:
        for _, line in free:
            match = pattern.search(line)
            if match and usable(match.group(0)):
                reader.take("order_id", match.group(0).lstrip("#"), "text")
                return


_DESTINATION_WORDS = re.compile(
    r"\b(destination|destinataire|ship to|shipping address|delivery address|deliver to|"
    r"livrer a|livre a|"
    r"country|pays|livraison|adresse de livraison|adresse d'expedition|recipient|"
    r"shipping|expedition)", re.I
)
_SENDER_WORDS = re.compile(
    r"\b(sender|expediteur|ship from|shipped from|return address|origin|origine|"
    r"adresse de retour|billing address|adresse de facturation|facturation|billing)\b", re.I
)
_ORDER_ID = re.compile(
    r"\b(?:order|commande|cde|cmd)\b\s*(?:(?:n°|no\.?|nº|number|numero|num\.?|id|ref\.?|reference)"
    r"\s*)?(?:de\s+commande\s*)?[:#]?\s*#?\s*(?P<id>[A-Za-z0-9][A-Za-z0-9_/-]{1,39})",
    re.I,
)
_TOKEN = re.compile(r"[^\s,;:()\[\]/|]+")
_CODE_ADJECTIVE = re.compile(
    r"\b(?P<code>UK|USA|US|GB)\s+(?:customer|client|cliente|address|adresse|order|buyer)\b"
    r"|\b(?:client|cliente|customer)\s+(?P<code2>UK|USA|US)\b"
)
_PROSE_COUNTRY = re.compile(
    r"\b(?:in|to|en|au|aux|vers|pour|dans)\s+(?:the\s+|l[ae]\s+|l'|les\s+)?"
    r"(?P<name>[A-ZÀ-Ý][\w.'\-]*(?:\s+[A-ZÀ-Ý][\w.'\-]*){0,2})"
)


def _countries_in_line(line: str, strict: bool = True) -> list[str]:
    """ISO codes of the country names in one line (longest names first, no repeats).

    Two- and three-letter codes count only when written in capitals and, with
    ``strict``, only when they are the whole line: "de" and "la" are words first.
    """
    tokens = _TOKEN.findall(line)
    found: list[str] = []
    used = [False] * len(tokens)
    for size in (4, 3, 2, 1):
        for start in range(0, len(tokens) - size + 1):
            if any(used[start:start + size]):
                continue
            words = tokens[start:start + size]
            phrase = " ".join(words)
            key = normalize_key(phrase)
            if not key or key.isdigit():
                continue
            if len(key) <= 3:
                if not (phrase.isupper() and (not strict or len(tokens) == 1)):
                    continue
            try:
                code = parse_country(phrase)
            except ValueError:
                continue
            if code:
                for i in range(start, start + size):
                    used[i] = True
                if code not in found:
                    found.append(code)
    return found


def _scan_country(
    reader: _Reader, free: list[tuple[int, str]], folded: list[tuple[int, str]]
) -> None:
    """The destination country of free text.

    A line about the destination ("Pays : …", "Shipping address") opens a block of up
    to :data:`_BLOCK_LINES` lines (ended by a blank line); an address ends with its
    country, so the block's last line naming a country wins. A sender block ("From",
    "Expéditeur") is skipped. Without a destination block, the text must name exactly
    one country.
    """
    destination: list[list[str]] = []  # countries per line of destination blocks
    others: list[str] = []
    block, left = "", 0
    for (_, line), (_, low) in zip(free, folded, strict=True):
        if not line.strip():
            block, left = "", 0
            continue
        found = _countries_in_line(line)
        if _SENDER_WORDS.search(low):
            block, left = "sender", _BLOCK_LINES
            continue
        if _DESTINATION_WORDS.search(low):
            block, left = "destination", _BLOCK_LINES
            if found:
                destination.append(found)
            continue
        if left:
            left -= 1
            if block == "destination" and found:
                destination.append(found)
            if block:
                if not left:
                    block = ""
                continue
        others.extend(c for c in found if c not in others)
    candidates = destination[-1] if destination else others
    if len(candidates) == 1:
        reader.take("destination_country", candidates[0], "text", certainty="inferred",
                    why="country_from_address" if destination else "only_country")
        return
    if len(candidates) > 1:
        reader.note("several_countries", countries=", ".join(candidates))
        return
    prose: list[str] = []
    for _, line in free:
        for match in _PROSE_COUNTRY.finditer(line):
            words = match.group("name").split()
            for size in range(len(words), 0, -1):
                phrase = " ".join(words[:size]).rstrip(".,'")
                if len(phrase) <= 3 and not phrase.isupper():
                    continue  # "La Poste", "Le Mans": words first, codes only in capitals
                try:
                    code = parse_country(phrase)
                except ValueError:
                    continue
                if code and code not in prose:
                    prose.append(code)
                break
    for _, line in free:
        for match in _CODE_ADJECTIVE.finditer(line):
            try:
                code = parse_country(match.group("code"))
            except ValueError:
                continue
            if code and code not in prose:
                prose.append(code)
    if len(prose) == 1:
        reader.take("destination_country", prose[0], "text", certainty="inferred",
                    why="country_in_prose")


_BLOCK_LINES = 6


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------

_LABEL_LINE = re.compile(
    r"^\s*(?:[-*•·>]\s*)?(?P<key>[^:=\t\n]{1,60}?)\s*(?::|=|\t)\s*(?P<value>.*)$"
)


def _flatten(obj: Any, prefix: str = "") -> Iterable[tuple[str, str, Any]]:
    """(path, leaf key, value) of every scalar in nested JSON: objects and lists (a list's
    items share their path: ``fulfillments.tracking_number``)."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, Mapping | list):
                yield from _flatten(value, path)
            else:
                yield path, str(key), value
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, Mapping | list):
                yield from _flatten(item, prefix)
            else:
                yield prefix, prefix.rsplit(".", 1)[-1], item


def _json_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=4)
def _json_paths(kb: Any) -> dict[str, str]:
    """data/paste.yaml `json_paths`: a JSON path (keys joined by dots, list positions left
    out, compared like headers) -> canonical column, or '' for a path never used."""
    raw = (kb.file("paste.yaml") or {}).get("json_paths") or {}
    return {".".join(normalize_key(p) for p in str(path).split(".")): str(column or "")
            for path, column in raw.items()}


def _json_rank(path: str) -> int:
    """Where data/paste.yaml lists the path (its order decides between two paths)."""
    paths = list(_json_paths(knowledge()))
    parts = [normalize_key(p) for p in path.split(".")]
    wrappers = _words()["json_wrappers"]
    while len(parts) > 1 and parts[0] in wrappers:
        parts = parts[1:]
    for start in range(max(1, len(parts) - 1)):
        ending = ".".join(parts[start:])
        if ending in paths:
            return paths.index(ending)
    return len(paths)


def _json_column(path: str, key: str) -> tuple[str | None, bool]:
    """(column or None, whether data/paste.yaml names the path): the path and its
    endings ("order.fulfillments.created_at", "fulfillments.created_at") are looked up
    in `json_paths` first; else the last key is matched like a header."""
    paths = _json_paths(knowledge())
    parts = [normalize_key(p) for p in path.split(".")]
    wrappers = _words()["json_wrappers"]
    while len(parts) > 1 and parts[0] in wrappers:
        parts = parts[1:]
    if ".".join(parts) in paths:
        return (paths[".".join(parts)] or None), True
    for start in range(1, len(parts) - 1):  # a dotted entry also names a deeper path
        ending = ".".join(parts[start:])
        if ending in paths:
            return (paths[ending] or None), True
    return _column_of(key), False


def _embedded_json(text: str) -> tuple[Any, str] | None:
    """A JSON object or list starting a line of the paste, with the text around it (a
    note before it, a signature after it): (object, the rest)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"(?m)^[ \t]*([\[{])", text):
        start = match.start(1)
        try:
            obj, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, Mapping | list) and obj:
            return obj, text[:start] + "\n" + text[end:]
    return None


def _from_json(obj: Any, text: str, as_of: dt.datetime, rest: str = "") -> PastedOrder:
    reader = _Reader("json", text, as_of)
    if isinstance(obj, list):
        rows = [r for r in obj if isinstance(r, Mapping)]
        if not rows:
            return reader.finish()
        if len(rows) > 1:
            reader.note("extra_rows", count=str(len(rows) - 1))
        obj = rows[0]
    leaves = [(path, _json_column(path, key), value) for path, key, value in _flatten(obj)]
    named_first = sorted((leaf for leaf in leaves if leaf[1][1]), key=lambda leaf:
                         _json_rank(leaf[0]))
    for named in (True, False):  # paths data/paste.yaml names win over last keys
        for path, (column, explicit), value in (named_first if named else leaves):
            if explicit != named:
                continue
            if column is None:
                reader.ignore(path)
                continue
            reader.offer(column, _json_scalar(value), "json", path)
    notes = [v for path, (column, _), v in leaves
             if column is None and isinstance(v, str) and len(v.split()) >= 3]
    _scan_notes(reader, notes)
    if rest.strip():  # what was written around the JSON
        _scan_text(reader, rest.splitlines(), set(), as_of)
    return reader.finish()


def _scan_notes(reader: _Reader, texts: list[str]) -> None:
    """Status and claim from free text kept in fields that are not order fields (a
    note, a remark column)."""
    text = "\n".join(texts)
    for column, section, why in (("tracking_status", "status", "status_from_text"),
                                 ("customer_claim", "claim", "claim_from_text")):
        if text and not reader.has(column):
            found = _scan_phrases(section, text)
            if found:
                reader.take(column, found[0], "text", certainty="inferred", why=why,
                            detail=found[1])


_LOOSE_PAIR = re.compile(r'"([^"\n]{1,80})"\s*:\s*(?:"((?:[^"\\\n]|\\.)*)"|([^,}\]\n]*))')


def _from_loose_json(text: str, as_of: dt.datetime) -> PastedOrder:
    """JSON that does not parse (cut short, a missing comma): its ``"key": value`` pairs."""
    reader = _Reader("json", text, as_of)
    reader.note("not_json")
    for match in _LOOSE_PAIR.finditer(text):
        key = match.group(1)
        value = match.group(2) if match.group(2) is not None else match.group(3)
        column = _column_of(key)
        if column is None:
            reader.ignore(key)
            continue
        value = value.strip()
        reader.offer(column, "" if value == "null" else value, "json", key)
    _scan_text(reader, text.splitlines(), set(), as_of)
    return reader.finish()


def _csv_rows(text: str) -> tuple[str, list[list[str]]] | None:
    """(delimiter, rows) when the first line is a header naming at least two order fields."""
    every = [ln for ln in text.splitlines() if ln.strip()]
    for start, header in enumerate(every[:6]):  # a line of prose may come first
        lines = every[start:]
        counts = {d: header.count(d) for d in ("\t", ";", ",")}
        for delimiter in sorted(counts, key=lambda d: -counts[d]):
            if not counts[delimiter]:
                continue
            try:
                rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
            except csv.Error:
                continue
            if len(map_columns([h.strip().lstrip("\ufeff") for h in rows[0]]).columns) >= 2:
                width = len(rows[0])
                table = [r for r in rows if len(r) >= max(2, width // 2)]
                return delimiter, table
    return None


def _from_csv(rows: list[list[str]], text: str, as_of: dt.datetime) -> PastedOrder:
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    if not body:
        raise PasteError(
            "header_only",
            "The paste has a header line but no order row: copy the header and one order's row.",
        )
    reader = _Reader("csv", text, as_of)
    if len(body) > 1:
        reader.note("extra_rows", count=str(len(body) - 1))
    cells = {c.strip() for r in rows for c in r}
    prose = [ln for ln in text.splitlines() if ln.strip() and not set(
        c.strip() for c in re.split(r"[\t;,]", ln)) <= cells]
    row = (body[0] + [""] * len(header))[: len(header)]
    mapping = map_columns(header)
    for column, name in mapping.columns.items():
        reader.offer(column, row[header.index(name)], "csv", name)
    for name in mapping.ignored:
        reader.ignore(name)
    _scan_notes(reader, [row[header.index(name)] for name in mapping.ignored
                         if len(row[header.index(name)].split()) >= 3] + prose)
    return reader.finish()


def _looks_like_label(key: str) -> bool:
    """'Client', 'Total TTC': a label; '17/11/2026 à 10', 'https': not worth naming."""
    words = key.split()
    return (
        0 < len(words) <= 4
        and not any(ch.isdigit() for ch in key)
        and normalize_key(key) not in ("http", "https", "www", "mailto")
    )


def _from_lines(text: str, as_of: dt.datetime) -> PastedOrder:
    lines = text.splitlines()
    reader = _Reader("lines", text, as_of)
    used: set[int] = set()
    for i, line in enumerate(lines):
        match = _LABEL_LINE.match(line)
        if not match:
            continue
        key = match.group("key").strip().strip("\"'")
        if key[:1] in "{[\"":
            continue  # JSON, not a label
        column = _column_of(key)
        if column is None:
            if _looks_like_label(key):
                reader.ignore(key)
            continue
        value = match.group("value")
        if not value.strip():  # "Shipped on:" with the value on the next line
            after = next((j for j in range(i + 1, min(i + 3, len(lines)))
                          if lines[j].strip()), None)
            if (after is not None and not _LABEL_LINE.match(lines[after])
                    and len(lines[after].split()) <= 5):
                value = lines[after]
                used.add(after)
        used.add(i)
        reader.offer(column, value, "label", key)
    if not used:
        reader.result.format = "text"
    _scan_text(reader, lines, used, as_of)
    return reader.finish()


def parse_record(record: Mapping[str, Any], how: str = "query",
                 as_of: dt.datetime | None = None) -> PastedOrder:
    """A mapping with canonical or alias keys (a deep link's query, a form) -> PastedOrder.

    Unlike :func:`parse_paste` it never raises: an empty mapping gives an empty record.
    """
    reader = _Reader(how, "", as_of)
    for key, value in record.items():
        column = _column_of(str(key))
        if column is None:
            reader.ignore(str(key))
            continue
        reader.offer(column, _json_scalar(value), how, str(key))
    return reader.finish()


def parse_paste(text: Any, as_of: dt.datetime | None = None) -> PastedOrder:
    """Read one pasted order (see the module's docstring). Raises only :class:`PasteError`.

    ``as_of`` (default: now, Europe/Paris) is the moment the paste is read: a day
    without a year takes the year that puts it closest before it, and of the two
    readings of a numeric date the one after it is not taken.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    # invisible and control characters never reach a field, a page or a reply draft
    text = visible(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise PasteError("empty", "Nothing was pasted.")
    if len(text) > MAX_PASTE_CHARS:
        raise PasteError(
            "too_long",
            f"The paste is too long for one order ({len(text)} characters); paste one order.",
        )
    as_of = as_of or now_paris()
    result: PastedOrder | None = None
    stripped = text.strip()
    embedded = _embedded_json(text) if "{" in text or "[" in text else None
    if embedded is not None:
        result = _from_json(embedded[0], text, as_of, embedded[1])
    elif stripped[0] == "{":
        result = _from_loose_json(stripped, as_of)
    if result is None:
        found = _csv_rows(text)
        if found is not None:
            result = _from_csv(found[1], text, as_of)
    if result is None:
        result = _from_lines(text, as_of)
    said = {f.field for f in result.found if f.how != "text" or f.why not in
            ("status_from_text", "claim_from_text")}
    if not said and not result.questions:  # a status or a claim alone is not an order
        raise PasteError(
            "nothing_usable",
            "No order field was recognised in the paste: no order number, date, tracking "
            "number or country, and no label such as 'Order id:' or 'N° de suivi :'.",
            result.problems,
        )
    return result
