"""The decision tree drawn as an SVG picture, from tree.yaml, in pure Python (offline).

:func:`tree_svg` lays the tree out in layers from top to bottom (the root at
the top, every node below all the nodes that lead to it) and draws:

- question nodes as white boxes numbered Q1, Q2… (:func:`question_numbers`),
  with the question's text (thresholds filled, the parenthesised details left
  for the tooltip);
- outcome nodes coloured by their ``tone`` (the pages' tone colours) with
  their title (their summary in the tooltip);
- one arrow per answer, labelled with the answer's wording;
- a ⚑ badge on the node after which the flags are checked;
- a legend of the tones, in French or English (wording in ``data/ui/diagram.yaml``).

Optionally it highlights a decision ``path`` (the other nodes fade), a
``current`` node (walk mode) and a ``selected`` node (knowledge explorer);
``selectable`` makes every node a button reachable with the keyboard (the
explorer's script turns a click or Enter / Space on one into a selection).

The layout is a small Sugiyama-style one: longest-path layers, virtual points
on arrows that skip layers, crossings reduced by barycentre sweeps, and
positions found by isotonic regression (each node as close as possible to the
mean of its neighbours, in order, without overlapping). Text widths come from
Helvetica/Arial metrics, the fonts the picture asks for.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .knowledge import KnowledgeBase, Node, Tree, knowledge

if TYPE_CHECKING:
    from .triage import Decision

__all__ = ["TONE_COLOURS", "decision_path", "layout", "question_numbers", "tree_svg"]

#: tone -> (text, background, border): the one place the outcome tones' colours are
#: written. The diagram draws with them and the pages' ``.tpop-tone-*`` classes
#: (tpop_kb/apps/style.py) are built from them.
TONE_COLOURS: dict[str, tuple[str, str, str]] = {
    "wait": ("#8a5a00", "#fff8e6", "#f2c94c"),
    "act": ("#1d4ed8", "#eef4ff", "#93b4f5"),
    "escalate": ("#b93815", "#fff3ed", "#f4a47c"),
    "done": ("#17723c", "#effaf3", "#86d3a3"),
    "decide": ("#6b3fc2", "#f5f1ff", "#c2aef2"),
    "error": ("#b42318", "#fef3f2", "#f5a8a2"),
}
_NEUTRAL_TONE = ("#1b2430", "#ffffff", "#c7d0dc")

INK = "#1b2430"
MUTED = "#5b6675"
BORDER = "#b8c2d0"
EDGE = "#8693a5"
ACCENT = "#1f4fd1"
FADED = "0.4"
FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"

TEXT_SIZE = 15.0  # shown at about 80 % in the explorer: 12 px and more
LINE = 19.0
TITLE_SIZE = 15.0
LABEL_SIZE = 15.0
LABEL_LINE = 18.0
PAD_X, PAD_Y = 11.0, 9.0
QUESTION_WRAP = 142.0
OUTCOME_WRAP = 110.0
LABEL_WRAP = 100.0
MIN_BOX = 96.0
NODE_GAP = 14.0
DUMMY_WIDTH = 14.0
LAYER_GAP = 60.0
LABEL_CLEAR = 24.0  # the least room above and below an answer label in a layer's gap
MARGIN = 16.0
LEGEND_ROW = 30.0
LEGEND_SIZE = 13.5
TAG_SIZE = 12.5  # a node's number ("Q5") and its remarks badge, on its top edge
TAG_HEIGHT = 17.0
LEGEND_PAD = 11.0  # space left and right of a legend label

# Helvetica widths per 1000 em (Arial and Liberation Sans share them).
_WIDTHS = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~",
        [
            278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
            556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
            1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
            667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
            333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
            556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
        ],
        strict=True,
    )
)
_WIDE = {"—": 1000, "…": 1000, "«": 556, "»": 556, "’": 222, "‘": 222, "“": 333, "”": 333,
         "·": 278, "⚑": 820, "→": 1000, "–": 556, "\u202f": 278, "\u00a0": 278}


def _text_width(text: str, size: float, bold: bool = False) -> float:
    total = 0
    for ch in text:
        width = _WIDTHS.get(ch) or _WIDE.get(ch)
        if width is None:
            base = unicodedata.normalize("NFKD", ch)[:1]
            width = _WIDTHS.get(base, 600)
        total += width
    return total * size / 1000 * (1.07 if bold else 1.0)


def _wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` pixels; a word longer than the width stays whole."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _text_width(candidate, size, bold) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    # French puts a space before ? ! : ; keep the mark with its word.
    for i in range(1, len(lines)):
        if lines[i] in ("?", "!", ":", ";"):
            lines[i - 1] += " " + lines[i]
            lines[i] = ""
    return [line for line in lines if line] or [""]


def _generic(tree: Tree, text: str) -> str:
    """A text with thresholds filled and per-order values (days, dates) shown as '…'."""
    return re.sub(r"\{\w+\}", "…", tree.fill(text))


def _short_question(text: str) -> str:
    """The question without its parenthesised details: ``"Shipped (ship date shown)?"``."""
    short = re.sub(r"\s*\([^()]*\)", "", text)
    return " ".join(short.split()) or text


def _ui(kb: KnowledgeBase, key: str, lang: str) -> str:
    node: Any = kb.ui.get("diagram", {})
    for part in key.split("."):
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return str(node.get(lang, "")) if isinstance(node, Mapping) else ""


def question_numbers(tree: Tree) -> dict[str, int]:
    """Q-numbers of the questions, breadth first from the root in answer order: ``{id: 1..}``."""
    numbers: dict[str, int] = {}
    queue = [tree.root]
    seen = set()
    while queue:
        node_id = queue.pop(0)
        if node_id in seen:
            continue
        seen.add(node_id)
        node = tree.nodes[node_id]
        if not node.is_outcome:
            numbers[node_id] = len(numbers) + 1
            queue.extend(node.answers.values())
    return numbers


def decision_path(decision: Decision, steps: int | None = None) -> list[str]:
    """The node ids a decision went through, root first, outcome last (or the first ``steps``)."""
    ids = [s.node.id for s in decision.path] + [decision.outcome.id]
    return ids if steps is None else ids[: max(steps, 0)]


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------


@dataclass
class _Box:
    id: str
    node: Node | None  # None: a virtual point on a long arrow
    layer: int = 0
    width: float = DUMMY_WIDTH
    height: float = 0.0
    lines: list[str] = field(default_factory=list)
    x: float = 0.0  # centre
    y: float = 0.0  # top

    @property
    def dummy(self) -> bool:
        return self.node is None


@dataclass
class _Edge:
    source: str
    answer: str
    target: str
    chain: list[str]  # box ids from source to target, dummies in between
    label: list[str] = field(default_factory=list)


@dataclass
class Layout:
    """Where every node, arrow and label goes. ``width``/``height`` in pixels."""

    boxes: dict[str, _Box]
    edges: list[_Edge]
    layers: list[list[str]]
    layer_top: list[float]
    layer_height: list[float]
    width: float
    height: float
    numbers: dict[str, int]
    legend: list[tuple[str, tuple[str, str, str], float, float, float]] = field(
        default_factory=list
    )  # (label, colours, x, y, width)


def _layers(tree: Tree) -> dict[str, int]:
    """Longest-path layering: each node one layer below its lowest parent."""
    order = _topological(tree)
    layer = {tree.root: 0}
    for node_id in order:
        for target in tree.nodes[node_id].answers.values():
            layer[target] = max(layer.get(target, 0), layer[node_id] + 1)
    return layer


def _topological(tree: Tree) -> list[str]:
    reachable = tree.reachable()
    indegree = {n: 0 for n in reachable}
    for n in reachable:
        for target in set(tree.nodes[n].answers.values()):
            indegree[target] += 1
    ready = [tree.root]
    order = []
    while ready:
        node_id = ready.pop(0)
        order.append(node_id)
        for target in dict.fromkeys(tree.nodes[node_id].answers.values()):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    if len(order) != len(reachable):
        raise ValueError("the decision tree has a cycle: it cannot be drawn in layers")
    return order


def _measure(box: _Box, tree: Tree, lang: str, numbers: Mapping[str, int]) -> None:
    node = box.node
    if node is None:
        return
    if node.is_outcome:
        box.lines = _wrap(tree.fill(node.title[lang]), OUTCOME_WRAP, TITLE_SIZE, bold=True)
        text_w = max(_text_width(s, TITLE_SIZE, bold=True) for s in box.lines)
        box.width = max(MIN_BOX, text_w) + 2 * PAD_X + 4
        box.height = PAD_Y * 2 + LINE * len(box.lines)
    else:
        box.lines = _wrap(_short_question(tree.fill(node.text[lang])), QUESTION_WRAP, TEXT_SIZE)
        text_w = max(_text_width(s, TEXT_SIZE) for s in box.lines)
        box.width = max(MIN_BOX, text_w) + 2 * PAD_X
        box.height = PAD_Y * 2 + LINE * len(box.lines) + 4


def _crossings(layers: list[list[str]], edges_down: Mapping[str, list[str]]) -> int:
    count = 0
    for upper, lower in zip(layers, layers[1:], strict=False):
        pos = {b: i for i, b in enumerate(lower)}
        pairs = [
            (i, pos[t]) for i, b in enumerate(upper) for t in edges_down.get(b, ()) if t in pos
        ]
        for a in range(len(pairs)):
            for b in range(a + 1, len(pairs)):
                if (pairs[a][0] - pairs[b][0]) * (pairs[a][1] - pairs[b][1]) < 0:
                    count += 1
    return count


def _isotonic(desired: list[float], widths: list[float], gaps: list[float]) -> list[float]:
    """Closest centres to ``desired`` (least squares) keeping order and minimum spacing."""
    n = len(desired)
    offsets = [0.0] * n
    for i in range(1, n):
        offsets[i] = offsets[i - 1] + (widths[i - 1] + widths[i]) / 2 + gaps[i]
    values = [d - o for d, o in zip(desired, offsets, strict=True)]
    blocks: list[list[float]] = []  # [mean, count]
    for v in values:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    fitted = [m for m, c in blocks for _ in range(int(c))]
    return [f + o for f, o in zip(fitted, offsets, strict=True)]


def layout(
    tree: Tree | None = None,
    lang: str = "fr",
    kb: KnowledgeBase | None = None,
    legend: bool = True,
) -> Layout:
    """Compute the drawing's geometry (used by :func:`tree_svg`; handy for tests)."""
    kb = kb or knowledge()
    tree = tree or kb.tree
    numbers = question_numbers(tree)
    layer_of = _layers(tree)
    boxes: dict[str, _Box] = {}
    for node_id, layer in layer_of.items():
        box = _Box(node_id, tree.nodes[node_id], layer)
        _measure(box, tree, lang, numbers)
        boxes[node_id] = box

    edges: list[_Edge] = []
    for node_id in _topological(tree):
        node = tree.nodes[node_id]
        for answer, target in node.answers.items():
            chain = [node_id]
            for layer in range(layer_of[node_id] + 1, layer_of[target]):
                dummy = f"{node_id}:{answer}:{layer}"
                boxes[dummy] = _Box(dummy, None, layer)
                chain.append(dummy)
            chain.append(target)
            label = _wrap(tree.answer_label(node, answer, lang), LABEL_WRAP, LABEL_SIZE, bold=True)
            edges.append(_Edge(node_id, answer, target, chain, label))

    down: dict[str, list[str]] = {}
    up: dict[str, list[str]] = {}
    for edge in edges:
        for a, b in zip(edge.chain, edge.chain[1:], strict=False):
            down.setdefault(a, []).append(b)
            up.setdefault(b, []).append(a)

    # Initial order: depth first from the root, in answer order.
    depth = max(b.layer for b in boxes.values())
    layers: list[list[str]] = [[] for _ in range(depth + 1)]
    seen: set[str] = set()

    def visit(box_id: str) -> None:
        if box_id in seen:
            return
        seen.add(box_id)
        layers[boxes[box_id].layer].append(box_id)
        for child in down.get(box_id, ()):
            visit(child)

    visit(tree.root)

    # Reduce crossings: barycentre sweeps, keep the best order seen.
    best = [list(layer) for layer in layers]
    best_count = _crossings(layers, down)
    for sweep in range(8):
        rng = range(1, len(layers)) if sweep % 2 == 0 else range(len(layers) - 2, -1, -1)
        for i in rng:
            neighbours = up if sweep % 2 == 0 else down
            ref = layers[i - 1] if sweep % 2 == 0 else layers[i + 1]
            pos = {b: k for k, b in enumerate(ref)}
            here = {b: k for k, b in enumerate(layers[i])}

            def key(box_id: str, neighbours=neighbours, pos=pos, here=here) -> tuple[float, int]:
                linked = [pos[n] for n in neighbours.get(box_id, ()) if n in pos]
                current = here[box_id]
                return (sum(linked) / len(linked) if linked else current, current)

            layers[i].sort(key=key)
        count = _crossings(layers, down)
        if count < best_count:
            best, best_count = [list(layer) for layer in layers], count
    layers = best

    # Horizontal positions: start packed, then pull each node towards its neighbours.
    def gaps_of(layer: list[str]) -> list[float]:
        out = [0.0]
        for a, b in zip(layer, layer[1:], strict=False):
            either_dummy = boxes[a].dummy or boxes[b].dummy
            out.append(NODE_GAP * (0.6 if either_dummy else 1.0))
        return out

    for layer in layers:
        xs = _isotonic([0.0] * len(layer), [boxes[b].width for b in layer], gaps_of(layer))
        for b, x in zip(layer, xs, strict=True):
            boxes[b].x = x
    for sweep in range(24):
        order = range(1, len(layers)) if sweep % 2 == 0 else range(len(layers) - 2, -1, -1)
        for i in order:
            layer = layers[i]
            desired = []
            for b in layer:
                linked = up.get(b, []) + down.get(b, [])
                primary = up.get(b, []) if sweep % 2 == 0 else down.get(b, [])
                pool = primary or linked
                desired.append(
                    sum(boxes[n].x for n in pool) / len(pool) if pool else boxes[b].x
                )
            xs = _isotonic(desired, [boxes[b].width for b in layer], gaps_of(layer))
            for b, x in zip(layer, xs, strict=True):
                boxes[b].x = x

    left = min(boxes[b].x - boxes[b].width / 2 for b in boxes)
    right = max(boxes[b].x + boxes[b].width / 2 for b in boxes)
    for box in boxes.values():
        box.x += MARGIN - left
    width = right - left + 2 * MARGIN

    # The legend: one pill per kind of node, wrapped to the drawing's width.
    entries = _legend_items(tree, lang, kb) if legend else []
    placed = []
    x, y = MARGIN, MARGIN
    for label, colours in entries:
        w = _text_width(label, LEGEND_SIZE, bold=True) + 2 * LEGEND_PAD
        if x + w > width - MARGIN and x > MARGIN:
            x, y = MARGIN, y + LEGEND_ROW
        placed.append((label, colours, x, y, w))
        x += w + 8

    # Vertical positions: layers top-aligned, the gap below each holds the answer labels.
    # A layer's gap is at least as tall as its tallest answer label, with room above and
    # below it, so that no label lies on a node (see _label_boxes).
    label_room = [LAYER_GAP] * len(layers)
    for edge in edges:
        layer = boxes[edge.source].layer
        label_room[layer] = max(label_room[layer], _label_height(edge.label) + LABEL_CLEAR)
    layer_top, layer_height = [], []
    y = (y + LEGEND_ROW + 8) if placed else MARGIN + 8
    for index, layer in enumerate(layers):
        height = max((boxes[b].height for b in layer if not boxes[b].dummy), default=0.0)
        layer_top.append(y)
        layer_height.append(height)
        for b in layer:
            boxes[b].y = y
            if boxes[b].dummy:
                boxes[b].height = height
        y += height + label_room[index]
    height = y - label_room[-1] + MARGIN
    return Layout(
        boxes, edges, layers, layer_top, layer_height, width, height, numbers, placed
    )


