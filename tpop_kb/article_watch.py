"""Article-change watch: is the published help article still the one the rules rest on?

The article changes over time ("Updated on: 12/09/2024"). :func:`check`
fetches its public page with ``requests`` (short timeout), reads the "Updated
on" date and the text, and compares them with the stored copy
(``data/knowledge/postal-tracking/article.txt`` and the passages of
``article.yaml``):

- ``unchanged``: every passage still reads the same and the date is the same;
- ``changed``: which passages changed (with their new wording), which
  disappeared, what text is new, the tree nodes and flags that cite them, or
  only the date moved;
- ``unavailable``: offline, timeout, HTTP error, or a page without the
  article. Never raises, never blocks: the app goes on with the stored copy.

``python -m tpop_kb check-article`` prints the same (exit 0 unchanged, 1
changed, 3 could not check). The pages call :func:`cached_check` for a banner.

The page's address is the article's ``source_url``; ``TPOP_KB_ARTICLE_URL``
or the ``url`` argument override it, and ``TPOP_KB_OFFLINE=1`` switches the
network check off (it then reports ``unavailable`` at once).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from .knowledge import Article, KnowledgeBase, knowledge, ui_text
from .messages import message, translate

if TYPE_CHECKING:
    import requests

__all__ = [
    "ENV_OFFLINE",
    "ENV_URL",
    "PassageChange",
    "WatchResult",
    "cached_check",
    "check",
    "compare",
    "page_lines",
]

ENV_URL = "TPOP_KB_ARTICLE_URL"
ENV_OFFLINE = "TPOP_KB_OFFLINE"
DEFAULT_TIMEOUT = 5.0  # seconds
MAX_PAGE_BYTES = 5_000_000
SIMILAR = 0.6  # a paragraph this close to a missing passage is its new wording
_UPDATED = re.compile(r"Updated on\s*:?\s*(\d{1,2})/(\d{1,2})/(\d{4})", re.IGNORECASE)
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
}  # fmt: skip
_SKIPPED_TAGS = {"head", "script", "style", "noscript", "template", "svg", "iframe", "button"}
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})


# ---------------------------------------------------------------------------
# Text out of a page
# ---------------------------------------------------------------------------


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _clean(text: str) -> str:
    """Whitespace folded, typographic quotes made plain, emoji and symbols out."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    text = "".join(
        ch
        for ch in text
        if unicodedata.category(ch) not in ("So", "Cf") and not "\ufe00" <= ch <= "\ufe0f"
    )
    return " ".join(text.split())


def page_lines(page: str) -> list[str]:
    """The visible text of an HTML page (or of plain text), one block per line, cleaned."""
    if re.search(r"<[a-zA-Z!/]", page):
        parser = _TextParser()
        parser.feed(page)
        parser.close()
        page = "".join(parser.parts)
    return [line for line in (_clean(raw) for raw in page.splitlines()) if line]


def _published_date(lines: list[str]) -> tuple[dt.date | None, int | None]:
    for index, line in enumerate(lines):
        match = _UPDATED.search(line)
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day), index
            except ValueError:
                return None, index
    return None, None


# ---------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PassageChange:
    """A passage whose wording changed: the stored text and the page's closest paragraph."""

    id: str
    old: str
    new: str


