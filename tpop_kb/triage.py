"""Triage: the article's decision tree applied to orders, in two forms with one meaning.

- :func:`triage_order` takes one :class:`~tpop_kb.orders.Order` and returns an
  explainable :class:`Decision`: the path of questions and answers through the
  tree, the facts, the dates, the flags and the article passages behind them.
- :func:`triage_frame` takes a canonical orders frame (from
  :func:`~tpop_kb.orders.read_orders`) and returns one result row per order,
  vectorised: no Python loop over rows, only over the tree's few nodes.

Both compute the same *facts* about each order and walk the same tree from
``data/knowledge/postal-tracking/tree.yaml``; a property test holds their
results equal. The rules' numbers and wording live in that file, not here.

Facts (each ``"yes"``/``"no"`` unless said, ``None`` when unknown):

``input_valid``
    no error in the order, a non-empty order id, not shipped after the as-of moment.
``shipped``
    the order has a ship date.
``delivered``, ``tracking_active``
    tracking status is ``delivered``; is ``in_transit``.
``customer_claim``
    ``none`` | ``not_received`` | ``still_not_received``.
``within_activation_window``
    as-of is before the activation deadline (ship date + the activation working hours).
``past_contact_window``
    calendar days since shipping > the contact threshold.
``abroad``
    the destination country is not France.
``store_tracking_synced``, ``tracking_number_given``
    used by flags.
``tracking_number_check``
    ``ok`` | ``invalid`` (UPU S10 shape, wrong check digit) | ``unrecognized``
    (no known shape); ``None`` without a number (see :mod:`tpop_kb.postal`).

Output column ``destination_post_url``: the destination post's tracking page
(``data/postal.yaml``) for an order that is valid, shipped, has a tracking
number and goes abroad to a country with a listed operator; ``''`` otherwise.
It is given whatever the outcome (the order assistant shows it whenever La
Poste's tracking stops helping) and whatever the number's check (the flags say
when the number looks wrong).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .knowledge import Node, Tree, knowledge
from .orders import Order
from .postal import (
    HOME_COUNTRY,
    check_tracking_number,
    destination_post_url,
    destination_post_urls,
    tracking_number_states,
)
from .workdays import activation_deadline, activation_deadlines, now_paris

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FACTS",
    "OUTCOMES",
    "OUTPUT_COLUMNS",
    "Decision",
    "Step",
    "la_poste_url",
    "order_facts",
    "triage_frame",
    "triage_table",
    "triage_order",
]

OUTCOMES = (
    "not_shipped",
    "wait_for_activation",
    "check_destination_post",
    "wait_before_contact",
    "contact_tpop",
    "delivered",
    "delivered_go_to_post_office",
    "delivered_merchant_decides",
    "invalid_input",
)
FACTS = (
    "input_valid",
    "shipped",
    "delivered",
    "customer_claim",
    "tracking_active",
    "within_activation_window",
    "past_contact_window",
    "abroad",
    "store_tracking_synced",
    "tracking_number_given",
    "tracking_number_check",
)
OUTPUT_COLUMNS = (
    "order_id",
    "outcome",
    "recheck_at",
    "contact_from",
    "days_since_shipped",
    "tracking_url",
    "destination_post_url",
    "flags",
    "reason",
    "article_ref",
    "error",
)
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATE_FORMAT = "%Y-%m-%d"
READABLE_DATETIME = "%Y-%m-%d %H:%M"


def _yes(condition: bool) -> str:
    return "yes" if condition else "no"


def la_poste_url(tracking_number: str | None) -> str:
    """La Poste's public tracking page for a number ('' without a number)."""
    if not tracking_number:
        return ""
    template = knowledge().postal["la_poste"]["tracking_url"]
    return template.replace("{n}", quote(tracking_number, safe=""))


def contact_from_date(shipped_at: dt.datetime, tree: Tree) -> dt.date:
    """The first day TPOP may be contacted: ship date + (contact threshold + 1) days."""
    return shipped_at.date() + dt.timedelta(days=tree.thresholds["contact_after_days"] + 1)


