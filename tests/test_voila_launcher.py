"""The one stop and "server answers" check (``benchmarks/_voila.py``) that the launcher,
the browser tests and the hub tests share."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading

from _voila import answers, stop  # benchmarks/ is on the path (tests/conftest.py)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_ends_the_whole_process_group():
    # a server that ignores SIGTERM and has a child: both end
    code = ("import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
            "time.sleep(60)")
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        stop(process, wait_s=0.5)
        assert process.poll() is not None
        assert not _group_alive(process.pid)
    finally:
        if _group_alive(process.pid):
            os.killpg(process.pid, 9)


def test_stop_leader_first_lets_the_server_stop_itself():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                               start_new_session=True)
    stop(process, wait_s=5, leader_first=True)
    assert process.returncode is not None and not _group_alive(process.pid)
    stop(process)  # stopping again is harmless


def test_answers_by_status():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(404 if self.path == "/missing" else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert answers(base + "/")
        assert answers(base + "/missing")  # a page the server has not: it answers
        assert not answers(base + "/missing", statuses=(200,))
        assert answers(base + "/", statuses=(200,))
    finally:
        server.shutdown()
    assert not answers(base + "/")
