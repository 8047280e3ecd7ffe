"""The knowledge base: help articles, their passages and decision trees, as data.

Everything a non-programmer may edit lives in the ``data/`` folder:

- ``data/knowledge/<article-id>/article.yaml``: the article's metadata and its
  passages (stable ids, verbatim English text, French rendering);
- ``data/knowledge/<article-id>/article.txt``: the article as published;
- ``data/knowledge/<article-id>/tree.yaml``: the article's decision tree and
  thresholds (optional: an article may be reference only);
- ``data/columns.yaml``, ``data/postal.yaml``, ``data/ui.yaml`` and the other
  top-level files: column aliases, links, page wording.

A second article is one more folder under ``data/knowledge/``; no code changes.

Like ``pycountry``, one small class (:class:`KnowledgeBase`) loads the files
lazily, once, and validates them; a broken file raises
:class:`KnowledgeError` naming the file and the line.

Source of the rules: https://help.tpop.com/en/article/ubh8wu ("Postal tracking
of an order", updated on 12/09/2024).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "Article",
    "Flag",
    "KnowledgeBase",
    "KnowledgeError",
    "LANGUAGES",
    "LOCALES",
    "Node",
    "Passage",
    "Tree",
    "data_dir",
    "knowledge",
    "line_of",
    "ui_text",
]

LANGUAGES = ("en", "fr")
#: The locale (CLDR, as Babel names it) each language formats dates and numbers with: the
#: one list of locales of the package.
LOCALES = {"en": "en_GB", "fr": "fr_FR"}
MAIN_ARTICLE = "postal-tracking"


class KnowledgeError(ValueError):
    """A data file is missing or malformed. The message names the file (and the line)."""


def data_dir() -> Path:
    """Where the knowledge data lives.

    ``TPOP_KB_DATA`` wins; then the copy shipped inside an installed wheel
    (``tpop_kb/data``); then the repository's top-level ``data/`` folder.
    """
    env = os.environ.get("TPOP_KB_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "data", here.parent / "data"):
        if (candidate / "knowledge").is_dir():
            return candidate
    raise KnowledgeError(
        f"No knowledge data found: looked in {here / 'data'} and {here.parent / 'data'}. "
        "Set TPOP_KB_DATA to the data folder."
    )


# ---------------------------------------------------------------------------
# YAML loading with file and line in every error
# ---------------------------------------------------------------------------


def _yaml_scalar(value: Any) -> Any:
    """YAML 1.1 reads bare yes/no as booleans; the knowledge files mean the words."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def _fix_booleans(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {_yaml_scalar(k): _fix_booleans(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fix_booleans(v) for v in obj]
    return _yaml_scalar(obj)


# libyaml's safe loader (ten times faster: every page and command reads these files),
# else PyYAML's pure-Python one; both build the same values and report the same lines.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """Read one YAML data file; errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: file is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot be read ({exc})") from None
    try:
        return _fix_booleans(yaml.load(text, Loader=_SAFE_LOADER))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(f"{path}{where}: not valid YAML ({problem})") from None