# ---------------------------------------------------------------------------
# One order
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One question on the path: the node, the answer taken, and whether the order said so."""

    node: Node
    answer: str
    known: bool  # False: the tree's when_unknown answer was assumed


@dataclass
class Decision:
    """The explainable result of :func:`triage_order`."""

    order: Order
    as_of: dt.datetime
    outcome: Node
    path: list[Step]
    facts: dict[str, str | None]
    flags: tuple[str, ...]
    errors: tuple[str, ...]
    activation_deadline: dt.datetime | None = None
    recheck_at: dt.datetime | None = None
    contact_from: dt.date | None = None
    days_since_shipped: int | None = None
    tree: Tree = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def code(self) -> str:
        return self.outcome.id

    @property
    def unknown_steps(self) -> list[Step]:
        """Questions answered by assumption: what the order assistant asks."""
        return [s for s in self.path if not s.known]

    @property
    def passages(self) -> list[str]:
        """Passage ids behind the decision: the path, the outcome, then the flags."""
        ids: list[str] = []
        nodes = [s.node for s in self.path] + [self.outcome]
        for pid in [p for n in nodes for p in n.passages] + [
            p for f in self.flags for p in self.tree.flags[f].passages
        ]:
            if pid not in ids:
                ids.append(pid)
        return ids

    def values(self) -> dict[str, Any]:
        """Placeholders for the outcome's texts (reason, steps, summary)."""
        return {
            "days_since_shipped": ""
            if self.days_since_shipped is None
            else self.days_since_shipped,
            "recheck_at": self.recheck_at.strftime(READABLE_DATETIME) if self.recheck_at else "",
            "contact_from": self.contact_from.strftime(DATE_FORMAT) if self.contact_from else "",
        }

    def reason(self, lang: str = "en") -> str:
        return self.tree.fill(self.outcome.reason[lang], **self.values())

    def to_row(self) -> dict[str, Any]:
        """The CLI's and the bulk page's row for this order (same as :func:`triage_frame`)."""
        return {
            "order_id": self.order.order_id or "",
            "outcome": self.code,
            "recheck_at": self.recheck_at.strftime(DATETIME_FORMAT) if self.recheck_at else "",
            "contact_from": self.contact_from.strftime(DATE_FORMAT) if self.contact_from else "",
            "days_since_shipped": self.days_since_shipped,
            "tracking_url": la_poste_url(self.order.tracking_number),
            "destination_post_url": (
                destination_post_url(self.order.destination_country, self.order.tracking_number)
                if self.facts.get("input_valid") == "yes" and self.order.shipped_at is not None
                else ""
            ),
            "flags": ";".join(self.flags),
            "reason": self.reason("en"),
            "article_ref": ";".join(self.outcome.passages),
            "error": "; ".join(self.errors),
        }


def order_facts(
    order: Order, as_of: dt.datetime, tree: Tree | None = None
) -> tuple[dict[str, str | None], tuple[str, ...], dt.datetime | None]:
    """The facts the tree asks about, the order's errors, and its activation deadline."""
    tree = tree or knowledge().tree
    errors = list(order.errors)
    if order.shipped_at is not None and order.shipped_at > as_of:
        errors.append(
            f"shipped_at: '{order.shipped_at.strftime(READABLE_DATETIME)}' is after the as-of "
            f"moment {as_of.strftime(READABLE_DATETIME)}"
        )
    shipped = order.shipped_at
    status = order.tracking_status
    deadline = (
        activation_deadline(shipped, tree.thresholds["activation_working_hours"])
        if shipped is not None
        else None
    )
    days = (as_of.date() - shipped.date()).days if shipped is not None else None
    synced = order.store_tracking_synced
    facts: dict[str, str | None] = {
        "input_valid": _yes(not errors and order.order_id != ""),
        "shipped": "yes" if shipped is not None else None,
        "delivered": None if status is None else _yes(status == "delivered"),
        "customer_claim": order.customer_claim,
        "tracking_active": None if status is None else _yes(status == "in_transit"),
        "within_activation_window": None if deadline is None else _yes(as_of < deadline),
        "past_contact_window": (
            None if days is None else _yes(days > tree.thresholds["contact_after_days"])
        ),
        "abroad": (
            None
            if order.destination_country is None
            else _yes(order.destination_country != HOME_COUNTRY)
        ),
        "store_tracking_synced": None if synced is None else _yes(synced),
        "tracking_number_given": _yes(bool(order.tracking_number)),
        "tracking_number_check": check_tracking_number(order.tracking_number).state or None,
    }
    if order.order_id == "" and not any(e.startswith("order_id") for e in errors):
        errors.append("order_id: empty")
    return facts, tuple(errors), deadline


