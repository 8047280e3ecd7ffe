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

from .knowledge import knowledge
from .orders import (
    CANONICAL_COLUMNS,
    Order,
    OrderFileError,
    _column_aliases,
    map_columns,
    normalize_key,
    order_from_record,
    parse_country,
    parse_datetime,
    parse_value,
)
from .postal import number_shapes
from .workdays import PARIS

__all__ = [
    "MAX_PASTE_CHARS",
    "Found",
    "Note",
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
CHOICE_FIELDS = ("destination_country", "tracking_status", "customer_claim",
                 "store_tracking_synced")
RECORD_DATETIME = "%Y-%m-%d %H:%M"


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
    came from (``source``, empty for free text)."""

    field: str
    value: str
    how: str
    source: str = ""


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

    @property
    def fields(self) -> list[str]:
        """The canonical fields recognised, in canonical order."""
        return [c for c in CANONICAL_COLUMNS if c in self.record]

    def order(self) -> Order:
        return order_from_record(self.record)


# ---------------------------------------------------------------------------
# Shapes: tracking numbers and dates
# ---------------------------------------------------------------------------

# UPU S10 (postal.S10_PATTERN), with the spaces La Poste prints: "LA 123 456 785 FR".
_S10 = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{2}) ?(\d{3}) ?(\d{3}) ?(\d{3}) ?([A-Za-z]{2})(?![A-Za-z0-9])"
)


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
    :func:`tpop_kb.postal.check_tracking_number` to say, not this function.
    """
    hits: list[tuple[int, str]] = [
        (match.start(), "".join(match.groups()).upper()) for match in _S10.finditer(text)
    ]
    for pattern in _shape_patterns(knowledge()):
        hits.extend((m.start(), m.group(0).upper()) for m in pattern.finditer(text))
    out: list[str] = []
    for _, number in sorted(hits):
        if number not in out:
            out.append(number)
    return out


@lru_cache(maxsize=1)
def _month_numbers() -> dict[str, int]:
    from babel import Locale

    table: dict[str, int] = {}
    for lang in ("en", "fr"):
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
    for lang in ("en", "fr"):
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
def _date_patterns() -> tuple[re.Pattern[str], ...]:
    months = _month_alternation()
    tail = rf"(?:{_TIME})?(?![\d:])"
    return (
        re.compile(rf"(?<!\d)(?P<y>\d{{4}})-(?P<mo>\d{{1,2}})-(?P<d>\d{{1,2}}){tail}", re.I),
        re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})[/.](?P<mo>\d{{1,2}})[/.](?P<y>\d{{4}}){tail}", re.I),
        re.compile(rf"(?<![\d-])(?P<d>\d{{1,2}})-(?P<mo>\d{{1,2}})-(?P<y>\d{{4}}){tail}", re.I),
        re.compile(
            rf"(?<![\w])(?P<d>\d{{1,2}})(?:er)?\.?\s+(?P<mname>{months})\.?,?\s+"
            rf"(?P<y>\d{{4}}){tail}",
            re.I,
        ),
        re.compile(
            rf"(?<![\w])(?P<mname>{months})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
            rf"(?P<y>\d{{4}}){tail}",
            re.I,
        ),
    )


@dataclass(frozen=True)
class DateHit:
    """A date found in text: where, the text, and the value (None when not a real date)."""

    start: int
    end: int
    text: str
    value: dt.datetime | None


def _hit_value(match: re.Match[str]) -> dt.datetime | None:
    groups = match.groupdict()
    try:
        year, day = int(groups["y"]), int(groups["d"])
        if groups.get("mname"):
            month = _month_numbers()[normalize_key(groups["mname"])]
        else:
            month = int(groups["mo"])
        hour = minute = second = 0
        ampm = None
        if groups.get("hour") is not None:
            hour = int(groups["hour"])
            minute = int(groups["minute"] or 0)
            second = int(groups["second"] or 0)
            ampm = groups.get("ampm")
        elif groups.get("hour12") is not None:
            hour = int(groups["hour12"])
            ampm = groups.get("ampm12")
        if ampm:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
        value = dt.datetime(year, month, day, hour, minute, second)
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    tz = (groups.get("tz") or "").strip()
    if tz:
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
        value = value.replace(tzinfo=offset).astimezone(PARIS).replace(tzinfo=None)
    return value.replace(second=0)