@dataclass(frozen=True)
class WatchResult:
    """What :func:`check` found."""

    status: str  # "unchanged" | "changed" | "unavailable"
    url: str
    stored_updated_on: dt.date
    published_updated_on: dt.date | None = None
    changed: tuple[PassageChange, ...] = ()
    disappeared: tuple[str, ...] = ()  # passage ids
    new_text: tuple[str, ...] = ()  # paragraphs of the page that no passage holds
    affected: tuple[str, ...] = ()  # tree nodes and flags citing changed/disappeared passages
    reason: str = ""  # why the check was unavailable

    @property
    def passages_to_review(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.changed) + self.disappeared

    @property
    def date_changed(self) -> bool:
        return (
            self.published_updated_on is not None
            and self.published_updated_on != self.stored_updated_on
        )

    def message(self, lang: str = "en") -> str:
        """One sentence for a banner, in French or English."""
        fmt = ui_text("postal.date_format", lang)
        stored = self.stored_updated_on.strftime(fmt)
        if self.status == "unavailable":
            return ui_text("postal.watch.unavailable", lang, reason=translate(self.reason, lang),
                           updated_on=stored)
        if self.status == "unchanged":
            return ui_text("postal.watch.unchanged", lang, updated_on=stored)
        published = (
            self.published_updated_on.strftime(fmt)
            if self.published_updated_on
            else ui_text("postal.watch.unknown_date", lang)
        )
        items = []
        if self.changed:
            ids = ", ".join(c.id for c in self.changed)
            items.append(ui_text("postal.watch.items.changed", lang, ids=ids))
        if self.disappeared:
            ids = ", ".join(self.disappeared)
            items.append(ui_text("postal.watch.items.disappeared", lang, ids=ids))
        if self.new_text:
            items.append(ui_text("postal.watch.items.new_text", lang, count=len(self.new_text)))
        if not items:
            return ui_text("postal.watch.date_only", lang, published=published, updated_on=stored)
        return ui_text(
            "postal.watch.changed",
            lang,
            published=published,
            updated_on=stored,
            items=ui_text("postal.watch.items.separator", lang).join(items),
        )

    def report(self) -> str:
        """The CLI's text: every change, in English, for an analyst."""
        lines = [f"article: {self.url}"]
        stored = self.stored_updated_on.isoformat()
        if self.status == "unavailable":
            lines.append(f"could not check the article: {self.reason}")
            return "\n".join(lines)
        published = self.published_updated_on.isoformat() if self.published_updated_on else "?"
        lines.append(f"updated on: {published} on the page, {stored} in the stored copy")
        if self.status == "unchanged":
            lines.append("unchanged: every passage reads as stored")
            return "\n".join(lines)
        lines.append("CHANGED: review data/knowledge/postal-tracking/ (article.yaml, tree.yaml)")
        for change in self.changed:
            lines.append(f"  changed passage {change.id}:")
            lines.append(f"    stored: {change.old}")
            lines.append(f"    now:    {change.new}")
        for pid in self.disappeared:
            lines.append(f"  disappeared passage {pid}")
        for text in self.new_text:
            lines.append(f"  new text: {text}")
        if self.affected:
            lines.append("  tree nodes and flags citing them: " + ", ".join(self.affected))
        if not (self.changed or self.disappeared or self.new_text):
            lines.append("  only the date changed; every passage reads as stored")
        return "\n".join(lines)


def _stored_boilerplate(article: Article) -> set[str]:
    """Lines of the stored copy that belong to no passage (header, footer, title)."""
    covered = " ".join(_clean(p.text) for p in article.passages.values())
    return {
        line
        for line in (_clean(raw) for raw in article.text.splitlines())
        if line and line not in covered
    }


def _best_window(text: str, lines: list[str], taken: set[int]) -> tuple[float, int, int]:
    best = (0.0, 0, 0)
    for start in range(len(lines)):
        if start in taken:
            continue
        window = ""
        for end in range(start, min(start + 6, len(lines))):
            if end in taken:
                break
            window = (window + " " + lines[end]).strip()
            matcher = difflib.SequenceMatcher(None, text, window, autojunk=False)
            if matcher.real_quick_ratio() < best[0] or matcher.quick_ratio() < best[0]:
                continue
            ratio = matcher.ratio()
            if ratio > best[0]:
                best = (ratio, start, end + 1)
    return best


