"""Postal helpers: destination postal services and tracking numbers.

The article's tip: "if you are unable to track an order at destination via the
French post office's website, please enter the tracking number received on the
post office's tracking website for the country of destination (Bpost for an
order delivered in Belgium, Deutsche Post for an order delivered in Germany,
etc.)". This module turns ``data/postal.yaml`` into those links, and recognises
and checks the tracking numbers staff paste.

Destination postal services
    :func:`operators` reads the table (validated: https URLs, ``{n}`` where the
    number goes unless the operator's site is search-only, ISO 3166 codes, and
    for each link where it was confirmed, when, and whether a source shows it);
    :func:`destination_post` names one order's operator; the links are built in
    one place, :func:`destination_post_url_array`, over whole columns
    (:func:`destination_post_url` is the same for one order, :func:`destination_post_urls`
    for numpy columns). Only URLs from the table are built; the number is URL-encoded.
    :meth:`Operator.note` gives the warning a page shows beside a link no source could
    confirm.

Tracking numbers
    :func:`check_tracking_number` recognises a UPU S10 number (``LA123456785FR``:
    2 letters, 8 digits, a check digit, the ISO code of the issuing post) and
    checks its check digit; the other shapes La Poste uses (Colissimo's
    ``6A12345678901``) come from ``data/postal.yaml``. :func:`tracking_number_states`
    gives the same verdict for a whole column, vectorised.

No maintained library covers this: python-stdnum 2.2 has no S10 module, and the
``tracking-numbers`` package (S10 among US carriers, last release 2022) neither
reports the expected check digit, knows Colissimo shapes, nor works on columns.
The S10 check digit is the UPU's: weights 8 6 4 2 3 5 9 7, ``11 - sum mod 11``,
where 10 gives 0 and 11 gives 5.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .knowledge import KnowledgeBase, KnowledgeError, knowledge, line_of, ui_text

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "HOME_COUNTRY",
    "S10_PATTERN",
    "NumberShape",
    "Operator",
    "TrackingCheck",
    "check_tracking_number",
    "destination_post",
    "destination_post_url",
    "destination_post_urls",
    "iso_countries",
    "load_number_shapes",
    "load_operators",
    "normalise_tracking_number",
    "number_shapes",
    "operators",
    "s10_check_digit",
    "tracking_number_states",
    "TRACKING_STATES",
    "destination_post_url_array",
    "quote_numbers",
    "tracking_number_state_codes",
    "without_spaces",
]

HOME_COUNTRY = "FR"  # La Poste's own country: no destination post
S10_PATTERN = r"[A-Z]{2}[0-9]{9}[A-Z]{2}"
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_RESERVED_KINDS = ("s10", "unknown", "")


# ---------------------------------------------------------------------------
# Wording and countries
# ---------------------------------------------------------------------------


def _ui(key: str, lang: str, **values: Any) -> str:
    """A text of the ``postal`` section of the page wording (``data/ui/postal.yaml``)."""
    return ui_text(f"postal.{key}", lang, **values)


@lru_cache(maxsize=1)
def iso_countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 country code (from the Unicode CLDR, through Babel)."""
    from babel import Locale

    return frozenset(
        code
        for code in Locale.parse("en").territories
        if len(code) == 2 and code.isalpha() and code not in ("EU", "EZ", "UN", "ZZ", "QO")
    )


def _country_name(code: str, lang: str) -> str:
    from .orders import country_name

    return country_name(code, lang)


# ---------------------------------------------------------------------------
# Destination postal services
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    """A national postal operator and its public tracking page."""

    country: str  # ISO 3166-1 alpha-2
    name: str
    url_template: str  # https, with {n} where the number goes (unless search_only)
    search_only: bool  # the site takes no number in the link: its search page
    languages: tuple[str, ...]  # ISO 639-1 codes of the site's languages
    confirmed: bool = False  # a public source shows this url (else: the best one known)
    source: str = ""  # where the url was confirmed (page or repository file), or what was found
    checked: date | None = None  # when the url was last checked against that source

    def url(self, tracking_number: str) -> str:
        """The tracking page for a number (URL-encoded); the search page if search-only."""
        if self.search_only:
            return self.url_template
        return self.url_template.replace("{n}", quote(str(tracking_number), safe=""))

    def note(self, lang: str) -> str:
        """What a page shows beside the link: '' for a confirmed link, else the warning
        that it is not confirmed (``postal.destination.unconfirmed``), plain text."""
        if self.confirmed:
            return ""
        return _ui("destination.unconfirmed", lang, operator=self.name)


