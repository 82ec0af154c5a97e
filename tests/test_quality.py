"""Lint, format and the layering contract run as part of the tests."""

from __future__ import annotations

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


def test_engine_imports_no_web_database_or_ui_code():
    result = run(tool("lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_layering_contract_catches_a_violation():
    bad = ROOT / "jost_engine" / "_layering_probe.py"
    bad.write_text("import user_terminal.cli  # noqa: F401\n")
    try:
        result = run(tool("lint-imports"), "--no-cache")
    finally:
        bad.unlink()
    assert result.returncode != 0
    assert "jost_engine._layering_probe -> user_terminal" in result.stdout
