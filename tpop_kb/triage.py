"""Triage: the article's decision tree applied to orders, in two forms with one meaning.

- :func:`triage_order` takes one :class:`~tpop_kb.orders.Order` and returns an
  explainable :class:`Decision`: the path of questions and answers through the
  tree, the facts, the dates, the flags and the article passages behind them.
- :func:`triage_table` takes canonical orders (the Arrow table of
  :func:`~tpop_kb.orders.read_orders`, or its pandas frame) and returns one result
  row per order, vectorised: no Python loop over rows. Facts are small integer
  codes; the tree is walked once per distinct combination of facts, what depends on
  the ship date once per distinct moment, and texts are assembled in Arrow.
  :func:`triage_frame` is the same as a pandas frame.

Both compute the same *facts* about each order and walk the same tree from
``data/knowledge/postal-tracking/tree.yaml``; a property test holds their
results equal. The rules' numbers and wording live in that file, not here.

Facts (each ``"yes"``/``"no"`` unless said, ``None`` when unknown):

``input_valid``
    no error in the order, a non-empty order id, not shipped after the as-of moment.
``shipped``
    the order has a ship date, a tracking number or a tracking status that shows the
    parcel in La Poste's hands (``in_transit``, ``awaiting_collection``, ``delivered``).
``ship_date_given``
    the order has a ship date (a flag: shipped orders without one cannot be dated).
``delivered``, ``awaiting_collection``, ``tracking_active``
    tracking status is ``delivered``; is ``awaiting_collection`` (waiting at a post
    office or pickup point); is ``in_transit``.
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
from .orders import CANONICAL_COLUMNS, Order, _one_chunk
from .postal import (
    HOME_COUNTRY,
    TRACKING_STATES,
    _destination_links,
    _without_spaces,
    check_tracking_number,
    destination_post_url,
    quote_numbers,
    tracking_number_state_codes,
)
from .workdays import activation_deadline, activation_deadlines, now_paris

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FACTS",
    "OUTCOMES",
    "OUTPUT_COLUMNS",
    "Decision",
    "canonical_table",
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
    "tracking_silent",
    "wait_before_contact",
    "contact_tpop",
    "delivered",
    "delivered_go_to_post_office",
    "delivered_merchant_decides",
    "collect_at_post_office",
    "invalid_input",
)
FACTS = (
    "input_valid",
    "shipped",
    "ship_date_given",
    "delivered",
    "customer_claim",
    "awaiting_collection",
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


#: Tracking statuses that show the parcel in La Poste's hands: the order has shipped.
SHIPPED_STATUSES = ("in_transit", "awaiting_collection", "delivered")


def reason_template(tree: Tree, node: Node, lang: str, *, dated: bool,
                    status_known: bool) -> str:
    """An outcome's reason with {tracking} filled in, before its other placeholders.

    The one place that words what an order does not say: an outcome that shows dates
    for an order without a ship date gives the tree's ``ship_date_missing`` wording;
    ``{tracking}`` is "no tracking event yet" or, when the status was not given,
    "tracking status not given".
    """
    if node.dates and not dated and "ship_date_missing" in tree.wording:
        return tree.wording["ship_date_missing"][lang]
    word = tree.wording.get("tracking_none" if status_known else "tracking_unknown", {})
    return node.reason[lang].replace("{tracking}", word.get(lang, ""))


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
        template = reason_template(
            self.tree, self.outcome, lang, dated=self.days_since_shipped is not None,
            status_known=self.order.tracking_status is not None,
        )
        return self.tree.fill(template, **self.values())

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
                if self.facts.get("input_valid") == "yes" and self.facts.get("shipped") == "yes"
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
    evidence = shipped is not None or bool(order.tracking_number) or status in SHIPPED_STATUSES
    facts: dict[str, str | None] = {
        "input_valid": _yes(not errors and order.order_id != ""),
        "shipped": "yes" if evidence else None,
        "ship_date_given": _yes(shipped is not None),
        "delivered": None if status is None else _yes(status == "delivered"),
        "customer_claim": order.customer_claim,
        "awaiting_collection": None if status is None else _yes(status == "awaiting_collection"),
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


def _render(template: str, columns: Mapping[str, Any], tree: Tree) -> list[str]:
    """Fill a text's placeholders for each row of value columns (a few thousand distinct rows
    at most: one per outcome and ship moment), thresholds first."""
    import re

    pieces = re.split(r"\{(\w+)\}", tree.fill(template))
    n = len(next(iter(columns.values()))) if columns else 0
    rows = [[] for _ in range(n)]
    for i, piece in enumerate(pieces):
        for r in range(n):
            rows[r].append(str(columns[piece][r]) if i % 2 else piece)
    return ["".join(parts) for parts in rows]


def canonical_table(orders: pd.DataFrame) -> Any:
    """A canonical orders frame (:func:`~tpop_kb.orders.normalize_frame`, possibly edited
    by a page) as the canonical Arrow table the vectorised engine reads."""
    import pandas as pd
    import pyarrow as pa

    from ._arrow import texts
    from .orders import _unknown_arrow

    n = len(orders)
    out: dict[str, Any] = {}
    for column in (*CANONICAL_COLUMNS, "error"):
        if column not in orders.columns:
            out[column] = _unknown_arrow(column if column != "error" else "order_id", n)
            continue
        values = orders[column]
        if column == "shipped_at":
            moments = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
            out[column] = pa.array(moments, type=pa.timestamp("ns"), from_pandas=True)
        elif column == "store_tracking_synced":
            flags = pd.array(values.to_numpy(dtype=object), dtype="boolean")
            out[column] = pa.array(flags.to_numpy(dtype=bool, na_value=False),
                                   mask=flags.isna(), type=pa.bool_())
        else:
            out[column] = texts(values)
    return pa.table(out)


def _distinct(column: Any) -> tuple[Any, list[str]]:
    """A text column as row codes into its distinct values (few: statuses, countries...),
    '' for a null."""
    from ._arrow import distinct

    codes, words = distinct(column)
    return codes, ["" if w is None else w for w in words]


def _fact_columns(table: Any, as_of: dt.datetime, tree: Tree) -> dict[str, Any]:
    """Each fact as int8 codes into :func:`_vocabulary` (-1: unknown), plus values for output.

    What depends on the ship date alone (deadline, days, windows, texts) is computed once
    per distinct moment: ``_moments`` holds them, the last one ``NaT`` (no date), and
    ``_date_code`` gives each row's.
    """
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import codes_of, scalar, to_numpy

    vocabulary = _vocabulary(tree)
    n = table.num_rows
    column = {name: _one_chunk(table.column(name)) for name in table.column_names}

    def yes_no(condition: Any, known: Any) -> Any:
        return np.where(known, condition.astype(np.int8), np.int8(-1)).astype(np.int8)

    def words_to(fact: str, words: list[str]) -> Any:
        """int8 codes of distinct words into the fact's vocabulary (-1: '' or unknown)."""
        known = vocabulary.get(fact, ())
        return np.array([known.index(w) if w in known else -1 for w in words], dtype=np.int8)

    encoded = pc.dictionary_encode(column["shipped_at"])
    moments = np.append(to_numpy(encoded.dictionary).astype("datetime64[ns]"),
                        np.datetime64("NaT", "ns"))
    no_date = len(moments) - 1
    date_code = codes_of(encoded.indices, no_date)
    known_moment = ~np.isnat(moments)
    as_of64 = np.datetime64(as_of, "ns")
    deadline = activation_deadlines(moments, tree.thresholds["activation_working_hours"])
    days = (np.datetime64(as_of.date(), "D") - moments.astype("datetime64[D]")).astype("int64")
    within = yes_no(as_of64 < deadline, known_moment)
    past = yes_no(days > tree.thresholds["contact_after_days"], known_moment)
    late = (known_moment & (moments > as_of64))[date_code]
    has_date = date_code != no_date

    status_code, status_words = _distinct(column["tracking_status"])
    status = np.array(status_words, dtype=object)
    status_known = status != ""
    claim_code, claim_words = _distinct(column["customer_claim"])
    country_code, country_words = _distinct(column["destination_country"])
    country = np.array(country_words, dtype=object)
    synced = column["store_tracking_synced"]
    synced_known = to_numpy(pc.is_valid(synced))
    synced_true = to_numpy(pc.fill_null(synced, scalar(False)))
    tracking = column["tracking_number"]
    has_number = to_numpy(pc.binary_length(tracking)) > 0
    states = tracking_number_state_codes(tracking)
    state_codes = words_to("tracking_number_check", list(TRACKING_STATES))
    error_free = to_numpy(pc.binary_length(column["error"])) == 0
    with_id = to_numpy(pc.binary_length(column["order_id"])) > 0
    valid = error_free & with_id & ~late
    moved = np.isin(status, SHIPPED_STATUSES)[status_code]
    return {
        "input_valid": valid.astype(np.int8),
        "shipped": np.where(has_date | has_number | moved, 1, -1).astype(np.int8),
        "ship_date_given": has_date.astype(np.int8),
        "delivered": yes_no(status == "delivered", status_known)[status_code],
        "customer_claim": words_to("customer_claim", claim_words)[claim_code],
        "awaiting_collection": yes_no(status == "awaiting_collection",
                                      status_known)[status_code],
        "tracking_active": yes_no(status == "in_transit", status_known)[status_code],
        "within_activation_window": within[date_code],
        "past_contact_window": past[date_code],
        "abroad": yes_no(country != HOME_COUNTRY, country != "")[country_code],
        "store_tracking_synced": yes_no(synced_true, synced_known),
        "tracking_number_given": has_number.astype(np.int8),
        "tracking_number_check": state_codes[states] if n else np.zeros(0, dtype=np.int8),
        # not facts: values the output needs
        "_late": late,
        "_status_known": status_known[status_code],
        "_has_date": has_date,
        "_moments": moments,
        "_deadline": deadline,
        "_days": days,
        "_date_code": date_code,
        "_tracking": tracking,
        "_error": column["error"],
        "_empty_id": ~with_id,
    }


