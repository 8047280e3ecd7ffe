"""Triage: the article's decision tree applied to orders, by one engine.

Every fact and every rule is computed once, over columns (numpy and Arrow compute):

- :func:`triage_table` takes canonical orders (the Arrow table of
  :func:`~tpop_kb.orders.read_orders`, or its pandas frame) and returns one result
  row per order, with no Python loop over rows: facts are small integer codes computed
  over whole columns (dates by numpy arithmetic on every row), the tree is walked once
  per distinct combination of facts, and texts are assembled in Arrow (each reason
  worded once per distinct set of values it shows). :func:`triage_frame` is the same as
  a pandas frame; :func:`triage_to_csv` writes it in batches (the command line, each
  Dask partition).
- :func:`triage_order` takes one :class:`~tpop_kb.orders.Order` as a one-row table
  through the same code, and explains it (:class:`Decision`): the path of questions
  and answers through the tree, the facts, the dates, the flags and the article
  passages behind them. :func:`order_facts` gives its facts alone.

The rules' numbers and wording live in ``data/knowledge/postal-tracking/tree.yaml``, not
here; a property test holds the engine to the single-order expectations.

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

from .knowledge import Node, Tree, knowledge
from .orders import Order, canonical_table
from .postal import HOME_COUNTRY, destination_post_url, destination_post_url_array, quote_numbers
from .tracking import TRACKING_STATES, tracking_number_state_codes
from .workdays import activation_deadlines, now_paris

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
    "triage_to_csv",
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


def la_poste_url(tracking_number: str | None) -> str:
    """La Poste's public tracking page for a number ('' without a number): the column
    rule of :func:`triage_table` for one number."""
    if not tracking_number:
        return ""
    return str(_la_poste_urls([tracking_number])[0])


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


def _reason(tree: Tree, node: Node, lang: str, *, dated: bool, status_known: bool,
            values: Mapping[str, Any]) -> str:
    """An outcome's reason, every placeholder filled (both engines' one way to word it)."""
    template = reason_template(tree, node, lang, dated=dated, status_known=status_known)
    return tree.fill(template, **values)


def _late_message(moment: str, as_of: dt.datetime) -> str:
    """The error of an order shipped after the as-of moment (``moment``: readable)."""
    return (f"shipped_at: '{moment}' is after the as-of moment "
            f"{as_of.strftime(READABLE_DATETIME)}")


_EMPTY_ID = "order_id: empty"


# ---------------------------------------------------------------------------
# One order: a one-row table through the column engine, explained
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
        return _reason(self.tree, self.outcome, lang,
                       dated=self.days_since_shipped is not None,
                       status_known=self.order.tracking_status is not None,
                       values=self.values())

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


def _order_table(order: Order) -> Any:
    """One order as a one-row canonical Arrow table (:func:`~tpop_kb.orders.normalize_table`'s
    columns). An order id that was not given (None) is a null: not the empty id of a file."""
    import numpy as np
    import pyarrow as pa

    from ._arrow import bools, from_numpy, strings

    moment = np.array([np.datetime64(order.shipped_at, "ns") if order.shipped_at is not None
                       else np.datetime64("NaT", "ns")])
    synced = order.store_tracking_synced
    return pa.table({
        "order_id": strings([order.order_id]),
        "shipped_at": from_numpy(moment),
        "tracking_number": strings([order.tracking_number or ""]),
        "destination_country": strings([order.destination_country or ""]),
        "tracking_status": strings([order.tracking_status or ""]),
        "customer_claim": strings([order.customer_claim or ""]),
        "store_tracking_synced": bools(np.array([bool(synced)]),
                                       missing=np.array([synced is None])),
        "error": strings(["; ".join(order.errors)]),
    })


def _one_order(order: Order, as_of: dt.datetime, tree: Tree) -> tuple[dict[str, Any],
                                                                       dict[str, Any]]:
    """The column engine's facts for one order: their codes (one-row arrays) and the facts
    decoded as words (``None``: unknown)."""
    columns = _fact_columns(_order_table(order), as_of, tree)
    domains = _vocabulary(tree)
    facts: dict[str, str | None] = {}
    for fact in FACTS:
        code = int(columns[fact][0])
        facts[fact] = None if code < 0 else domains.get(fact, _YES_NO)[code]
    return columns, facts


def _moment(value: Any) -> dt.datetime | None:
    """A datetime64 value as a naive datetime (None for NaT)."""
    import numpy as np

    if np.isnat(value):
        return None
    return dt.datetime(1970, 1, 1) + dt.timedelta(
        microseconds=int(value.astype("datetime64[ns]").astype("int64")) // 1000)


def _errors(order: Order, columns: Mapping[str, Any], as_of: dt.datetime) -> tuple[str, ...]:
    """One order's errors: the reader's, then the engine's (shipped after as-of, empty id)."""
    errors = list(order.errors)
    if columns["_late"][0]:
        errors.append(_late_message(order.shipped_at.strftime(READABLE_DATETIME), as_of))
    if columns["_empty_id"][0] and not any(e.startswith("order_id") for e in errors):
        errors.append(_EMPTY_ID)
    return tuple(errors)


