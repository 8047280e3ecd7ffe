"""Shared by the page and load benchmarks: a Voila server with the app's own configuration.

The server runs from the repository root on a free loopback port, over a temporary copy
of ``notebooks/`` plus ``floor.ipynb``: a notebook with one button, the floor a page
cannot beat. Its configuration is ``./voila.json`` (what ``make app`` serves) or, with
``shared=True``, ``config/shared/voila.py`` on top of it with a token (what
``make serve-shared`` serves); ``config`` adds a benchmark's own settings on top of both
(a JSON file in the temporary folder, highest priority after the command line).

Kernels are found through the server: its child ``ipykernel`` processes, or one kernel by
the id its page carries (``kernel-<id>.json`` on the kernel's command line). Memory is read
from ``/proc/<pid>/smaps_rollup``: RSS (resident, shared libraries counted in full), PSS
(shared pages split between the processes that map them: the figure that adds up) and USS
(private pages: what the machine gets back when the kernel stops).

It is also the browser tests' server (``tests/browser/conftest.py``): ``copy=False`` serves
the repository's ``notebooks/`` as ``make app`` does, ``env`` sets or removes variables of
the server and its kernels.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Container, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
#: The last benchmark server's log, kept after it stops.
LAST_LOG = Path(tempfile.gettempdir()) / "tpop-bench-voila.log"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
#: Voila's settings that make only these notebooks preheated (``--preheat_kernel=True``).
PREHEAT_ONLY = "^(?!(.*/)?({names})$)"  # matched against each notebook's full path

FLOOR_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "floor", "metadata": {},
               "outputs": [],
               "source": ["import ipywidgets as w\n", "b = w.Button(description='ready')\n",
                          "b.add_class('floor-ready')\n", "b"]}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


def preheat_only(*notebooks: str) -> list[str]:
    """``VoilaKernelManager.preheat_denylist`` that leaves only ``notebooks`` preheated."""
    names = "|".join(n.replace(".", r"\.") for n in notebooks)
    return [PREHEAT_ONLY.format(names=names)]


class Server(str):
    """The server's base URL (no trailing slash), with its process, log and token."""

    pid: int
    log_path: Path
    token: str
    process: subprocess.Popen[bytes]

    def __new__(cls, url: str, pid: int, log_path: Path, token: str) -> Server:
        server = super().__new__(cls, url)
        server.pid, server.log_path, server.token = pid, log_path, token
        return server

    def page(self, notebook: str, query: str = "") -> str:
        """The URL of a page (with the token when the server wants one)."""
        parts = [query] if query else []
        if self.token:
            parts.append("token=" + quote(self.token))
        return f"{self}/voila/render/{notebook}" + ("?" + "&".join(parts) if parts else "")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def voila(
    extra_args: list[str] | None = None,
    *,
    config: dict[str, Any] | None = None,
    shared: bool = False,
    copy: bool = True,
    env: dict[str, str | None] | None = None,
    start_timeout: float = 60,
) -> Iterator[Server]:
    """Start Voila; yield it (its base URL); stop it and its kernels.

    ``copy=False``: serve the repository's ``notebooks/`` itself (no floor notebook), as
    ``make app`` does; ``env``: variables to set (a None value removes one) for the server
    and its kernels. Raises ``SystemExit`` (with the end of its log) when it does not start.
    """
    folder = Path(tempfile.mkdtemp(prefix="tpop-bench-"))
    if copy:
        pages = folder / "notebooks"
        shutil.copytree(ROOT / "notebooks", pages)
        (pages / "floor.ipynb").write_text(json.dumps(FLOOR_NOTEBOOK), encoding="utf-8")
    else:
        pages = ROOT / "notebooks"
    paths: list[Path] = []
    if config:
        settings = folder / "settings"
        settings.mkdir()
        (settings / "voila.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
        paths.append(settings)
    if shared:
        paths.append(ROOT / "config" / "shared")
    if paths:
        paths.append(ROOT)  # ./voila.json, lowest priority (the first path wins)
    env_vars = {k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"}
    env_vars.update({"PYTHONUNBUFFERED": "1", "JUPYTER_PLATFORM_DIRS": "1"})
    for name, value in (env or {}).items():
        if value is None:
            env_vars.pop(name, None)
        else:
            env_vars[name] = value
    token = secrets.token_urlsafe(24) if shared else ""
    if token:
        env_vars["JUPYTER_TOKEN"] = token  # as `make serve-shared` does: never on the command line
    if shared:
        # Every simulated member of staff comes from 127.0.0.1: the per-visitor cap of the
        # shared server (10 pages) would refuse the load test's own clients.
        extra_args = ["--GuardedKernelManager.max_kernels_per_visitor=0", *(extra_args or [])]
    port = free_port()
    log_path = folder / "voila.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "voila", str(pages), "--no-browser", "--Voila.ip=127.0.0.1",
         f"--port={port}", *[f"--Voila.config_file_paths={p}" for p in paths],
         *(extra_args or [])],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, env=env_vars,
    )
    server = Server(f"http://127.0.0.1:{port}", process.pid, log_path, token)
    server.process = process
    try:
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit("Voila stopped:\n" + server.log()[-3000:])
            try:
                urllib.request.urlopen(server + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise SystemExit("Voila did not start:\n" + server.log()[-3000:])
        yield server
    finally:
        stop(process, wait_s=30)
        log.close()
        shutil.copy(log_path, LAST_LOG)  # kept for a look after the run
        shutil.rmtree(folder, ignore_errors=True)


def answers(url: str, statuses: Container[int] | None = None) -> bool:
    """Whether a server answers ``url`` within 2 s: with a status in ``statuses``, or by
    default any that is not a server error (200-499)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        return False
    return status in statuses if statuses is not None else 200 <= status < 500


def _group_gone(pgid: int, seconds: float) -> bool:
    """Whether no process of the group ``pgid`` is left, waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # pragma: no cover - the id was reused by someone else's
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], *, wait_s: float = 15,
         leader_first: bool = False) -> None:
    """Stop a server started in its own session (``start_new_session=True``) and all it
    started: SIGTERM to its process group (``leader_first``: to the server alone, which
    stops its own children, as a JupyterHub stops its people's servers and its proxy),
    up to ``wait_s`` to end, then SIGTERM and, 5 s later, SIGKILL to whatever of the
    group is left. The one stop of the launcher, the browser and the hub tests."""
    if process.poll() is None:
        try:
            if leader_first:
                process.send_signal(signal.SIGTERM)
            else:
                os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait_s)
    for sig, grace in ((signal.SIGTERM, 0.0), (signal.SIGKILL, 5.0)):
        if _group_gone(process.pid, grace):
            break
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def launch_browser(playwright):  # noqa: ANN001, ANN201
    options = {"args": CHROMIUM_ARGS}
    if CHROMIUM.exists():
        options["executable_path"] = str(CHROMIUM)
    return playwright.chromium.launch(**options)


