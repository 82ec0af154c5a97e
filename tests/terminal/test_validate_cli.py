"""`jost validate --quick` end to end through the real CLI app, into a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jost_engine.validation import COUNTED_GAMES, QUICK_ROUNDS, RULE_SETS
from user_terminal.cli import app
from user_terminal.home import data_dir

runner = CliRunner()


def test_quick_validation_writes_the_report_plot_and_results(tmp_path: Path, monkeypatch):
    """Without --out the report goes to the data folder (never the working folder), and the
    command says where."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    result = runner.invoke(app, ["validate", "--quick"])
    assert result.exit_code == 0, result.output
    out = data_dir() / "validation"
    assert list(here.iterdir()) == []
    assert str(out / "report.md") in result.stdout
    page = (out / "report.md").read_text(encoding="utf-8")
    for rule_set in RULE_SETS:
        assert f"| {rule_set.name} |" in page
    for name in COUNTED_GAMES:
        assert f"| {name} |" in page
    assert "All checks passed" in page and "**FAIL**" not in page
    assert f"{QUICK_ROUNDS:,} rounds per rule set" in page
    assert "`jost validate --quick --out DIR`" in page
    assert "![z-score of each rule set](z-scores.png)" in page
    assert (out / "z-scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["passed"] and len(doc["ev_checks"]) == len(RULE_SETS)
    assert all(abs(c["z"]) <= 4 for c in doc["ev_checks"])
    assert "pass  z=" in result.stdout


def test_an_out_path_that_is_a_file_is_one_line_of_error(tmp_path: Path):
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--quick", "--out", str(target)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"jost: --out {target} is a file, not a folder"