# ---------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text_lines(
    lines: Sequence[str], x: float, y: float, size: float, line: float, **attrs: str
) -> str:
    extra = " ".join(f'{k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    spans = "".join(
        f'<tspan x="{_fmt(x)}" y="{_fmt(y + i * line)}">{_e(s)}</tspan>'
        for i, s in enumerate(lines)
    )
    return f'<text font-size="{_fmt(size)}" {extra}>{spans}</text>'


def _edge_points(geo: Layout, edge: _Edge) -> list[tuple[float, float]]:
    """Polyline through the chain: source bottom port, virtual points, target top."""
    boxes = geo.boxes
    source = boxes[edge.source]
    siblings = [e for e in geo.edges if e.source == edge.source]
    index = siblings.index(edge)
    spread = min(source.width * 0.5, 36.0 * (len(siblings) - 1))
    offset = 0.0 if len(siblings) == 1 else -spread / 2 + spread * index / (len(siblings) - 1)
    # Order the ports by where the arrows go, so they do not cross under the box.
    by_target = sorted(siblings, key=lambda e: boxes[e.chain[1]].x)
    index = by_target.index(edge)
    offset = 0.0 if len(siblings) == 1 else -spread / 2 + spread * index / (len(siblings) - 1)
    points = [(source.x + offset, source.y + source.height)]
    for dummy in edge.chain[1:-1]:
        box = boxes[dummy]
        points.append((box.x, box.y))
        points.append((box.x, box.y + box.height))
    target = boxes[edge.target]
    incoming = sorted(
        (e for e in geo.edges if e.target == edge.target), key=lambda e: boxes[e.chain[-2]].x
    )
    k = incoming.index(edge)
    width = min(target.width * 0.5, 30.0 * (len(incoming) - 1))
    tx = target.x if len(incoming) == 1 else target.x - width / 2 + width * k / (len(incoming) - 1)
    points.append((tx, target.y))
    return points


