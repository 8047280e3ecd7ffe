"""Characters that must never reach a page, a reply or an export unseen.

A paste or a file may carry characters that change how text *looks* without showing
themselves: the bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE turns
``#1087 gpj.exe`` into something else on screen), zero-width characters and the C0/C1
control characters. Copied into a reply sent to a customer they are visual spoofing;
in an order number they make two equal-looking numbers differ.

Every text that came from a customer, a paste or a file goes through :func:`visible`
before it is read, shown or copied: the order reader (both paths), the paste reader, the
page's escaping function and the reply drafts' values.

Sources: Unicode Standard Annex #9 (bidirectional algorithm: explicit formatting
characters U+202A–U+202E, U+2066–U+2069, marks U+200E, U+200F, U+061C) and Unicode
Technical Report #36 (security considerations: invisible and control characters).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["INVISIBLE_CLASS", "clean", "normalize_key", "shorten", "visible"]

#: The characters :func:`visible` removes, as a character class that both Python's ``re``
#: and Arrow's RE2 run (real characters, not escapes): C0 controls but the whitespace ones
#: (tab, line feed, vertical tab, form feed, carriage return, the separators U+001C–U+001F);
#: DEL and the C1 controls but next line (U+0085); Arabic letter mark; zero-width space,
#: non-joiner; left-to-right and right-to-left marks; bidirectional embeddings,
#: overrides and isolates; word joiner and invisible operators; byte order mark.
#: The zero-width joiner (U+200D) stays: emoji sequences need it.
INVISIBLE_CLASS = (
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u061c\u200b\u200c\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)

_INVISIBLE = re.compile(INVISIBLE_CLASS)
#: Control characters that are whitespace to Python (``str.split``): shown as a space
_CONTROL_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")


def visible(value: Any) -> str:
    """``value`` as text without the invisible and control characters (None -> ''); the
    control characters that are whitespace become a space.

    >>> visible("#1087\\u202egpj.exe")
    '#1087gpj.exe'
    """
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        return text
    return _CONTROL_SPACE.sub(" ", _INVISIBLE.sub("", text))


def clean(value: Any) -> str:
    """A cell as text: None/NaN -> '', invisible and control characters out
    (:func:`visible`), non-breaking and repeated spaces folded, ends stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    return " ".join(visible(value).replace("\u00a0", " ").replace("\u202f", " ").split())


def normalize_key(text: Any) -> str:
    """``"N° de Commande "`` -> ``"ndecommande"``: case, accents, spaces and punctuation out
    (how headers, values and country names are matched against their aliases)."""
    decomposed = unicodedata.normalize("NFKD", str(text)).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def shorten(value: str, limit: int = 60) -> str:
    """``value`` cut to ``limit`` characters with an ellipsis (a value quoted in a message)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
