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


def _fact_columns(frame: pd.DataFrame, as_of: dt.datetime, tree: Tree) -> dict[str, Any]:
    import numpy as np

    n = len(frame)
    none = np.full(n, None, dtype=object)

    def yes_no(condition: Any, known: Any) -> Any:
        return np.where(known, np.where(condition, "yes", "no"), none)

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
    number_state = tracking_number_states(tracking)
    return {
        "input_valid": np.where((error == "") & (order_id != "") & ~late, "yes", "no").astype(
            object
        ),
        "shipped": np.where(has_date, "yes", none),
        "delivered": yes_no(status == "delivered", status_known),
        "customer_claim": np.where(claim != "", claim, none),
        "tracking_active": yes_no(status == "in_transit", status_known),
        "within_activation_window": yes_no(as_of64 < deadline, has_date),
        "past_contact_window": yes_no(days > tree.thresholds["contact_after_days"], has_date),
        "abroad": yes_no(country != HOME_COUNTRY, country != ""),
        "store_tracking_synced": yes_no(synced_true, synced_known),
        "tracking_number_given": np.where(tracking != "", "yes", "no").astype(object),
        "tracking_number_check": np.where(number_state != "", number_state, none),
        # not facts: values the output needs
        "_late": late,
        "_deadline": deadline,
        "_days": days,
        "_has_date": has_date,
    }


def _render(template: str, columns: Mapping[str, Any], mask: Any, tree: Tree) -> Any:
    """Fill a text's placeholders row by row, vectorised: literal parts + value columns."""
    import re

    import numpy as np

    text = tree.fill(template)  # thresholds first
    parts = re.split(r"\{(\w+)\}", text)
    count = int(mask.sum())
    out = np.full(count, "", dtype=object)
    for i, part in enumerate(parts):
        out = out + (columns[part][mask] if i % 2 else part)
    return out


def triage_frame(
    orders: pd.DataFrame, as_of: dt.datetime | None = None, *, tree: Tree | None = None
) -> pd.DataFrame:
    """Triage every row of a canonical orders frame; one result row per input row, same index."""
    import numpy as np
    import pandas as pd

    tree = tree or knowledge().tree
    as_of = as_of or now_paris()
    n = len(orders)
    facts = _fact_columns(orders, as_of, tree)

    # Walk the tree: every row starts at the root and moves one node per round.
    position = np.full(n, tree.root, dtype=object)
    visited = {node_id: np.zeros(n, dtype=bool) for node_id in tree.nodes}
    questions = tree.questions
    for _ in range(len(tree.nodes)):
        moving = False
        for node_id, node in questions.items():
            here = position == node_id
            if not here.any():
                continue
            moving = True
            visited[node_id] |= here
            value = facts[node.fact][here]
            value = np.where(value == None, node.when_unknown, value)  # noqa: E711
            position[here] = pd.Series(value, dtype=object).map(node.answers).to_numpy()
        if not moving:
            break
    outcome = position

    # Flags
    flag_lists = np.full(n, "", dtype=object)
    for flag_id in sorted(tree.flags):
        flag = tree.flags[flag_id]
        hit = visited[flag.after] & (facts[flag.fact] == flag.value)
        flag_lists = np.where(
            hit, np.where(flag_lists == "", flag_id, flag_lists + ";" + flag_id), flag_lists
        )

    valid = facts["input_valid"] == "yes"
    has_date = facts["_has_date"] & valid
    deadline = facts["_deadline"]
    shipped = orders["shipped_at"].to_numpy(dtype="datetime64[ns]")
    contact_threshold = tree.thresholds["contact_after_days"]
    contact_from = shipped.astype("datetime64[D]") + np.timedelta64(contact_threshold + 1, "D")

    shows_recheck = np.isin(
        outcome, [k for k, o in tree.outcomes.items() if "recheck_at" in o.dates]
    )
    shows_contact = (
        np.isin(outcome, [k for k, o in tree.outcomes.items() if "contact_from" in o.dates])
        & has_date
    )
    recheck_text = pd.Series(deadline).dt.strftime(DATETIME_FORMAT).to_numpy(dtype=object)
    readable_recheck = pd.Series(deadline).dt.strftime(READABLE_DATETIME).to_numpy(dtype=object)
    contact_text = (
        pd.Series(contact_from.astype("datetime64[ns]"))
        .dt.strftime(DATE_FORMAT)
        .to_numpy(dtype=object)
    )
    days = facts["_days"]
    days_out = pd.array(np.where(has_date, days, 0), dtype="Int64")
    days_out[~has_date] = pd.NA

    # Errors: the reader's, plus "shipped after as-of"
    late = facts["_late"]
    error = orders["error"].to_numpy(dtype=object).copy()
    if late.any():
        late_text = (
            "shipped_at: '"
            + pd.Series(shipped[late]).dt.strftime(READABLE_DATETIME).to_numpy(dtype=object)
            + f"' is after the as-of moment {as_of.strftime(READABLE_DATETIME)}"
        )
        error[late] = np.where(error[late] == "", late_text, error[late] + "; " + late_text)
    empty_id = (orders["order_id"].to_numpy(dtype=object) == "") & (error == "")
    error[empty_id] = "order_id: empty"
    error = np.where(valid, "", error)

    # Reasons, per outcome
    values = {
        "days_since_shipped": np.where(has_date, days.astype(str), "").astype(object),
        "recheck_at": np.where(shows_recheck, readable_recheck, "").astype(object),
        "contact_from": np.where(shows_contact, contact_text, "").astype(object),
    }
    reason = np.full(n, "", dtype=object)
    article_ref = np.full(n, "", dtype=object)
    for code, node in tree.outcomes.items():
        mask = outcome == code
        if mask.any():
            reason[mask] = _render(node.reason["en"], values, mask, tree)
            article_ref[mask] = ";".join(node.passages)

    tracking = orders["tracking_number"].to_numpy(dtype=object)
    template = knowledge().postal["la_poste"]["tracking_url"]
    prefix, _, suffix = template.partition("{n}")
    encoded = tracking.copy()
    needs_quoting = (
        pd.Series(tracking, dtype=object).str.contains(r"[^A-Za-z0-9_.~-]").to_numpy(dtype=bool)
        if n
        else np.zeros(0, dtype=bool)
    )
    if needs_quoting.any():  # rare: numbers are letters and digits
        encoded[needs_quoting] = [quote(t, safe="") for t in tracking[needs_quoting]]
    tracking_url = np.where(tracking != "", prefix + encoded + suffix, "")
    destination_url = np.where(
        has_date,
        destination_post_urls(orders["destination_country"].to_numpy(dtype=object), tracking),
        "",
    )

    result = pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy(dtype=object),
            "outcome": outcome,
            "recheck_at": np.where(shows_recheck, recheck_text, ""),
            "contact_from": np.where(shows_contact, contact_text, ""),
            "days_since_shipped": days_out,
            "tracking_url": tracking_url,
            "destination_post_url": destination_url,
            "flags": flag_lists,
            "reason": reason,
            "article_ref": article_ref,
            "error": error,
        },
        index=orders.index,
    )
    for column in OUTPUT_COLUMNS:
        if column != "days_since_shipped":
            result[column] = result[column].astype(object)
    return result
