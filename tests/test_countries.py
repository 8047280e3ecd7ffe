"""Countries (tpop_kb/countries.py): ISO codes, CLDR names in English and French, the
aliases of data/columns.yaml, and CLDR's non-countries left out."""

from __future__ import annotations

import pytest

from tpop_kb.countries import (
    NOT_COUNTRIES,
    country_codes,
    country_name,
    iso_countries,
    parse_country,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [("BE", "BE"), ("be", "BE"), ("Belgium", "BE"), ("Belgique", "BE"), ("Allemagne", "DE"),
     ("Germany", "DE"), ("Pays-Bas", "NL"), ("Royaume-Uni", "GB"), ("États-Unis", "US"),
     ("Etats-Unis", "US"), ("United States", "US"), ("UK", "GB"), ("Suisse", "CH"),
     ("france", "FR"), ("Espagne", "ES")],
)
def test_countries(text, code):
    assert parse_country(text) == code


def test_unknown_country():
    with pytest.raises(ValueError, match="not a known country"):
        parse_country("Atlantis")


@pytest.mark.parametrize("text", ["XA", "Pseudo-Accents", "XB", "Pseudo-Bidi", "EU", "ZZ",
                                  "Nations Unies", "Région inconnue"])
def test_what_is_no_country_is_not_read_as_one(text):
    with pytest.raises(ValueError, match="not a known country"):
        parse_country(text)


def test_codes_are_countries_only():
    codes = country_codes()
    assert set(codes) == iso_countries()
    assert not NOT_COUNTRIES & set(codes)
    assert len(codes) > 240 and {"FR", "BE", "DE", "GB", "US", "JP", "HK"} <= set(codes)
    assert codes == sorted(codes)


@pytest.mark.parametrize(("code", "lang", "name"), [
    ("BE", "fr", "Belgique"), ("BE", "en", "Belgium"), ("DE", "fr", "Allemagne"),
    ("GB", "en", "United Kingdom"), ("GB", "fr", "Royaume-Uni"),
])
def test_names(code, lang, name):
    assert country_name(code, lang) == name


def test_an_unknown_code_is_shown_as_given():
    assert country_name("QQ", "fr") == "QQ"


@pytest.mark.parametrize("text", ["", "   ", None])
def test_no_country(text):
    assert parse_country(text) is None