def ui_text(key: str, lang: str, **values: Any) -> str:
    """A text of the page wording (``data/ui.yaml`` and ``data/ui/*.yaml``) by its dotted
    key, in ``lang``, ``{name}`` placeholders filled with the values as given: plain text,
    not escaped; a language without a text gets the English one. Pages use
    :func:`tpop_kb.apps._base.wording` (HTML, escaped by default),
    built on this; engine modules with a text of their own (postal links' notes, the
    article watch, the live La Poste status) use it directly.
    """
    node: Any = knowledge().ui
    for part in key.split("."):
        node = node[part]
    text = str(node[lang] if lang in node else node["en"])
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def line_of(path: Path, key: str) -> str:
    """Best effort: ', line N' of the first line that defines ``key:``."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(rf"\s*-?\s*(id:\s*)?{re.escape(key)}\s*:?", line):
                return f", line {number}"
    except OSError:
        pass
    return ""


def _texts(raw: Any, path: Path, where: str) -> dict[str, str]:
    """A text in every language: ``{en: ..., fr: ...}``."""
    if not isinstance(raw, Mapping) or any(not raw.get(lang) for lang in LANGUAGES):
        raise KnowledgeError(
            f"{path}{line_of(path, where.split('.')[-1])}: {where} needs a text in "
            f"each of {', '.join(LANGUAGES)}"
        )
    return {lang: str(raw[lang]).strip() for lang in LANGUAGES}


def _text_lists(raw: Any, path: Path, where: str) -> dict[str, list[str]]:
    if not isinstance(raw, Mapping) or any(not raw.get(lang) for lang in LANGUAGES):
        raise KnowledgeError(
            f"{path}{line_of(path, where.split('.')[-1])}: {where} needs a list of "
            f"steps in each of {', '.join(LANGUAGES)}"
        )
    return {lang: [str(s).strip() for s in raw[lang]] for lang in LANGUAGES}


# ---------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """One passage of a help article, with a stable id."""

    id: str
    kind: str
    actionable: bool
    text: str  # verbatim English, as published
    fr: str

    def in_(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.text


@dataclass(frozen=True)
class Node:
    """A question or an outcome of a decision tree."""

    id: str
    kind: str  # "question" | "outcome"
    passages: tuple[str, ...]
    # questions
    fact: str = ""
    text: dict[str, str] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    answer_text: dict[str, dict[str, str]] = field(default_factory=dict)
    when_unknown: str = ""
    # outcomes
    tone: str = ""
    title: dict[str, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    steps: dict[str, list[str]] = field(default_factory=dict)
    reason: dict[str, str] = field(default_factory=dict)
    dates: tuple[str, ...] = ()

    @property
    def is_outcome(self) -> bool:
        return self.kind == "outcome"


@dataclass(frozen=True)
class Flag:
    """A remark added to every order that reaches node ``after`` with ``fact == value``."""

    id: str
    after: str
    fact: str
    value: str
    passages: tuple[str, ...]
    title: dict[str, str]
    text: dict[str, str]


BOOLEAN_ANSWER_TEXT = {
    "yes": {"en": "Yes", "fr": "Oui"},
    "no": {"en": "No", "fr": "Non"},
}


@dataclass(frozen=True)
class Tree:
    """A decision tree: thresholds, question and outcome nodes, flags."""

    article_id: str
    root: str
    thresholds: dict[str, int]
    nodes: dict[str, Node]
    flags: dict[str, Flag]
    #: Words the reasons use for what an order says or does not say ({tracking} ...).
    wording: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def outcomes(self) -> dict[str, Node]:
        return {k: n for k, n in self.nodes.items() if n.is_outcome}

    @property
    def questions(self) -> dict[str, Node]:
        return {k: n for k, n in self.nodes.items() if not n.is_outcome}

    def question_for(self, fact: str) -> Node:
        for node in self.questions.values():
            if node.fact == fact:
                return node
        raise KeyError(fact)

    def fill(self, text: str, **values: Any) -> str:
        """Put thresholds (and any given values) into a text's {placeholders}."""
        return _format(text, {**self.thresholds, **values})

    def answer_label(self, node: Node, answer: str, lang: str) -> str:
        texts = node.answer_text.get(answer) or BOOLEAN_ANSWER_TEXT.get(answer)
        return texts[lang] if texts else answer

    def reachable(self) -> set[str]:
        seen: set[str] = set()
        todo = [self.root]
        while todo:
            node_id = todo.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            todo.extend(self.nodes[node_id].answers.values())
        return seen


def _format(text: str, values: Mapping[str, Any]) -> str:
    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return re.sub(r"\{(\w+)\}", sub, text)


@dataclass(frozen=True)
class Article:
    """A help article: metadata, passages, published text and (optionally) a tree."""

    id: str
    title: dict[str, str]
    source_url: str
    updated_on: dt.date
    category: dict[str, str]
    passages: dict[str, Passage]
    text: str
    tree: Tree | None


# ---------------------------------------------------------------------------
# Parsing and validation
# ---------------------------------------------------------------------------


def _parse_passages(raw: Any, path: Path) -> dict[str, Passage]:
    if not isinstance(raw, list) or not raw:
        raise KnowledgeError(f"{path}: 'passages' must be a non-empty list")
    passages: dict[str, Passage] = {}
    for item in raw:
        if not isinstance(item, Mapping) or not item.get("id"):
            raise KnowledgeError(f"{path}: every passage needs an 'id'")
        pid = str(item["id"])
        if pid in passages:
            raise KnowledgeError(f"{path}{line_of(path, pid)}: passage id '{pid}' is repeated")
        for key in ("text", "fr"):
            if not item.get(key):
                raise KnowledgeError(f"{path}{line_of(path, pid)}: passage '{pid}' has no {key}")
        passages[pid] = Passage(
            id=pid,
            kind=str(item.get("kind", "context")),
            actionable=item.get("actionable") in ("yes", True),
            text=" ".join(str(item["text"]).split()),
            fr=" ".join(str(item["fr"]).split()),
        )
    return passages


OUTCOME_DATES = ("recheck_at", "contact_from")


def _dates(raw: Any, path: Path, node_id: str) -> tuple[str, ...]:
    dates = tuple(str(d) for d in raw or ())
    for name in dates:
        if name not in OUTCOME_DATES:
            raise KnowledgeError(
                f"{path}{line_of(path, node_id)}: outcome '{node_id}' lists date '{name}'; "
                f"known dates are {', '.join(OUTCOME_DATES)}"
            )
    return dates