def load_operators(kb: KnowledgeBase | None = None) -> dict[str, Operator]:
    """Read and validate ``destination_posts`` of ``data/postal.yaml`` (no cache).

    Raises :class:`~tpop_kb.knowledge.KnowledgeError` naming the file, the line
    and the problem.
    """
    kb = kb or knowledge()
    path = kb.root / "postal.yaml"
    raw = kb.postal
    table = raw.get("destination_posts")
    if not isinstance(table, Mapping) or not table:
        raise KnowledgeError(
            f"{path}: 'destination_posts' must map country codes to postal operators"
        )
    countries = iso_countries()
    found: dict[str, Operator] = {}
    for key, item in table.items():
        code = str(key).strip().upper()
        where = f"{path}{line_of(path, str(key))}: destination_posts.{code}"
        if code not in countries:
            raise KnowledgeError(f"{where}: '{key}' is not an ISO 3166 country code")
        if code == HOME_COUNTRY:
            raise KnowledgeError(
                f"{where}: {HOME_COUNTRY} is the home country; its link is la_poste.tracking_url"
            )
        if code in found:
            raise KnowledgeError(f"{where}: the country is listed twice")
        if not isinstance(item, Mapping):
            raise KnowledgeError(f"{where}: needs name, url and languages")
        name = str(item.get("name") or "").strip()
        if not name:
            raise KnowledgeError(f"{where}: 'name' is missing")
        url = str(item.get("url") or "").strip()
        if not url.startswith("https://") or re.search(r"\s", url):
            raise KnowledgeError(f"{where}: url must be an https:// address without spaces")
        search_only = item.get("search_only", "no")
        if search_only not in ("yes", "no", None):
            raise KnowledgeError(f"{where}: search_only must be true or false")
        search_only = search_only == "yes"
        placeholders = set(re.findall(r"\{(\w*)\}", url))
        if placeholders - {"n"}:
            unknown = ", ".join("{" + p + "}" for p in sorted(placeholders - {"n"}))
            raise KnowledgeError(f"{where}: unknown placeholder {unknown} (only {{n}})")
        if search_only and "n" in placeholders:
            raise KnowledgeError(f"{where}: a search_only url takes no {{n}}")
        if not search_only and "n" not in placeholders:
            raise KnowledgeError(
                f"{where}: url needs {{n}} where the tracking number goes "
                "(or search_only: true when the site takes no number in the link)"
            )
        languages = item.get("languages")
        if (
            not isinstance(languages, list)
            or not languages
            or not all(re.fullmatch(r"[a-z]{2}", str(lang)) for lang in languages)
        ):
            raise KnowledgeError(
                f"{where}: languages must list the site's languages as ISO 639-1 codes "
                "(e.g. [de, en])"
            )
        source = item.get("source")
        if not isinstance(source, str) or not source.strip():
            raise KnowledgeError(
                f"{where}: 'source' is missing (where the url was confirmed: the page or "
                "repository file read, or what was found)"
            )
        checked = _checked_date(item.get("checked"))
        if checked is None:
            raise KnowledgeError(
                f"{where}: checked must be the date the url was last checked (YYYY-MM-DD)"
            )
        confirmed = item.get("confirmed")
        if confirmed not in ("yes", "no"):
            raise KnowledgeError(
                f"{where}: confirmed must be true or false (true when the source shows the url)"
            )
        found[code] = Operator(
            country=code,
            name=name,
            url_template=url,
            search_only=search_only,
            languages=tuple(str(lang) for lang in languages),
            confirmed=confirmed == "yes",
            source=source.strip(),
            checked=checked,
        )
    return found


def _checked_date(value: Any) -> date | None:
    """``checked:`` as a date: YAML reads 2026-12-05 as one; a quoted ISO date is accepted."""
    if isinstance(value, datetime):  # a date and a time: not what `checked` records
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@lru_cache(maxsize=4)
def _operators_of(kb: KnowledgeBase) -> dict[str, Operator]:
    return load_operators(kb)


def operators() -> dict[str, Operator]:
    """The destination postal operators by country code (read once, validated)."""
    return _operators_of(knowledge())


def destination_post(country: str | None) -> Operator | None:
    """The postal operator of a destination country; None for France, unknown or unlisted."""
    if not country:
        return None
    code = str(country).strip().upper()
    if code == HOME_COUNTRY:
        return None
    return operators().get(code)


