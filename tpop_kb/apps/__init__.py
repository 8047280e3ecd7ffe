"""The Voila pages, one app class per page (see :mod:`tpop_kb.apps._base` for the pattern).

A notebook holds two lines, e.g. ``from tpop_kb.apps import OrderAssistantApp`` and
``OrderAssistantApp()``. Each page's module is imported only when its class is asked
for, so a page loads only what it needs.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = {
    "LandingApp": "landing",
    "OrderAssistantApp": "order_assistant",
    "BulkTriageApp": "bulk_triage",
    "TrainingApp": "training",
    "KnowledgeExplorerApp": "knowledge_explorer",
    "InsightsApp": "insights",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'tpop_kb.apps' has no attribute {name!r}")
    module = importlib.import_module(f".{_MODULES[name]}", __name__)
    return getattr(module, name)


def __dir__() -> list[str]:
    return __all__
