"""The knowledge data: article passages and the decision tree hold together."""

from __future__ import annotations

import shutil

import pytest

from tpop_kb.knowledge import KnowledgeBase, KnowledgeError, data_dir
from tpop_kb.triage import FACTS, OUTCOMES


def _words(text: str) -> str:
    return " ".join(text.replace("💡", " ").split())


def test_article_metadata(kb):
    article = kb.article
    assert article.source_url == "https://help.tpop.com/en/article/ubh8wu"
    assert article.updated_on.isoformat() == "2024-09-12"
    assert "Updated on: 12/09/2024" in article.text  # the stored copy says the same date


def test_every_passage_is_verbatim_in_the_article(kb):
    published = _words(kb.article.text)
    for passage in kb.article.passages.values():
        assert passage.text in published, passage.id


def test_every_article_paragraph_belongs_to_a_passage(kb):
    """No rule of the article is left out of the passages."""
    covered = " ".join(p.text for p in kb.article.passages.values())
    boilerplate = {"Articles on: Print on demand", "This article is also available in:",
                   "Postal tracking of an order", "Was this article helpful?",
                   "Share your feedback", "Cancel", "Thank you!", "Updated on: 12/09/2024"}
    for line in kb.article.text.splitlines():
        line = _words(line)
        if line and line not in boilerplate:
            assert line in covered, line


def test_passages_have_french(kb):
    for passage in kb.article.passages.values():
        assert passage.fr and passage.fr != passage.text


def test_every_node_is_reachable(tree):
    assert tree.reachable() == set(tree.nodes)


def test_outcomes_are_the_public_vocabulary(tree):
    assert set(tree.outcomes) == set(OUTCOMES)


def test_every_node_and_flag_cites_a_passage(tree, kb):
    for node in tree.nodes.values():
        assert node.passages, node.id
        assert all(p in kb.article.passages for p in node.passages)
    for flag in tree.flags.values():
        assert flag.passages, flag.id
        assert flag.after in tree.reachable()


def test_every_actionable_passage_is_cited(tree, kb):
    cited = {p for n in tree.nodes.values() for p in n.passages}
    cited |= {p for f in tree.flags.values() for p in f.passages}
    actionable = {p.id for p in kb.article.passages.values() if p.actionable}
    assert actionable - cited == set()


def test_questions_ask_known_facts_and_answer_every_value(tree):
    for node in tree.questions.values():
        assert node.fact in FACTS, node.id
        expected = ({"none", "not_received", "still_not_received"}
                    if node.fact == "customer_claim" else {"yes", "no"})
        assert set(node.answers) == expected, node.id
    for flag in tree.flags.values():
        assert flag.fact in FACTS


def test_thresholds_are_data(tree):
    assert tree.thresholds == {"activation_working_hours": 48, "contact_after_days": 21}


def test_texts_exist_in_both_languages_with_thresholds_filled(tree):
    for node in tree.nodes.values():
        for texts in (node.text, node.title, node.summary, node.reason):
            for lang in ("en", "fr") if texts else ():
                filled = tree.fill(texts[lang])
                assert "{activation_working_hours}" not in filled
                assert "{contact_after_days}" not in filled
        if node.is_outcome:
            assert len(node.steps["en"]) == len(node.steps["fr"]), node.id


def test_no_rule_number_in_python():
    """The thresholds live in tree.yaml only: no 48, 21 or 22 as a number in the package's code."""
    import io
    import tokenize
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "tpop_kb"
    for path in package.rglob("*.py"):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        numbers = {tok.string for tok in tokens if tok.type == tokenize.NUMBER}
        assert not numbers & {"48", "21", "22"}, path


def test_version_is_stable_and_changes_with_the_data(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    first = KnowledgeBase(copy).version
    assert KnowledgeBase(copy).version == first
    tree_file = copy / "knowledge" / "postal-tracking" / "tree.yaml"
    tree_file.write_text(tree_file.read_text().replace("contact_after_days: 21",
                                                       "contact_after_days: 30"))
    assert KnowledgeBase(copy).version != first
    assert KnowledgeBase(copy).tree.thresholds["contact_after_days"] == 30


def test_a_second_article_is_one_more_folder(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    folder = copy / "knowledge" / "returns"
    folder.mkdir()
    (folder / "article.txt").write_text("Returns\n\nSend it back within 14 days.\n")
    (folder / "article.yaml").write_text(
        "id: returns\ntitle: {en: Returns, fr: Retours}\nsource_url: https://help.tpop.com/x\n"
        "updated_on: 2025-01-01\npassages:\n  - id: send-back\n    kind: rule\n"
        "    actionable: true\n    text: Send it back within 14 days.\n"
        "    fr: Renvoyez-le sous 14 jours.\n"
    )
    kb = KnowledgeBase(copy)
    assert set(kb.articles) == {"postal-tracking", "returns"}
    assert kb.articles["returns"].tree is None
    assert kb.tree.root == "q_valid"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("contact_after_days: 21", "contact_after_days: soon", "threshold 'contact_after_days'"),
        ("yes: q_delivered", "yes: q_nowhere", "unknown node 'q_nowhere'"),
        ("passages: [contact-after-21-days]", "passages: [no-such-passage]",
         "unknown passage 'no-such-passage'"),
        ("root: q_valid", "root: [unclosed", "line"),
    ],
)
def test_a_broken_tree_names_file_and_problem(tmp_path, old, new, message):
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    tree_file = copy / "knowledge" / "postal-tracking" / "tree.yaml"
    text = tree_file.read_text()
    assert old in text
    tree_file.write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeError) as info:
        _ = KnowledgeBase(copy).tree
    assert "tree.yaml" in str(info.value)
    assert message in str(info.value)


def test_missing_data_file_is_named(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    (copy / "columns.yaml").unlink()
    with pytest.raises(KnowledgeError, match="columns.yaml: file is missing"):
        _ = KnowledgeBase(copy).columns


def test_shipped_data_validates(kb):
    kb.validate()