def _path_d(points: list[tuple[float, float]]) -> str:
    (x0, y0), rest = points[0], points[1:]
    d = [f"M{_fmt(x0)},{_fmt(y0)}"]
    for i, (x1, y1) in enumerate(rest):
        if i % 2 == 1 and len(rest) > 1 and i < len(rest) - 1:  # through a virtual point
            d.append(f"L{_fmt(x1)},{_fmt(y1)}")
        else:
            mid = (y0 + y1) / 2
            d.append(f"C{_fmt(x0)},{_fmt(mid)} {_fmt(x1)},{_fmt(mid)} {_fmt(x1)},{_fmt(y1)}")
        x0, y0 = x1, y1
    return " ".join(d)


def _on_curve(p0: tuple[float, float], p1: tuple[float, float], t: float) -> tuple[float, float]:
    """A point of the vertical-tangent cubic from p0 to p1 (the first segment of an arrow)."""
    (x0, y0), (x1, y1) = p0, p1
    s = 1 - t
    x = s**3 * x0 + 3 * s * s * t * x0 + 3 * s * t * t * x1 + t**3 * x1
    y = y0 + (y1 - y0) * t
    return x, y


def _label_height(label: list[str]) -> float:
    """An answer label's height (its lines, and its padding)."""
    return LABEL_LINE * len(label) + 6


