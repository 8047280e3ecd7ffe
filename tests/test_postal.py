"""Destination postal services (tpop_kb.postal, data/postal.yaml); tracking numbers are
tests/test_tracking.py's."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import yaml
from conftest import wording_leaves as leaves

from tpop_kb.countries import iso_countries
from tpop_kb.knowledge import KnowledgeBase, KnowledgeError, data_dir, ui_text
from tpop_kb.postal import (
    HOME_COUNTRY,
    Operator,
    destination_post,
    destination_post_url,
    destination_post_urls,
    load_operators,
    operators,
)
from tpop_kb.tracking import (
    load_number_shapes,
)

EU = (
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
REQUIRED = [c for c in EU if c != HOME_COUNTRY] + ["GB", "CH", "NO", "IS", "US", "CA", "AU"]
SAMPLE = "LA123456785FR"
# The links that were wrong or outdated before the check of 2026-12-05, as they are
# now for SAMPLE (sources: data/postal.yaml, docs/postal-links.md).
CORRECTED = {
    "BE": "https://track.bpost.cloud/btr/web/#/search?lang=fr&itemCode=LA123456785FR",
    "IT": "https://www.poste.it/cerca/index.html#/risultati-spedizioni/LA123456785FR",
    "GB": "https://www.royalmail.com/track-your-item#/tracking-results/LA123456785FR",
    "CH": "https://service.post.ch/ekp-web/ui/entry/search/LA123456785FR",
    "DE": "https://www.deutschepost.de/de/s/sendungsverfolgung/verfolgen.html"
    "?piececode=LA123456785FR",
    "ES": "https://www.correos.es/es/es/herramientas/localizador/envios/detalle"
    "?tracking-number=LA123456785FR",
    "US": "https://tools.usps.com/go/TrackConfirmAction?tLabels=LA123456785FR",
}
# PostNL's link needs the recipient's postcode, which orders do not give: its search page.
POSTNL_SEARCH = "https://jouw.postnl.nl/track-and-trace/"
CHECKED = date(2026, 12, 5)
LINKS_DOC = Path(__file__).resolve().parent.parent / "docs" / "postal-links.md"


# ---------------------------------------------------------------------------
# The operators table
# ---------------------------------------------------------------------------


def test_table_covers_the_required_countries():
    table = operators()
    assert len(table) >= 30
    assert set(REQUIRED) <= set(table)
    assert HOME_COUNTRY not in table


@pytest.mark.parametrize("code", sorted(CORRECTED))
def test_the_corrected_links(code):
    operator = operators()[code]
    assert operator.url(SAMPLE) == CORRECTED[code]
    assert destination_post_url(code, SAMPLE) == CORRECTED[code]
    assert not operator.search_only
    assert operator.confirmed and operator.checked == CHECKED


def test_postnl_is_search_only():
    postnl = operators()["NL"]
    assert postnl.search_only and postnl.url_template == POSTNL_SEARCH
    assert postnl.url(SAMPLE) == POSTNL_SEARCH  # the number is pasted on the page
    assert destination_post_url("NL", SAMPLE) == POSTNL_SEARCH
    assert postnl.confirmed


@pytest.mark.parametrize("code", sorted(load_operators()))
def test_every_link_says_where_and_when_it_was_checked(code):
    operator = operators()[code]
    assert isinstance(operator.confirmed, bool)
    assert isinstance(operator.checked, date) and operator.checked == CHECKED
    assert operator.source.strip()
    if operator.confirmed:
        # the page or repository file read: its address
        assert re.search(r"https://\S+", operator.source)
    else:
        assert operator.source.startswith("Not confirmed.")


def test_an_unconfirmed_link_carries_the_note_in_both_languages():
    unconfirmed = [o for o in operators().values() if not o.confirmed]
    assert unconfirmed  # some links could not be confirmed from a source
    for operator in unconfirmed:
        en, fr = operator.note("en"), operator.note("fr")
        assert en == ui_text("postal.destination.unconfirmed", "en", operator=operator.name)
        assert fr == ui_text("postal.destination.unconfirmed", "fr", operator=operator.name)
        assert en.startswith("Link not confirmed: if the page does not show the parcel")
        assert fr.startswith("Lien non vérifié : si la page n'affiche pas le colis")
        assert operator.name in en and operator.name in fr
    dk = operators()["DK"]
    assert not dk.confirmed
    assert dk.note("en") == (
        "Link not confirmed: if the page does not show the parcel, search for the number "
        "on PostNord Danmark's site."
    )
    assert dk.note("fr") == (
        "Lien non vérifié : si la page n'affiche pas le colis, recherchez le numéro sur "
        "le site de PostNord Danmark."
    )


def test_a_confirmed_link_has_no_note():
    for operator in operators().values():
        if operator.confirmed:
            assert operator.note("en") == "" and operator.note("fr") == ""
    made_up = Operator("BE", "bpost", "https://x.example/{n}", False, ("fr",), confirmed=False,
                       source="Not confirmed.", checked=CHECKED)
    assert "bpost" in made_up.note("fr") and made_up.note("de") == made_up.note("en")


def test_the_links_page_lists_every_link():
    page = LINKS_DOC.read_text(encoding="utf-8")
    for code, operator in operators().items():
        row = next((line for line in page.splitlines()
                    if line.startswith("|") and f"`{operator.url_template}`" in line), None)
        assert row is not None, code
        assert f"| {code} |" in row
        assert ("| yes |" if operator.confirmed else "| **no** |") in row, code
        assert operator.checked.isoformat() in row, code


@pytest.mark.parametrize("code", sorted(load_operators()))
def test_every_template(code):
    operator = operators()[code]
    assert operator.country == code and code in iso_countries()
    assert operator.name.strip()
    parts = urlsplit(operator.url_template)
    assert parts.scheme == "https" and "." in parts.netloc
    assert not re.search(r"\s", operator.url_template)
    placeholders = set(re.findall(r"\{(\w*)\}", operator.url_template))
    if operator.search_only:
        assert placeholders == set()
        assert operator.url("LA123456785FR") == operator.url_template
    else:
        assert placeholders == {"n"}
        url = operator.url("LA123456785FR")
        assert "LA123456785FR" in url and "{n}" not in url
        assert urlsplit(url).netloc == parts.netloc  # the number never changes the host
    assert operator.languages and all(re.fullmatch(r"[a-z]{2}", x) for x in operator.languages)


def test_search_only_operators_are_marked():
    search_only = {c for c, o in operators().items() if o.search_only}
    assert search_only == {"LU", "LV", "MT", "NL"}  # these sites take no number in the link
    assert search_only.isdisjoint(CORRECTED)


def test_number_is_url_encoded_and_cannot_escape_the_template():
    bpost = operators()["BE"]
    assert bpost.url("a b/c?d=1&e#f") == (
        "https://track.bpost.cloud/btr/web/#/search?lang=fr&itemCode=a%20b%2Fc%3Fd%3D1%26e%23f"
    )
    assert urlsplit(operators()["CH"].url("../../x")).path == (
        "/ekp-web/ui/entry/search/..%2F..%2Fx"
    )


def test_destination_post():
    assert destination_post("BE").name == "bpost"
    assert destination_post(" be ").name == "bpost"
    assert destination_post("DE").name == "Deutsche Post"
    for nothing in ("FR", "fr", "", None, "BR", "XX"):
        assert destination_post(nothing) is None


def test_destination_post_url():
    assert destination_post_url("DE", "LA123456785FR") == CORRECTED["DE"]
    assert destination_post_url("DE", "LA 1234 5678 5FR").endswith("=LA123456785FR")
    assert destination_post_url("PT", "6A12345678901").count("6A12345678901") == 2
    assert destination_post_url("LU", "6A12345678901") == operators()["LU"].url_template
    assert destination_post_url("FR", "LA123456785FR") == ""
    assert destination_post_url("BR", "LA123456785FR") == ""
    assert destination_post_url("BE", "") == ""
    assert destination_post_url("BE", None) == ""
    assert destination_post_url(None, "LA123456785FR") == ""


def test_vectorised_urls_match_one_by_one():
    codes = [*operators(), "FR", "", None, "BR", "be"]
    numbers = ["LA123456785FR", "", "a b/c", "6A12345678901", None, "é&?"]
    pairs = [(c, n) for c in codes for n in numbers]
    got = destination_post_urls(
        np.array([c for c, _ in pairs], dtype=object), np.array([n for _, n in pairs], dtype=object)
    )
    assert list(got) == [destination_post_url(c, n) for c, n in pairs]
    assert len(destination_post_urls(np.array([], dtype=object), np.array([], dtype=object))) == 0


# ---------------------------------------------------------------------------
# A broken table names the file and the problem
# ---------------------------------------------------------------------------


def _broken_copy(tmp_path, change):
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    path = copy / "postal.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return KnowledgeBase(copy)


def _set(code, key, value):
    def change(raw):
        raw["destination_posts"][code][key] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("BE", "url", "http://www.bpost.be/?itemId={n}"), "https://"),
        (_set("BE", "url", "https://www.bpost.be/track"), "needs {n}"),
        (_set("BE", "url", "https://www.bpost.be/?id={n}&lang={lang}"), "{lang}"),
        (_set("LU", "url", "https://www.post.lu/?id={n}"), "search_only url takes no {n}"),
        (_set("BE", "languages", []), "languages"),
        (_set("BE", "languages", ["French"]), "languages"),
        (_set("BE", "name", ""), "'name' is missing"),
        (_set("BE", "search_only", "sometimes"), "search_only must be true or false"),
        (_set("BE", "source", ""), "'source' is missing"),
        (_set("BE", "source", ["a", "list"]), "'source' is missing"),
        (lambda raw: raw["destination_posts"]["BE"].pop("source"), "'source' is missing"),
        (_set("BE", "checked", "last week"), "checked must be the date"),
        (_set("BE", "checked", "2026-13-45"), "checked must be the date"),
        (lambda raw: raw["destination_posts"]["BE"].pop("checked"), "checked must be the date"),
        (_set("BE", "confirmed", "maybe"), "confirmed must be true or false"),
        (lambda raw: raw["destination_posts"]["BE"].pop("confirmed"),
         "confirmed must be true or false"),
        (lambda raw: raw["destination_posts"].update(XX=raw["destination_posts"]["BE"]),
         "'XX' is not an ISO 3166 country code"),
        (lambda raw: raw["destination_posts"].update(FR=raw["destination_posts"]["BE"]),
         "home country"),
        (lambda raw: raw.pop("destination_posts"), "destination_posts"),
    ],
)
def test_a_broken_table_names_file_and_problem(tmp_path, change, message):
    kb = _broken_copy(tmp_path, change)
    with pytest.raises(KnowledgeError) as info:
        load_operators(kb)
    assert "postal.yaml" in str(info.value)
    assert message in str(info.value)
    if "'XX'" not in message and "home country" not in message and message != "destination_posts":
        assert re.search(r"destination_posts\.(BE|LU): ", str(info.value))  # names the operator


def test_a_quoted_checked_date_is_read_as_a_date(tmp_path):
    kb = _broken_copy(tmp_path, _set("BE", "checked", "2026-12-05"))
    assert load_operators(kb)["BE"].checked == CHECKED


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ({"pattern": "[0-9"}, "not a valid regular expression"),
        ({"pattern": "[0-9]*"}, "must not match an empty number"),
        ({"examples": ["XYZ"]}, "example XYZ does not match"),
        ({"kind": "s10"}, "'kind' must be"),
        ({"name": {"en": "only English"}}, "name needs a text in en and fr"),
    ],
)
def test_a_broken_shape_names_file_and_problem(tmp_path, shape, message):
    kb = _broken_copy(tmp_path, lambda raw: raw["tracking_numbers"]["shapes"][0].update(shape))
    with pytest.raises(KnowledgeError) as info:
        load_number_shapes(kb)
    assert "postal.yaml" in str(info.value) and message in str(info.value)


def test_the_shipped_file_still_has_the_la_poste_link(kb):
    assert kb.postal["la_poste"]["tracking_url"].startswith("https://")


def test_operator_is_a_frozen_value():
    operator = Operator("BE", "bpost", "https://x.example/{n}", False, ("fr",))
    with pytest.raises(AttributeError):
        operator.name = "other"  # type: ignore[misc]
    assert operator.url("1 2") == "https://x.example/1%202"


def test_postal_wording_exists_in_both_languages(kb):

    found = list(leaves(kb.ui["postal"], "postal"))
    assert len(found) > 20
    for where, texts in found:
        assert str(texts["en"]) and str(texts["fr"]), where
        en = set(re.findall(r"\{(\w+)\}", str(texts["en"])))
        assert en == set(re.findall(r"\{(\w+)\}", str(texts["fr"]))), where