def destination_post_url(country: str | None, tracking_number: str | None) -> str:
    """The destination post's tracking page for a number ('' without operator or number):
    :func:`destination_post_url_array` for one order."""
    if not country or not tracking_number:
        return ""
    return str(destination_post_url_array([country], [tracking_number])[0])


def _on_odd_values(numbers: Any, change: Callable[[Any], Any]) -> Any:
    """``change`` applied to the values that are not plain ASCII letters and digits only
    (most tracking numbers are): the regular expressions run on the few others."""
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import bools, from_numpy, to_numpy

    odd = np.flatnonzero(~to_numpy(pc.ascii_is_alnum(numbers)) & (to_numpy(
        pc.binary_length(numbers)) > 0))
    if not len(odd):
        return numbers
    mask = np.zeros(len(numbers), dtype=bool)
    mask[odd] = True
    return pc.replace_with_mask(numbers, bools(mask), change(numbers.take(from_numpy(odd))))


def without_spaces(numbers: Any) -> Any:
    """A column of tracking numbers (Arrow, numpy or a list) as Arrow text without
    whitespace (Python's idea of it; a regular expression runs only on the values that
    may hold some)."""
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import SPACE_CLASS, bools, from_numpy, texts, without_space

    numbers = texts(numbers)
    odd = np.flatnonzero(~without_space(numbers))
    if not len(odd):
        return numbers
    mask = np.zeros(len(numbers), dtype=bool)
    mask[odd] = True
    cleaned = pc.replace_substring_regex(numbers.take(from_numpy(odd)), SPACE_CLASS + "+", "")
    return pc.replace_with_mask(numbers, bools(mask), cleaned)


def quote_numbers(numbers: Any) -> Any:
    """``quote(n, safe='')`` for an Arrow column: only values that are not plain ASCII
    letters and digits go through Python's ``quote``."""
    from ._arrow import strings, texts

    return _on_odd_values(texts(numbers),
                          lambda odd: strings([quote(v, safe="") for v in odd.to_pylist()]))


def destination_post_url_array(countries: Any, numbers: Any, shown: Any = None) -> Any:
    """The destination post's tracking page for each row of whole columns (Arrow, numpy or
    lists), as Arrow text: '' without an operator for the country or without a number,
    and where the numpy mask ``shown`` is False (default: every row may have one).

    Numbers lose their whitespace and are URL-encoded; the operators are looked up once
    per distinct country, and every row's link is joined in one Arrow call from its
    operator's texts around ``{n}`` (no sort, no loop over rows).
    """
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import (
        bools,
        distinct,
        empty_strings,
        from_numpy,
        scalar,
        strings,
        texts,
        to_numpy,
    )

    numbers = without_spaces(numbers)
    n = len(numbers)
    indices, words = distinct(texts(countries))
    table = operators()
    found = [None if c is None else table.get(str(c).strip().upper()) for c in words]
    linked = np.array([op is not None for op in found], dtype=bool)[indices]
    linked &= to_numpy(pc.binary_length(numbers)) > 0
    if shown is not None:
        linked &= np.asarray(shown, dtype=bool)
    if not linked.any():
        return empty_strings(n)
    # each distinct country's link as the texts around the number (a template may hold
    # the number twice: pieces[0] n pieces[1] n pieces[2])
    pieces = [[] if op is None else [op.url_template] if op.search_only
              else op.url_template.split("{n}") for op in found]
    width = max(len(p) for p in pieces)
    row_word = from_numpy(np.where(linked, indices, len(words) - 1))  # the last: no link
    quoted = quote_numbers(numbers)
    parts = []
    for k in range(width):
        parts.append(strings([p[k] if k < len(p) else "" for p in pieces]).take(row_word))
        if k + 1 < width:  # the number, on the rows whose link has it here
            has = np.array([k + 1 < len(p) for p in pieces], dtype=bool)[indices] & linked
            parts.append(pc.if_else(bools(has), quoted, scalar("")))
    links = pc.binary_join_element_wise(*parts, scalar("")) if width > 1 else parts[0]
    return links


def destination_post_urls(countries: Any, numbers: Any) -> np.ndarray:
    """:func:`destination_post_url` for numpy columns (see :func:`destination_post_url_array`)."""
    from ._arrow import to_numpy

    return to_numpy(destination_post_url_array(countries, numbers)).astype(object)


# ---------------------------------------------------------------------------
# Tracking numbers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberShape:
    """A tracking-number shape besides UPU S10, from ``data/postal.yaml``."""

    kind: str
    pattern: str  # a regular expression the whole (normalised) number matches
    name: dict[str, str]
    examples: tuple[str, ...]