def _label_boxes(geo: Layout) -> dict[tuple[str, str], tuple[float, float, float, float]]:
    """Answer labels: centre on each arrow's first curve, pushed apart when they touch."""
    placed: dict[tuple[str, str], tuple[float, float, float, float]] = {}
    by_layer: dict[int, list[tuple[str, str]]] = {}
    for edge in geo.edges:
        points = _edge_points(geo, edge)
        w = max(_text_width(s, LABEL_SIZE, bold=True) for s in edge.label) + 14
        h = _label_height(edge.label)
        x, y = _on_curve(points[0], points[1], 0.45)
        source = geo.boxes[edge.source]
        gap_top = source.y + source.height
        y = min(max(y, gap_top + h / 2 + 3), points[1][1] - h / 2 - 6)
        placed[(edge.source, edge.answer)] = (x, y, w, h)
        by_layer.setdefault(source.layer, []).append((edge.source, edge.answer))
    for keys in by_layer.values():
        keys.sort(key=lambda k: placed[k][0])
        for _ in range(20):
            moved = False
            for a, b in zip(keys, keys[1:], strict=False):
                xa, ya, wa, ha = placed[a]
                xb, yb, wb, hb = placed[b]
                overlap = (xa + wa / 2 + 4) - (xb - wb / 2)
                if overlap > 0 and abs(ya - yb) < (ha + hb) / 2:
                    placed[a] = (xa - overlap / 2, ya, wa, ha)
                    placed[b] = (xb + overlap / 2, yb, wb, hb)
                    moved = True
            if not moved:
                break
    return placed