def order_facts(
    order: Order, as_of: dt.datetime, tree: Tree | None = None
) -> tuple[dict[str, str | None], tuple[str, ...], dt.datetime | None]:
    """The facts the tree asks about, the order's errors, and its activation deadline:
    the column engine's (:func:`triage_table`), for one order."""
    tree = tree or knowledge().tree
    columns, facts = _one_order(order, as_of, tree)
    return facts, _errors(order, columns, as_of), _moment(columns["_deadline"][0])


def triage_order(
    order: Order,
    as_of: dt.datetime | None = None,
    *,
    answers: Mapping[str, str] | None = None,
    tree: Tree | None = None,
) -> Decision:
    """Walk the tree for one order. ``answers`` supply facts the order does not give.

    The order goes through the same column engine as a file (a one-row table): its facts,
    the walk, the flags and the dates are :func:`triage_table`'s; what this adds is the
    explanation: the path of questions in the order they were asked, each answer and
    whether the order gave it or it was assumed.
    """
    import numpy as np

    tree = tree or knowledge().tree
    as_of = as_of or now_paris()
    columns, facts = _one_order(order, as_of, tree)
    domains = _vocabulary(tree)
    codes = {fact: columns[fact] for fact in FACTS}
    for fact, value in (answers or {}).items():
        if facts.get(fact) is None:
            facts[fact] = value
            words = domains.get(fact, ())
            if fact in codes and value in words:
                codes[fact] = np.array([words.index(value)], dtype=np.int8)
    position, visits, names = _walk(codes, tree, 1)
    node = tree.nodes[names[int(position[0])]]
    path = []
    for index in sorted(np.flatnonzero(visits[:, 0] >= 0), key=lambda i: visits[i, 0]):
        question = tree.nodes[names[index]]
        code = int(codes[question.fact][0])
        words = domains[question.fact]
        known = code >= 0 and words[code] in question.answers
        path.append(Step(question, words[code] if known else question.when_unknown, known))
    bits = int(_flag_bits(codes, visits >= 0, tree, names)[0])
    flags = tuple(f for b, f in enumerate(sorted(tree.flags)) if bits >> b & 1)
    valid = facts["input_valid"] == "yes"
    dated = valid and bool(columns["ship_date_given"][0])
    deadline = _moment(columns["_deadline"][0])
    return Decision(
        order=order,
        as_of=as_of,
        outcome=node,
        path=path,
        facts=facts,
        flags=flags,
        errors=() if valid else _errors(order, columns, as_of),
        activation_deadline=deadline,
        recheck_at=deadline if "recheck_at" in node.dates else None,
        contact_from=(
            _moment(columns["_contact_day"][0]).date()
            if dated and "contact_from" in node.dates else None
        ),
        days_since_shipped=int(columns["_days"][0]) if dated else None,
        tree=tree,
    )


# ---------------------------------------------------------------------------
# The engine: facts as columns, the tree walked over them
# ---------------------------------------------------------------------------

_YES_NO = ("no", "yes")
_VOCABULARIES: dict[int, tuple[Tree, dict[str, tuple[str, ...]]]] = {}


