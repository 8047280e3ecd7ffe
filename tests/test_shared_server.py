"""`make app` stays on this machine; `make serve-shared` is configured to be shared safely.

The commands are read from the Makefile itself (``make -n``), and the settings Voila ends
up with are read from a Voila application initialised with exactly those arguments (so
./voila.json and config/shared/voila.py are merged the way the server merges them). The
running server is tested in tests/browser/test_shared_server.py.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
SECURITY_DOC = ROOT / "docs" / "security.md"
_MAKE_VARS = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "HOST", "PORT", "VOILA_ARGS"}


def make_dry_run(target: str, *variables: str) -> str:
    """What ``make <target>`` would run (``make -n``), never reinstalling the package."""
    env = {k: v for k, v in os.environ.items() if k not in _MAKE_VARS}
    env.pop("NOTEBOOKS", None)
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed-app", target, *variables],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def serve_argv(dry_run: str) -> list[str]:
    """The ``tpop-kb serve`` command in a ``make -n`` output (the recipes call it)."""
    joined = dry_run.replace("\\\n", " ")
    found = re.findall(r"(?:^|exec )(\S+/tpop-kb serve .*)$", joined, flags=re.MULTILINE)
    assert len(found) == 1, joined
    return shlex.split(found[0])


def voila_argv(dry_run: str, env: dict[str, str] | None = None) -> list[str]:
    """The arguments ``tpop-kb serve`` gives the ``voila`` executable for the command in a
    ``make -n`` output (asked with ``--dry-run``, which prints the command last)."""
    argv = serve_argv(dry_run)
    argv.insert(argv.index("serve") + 1, "--dry-run")
    env = env if env is not None else {
        **{k: v for k, v in os.environ.items() if not k.startswith("TPOP_KB")},
        "TPOP_KB_TOKEN": "x" * 40,
    }
    done = subprocess.run([str(ROOT / argv[0]), *argv[1:]], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    command = shlex.split(done.stdout.strip().splitlines()[-1])
    assert command[1:3] == ["-m", "voila"], command
    return command[3:]


def option(argv: list[str], name: str) -> list[str]:
    return [a.split("=", 1)[1] for a in argv if a.startswith(f"{name}=")]


# ---------------------------------------------------------------------------
# make app
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variables",
    [(), ("HOST=0.0.0.0",), ("HOST=0.0.0.0", "PORT=9000"), ("VOILA_ARGS=--Voila.ip=0.0.0.0",)],
)
def test_make_app_binds_loopback_only(variables: tuple[str, ...]) -> None:
    argv = voila_argv(make_dry_run("app", *variables))
    assert option(argv, "--Voila.ip") == ["127.0.0.1"]
    assert not [a for a in argv if a.startswith(("--ip", "--Voila.ip=0", "--ServerApp.ip"))]
    assert not [a for a in argv if "token" in a.lower()]  # loopback: no token needed
    assert option(argv, "--port") == ["9000" if "PORT=9000" in variables else "8866"]


# ---------------------------------------------------------------------------
# make serve-shared: the recipe
# ---------------------------------------------------------------------------


def test_serve_shared_listens_on_host_and_port() -> None:
    argv = voila_argv(make_dry_run("serve-shared"))
    assert option(argv, "--Voila.ip") == ["0.0.0.0"]
    assert option(argv, "--port") == ["8866"]
    assert option(argv, "--Voila.config_file_paths") == [str(ROOT / "config" / "shared"),
                                                         str(ROOT)]
    argv = voila_argv(make_dry_run("serve-shared", "HOST=10.1.2.3", "PORT=9000"))
    assert option(argv, "--Voila.ip") == ["10.1.2.3"]
    assert option(argv, "--port") == ["9000"]


def test_serve_shared_keeps_the_token_off_the_command_line() -> None:
    dry_run = make_dry_run("serve-shared")
    assert not [a for a in serve_argv(dry_run) if "token" in a.lower()]
    argv = voila_argv(dry_run)
    assert not [a for a in argv if "token" in a.lower()], argv
    # The token travels in the environment, from TPOP_KB_TOKEN or freshly generated
    # (tests/test_serve.py: what `tpop-kb serve --shared` hands Voila).


# ---------------------------------------------------------------------------
# make serve-shared: the settings Voila ends up with
# ---------------------------------------------------------------------------

_EFFECTIVE = textwrap.dedent(
    """
    import io, json, logging, sys
    import nbformat
    from voila.app import Voila
    from voila.execute import VoilaExecutor

    app = Voila()
    app.initialize(sys.argv[1:])
    app.init_settings()
    executor = VoilaExecutor(nbformat.v4.new_notebook(), config=app.config)
    km, vc, idp = app.kernel_manager, app.voila_configuration, app.identity_provider

    # What the server log shows of requests carrying the token.
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    for name in ("tornado.access", "tornado.general", "tornado.application", "Voila"):
        logging.getLogger(name).addHandler(handler)
    logging.getLogger("tornado.general").warning(
        "%d %s: %s", 403, "GET /voila/files/a.py?token=SECRET-1&x=1 (10.0.0.9)", "refused")
    logging.getLogger("tornado.access").warning(
        "404 GET /nothing?_xsrf=SECRET-2 (10.0.0.9) 0.5ms")
    app.log.info("Voila is running at: http://h:1/?token=SECRET-3")

    # Every page a signed-in visitor opens gets the `_xsrf` cookie its closing request needs:
    # the identity provider reads the page handler's xsrf_token (which sets the cookie), so
    # that preheated pages get it too (no prelaunch hook: Voila refuses it with preheating).
    import asyncio
    from jupyter_server.auth import PasswordIdentityProvider
    from voila.handler import VoilaHandler

    class Page(VoilaHandler):
        read = False
        @property
        def xsrf_token(self):
            type(self).read = True
            return b"x"

    class Anonymous(Page):
        read = False

    class Api:
        read = False
        @property
        def xsrf_token(self):
            Api.read = True
            return b"x"

    async def known(self, handler):
        return None if isinstance(handler, Anonymous) else "someone"

    PasswordIdentityProvider.get_user = known  # what the token check would answer
    users = [asyncio.run(idp.get_user(h)) for h in (Page.__new__(Page), Api(),
                                                    Anonymous.__new__(Anonymous))]
    pages_get_cookie = (users == ["someone", "someone", None] and Page.read
                        and not Api.read and not Anonymous.read)

    print(json.dumps({
        "files": app._loaded_config_files,
        "ip": app.ip, "port_retries": app.port_retries, "open_browser": app.open_browser,
        "token": idp.token, "auth_enabled": idp.auth_enabled,
        "allow_password_change": getattr(idp, "allow_password_change", None),
        "tornado_settings": {k: repr(v) for k, v in app.tornado_settings.items()},
        "show_tracebacks": vc.show_tracebacks, "strip_sources": vc.strip_sources,
        "allow_template_override": vc.allow_template_override,
        "file_allowlist": vc.file_allowlist, "file_denylist": vc.file_denylist,
        "timeout": executor.timeout, "executor_show_tracebacks": executor.show_tracebacks,
        "cell_error_instruction": executor.cell_error_instruction,
        "cell_timeout_instruction": executor.cell_timeout_instruction,
        "cull_idle_timeout": km.cull_idle_timeout, "cull_interval": km.cull_interval,
        "cull_connected": km.cull_connected, "cull_busy": km.cull_busy,
        "log": out.getvalue(),
        "pages_get_xsrf_cookie": pages_get_cookie,
        "prelaunch_hook": repr(vc.prelaunch_hook),
        "identity_provider": type(idp).__module__ + "." + type(idp).__qualname__,
        "cookie_options": idp.cookie_options,
        "get_secure_cookie_kwargs": idp.get_secure_cookie_kwargs,
        "secure_cookie": idp.secure_cookie,
        "failed_logins_allowed": idp.failed_logins_allowed,
        "failed_login_window_s": idp.failed_login_window_s,
        "kernel_manager_class": vc.multi_kernel_manager_class.__module__ + "."
        + vc.multi_kernel_manager_class.__qualname__,
        "kernel_connection_class": app.kernel_websocket_connection_class.__module__ + "."
        + app.kernel_websocket_connection_class.__qualname__,
        "max_kernels_per_visitor": km.max_kernels_per_visitor,
        "max_kernels_total": km.max_kernels_total,
        "total_cap": km.total_cap,
    }))
    """
)


@pytest.fixture(scope="module")
def shared_settings() -> dict:
    argv = voila_argv(make_dry_run("serve-shared"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_TOKEN", "TPOP_KB"))}
    env.update(
        {"JUPYTER_TOKEN": "a-token-from-the-environment-0123456789", "JUPYTER_PLATFORM_DIRS": "1"}
    )
    result = subprocess.run(
        [sys.executable, "-c", _EFFECTIVE, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_shared_settings_come_from_the_two_config_files(shared_settings: dict) -> None:
    assert [Path(f) for f in shared_settings["files"]] == [
        ROOT / "voila.json",
        ROOT / "config" / "shared" / "voila.py",
    ]
    assert shared_settings["ip"] == "0.0.0.0"
    assert shared_settings["port_retries"] == 0  # a busy port is an error, not a new port
    assert shared_settings["open_browser"] is False


def test_shared_server_requires_the_token(shared_settings: dict) -> None:
    assert shared_settings["auth_enabled"] is True
    assert shared_settings["token"] == "a-token-from-the-environment-0123456789"
    assert shared_settings["allow_password_change"] is False


def test_shared_pages_get_the_cookie_their_closing_request_needs(shared_settings: dict) -> None:
    assert shared_settings["pages_get_xsrf_cookie"] is True
    assert shared_settings["prelaunch_hook"] == "None"  # it would forbid preheated kernels


def test_shared_server_hides_tracebacks_and_sources(shared_settings: dict) -> None:
    assert shared_settings["show_tracebacks"] is False
    assert shared_settings["executor_show_tracebacks"] is False
    assert shared_settings["strip_sources"] is True
    assert shared_settings["allow_template_override"] == "NO"
    for key in ("cell_error_instruction", "cell_timeout_instruction"):
        text = shared_settings[key]
        assert "Rechargez la page" in text and "Reload the page" in text
        assert "show_tracebacks" not in text and "--" not in text  # no server options shown


def test_shared_server_serves_only_raster_images(shared_settings: dict) -> None:
    allow, deny = shared_settings["file_allowlist"], shared_settings["file_denylist"]

    def served(path: str) -> bool:
        return any(re.fullmatch(p, path, re.I) for p in allow) and not any(
            re.fullmatch(p, path, re.I) for p in deny
        )

    for path in ("logo.png", "img/Logo.PNG", "photo.jpg", "photo.jpeg", "anim.gif"):
        assert served(path), path
    for path in (
        "index.ipynb",
        "helper.py",
        "orders.csv",
        "orders.xlsx",
        "voila.json",
        "settings.yaml",
        "drawing.svg",
        "page.html",
        ".hidden.png",
        "img/.cache/x.png",
        "x.png.py",
    ):
        assert not served(path), path


def test_shared_server_limits_time_and_idle_kernels(shared_settings: dict) -> None:
    assert 0 < shared_settings["timeout"] <= 120
    assert 0 < shared_settings["cull_idle_timeout"] <= 900
    assert 0 < shared_settings["cull_interval"] <= shared_settings["cull_idle_timeout"] / 4
    assert shared_settings["cull_connected"] is False  # an open tab keeps its kernel
    assert shared_settings["cull_busy"] is True  # a closed tab's runaway work is stopped


def test_shared_server_keeps_the_upload_limit_of_voila_json(shared_settings: dict) -> None:
    root = json.loads((ROOT / "voila.json").read_text(encoding="utf-8"))
    limit = root["Voila"]["tornado_settings"]["websocket_max_message_size"]
    assert shared_settings["tornado_settings"]["websocket_max_message_size"] == repr(limit)
    # No cross-origin access is opened (jupyter_server's allow_origin settings stay unset).
    assert not [k for k in shared_settings["tornado_settings"] if "origin" in k]


def test_shared_server_log_never_holds_the_token(shared_settings: dict) -> None:
    log = shared_settings["log"]
    assert "SECRET" not in log
    assert log.count("[secret]") == 3, log
    assert "/voila/files/a.py?token=[secret]&x=1 (10.0.0.9)" in log


def test_shared_server_guards_kernels_and_sign_ins(shared_settings: dict) -> None:
    """tpop_kb/server_guard.py is what serves: v1-only kernel websockets (voila.json, so
    `make app` too), kernel caps and clean environments, sign-in limits."""
    guard = "tpop_kb.server_guard."
    assert shared_settings["kernel_connection_class"] == guard + "GuardedKernelConnection"
    assert shared_settings["kernel_manager_class"] == guard + "GuardedKernelManager"
    assert shared_settings["identity_provider"] == guard + "SharedIdentityProvider"
    assert 1 <= shared_settings["max_kernels_per_visitor"] <= 20
    assert shared_settings["max_kernels_total"] == -1  # from the machine's memory
    assert shared_settings["total_cap"] >= 4
    assert 1 <= shared_settings["failed_logins_allowed"] <= 20
    assert shared_settings["failed_login_window_s"] >= 30
    root = json.loads((ROOT / "voila.json").read_text(encoding="utf-8"))
    assert root["Voila"]["kernel_websocket_connection_class"] == guard + "GuardedKernelConnection"


def test_the_sign_in_cookie_is_lax_and_lasts_hours(shared_settings: dict) -> None:
    options = shared_settings["cookie_options"]
    assert options["samesite"] == "Lax"
    assert 0 < options["expires_days"] * 24 <= 12
    assert 0 < shared_settings["get_secure_cookie_kwargs"]["max_age_days"] * 24 <= 12
    assert shared_settings["secure_cookie"] is None  # Secure whenever served over TLS
    xsrf = ast.literal_eval(shared_settings["tornado_settings"]["xsrf_cookie_kwargs"])
    assert xsrf == {"samesite": "Lax"}  # not HttpOnly: the page's script sends it back


def test_a_short_token_is_refused() -> None:
    # By the recipe, with a clear message, before Voila starts ...
    env = {k: v for k, v in os.environ.items() if k not in _MAKE_VARS}
    env["TPOP_KB_TOKEN"] = "x" * 31
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed-app", "serve-shared",
         "HOST=127.0.0.1", "PORT=1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "TPOP_KB_TOKEN has 31 characters: a shared server needs 32 at least." in result.stderr
    # ... and by the server itself, for a token that came another way.
    argv = voila_argv(make_dry_run("serve-shared"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_TOKEN", "TPOP_KB"))}
    env.update({"JUPYTER_TOKEN": "short-token", "JUPYTER_PLATFORM_DIRS": "1"})
    result = subprocess.run(
        [sys.executable, "-c", _EFFECTIVE, *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "The token has 11 characters: a shared server needs 32 at least" in result.stderr


# ---------------------------------------------------------------------------
# Minimum versions (docs/security.md gives the advisories behind each one)
# ---------------------------------------------------------------------------

SECURITY_PINS = ("jupyter-server", "voila", "tornado")


def _pins() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {}
    for spec in project["dependencies"]:
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", spec.replace(" ", ""))
        if found:
            pins[re.sub(r"[-_.]+", "-", found.group(1)).lower()] = Version(found.group(2))
    return pins


@pytest.mark.parametrize("package", SECURITY_PINS)
def test_security_pins_are_installed_and_documented(package: str) -> None:
    pins = _pins()
    assert package in pins, f"pyproject.toml: pin a minimum version of {package}"
    assert Version(version(package)) >= pins[package]
    doc = SECURITY_DOC.read_text(encoding="utf-8")
    row = next((ln for ln in doc.splitlines() if ln.startswith(f"| {package} ")), "")
    assert f">= {pins[package]}" in row, f"docs/security.md: no row {package} >= {pins[package]}"
    assert "GHSA-" in row or "CVE-" in row, f"docs/security.md: name the advisories for {package}"
