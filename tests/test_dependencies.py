"""Every import is declared by the extra that uses it, and the lock is what is installed.

deptry (a well-kept checker) reads the imports of each part against only the dependencies that
part may use: the engine and the terminal the core list, the service the core and its extra,
tests, benchmarks and scripts everything. So an import that works only because another
package happens to bring it (Click through Typer, once) fails here, not on a fresh machine.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
EXTRAS = PROJECT["optional-dependencies"]
FIRST_PARTY = PYPROJECT["tool"]["deptry"]["known_first_party"]

# What each part may import: the extras a user installs to use it.
PARTS = {
    "jost_engine": [],
    "user_terminal": [],
    "service": ["service"],
    "tests": ["test", "service", "docs"],
    "benchmarks": ["test", "service", "docs"],
    "scripts": ["test", "service", "docs"],
}


def deptry() -> str:
    path = Path(sys.executable).parent / "deptry"
    found = str(path) if path.exists() else shutil.which("deptry")
    if found is None:
        pytest.fail("deptry is not installed: install the project with its test extras")
    return found


def check_part(part: str, extras: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """deptry over one folder, with a pyproject that declares only what that part may use."""
    declared = [*PROJECT["dependencies"], *(d for e in extras for d in EXTRAS[e])]
    config = tmp_path / part / "pyproject.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    lines = ['[project]\nname = "probe"\nversion = "0"\ndependencies = [']
    lines += [f"  {d!r}," for d in declared]
    lines += ["]"]
    config.write_text("\n".join(lines) + "\n")
    first_party = [arg for name in FIRST_PARTY for arg in ("-kf", name)]
    return subprocess.run(
        [
            *(deptry(), part, "--config", str(config), *first_party, "--ignore", "DEP002"),
            *("--exclude", r"\.venv|__pycache__", "--no-ansi"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_deptry_is_clean_over_the_whole_tree():
    """Also DEP002: a declared package nothing uses (the runtime-only ones are listed, with
    why, in pyproject's [tool.deptry.per_rule_ignores])."""
    done = subprocess.run(
        [deptry(), ".", "--no-ansi"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("part", sorted(PARTS))
def test_each_part_imports_only_what_its_extras_declare(part, tmp_path):
    done = check_part(part, PARTS[part], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_import_only_another_package_brings_fails_the_check(tmp_path):
    """The contract can fail: Click (installed here through Celery) imported by the terminal,
    and Django imported by the engine, are each named."""
    probes = {
        ROOT / "user_terminal" / "_dependency_probe.py": "import click  # noqa: F401\n",
        ROOT / "jost_engine" / "_dependency_probe.py": "import django  # noqa: F401\n",
    }
    try:
        for path, text in probes.items():
            path.write_text(text)
        terminal = check_part("user_terminal", PARTS["user_terminal"], tmp_path)
        engine = check_part("jost_engine", PARTS["jost_engine"], tmp_path)
    finally:
        for path in probes:
            path.unlink()
    said = {"terminal": terminal.stdout + terminal.stderr, "engine": engine.stdout + engine.stderr}
    assert terminal.returncode != 0 and "_dependency_probe.py" in said["terminal"]
    assert "'click'" in said["terminal"], said
    assert engine.returncode != 0 and "'django'" in said["engine"], said


# ---- the lock --------------------------------------------------------------------------------


def locked(name: str) -> dict[str, str]:
    """The pins of a lock file that apply to this interpreter and platform."""
    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate():
            [spec] = req.specifier
            assert spec.operator == "==", f"{name}: {line} is not pinned"
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def declared(groups: list[str]) -> list[Requirement]:
    reqs = [*PROJECT["dependencies"], *(d for g in groups for d in EXTRAS[g])]
    return [Requirement(r) for r in reqs]


def test_the_locks_pin_every_declared_dependency_inside_its_range():
    for lock, groups in (("dev.txt", sorted(EXTRAS)), ("run.txt", [])):
        pins = locked(lock)
        for req in declared(groups):
            if req.marker is not None and not req.marker.evaluate():
                continue
            name = canonicalize_name(req.name)
            assert name in pins, f"{req} is declared but not in requirements/{lock}"
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"requirements/{lock} pins {name}=={pins[name]}, outside {req} "
                "(run: bash scripts/lock)"
            )


def test_the_run_lock_is_the_dev_lock_cut_down():
    """scripts/demo and scripts/test install the same versions of what they share."""
    dev, run = locked("dev.txt"), locked("run.txt")
    assert set(run) <= set(dev)
    assert {n: v for n, v in run.items() if dev[n] != v} == {}


def test_what_is_installed_is_what_the_lock_pins():
    """The tests run on the locked versions (scripts/test installs them; a hand-upgraded
    package shows up here rather than as a difference between this machine and CI)."""
    different = {}
    for name, version in locked("dev.txt").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            different[name] = (version, None)
            continue
        if installed != version:
            different[name] = (version, installed)
    assert different == {}, f"(locked, installed): {different}; run bash scripts/test"
