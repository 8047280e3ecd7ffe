"""Destination postal services: the links to the destination country's tracking site.

The article's tip: "if you are unable to track an order at destination via the
French post office's website, please enter the tracking number received on the
post office's tracking website for the country of destination (Bpost for an
order delivered in Belgium, Deutsche Post for an order delivered in Germany,
etc.)". This module turns ``destination_posts`` of ``data/postal.yaml`` into those links.

:func:`operators` reads the table (validated: https URLs, ``{n}`` where the number goes
unless the operator's site is search-only, ISO 3166 codes, and for each link where it
was confirmed, when, and whether a source shows it); :func:`destination_post` names one
order's operator; the links are built in one place, :func:`destination_post_url_array`,
over whole columns (:func:`destination_post_url` is the same for one order,
:func:`destination_post_urls` for numpy columns). Only URLs from the table are built;
the number is URL-encoded. :meth:`Operator.note` gives the warning a page shows beside a
link no source could confirm.

Tracking numbers (shapes, S10 check digits) are read in :mod:`tpop_kb.tracking`,
countries in :mod:`tpop_kb.countries`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .countries import iso_countries
from .knowledge import KnowledgeBase, KnowledgeError, knowledge, line_of, ui_text
from .tracking import without_spaces

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "HOME_COUNTRY",
    "Operator",
    "destination_post",
    "destination_post_url",
    "destination_post_urls",
    "load_operators",
    "operators",
    "destination_post_url_array",
    "quote_numbers",
]

HOME_COUNTRY = "FR"  # La Poste's own country: no destination post


# ---------------------------------------------------------------------------
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
        return ui_text("postal.destination.unconfirmed", lang, operator=self.name)


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