def compare(
    page: str, *, url: str = "", kb: KnowledgeBase | None = None, article: Article | None = None
) -> WatchResult:
    """Compare a page (HTML or text) with the stored article; no network."""
    kb = kb or knowledge()
    article = article or kb.article
    url = url or article.source_url
    lines = page_lines(page)
    published, date_line = _published_date(lines)
    # The article's body: from its title to the "Updated on" line.
    end = date_line if date_line is not None else len(lines)
    title = _clean(article.title["en"]).casefold()
    starts = [i for i in range(end) if lines[i].casefold() == title]
    body = lines[starts[-1] + 1 if starts else 0 : end]
    body_text = " ".join(body)

    present, missing = [], []
    for passage in article.passages.values():
        (present if _clean(passage.text) in body_text else missing).append(passage)

    taken: set[int] = set()
    changed: list[PassageChange] = []
    disappeared: list[str] = []
    for passage in missing:
        ratio, start, stop = _best_window(_clean(passage.text), body, taken)
        if ratio >= SIMILAR:
            taken.update(range(start, stop))
            changed.append(PassageChange(passage.id, passage.text, " ".join(body[start:stop])))
        else:
            disappeared.append(passage.id)
    if not present and not changed:
        return WatchResult(
            "unavailable",
            url,
            article.updated_on,
            published,
            reason="the page does not contain the article (wrong address, or a page "
            "that needs JavaScript)",
        )

    known = " ".join(_clean(p.text) for p in present) + " " + " ".join(
        sorted(_stored_boilerplate(article))
    )
    boilerplate = _stored_boilerplate(article)
    new_text = tuple(
        line
        for i, line in enumerate(body)
        if i not in taken and line not in boilerplate and line not in known
    )
    affected: list[str] = []
    review = {c.id for c in changed} | set(disappeared)
    tree = article.tree
    if tree is not None and review:
        for node in tree.nodes.values():
            if review & set(node.passages):
                affected.append(node.id)
        for flag in tree.flags.values():
            if review & set(flag.passages):
                affected.append(flag.id)
    differs = bool(changed or disappeared or new_text) or (
        published is not None and published != article.updated_on
    )
    return WatchResult(
        "changed" if differs else "unchanged",
        url,
        article.updated_on,
        published,
        changed=tuple(changed),
        disappeared=tuple(disappeared),
        new_text=new_text,
        affected=tuple(affected),
    )


# ---------------------------------------------------------------------------
# Fetching
# ---------------------------------------------------------------------------


def _decode(response: requests.Response) -> str:
    content = response.content
    if "charset=" in response.headers.get("Content-Type", "").lower() and response.encoding:
        try:
            return content.decode(response.encoding, errors="replace")
        except LookupError:
            pass
    return content.decode("utf-8", errors="replace")


def check(
    url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    kb: KnowledgeBase | None = None,
    session: requests.Session | None = None,
) -> WatchResult:
    """Fetch the article's public page and compare it with the stored copy. Never raises."""
    import requests

    kb = kb or knowledge()
    article = kb.article
    url = url or os.environ.get(ENV_URL, "").strip() or article.source_url

    def unavailable(reason: str) -> WatchResult:
        return WatchResult("unavailable", url, article.updated_on, reason=reason)

    if os.environ.get(ENV_OFFLINE, "").strip().lower() in ("1", "true", "yes"):
        return unavailable(message("watch.switched_off", setting=ENV_OFFLINE))
    getter = session or requests
    try:
        response = getter.get(
            url,
            timeout=timeout,
            headers={"User-Agent": "tpop-kb article watch", "Accept-Language": "en"},
        )
    except requests.Timeout:
        return unavailable(message("watch.timeout", seconds=f"{timeout:g}"))
    except requests.ConnectionError:
        return unavailable(message("watch.offline"))
    except requests.RequestException as exc:
        return unavailable(message("watch.request_failed", kind=type(exc).__name__))
    if response.status_code != 200:
        return unavailable(message("watch.http_status", status=response.status_code))
    if len(response.content) > MAX_PAGE_BYTES:
        return unavailable(message("watch.too_large"))
    return compare(_decode(response), url=url, kb=kb, article=article)


_CACHE: dict[tuple[str, str], tuple[float, WatchResult]] = {}


def cached_check(
    url: str | None = None, timeout: float = 3.0, max_age: float = 3600.0
) -> WatchResult:
    """:func:`check`, at most once per ``max_age`` seconds per address (for page banners).

    An ``unavailable`` result is kept for a tenth of ``max_age`` only, so a
    page opened after the network comes back checks again soon.
    """
    key = (str(knowledge().root), url or os.environ.get(ENV_URL, ""))
    now = time.monotonic()
    hit = _CACHE.get(key)
    if hit is not None:
        age = now - hit[0]
        keep = max_age if hit[1].status != "unavailable" else max_age / 10
        if age < keep:
            return hit[1]
    result = check(url, timeout)
    _CACHE[key] = (now, result)
    return result
