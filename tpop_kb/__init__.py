"""tpop_kb: TPOP's "Postal tracking of an order" help article as software.

The public API. Everything else is an implementation detail::

    >>> from tpop_kb import read_orders, triage_frame, triage_order, Order
    >>> table = read_orders("data/samples/orders.csv")
    >>> result = triage_frame(table.orders, as_of)

Outcome codes (:data:`OUTCOMES`) and output columns (:data:`OUTPUT_COLUMNS`)
are a stable public vocabulary.
"""

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
from .triage import OUTCOMES, OUTPUT_COLUMNS, Decision, la_poste_url, triage_frame, triage_order
from .workdays import activation_deadline, activation_deadlines, is_working_day, now_paris

__version__ = "0.1.0"

__all__ = [
    "CANONICAL_COLUMNS",
    "OUTCOMES",
    "OUTPUT_COLUMNS",
    "Decision",
    "KnowledgeBase",
    "KnowledgeError",
    "Order",
    "OrderFileError",
    "OrderTable",
    "__version__",
    "activation_deadline",
    "activation_deadlines",
    "data_dir",
    "is_working_day",
    "knowledge",
    "la_poste_url",
    "map_columns",
    "now_paris",
    "order_from_record",
    "read_orders",
    "triage_frame",
    "triage_order",
]