# -- kernels and their memory -------------------------------------------------------------


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])


def server_kernels(server: Server) -> list[int]:
    """The pids of the server's kernels (its child ``ipykernel`` processes)."""
    return [pid for pid in _pids()
            if _ppid(pid) == server.pid and b"ipykernel" in _cmdline(pid)]


def kernel_pid(kernel_id: str) -> int | None:
    """The pid of the kernel with this id (its connection file is on its command line)."""
    needle = f"kernel-{kernel_id}.json".encode()
    for pid in _pids():
        if needle in _cmdline(pid):
            return pid
    return None


def page_kernel_id(page) -> str:  # noqa: ANN001 - a Playwright page
    """The id of the kernel behind a Voila page, from the page's configuration."""
    return page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of one process, in MB (zeros when it is gone)."""
    values: dict[str, float] = {}
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return {"rss": 0.0, "pss": 0.0, "uss": 0.0}
    for line in lines[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) / 1024
    return {"rss": values.get("Rss", 0.0), "pss": values.get("Pss", 0.0),
            "uss": values.get("Private_Clean", 0.0) + values.get("Private_Dirty", 0.0)}


def total_memory_mb(pids: list[int]) -> dict[str, float]:
    each = [memory_mb(pid) for pid in pids]
    return {key: sum(m[key] for m in each) for key in ("rss", "pss", "uss")}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, 0 when it is gone."""
    return _cpu_ticks([pid]) / os.sysconf("SC_CLK_TCK")


def descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        pid = _ppid(pid)
        if pid == ancestor:
            return True
    return False


def all_pids() -> list[int]:
    return _pids()


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def wait_for_pool(server: Server, kernels: int, timeout: float, quiet: float = 2.0) -> float:
    """Wait until the server holds ``kernels`` kernels and they have stopped working.

    A preheated kernel has built its page when it stops using CPU (the order assistant's
    then waits for its visitor without working): "stopped" is under 5 % of one core for
    all of them together over ``quiet`` seconds. Returns the seconds waited until then;
    raises ``SystemExit`` after ``timeout``.
    """
    hz = os.sysconf("SC_CLK_TCK")
    start = time.monotonic()
    history: list[tuple[float, int]] = []  # (when, CPU ticks) since the count was reached
    while time.monotonic() - start < timeout:
        pids = server_kernels(server)
        now = time.monotonic()
        if len(pids) < kernels:
            history.clear()
        else:
            history.append((now, _cpu_ticks(pids)))
            window = [(t, c) for t, c in history if t >= now - quiet]
            if now - history[0][0] >= quiet and window[-1][1] - window[0][1] <= 0.05 * quiet * hz:
                return max(0.0, now - quiet - start)
        time.sleep(0.25)
    raise SystemExit(f"the pool of {kernels} kernel(s) was not ready within {timeout:.0f} s")
