"""Browser tests: a real Voila server on a free port, driven by Chromium through pytest-playwright.

Fixtures
--------
``voila_server`` (session)
    Starts ``python -m voila notebooks`` from the repository root (so ``voila.json``
    is read) with ``benchmarks/_voila.py`` (the one launcher of the tests and the
    benchmarks), waits until it answers and yields its base URL (a ``str`` ending in
    ``/``) carrying ``.log_path``, ``.log()`` and ``.render_url(notebook)``. The
    server's whole process group is stopped at the end of the session.
``voila_log`` (session)
    The path of the server's log file (stdout and stderr).
``open_app``
    ``open_app(page, "index.ipynb")`` opens a Voila page and waits until the
    app's widgets are rendered (see :func:`open_voila_page`).
``screenshot``
    ``screenshot(page, "landing")`` saves ``docs/screenshots/landing.png``.

Chromium: Debian's ``/usr/bin/chromium`` when it is installed, else
Playwright's own build (``playwright install chromium``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
SCREENSHOTS = REPO / "docs" / "screenshots"
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 800}
START_TIMEOUT_S = 60
RENDER_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser/ carries the ``browser`` mark."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# ---------------------------------------------------------------------------
# The Voila server
# ---------------------------------------------------------------------------


class VoilaServer(str):
    """The server's base URL (``http://127.0.0.1:PORT/``), with its log and process."""

    log_path: Path
    process: subprocess.Popen[bytes]

    def __new__(cls, url: str, log_path: Path, process: subprocess.Popen[bytes]) -> VoilaServer:
        server = super().__new__(cls, url)
        server.log_path = log_path
        server.process = process
        return server

    @property
    def url(self) -> str:
        return str(self)

    def render_url(self, notebook: str) -> str:
        return f"{self}voila/render/{notebook}"

    def log(self) -> str:
        """Everything the server wrote so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")




@pytest.fixture(scope="session")
def voila_server() -> Iterator[VoilaServer]:
    """The repository's ``notebooks/`` served by the one launcher of the tests and the
    benchmarks (``benchmarks/_voila.py``), as ``make app`` serves them."""
    from _voila import voila  # benchmarks/ is on the path (tests/conftest.py)

    try:
        with voila(copy=False, env={"TPOP_KB_NOTEBOOKS": None},
                   start_timeout=START_TIMEOUT_S) as started:
            yield VoilaServer(f"{started}/", started.log_path, started.process)
    except SystemExit as exc:  # did not start: the end of its log
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def voila_log(voila_server: VoilaServer) -> Path:
    return voila_server.log_path


# ---------------------------------------------------------------------------
# Chromium (pytest-playwright overrides)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], playwright: Any
) -> dict[str, Any]:
    """Debian's Chromium when installed, else Playwright's full Chromium build (new headless)."""
    args = {**browser_type_launch_args, "args": list(CHROMIUM_ARGS)}
    if "channel" not in args and "executable_path" not in args:
        if SYSTEM_CHROMIUM.exists():
            args["executable_path"] = str(SYSTEM_CHROMIUM)
        elif Path(playwright.chromium.executable_path).exists():
            args["executable_path"] = playwright.chromium.executable_path
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": dict(VIEWPORT), "locale": "fr-FR"}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def open_voila_page(
    page: Any,
    server: VoilaServer,
    notebook: str,
    selector: str = ".tpop-app",
    timeout_ms: int = RENDER_TIMEOUT_MS,
) -> Any:
    """Open ``notebook`` through Voila and wait until ``selector`` (the app's root) is visible.

    The page's uncaught JavaScript errors are collected in ``page.tpop_errors``.
    On timeout the failure shows the page's text and the server log.
    """
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.tpop_errors = errors
    page.goto(server.render_url(notebook), wait_until="domcontentloaded", timeout=timeout_ms)
    try:
        page.wait_for_selector(selector, state="visible", timeout=timeout_ms)
    except Exception as exc:  # playwright's TimeoutError
        try:
            text = page.inner_text("body", timeout=2_000)
        except Exception:
            text = "(page text unavailable)"
        pytest.fail(
            f"{notebook}: {selector} not rendered within {timeout_ms} ms ({exc}).\n"
            f"Page text:\n{text[:2000]}\nVoila log:\n{server.log()[-4000:]}"
        )
    return page


_OVERFLOW_JS = """() => {
  const app = document.querySelector('.tpop-app');
  return [document.documentElement.scrollWidth - window.innerWidth,
          app ? app.scrollWidth - app.clientWidth : 0];
}"""


def overflows(page: Any) -> bool:
    """Whether the page or its app card is wider than the window (a horizontal scroll bar)."""
    return any(extra > 0 for extra in page.evaluate(_OVERFLOW_JS))


def save_screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    """Save a PNG of the page as ``docs/screenshots/<name>.png``; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def full_screenshot(page: Any, name: str) -> Path:
    """The whole page as ``docs/screenshots/<name>.png``: the viewport grows to the
    height of Voila's scrolling cell area, then comes back."""
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(document.documentElement.scrollHeight,"
        " (document.querySelector('#rendered_cells') || document.body).scrollHeight)"
    )
    page.set_viewport_size({"width": size["width"], "height": int(height) + 20})
    page.wait_for_timeout(300)
    path = save_screenshot(page, name)
    page.set_viewport_size(size)
    return path


@pytest.fixture
def open_app(voila_server: VoilaServer) -> Callable[..., Any]:
    """``open_app(page, "index.ipynb", selector=".tpop-app")``: see :func:`open_voila_page`."""

    def _open(page: Any, notebook: str, **kwargs: Any) -> Any:
        return open_voila_page(page, voila_server, notebook, **kwargs)

    return _open


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """``screenshot(page, "landing")``: see :func:`save_screenshot`."""
    return save_screenshot