def triage_order(
    order: Order,
    as_of: dt.datetime | None = None,
    *,
    answers: Mapping[str, str] | None = None,
    tree: Tree | None = None,
) -> Decision:
    """Walk the tree for one order. ``answers`` supply facts the order does not give."""
    tree = tree or knowledge().tree
    as_of = as_of or now_paris()
    facts, errors, deadline = order_facts(order, as_of, tree)
    for fact, value in (answers or {}).items():
        if facts.get(fact) is None:
            facts[fact] = value
    path: list[Step] = []
    node = tree.nodes[tree.root]
    while not node.is_outcome:
        value = facts.get(node.fact)
        known = value is not None
        answer = value if known else node.when_unknown
        path.append(Step(node, answer, known))
        node = tree.nodes[node.answers[answer]]
    visited = {s.node.id for s in path}
    flags = tuple(
        sorted(
            f.id for f in tree.flags.values() if f.after in visited and facts.get(f.fact) == f.value
        )
    )
    valid = facts["input_valid"] == "yes"
    shipped = order.shipped_at if valid else None
    days = (as_of.date() - shipped.date()).days if shipped is not None else None
    return Decision(
        order=order,
        as_of=as_of,
        outcome=node,
        path=path,
        facts=facts,
        flags=flags,
        errors=errors if not valid else (),
        activation_deadline=deadline,
        recheck_at=deadline if "recheck_at" in node.dates else None,
        contact_from=(
            contact_from_date(shipped, tree)
            if shipped is not None and "contact_from" in node.dates
            else None
        ),
        days_since_shipped=days,
        tree=tree,
    )


# ---------------------------------------------------------------------------
# Many orders, vectorised
# ---------------------------------------------------------------------------


def _vocabulary(tree: Tree) -> dict[str, tuple[str, ...]]:
    """Every fact's possible values, as the tree and its flags name them (yes/no as no, yes)."""
    values: dict[str, list[str]] = {}
    for node in tree.questions.values():
        values.setdefault(node.fact, [])
        for answer in node.answers:
            if answer not in values[node.fact]:
                values[node.fact].append(answer)
    for flag in tree.flags.values():
        values.setdefault(flag.fact, [])
        if flag.value not in values[flag.fact]:
            values[flag.fact].append(flag.value)
    out = {}
    for fact, found in values.items():
        if set(found) <= {"yes", "no"}:
            out[fact] = ("no", "yes")
        else:
            out[fact] = tuple(found)
    return out


def _code_of(values: Any, known: Any, vocabulary: tuple[str, ...]) -> Any:
    """Text values -> int8 codes into ``vocabulary``; -1 where unknown or not in it."""
    import numpy as np

    codes = np.full(len(values), -1, dtype=np.int8)
    for i, word in enumerate(vocabulary):
        codes[known & (values == word)] = i
    return codes


def _fact_columns(frame: pd.DataFrame, as_of: dt.datetime, tree: Tree) -> dict[str, Any]:
    """Each fact as int8 codes into :func:`_vocabulary` (-1: unknown), plus values for output."""
    import numpy as np

    vocabulary = _vocabulary(tree)
    n = len(frame)
    unknown = np.full(n, -1, dtype=np.int8)

    def yes_no(condition: Any, known: Any) -> Any:
        return np.where(known, condition.astype(np.int8), unknown).astype(np.int8)

    shipped = frame["shipped_at"].to_numpy(dtype="datetime64[ns]")
    has_date = ~np.isnat(shipped)
    as_of64 = np.datetime64(as_of, "ns")
    late = has_date & (shipped > as_of64)
    order_id = frame["order_id"].to_numpy(dtype=object)
    error = frame["error"].to_numpy(dtype=object)
    status = frame["tracking_status"].to_numpy(dtype=object)
    status_known = status != ""
    deadline = activation_deadlines(shipped, tree.thresholds["activation_working_hours"])
    days = (np.datetime64(as_of.date(), "D") - shipped.astype("datetime64[D]")).astype("int64")
    claim = frame["customer_claim"].to_numpy(dtype=object)
    country = frame["destination_country"].to_numpy(dtype=object)
    synced = frame["store_tracking_synced"]
    synced_known = synced.notna().to_numpy()
    synced_true = synced.fillna(False).to_numpy(dtype=bool)
    tracking = frame["tracking_number"].to_numpy(dtype=object)
    has_number = tracking != ""
    number_state = tracking_number_states(tracking)
    valid = (error == "") & (order_id != "") & ~late
    return {
        "input_valid": valid.astype(np.int8),
        "shipped": np.where(has_date, 1, -1).astype(np.int8),
        "delivered": yes_no(status == "delivered", status_known),
        "customer_claim": _code_of(claim, claim != "", vocabulary.get("customer_claim", ())),
        "tracking_active": yes_no(status == "in_transit", status_known),
        "within_activation_window": yes_no(as_of64 < deadline, has_date),
        "past_contact_window": yes_no(days > tree.thresholds["contact_after_days"], has_date),
        "abroad": yes_no(country != HOME_COUNTRY, country != ""),
        "store_tracking_synced": yes_no(synced_true, synced_known),
        "tracking_number_given": has_number.astype(np.int8),
        "tracking_number_check": _code_of(
            number_state, number_state != "", vocabulary.get("tracking_number_check", ())
        ),
        # not facts: values the output needs
        "_late": late,
        "_deadline": deadline,
        "_days": days,
        "_has_date": has_date,
        "_tracking": tracking,
    }


