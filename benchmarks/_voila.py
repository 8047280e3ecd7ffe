"""Shared by the page and load benchmarks: a Voila server with the app's own configuration.

The server runs from the repository root (so ``voila.json`` is read) on a free loopback
port, over a temporary copy of ``notebooks/`` plus ``floor.ipynb``: a notebook with one
button, the floor a page cannot beat.
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

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


@contextmanager
def voila(extra_args: list[str] | None = None) -> Iterator[str]:
    """Start Voila; yield its base URL; stop it and its kernels."""
    folder = Path(tempfile.mkdtemp(prefix="tpop-bench-"))
    pages = folder / "notebooks"
    shutil.copytree(ROOT / "notebooks", pages)
    (pages / "floor.ipynb").write_text(json.dumps(FLOOR_NOTEBOOK), encoding="utf-8")
    port = free_port()
    log = open(folder / "voila.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "voila", str(pages), "--no-browser", "--Voila.ip=127.0.0.1",
         f"--port={port}", *(extra_args or [])],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise SystemExit("Voila did not start; see " + str(folder / "voila.log"))
        yield url
    finally:
        import os
        import signal

        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def launch_browser(playwright):  # noqa: ANN001, ANN201
    options = {"args": CHROMIUM_ARGS}
    if CHROMIUM.exists():
        options["executable_path"] = str(CHROMIUM)
    return playwright.chromium.launch(**options)


def kernel_memory_mb() -> list[float]:
    """Resident memory of every ipykernel process on this machine, in MB."""
    out = subprocess.run(["ps", "-eo", "rss,args"], capture_output=True, text=True).stdout
    return [int(line.split(None, 1)[0]) / 1024 for line in out.splitlines()[1:]
            if "ipykernel_launcher" in line]
