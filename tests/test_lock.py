"""requirements.lock pins every dependency `make app` and `make test` install, and agrees
with pyproject.toml and environment.yml (`make lock` refreshes it)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, line in enumerate(LOCK.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert found, f"requirements.lock, line {number}: not a pin: {line!r}"
        name = canonicalize_name(found.group(1))
        assert name not in pins, f"requirements.lock, line {number}: {name} twice"
        pins[name] = Version(found.group(2))
    return pins


def declared() -> list[tuple[str, Requirement]]:
    found = [("dependencies", Requirement(spec)) for spec in PROJECT["dependencies"]]
    for extra, specs in PROJECT["optional-dependencies"].items():
        found += [(f"[{extra}]", Requirement(spec)) for spec in specs]
    return found


def test_every_declared_dependency_is_pinned_within_its_bounds():
    pins = locked()
    for where, requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"pyproject.toml {where}: {name} is not in requirements.lock " \
                             "(run make lock)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject.toml's "
            f"{requirement} ({where}): run make lock")


def test_the_lock_holds_no_package_of_the_project_itself():
    assert "tpop-kb" not in locked()


def test_lower_bounds_are_what_the_tests_run():
    """The declared range starts at the locked version's release series: nothing older,
    never tried, is promised (issue 15: pandas 3 is what installs and what is tested)."""
    pins = locked()
    for where, requirement in declared():
        name = canonicalize_name(requirement.name)
        lows = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
        assert lows, f"pyproject.toml {where}: {requirement} needs a lower bound"
        low, pin = max(lows), pins[name]
        assert low.release[:1] == pin.release[:1], (
            f"{requirement} ({where}) admits a major version older than the tested {pin}")


def test_holidays_is_pinned_exactly_everywhere():
    (spec,) = [s for s in PROJECT["dependencies"] if s.startswith("holidays")]
    requirement = Requirement(spec)
    assert [s.operator for s in requirement.specifier] == ["=="], spec
    assert Version(next(iter(requirement.specifier)).version) == locked()["holidays"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert spec in env["dependencies"], "environment.yml: pin holidays as pyproject.toml does"


def test_environment_yml_asks_only_for_locked_versions():
    pins = locked()
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    for item in env["dependencies"]:
        if not isinstance(item, str) or item.split("=")[0] in ("python", "pip"):
            continue
        requirement = Requirement(item.replace("python-tzdata", "tzdata"))
        name = canonicalize_name(requirement.name)
        assert requirement.specifier.contains(pins[name]), f"environment.yml: {item}"


@pytest.mark.parametrize("name", ["pandas", "pyarrow", "numpy", "voila", "holidays",
                                  "ipywidgets", "jupyter-server", "tornado"])
def test_this_environment_runs_the_locked_versions(name):
    assert Version(version(name)) == locked()[canonicalize_name(name)], (
        f"{name} {version(name)} is installed, the lock says {locked()[name]}: "
        "make test installs from requirements.lock")


def test_installs_use_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = re.findall(r"pip install [^\n]*-e [^\n]*", makefile)
    assert installs and all("-c $(LOCK)" in line for line in installs), installs
    assert "LOCK := requirements.lock" in makefile
    assert re.search(r"^lock:", makefile, re.M), "make lock refreshes the lock"