def _join(parts: list[Any]) -> Any:
    """Concatenate text columns and literals element-wise, in Arrow (C++), to an Arrow array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = [p if isinstance(p, (pa.Array, pa.ChunkedArray)) else pa.scalar(str(p)) for p in parts]
    if not any(isinstance(a, (pa.Array, pa.ChunkedArray)) for a in arrays):
        raise ValueError("at least one column is needed")
    return pc.binary_join_element_wise(*arrays, "")


def _render(template: str, columns: Mapping[str, Any], tree: Tree, n: int) -> Any:
    """Fill a text's placeholders row by row: literal parts and value columns (Arrow)."""
    import re

    import pyarrow as pa

    text = tree.fill(template)  # thresholds first
    pieces = re.split(r"\{(\w+)\}", text)
    parts: list[Any] = [pa.array([""] * n, type=pa.string()) if n else pa.array([], pa.string())]
    for i, piece in enumerate(pieces):
        if i % 2:
            parts.append(columns[piece])
        elif piece:
            parts.append(piece)
    return _join(parts)


def _iso(moments: Any, unit: str) -> Any:
    """datetime64 values as ISO text ('YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'), in C."""
    import numpy as np

    return np.datetime_as_string(moments.astype(f"datetime64[{unit}]"), unit=unit)


