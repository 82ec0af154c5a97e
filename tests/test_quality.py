"""Lint, format and the layering contract run as part of the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: install the project with its test extras")
    return found


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_lint_is_clean():
    result = run(tool("ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = run(tool("ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


CONTRACTS = 6


def test_every_import_contract_is_kept():
    """The dependency picture of docs/architecture.md, as pyproject's import-linter contracts."""
    result = run(tool("lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{CONTRACTS} kept, 0 broken" in result.stdout, result.stdout


# One probe per contract: the import that breaks it, and what lint-imports must then say.
PROBES = {
    "pure engine": (
        "jost_engine/_layering_probe.py",
        "import user_terminal.cli",
        "jost_engine._layering_probe -> user_terminal",
    ),
    "kernel": (
        "jost_engine/_kernel.py",
        "import jost_engine.table",
        "_kernel -> jost_engine.table",
    ),
    "no circles": (
        "jost_engine/chart_vocabulary.py",
        "import jost_engine.strategy",
        "No cycles are allowed in jost_engine",
    ),
    "domain below delivery": (  # the workbench imports the simulator: a circle as well
        "service/simulator/_probe.py",
        "import service.workbench.views",
        "service.simulator._probe -> service.workbench.views",
    ),
    "no circles in the service": (
        "service/simulator/leases.py",
        "import service.simulator.services",
        "No cycles are allowed in service.simulator",
    ),
    "service above the terminal": (
        "service/_probe.py",
        "import user_terminal.history",
        "service._probe -> user_terminal.history",
    ),
    "terminal launches the service only": (
        "user_terminal/render.py",
        "import service.settings",
        "user_terminal.render -> service.settings",
    ),
}


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_each_import_contract_catches_a_violation(probe, tmp_path):
    """On a copy of the three packages (the working tree is never touched), one added import
    breaks exactly the contract it should, and lint-imports names it."""
    path, line, expected = PROBES[probe]
    for package in ("jost_engine", "service", "user_terminal"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / path
    text = target.read_text() if target.exists() else ""
    target.write_text(f"{text}\n{line}  # noqa\n")
    result = subprocess.run(
        [tool("lint-imports"), "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0, result.stdout
    broken = 2 if probe == "domain below delivery" else 1
    assert f"{CONTRACTS - broken} kept, {broken} broken" in result.stdout, result.stdout
    assert expected in result.stdout, result.stdout


def test_mypy_finds_no_type_error_in_the_engine():
    """pyproject's [tool.mypy]: strict over jost_engine (the numba kernels typed by numba)."""
    result = run(tool("mypy"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_mypy_is_strict_enough_to_fail(tmp_path):
    """The same settings refuse an unannotated function and a wrong return type."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f(x):\n    return x\n\n\ndef g() -> int:\n    return 'no'\n")
    result = run(tool("mypy"), "--config-file", str(ROOT / "pyproject.toml"), str(probe))
    assert result.returncode == 1, result.stdout
    assert "Function is missing a type annotation" in result.stdout
    assert 'Incompatible return value type (got "str", expected "int")' in result.stdout
