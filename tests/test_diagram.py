"""The decision-tree diagram: drawn from tree.yaml, readable, highlighted on demand."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from tpop_kb.apps.style import TONES
from tpop_kb.diagram import (
    TONE_COLOURS,
    decision_path,
    layout,
    question_numbers,
    tree_svg,
)
from tpop_kb.knowledge import KnowledgeBase, Node, Tree, data_dir
from tpop_kb.scenarios import run, scenarios

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter() if cls in (g.get("class") or "").split()]


def texts(element: ET.Element) -> str:
    """The visible words of an element (tooltips left out), lines joined by spaces."""
    out = []
    for node in element.iter():
        if node.tag == f"{SVG}title":
            continue
        if node.tag == f"{SVG}tspan" or (node.tag == f"{SVG}text" and node.text):
            out.append(node.text or "")
    return " ".join(out)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_node_answer_and_tone_is_drawn(lang, tree, kb):
    root = parse(tree_svg(tree, lang))
    assert root.tag == f"{SVG}svg"
    drawn = {g.get("data-node") for g in groups(root, "tpop-node")}
    assert drawn == tree.reachable()
    edges = {p.get("data-edge") for p in groups(root, "tpop-edge")}
    assert edges == {f"{q.id}:{a}" for q in tree.questions.values() for a in q.answers}
    labels = " ".join(texts(g) for g in groups(root, "tpop-edge-label"))
    for question in tree.questions.values():
        for answer in question.answers:
            for word in tree.answer_label(question, answer, lang).split():
                assert word in labels
    for node_id, node in tree.outcomes.items():
        (group,) = [g for g in groups(root, "tpop-node") if g.get("data-node") == node_id]
        fg, bg, border = TONE_COLOURS[node.tone]
        assert bg in ET.tostring(group, encoding="unicode")
        title = " ".join(tree.fill(node.title[lang]).split())
        assert " ".join(texts(group).split()) == title
    legend = texts(groups(root, "tpop-legend")[0])
    for tone in {n.tone for n in tree.outcomes.values()}:
        assert kb.ui["diagram"]["tones"][tone][lang] in legend


def test_questions_show_thresholds_filled_and_are_numbered(tree):
    root = parse(tree_svg(tree, "en"))
    numbers = question_numbers(tree)
    assert numbers[tree.root] == 1
    assert sorted(numbers.values()) == list(range(1, len(tree.questions) + 1))
    words = " ".join(texts(g) for g in groups(root, "tpop-node"))
    assert "{" not in words
    assert f"{tree.thresholds['activation_working_hours']} working hours" in words
    assert f"{tree.thresholds['contact_after_days']} days" in words
    for node_id, n in numbers.items():
        (group,) = [g for g in groups(root, "tpop-node") if g.get("data-node") == node_id]
        assert texts(group).startswith(f"Q{n} ")


def test_the_two_languages_differ(tree):
    fr, en = tree_svg(tree, "fr"), tree_svg(tree, "en")
    assert 'lang="fr"' in fr and 'lang="en"' in en
    assert "Oui" in fr and "Yes" in en and "Yes" not in fr


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_nothing_overlaps_and_everything_fits(lang, tree):
    geo = layout(tree, lang)
    boxes = [b for b in geo.boxes.values() if not b.dummy]
    for i, a in enumerate(boxes):
        assert a.x - a.width / 2 >= 0 and a.x + a.width / 2 <= geo.width
        assert a.y >= 0 and a.y + a.height <= geo.height
        for b in boxes[i + 1 :]:
            apart = (
                a.x + a.width / 2 <= b.x - b.width / 2
                or b.x + b.width / 2 <= a.x - a.width / 2
                or a.y + a.height <= b.y
                or b.y + b.height <= a.y
            )
            assert apart, f"{a.id} overlaps {b.id}"
    # Children sit below their parents: arrows point down.
    for edge in geo.edges:
        assert geo.boxes[edge.target].layer > geo.boxes[edge.source].layer
    # Readable at a glance: compact enough to show at ~90% in a page column.
    assert geo.width < 1000
    for legend in geo.legend:
        assert legend[2] + legend[4] <= geo.width


def _rect_box(rect: ET.Element) -> tuple[float, float, float, float]:
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("selected", [None, "q_at_post_office"])
def test_no_answer_label_lies_on_a_node(lang, selected, tree, kb):
    """As drawn: every answer label's box (e.g. Q5's "Oui, il attend au bureau de poste…",
    four lines) is clear of every node's boxes (its ring, number tag and flag badge too)."""
    root = parse(tree_svg(tree, lang, selected=selected, kb=kb, selectable=True))
    labels = [_rect_box(g.find(f"{SVG}rect")) for g in groups(root, "tpop-edge-label")]
    nodes = {g.get("data-node"): [_rect_box(r) for r in g.iter(f"{SVG}rect")]
             for g in groups(root, "tpop-node")}
    assert len(labels) == sum(len(n.answers) for n in tree.nodes.values()) and nodes
    for lx0, ly0, lx1, ly1 in labels:
        for node_id, rects in nodes.items():
            for nx0, ny0, nx1, ny1 in rects:
                apart = lx1 <= nx0 or nx1 <= lx0 or ly1 <= ny0 or ny1 <= ly0
                assert apart, (lang, node_id, (lx0, ly0, lx1, ly1), (nx0, ny0, nx1, ny1))


