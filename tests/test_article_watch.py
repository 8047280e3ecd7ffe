"""The article-change watch, against a real HTTP server on loopback (pytest-httpserver)."""

from __future__ import annotations

import datetime as dt
import html
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT
from werkzeug import Response

from tpop_kb import article_watch
from tpop_kb.article_watch import ENV_OFFLINE, cached_check, check, compare, page_lines

PATH = "/en/article/ubh8wu"


def help_page(text: str) -> str:
    """The article as a help-centre page: navigation, scripts, the body in blocks, a footer."""
    blocks = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line == "Postal tracking of an order":
            blocks.append(f"<h1 class='csh-article-title'>{html.escape(line)}</h1>")
        elif line.startswith("You have "):
            blocks.append(f"<ul><li>{html.escape(line)}</li></ul>")
        elif line.startswith("Updated on"):
            blocks.append(f"<div class='csh-article-date'><span>{html.escape(line)}</span></div>")
        else:
            blocks.append(f"<p>{html.escape(line)}</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Postal tracking of an order | TPOP Help Center</title>"
        "<style>p { color: red }</style><script>window.CRISP = {a: '<p>x</p>'};</script>"
        "</head><body><header><nav><a href='/en/'>TPOP Help Center</a>"
        "<a href='/en/category/print-on-demand'>Print on demand</a></nav>"
        "<form><input placeholder='Search for articles...'><button>Search</button></form>"
        "</header><main><article>" + "".join(blocks) + "</article></main>"
        "<footer><p>Related articles</p><p>Shipping times</p><p>© TPOP</p></footer>"
        "<noscript>Please enable JavaScript</noscript></body></html>"
    )


@pytest.fixture
def stored(kb):
    return kb.article.text


def changed_text(stored: str) -> str:
    return (
        stored.replace("more than 21 days ago", "more than 30 days ago")
        .replace("TPOP does not cover the shipment of a new parcel.", "")
        .replace(
            "Finally, click on the tracking link.",
            "Finally, click on the tracking link.\n\nTracking now also shows in the TPOP app.",
        )
        .replace("Updated on: 12/09/2024", "Updated on: 03/02/2025")
    )


def serve(httpserver, page: str, status: int = 200) -> str:
    httpserver.expect_request(PATH).respond_with_data(
        page, status=status, content_type="text/html; charset=utf-8"
    )
    return httpserver.url_for(PATH)


def test_unchanged_page(httpserver, stored):
    url = serve(httpserver, help_page(stored))
    result = check(url, timeout=5)
    assert result.status == "unchanged", result.report()
    assert result.published_updated_on == dt.date(2024, 9, 12) == result.stored_updated_on
    assert (result.changed, result.disappeared, result.new_text) == ((), (), ())
    assert result.message("fr") == "L'article d'aide n'a pas changé depuis le 12/09/2024."
    assert result.message("en") == "The help article has not changed since 2024-09-12."
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"].startswith("tpop-kb")


def test_typographic_quotes_and_spacing_do_not_count_as_changes(httpserver, stored):
    page = help_page(stored.replace('"delivered"', "“delivered”").replace(". ", ".\u00a0 "))
    assert check(serve(httpserver, page)).status == "unchanged"


def test_changed_page(httpserver, stored):
    result = check(serve(httpserver, help_page(changed_text(stored))))
    assert result.status == "changed"
    assert result.published_updated_on == dt.date(2025, 2, 3)
    assert [c.id for c in result.changed] == ["contact-after-21-days"]
    assert result.changed[0].new == (
        "Please contact us only if your parcel was shipped more than 30 days ago."
    )
    assert "21 days" in result.changed[0].old
    assert result.disappeared == ("no-reshipment",)
    assert result.new_text == ("Tracking now also shows in the TPOP app.",)
    assert "q_contact_window_silent" in result.affected and "contact_tpop" in result.affected
    assert "delivered_go_to_post_office" in result.affected  # cites no-reshipment
    assert result.passages_to_review == ("contact-after-21-days", "no-reshipment")
    message = result.message("fr")
    assert "03/02/2025" in message and "12/09/2024" in message
    assert "contact-after-21-days" in message and "no-reshipment" in message
    assert "L'arbre de décision doit être relu" in message
    report = result.report()
    assert "changed passage contact-after-21-days" in report
    assert "now:    Please contact us only if your parcel was shipped more than 30" in report
    assert "disappeared passage no-reshipment" in report
    assert "new text: Tracking now also shows in the TPOP app." in report


