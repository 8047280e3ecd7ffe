"""Training scenarios: realistic customer cases, checked by running the triage engine.

The scenarios live in ``data/scenarios.yaml`` (see the comment at its top): a
story in English and French, the order's facts as raw export fields, the
moment the agent reads the message, and what the article says to do (outcome,
flags, deciding passage). Nothing here knows a rule: :func:`run` builds the
order with :func:`~tpop_kb.orders.order_from_record` and walks the tree with
:func:`~tpop_kb.triage.triage_order`; :func:`check` compares the result with
the scenario's expectation; :func:`coverage` says which outcomes, flags,
answers and time limits a set of scenarios exercises.

    >>> from tpop_kb.scenarios import scenarios, run
    >>> case = scenarios()["ghent-day-3-silent"]
    >>> run(case).code
    'check_destination_post'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .knowledge import LANGUAGES, KnowledgeBase, KnowledgeError, knowledge, load_yaml
from .orders import Order, map_columns, order_from_record, parse_as_of
from .triage import Decision, triage_order
from .workdays import french_holidays

__all__ = [
    "BOUNDARY_MARGIN",
    "Coverage",
    "Scenario",
    "ScenarioError",
    "check",
    "coverage",
    "load_scenarios",
    "run",
    "scenario_file",
    "scenarios",
]

SCENARIO_FILE = "scenarios.yaml"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

#: How close to a time limit a scenario must be to count as testing that limit.
BOUNDARY_MARGIN = dt.timedelta(hours=1)


class ScenarioError(KnowledgeError):
    """``data/scenarios.yaml`` is malformed; the message names the file, the line and the case."""


@dataclass(frozen=True)
class Scenario:
    """One training case. ``order`` holds the export's raw fields, as written in the file."""

    id: str
    title: dict[str, str]
    story: dict[str, str]
    as_of: dt.datetime
    order: dict[str, str]
    outcome: str
    flags: tuple[str, ...]
    passage: str
    lesson: dict[str, str] = field(default_factory=dict)

    def to_order(self) -> Order:
        """The canonical order, read the way a pasted record is read."""
        return order_from_record(self.order)


def scenario_file(kb: KnowledgeBase | None = None) -> Path:
    """Where the scenarios of a knowledge base live: ``<data>/scenarios.yaml``."""
    return (kb or knowledge()).root / SCENARIO_FILE


# ---------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------


def _line(path: Path, scenario_id: str) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    pattern = re.compile(rf"^\s*-\s*id:\s*['\"]?{re.escape(scenario_id)}['\"]?\s*$")
    for number, line in enumerate(lines, 1):
        if pattern.match(line):
            return f", line {number}"
    return ""


def _texts(raw: Any, where: str, required: bool = True) -> dict[str, str]:
    if raw is None and not required:
        return {}
    if not isinstance(raw, Mapping) or any(not str(raw.get(lang) or "").strip()
                                           for lang in LANGUAGES):
        raise ValueError(f"'{where}' needs a text in each of {', '.join(LANGUAGES)}")
    return {lang: " ".join(str(raw[lang]).split()) for lang in LANGUAGES}