def tree_svg(
    tree: Tree | None = None,
    lang: str = "fr",
    *,
    path: Iterable[str] | None = None,
    current: str | None = None,
    selected: str | None = None,
    kb: KnowledgeBase | None = None,
    legend: bool = True,
    selectable: bool = False,
) -> str:
    """The tree as an ``<svg>`` element (a string), in French or English.

    ``path``: node ids of a decision, root first (see :func:`decision_path`); its
    nodes and arrows are drawn in the accent colour and the rest fades.
    ``current``: the node being discussed (a ring). ``selected``: the node picked in
    the knowledge explorer (a ring, nothing fades). ``selectable``: every node is a
    button (``role="button"``, reachable with Tab, ``aria-pressed`` on the selected one)
    that the page's script turns into a selection (knowledge explorer).
    """
    kb = kb or knowledge()
    tree = tree or kb.tree
    geo = layout(tree, lang, kb, legend)
    boxes = geo.boxes
    path_ids = list(path or [])
    on_path = set(path_ids)
    taken = {
        (a, b) for a, b in zip(path_ids, path_ids[1:], strict=False)
    }
    fading = bool(path_ids)
    flags_after: dict[str, list[str]] = {}
    for flag in tree.flags.values():
        flags_after.setdefault(flag.after, []).append(flag.title[lang])

    title = _ui(kb, "title", lang) or "Decision tree"
    role = "group" if selectable else "img"
    classes = "tpop-diagram is-selectable" if selectable else "tpop-diagram"
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{classes}" role="{role}" '
        f'aria-label="{_e(title)}" '
        f'viewBox="0 0 {_fmt(geo.width)} {_fmt(geo.height)}" width="{_fmt(geo.width)}" '
        f'height="{_fmt(geo.height)}" font-family="{_e(FONT)}" lang="{_e(lang)}" '
        f'data-article="{_e(tree.article_id)}">',
        f"<title>{_e(title)}</title>",
        "<defs>"
        f'<marker id="tpop-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
        f'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{EDGE}"/></marker>'
        f'<marker id="tpop-arrow-on" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" '
        f'markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{ACCENT}"/></marker>'
        "</defs>",
        f'<rect x="0" y="0" width="{_fmt(geo.width)}" height="{_fmt(geo.height)}" '
        'fill="#ffffff"/>',
    ]
    if geo.legend:
        parts.append(_legend(geo))

    # Arrows first (under the boxes), then labels, then boxes.
    labels = _label_boxes(geo)
    edge_parts, label_parts = [], []
    for edge in geo.edges:
        hot = (edge.source, edge.target) in taken and edge.source in on_path
        colour = ACCENT if hot else EDGE
        opacity = "1" if hot or not fading else FADED
        marker = "tpop-arrow-on" if hot else "tpop-arrow"
        classes = "tpop-edge is-path" if hot else "tpop-edge"
        edge_parts.append(
            f'<path class="{classes}" data-edge="{_e(edge.source)}:{_e(edge.answer)}" '
            f'd="{_path_d(_edge_points(geo, edge))}" fill="none" stroke="{colour}" '
            f'stroke-width="{"2.6" if hot else "1.4"}" opacity="{opacity}" '
            f'marker-end="url(#{marker})"/>'
        )
        x, y, w, h = labels[(edge.source, edge.answer)]
        fill, text_colour, stroke = (
            ("#ffffff", ACCENT, ACCENT) if hot else ("#ffffff", INK, "#d5dbe3")
        )
        label_parts.append(
            f'<g class="tpop-edge-label" opacity="{opacity}">'
            f'<rect x="{_fmt(x - w / 2)}" y="{_fmt(y - h / 2)}" width="{_fmt(w)}" '
            f'height="{_fmt(h)}" rx="{_fmt(min(h / 2, 9))}" fill="{fill}" stroke="{stroke}"/>'
            + _text_lines(
                edge.label,
                x,
                y - h / 2 + 3 + LABEL_SIZE,
                LABEL_SIZE,
                LABEL_LINE,
                text_anchor="middle",
                font_weight="700",
                fill=text_colour,
            )
            + "</g>"
        )
    parts.extend(edge_parts)
    parts.extend(label_parts)

    for box in boxes.values():
        if box.dummy:
            continue
        parts.append(
            _node_svg(
                box,
                tree,
                lang,
                geo.numbers,
                on_path=box.id in on_path,
                faded=fading and box.id not in on_path,
                current=box.id == current,
                selected=box.id == selected,
                flags=flags_after.get(box.id, []),
                selectable=selectable,
            )
        )
    parts.append("</svg>")
    return "".join(parts)