def load_number_shapes(kb: KnowledgeBase | None = None) -> tuple[NumberShape, ...]:
    """Read and validate ``tracking_numbers.shapes`` of ``data/postal.yaml`` (no cache)."""
    kb = kb or knowledge()
    path = kb.root / "postal.yaml"
    raw = (kb.postal.get("tracking_numbers") or {}).get("shapes")
    if not isinstance(raw, list) or not raw:
        raise KnowledgeError(f"{path}: 'tracking_numbers.shapes' must list number shapes")
    shapes = []
    for item in raw:
        kind = str((item or {}).get("kind") or "") if isinstance(item, Mapping) else ""
        where = f"{path}{line_of(path, 'kind: ' + kind)}: tracking number shape '{kind}'"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", kind) or kind in _RESERVED_KINDS:
            raise KnowledgeError(
                f"{where}: 'kind' must be a lower-case word other than s10 or unknown"
            )
        pattern = str(item.get("pattern") or "")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise KnowledgeError(
                f"{where}: pattern is not a valid regular expression ({exc})"
            ) from None
        if not pattern or compiled.fullmatch(""):
            raise KnowledgeError(f"{where}: pattern must not match an empty number")
        name = item.get("name")
        if not isinstance(name, Mapping) or not name.get("en") or not name.get("fr"):
            raise KnowledgeError(f"{where}: name needs a text in en and fr")
        examples = tuple(str(e) for e in item.get("examples") or ())
        for example in examples:
            if not compiled.fullmatch(example):
                raise KnowledgeError(f"{where}: example {example} does not match the pattern")
        shapes.append(
            NumberShape(kind, pattern, {"en": str(name["en"]), "fr": str(name["fr"])}, examples)
        )
    return tuple(shapes)


@lru_cache(maxsize=4)
def _shapes_of(kb: KnowledgeBase) -> tuple[NumberShape, ...]:
    return load_number_shapes(kb)


def number_shapes() -> tuple[NumberShape, ...]:
    """The tracking-number shapes besides S10 (read once, validated)."""
    return _shapes_of(knowledge())