def _parse_one(item: Any, kb: KnowledgeBase) -> Scenario:
    if not isinstance(item, Mapping):
        raise ValueError("each scenario is a mapping with id, title, story, as_of, order, expect")
    missing = [k for k in ("title", "story", "as_of", "order", "expect") if k not in item]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    try:
        as_of = parse_as_of(item["as_of"])
    except ValueError as exc:
        raise ValueError(f"as_of: {exc}") from None
    if as_of is None:
        raise ValueError("as_of is empty")

    raw_order = item["order"]
    if not isinstance(raw_order, Mapping) or not raw_order:
        raise ValueError("'order' needs the order's fields (order_id, shipped_at, ...)")
    order = {str(k): "" if v is None else str(v) for k, v in raw_order.items()}
    mapping = map_columns(order)
    if mapping.ignored:
        raise ValueError(
            f"order field(s) {', '.join(repr(k) for k in mapping.ignored)} are not order columns "
            "or repeat one (see data/columns.yaml)"
        )

    expect = item["expect"]
    if not isinstance(expect, Mapping) or not expect.get("outcome") or not expect.get("passage"):
        raise ValueError("'expect' needs an outcome and a passage")
    tree = kb.tree
    outcome = str(expect["outcome"])
    if outcome not in tree.outcomes:
        raise ValueError(
            f"expected outcome '{outcome}' is not an outcome of tree.yaml "
            f"({', '.join(tree.outcomes)})"
        )
    passage = str(expect["passage"])
    if passage not in kb.article.passages:
        raise ValueError(f"passage '{passage}' is not a passage id of article.yaml")
    flags = expect.get("flags") or []
    if not isinstance(flags, list):
        raise ValueError("'expect.flags' is a list of flag ids ([] for none)")

    return Scenario(
        id=str(item["id"]),
        title=_texts(item["title"], "title"),
        story=_texts(item["story"], "story"),
        as_of=as_of,
        order=order,
        outcome=outcome,
        flags=tuple(sorted(str(f) for f in flags)),
        passage=passage,
        lesson=_texts(item.get("lesson"), "lesson", required=False),
    )


def load_scenarios(
    path: Path | str | None = None, kb: KnowledgeBase | None = None
) -> dict[str, Scenario]:
    """Read and validate a scenario file (default: the knowledge base's ``scenarios.yaml``).

    Raises :class:`ScenarioError` naming the file, the line and the problem.
    Expected flags are not checked against tree.yaml here: :func:`check` reports them.
    """
    kb = kb or knowledge()
    path = Path(path) if path is not None else scenario_file(kb)
    raw = load_yaml(path)
    items = raw.get("scenarios") if isinstance(raw, Mapping) else None
    if not isinstance(items, list) or not items:
        raise ScenarioError(f"{path}: expected 'scenarios:' followed by a list of cases")
    found: dict[str, Scenario] = {}
    for number, item in enumerate(items, 1):
        sid = str(item.get("id") or "") if isinstance(item, Mapping) else ""
        if not _ID.match(sid):
            raise ScenarioError(
                f"{path}: scenario {number} needs an 'id' of lowercase words joined by dashes "
                f"(got {sid!r})"
            )
        if sid in found:
            raise ScenarioError(f"{path}{_line(path, sid)}: scenario id '{sid}' is repeated")
        try:
            found[sid] = _parse_one(item, kb)
        except ValueError as exc:
            raise ScenarioError(f"{path}{_line(path, sid)}: scenario '{sid}': {exc}") from None
    return found


@lru_cache(maxsize=1)
def _shipped_scenarios() -> dict[str, Scenario]:
    return load_scenarios()


def scenarios() -> dict[str, Scenario]:
    """The shipped scenarios, read on first use (``data/scenarios.yaml``), by id, in file order."""
    return _shipped_scenarios()


# ---------------------------------------------------------------------------
# Running and checking
# ---------------------------------------------------------------------------


def run(scenario: Scenario, kb: KnowledgeBase | None = None) -> Decision:
    """The engine's decision for the scenario's order at its as-of moment."""
    tree = (kb or knowledge()).tree
    return triage_order(scenario.to_order(), scenario.as_of, tree=tree)


def check(
    scenario: Scenario, kb: KnowledgeBase | None = None, decision: Decision | None = None
) -> list[str]:
    """What differs between the scenario's expectation and the engine, in plain words.

    An empty list means the engine agrees with the scenario.
    """
    kb = kb or knowledge()
    decision = decision or run(scenario, kb)
    problems = []
    if decision.code != scenario.outcome:
        problems.append(f"outcome is '{decision.code}', the scenario expects '{scenario.outcome}'")
    unknown = [f for f in scenario.flags if f not in kb.tree.flags]
    for flag in unknown:
        problems.append(f"the scenario expects flag '{flag}', which tree.yaml does not define")
    if tuple(decision.flags) != scenario.flags:
        problems.append(
            f"flags are {list(decision.flags)}, the scenario expects {list(scenario.flags)}"
        )
    if scenario.passage not in decision.passages:
        problems.append(
            f"passage '{scenario.passage}' is not among the passages behind the decision "
            f"({', '.join(decision.passages)})"
        )
    return problems


