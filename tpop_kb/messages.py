"""The engine's messages in either language: one template per message, built once.

The order reader, the help-article watch and the live La Poste status explain problems
(a file that cannot be read, a cell that is not a date, a network that does not answer).
Each such message has a code and values; its templates, in English and in French, are
in ``data/ui/messages.yaml`` (section ``messages``). The engine builds the English text
(the command line and the downloaded files stay in English); a page shows the same
message in its own language:

- :func:`message` renders a code with its values: ``message("orders.empty", "fr")``;
- :class:`Msg` is a message not rendered yet (a code and values): an error that carries
  one (``OrderFileError``) is shown in any language;
- :func:`translate` gives the page's language for what was already built in English:
  the per-row ``error`` column of a file (a million rows are built as English strings,
  once per distinct value; a page translates the few rows it shows), a note, a reason.
  Text that is not one of the messages (La Poste's own words, an OS error) is returned
  as it is. A row's column is named as the page names it (``Ship date``, ``Date
  d'expédition``: the labels of ``data/columns.yaml``), in English too.

Placeholders: ``{problem}`` and ``{reason}`` hold another message (``{problem}`` always
one, ``{reason}`` when it is one), translated with it; the others hold values (a cell, a
file name, a number), never translated.
"""

from __future__ import annotations

import re
from typing import Any

from .knowledge import LANGUAGES, knowledge

__all__ = ["Msg", "message", "templates", "translate"]

#: placeholders that hold another message (``problem`` always, the others when they are one)
_NESTED = ("problem", "reason", "delimiter", "shown")
#: how a row's messages are joined (the files: "; ")
_JOIN = {"en": "; ", "fr": " ; "}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def templates() -> dict[str, dict[str, str]]:
    """Every message template: ``{"orders.not_a_date": {"en": ..., "fr": ...}, ...}``."""
    return _compiled()[0]


def message(code: str, lang: str = "en", **values: Any) -> str:
    """The message ``code`` (``"orders.not_a_date"``) in ``lang``, its placeholders filled;
    a :class:`Msg` value is rendered in the same language, a list of them joined by
    ``"; "`` (``" ; "`` in French). Plain text, not escaped.

    >>> message("orders.row", "fr", column="order_id", problem=Msg("orders.empty"))
    'order_id : vide'
    """
    texts = templates()[code]
    text = str(texts.get(lang) or texts["en"])
    for name, value in values.items():
        if isinstance(value, Msg):
            shown = value.render(lang)
        elif isinstance(value, (list, tuple)):
            shown = _JOIN.get(lang, "; ").join(
                v.render(lang) if isinstance(v, Msg) else str(v) for v in value)
        else:
            shown = str(value)
            if name in _NESTED and lang != "en":  # an English message given as text
                shown = _match(shown, lang) or shown
        text = text.replace("{" + name + "}", shown)
    return text


class Msg:
    """A message not rendered yet: its code and values. ``str()`` is its English text."""

    __slots__ = ("code", "values")

    def __init__(self, code: str, **values: Any) -> None:
        if code not in templates():
            raise KeyError(f"no message template {code!r} in data/ui/messages.yaml")
        self.code = code
        self.values = values

    def render(self, lang: str = "en") -> str:
        return message(self.code, lang, **self.values)

    def __str__(self) -> str:
        return self.render("en")

    def __repr__(self) -> str:
        return f"Msg({self.code!r}, **{self.values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.code, self.values) == (other.code, other.values)

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted(self.values))))


