"""The landing page app, without a browser: texts, language toggle, links."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pytest

from tpop_kb import knowledge
from tpop_kb.apps import LandingApp
from tpop_kb.apps._base import esc, t
from tpop_kb.apps.landing import PAGES, notebooks_dir
from tpop_kb.apps.style import TONES, style_widget

ROOT = Path(__file__).resolve().parent.parent


def page_html(app: LandingApp) -> str:
    """Every HTML text the page shows, in order."""
    out: list[str] = []

    def walk(widget: widgets.Widget) -> None:
        if isinstance(widget, widgets.HTML):
            out.append(widget.value)
        for child in getattr(widget, "children", ()):
            walk(child)

    walk(app.root)
    return "\n".join(out)


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    (tmp_path / "index.ipynb").write_text("{}")
    (tmp_path / "bulk_triage.ipynb").write_text("{}")
    return tmp_path


def test_ui_texts_exist_in_both_languages():
    def leaves(node, where):
        if isinstance(node, dict) and set(node) == {"en", "fr"}:
            yield where, node
        else:
            assert isinstance(node, dict), f"ui.yaml {where}: expected a mapping or {{en, fr}}"
            for key, child in node.items():
                yield from leaves(child, f"{where}.{key}")

    ui = knowledge().ui
    assert {"common", "landing"} <= set(ui)
    for section in ("common", "landing"):
        found = list(leaves(ui[section], section))
        assert found
        for where, texts in found:
            assert str(texts["en"]).strip() and str(texts["fr"]).strip(), where


def test_root_classes_and_no_display(notebooks):
    app = LandingApp(notebooks=notebooks)
    assert {"tpop-app", "tpop-landing"} <= set(app.root._dom_classes)
    assert app.root.children[0].value.startswith("<style>")
    assert "tpop-header" in app.header._dom_classes
    assert app.lang_toggle in app.header.children
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_texts_in_each_language(lang, notebooks):
    kb = knowledge()
    html = page_html(LandingApp(lang=lang, notebooks=notebooks))
    assert t("landing.title", lang) in html
    assert kb.article.title[lang].replace("'", "&#x27;") in html
    assert f'href="{kb.article.source_url}"' in html
    assert 'datetime="2024-09-12"' in html
    assert {"fr": "12 septembre 2024", "en": "12 September 2024"}[lang] in html
    assert f'<code class="tpop-kb-version">{kb.version}</code>' in html
    for value in kb.tree.thresholds.values():
        assert f"<strong>{value}</strong>" in html
    assert "{" not in html.split("</style>", 1)[1]  # every placeholder filled
    for key, _ in PAGES:
        assert t(f"landing.pages.{key}.title", lang).replace("'", "&#x27;") in html


def test_toggle_switches_language_live(notebooks):
    app = LandingApp(notebooks=notebooks)
    french = page_html(app)
    assert "Base de connaissances du suivi postal" in french
    assert "Mis à jour le" in french
    app.lang_toggle.value = "en"
    english = page_html(app)
    assert app.state.lang == "en"
    assert english != french
    assert "Postal tracking knowledge base" in english
    assert "Updated on" in english and "Mis à jour le" not in english
    assert "Bientôt" not in english and "Coming soon" in english
    app.lang_toggle.value = "fr"
    assert page_html(app) == french


def test_links_only_for_existing_notebooks(notebooks):
    app = LandingApp(lang="en", notebooks=notebooks)
    html = page_html(app)
    assert app.state.available == ["bulk_triage.ipynb"]
    assert html.count('class="tpop-card tpop-page-link"') == 1
    assert 'href="bulk_triage.ipynb"' in html
    for _, notebook in PAGES:
        if notebook != "bulk_triage.ipynb":
            assert f'href="{notebook}"' not in html
    assert html.count("Coming soon") == len(PAGES) - 1
    # A notebook that appears later shows as a link once the state says so.
    app.state.available = ["bulk_triage.ipynb", "training.ipynb"]
    assert 'href="training.ipynb"' in page_html(app)


def test_no_notebooks_folder_means_no_links(tmp_path):
    html = page_html(LandingApp(lang="fr", notebooks=tmp_path / "missing"))
    assert "tpop-page-link" not in html
    assert html.count("Bientôt") == len(PAGES)


def test_notebooks_dir_is_found_from_repo_and_from_kernel_cwd(monkeypatch):
    monkeypatch.delenv("TPOP_KB_NOTEBOOKS", raising=False)
    monkeypatch.chdir(ROOT)
    assert notebooks_dir() == ROOT / "notebooks"
    monkeypatch.chdir(ROOT / "notebooks")  # where Voila and nbval run the kernel
    assert notebooks_dir() == ROOT / "notebooks"
    monkeypatch.setenv("TPOP_KB_NOTEBOOKS", "/elsewhere")
    assert notebooks_dir() == Path("/elsewhere")


def test_text_is_escaped(notebooks, monkeypatch):
    kb = knowledge()
    ui = kb.ui
    monkeypatch.setitem(ui["landing"]["title"], "en", "<script>alert(1)</script>")
    html = page_html(LandingApp(lang="en", notebooks=notebooks))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_style_has_shared_classes():
    css = style_widget().value
    for name in ("tpop-app", "tpop-header", "tpop-card", "tpop-badge", "@media"):
        assert f"{name}" in css
    for tone in ("wait", "act", "escalate", "done", "decide", "error"):
        assert f".tpop-tone-{tone}" in css
    tones = {node.tone for node in knowledge().tree.outcomes.values()}
    assert tones <= set(TONES), f"tree.yaml uses tones without a colour: {tones - set(TONES)}"


def test_a_broken_knowledge_file_shows_one_clear_card(tmp_path, monkeypatch, request):
    """A malformed data file: the page says which file and line, and shows no traceback."""
    import shutil

    from tpop_kb.knowledge import data_dir, knowledge

    copy = tmp_path / "data"
    shutil.copytree(data_dir(), copy)
    tree_file = copy / "knowledge" / "postal-tracking" / "tree.yaml"
    tree_file.write_text(tree_file.read_text().replace("root: q_valid", "root: [broken"))
    monkeypatch.setenv("TPOP_KB_DATA", str(copy))
    knowledge.cache_clear()
    request.addfinalizer(knowledge.cache_clear)
    from tpop_kb.apps import LandingApp

    app = LandingApp(lang="en", notebooks=tmp_path)
    text = app.fault.value
    assert "tree.yaml, line" in text and "could not be loaded" in text
    assert "Traceback" not in text
    assert len(app.root.children) == 2  # the style sheet and the card, nothing else


def test_a_failing_callback_shows_a_message_and_the_page_keeps_working(tmp_path):
    from tpop_kb.apps import LandingApp
    from tpop_kb.apps._base import guarded

    class Flaky(LandingApp):
        @guarded
        def _on_boom(self):
            raise RuntimeError("secret customer value")

    app = Flaky(lang="fr", notebooks=tmp_path)
    app._on_boom()
    assert "RuntimeError" in app.fault.value
    assert "secret customer value" not in app.fault.value
    assert app.fault.layout.display is None
    app.lang_toggle.value = "en"  # still alive
    assert app.state.lang == "en"


def _wait_for_watch(app, timeout=10.0):
    import time

    # The check runs on a thread: the state is set first, then its observer
    # redraws the banner, so wait for both (a bare state check raced the redraw).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.state.watch is not None and 'data-status="checking"' not in app.watch_banner.value:
            break
        time.sleep(0.05)
    return app.state.watch


@pytest.mark.parametrize("changed", [False, True])
def test_article_watch_banner(httpserver, monkeypatch, tmp_path, changed):
    """The banner compares the published page (a loopback server here) with the stored copy."""
    from test_article_watch import changed_text, help_page

    from tpop_kb import article_watch
    from tpop_kb.apps import LandingApp
    from tpop_kb.knowledge import knowledge

    text = knowledge().article.text
    page = help_page(changed_text(text) if changed else text)
    httpserver.expect_request("/en/article/ubh8wu").respond_with_data(
        page, content_type="text/html; charset=utf-8")
    monkeypatch.setenv("TPOP_KB_ARTICLE_URL", httpserver.url_for("/en/article/ubh8wu"))
    monkeypatch.delenv("TPOP_KB_OFFLINE", raising=False)
    monkeypatch.setattr(article_watch, "_CACHE", {})
    app = LandingApp(lang="en", notebooks=tmp_path)
    result = _wait_for_watch(app)
    assert result is not None and result.status == ("changed" if changed else "unchanged")
    assert f'data-status="{result.status}"' in app.watch_banner.value
    app.lang_toggle.value = "fr"
    assert esc(result.message("fr")) in app.watch_banner.value


def test_article_watch_offline_never_blocks(monkeypatch, tmp_path):
    from tpop_kb import article_watch
    from tpop_kb.apps import LandingApp

    monkeypatch.setenv("TPOP_KB_ARTICLE_URL", "http://127.0.0.1:9/nowhere")  # refused at once
    monkeypatch.setattr(article_watch, "_CACHE", {})
    app = LandingApp(lang="fr", notebooks=tmp_path)
    assert app.pages.value  # the page is there before the check answers
    result = _wait_for_watch(app)
    assert result.status == "unavailable"
    assert 'data-status="unavailable"' in app.watch_banner.value
    assert "Impossible de vérifier" in app.watch_banner.value