def _parse_tree(raw: Any, path: Path, article_id: str, passages: Mapping[str, Passage]) -> Tree:
    if not isinstance(raw, Mapping):
        raise KnowledgeError(f"{path}: expected a mapping with root, thresholds, nodes")
    for key in ("root", "thresholds", "nodes"):
        if key not in raw:
            raise KnowledgeError(f"{path}: '{key}' is missing")
    thresholds = {}
    for name, value in (raw.get("thresholds") or {}).items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise KnowledgeError(
                f"{path}{line_of(path, name)}: threshold '{name}' must be a whole number > 0"
            )
        thresholds[str(name)] = value

    def cited(item: Mapping[str, Any], where: str) -> tuple[str, ...]:
        ids = tuple(str(p) for p in item.get("passages") or ())
        for pid in ids:
            if pid not in passages:
                raise KnowledgeError(
                    f"{path}{line_of(path, where)}: '{where}' cites unknown passage '{pid}'"
                )
        return ids

    nodes: dict[str, Node] = {}
    for node_id, item in raw["nodes"].items():
        node_id = str(node_id)
        if not isinstance(item, Mapping):
            raise KnowledgeError(f"{path}{line_of(path, node_id)}: node '{node_id}' is empty")
        kind = item.get("kind")
        if kind == "question":
            answers = {str(k): str(v) for k, v in (item.get("answers") or {}).items()}
            if len(answers) < 2 or not item.get("fact"):
                raise KnowledgeError(
                    f"{path}{line_of(path, node_id)}: question '{node_id}' needs a fact "
                    "and at least two answers"
                )
            unknown = str(item.get("when_unknown", ""))
            if unknown not in answers:
                raise KnowledgeError(
                    f"{path}{line_of(path, node_id)}: question '{node_id}': when_unknown "
                    f"must be one of {', '.join(answers)}"
                )
            nodes[node_id] = Node(
                id=node_id,
                kind=kind,
                passages=cited(item, node_id),
                fact=str(item["fact"]),
                text=_texts(item.get("text"), path, f"{node_id}.text"),
                help=_texts(item.get("help"), path, f"{node_id}.help"),
                answers=answers,
                answer_text={
                    str(a): _texts(t, path, f"{node_id}.answer_text.{a}")
                    for a, t in (item.get("answer_text") or {}).items()
                },
                when_unknown=unknown,
            )
        elif kind == "outcome":
            nodes[node_id] = Node(
                id=node_id,
                kind=kind,
                passages=cited(item, node_id),
                tone=str(item.get("tone", "")),
                title=_texts(item.get("title"), path, f"{node_id}.title"),
                summary=_texts(item.get("summary"), path, f"{node_id}.summary"),
                steps=_text_lists(item.get("steps"), path, f"{node_id}.steps"),
                reason=_texts(item.get("reason"), path, f"{node_id}.reason"),
                dates=_dates(item.get("dates"), path, node_id),
            )
        else:
            raise KnowledgeError(
                f"{path}{line_of(path, node_id)}: node '{node_id}' has kind {kind!r}; "
                "expected 'question' or 'outcome'"
            )
    root = str(raw["root"])
    if root not in nodes:
        raise KnowledgeError(f"{path}: root '{root}' is not a node")
    for node in nodes.values():
        for answer, target in node.answers.items():
            if target not in nodes:
                raise KnowledgeError(
                    f"{path}{line_of(path, node.id)}: node '{node.id}' answer '{answer}' "
                    f"leads to unknown node '{target}'"
                )
    flags: dict[str, Flag] = {}
    for flag_id, item in (raw.get("flags") or {}).items():
        flag_id = str(flag_id)
        if not isinstance(item, Mapping) or str(item.get("after")) not in nodes:
            raise KnowledgeError(
                f"{path}{line_of(path, flag_id)}: flag '{flag_id}' needs 'after' naming a node"
            )
        if not item.get("fact") or "value" not in item:
            raise KnowledgeError(
                f"{path}{line_of(path, flag_id)}: flag '{flag_id}' needs 'fact' and 'value'"
            )
        flags[flag_id] = Flag(
            id=flag_id,
            after=str(item["after"]),
            fact=str(item["fact"]),
            value=str(item["value"]),
            passages=cited(item, flag_id),
            title=_texts(item.get("title"), path, f"{flag_id}.title"),
            text=_texts(item.get("text"), path, f"{flag_id}.text"),
        )
    wording = {
        str(key): _texts(texts, path, f"wording.{key}")
        for key, texts in (raw.get("wording") or {}).items()
    }
    return Tree(article_id, root, thresholds, nodes, flags, wording)