def normalise_tracking_number(number: str | None) -> str:
    """Spaces out, letters upper-cased: ``'la 1234 5678 5fr'`` -> ``'LA123456785FR'``."""
    return re.sub(r"\s+", "", str(number or "")).upper()


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an 8-digit serial number."""
    if not re.fullmatch(r"[0-9]{8}", serial):
        raise ValueError(f"an S10 serial number is 8 digits, not {serial!r}")
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


@dataclass(frozen=True)
class TrackingCheck:
    """What :func:`check_tracking_number` found about a number."""

    number: str  # normalised: no spaces, upper case
    kind: str  # "s10" | a shape's kind ("colissimo") | "unknown" | "" (no number)
    valid: bool
    expected_check_digit: int | None  # S10 only
    issuer: str | None  # S10 only: ISO country code of the issuing post
    flag: str | None  # "tracking_number_invalid" | "tracking_number_unrecognized" | None

    @property
    def state(self) -> str:
        """``ok`` | ``invalid`` | ``unrecognized`` | ``''``, as :func:`tracking_number_states`."""
        if self.kind == "":
            return ""
        if self.valid:
            return "ok"
        return "invalid" if self.kind == "s10" else "unrecognized"

    def message(self, lang: str = "en") -> str:
        """A sentence for staff: the shape found, and which check digit is expected."""
        if self.kind == "":
            return _ui("check.empty", lang)
        if self.kind == "s10":
            issuer = self.issuer or ""
            if self.valid:
                return _ui(
                    "check.s10_ok", lang, country=_country_name(issuer, lang), issuer=issuer
                )
            given = self.number[10]
            if int(given) != self.expected_check_digit:
                parts = [
                    _ui(
                        "check.s10_bad_digit",
                        lang,
                        given=given,
                        expected=self.expected_check_digit,
                    )
                ]
            else:
                parts = [_ui("check.s10_shape", lang)]
            if issuer not in iso_countries():
                parts.append(_ui("check.s10_bad_issuer", lang, issuer=issuer))
            parts.append(_ui("check.copy_again", lang))
            return " ".join(parts)
        if self.kind == "unknown":
            return _ui("check.unrecognized", lang) + " " + _ui("check.copy_again", lang)
        for shape in number_shapes():
            if shape.kind == self.kind:
                return _ui("check.shape_ok", lang, shape=shape.name.get(lang, shape.name["en"]))
        return _ui("check.shape_ok", lang, shape=self.kind)


def check_tracking_number(number: str | None) -> TrackingCheck:
    """Recognise and check one tracking number (spaces removed, letters upper-cased)."""
    n = normalise_tracking_number(number)
    if not n:
        return TrackingCheck(n, "", False, None, None, None)
    if re.fullmatch(S10_PATTERN, n):
        expected = s10_check_digit(n[2:10])
        issuer = n[11:13]
        valid = int(n[10]) == expected and issuer in iso_countries()
        return TrackingCheck(
            n, "s10", valid, expected, issuer, None if valid else "tracking_number_invalid"
        )
    for shape in number_shapes():
        if re.fullmatch(shape.pattern, n):
            return TrackingCheck(n, shape.kind, True, None, None, None)
    return TrackingCheck(n, "unknown", False, None, None, "tracking_number_unrecognized")


#: the verdicts of :func:`tracking_number_state_codes`, by code
TRACKING_STATES = ("ok", "invalid", "unrecognized", "")


def tracking_number_state_codes(numbers: Any) -> np.ndarray:
    """:func:`check_tracking_number`'s verdict for an Arrow column, as int8 codes into
    :data:`TRACKING_STATES`.

    The S10 shape and check digit are read from the numbers' bytes with numpy (13 ASCII
    characters: a matrix); the other shapes' regular expressions (``data/postal.yaml``)
    run in Arrow (RE2) on the numbers that are not S10.
    """
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import bools, to_numpy

    column = pc.utf8_upper(without_spaces(numbers))
    n = len(column)
    out = np.full(n, TRACKING_STATES.index("unrecognized"), dtype=np.int8)
    if n == 0:
        return out
    s10 = to_numpy(pc.binary_length(column)) == 13
    if s10.any():
        rows = np.flatnonzero(s10)
        chars = _byte_matrix(column.filter(bools(s10)), 13)
        letter = (chars >= ord("A")) & (chars <= ord("Z"))
        digit = (chars >= ord("0")) & (chars <= ord("9"))
        shaped = letter[:, :2].all(1) & digit[:, 2:11].all(1) & letter[:, 11:].all(1)
        s10[rows[~shaped]] = False  # S10_PATTERN, checked byte by byte
        chars = chars[shaped]
        digits = chars[:, 2:11].astype(np.int64) - ord("0")
        check = 11 - (digits[:, :8] @ np.array(S10_WEIGHTS, dtype=np.int64)) % 11
        expected = np.where(check == 10, 0, np.where(check == 11, 5, check))
        issuer = chars[:, 11].astype(np.int64) * 256 + chars[:, 12]
        issuer_ok = _issuer_table()[issuer]
        out[s10] = np.where((digits[:, 8] == expected) & issuer_ok,
                            TRACKING_STATES.index("ok"), TRACKING_STATES.index("invalid"))
    length = to_numpy(pc.utf8_length(column))
    for shape in number_shapes():  # S10 comes first: a number of both shapes is judged S10
        fits = (length > 0) & ~s10
        if fits.any():
            rows = np.flatnonzero(fits)
            chosen = column.filter(bools(fits))
            matched = to_numpy(pc.match_substring_regex(chosen, f"^(?:{shape.pattern})$"))
            out[rows[matched]] = TRACKING_STATES.index("ok")
    out[length == 0] = TRACKING_STATES.index("")
    return out


@lru_cache(maxsize=1)
def _issuer_table() -> np.ndarray:
    """Two ASCII letters (first * 256 + second) -> is an ISO country code."""
    import numpy as np

    table = np.zeros(1 << 16, dtype=bool)
    for code in iso_countries():
        table[ord(code[0]) * 256 + ord(code[1])] = True
    return table


def _byte_matrix(texts: Any, width: int) -> np.ndarray:
    """The bytes of strings that are all ``width`` bytes long, as an (n, width) uint8 matrix."""
    import numpy as np

    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32)
    offsets = offsets[texts.offset : texts.offset + len(texts) + 1]
    if not len(texts):
        return np.zeros((0, width), dtype=np.uint8)
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(len(texts), width)


def tracking_number_states(numbers: Any) -> np.ndarray:
    """:func:`check_tracking_number`'s verdict for a column, vectorised.

    ``"ok"`` | ``"invalid"`` (S10 shape, wrong check digit or issuer) |
    ``"unrecognized"`` | ``""`` (no number), as a numpy array of words.
    """
    import numpy as np

    return np.array(TRACKING_STATES, dtype=object)[tracking_number_state_codes(numbers)]
