"""The three descriptions of the environment agree: pyproject, environment.yml, the lock file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _runtime_requirements() -> dict[str, str]:
    reqs = (Requirement(r) for r in _pyproject()["project"]["dependencies"])
    return {r.name.lower(): str(r.specifier) for r in reqs}


def _environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for dep in env["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            entry = entry.split("#")[0].strip()
            if entry in ("pip", "-e .") or entry.startswith("python="):
                continue
            req = Requirement(entry)
            found[req.name.lower()] = str(req.specifier)
    return found


def test_environment_yml_lists_the_same_dependencies_as_pyproject() -> None:
    assert _environment_requirements() == _runtime_requirements()


def test_environment_yml_installs_the_package_itself() -> None:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*-\s*-e\s+\.\s*$", text, re.MULTILINE)


def test_lock_pins_every_dependency_exactly_within_pyproject_bounds() -> None:
    pins: dict[str, list[str]] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        req = Requirement(line)
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", line
        pins.setdefault(req.name.lower(), []).append(next(iter(req.specifier)).version)
    project = _pyproject()["project"]
    everything = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        everything += extra
    for text in everything:
        req = Requirement(text)
        assert req.name.lower() in pins, f"{req.name} is not in requirements.lock"
        for version in pins[req.name.lower()]:
            assert req.specifier.contains(version), f"{req.name}=={version} vs {req.specifier}"


def test_python_requirement_is_3_11_or_newer() -> None:
    assert _pyproject()["project"]["requires-python"] == ">=3.11"
