"""Score the paste reader and the engine on a corpus of real-looking pastes.

A corpus is a folder with one ``.txt`` file per paste and a ``cases.yaml`` that says,
for each, what the paste itself states (``fields``), what it leaves ambiguous, what the
agent would answer when the page asks (``truth``) and the article's answer
(``outcome``). See tests/pastes/README.md. Used by tests/test_paste_corpus.py and by
``python tests/paste_corpus.py [FOLDER]``, which prints the accuracy table of the
README.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tpop_kb import order_from_record, triage_order  # noqa: E402
from tpop_kb.paste import PasteError, parse_paste  # noqa: E402
from tpop_kb.triage import order_facts  # noqa: E402

FIELDS = ("order_id", "shipped_at", "tracking_number", "destination_country",
          "tracking_status", "customer_claim")


@dataclass
class Case:
    name: str
    lang: str
    kind: str
    as_of: dt.datetime
    text: str
    fields: dict[str, Any]
    ambiguous: list[str]
    truth: dict[str, Any]
    outcome: str


@dataclass
class Score:
    """One case's result: field verdicts, outcome as pasted and after the questions."""

    case: Case
    record: dict[str, str]
    asked: list[str]
    verdicts: dict[str, str]  # field -> ok | missing | wrong | spurious | asked | absent
    as_pasted: str
    after_questions: str
    error: str = ""
    wrong_fields: list[str] = field(default_factory=list)


def load(folder: Path) -> list[Case]:
    raw = yaml.safe_load((folder / "cases.yaml").read_text(encoding="utf-8"))
    cases = []
    for item in raw["cases"]:
        cases.append(Case(
            name=item["file"],
            lang=item.get("lang", ""),
            kind=item.get("kind", ""),
            as_of=dt.datetime.strptime(str(item["as_of"]), "%Y-%m-%d %H:%M"),
            text=(folder / item["file"]).read_text(encoding="utf-8"),
            fields={k: v for k, v in (item.get("fields") or {}).items()},
            ambiguous=list(item.get("ambiguous") or []),
            truth=dict(item.get("truth") or {}),
            outcome=str(item["outcome"]),
        ))
    return cases


def _same(column: str, got: str, want: Any) -> bool:
    if want is None:
        return False
    want = str(want).strip()
    if column == "order_id":
        return got.lstrip("#").strip().upper() == want.lstrip("#").strip().upper()
    if column == "tracking_number":
        return got.replace(" ", "").upper() == want.replace(" ", "").upper()
    if column == "shipped_at":
        return got.strip() == want  # same minute, or same date when no time is given
    return got == want


def _record_value(column: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def score(case: Case) -> Score:
    try:
        parsed = parse_paste(case.text, as_of=case.as_of)
    except PasteError as error:
        record, asked, error_text = {}, [], error.code
    else:
        record, asked, error_text = dict(parsed.record), [q.field for q in parsed.questions], ""
    reported = {p.field for p in parsed.problems} if not error_text else set()
    verdicts: dict[str, str] = {}
    for column in FIELDS:
        want = case.fields.get(column)
        got = record.get(column)
        if column in reported and want is None:
            verdicts[column] = "reported"  # kept as written, with a message: not a value
        elif column in case.ambiguous:
            verdicts[column] = "asked" if column in asked else (
                "guessed" if got is not None else "missing")
        elif want is None:
            verdicts[column] = "spurious" if got is not None else "absent"
        elif got is None:
            verdicts[column] = "asked" if column in asked else "missing"
        else:
            verdicts[column] = "ok" if _same(column, got, want) else "wrong"
    order = order_from_record({"order_id": "X", **record} if "order_id" not in record
                              else record)
    as_pasted = triage_order(order, case.as_of).code
    # after the page's questions: an ambiguous field takes the agent's answer, then every
    # question the tree still asks is answered from the true order
    true_record = {c: _record_value(c, v) for c, v in case.fields.items() if v is not None}
    true_record.update({c: _record_value(c, v) for c, v in case.truth.items()
                        if v is not None})
    true_record.setdefault("order_id", record.get("order_id", "X"))
    true_order = order_from_record(true_record)
    facts, _, _ = order_facts(true_order, case.as_of)
    answered = dict(record)
    for column in asked:
        if column in true_record:
            answered[column] = true_record[column]
    answered.setdefault("order_id", "X")
    after = triage_order(order_from_record(answered), case.as_of,
                         answers={k: v for k, v in facts.items() if v is not None}).code
    wrong = [c for c, v in verdicts.items() if v in ("wrong", "spurious", "guessed")]
    return Score(case, record, asked, verdicts, as_pasted, after, error_text, wrong)


def summary(scores: list[Score]) -> dict[str, Any]:
    n = len(scores)
    fields_total = sum(1 for s in scores for c in FIELDS
                       if s.case.fields.get(c) is not None or c in s.case.ambiguous)
    fields_ok = sum(1 for s in scores for c in FIELDS if s.verdicts[c] in ("ok",)
                    or (c in s.case.ambiguous and s.verdicts[c] == "asked"))
    return {
        "cases": n,
        "as_pasted": sum(s.as_pasted == s.case.outcome for s in scores),
        "after_questions": sum(s.after_questions == s.case.outcome for s in scores),
        "fields": fields_total,
        "fields_ok": fields_ok,
        "false_fields": sum(len(s.wrong_fields) for s in scores),
        "false_ship_dates": sum(s.verdicts["shipped_at"] in ("wrong", "spurious", "guessed")
                                for s in scores),
    }


def report(folder: Path) -> str:
    scores = [score(c) for c in load(folder)]
    total = summary(scores)
    lines = [
        f"{folder.name}: {total['cases']} pastes; outcome right as pasted "
        f"{total['as_pasted']}/{total['cases']}, after the page's questions "
        f"{total['after_questions']}/{total['cases']}; fields right "
        f"{total['fields_ok']}/{total['fields']}; false fields {total['false_fields']} "
        f"(ship dates {total['false_ship_dates']})",
    ]
    for s in scores:
        bad = {c: v for c, v in s.verdicts.items()
               if v not in ("ok", "absent", "asked", "reported")}
        if bad or s.as_pasted != s.case.outcome or s.after_questions != s.case.outcome:
            lines.append(
                f"  {s.case.name}: want {s.case.outcome}, as pasted {s.as_pasted}, after "
                f"{s.after_questions}; "
                + ", ".join(f"{c}={v} (got {s.record.get(c)!r}, want "
                            f"{s.case.fields.get(c)!r})" for c, v in bad.items())
            )
    return "\n".join(lines)


if __name__ == "__main__":
    for name in sys.argv[1:] or ["pastes"]:
        print(report(ROOT / name))