def test_only_the_date_changed(httpserver, stored):
    page = help_page(stored.replace("Updated on: 12/09/2024", "Updated on: 14/01/2025"))
    result = check(serve(httpserver, page))
    assert result.status == "changed" and result.date_changed
    assert result.passages_to_review == () and result.new_text == ()
    assert result.message("en") == (
        "The help article's date changed (page updated on 2025-01-14, stored copy of "
        "2024-09-12) but its passages read the same."
    )
    assert "only the date changed" in result.report()


@pytest.mark.parametrize("status", [404, 500, 503])
def test_http_errors_are_unavailable(httpserver, status):
    result = check(serve(httpserver, "nope", status=status))
    assert result.status == "unavailable" and f"HTTP {status}" in result.reason
    assert "Impossible de vérifier l'article d'aide" in result.message("fr")
    assert "12/09/2024" in result.message("fr")


def test_a_page_without_the_article_is_unavailable(httpserver):
    page = "<html><body><div id='app'></div><noscript>Enable JavaScript</noscript></body></html>"
    result = check(serve(httpserver, page))
    assert result.status == "unavailable" and "does not contain the article" in result.reason


def test_timeout_is_unavailable_quickly(httpserver):
    release = threading.Event()

    def slow(request):
        release.wait(5)
        return Response("late", status=200)

    httpserver.expect_request(PATH).respond_with_handler(slow)
    started = time.monotonic()
    result = check(httpserver.url_for(PATH), timeout=0.2)
    assert result.status == "unavailable" and "no answer within 0.2 s" in result.reason
    assert time.monotonic() - started < 1.0
    release.set()  # let the server finish before the next test
    while not httpserver.log and time.monotonic() - started < 5:
        time.sleep(0.01)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{PATH}"


def test_offline_is_unavailable():
    result = check(closed_port_url(), timeout=2)
    assert result.status == "unavailable" and "could not connect" in result.reason


def test_switched_off(monkeypatch, httpserver, stored):
    monkeypatch.setenv(ENV_OFFLINE, "1")
    result = check(serve(httpserver, help_page(stored)))
    assert result.status == "unavailable" and ENV_OFFLINE in result.reason
    assert len(httpserver.log) == 0


def test_cached_check_asks_once(httpserver, stored, monkeypatch):
    monkeypatch.setattr(article_watch, "_CACHE", {})
    url = serve(httpserver, help_page(stored))
    first = cached_check(url, max_age=60)
    second = cached_check(url, max_age=60)
    assert first is second and first.status == "unchanged"
    assert len(httpserver.log) == 1


def test_page_lines_skip_scripts_and_split_blocks():
    lines = page_lines(
        "<html><head><title>T</title></head><body><script>var x='<p>no</p>'</script>"
        "<p>One&nbsp;two</p><p>💡 Three<br>four</p></body></html>"
    )
    assert lines == ["One two", "Three", "four"]


def test_compare_works_on_the_stored_text_itself(stored):
    assert compare(stored).status == "unchanged"


# ---------------------------------------------------------------------------
# python -m tpop_kb check-article
# ---------------------------------------------------------------------------


def _cli(*args):
    env = {k: v for k, v in os.environ.items() if k != ENV_OFFLINE}
    return subprocess.run(
        [sys.executable, "-m", "tpop_kb", "check-article", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env=env,
    )  # fmt: skip


def test_cli_unchanged(httpserver, stored):
    done = _cli("--url", serve(httpserver, help_page(stored)))
    assert done.returncode == 0, done.stderr
    assert "unchanged" in done.stdout and "2024-09-12" in done.stdout


def test_cli_changed(httpserver, stored):
    done = _cli("--url", serve(httpserver, help_page(changed_text(stored))))
    assert done.returncode == 1, done.stderr
    assert "CHANGED" in done.stdout
    assert "changed passage contact-after-21-days" in done.stdout
    assert "disappeared passage no-reshipment" in done.stdout


def test_cli_could_not_check():
    done = _cli("--url", closed_port_url(), "--timeout", "2")
    assert done.returncode == 3 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tpop_kb: could not check the article")
    assert "Traceback" not in done.stderr