def find_dates(text: str) -> list[DateHit]:
    """Dates (with their time when one follows) in ``text``, in order of appearance.

    A date-shaped text that is not a real date (``31/02/2026``) is returned with
    ``value=None``. An ISO time with an offset (``Z``, ``+01:00``) is turned into
    Europe/Paris wall-clock time.
    """
    hits: list[DateHit] = []
    taken: list[tuple[int, int]] = []
    for pattern in _date_patterns():
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            hits.append(DateHit(start, end, match.group(0).strip(), _hit_value(match)))
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


def _read_value(column: str, raw: str) -> tuple[str | None, str]:
    """(value for the record or None, problem message or '') for one labelled value."""
    text = _strip_value(raw)
    if not text:
        return None, ""
    if column == "order_id":
        return text, ""
    if column == "tracking_number":
        numbers = find_tracking_numbers(text)
        if numbers:
            return numbers[0], ""
        compact = text.replace(" ", "").upper()
        if compact.isascii() and compact.isalnum() and any(ch.isdigit() for ch in compact):
            return compact, ""  # a shape the postal check will call unrecognised
        return None, f"'{text}' is not a tracking number"
    if column == "shipped_at":
        try:
            value = parse_datetime(text)
        except ValueError as exc:
            hits = [h for h in find_dates(text) if h.value is not None]
            if hits:
                return hits[0].value.strftime(RECORD_DATETIME), ""
            return text, str(exc)
        return (value.strftime(RECORD_DATETIME) if value else None), ""
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
        return None, str(exc)


class _Reader:
    """Collects found fields, problems and notes; the first readable value of a field wins."""

    def __init__(self, fmt: str) -> None:
        self.result = PastedOrder(format=fmt)
        self._failed: dict[str, tuple[str, str]] = {}

    def has(self, column: str) -> bool:
        return column in self.result.record

    def offer(self, column: str, raw: Any, how: str, source: str = "") -> bool:
        """Try one labelled value; True when it was taken."""
        if self.has(column):
            return False
        value, problem = _read_value(column, raw)
        if problem:
            self._failed.setdefault(column, (_strip_value(raw), problem))
            if column in TEXT_FIELDS and value:
                self._take(column, value, how, source)
            return False
        if value is None:
            return False
        self._take(column, value, how, source)
        self._failed.pop(column, None)
        return True

    def take(self, column: str, value: str, how: str, source: str = "") -> None:
        if not self.has(column):
            self._take(column, value, how, source)
            self._failed.pop(column, None)

    def _take(self, column: str, value: str, how: str, source: str) -> None:
        self.result.record[column] = value
        self.result.found.append(Found(column, value, how, source))

    def ignore(self, label: str) -> None:
        if label and label not in self.result.ignored:
            self.result.ignored.append(label)

    def note(self, code: str, **values: str) -> None:
        self.result.notes.append(Note(code, dict(values)))

    def finish(self) -> PastedOrder:
        result = self.result
        result.problems = [
            Problem(column, value, message)
            for column in CANONICAL_COLUMNS
            if column in self._failed
            for value, message in [self._failed[column]]
        ]
        result.found.sort(key=lambda f: CANONICAL_COLUMNS.index(f.field))
        result.record = {c: result.record[c] for c in CANONICAL_COLUMNS if c in result.record}
        return result


def _column_of(label: str) -> str | None:
    return _column_aliases().get(normalize_key(label))


# ---------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------

