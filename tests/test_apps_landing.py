"""The landing page app, without a browser: texts, language toggle, links."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import widget_html

from tpop_kb import knowledge
from tpop_kb.apps import LandingApp
from tpop_kb.apps._base import esc, wording
from tpop_kb.apps.landing import PAGES, notebooks_dir
from tpop_kb.apps.style import TONES, style_widget

ROOT = Path(__file__).resolve().parent.parent


def page_html(app: LandingApp) -> str:
    """Every HTML text the page shows, in order."""
    return widget_html(app.root)


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    (tmp_path / "index.ipynb").write_text("{}")
    (tmp_path / "bulk_triage.ipynb").write_text("{}")
    return tmp_path


def test_ui_texts_exist_in_both_languages(leaves):
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
    assert wording("landing.title", lang) in html
    assert kb.article.title[lang].replace("'", "&#x27;") in html
    assert f'href="{kb.article.source_url}"' in html
    assert 'datetime="2024-09-12"' in html
    assert {"fr": "12 septembre 2024", "en": "12 September 2024"}[lang] in html
    assert f'<code class="tpop-kb-version">{kb.version}</code>' in html
    for value in kb.tree.thresholds.values():
        assert f"<strong>{value}</strong>" in html
    assert "{" not in html.split("</style>", 1)[1]  # every placeholder filled
    for key, _ in PAGES:
        assert wording(f"landing.pages.{key}.title", lang) in html


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
    # nothing half-translated: the reason is in French too
    assert "connexion impossible" in app.watch_banner.value
    assert "could not connect" not in app.watch_banner.value


# ---------------------------------------------------------------------------
# What every page shares (_base): the language kept in the browser, the tab's title,
# the "All pages" link
# ---------------------------------------------------------------------------


def test_every_page_has_a_tab_title_in_both_languages(kb):
    from tpop_kb.apps import __all__ as apps
    from tpop_kb.apps._base import page_title

    titles = kb.ui["common"]["page_titles"]
    assert set(titles) == {"landing", *(k for k, _ in PAGES)}
    assert len(apps) == len(titles)
    assert page_title("order_assistant", "fr") == "Assistant commande — TPOP"
    assert page_title("order_assistant", "en") == "Order assistant — TPOP"
    for key in titles:
        for lang in ("fr", "en"):
            assert page_title(key, lang).endswith(" — TPOP"), (key, lang)


def test_the_page_session_follows_the_language_both_ways(notebooks):
    from tpop_kb.apps._base import PageSession

    app = LandingApp(lang="fr", notebooks=notebooks, watch=False)
    session = app.session
    assert isinstance(session, PageSession) and session in app.root.children
    assert session.layout.display == "none"
    assert (session.lang, session.title) == ("fr", "Base de connaissances du support — TPOP")
    # the browser found "en" in the link or in its storage: the whole page follows
    session.lang = "en"
    assert app.state.lang == "en" and app.lang_toggle.value == "en"
    assert "Postal tracking knowledge base" in page_html(app)
    assert session.title == "Support knowledge base — TPOP"
    # the toggle tells the browser (which stores it and writes it in the address)
    app.lang_toggle.value = "fr"
    assert session.lang == "fr" and session.title.startswith("Base de connaissances")


def test_the_session_script_is_a_real_file_that_keeps_the_language():
    from tpop_kb.apps._base import PageSession, asset

    script = asset("common.js")
    assert PageSession._esm == script
    for needed in ("localStorage", "tpop-lang", "document.title", "replaceState",
                   'searchParams.set("lang"', "export default"):
        assert needed in script, needed


@pytest.mark.parametrize("lang, text", [("fr", "← Toutes les pages"), ("en", "← All pages")])
def test_the_all_pages_link(lang, text):
    from tpop_kb.apps._base import home_link

    html = home_link(lang)
    assert 'href="index.ipynb"' in html and 'class="tpop-home-link"' in html
    assert esc(text) in html


def test_the_shared_style_is_a_real_file():
    from tpop_kb.apps._base import asset

    css = asset("common.css")
    assert ".tpop-app" in css and css in style_widget().value


def test_landing_views_without_widgets(notebooks):
    from tpop_kb.apps.landing_views import about_html, pages_html, watch_html

    html = pages_html("en", ["training.ipynb"])
    assert html.count("tpop-page-link") == 1 and 'href="training.ipynb"' in html
    assert html.count("Coming soon") == len(PAGES) - 1
    assert "<strong>" in about_html("fr")
    assert 'data-status="checking"' in watch_html(None, "fr")


@pytest.mark.parametrize("name", ["OrderAssistantApp", "BulkTriageApp", "TrainingApp",
                                  "KnowledgeExplorerApp"])
def test_every_page_links_back_to_all_pages(name):
    import tpop_kb.apps as apps

    app = getattr(apps, name)(lang="en")
    assert 'href="index.ipynb"' in widget_html(app.root)
