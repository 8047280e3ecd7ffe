"""`tpop-kb serve`: the one way the pages are served (make app, make serve-shared, a wheel)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _voila import free_port  # benchmarks/ is on the path (tests/conftest.py)

from tpop_kb import serve as serving
from tpop_kb.cli import main
from tpop_kb.serve import ServeError, site, voila_command

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_is_the_repository_here():
    found = site()
    assert found.pages == ROOT / "notebooks"
    assert (found.settings / "voila.json").is_file()
    assert (found.shared / "voila.py").is_file()


def test_this_machine_only_without_shared():
    command = voila_command(port=9001)
    assert command[1:4] == ["-m", "voila", str(ROOT / "notebooks")]
    assert "--Voila.ip=127.0.0.1" in command and "--port=9001" in command
    assert [a for a in command if a.startswith("--Voila.config_file_paths=")] == [
        f"--Voila.config_file_paths={ROOT}"]
    for host in ("0.0.0.0", "10.0.0.5", "::"):
        with pytest.raises(ServeError, match="127.0.0.1 only"):
            voila_command(host=host)
    for extra in (["--Voila.ip=0.0.0.0"], ["--ip=0.0.0.0"], ["--port=1"]):
        with pytest.raises(ServeError, match="not changed by"):
            voila_command(extra=extra)
    with pytest.raises(ServeError, match="token is for --shared"):
        voila_command(extra=["--Voila.token=x"])


def test_shared_reads_the_shared_settings_first():
    command = voila_command(shared=True, port=9002, extra=["--preheat_kernel=True"])
    paths = [a.split("=", 1)[1] for a in command if a.startswith("--Voila.config_file_paths=")]
    assert paths == [str(ROOT / "config" / "shared"), str(ROOT)]
    assert "--Voila.ip=0.0.0.0" in command and command[-1] == "--preheat_kernel=True"
    assert "--Voila.ip=10.1.2.3" in voila_command(shared=True, host="10.1.2.3")


def _capture_exec(monkeypatch):
    calls = []
    monkeypatch.setattr(serving.os, "execve", lambda path, argv, env: calls.append((argv, env)))
    return calls


def test_the_token_goes_to_voila_in_its_environment_only(monkeypatch, capsys):
    calls = _capture_exec(monkeypatch)
    chosen = "t" * 40
    serving.serve(shared=True, port=9003, environ={"TPOP_KB_TOKEN": chosen, "PATH": "/bin"})
    ((argv, env),) = calls
    assert env["JUPYTER_TOKEN"] == chosen
    assert not [a for a in argv if chosen in a or "token" in a.lower()]
    out = capsys.readouterr().out
    assert "?token=<your TPOP_KB_TOKEN>" in out and chosen not in out
    # no TPOP_KB_TOKEN: a new one, printed with the address, 32 characters at least
    calls.clear()
    serving.serve(shared=True, port=9003, environ={"JUPYTER_TOKEN": "stale"})
    ((argv, env),) = calls
    token = env["JUPYTER_TOKEN"]
    assert token != "stale" and len(token) >= 32 and f"?token={token}" in capsys.readouterr().out
    # this machine only: no token at all, even one left in the environment
    calls.clear()
    serving.serve(port=9004, environ={"JUPYTER_TOKEN": "left-over"})
    ((argv, env),) = calls
    assert "JUPYTER_TOKEN" not in env


def test_a_short_token_is_refused_with_a_clear_message(monkeypatch, capsys):
    monkeypatch.setenv("TPOP_KB_TOKEN", "x" * 31)
    calls = _capture_exec(monkeypatch)
    assert main(["serve", "--shared", "--dry-run"]) == 2
    assert "TPOP_KB_TOKEN has 31 characters: a shared server needs 32 at least" in (
        capsys.readouterr().err)
    assert calls == []


def test_the_cli_passes_options_after_the_double_dash(monkeypatch, capsys):
    monkeypatch.setenv("TPOP_KB_TOKEN", "y" * 40)
    assert main(["serve", "--shared", "--port", "9005", "--dry-run", "--",
                 "--preheat_kernel=True"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.endswith("--preheat_kernel=True") and "--port=9005" in last
    assert "y" * 40 not in last


def process_free(dry_run: str) -> bool:
    """The command serves the wheel's pages and settings, nothing of the repository's."""
    for path in (ROOT / "notebooks", ROOT / "config", ROOT / "data"):
        assert str(path) not in dry_run, dry_run
    return f"--Voila.config_file_paths={ROOT}\n" not in dry_run + "\n"


@pytest.mark.slow
def test_an_installed_wheel_serves_the_pages_outside_the_repository(tmp_path):
    """Build the wheel, install it into a new venv in a folder outside the repository
    (its dependencies seen through a path file, the project itself only from the wheel),
    and serve a page with `tpop-kb serve`."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(dist), str(ROOT)], check=True, cwd=ROOT)
    (wheel,) = dist.glob("tpop_kb-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    # the dependencies only: a path file does not run the editable install's own hooks
    (site_packages / "deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                    "--target", str(site_packages), str(wheel)], check=True)
    scripts = venv / "bin"
    (scripts / "tpop-kb").write_text(
        f"#!{python}\nimport sys\nfrom tpop_kb.cli import main\nsys.exit(main())\n",
        encoding="utf-8")
    (scripts / "tpop-kb").chmod(0o755)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TPOP_KB", "JUPYTER", "PYTHON", "VIRTUAL_ENV"))}
    env.update({"JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
                "JUPYTER_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path),
                # the dependencies' data files (Voila's templates, the kernel spec)
                "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")})
    where = subprocess.run([str(scripts / "tpop-kb"), "serve", "--dry-run"], cwd=outside,
                           env=env, capture_output=True, text=True, check=True).stdout
    assert str(site_packages / "tpop_kb" / "site" / "notebooks") in where, where
    port = free_port()
    log = open(tmp_path / "voila.log", "wb")  # noqa: SIM115 - closed below
    assert process_free(where)
    process = subprocess.Popen([str(scripts / "tpop-kb"), "serve", "--port", str(port)],
                               cwd=outside, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/voila/render/order_assistant.ipynb"
        deadline, body, status = time.monotonic() + 120, "", 0
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=60) as answer:
                    status, body = answer.status, answer.read().decode("utf-8", "replace")
                break
            except OSError:
                time.sleep(0.5)
        text = (tmp_path / "voila.log").read_text(encoding="utf-8", errors="replace")
        assert status == 200, text[-3000:]
        assert "tpop-order-assistant" in body or "application/vnd.jupyter.widget-view" in body
        assert "There was an error when executing cell" not in body, text[-3000:]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            process.wait(timeout=30)
        log.close()
