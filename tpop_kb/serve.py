"""Serve the pages with Voila: ``tpop-kb serve [--shared] [--host H] [--port N]``.

The one place that knows how the pages are served; ``make app`` and ``make serve-shared``
call it, and so does an installed wheel (which carries the pages, ``voila.json`` and the
shared settings in ``tpop_kb/site/``):

- ``tpop-kb serve``: this machine only. Always ``127.0.0.1``, no token; Voila reads the
  settings of ``voila.json`` (upload limit, idle-kernel culling, no tracebacks,
  images-only static files, the kernel-websocket guard).
- ``tpop-kb serve --shared``: for colleagues on the network (``--host``, default
  ``0.0.0.0``). ``config/shared/voila.py`` on top of ``voila.json`` (docs/security.md):
  a token is required; it comes from ``TPOP_KB_TOKEN`` (32 characters at least) or is
  generated and printed with the address. Voila gets it in its environment
  (``JUPYTER_TOKEN``), never on its command line, where ``ps`` would show it.

Anything after ``--`` goes to Voila as it is (e.g. ``-- --preheat_kernel=True``); without
``--shared`` Voila options that change the address are refused.
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MIN_TOKEN_CHARS", "ServeError", "Site", "serve", "site", "voila_command"]

#: The shortest token a shared server accepts (tpop_kb.server_guard refuses shorter too).
MIN_TOKEN_CHARS = 32
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8866


class ServeError(ValueError):
    """The pages cannot be served as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Site:
    """Where the pages and Voila's settings are."""

    pages: Path  #: the notebooks, one a page
    settings: Path  #: the folder holding ``voila.json``
    shared: Path  #: the folder holding the shared server's ``voila.py``


def site() -> Site:
    """The pages and settings of an installed wheel (``tpop_kb/site``), else of the
    repository the package is run from."""
    here = Path(__file__).resolve().parent
    packaged = here / "site"
    if (packaged / "voila.json").is_file():
        return Site(packaged / "notebooks", packaged, packaged / "shared")
    root = here.parent
    if (root / "voila.json").is_file() and (root / "notebooks").is_dir():
        return Site(root / "notebooks", root, root / "config" / "shared")
    raise ServeError(f"The pages were not found: looked in {packaged} and {root}.")


_ADDRESS_OPTIONS = ("--ip", "--voila.ip", "--serverapp.ip", "--port", "--voila.port")


def voila_command(
    *,
    shared: bool = False,
    host: str | None = None,
    port: int = DEFAULT_PORT,
    pages: Path | str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The command that serves the pages (never holds a token)."""
    where = site()
    if not shared:
        if host not in (None, LOOPBACK, "localhost"):
            raise ServeError(
                f"Without --shared the pages are served on {LOOPBACK} only (this machine): "
                f"use --shared to serve them on {host}."
            )
        refused = [a for a in extra if a.lower().split("=", 1)[0] in _ADDRESS_OPTIONS]
        if refused:
            raise ServeError(
                f"Without --shared the address is {LOOPBACK}:{port}; not changed by "
                + ", ".join(refused)
                + "."
            )
        if any("token" in a.lower() for a in extra):
            raise ServeError("A token is for --shared; without it the pages stay on this machine.")
    if not 0 < int(port) < 65536:
        raise ServeError(f"--port {port}: give a port between 1 and 65535.")
    ip = (host or "0.0.0.0") if shared else LOOPBACK
    command = [
        sys.executable, "-m", "voila", str(pages or where.pages), "--no-browser",
        f"--Voila.ip={ip}", f"--port={int(port)}",
    ]
    if shared:  # the first folder wins: the shared settings over voila.json
        command.append(f"--Voila.config_file_paths={where.shared}")
    command.append(f"--Voila.config_file_paths={where.settings}")
    return command + list(extra)


def _token(environ: Mapping[str, str]) -> tuple[str, bool]:
    """The shared server's token and whether it was chosen (TPOP_KB_TOKEN)."""
    chosen = environ.get("TPOP_KB_TOKEN", "")
    if chosen:
        if len(chosen) < MIN_TOKEN_CHARS:
            raise ServeError(
                f"TPOP_KB_TOKEN has {len(chosen)} characters: a shared server needs "
                f"{MIN_TOKEN_CHARS} at least. Make one with: "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return chosen, True
    return secrets.token_urlsafe(32), False


def serve(
    *,
    shared: bool = False,
    host: str | None = None,
    port: int = DEFAULT_PORT,
    pages: Path | str | None = None,
    extra: Sequence[str] = (),
    dry_run: bool = False,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Print the address, then replace this process with Voila (or, with ``dry_run``,
    print the command and return 0)."""
    environ = dict(os.environ if environ is None else environ)
    command = voila_command(shared=shared, host=host, port=port, pages=pages, extra=extra)
    environ.pop("JUPYTER_TOKEN", None)
    if shared:
        token, chosen = _token(environ)
        environ["JUPYTER_TOKEN"] = token
        where = host or "0.0.0.0"
        if where in ("0.0.0.0", "::"):
            where = socket.gethostname()
        shown = "<your TPOP_KB_TOKEN>" if chosen else token
        print(f"Shared pages (token required): http://{where}:{port}/voila/render/index.ipynb"
              f"?token={shown}")
        print("Give colleagues this address; the token is valid until the server stops "
              "(Ctrl+C).")
    else:
        print(f"Pages on this machine: http://{LOOPBACK}:{port}/voila/render/index.ipynb")
    sys.stdout.flush()
    if dry_run:
        print(shlex.join(command))
        return 0
    os.execve(command[0], command, environ)  # pragma: no cover - replaces the process
    return 0  # pragma: no cover