def _vocabulary(tree: Tree) -> dict[str, tuple[str, ...]]:
    """Every fact's possible values (yes/no as no, yes): as the tree and its flags name
    them, and every verdict of the tracking-number check. Codes index these."""
    cached = _VOCABULARIES.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1]
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
    checks = values.setdefault("tracking_number_check", [])
    checks += [s for s in TRACKING_STATES if s and s not in checks]
    out = {}
    for fact, found in values.items():
        if set(found) <= {"yes", "no"}:
            out[fact] = _YES_NO
        else:
            out[fact] = tuple(found)
    _VOCABULARIES[id(tree)] = (tree, out)
    return out


def _distinct(column: Any) -> tuple[Any, list[str]]:
    """A text column as row codes into its distinct values (few: statuses, countries...),
    '' for a null."""
    from ._arrow import distinct

    codes, words = distinct(column)
    return codes, ["" if w is None else w for w in words]


_DAY_NS = 86_400 * 10**9


def _fact_columns(table: Any, as_of: dt.datetime, tree: Tree) -> dict[str, Any]:
    """Each fact as int8 codes into :func:`_vocabulary` (-1: unknown), plus per-row values
    the output needs (keys starting with ``_``).

    Every rule is computed here once, over whole columns; a single order is a one-row
    table. Dates are numpy arithmetic on each row's ship moment (no loop over moments);
    only columns of few values by nature (statuses, claims, countries) are worked out
    once per distinct value.
    """
    import numpy as np
    import pyarrow.compute as pc

    from ._arrow import one_chunk, scalar, to_numpy

    vocabulary = _vocabulary(tree)
    n = table.num_rows
    column = {name: one_chunk(table.column(name)) for name in table.column_names}

    def yes_no(condition: Any, known: Any) -> Any:
        return np.where(known, condition.astype(np.int8), np.int8(-1)).astype(np.int8)

    def words_to(fact: str, words: list[str]) -> Any:
        """int8 codes of distinct words into the fact's vocabulary (-1: '' or unknown)."""
        known = vocabulary.get(fact, ())
        return np.array([known.index(w) if w in known else -1 for w in words], dtype=np.int8)

    moments = to_numpy(column["shipped_at"]).astype("datetime64[ns]", copy=False)
    has_date = ~np.isnat(moments)
    ship_day = np.where(has_date, moments.view(np.int64) // _DAY_NS, 0)
    days = (dt.date(as_of.year, as_of.month, as_of.day) - dt.date(1970, 1, 1)).days - ship_day
    deadline = activation_deadlines(moments, tree.thresholds["activation_working_hours"])
    within = yes_no(np.datetime64(as_of, "ns") < deadline, has_date)
    past = yes_no(days > tree.thresholds["contact_after_days"], has_date)
    late = has_date & (moments > np.datetime64(as_of, "ns"))
    contact_day = (ship_day + tree.thresholds["contact_after_days"] + 1).astype("datetime64[D]")

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
    state_codes = words_to("tracking_number_check", list(TRACKING_STATES))
    error_free = to_numpy(pc.binary_length(column["error"])) == 0
    # an order id not given at all (null: a single order without one) is not an empty id
    order_id = column["order_id"]
    with_id = (~to_numpy(pc.fill_null(pc.equal(order_id, scalar("")), scalar(False)))
               if order_id.null_count else to_numpy(pc.binary_length(order_id)) > 0)
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
        "within_activation_window": within,
        "past_contact_window": past,
        "abroad": yes_no(country != HOME_COUNTRY, country != "")[country_code],
        "store_tracking_synced": yes_no(synced_true, synced_known),
        "tracking_number_given": has_number.astype(np.int8),
        "tracking_number_check": (state_codes[tracking_number_state_codes(tracking)] if n
                                  else np.zeros(0, dtype=np.int8)),
        # not facts: values the output needs
        "_late": late,
        "_status_known": status_known[status_code],
        "_moments": moments,
        "_deadline": deadline,
        "_days": days,
        "_contact_day": contact_day,
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
    """Every row starts at the root and moves one question at a time: each row's final
    node, and for each node (by index in ``names``) when each row visited it (-1: never;
    increasing along a row's path), and the node names."""
    import numpy as np

    vocabulary = _vocabulary(tree)
    names = list(tree.nodes)
    index = {name: i for i, name in enumerate(names)}
    position = np.full(n, index[tree.root], dtype=np.int16)
    visits = np.full((len(names), n), -1, dtype=np.int16)
    questions = [(index[k], q) for k, q in tree.questions.items()]
    step = 0
    for _ in range(len(names)):
        moving = False
        for node_index, node in questions:
            here = position == node_index
            if not here.any():
                continue
            moving = True
            visits[node_index][here] = step
            step += 1
            words = vocabulary[node.fact]
            otherwise = index[node.answers[node.when_unknown]]
            table = np.array([index[node.answers[w]] if w in node.answers else otherwise
                              for w in words] + [otherwise], dtype=np.int16)
            value = facts[node.fact][here]
            position[here] = table[np.where(value < 0, len(words), value)]
        if not moving:
            break
    return position, visits, names


def _flag_bits(facts: Mapping[str, Any], visited: Any, tree: Tree, names: list[str]) -> Any:
    """Each row's flags as a bitmask (bit b: the b-th flag id in sorted order): a flag is
    raised on a row that visited its ``after`` node and whose fact has its value."""
    import numpy as np

    vocabulary = _vocabulary(tree)
    index = {name: i for i, name in enumerate(names)}
    bits = np.zeros(visited.shape[1], dtype=np.int64)
    for bit, flag_id in enumerate(sorted(tree.flags)):
        flag = tree.flags[flag_id]
        code = vocabulary[flag.fact].index(flag.value)
        bits |= (visited[index[flag.after]] & (facts[flag.fact] == code)).astype(np.int64) << bit
    return bits


def _flag_texts(
    facts: Mapping[str, Any], visited: Any, tree: Tree, names: list[str], combo: Any
) -> Any:
    """Each row's flags (';'-joined, dictionary-encoded), from a bitmask per combination of
    facts (``combo``: each row's)."""
    import pyarrow as pa

    from ._arrow import from_numpy, strings

    flag_ids = sorted(tree.flags)
    bits = _flag_bits(facts, visited, tree, names)
    combos = [";".join(f for b, f in enumerate(flag_ids) if mask >> b & 1)
              for mask in range(1 << len(flag_ids))]
    return pa.DictionaryArray.from_arrays(from_numpy(bits[combo]), strings(combos))


def _coded_texts(values: Any, shown: Any, text: Any) -> tuple[Any, Any]:
    """Integer values (one a row) as a dictionary-encoded text column, '' where not
    ``shown``: ``text`` turns the distinct values shown (a numpy array) into their texts.
    Returns the column and each row's code (the last code: '')."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import codes_of, from_numpy, strings, to_numpy

    encoded = pc.dictionary_encode(from_numpy(values.astype(np.int64), missing=~shown))
    distinct = to_numpy(encoded.dictionary)
    codes = codes_of(encoded.indices, len(distinct))
    words = strings([*text(distinct), ""])
    return pa.DictionaryArray.from_arrays(from_numpy(codes.astype(np.int32)), words), codes


def _minute_texts(minutes: Any) -> list[str]:
    import numpy as np

    return list(np.datetime_as_string(minutes.astype("datetime64[m]"), unit="m"))


def _day_texts(days: Any) -> list[str]:
    import numpy as np

    return list(np.datetime_as_string(days.astype("datetime64[D]"), unit="D"))


def triage_table(
    orders: Any,
    as_of: dt.datetime | None = None,
    *,
    tree: Tree | None = None,
    dictionaries: bool = False,
) -> Any:
    """Triage every row of canonical orders into an Arrow table of OUTPUT_COLUMNS.

    ``orders``: the canonical Arrow table (:func:`~tpop_kb.orders.normalize_table`,
    ``read_orders(...).orders_table``) or a canonical pandas frame. The engine: facts as
    small integer codes computed over whole columns (dates by numpy arithmetic on every
    row), the tree walked node by node once per distinct combination of facts, texts
    assembled in Arrow; each reason is worded once per distinct set of values it shows.
    :func:`triage_frame` is its pandas view; :func:`triage_order` runs one order through it.

    ``dictionaries=True`` leaves the columns of few distinct texts (outcome, dates,
    flags, reason, article_ref) dictionary-encoded, as they are built: the same values
    in a fraction of the memory (the command line writes them so).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import (
        bools,
        codes_of,
        empty_strings,
        from_numpy,
        one_chunk,
        scalar,
        strings,
    )

    table = orders if isinstance(orders, pa.Table) else canonical_table(orders)
    tree = tree or knowledge().tree
    as_of = as_of or now_paris()
    n = table.num_rows
    facts = _fact_columns(table, as_of, tree)
    combo, combo_facts = _combinations(facts)  # rows with the same facts walk once
    combo_position, visits, names = _walk(combo_facts, tree, len(combo_facts["shipped"]))
    position = combo_position[combo]

    valid = facts["input_valid"] == 1
    has_date = facts["ship_date_given"] == 1
    with_date = has_date & valid
    shows_recheck = np.array([("recheck_at" in tree.nodes[k].dates) for k in names])
    shows_contact = np.array([("contact_from" in tree.nodes[k].dates) for k in names])
    deadline_minute = np.where(has_date, facts["_deadline"].view(np.int64), 0) // (60 * 10**9)
    recheck, recheck_code = _coded_texts(deadline_minute, shows_recheck[position] & has_date,
                                         _minute_texts)
    contact, _ = _coded_texts(facts["_contact_day"].astype(np.int64),
                              shows_contact[position] & with_date, _day_texts)
    days = facts["_days"]

    def coded(indices: Any, texts: Any) -> Any:  # row -> one of a few texts
        return pa.DictionaryArray.from_arrays(from_numpy(indices.astype(np.int32)),
                                              strings(texts))

    # Reasons: worded once per distinct (outcome, validity, status given, date given, days,
    # recheck moment shown), then taken by the rows
    shown_days = pc.dictionary_encode(from_numpy(days, missing=~with_date))
    days_code = codes_of(shown_days.indices, len(shown_days.dictionary))
    recheck_words = len(recheck.dictionary)
    small = ((position.astype(np.int64) * 2 + valid) * 2 + facts["_status_known"]) * 2 + has_date
    key = (small * (len(shown_days.dictionary) + 1) + days_code) * recheck_words + recheck_code
    encoded = pc.dictionary_encode(from_numpy(key))
    key_row = codes_of(encoded.indices, 0)
    first = np.empty(len(encoded.dictionary), dtype=np.int64)
    first[key_row[::-1]] = np.arange(n - 1, -1, -1)  # a row of each key: its first
    recheck_texts = recheck.dictionary.to_pylist()
    reasons = []
    for row in first:
        node = tree.nodes[names[position[row]]]
        dated = bool(with_date[row])
        values = {
            "days_since_shipped": int(days[row]) if dated else "",
            "recheck_at": recheck_texts[recheck_code[row]].replace("T", " "),
            "contact_from": (str(facts["_contact_day"][row])
                             if dated and shows_contact[position[row]] else ""),
        }
        reasons.append(_reason(tree, node, "en", dated=bool(has_date[row]),
                               status_known=bool(facts["_status_known"][row]), values=values))
    reason = coded(key_row, reasons)

    # Errors: the reader's, then "shipped after as-of", then an empty id; none on a valid row
    error = facts["_error"]
    late = np.flatnonzero(facts["_late"])
    if len(late):
        moments = _minute_texts(facts["_moments"][late])
        texts = [
            (f"{before}; " if before else "") + _late_message(moment.replace("T", " "), as_of)
            for before, moment in zip(error.take(from_numpy(late)).to_pylist(), moments,
                                      strict=True)
        ]
        mask = np.zeros(n, dtype=bool)
        mask[late] = True
        error = pc.replace_with_mask(error, bools(mask), strings(texts))
    empty_id = np.flatnonzero(facts["_empty_id"])
    if len(empty_id):  # as order_facts: unless a message is the id's already
        before = error.take(from_numpy(empty_id)).to_pylist()
        texts = [b if b.startswith("order_id") or "; order_id" in b
                 else (f"{b}; " if b else "") + _EMPTY_ID for b in before]
        mask = np.zeros(n, dtype=bool)
        mask[empty_id] = True
        error = pc.replace_with_mask(error, bools(mask), strings(texts))
    error = pc.if_else(bools(valid), scalar(""), error) if n else empty_strings(0)

    tracking = facts["_tracking"]
    refs = [";".join(tree.nodes[k].passages) for k in names]
    order_id = one_chunk(table.column("order_id"))
    if order_id.null_count:
        order_id = pc.fill_null(order_id, scalar(""))
    columns = {
        "order_id": order_id,
        "outcome": coded(position, names),
        "recheck_at": recheck,
        "contact_from": contact,
        "days_since_shipped": from_numpy(days, missing=~with_date),
        "tracking_url": _la_poste_urls(tracking),
        "destination_post_url": destination_post_url_array(
            table.column("destination_country"), tracking, valid & (facts["shipped"] == 1)),
        "flags": _flag_texts(combo_facts, visits >= 0, tree, names, combo),
        "reason": reason,
        "article_ref": coded(position, refs),
        "error": error,
    }
    if not dictionaries:
        columns = {k: v.dictionary_decode() if isinstance(v, pa.DictionaryArray) else v
                   for k, v in columns.items()}
    return pa.table({c: columns[c] for c in OUTPUT_COLUMNS})


def _la_poste_urls(tracking: Any) -> Any:
    """La Poste links for a column of numbers ('' without a number), URL-encoded: the one
    rule (:func:`la_poste_url` is it for one number)."""
    import pyarrow.compute as pc

    from ._arrow import bools, scalar, texts, to_numpy

    tracking = texts(tracking)
    template = knowledge().postal["la_poste"]["tracking_url"]
    prefix, _, suffix = template.partition("{n}")
    links = pc.binary_join_element_wise(scalar(prefix), quote_numbers(tracking),
                                        scalar(suffix), scalar(""))
    return pc.if_else(bools(to_numpy(pc.binary_length(tracking)) == 0), scalar(""), links)


#: orders triaged and written at a time (131,072): a big result never sits whole in memory
BATCH_ROWS = 1 << 17


def triage_to_csv(orders: Any, as_of: dt.datetime, sink: Any, *,
                  tree: Tree | None = None) -> dict[str, int]:
    """Triage a canonical Arrow table batch by batch into UTF-8 CSV at ``sink`` (a path or
    a binary file): a header line, then one line per order (Arrow's writer; text values
    quoted where needed, empty days left empty). Returns the count of each outcome.

    Batches of :data:`BATCH_ROWS` are triaged two at a time (two cores) while the previous
    one is written, so memory stays flat whatever the size. The command line and each
    partition of the Dask engine write through it: the same bytes.
    """
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor, wait

    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(quoting_style="needed")
    counts: dict[str, int] = {}
    writer = None
    writing: Future[None] | None = None  # one batch is written while the next are triaged
    pending: deque[Future[Any]] = deque()  # batches triaged two at a time (two cores)

    def write(part: Any) -> None:
        nonlocal writer, writing
        for code, count in _counts(part.column("outcome")).items():
            counts[code] = counts.get(code, 0) + count
        if writer is None:
            writer = pacsv.CSVWriter(sink, part.schema, write_options=options)
        if writing is not None:
            writing.result()
        writing = writers.submit(writer.write_table, part)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tpop-write") as writers, \
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="tpop-triage") as workers:
        try:
            for start in range(0, max(orders.num_rows, 1), BATCH_ROWS):
                pending.append(workers.submit(triage_table, orders.slice(start, BATCH_ROWS),
                                              as_of, tree=tree, dictionaries=True))
                if len(pending) >= 2:  # two triaged at once, one written: memory stays flat
                    write(pending.popleft().result())
            while pending:
                write(pending.popleft().result())
            if writing is not None:
                writing.result()
        finally:
            wait([*pending, *([writing] if writing is not None else [])])
            if writer is not None:  # never closed under a write in flight (waited above)
                writer.close()
    return counts


def _counts(outcomes: Any) -> dict[str, int]:
    """How many of each outcome in an Arrow column of outcomes."""
    import pyarrow.compute as pc

    found = pc.value_counts(outcomes)
    return dict(zip(found.field("values").to_pylist(), found.field("counts").to_pylist(),
                    strict=True))


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