def _load_article(folder: Path) -> Article:
    meta_path = folder / "article.yaml"
    meta = load_yaml(meta_path)
    if not isinstance(meta, Mapping):
        raise KnowledgeError(f"{meta_path}: expected a mapping")
    for key in ("id", "title", "source_url", "updated_on", "passages"):
        if key not in meta:
            raise KnowledgeError(f"{meta_path}: '{key}' is missing")
    updated = meta["updated_on"]
    if not isinstance(updated, dt.date):
        raise KnowledgeError(
            f"{meta_path}{line_of(meta_path, 'updated_on')}: updated_on must be a date "
            "(YYYY-MM-DD)"
        )
    passages = _parse_passages(meta["passages"], meta_path)
    text_path = folder / "article.txt"
    try:
        text = text_path.read_text(encoding="utf-8")
    except OSError:
        raise KnowledgeError(f"{text_path}: file is missing") from None
    tree_path = folder / "tree.yaml"
    tree = (
        _parse_tree(load_yaml(tree_path), tree_path, str(meta["id"]), passages)
        if tree_path.exists()
        else None
    )
    return Article(
        id=str(meta["id"]),
        title=_texts(meta["title"], meta_path, "title"),
        source_url=str(meta["source_url"]),
        updated_on=updated,
        category=_texts(meta.get("category") or meta["title"], meta_path, "category"),
        passages=passages,
        text=text,
        tree=tree,
    )


class KnowledgeBase:
    """All knowledge data under one folder, loaded lazily and once."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir()

    def __repr__(self) -> str:
        return f"KnowledgeBase({str(self.root)!r})"

    def file(self, name: str) -> Any:
        """A top-level data file, e.g. ``kb.file('columns.yaml')``."""
        return load_yaml(self.root / name)

    @cached_property
    def articles(self) -> dict[str, Article]:
        folder = self.root / "knowledge"
        found = sorted(p for p in folder.glob("*/article.yaml"))
        if not found:
            raise KnowledgeError(f"{folder}: no article folders (each needs an article.yaml)")
        return {a.id: a for a in (_load_article(p.parent) for p in found)}

    @property
    def article(self) -> Article:
        """The article whose tree the triage engine runs: postal tracking."""
        try:
            return self.articles[MAIN_ARTICLE]
        except KeyError:
            raise KnowledgeError(f"{self.root}: article '{MAIN_ARTICLE}' is missing") from None

    @property
    def tree(self) -> Tree:
        tree = self.article.tree
        if tree is None:
            raise KnowledgeError(f"{self.root / 'knowledge' / MAIN_ARTICLE}: tree.yaml is missing")
        return tree

    @cached_property
    def columns(self) -> dict[str, Any]:
        raw = self.file("columns.yaml")
        path = self.root / "columns.yaml"
        if not isinstance(raw, Mapping) or "columns" not in raw or "values" not in raw:
            raise KnowledgeError(f"{path}: needs 'columns' and 'values'")
        return raw

    @cached_property
    def postal(self) -> dict[str, Any]:
        raw = self.file("postal.yaml")
        path = self.root / "postal.yaml"
        template = str((raw or {}).get("la_poste", {}).get("tracking_url", ""))
        if not template.startswith("https://") or "{n}" not in template:
            raise KnowledgeError(
                f"{path}{line_of(path, 'tracking_url')}: la_poste.tracking_url must be an "
                "https URL with {n} where the tracking number goes"
            )
        return raw

    @cached_property
    def ui(self) -> dict[str, Any]:
        """Page wording: ``data/ui.yaml`` plus one ``data/ui/<page>.yaml`` per page, merged."""
        merged: dict[str, Any] = {}
        paths = [self.root / "ui.yaml", *sorted((self.root / "ui").glob("*.yaml"))]
        for path in paths:
            if not path.exists() and path.name == "ui.yaml" and path.parent == self.root:
                continue
            raw = load_yaml(path)
            if not isinstance(raw, Mapping):
                raise KnowledgeError(f"{path}: expected sections of texts")
            for key, section in raw.items():
                if key in merged:
                    raise KnowledgeError(f"{path}{line_of(path, key)}: section '{key}' is "
                                         "already defined in another ui file")
                merged[key] = section
        return merged

    @cached_property
    def version(self) -> str:
        """The knowledge base version: the manifest's number and a digest of every data file."""
        manifest = self.file("manifest.yaml") or {}
        digest = hashlib.sha256()
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and "samples" not in path.parts:
                digest.update(path.relative_to(self.root).as_posix().encode())
                digest.update(path.read_bytes())
        return f"{manifest.get('version', '0')}+{digest.hexdigest()[:8]}"

    def validate(self) -> None:
        """Load every file now, raising KnowledgeError on the first problem."""
        _ = self.articles, self.tree, self.columns, self.postal, self.ui, self.version


@lru_cache(maxsize=1)
def knowledge() -> KnowledgeBase:
    """The shared knowledge base of this process (data files read on first use)."""
    return KnowledgeBase()