def _combinations(facts: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Rows -> the distinct combinations of their facts (a few hundred at most).

    Returns each row's combination number and the facts of each combination, so that the
    tree is walked once per combination instead of once per row.
    """
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import codes_of, from_numpy, to_numpy

    names = [k for k in facts if not k.startswith("_")]
    radix = max([2, *(int(facts[k].max()) + 2 for k in names if len(facts[k]))])
    key = np.zeros(len(facts[names[0]]), dtype=np.int64)
    for name in names:  # codes -1.. -> digits 0.. of a number in base ``radix``
        key = key * radix + (facts[name].astype(np.int64) + 1)
    encoded = pc.dictionary_encode(from_numpy(key))
    distinct = to_numpy(encoded.dictionary).copy()
    combo = codes_of(encoded.indices, 0)
    out: dict[str, Any] = {}
    for name in reversed(names):
        out[name] = (distinct % radix - 1).astype(np.int8)
        distinct //= radix
    return combo, out


def _walk(facts: Mapping[str, Any], tree: Tree, n: int) -> tuple[Any, Any, list[str]]:
    """Every row starts at the root and moves one node per round: final node and visits."""
    import numpy as np

    vocabulary = _vocabulary(tree)
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
    return position, visited, names


def _flag_texts(
    facts: Mapping[str, Any], visited: Any, tree: Tree, names: list[str], combo: Any
) -> Any:
    """Each row's flags (';'-joined, dictionary-encoded), from a bitmask per combination of
    facts (``combo``: each row's)."""
    import numpy as np
    import pyarrow as pa

    from ._arrow import from_numpy, strings

    vocabulary = _vocabulary(tree)
    index = {name: i for i, name in enumerate(names)}
    flag_ids = sorted(tree.flags)
    bits = np.zeros(visited.shape[1], dtype=np.int64)
    for bit, flag_id in enumerate(flag_ids):
        flag = tree.flags[flag_id]
        code = vocabulary[flag.fact].index(flag.value)
        bits |= (visited[index[flag.after]] & (facts[flag.fact] == code)).astype(np.int64) << bit
    combos = [";".join(f for b, f in enumerate(flag_ids) if mask >> b & 1)
              for mask in range(1 << len(flag_ids))]
    return pa.DictionaryArray.from_arrays(from_numpy(bits[combo]), strings(combos))


def _iso_texts(moments: Any, unit: str) -> Any:
    """datetime64 values as ISO text ('YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'), '' for NaT."""
    import numpy as np

    text = np.datetime_as_string(moments.astype(f"datetime64[{unit}]"), unit=unit).astype(object)
    text[np.isnat(moments)] = ""
    return text


def triage_table(
    orders: Any,
    as_of: dt.datetime | None = None,
    *,
    tree: Tree | None = None,
    dictionaries: bool = False,
) -> Any:
    """Triage every row of canonical orders into an Arrow table of OUTPUT_COLUMNS.

    ``orders``: the canonical Arrow table (:func:`~tpop_kb.orders.normalize_table`,
    ``read_orders(...).orders_table``) or a canonical pandas frame. The vectorised
    engine: facts as small integer codes, the tree walked node by node over whole
    columns, what depends on the ship date computed once per distinct moment, texts
    assembled in Arrow. :func:`triage_frame` is its pandas view.

    ``dictionaries=True`` leaves the columns of few distinct texts (outcome, dates,
    flags, reason, article_ref) dictionary-encoded, as they are built: the same values
    in a fraction of the memory (the command line writes them so).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import bools, empty_strings, from_numpy, scalar, strings, to_numpy

    table = orders if isinstance(orders, pa.Table) else canonical_table(orders)
    tree = tree or knowledge().tree
    as_of = as_of or now_paris()
    n = table.num_rows
    facts = _fact_columns(table, as_of, tree)
    combo, combo_facts = _combinations(facts)  # rows with the same facts walk once
    combo_position, visited, names = _walk(combo_facts, tree, len(combo_facts["shipped"]))
    position = combo_position[combo]

    valid = facts["input_valid"] == 1
    with_date = facts["_has_date"] & valid
    moments, code = facts["_moments"], facts["_date_code"]
    no_date = len(moments) - 1
    shows_recheck = np.array([("recheck_at" in tree.nodes[k].dates) for k in names])
    shows_contact = np.array([("contact_from" in tree.nodes[k].dates) for k in names])
    contact_after = np.timedelta64(tree.thresholds["contact_after_days"] + 1, "D")
    recheck_iso = _iso_texts(facts["_deadline"], "m")  # per distinct moment
    contact_iso = _iso_texts(moments.astype("datetime64[D]") + contact_after, "D")
    days_text = np.where(np.isnat(moments), "", facts["_days"].astype(str)).astype(object)

    def coded(indices: Any, texts: Any) -> Any:  # row -> one of a few texts
        return pa.DictionaryArray.from_arrays(from_numpy(indices.astype(np.int32)),
                                              strings(texts))

    def per_row(texts: Any, show: Any) -> Any:  # a per-moment text, where shown
        return coded(np.where(show, code, no_date), texts)

    recheck = per_row(recheck_iso, shows_recheck[position])
    contact = per_row(contact_iso, shows_contact[position] & with_date)

    # Reasons: one text per (outcome, validity, status given, moment) met, then taken by
    # the rows
    key = (((position.astype(np.int64) * 2 + valid) * 2 + facts["_status_known"])
           * len(moments) + code)
    keys, key_row = np.unique(key, return_inverse=True)
    key_code = keys % len(moments)
    key_status = (keys // len(moments)) % 2 == 1
    key_valid = (keys // len(moments) // 2) % 2 == 1
    key_node = keys // len(moments) // 4
    key_dated = key_valid & (key_code != no_date)
    values = {
        "days_since_shipped": np.where(key_dated, days_text[key_code], ""),
        "recheck_at": np.array([t.replace("T", " ") for t in np.where(
            shows_recheck[key_node], recheck_iso[key_code], "")], dtype=object),
        "contact_from": np.where(shows_contact[key_node] & key_dated, contact_iso[key_code], ""),
    }
    reasons = np.empty(len(keys), dtype=object)
    for outcome, node in tree.outcomes.items():
        for dated in (False, True):
            for status_known in (False, True):
                where = np.flatnonzero((key_node == names.index(outcome))
                                       & ((key_code != no_date) == dated)
                                       & (key_status == status_known))
                if len(where):
                    template = reason_template(tree, node, "en", dated=dated,
                                               status_known=status_known)
                    reasons[where] = _render(template,
                                             {k: v[where] for k, v in values.items()}, tree)
    reason = coded(key_row, reasons)

    # Errors: the reader's, plus "shipped after as-of"; none on a valid row
    error = facts["_error"]
    late = np.flatnonzero(facts["_late"])
    if len(late):
        stamp = as_of.strftime(READABLE_DATETIME)
        readable = [t.replace("T", " ") for t in _iso_texts(moments, "m")]
        texts = [
            (f"{before}; " if before else "")
            + f"shipped_at: '{readable[c]}' is after the as-of moment {stamp}"
            for before, c in zip(error.take(from_numpy(late)).to_pylist(), code[late],
                                 strict=True)
        ]
        mask = np.zeros(n, dtype=bool)
        mask[late] = True
        error = pc.replace_with_mask(error, bools(mask), strings(texts))
    empty_id = facts["_empty_id"] & (to_numpy(pc.binary_length(error)) == 0)
    if empty_id.any():
        error = pc.if_else(bools(empty_id), scalar("order_id: empty"), error)
    error = pc.if_else(bools(valid), scalar(""), error) if n else empty_strings(0)

    tracking = facts["_tracking"]
    quoted = quote_numbers(tracking)
    clean = _without_spaces(tracking)
    destination = _destination_links(table.column("destination_country"), clean,
                                     quoted if clean is tracking else quote_numbers(clean),
                                     valid & (facts["shipped"] == 1))
    refs = [";".join(tree.nodes[k].passages) for k in names]
    columns = {
        "order_id": _one_chunk(table.column("order_id")),
        "outcome": coded(position, names),
        "recheck_at": recheck,
        "contact_from": contact,
        "days_since_shipped": from_numpy(facts["_days"][code], missing=~with_date),
        "tracking_url": _la_poste_urls(tracking, quoted),
        "destination_post_url": destination,
        "flags": _flag_texts(combo_facts, visited, tree, names, combo),
        "reason": reason,
        "article_ref": coded(position, refs),
        "error": error,
    }
    if not dictionaries:
        columns = {k: v.dictionary_decode() if isinstance(v, pa.DictionaryArray) else v
                   for k, v in columns.items()}
    return pa.table({c: columns[c] for c in OUTPUT_COLUMNS})


def _la_poste_urls(tracking: Any, quoted: Any) -> Any:
    """La Poste links for an Arrow column of numbers ('' without a number), URL-encoded
    (``quoted``: the numbers already encoded)."""
    import pyarrow.compute as pc

    from ._arrow import bools, scalar, to_numpy

    template = knowledge().postal["la_poste"]["tracking_url"]
    prefix, _, suffix = template.partition("{n}")
    links = pc.binary_join_element_wise(scalar(prefix), quoted, scalar(suffix),
                                        scalar(""))
    return pc.if_else(bools(to_numpy(pc.binary_length(tracking)) == 0), scalar(""), links)


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
