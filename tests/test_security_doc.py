"""docs/security.md names the test behind each claim: every name it gives must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
PREFIXES = {
    "browser": "tests/browser/test_shared_server.py",
    "config": "tests/test_shared_server.py",
    "security": "tests/browser/test_security.py",
    "faults": "tests/browser/test_faults.py",
    "page-input": "tests/test_page_input.py",
    "page-faults": "tests/test_page_faults.py",
    "corpus": "tests/test_corpus.py",
    "export": "tests/test_export.py",
}


def test_every_test_the_threat_model_names_exists():
    text = DOC.read_text(encoding="utf-8")
    named = re.findall(r"`([a-z-]+)::(test_\w+)`", text)
    named += [(path, name) for path, name in
              re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", text)]
    assert len(named) > 30
    missing = []
    for where, name in named:
        path = ROOT / PREFIXES.get(where, where)
        if not re.search(rf"^def {name}\(", path.read_text(encoding="utf-8"), re.M):
            missing.append(f"{where}::{name}")
    assert missing == []
    for prefix, path in PREFIXES.items():
        assert f"`{prefix}::` is `{path}`" in text.replace("\n", " "), prefix
