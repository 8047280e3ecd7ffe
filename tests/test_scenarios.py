"""The training scenarios: each one run through the engine, and what they cover together."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest

from tpop_kb import OUTCOMES
from tpop_kb.knowledge import KnowledgeBase, data_dir
from tpop_kb.scenarios import (
    BOUNDARY_MARGIN,
    ScenarioError,
    check,
    coverage,
    load_scenarios,
    run,
    scenario_file,
    scenarios,
)
from tpop_kb.workdays import french_holidays

CASES = scenarios()


def test_the_library_is_large_enough():
    assert len(CASES) >= 30
    assert scenario_file().name == "scenarios.yaml"


@pytest.mark.parametrize("scenario", list(CASES.values()), ids=list(CASES))
def test_every_scenario_gives_its_expected_outcome_and_flags(scenario, tree, kb):
    decision = run(scenario)
    assert decision.code == scenario.outcome, scenario.id
    assert decision.flags == scenario.flags, scenario.id
    assert scenario.passage in decision.passages, scenario.id
    assert set(scenario.flags) <= set(tree.flags), f"{scenario.id}: flag unknown to tree.yaml"
    assert check(scenario, decision=decision) == []


@pytest.mark.parametrize("scenario", list(CASES.values()), ids=list(CASES))
def test_every_scenario_reads_well_in_both_languages(scenario, tree):
    for lang in ("en", "fr"):
        assert len(scenario.title[lang]) <= 60, scenario.id
        assert len(scenario.story[lang]) >= 40, scenario.id
        if scenario.lesson:
            filled = tree.fill(scenario.lesson[lang])
            assert "{" not in filled, f"{scenario.id}: unfilled placeholder in lesson"
    assert scenario.story["en"] != scenario.story["fr"]
    # The order is written as an export holds it: known columns only (tested by the loader),
    # with an order id and a ship date column, even when empty.
    assert {"order_id", "shipped_at"} <= set(scenario.order), scenario.id


def test_together_they_cover_every_outcome_flag_and_answer(tree):
    found = coverage()
    assert found.missing == {"outcomes": [], "flags": [], "answers": [], "boundaries": []}
    assert set(OUTCOMES) <= {code for code, ids in found.outcomes.items() if ids}
    # Every flag in tree.yaml at test time, including ones added after this file.
    assert set(tree.flags) == {flag for flag, ids in found.flags.items() if ids}
    assert found.complete


def test_both_sides_of_the_activation_window(tree):
    found = coverage()
    for name, answer in (("activation_inside", "yes"), ("activation_outside", "no")):
        assert found.boundaries[name], name
        for sid in found.boundaries[name]:
            decision = run(CASES[sid])
            assert abs(decision.as_of - decision.activation_deadline) <= BOUNDARY_MARGIN
            step = next(s for s in decision.path if s.node.fact == "within_activation_window")
            assert step.answer == answer


def test_both_sides_of_the_contact_threshold(tree):
    limit = tree.thresholds["contact_after_days"]
    found = coverage()
    last = [run(CASES[sid]) for sid in found.boundaries["contact_last_day"]]
    first = [run(CASES[sid]) for sid in found.boundaries["contact_first_day"]]
    assert last and first
    assert all(d.days_since_shipped == limit and d.code != "contact_tpop" for d in last)
    assert all(d.days_since_shipped == limit + 1 and d.code == "contact_tpop" for d in first)


def test_a_weekend_and_a_french_public_holiday_are_exercised():
    found = coverage()
    assert found.boundaries["weekend"] and found.boundaries["holiday"]
    holiday_cases = [run(CASES[sid]) for sid in found.boundaries["holiday"]]
    for decision in holiday_cases:
        start, end = decision.order.shipped_at.date(), decision.activation_deadline.date()
        days = {start + dt.timedelta(days=i) for i in range((end - start).days + 1)}
        assert days & set(french_holidays(start.year, end.year))
    # One of them is decided by the holiday itself: without it the window would have closed.
    assert any(
        d.code == "wait_for_activation" and d.as_of - d.order.shipped_at > dt.timedelta(days=2)
        for d in holiday_cases
    )


def test_check_reports_a_wrong_expectation():
    case = CASES["ghent-day-3-silent"]
    wrong = dataclasses.replace(
        case, outcome="contact_tpop", flags=("no_such_flag",), passage="no-reshipment"
    )
    problems = check(wrong)
    assert any("outcome is 'check_destination_post'" in p for p in problems)
    assert any("no_such_flag" in p and "tree.yaml does not define" in p for p in problems)
    assert any("no-reshipment" in p for p in problems)


def test_scenarios_follow_the_data_not_the_code(tmp_path):
    """A scenario's answer comes from tree.yaml: change a threshold, the engine follows."""
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    tree_file = copy / "knowledge" / "postal-tracking" / "tree.yaml"
    text = tree_file.read_text(encoding="utf-8")
    limit = KnowledgeBase(copy).tree.thresholds["contact_after_days"]
    tree_file.write_text(
        text.replace(f"contact_after_days: {limit}", f"contact_after_days: {limit + 5}"),
        encoding="utf-8",
    )
    kb = KnowledgeBase(copy)
    case = load_scenarios(kb=kb)["madrid-silent-day-22"]
    assert run(case).code == "contact_tpop"
    assert run(case, kb).code == "check_destination_post"
    assert any("outcome is 'check_destination_post'" in p for p in check(case, kb))


GOOD = """
scenarios:
  - id: tiny-case
    title: {en: A case, fr: Un cas}
    story: {en: A customer writes about an order., fr: Un client écrit au sujet d'une commande.}
    as_of: "2026-11-26 10:00"
    order: {order_id: TP-1, shipped_at: "", destination_country: France}
    expect: {outcome: not_shipped, flags: [], passage: find-tracking-number}
"""


def _write(tmp_path, text):
    path = tmp_path / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path):
    loaded = load_scenarios(_write(tmp_path, GOOD))
    case = loaded["tiny-case"]
    assert case.as_of == dt.datetime(2026, 11, 26, 10, 0)
    assert case.lesson == {}
    assert run(case).code == "not_shipped"


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("outcome: not_shipped", "outcome: lost_forever", "'lost_forever' is not an outcome"),
        ("passage: find-tracking-number", "passage: nope", "passage 'nope' is not a passage"),
        ("destination_country: France", "colour: blue", "'colour' are not order columns"),
        ('as_of: "2026-11-26 10:00"', 'as_of: "someday"', "as_of: 'someday' is not a date"),
        ("fr: Un client écrit au sujet d'une commande.", "de: Ein Kunde", "'story' needs a text"),
        ("id: tiny-case", "id: Tiny Case", "needs an 'id' of lowercase words"),
        ("    expect:", "    expected:", "missing expect"),
    ],
)
def test_a_broken_file_names_the_file_the_line_and_the_problem(tmp_path, old, new, message):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ScenarioError) as info:
        load_scenarios(path)
    text = str(info.value)
    assert str(path) in text
    assert message in text


def test_a_repeated_id_is_refused_with_its_line(tmp_path):
    body = GOOD.split("scenarios:\n", 1)[1]
    path = _write(tmp_path, GOOD + body)
    with pytest.raises(ScenarioError, match=r"line 3: scenario id 'tiny-case' is repeated"):
        load_scenarios(path)


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="expected 'scenarios:'"):
        load_scenarios(_write(tmp_path, "scenarios: []\n"))
