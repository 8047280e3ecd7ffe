"""Packaging and setup: environment.yml, the wheel, voila.json, the notebooks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# conda-forge names that differ from the PyPI names (after normalisation).
CONDA_TO_PIP = {"python-tzdata": "tzdata"}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(spec: str) -> tuple[str, str]:
    """``'pandas>=2.2'`` -> ``('pandas', '>=2.2')``; extras and markers are not used here."""
    match = _NAME.match(spec)
    assert match, f"cannot read the requirement {spec!r}"
    return _normalise(match.group(1)), match.group(2).replace(" ", "")


def pip_runtime() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return dict(_split(spec) for spec in project["dependencies"])


def conda_runtime() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "conda-forge" in env["channels"]
    found: dict[str, str] = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):  # the `pip:` section
            assert item.get("pip") == ["-e ."], "environment.yml: pip installs the project only"
            continue
        name, bound = _split(str(item))
        if name in ("python", "pip"):
            continue
        found[CONDA_TO_PIP.get(name, name)] = bound
    return found


def test_environment_yml_has_the_runtime_dependencies():
    pip, conda = pip_runtime(), conda_runtime()
    assert set(conda) == set(pip), (
        f"only in pyproject.toml: {sorted(set(pip) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pip))}"
    )
    assert conda == pip, "environment.yml and pyproject.toml disagree on version bounds"


def test_environment_yml_pins_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.11" in env["dependencies"]
    assert "pip" in env["dependencies"]


@pytest.mark.slow
def test_wheel_carries_the_data_and_works_outside_the_repo(tmp_path):
    build, target = tmp_path / "dist", tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(build),
            str(ROOT),
        ],
        check=True,
        cwd=ROOT,
    )
    (wheel,) = build.glob("tpop_kb-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for needed in (
        "tpop_kb/data/knowledge/postal-tracking/tree.yaml",
        "tpop_kb/data/knowledge/postal-tracking/article.yaml",
        "tpop_kb/data/ui.yaml",
        "tpop_kb/apps/landing.py",
    ):
        assert needed in names, f"{wheel.name} lacks {needed}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        cwd=tmp_path,
    )
    check = textwrap.dedent(
        f"""
        from pathlib import Path
        import tpop_kb
        site = Path({str(target)!r}).resolve()
        assert Path(tpop_kb.__file__).resolve().is_relative_to(site), tpop_kb.__file__
        assert tpop_kb.data_dir().resolve().is_relative_to(site), tpop_kb.data_dir()
        tree = tpop_kb.knowledge().tree
        assert tree.thresholds and tree.outcomes
        from tpop_kb.apps import LandingApp
        LandingApp(lang="en")
        print("ok", tpop_kb.knowledge().version)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TPOP_KB_")}
    env["PYTHONPATH"] = str(target)
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=build, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")


#: Notebooks meant to be read and run in JupyterLab, not served as pages: exempt from thinness.
READING_NOTEBOOKS = {"analyst_guide.ipynb"}


def test_notebooks_are_thin_and_have_no_outputs():
    assert any(p.name == "index.ipynb" for p in NOTEBOOKS), "notebooks/index.ipynb is missing"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert (nb.nbformat, nb.nbformat_minor) >= (4, 5), path.name
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert code, f"{path.name}: no code cell"
        for cell in code:
            assert cell.get("outputs") == [], f"{path.name}: clear the outputs"
            assert cell.get("execution_count") is None, f"{path.name}: clear execution counts"
        if path.name in READING_NOTEBOOKS:
            continue
        for cell in code:
            assert "from tpop_kb.apps import" in cell.source, f"{path.name}: not a thin page"
        lines = [ln for cell in code for ln in cell.source.splitlines() if ln.strip()]
        assert len(lines) <= 3, f"{path.name}: pages hold two lines; logic goes in tpop_kb.apps"


def test_voila_json_names_real_settings():
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
    from voila.app import Voila
    from voila.configuration import VoilaConfiguration

    config = json.loads((ROOT / "voila.json").read_text(encoding="utf-8"))
    classes = {
        "Voila": Voila,
        "VoilaConfiguration": VoilaConfiguration,
        "MappingKernelManager": MappingKernelManager,
    }
    assert set(config) <= set(classes), set(config) - set(classes)
    for section, values in config.items():
        known = set(classes[section].class_trait_names(config=True))
        assert set(values) <= known, f"voila.json {section}: unknown {set(values) - known}"
    assert config["Voila"]["tornado_settings"]["websocket_max_message_size"] == 64 * 1024 * 1024
    assert config["MappingKernelManager"] == {
        "cull_idle_timeout": 900,
        "cull_interval": 60,
        "cull_connected": False,
    }
    assert config["VoilaConfiguration"]["show_tracebacks"] is False
    for pattern in config["VoilaConfiguration"]["file_allowlist"]:
        assert not re.fullmatch(pattern, "index.ipynb")
        assert not re.fullmatch(pattern, "data/ui.yaml")
        assert re.fullmatch(pattern, "docs/screenshots/landing.png")


def test_ci_script_runs_make_test():
    script = ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK), ".ci/run must be executable"
    text = script.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    assert "make test" in text