# ---------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------


@dataclass
class Coverage:
    """What a set of scenarios exercises, and what the tree has that they miss."""

    outcomes: dict[str, list[str]]  # outcome code -> scenario ids reaching it
    flags: dict[str, list[str]]  # flag id -> scenario ids raising it
    answers: dict[tuple[str, str], list[str]]  # (question id, answer) -> scenario ids
    boundaries: dict[str, list[str]]  # boundary name -> scenario ids (see BOUNDARIES)
    missing: dict[str, list[str]]  # kind -> what no scenario covers

    @property
    def complete(self) -> bool:
        return not any(self.missing.values())


#: The time limits and calendars a scenario set must exercise, each described in plain words.
BOUNDARIES = {
    "activation_inside": "tracking silent, less than the activation working hours ago, "
    "within the margin of the deadline",
    "activation_outside": "tracking silent, just past the activation deadline (within the margin)",
    "contact_last_day": "shipped exactly the contact threshold's number of days ago",
    "contact_first_day": "shipped one day more than the contact threshold",
    "weekend": "a weekend day falls between shipping and the activation deadline",
    "holiday": "a French public holiday falls between shipping and the activation deadline",
}


def _boundaries(decision: Decision, tree_thresholds: Mapping[str, int]) -> list[str]:
    found = []
    answers = {s.node.fact: s.answer for s in decision.path}
    deadline = decision.activation_deadline
    if "within_activation_window" in answers and deadline is not None:
        close = abs(decision.as_of - deadline) <= BOUNDARY_MARGIN
        if close:
            found.append(
                "activation_inside"
                if answers["within_activation_window"] == "yes"
                else "activation_outside"
            )
        shipped = decision.order.shipped_at
        if shipped is not None:
            days = [
                shipped.date() + dt.timedelta(days=i)
                for i in range((deadline.date() - shipped.date()).days + 1)
            ]
            if any(d.weekday() >= 5 for d in days):
                found.append("weekend")
            holidays = set(french_holidays(days[0].year, days[-1].year))
            if any(d in holidays and d.weekday() < 5 for d in days):
                found.append("holiday")
    if "past_contact_window" in answers and decision.days_since_shipped is not None:
        limit = tree_thresholds["contact_after_days"]
        if decision.days_since_shipped == limit and answers["past_contact_window"] == "no":
            found.append("contact_last_day")
        if decision.days_since_shipped == limit + 1 and answers["past_contact_window"] == "yes":
            found.append("contact_first_day")
    return found


def coverage(
    items: Iterable[Scenario] | None = None, kb: KnowledgeBase | None = None
) -> Coverage:
    """Run every scenario and collect what they exercise (default: the shipped scenarios)."""
    kb = kb or knowledge()
    tree = kb.tree
    cases = list(items) if items is not None else list(scenarios().values())
    outcomes: dict[str, list[str]] = {code: [] for code in tree.outcomes}
    flags: dict[str, list[str]] = {flag: [] for flag in tree.flags}
    answers: dict[tuple[str, str], list[str]] = {
        (node.id, answer): [] for node in tree.questions.values() for answer in node.answers
    }
    boundaries: dict[str, list[str]] = {name: [] for name in BOUNDARIES}
    for case in cases:
        decision = run(case, kb)
        outcomes.setdefault(decision.code, []).append(case.id)
        for flag in decision.flags:
            flags.setdefault(flag, []).append(case.id)
        for step in decision.path:
            answers.setdefault((step.node.id, step.answer), []).append(case.id)
        for name in _boundaries(decision, tree.thresholds):
            boundaries[name].append(case.id)
    missing = {
        "outcomes": [k for k, v in outcomes.items() if not v],
        "flags": [k for k, v in flags.items() if not v],
        "answers": [f"{q}={a}" for (q, a), v in answers.items() if not v],
        "boundaries": [k for k, v in boundaries.items() if not v],
    }
    return Coverage(outcomes, flags, answers, boundaries, missing)