_SHIP_WORDS = re.compile(
    r"\b(ship|shipped|shipping date|dispatch|dispatched|sent|expedi\w*|envoy\w*|"
    r"posted|mailed|remis|depose)", re.I
)
_OTHER_DATE_WORDS = re.compile(
    r"\b(order date|ordered|placed|created|paid|payment|deliver\w*|estimated|expected|"
    r"commande le|commandee?|passee?|creee?|payee?|paiement|livr\w*|estimee?|prevue?|"
    r"distribue\w*|updated|mise? a jour|invoice|facture)", re.I
)
_DESTINATION_WORDS = re.compile(
    r"\b(destination|destinataire|ship to|shipping address|delivery address|deliver to|"
    r"country|pays|livraison|adresse de livraison|recipient)", re.I
)
_SENDER_WORDS = re.compile(
    r"\b(sender|expediteur|ship from|shipped from|return address|origin|origine|"
    r"adresse de retour)\b", re.I
)
_ORDER_ID = re.compile(
    r"\b(?:order|commande)\b\s*(?:(?:n°|no\.?|nº|number|numero|num\.?|id|ref\.?|reference)"
    r"\s*)?(?:de\s+commande\s*)?[:#]?\s*#?\s*(?P<id>[A-Za-z0-9][A-Za-z0-9_/-]{1,39})",
    re.I,
)
_TOKEN = re.compile(r"[^\s,;:()\[\]/|]+")


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


def _scan_text(reader: _Reader, lines: list[str], used: set[int]) -> None:
    """Fill what labels did not give from the free lines (``used`` lines are labelled)."""
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

    if not reader.has("shipped_at"):
        _scan_ship_date(reader, free, folded)

    if not reader.has("destination_country"):
        _scan_country(reader, free, folded)

    if not reader.has("order_id"):
        trackings = set(find_tracking_numbers(text))
        for _, line in free:
            for match in _ORDER_ID.finditer(line):
                candidate = match.group("id").strip("-/")
                if (
                    any(ch.isdigit() for ch in candidate)
                    and candidate.upper() not in trackings
                    and not find_dates(candidate)
                ):
                    reader.take("order_id", candidate, "text")
                    break
            if reader.has("order_id"):
                break


def _scan_ship_date(
    reader: _Reader, free: list[tuple[int, str]], folded: list[tuple[int, str]]
) -> None:
    ship, neutral, bad_ship = [], [], []
    for (_, line), (_, low) in zip(free, folded, strict=True):
        for hit in find_dates(line):
            if _SHIP_WORDS.search(low):
                (ship if hit.value else bad_ship).append(hit)
            elif hit.value and not _OTHER_DATE_WORDS.search(low):
                neutral.append(hit)
    if ship:
        reader.take("shipped_at", ship[0].value.strftime(RECORD_DATETIME), "text")
        return
    if bad_ship:
        reader.take("shipped_at", bad_ship[0].text, "text")
        reader._failed.setdefault(
            "shipped_at", (bad_ship[0].text, f"'{bad_ship[0].text}' is not a real date")
        )
        return
    distinct = []
    for hit in neutral:
        if hit.value not in [h.value for h in distinct]:
            distinct.append(hit)
    if len(distinct) == 1:
        reader.take("shipped_at", distinct[0].value.strftime(RECORD_DATETIME), "text")
    elif len(distinct) > 1:
        reader.note("several_dates", dates=", ".join(h.text for h in distinct))


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
        reader.take("destination_country", candidates[0], "text")
    elif len(candidates) > 1:
        reader.note("several_countries", countries=", ".join(candidates))


_BLOCK_LINES = 6


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------

_LABEL_LINE = re.compile(
    r"^\s*(?:[-*•·>]\s*)?(?P<key>[^:=\t\n]{1,60}?)\s*(?::|=|\t)\s*(?P<value>.*)$"
)


