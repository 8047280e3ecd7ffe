"""Tracking numbers: what a number staff paste is, and whether it can be right.

:func:`check_tracking_number` recognises a UPU S10 number (``LA123456785FR``: 2 letters,
8 digits, a check digit, the ISO code of the issuing post) and checks its check digit
and issuer; the other shapes La Poste uses (Colissimo's ``6A12345678901``) come from
``tracking_numbers.shapes`` in ``data/postal.yaml``. :func:`tracking_number_state_codes`
gives the same verdict for a whole column, read from the numbers' bytes (the only
vectorised computation of it; :func:`check_tracking_number` adds, for one number, the
expected digit and a sentence for staff).

Sources: UPU standard S10 (weights 8 6 4 2 3 5 9 7, ``11 - sum mod 11``, where 10 gives
0 and 11 gives 5). No maintained library covers this: python-stdnum 2.2 has no S10
module, and the ``tracking-numbers`` package (S10 among US carriers, last release 2022)
neither reports the expected check digit, knows Colissimo shapes, nor works on columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .countries import country_name, iso_countries
from .knowledge import KnowledgeBase, KnowledgeError, knowledge, line_of, ui_text

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "S10_PATTERN",
    "TRACKING_STATES",
    "NumberShape",
    "TrackingCheck",
    "check_tracking_number",
    "load_number_shapes",
    "normalise_tracking_number",
    "normalised_numbers",
    "number_shapes",
    "s10_check_digit",
    "tracking_number_state_codes",
    "tracking_number_states",
    "without_spaces",
]

S10_PATTERN = r"[A-Z]{2}[0-9]{9}[A-Z]{2}"
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_RESERVED_KINDS = ("s10", "unknown", "")


def _ui(key: str, lang: str, **values: Any) -> str:
    """A text of the ``postal`` section of the page wording (``data/ui/postal.yaml``)."""
    return ui_text(f"postal.{key}", lang, **values)


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
    """Spaces out, letters upper-cased: ``'la 1234 5678 5fr'`` -> ``'LA123456785FR'`` (the
    column rule, :func:`normalised_numbers`, for one number)."""
    return str(normalised_numbers([number or ""])[0].as_py())


def normalised_numbers(numbers: Any) -> Any:
    """A column of tracking numbers (Arrow, numpy or a list) without whitespace and with
    letters upper-cased, as Arrow text: how every check and link reads a number."""
    import pyarrow.compute as pc

    return pc.utf8_upper(without_spaces(numbers))


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an 8-digit serial number (:func:`_s10_expected` for
    one serial)."""
    import numpy as np

    if not re.fullmatch(r"[0-9]{8}", serial):
        raise ValueError(f"an S10 serial number is 8 digits, not {serial!r}")
    return int(_s10_expected(np.frombuffer(serial.encode("ascii"), dtype=np.uint8)[None, :])[0])


def _s10_expected(serials: np.ndarray) -> np.ndarray:
    """The S10 check digits of serial numbers given as an (n, 8) matrix of ASCII digit
    bytes: weights 8 6 4 2 3 5 9 7, ``11 - sum mod 11``, 10 gives 0 and 11 gives 5."""
    import numpy as np

    total = np.zeros(len(serials), dtype=np.int32)
    for k, weight in enumerate(S10_WEIGHTS):
        total += serials[:, k] * np.int32(weight)
    check = 11 - (total - ord("0") * sum(S10_WEIGHTS)) % 11
    return np.where(check == 10, 0, np.where(check == 11, 5, check))


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
                    "check.s10_ok", lang, country=country_name(issuer, lang), issuer=issuer
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
    """Recognise and check one tracking number (spaces removed, letters upper-cased): the
    column reader, :func:`_read_numbers`, on a one-row column, with the expected check
    digit and issuer a page shows."""
    column, codes, kinds, expected = _read_numbers([number or ""])
    n = str(column[0].as_py())
    state, kind = TRACKING_STATES[codes[0]], _kinds()[kinds[0]]
    valid = state == "ok"
    if kind == "s10":
        flag = None if valid else "tracking_number_invalid"
        return TrackingCheck(n, kind, valid, int(expected[0]), n[11:13], flag)
    return TrackingCheck(n, kind, valid, None, None,
                         "tracking_number_unrecognized" if kind == "unknown" else None)


