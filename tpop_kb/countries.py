"""Countries: ISO 3166-1 alpha-2 codes, their everyday names and the names staff write.

The article sends staff to "the post office's tracking website for the country of
destination"; every module that needs a country (the order reader, the paste reader,
the destination links, the pages, the replies) reads it here.

Sources: the Unicode CLDR's territory names in English and French (through Babel);
the aliases of ``countries:`` in ``data/columns.yaml`` (e.g. "UK", "Hollande"), which a
non-programmer may extend. CLDR also lists territories that are no country: groupings
(EU, EZ, UN, QO), the unknown region (ZZ) and the pseudo-locales' test regions (XA
"Pseudo-Accents", XB "Pseudo-Bidi"); they are left out everywhere.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .knowledge import LANGUAGES, knowledge
from .messages import message
from .text import clean, normalize_key, shorten

__all__ = ["NOT_COUNTRIES", "country_codes", "country_name", "iso_countries", "parse_country"]

#: CLDR territory codes of two letters that are no country (see the module's docstring)
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})


@lru_cache(maxsize=1)
def iso_countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 country code (from the Unicode CLDR, through Babel)."""
    from babel import Locale

    return frozenset(
        code
        for code in Locale.parse("en").territories
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    )


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Normalised name or code -> ISO code, from CLDR (en, fr) and data/columns.yaml."""
    from babel import Locale

    codes = iso_countries()
    table: dict[str, str] = {}
    for lang in LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if code in codes:
                table.setdefault(normalize_key(name), code)
                table.setdefault(normalize_key(code), code)
    for code, aliases in (knowledge().columns.get("countries") or {}).items():
        for alias in aliases:
            table[normalize_key(alias)] = str(code)
    return table


def country_name(code: str, lang: str = "en") -> str:
    """The everyday name of a country (CLDR), e.g. ``country_name('BE', 'fr') == 'Belgique'``;
    an unknown code is given back as it is."""
    from babel import Locale

    return Locale.parse(lang).territories.get(code, code)


def country_codes() -> list[str]:
    """Every country code the readers know, sorted (countries only)."""
    return sorted(set(_names().values()))


def parse_country(text: Any) -> str | None:
    """An ISO code or an English/French country name (or an alias of data/columns.yaml)
    -> ISO alpha-2; '' -> None. Raises ValueError naming the value otherwise."""
    value = clean(text)
    if not value:
        return None
    code = _names().get(normalize_key(value))
    if code is None:
        raise ValueError(message("orders.unknown_country", value=shorten(value)))
    return code