def _node_svg(
    box: _Box,
    tree: Tree,
    lang: str,
    numbers: Mapping[str, int],
    *,
    on_path: bool,
    faded: bool,
    current: bool,
    selected: bool,
    flags: list[str],
    selectable: bool = False,
) -> str:
    node = box.node
    assert node is not None
    x0, y0, w, h = box.x - box.width / 2, box.y, box.width, box.height
    classes = ["tpop-node", f"tpop-node-{node.kind}"]
    if on_path:
        classes.append("is-path")
    if current:
        classes.append("is-current")
    if selected:
        classes.append("is-selected")
    if node.is_outcome:
        full = f"{_generic(tree, node.title[lang])} — {_generic(tree, node.summary[lang])}"
        name = _generic(tree, node.title[lang])
    else:
        full = f"{_generic(tree, node.text[lang])}\n{_generic(tree, node.help[lang])}"
        name = f"Q{numbers.get(node.id, '?')} · {_short_question(_generic(tree, node.text[lang]))}"
    button = (
        f' role="button" tabindex="0" aria-label="{_e(name)}" '
        f'aria-pressed="{"true" if selected else "false"}"'
        if selectable
        else ""
    )
    out = [
        f'<g class="{" ".join(classes)}" data-node="{_e(node.id)}"{button} '
        f'opacity="{FADED if faded else "1"}">'
    ]
    out.append(f"<title>{_e(full)}</title>")
    if current or selected:
        out.append(
            f'<rect x="{_fmt(x0 - 5)}" y="{_fmt(y0 - 5)}" width="{_fmt(w + 10)}" '
            f'height="{_fmt(h + 10)}" rx="13" fill="{ACCENT}" fill-opacity="0.14" '
            f'stroke="{ACCENT}" stroke-width="2" stroke-dasharray="{"0" if current else "5 3"}"/>'
        )
    if node.is_outcome:
        fg, bg, border = TONE_COLOURS.get(node.tone, _NEUTRAL_TONE)
        stroke = ACCENT if on_path else border
        out.append(
            f'<rect x="{_fmt(x0)}" y="{_fmt(y0)}" width="{_fmt(w)}" height="{_fmt(h)}" rx="9" '
            f'fill="{bg}" stroke="{stroke}" stroke-width="{"2.6" if on_path else "1.5"}"/>'
            f'<rect x="{_fmt(x0)}" y="{_fmt(y0 + 6)}" width="4" height="{_fmt(h - 12)}" '
            f'rx="2" fill="{fg}"/>'
        )
        out.append(
            _text_lines(
                box.lines,
                x0 + PAD_X + 2,
                y0 + PAD_Y + TITLE_SIZE,
                TITLE_SIZE,
                LINE,
                font_weight="700",
                fill=fg,
            )
        )
    else:
        stroke = ACCENT if on_path else BORDER
        out.append(
            f'<rect x="{_fmt(x0)}" y="{_fmt(y0)}" width="{_fmt(w)}" height="{_fmt(h)}" rx="9" '
            f'fill="#ffffff" stroke="{stroke}" stroke-width="{"2.6" if on_path else "1.5"}"/>'
        )
        number = f"Q{numbers.get(node.id, '?')}"
        tag_w = _text_width(number, TAG_SIZE, bold=True) + 10
        out.append(
            f'<rect x="{_fmt(x0 + 8)}" y="{_fmt(y0 - TAG_HEIGHT / 2)}" width="{_fmt(tag_w)}" '
            f'height="{_fmt(TAG_HEIGHT)}" rx="{_fmt(TAG_HEIGHT / 2)}" '
            f'fill="{ACCENT if on_path else "#5b6675"}"/>'
            f'<text class="tpop-node-tag" x="{_fmt(x0 + 8 + tag_w / 2)}" '
            f'y="{_fmt(y0 + TAG_SIZE * 0.36)}" '
            f'font-size="{_fmt(TAG_SIZE)}" '
            f'font-weight="700" text-anchor="middle" fill="#ffffff">{_e(number)}</text>'
        )
        out.append(
            _text_lines(
                box.lines, box.x, y0 + PAD_Y + 4 + TEXT_SIZE, TEXT_SIZE, LINE,
                text_anchor="middle", fill=INK,
            )
        )
    if flags:
        badge = f"⚑ {len(flags)}"
        bw = _text_width(badge, TAG_SIZE, bold=True) + 10
        bx = x0 + w - bw - 8
        out.append(
            f'<g class="tpop-flag-badge"><title>{_e(" · ".join(flags))}</title>'
            f'<rect x="{_fmt(bx)}" y="{_fmt(y0 - TAG_HEIGHT / 2)}" width="{_fmt(bw)}" '
            f'height="{_fmt(TAG_HEIGHT)}" rx="{_fmt(TAG_HEIGHT / 2)}" '
            f'fill="#fff8e6" stroke="#f2c94c"/>'
            f'<text x="{_fmt(bx + bw / 2)}" y="{_fmt(y0 + TAG_SIZE * 0.36)}" '
            f'font-size="{_fmt(TAG_SIZE)}" '
            f'font-weight="700" text-anchor="middle" fill="#8a5a00">{_e(badge)}</text></g>'
        )
    out.append("</g>")
    return "".join(out)


