"""tpop_kb: TPOP's "Postal tracking of an order" help article as software.

The public API. Everything else is an implementation detail::

    >>> from tpop_kb import read_orders, triage_frame, triage_order, Order
    >>> table = read_orders("data/samples/orders.csv")
    >>> result = triage_frame(table.orders, as_of)

Outcome codes (:data:`OUTCOMES`) and output columns (:data:`OUTPUT_COLUMNS`)
are a stable public vocabulary.

Also: :mod:`tpop_kb.postal` (destination postal links, tracking-number checks),
:mod:`tpop_kb.laposte` (live La Poste status, opt-in with ``LAPOSTE_OKAPI_KEY``)
and :mod:`tpop_kb.article_watch` (has the published help article changed?).
"""

from typing import TYPE_CHECKING, Any

from .knowledge import KnowledgeBase, KnowledgeError, data_dir, knowledge
from .orders import (
    CANONICAL_COLUMNS,
    Order,
    OrderFileError,
    OrderTable,
    map_columns,
    order_from_record,
    read_orders,
)
from .postal import Operator, destination_post, destination_post_url, operators
from .tracking import TrackingCheck, check_tracking_number
from .triage import (
    OUTCOMES,
    OUTPUT_COLUMNS,
    Decision,
    la_poste_url,
    triage_frame,
    triage_order,
    triage_table,
)
from .workdays import activation_deadline, activation_deadlines, is_working_day, now_paris

if TYPE_CHECKING:
    from .paste import PastedOrder, PasteError, parse_paste
    from .replies import Draft, drafts

__version__ = "0.1.0"

# The pages' helpers load on first use: `python -m tpop_kb triage` does not need them.
_LAZY = {
    "PastedOrder": "paste",
    "PasteError": "paste",
    "parse_paste": "paste",
    "Draft": "replies",
    "drafts": "replies",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Draft",
    "PasteError",
    "PastedOrder",
    "drafts",
    "parse_paste",
    "triage_table",
    "CANONICAL_COLUMNS",
    "OUTCOMES",
    "OUTPUT_COLUMNS",
    "Decision",
    "KnowledgeBase",
    "KnowledgeError",
    "Order",
    "OrderFileError",
    "OrderTable",
    "Operator",
    "TrackingCheck",
    "__version__",
    "activation_deadline",
    "activation_deadlines",
    "check_tracking_number",
    "data_dir",
    "destination_post",
    "destination_post_url",
    "is_working_day",
    "knowledge",
    "la_poste_url",
    "map_columns",
    "now_paris",
    "operators",
    "order_from_record",
    "read_orders",
    "triage_frame",
    "triage_order",
]