def test_a_decision_path_is_highlighted(tree):
    decision = run(scenarios()["ghent-day-3-silent"])
    ids = decision_path(decision)
    assert ids[0] == tree.root and ids[-1] == decision.code
    root = parse(tree_svg(tree, "fr", path=ids, current=decision.code))
    on_path = {g.get("data-node") for g in groups(root, "is-path") if g.get("data-node")}
    assert on_path == set(ids)
    hot_edges = {
        g.get("data-edge") for g in groups(root, "tpop-edge") if "is-path" in g.get("class")
    }
    assert hot_edges == {f"{s.node.id}:{s.answer}" for s in decision.path}
    (current,) = groups(root, "is-current")
    assert current.get("data-node") == decision.code
    faded = [g for g in groups(root, "tpop-node") if g.get("data-node") not in ids]
    assert faded and all(g.get("opacity") != "1" for g in faded)
    # Part of the path: walk mode shows the first steps only.
    assert decision_path(decision, 2) == ids[:2]


def test_a_selected_node_is_marked_without_fading(tree):
    root = parse(tree_svg(tree, "en", selected="q_abroad"))
    (selected,) = groups(root, "is-selected")
    assert selected.get("data-node") == "q_abroad"
    assert all(g.get("opacity") == "1" for g in groups(root, "tpop-node"))


def test_flags_are_shown_on_the_node_they_follow(tree):
    root = parse(tree_svg(tree, "en"))
    afters = {f.after for f in tree.flags.values()}
    for node_id in afters:
        (group,) = [g for g in groups(root, "tpop-node") if g.get("data-node") == node_id]
        count = sum(1 for f in tree.flags.values() if f.after == node_id)
        assert f"⚑ {count}" in texts(group)


def test_tone_colours_are_the_pages_colours():
    assert TONE_COLOURS == TONES


def test_text_is_escaped_and_a_changed_tree_is_redrawn(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    tree_file = copy / "knowledge" / "postal-tracking" / "tree.yaml"
    text = tree_file.read_text(encoding="utf-8")
    text = text.replace(
        "en: Does the tracking show the parcel as delivered?",
        'en: Does the <b>tracking</b> show "delivered" & done?',
    )
    tree_file.write_text(text, encoding="utf-8")
    kb = KnowledgeBase(copy)
    svg = tree_svg(kb.tree, "en", kb=kb)
    parse(svg)  # still well-formed XML
    assert "<b>" not in svg
    assert "&lt;b&gt;tracking&lt;/b&gt;" in svg and "&amp; done" in svg


def _node(node_id: str, answers: dict[str, str] | None = None) -> Node:
    texts = {"en": node_id, "fr": node_id}
    if answers is None:
        return Node(node_id, "outcome", (), tone="wait", title=texts, summary=texts,
                    steps={"en": [], "fr": []}, reason=texts)
    return Node(node_id, "question", (), fact=node_id, text=texts, help=texts,
                answers=answers, when_unknown=next(iter(answers)))


def test_any_tree_shape_is_laid_out_and_a_cycle_is_refused():
    nodes = {
        "a": _node("a", {"yes": "b", "no": "c", "maybe": "z"}),
        "b": _node("b", {"yes": "c", "no": "y"}),
        "c": _node("c", {"yes": "y", "no": "z"}),
        "y": _node("y"),
        "z": _node("z"),
    }
    tree = Tree("demo", "a", {}, nodes, {})
    geo = layout(tree, "en", legend=False)
    assert {b.layer for b in geo.boxes.values() if b.id in ("a", "b", "c")} == {0, 1, 2}
    assert geo.boxes["y"].layer == 3 and geo.boxes["z"].layer == 3
    assert any(b.dummy for b in geo.boxes.values())  # a -> z skips two layers
    root = parse(tree_svg(tree, "en", legend=False))
    assert len(groups(root, "tpop-edge")) == 7
    cyclic = Tree("demo", "a", {}, {**nodes, "c": _node("c", {"yes": "a", "no": "z"})}, {})
    with pytest.raises(ValueError, match="cycle"):
        layout(cyclic, "en", legend=False)


def test_svg_has_an_accessible_title_and_no_script(tree, kb):
    svg = tree_svg(tree, "fr")
    assert f"<title>{kb.ui['diagram']['title']['fr']}" in svg.replace("&#x27;", "'")
    assert 'role="img"' in svg
    assert not re.search(r"<script|javascript:|on\w+=", svg)


def test_a_selectable_tree_makes_every_node_a_keyboard_button(tree, kb):
    plain = tree_svg(tree, "en")
    assert 'role="button"' not in plain and "tabindex" not in plain
    svg = tree_svg(tree, "en", selected="q_abroad", selectable=True)
    root = parse(svg)
    assert root.get("role") == "group" and "is-selectable" in root.get("class")
    assert root.get("aria-label") == kb.ui["diagram"]["title"]["en"]
    nodes = groups(root, "tpop-node")
    assert {g.get("data-node") for g in nodes} == tree.reachable()
    numbers = question_numbers(tree)
    for group in nodes:
        node_id = group.get("data-node")
        assert group.get("role") == "button" and group.get("tabindex") == "0"
        assert group.get("aria-pressed") == ("true" if node_id == "q_abroad" else "false")
        node = tree.nodes[node_id]
        if node.is_outcome:
            assert group.get("aria-label") == tree.fill(node.title["en"])
        else:
            assert group.get("aria-label").startswith(f"Q{numbers[node_id]} · ")
    assert not re.search(r"<script|javascript:|on\w+=", svg)


def test_no_tooltip_shows_an_outcome_code(tree):
    svg = tree_svg(tree, "en")
    for outcome in tree.outcomes:
        assert f"({outcome})" not in svg