def translate(text: Any, lang: str) -> str:
    """A message of the engine in ``lang``: the one call a page makes before showing one.

    ``text`` is a :class:`Msg`, an error carrying one (``error.msg``, e.g.
    :class:`~tpop_kb.orders.OrderFileError`), or text the engine built in English (a row's
    ``error`` cell, several messages joined by ``"; "``; a note; a reason). English text
    that matches a template of ``data/ui/messages.yaml`` comes back in ``lang``; any other
    text comes back as it is (plain text: the page escapes it).

    >>> translate("shipped_at: '31/02/2026' is not a date (expected 2026-11-24, "
    ...           "2026-11-24 09:00, 24/11/2026 or 24/11/2026 09:00)", "fr")[:53]
    "Date d'expédition : « 31/02/2026 » n'est pas une date"
    """
    if isinstance(text, Msg):
        return text.render(lang)
    msg = getattr(text, "msg", None)
    if isinstance(msg, Msg):
        return msg.render(lang)
    text = "" if text is None else str(text)
    if lang not in _JOIN or not text:
        return text
    raw = text.split("; ") if "; " in text else []  # a row's messages, one per column
    parts = [_match(part, lang) for part in raw]
    if parts and all(p is not None for p in parts):
        return _JOIN[lang].join(parts)  # type: ignore[arg-type]
    found = _match(text, lang)
    if found is not None:
        return found
    if any(p is not None for p in parts):
        return _JOIN[lang].join(
            p if p is not None else r for p, r in zip(parts, raw, strict=True))
    return text


def _match(text: str, lang: str) -> str | None:
    """``text`` in ``lang`` when it is one of the English templates, else None."""
    for code, pattern, names in _compiled()[1]:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        values: dict[str, str] = {}
        ok = True
        for name in names:
            value = found.group(name)
            if name in _NESTED:
                inner = _match(value, lang)
                if inner is None and name == "problem":
                    ok = False
                    break
                value = value if inner is None else inner
            elif name == "column":  # the field's name on the page, not the file's code
                value = _column_label(value, lang)
            values[name] = value
        if ok:
            return message(code, lang, **values)
    return None


def _column_label(column: str, lang: str) -> str:
    """A column of the order reader by its label in ``lang`` (data/columns.yaml)."""
    spec = knowledge().columns["columns"].get(column)
    labels = spec.get("label") if isinstance(spec, dict) else None
    return str(labels.get(lang) or column) if isinstance(labels, dict) else column


_CACHE: dict[int, tuple[dict[str, dict[str, str]], list[tuple[str, re.Pattern[str],
                                                                 tuple[str, ...]]]]] = {}


def _compiled() -> tuple[dict[str, dict[str, str]],
                         list[tuple[str, re.Pattern[str], tuple[str, ...]]]]:
    """The templates by code, and the English ones as patterns (most specific first)."""
    ui = knowledge().ui
    key = id(ui)
    if key not in _CACHE:
        flat: dict[str, dict[str, str]] = {}

        def walk(node: Any, where: str) -> None:
            if isinstance(node, dict) and set(node) == set(LANGUAGES):
                flat[where] = {lang: str(node[lang]) for lang in LANGUAGES}
            elif isinstance(node, dict):
                for name, child in node.items():
                    walk(child, f"{where}.{name}" if where else str(name))

        walk(ui.get("messages", {}), "")
        patterns = []
        for code, texts in flat.items():
            english = texts["en"]
            names = tuple(dict.fromkeys(_PLACEHOLDER.findall(english)))
            if not names and not english.strip():
                continue
            parts = _PLACEHOLDER.split(english)  # literal, name, literal, name, ...
            seen: set[str] = set()
            regex = ""
            for i, part in enumerate(parts):
                if i % 2 == 0:
                    regex += re.escape(part)
                elif part in seen:
                    regex += f"(?P={part})"
                else:
                    seen.add(part)
                    regex += f"(?P<{part}>.+?)"
            literal = len(_PLACEHOLDER.sub("", english))
            patterns.append((literal, code, re.compile(regex, re.DOTALL), names))
        patterns.sort(key=lambda item: -item[0])
        _CACHE.clear()
        _CACHE[key] = (flat, [(code, pattern, names) for _, code, pattern, names in patterns])
    return _CACHE[key]
