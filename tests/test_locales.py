"""One list of languages: ``tpop_kb.knowledge.LANGUAGES`` / ``LOCALES``.

No module of the package writes the languages out again as a literal pair
(``("fr", "en")``, ``["en", "fr"]``, ``{'en','fr'}``...): a third language, or one
removed, is then a change in one place.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tpop_kb.knowledge import LANGUAGES, LOCALES

PACKAGE = Path(__file__).resolve().parents[1] / "tpop_kb"
#: the one place the list is written
DEFINITION = PACKAGE / "knowledge.py"
_CODES = "|".join(sorted({*LANGUAGES, "en", "fr"}))
#: two language codes as a literal tuple, list or set (any quotes, spacing, order)
PAIR = re.compile(
    rf"""[(\[{{]\s*(['"])(?:{_CODES})\1\s*,\s*(['"])(?:{_CODES})\2\s*,?\s*[)\]}}]"""
)


def _sources() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*")
        if p.suffix in (".py", ".js") and p != DEFINITION and "__pycache__" not in p.parts
    )


@pytest.mark.parametrize(
    "line",
    ['("fr", "en")', "['en', 'fr']", "('en','fr')", '{"en", "fr"}', 'in ("en", "fr"):',
     'const LANGS = ["fr", "en"];'],
)
def test_pair_pattern_finds_literal_pairs(line: str) -> None:
    assert PAIR.search(line)


@pytest.mark.parametrize("line", ['("fr", "x")', 'lang == "fr"', '{"en": 1, "fr": 2}'])
def test_pair_pattern_ignores_other_text(line: str) -> None:
    assert not PAIR.search(line)


def test_no_literal_language_pairs_outside_knowledge() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PAIR.search(line)
    ]
    assert not found, "use tpop_kb.knowledge.LANGUAGES instead of:\n" + "\n".join(found)


def test_languages_and_locales_agree() -> None:
    assert set(LOCALES) == set(LANGUAGES)


def test_browser_languages_come_from_python() -> None:
    from tpop_kb.apps._base import PageSession, asset

    assert PageSession().langs == list(LANGUAGES)
    script = asset("common.js")
    assert 'model.get("langs")' in script
    assert not re.search(r"LANGS\s*=\s*\[", script)