def triage_table(
    orders: pd.DataFrame, as_of: dt.datetime | None = None, *, tree: Tree | None = None
) -> Any:
    """Triage every row of a canonical orders frame into an Arrow table of OUTPUT_COLUMNS.

    The vectorised engine: facts as small integer codes, the tree walked node by node
    over whole columns, texts assembled in Arrow. :func:`triage_frame` is its pandas view.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    tree = tree or knowledge().tree
    as_of = as_of or now_paris()
    n = len(orders)
    facts = _fact_columns(orders, as_of, tree)
    vocabulary = _vocabulary(tree)

    # Walk the tree: every row starts at the root and moves one node per round.
    names = list(tree.nodes)
    index = {name: i for i, name in enumerate(names)}
    position = np.full(n, index[tree.root], dtype=np.int16)
    visited = np.zeros((len(names), n), dtype=bool)
    questions = [(index[k], q) for k, q in tree.questions.items()]
    for _ in range(len(names)):
        moving = False
        for node_index, node in questions:
            here = position == node_index
            if not here.any():
                continue
            moving = True
            visited[node_index] |= here
            words = vocabulary[node.fact]
            table = np.array([index[node.answers[w]] for w in words], dtype=np.int16)
            value = facts[node.fact][here]
            value = np.where(value < 0, words.index(node.when_unknown), value)
            position[here] = table[value]
        if not moving:
            break
    outcome_names = np.array(names, dtype=object)

    # Flags, as a bitmask, then one joined text per combination
    flag_ids = sorted(tree.flags)
    bits = np.zeros(n, dtype=np.int64)
    for bit, flag_id in enumerate(flag_ids):
        flag = tree.flags[flag_id]
        code = vocabulary[flag.fact].index(flag.value)
        bits |= (visited[index[flag.after]] & (facts[flag.fact] == code)).astype(np.int64) << bit
    combos = np.array(
        [";".join(f for b, f in enumerate(flag_ids) if mask >> b & 1)
         for mask in range(1 << len(flag_ids))], dtype=object)
    flags = combos[bits]

    valid = facts["input_valid"] == 1
    has_date = facts["_has_date"] & valid
    deadline = facts["_deadline"]
    shipped = orders["shipped_at"].to_numpy(dtype="datetime64[ns]")
    contact_from = shipped.astype("datetime64[D]") + np.timedelta64(
        tree.thresholds["contact_after_days"] + 1, "D")
    shows_recheck = np.array([("recheck_at" in tree.nodes[k].dates) for k in names])[position]
    shows_contact = np.array([("contact_from" in tree.nodes[k].dates) for k in names])[
        position] & has_date
    recheck_iso = _iso(deadline, "m")
    recheck = pa.array(np.where(shows_recheck, recheck_iso, ""))
    readable_recheck = pc.replace_substring(recheck, "T", " ")
    contact = pa.array(np.where(shows_contact, _iso(contact_from, "D"), ""))
    days = facts["_days"]
    days_text = pa.array(np.where(has_date, days.astype(str), ""))

    # Errors: the reader's, plus "shipped after as-of"
    late = facts["_late"]
    error = orders["error"].to_numpy(dtype=object).copy()
    if late.any():
        late_text = (
            "shipped_at: '"
            + np.char.replace(_iso(shipped[late], "m"), "T", " ").astype(object)
            + f"' is after the as-of moment {as_of.strftime(READABLE_DATETIME)}"
        )
        error[late] = np.where(error[late] == "", late_text, error[late] + "; " + late_text)
    empty_id = (orders["order_id"].to_numpy(dtype=object) == "") & (error == "")
    error[empty_id] = "order_id: empty"
    error = np.where(valid, "", error)

    # Reasons and article references, per outcome
    values = {"days_since_shipped": days_text, "recheck_at": readable_recheck,
              "contact_from": contact}
    refs = np.array([";".join(tree.nodes[k].passages) for k in names], dtype=object)
    pieces, rows = [], []
    for code, node in tree.outcomes.items():
        where = np.flatnonzero(position == index[code])
        if len(where):
            taken = {k: pc.take(v, pa.array(where)) for k, v in values.items()}
            pieces.append(_render(node.reason["en"], taken, tree, len(where)))
            rows.append(where)
    if pieces:  # each outcome's reasons, put back in row order
        order = np.argsort(np.concatenate(rows), kind="stable")
        reason = pc.take(pa.concat_arrays([p.combine_chunks() if hasattr(p, "combine_chunks")
                                           else p for p in pieces]), pa.array(order))
    else:
        reason = pa.array([], type=pa.string())

    tracking = facts["_tracking"]
    destination = destination_post_urls(orders["destination_country"].to_numpy(dtype=object),
                                        tracking)
    columns = {
        "order_id": pa.array(orders["order_id"].to_numpy(dtype=object), type=pa.string()),
        "outcome": pa.array(outcome_names[position], type=pa.string()),
        "recheck_at": recheck,
        "contact_from": contact,
        "days_since_shipped": pa.array(days, type=pa.int64(), mask=~has_date),
        "tracking_url": pa.array(_la_poste_urls(tracking), type=pa.string()),
        "destination_post_url": pa.array(np.where(has_date, destination, ""), type=pa.string()),
        "flags": pa.array(flags, type=pa.string()),
        "reason": reason,
        "article_ref": pa.array(refs[position], type=pa.string()),
        "error": pa.array(error, type=pa.string()),
    }
    return pa.table({c: columns[c] for c in OUTPUT_COLUMNS})


def _la_poste_urls(tracking: Any) -> Any:
    """La Poste links for a column of numbers ('' without a number), URL-encoded."""
    import numpy as np

    from .postal import _quote_column

    template = knowledge().postal["la_poste"]["tracking_url"]
    prefix, _, suffix = template.partition("{n}")
    return np.where(tracking != "", prefix + _quote_column(tracking) + suffix, "")


def triage_frame(
    orders: pd.DataFrame, as_of: dt.datetime | None = None, *, tree: Tree | None = None
) -> pd.DataFrame:
    """Triage every row of a canonical orders frame; one result row per input row, same index.

    Text columns are pandas strings, ``days_since_shipped`` is a nullable integer.
    """
    import pandas as pd
    import pyarrow as pa

    table = triage_table(orders, as_of, tree=tree)
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    frame.index = orders.index
    return frame
