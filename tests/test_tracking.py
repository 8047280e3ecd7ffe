"""Tracking numbers (tpop_kb.tracking): UPU S10 check digits and issuers, the other shapes
of data/postal.yaml, and the column verdicts held equal to the one-number check."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpop_kb.countries import iso_countries
from tpop_kb.knowledge import ui_text
from tpop_kb.tracking import (
    check_tracking_number,
    number_shapes,
    s10_check_digit,
    tracking_number_states,
)

# ---------------------------------------------------------------------------
# Tracking numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serial", "digit"),
    [
        ("12345678", 5),
        ("00071758", 1),
        ("96633102", 0),  # 11 - sum mod 11 == 10 -> 0
        ("00000000", 5),  # == 11 -> 5
        ("76129403", 8),
        ("47110815", 1),
    ],
)
def test_s10_check_digit(serial, digit):
    assert s10_check_digit(serial) == digit


def test_s10_check_digit_wants_eight_digits():
    with pytest.raises(ValueError):
        s10_check_digit("1234567")


@pytest.mark.parametrize(
    "number",
    [
        "LA123456785FR",  # the example
        "EE471108151FR",  # a published S10 barcode example
        "EB000717595HK",
        "EB000717618HK",
        "CB662173705US",  # La Poste's API documentation
        "RR000000005GB",
        "la 1234 5678 5 fr",  # as typed: spaces out, upper-cased
    ],
)
def test_valid_s10_numbers(number):
    check = check_tracking_number(number)
    assert (check.kind, check.valid, check.flag, check.state) == ("s10", True, None, "ok")
    assert check.number == re.sub(r"\s", "", number).upper()
    assert check.issuer == check.number[-2:]
    assert check.expected_check_digit == int(check.number[10])


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("LA123456784FR", 5),
        ("EB000717594HK", 5),
        ("EB000717535HK", 3),
        ("CB662173700US", 5),
    ],
)
def test_s10_with_a_wrong_check_digit(number, expected):
    check = check_tracking_number(number)
    assert (check.kind, check.valid, check.flag) == ("s10", False, "tracking_number_invalid")
    assert check.expected_check_digit == expected
    assert f"should be {expected}" in check.message("en")
    assert f"au lieu de {expected}" in check.message("fr")
    assert f"is {number[10]}" in check.message("en")


def test_s10_with_an_issuer_that_is_no_country():
    check = check_tracking_number("LA123456785XX")
    assert check.state == "invalid" and check.flag == "tracking_number_invalid"
    assert "XX" in check.message("en") and "should be" not in check.message("en")


@pytest.mark.parametrize("number", ["6A12345678901", "8R00000000001", "A612345678901",
                                    "1B34567890123", " 6a 1234 5678 901 "])
def test_colissimo_numbers(number):
    check = check_tracking_number(number)
    assert (check.kind, check.valid, check.flag, check.state) == ("colissimo", True, None, "ok")
    assert "Colissimo" in check.message("en") and "Colissimo" in check.message("fr")


@pytest.mark.parametrize(
    "number",
    [
        "1234567890123",  # all digits: no letter in the pair
        "AB12345678901",  # two letters, then digits: S10 has letters at the end
        "6A1234567890",  # 12 characters
        "6A123456789012",  # 14
        "LA12345678FR",  # S10 without its check digit
        "ORDER-1234",
        "a b/c",
    ],
)
def test_unrecognised_numbers(number):
    check = check_tracking_number(number)
    assert (check.kind, check.valid, check.flag, check.state) == (
        "unknown",
        False,
        "tracking_number_unrecognized",
        "unrecognized",
    )
    assert "LA123456785FR" in check.message("en")  # shows what a number looks like
    assert check.message("fr") != check.message("en")


@pytest.mark.parametrize("number", ["", "   ", None])
def test_no_number(number):
    check = check_tracking_number(number)
    assert (check.kind, check.valid, check.flag, check.state) == ("", False, None, "")
    assert check.message("fr") == ui_text("postal.check.empty", "fr")


def test_every_shape_example_is_recognised_as_its_kind():
    for shape in number_shapes():
        for example in shape.examples:
            assert check_tracking_number(example).kind == shape.kind


def test_valid_message_names_the_issuing_country():
    assert "United Kingdom" in check_tracking_number("RR000000005GB").message("en")
    assert "Royaume-Uni" in check_tracking_number("RR000000005GB").message("fr")


# ---------------------------------------------------------------------------
# The vectorised check agrees with the single one
# ---------------------------------------------------------------------------


@st.composite
def s10_numbers(draw):
    serial = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    digit = draw(st.one_of(st.just(s10_check_digit(serial)), st.integers(0, 9)))
    prefix = draw(st.text(alphabet="ABCLRVEZ", min_size=2, max_size=2))
    issuer = draw(st.sampled_from(["FR", "GB", "US", "XX", "ZZ", "BE", "QO"]))
    number = f"{prefix}{serial}{digit}{issuer}"
    if draw(st.booleans()):
        number = number.lower()
    if draw(st.booleans()):
        number = number[:2] + " " + number[2:]
    return number


NUMBERS = st.one_of(
    s10_numbers(),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZab /-", max_size=16),
    st.from_regex(r"[0-9A-Z]{2}[0-9]{9,12}", fullmatch=True),
    st.sampled_from(["", " ", "6A12345678901", "ß" * 3, "\u00a0LA123456785FR"]),
)


def _plain_reading(number: str) -> tuple[str, str, int | None]:
    """The UPU S10 rule and data/postal.yaml's shapes read the plain way, one number at a
    time, as a reference for the column reader: (state, kind, expected digit)."""
    n = "".join(number.split()).upper()
    if not n:
        return "", "", None
    if re.fullmatch(r"[A-Z]{2}[0-9]{9}[A-Z]{2}", n):
        check = 11 - sum(int(d) * w for d, w in zip(n[2:10], (8, 6, 4, 2, 3, 5, 9, 7),
                                                        strict=True)) % 11
        expected = {10: 0, 11: 5}.get(check, check)
        ok = int(n[10]) == expected and n[11:] in iso_countries()
        return ("ok" if ok else "invalid"), "s10", expected
    for shape in number_shapes():
        if re.fullmatch(shape.pattern, n):
            return "ok", shape.kind, None
    return "unrecognized", "unknown", None


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBERS, max_size=30))
def test_the_column_and_one_number_agree_with_a_plain_reading(numbers):
    states = tracking_number_states(np.array(numbers, dtype=object))
    plain = [_plain_reading(n) for n in numbers]
    assert list(states) == [state for state, _, _ in plain]
    for number, (state, kind, expected) in zip(numbers, plain, strict=True):
        check = check_tracking_number(number)
        assert (check.state, check.kind, check.expected_check_digit) == (state, kind, expected)


def test_states_of_edge_columns():
    assert list(tracking_number_states(np.array([], dtype=object))) == []
    assert list(tracking_number_states(np.array([None, "", "LA123456785FR"], dtype=object))) == [
        "",
        "",
        "ok",
    ]