def _legend_items(
    tree: Tree, lang: str, kb: KnowledgeBase
) -> list[tuple[str, tuple[str, str, str]]]:
    items: list[tuple[str, tuple[str, str, str]]] = [
        (_ui(kb, "question", lang) or "Question", (MUTED, "#ffffff", BORDER))
    ]
    tones = list(dict.fromkeys(node.tone for node in tree.outcomes.values()))
    order = list(TONE_COLOURS)
    for tone in sorted(tones, key=lambda x: order.index(x) if x in order else len(order)):
        label = _ui(kb, f"tones.{tone}", lang) or tone
        items.append((label, TONE_COLOURS.get(tone, _NEUTRAL_TONE)))
    if tree.flags:
        items.append((f"⚑ {_ui(kb, 'flags', lang) or 'flags'}", TONE_COLOURS["wait"]))
    return items


def _legend(geo: Layout) -> str:
    out = ['<g class="tpop-legend">']
    for label, (fg, bg, border), x, y, w in geo.legend:
        out.append(
            f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(w)}" height="22" rx="11" '
            f'fill="{bg}" stroke="{border}"/>'
            f'<text x="{_fmt(x + w / 2)}" y="{_fmt(y + 15)}" font-size="{_fmt(LEGEND_SIZE)}" '
            f'font-weight="700" text-anchor="middle" fill="{fg}">{_e(label)}</text>'
        )
    out.append("</g>")
    return "".join(out)