def _flatten(obj: Any, prefix: str = "") -> Iterable[tuple[str, str, Any]]:
    """(path, leaf key, value) of every scalar in nested JSON objects."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            path = f"{prefix} {key}".strip()
            if isinstance(value, Mapping):
                yield from _flatten(value, path)
            elif isinstance(value, list):
                continue
            else:
                yield path, str(key), value


def _json_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _from_json(obj: Any) -> PastedOrder:
    if isinstance(obj, list):
        rows = [r for r in obj if isinstance(r, Mapping)]
        reader = _Reader("json")
        if not rows:
            return reader.finish()
        if len(rows) > 1:
            reader.note("extra_rows", count=str(len(rows) - 1))
        obj = rows[0]
    else:
        reader = _Reader("json")
    for path, key, value in _flatten(obj):
        column = _column_of(path) or _column_of(key)
        if column is None:
            reader.ignore(path)
            continue
        reader.offer(column, _json_scalar(value), "json", path)
    return reader.finish()


_LOOSE_PAIR = re.compile(r'"([^"\n]{1,80})"\s*:\s*(?:"((?:[^"\\\n]|\\.)*)"|([^,}\]\n]*))')


def _from_loose_json(text: str) -> PastedOrder:
    """JSON that does not parse (cut short, a missing comma): its ``"key": value`` pairs."""
    reader = _Reader("json")
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
    _scan_text(reader, text.splitlines(), set())
    return reader.finish()


def _csv_rows(text: str) -> tuple[str, list[list[str]]] | None:
    """(delimiter, rows) when the first line is a header naming at least two order fields."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    header = lines[0]
    counts = {d: header.count(d) for d in ("\t", ";", ",")}
    for delimiter in sorted(counts, key=lambda d: -counts[d]):
        if not counts[delimiter]:
            continue
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        except csv.Error:
            continue
        if len(map_columns([h.strip().lstrip("\ufeff") for h in rows[0]]).columns) >= 2:
            return delimiter, rows
    return None


def _from_csv(rows: list[list[str]]) -> PastedOrder:
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    if not body:
        raise PasteError(
            "header_only",
            "The paste has a header line but no order row: copy the header and one order's row.",
        )
    reader = _Reader("csv")
    if len(body) > 1:
        reader.note("extra_rows", count=str(len(body) - 1))
    row = (body[0] + [""] * len(header))[: len(header)]
    mapping = map_columns(header)
    for column, name in mapping.columns.items():
        reader.offer(column, row[header.index(name)], "csv", name)
    for name in mapping.ignored:
        reader.ignore(name)
    return reader.finish()


def _looks_like_label(key: str) -> bool:
    """'Client', 'Total TTC': a label; '17/11/2026 à 10', 'https': not worth naming."""
    words = key.split()
    return (
        0 < len(words) <= 4
        and not any(ch.isdigit() for ch in key)
        and normalize_key(key) not in ("http", "https", "www", "mailto")
    )


def _from_lines(text: str) -> PastedOrder:
    lines = text.splitlines()
    reader = _Reader("lines")
    used: set[int] = set()
    for i, line in enumerate(lines):
        match = _LABEL_LINE.match(line)
        if not match:
            continue
        key = match.group("key").strip().strip("\"'")
        column = _column_of(key)
        if column is None:
            if _looks_like_label(key):
                reader.ignore(key)
            continue
        used.add(i)
        reader.offer(column, match.group("value"), "label", key)
    if not used:
        reader.result.format = "text"
    _scan_text(reader, lines, used)
    return reader.finish()


def parse_record(record: Mapping[str, Any], how: str = "query") -> PastedOrder:
    """A mapping with canonical or alias keys (a deep link's query, a form) -> PastedOrder.

    Unlike :func:`parse_paste` it never raises: an empty mapping gives an empty record.
    """
    reader = _Reader(how)
    for key, value in record.items():
        column = _column_of(str(key))
        if column is None:
            reader.ignore(str(key))
            continue
        reader.offer(column, _json_scalar(value), how, str(key))
    return reader.finish()


def parse_paste(text: Any) -> PastedOrder:
    """Read one pasted order (see the module's docstring). Raises only :class:`PasteError`."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise PasteError("empty", "Nothing was pasted.")
    if len(text) > MAX_PASTE_CHARS:
        raise PasteError(
            "too_long",
            f"The paste is too long for one order ({len(text)} characters); paste one order.",
        )
    result: PastedOrder | None = None
    stripped = text.strip()
    if stripped[0] in "{[":
        try:
            result = _from_json(json.loads(stripped))
        except (ValueError, RecursionError):
            if stripped[0] == "{":
                result = _from_loose_json(stripped)
    if result is None:
        found = _csv_rows(text)
        if found is not None:
            result = _from_csv(found[1])
    if result is None:
        result = _from_lines(text)
    if not result.record:
        raise PasteError(
            "nothing_usable",
            "No order field was recognised in the paste: no order number, date, tracking "
            "number or country, and no label such as 'Order id:' or 'N° de suivi :'.",
            result.problems,
        )
    return result