#: the verdicts of :func:`tracking_number_state_codes`, by code
TRACKING_STATES = ("ok", "invalid", "unrecognized", "")


def tracking_number_state_codes(numbers: Any) -> np.ndarray:
    """:func:`check_tracking_number`'s verdict for a column, as int8 codes into
    :data:`TRACKING_STATES` (:func:`_read_numbers`)."""
    return _read_numbers(numbers)[1]


def _kinds() -> tuple[str, ...]:
    """The kinds :func:`_read_numbers` tells apart, by code: no number, S10, each shape of
    data/postal.yaml, unknown."""
    return ("", "s10", *(shape.kind for shape in number_shapes()), "unknown")


def _read_numbers(numbers: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The one reading of tracking numbers, over a column: the normalised numbers (Arrow),
    each row's verdict (int8 codes into :data:`TRACKING_STATES`), its kind (int8 codes
    into :func:`_kinds`) and, for S10 numbers, the expected check digit (-1 otherwise).

    The S10 shape and check digit are read from the numbers' bytes with numpy (13 ASCII
    characters: a matrix); the other shapes' regular expressions (``data/postal.yaml``)
    run in Arrow (RE2) on the numbers that are not S10; S10 comes first, so a number of
    both shapes is judged as S10.
    """
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import bools, byte_matrix, to_numpy

    column = normalised_numbers(numbers)
    n = len(column)
    kinds = _kinds()
    out = np.full(n, TRACKING_STATES.index("unrecognized"), dtype=np.int8)
    kind = np.full(n, len(kinds) - 1, dtype=np.int8)
    expected_digits = np.full(n, -1, dtype=np.int8)
    if n == 0:
        return column, out, kind, expected_digits
    s10 = to_numpy(pc.binary_length(column)) == 13
    if s10.any():
        rows = np.flatnonzero(s10)
        chars = byte_matrix(column.filter(bools(s10)), 13)
        # S10_PATTERN checked byte by byte, one column of the matrix at a time (uint8
        # arithmetic wraps: a byte below 'A' or '0' becomes large)
        shaped = np.ones(len(rows), dtype=bool)
        for k in (0, 1, 11, 12):
            shaped &= (chars[:, k] - np.uint8(ord("A"))) < 26
        for k in range(2, 11):
            shaped &= (chars[:, k] - np.uint8(ord("0"))) < 10
        s10[rows[~shaped]] = False
        chars = chars[shaped]
        expected = _s10_expected(chars[:, 2:10])
        issuer = chars[:, 11].astype(np.int32) * 256 + chars[:, 12]
        given = chars[:, 10].astype(np.int32) - ord("0")
        out[s10] = np.where((given == expected) & _issuer_table()[issuer],
                            TRACKING_STATES.index("ok"), TRACKING_STATES.index("invalid"))
        kind[s10] = kinds.index("s10")
        expected_digits[s10] = expected
    length = to_numpy(pc.binary_length(column))
    for code, shape in enumerate(number_shapes(), start=2):
        fits = (length > 0) & ~s10 & (kind == len(kinds) - 1)
        if fits.any():
            rows = np.flatnonzero(fits)
            chosen = column.filter(bools(fits))
            matched = rows[to_numpy(pc.match_substring_regex(chosen,
                                                             f"^(?:{shape.pattern})$"))]
            out[matched] = TRACKING_STATES.index("ok")
            kind[matched] = code
    out[length == 0] = TRACKING_STATES.index("")
    kind[length == 0] = 0
    return column, out, kind, expected_digits


@lru_cache(maxsize=1)
def _issuer_table() -> np.ndarray:
    """Two ASCII letters (first * 256 + second) -> is an ISO country code."""
    import numpy as np

    table = np.zeros(1 << 16, dtype=bool)
    for code in iso_countries():
        table[ord(code[0]) * 256 + ord(code[1])] = True
    return table


def tracking_number_states(numbers: Any) -> np.ndarray:
    """:func:`check_tracking_number`'s verdict for a column, vectorised.

    ``"ok"`` | ``"invalid"`` (S10 shape, wrong check digit or issuer) |
    ``"unrecognized"`` | ``""`` (no number), as a numpy array of words.
    """
    import numpy as np

    return np.array(TRACKING_STATES, dtype=object)[tracking_number_state_codes(numbers)]


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
