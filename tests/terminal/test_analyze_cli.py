"""`jost analyze` and `jost strategy generate` / `indices` through Typer's runner (the real CLI
app)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from jost_engine import default_config
from jost_engine.analysis import basic_chart, game_value
from jost_engine.analysis.indices import insurance_crossing
from jost_engine.config import Rules
from jost_engine.index_plays import (
    FAB_4,
    FAB_4_SINGLE_DECK,
    ILLUSTRIOUS_18,
    ILLUSTRIOUS_18_INSURANCE_SINGLE_DECK,
    ILLUSTRIOUS_18_SINGLE_DECK,
)
from user_terminal.cli import app
from user_terminal.profiles_store import profile_problems

runner = CliRunner()


def test_analyze_json_gives_the_exact_ev_of_the_config(tmp_path: Path):
    cfg = default_config().model_dump(mode="json")
    cfg["rules"].update(decks=2, surrender="none")
    path = tmp_path / "game.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(path), "--json", "--no-removal"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rules = Rules(**cfg["rules"])
    assert doc["ev_per_initial_bet"] == game_value(rules).ev
    assert doc["chart"]["hard"] == basic_chart(rules)["hard"]
    assert doc["effects_of_removal"] is None
    assert 1.0 < doc["sd_per_round"] < 1.3


def test_analyze_prints_the_chart_grid_and_edge():
    result = runner.invoke(app, ["analyze", "--no-removal"])
    assert result.exit_code == 0, result.output
    assert "Hard totals" in result.stdout and "Pairs" in result.stdout
    edge = -game_value(default_config().rules).ev
    assert f"{100 * edge:+.4f}%" in result.stdout


def test_analyze_bad_input_is_one_clear_line(tmp_path: Path):
    missing = runner.invoke(app, ["analyze", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
    assert "config file not found" in missing.stderr and "Traceback" not in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": {"decks": 0}}', encoding="utf-8")
    invalid = runner.invoke(app, ["analyze", str(bad)])
    assert invalid.exit_code == 2 and str(bad) in invalid.stderr
    wrong = runner.invoke(app, ["analyze", "--strategy", "optimal"])
    assert wrong.exit_code == 2 and "--strategy" in wrong.stderr


def test_strategy_generate_writes_and_saves_a_valid_strategy_profile(tmp_path: Path):
    out = tmp_path / "two_deck.json"
    args = ["strategy", "generate", "--decks", "2", "--s17", "--surrender", "none"]
    result = runner.invoke(app, [*args, "--out", str(out), "--name", "two_deck"])
    assert result.exit_code == 0, result.output
    profile = json.loads(out.read_text(encoding="utf-8"))
    assert profile_problems(profile) == []
    rules = Rules(decks=2, surrender="none")
    assert profile["data"]["basic"]["pairs"] == basic_chart(rules)["pairs"]
    shown = runner.invoke(app, ["profiles", "show", "strategy", "two_deck"])
    assert shown.exit_code == 0 and "two_deck" in shown.stdout
    again = runner.invoke(app, [*args, "--name", "two_deck"])
    assert again.exit_code == 2 and "exists" in again.stderr  # never overwritten unasked


def test_strategy_generate_refuses_impossible_rules():
    result = runner.invoke(app, ["strategy", "generate", "--decks", "9"])
    assert result.exit_code == 2
    assert "decks" in result.stderr and "Traceback" not in result.output


def test_strategy_indices_prints_the_computed_indices_and_the_named_set_played():
    result = runner.invoke(app, ["strategy", "indices", "--decks", "1", "--h17", "--no-das",
                                 "--surrender", "none", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["decks_remaining"] == 0.5
    rows = {row["play"]: row for row in doc["indices"]}
    assert len(rows) == 1 + len(ILLUSTRIOUS_18) + len(FAB_4)
    # these are the rules the one-deck set was computed under: each row is the stored value
    for play in (*ILLUSTRIOUS_18_SINGLE_DECK, *FAB_4_SINGLE_DECK):
        row = rows[f"{play['hand']} v {play['dealer_up']} {play['action']}"]
        assert row["index"] == row["named_set"] == play["at_or_above"]
        assert row["direction"] == "at_or_above"
        assert abs(row["crossing"] - row["index"]) <= 0.5
    insurance = rows["insurance"]
    assert insurance["crossing"] == insurance_crossing(1)
    assert insurance["index"] == insurance["named_set"] == ILLUSTRIOUS_18_INSURANCE_SINGLE_DECK


def test_strategy_indices_table_and_refusals():
    shown = runner.invoke(app, ["strategy", "indices", "--double-on", "10_11"])
    assert shown.exit_code == 0, shown.output
    assert "16 v 10 stand" in shown.stdout and "6 decks, 3 left" in shown.stdout
    assert "9 v 2 double: not computed, the rules do not allow doubling" in shown.stdout
    deep = runner.invoke(app, ["strategy", "indices", "--decks", "2", "--depth", "3"])
    assert deep.exit_code == 2 and "does not fit a 2-deck shoe" in deep.stderr
    bad = runner.invoke(app, ["strategy", "indices", "--decks", "0"])
    assert bad.exit_code == 2 and "decks" in bad.stderr and "Traceback" not in bad.output


def test_the_effects_of_removal_are_whole_at_80_columns_and_in_a_pipe():
    from rich.console import Console

    from user_terminal.analyze_cli import removal_table

    cards = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10")
    effects = {card: (-1) ** i * (0.001234 + i / 1e4) for i, card in enumerate(cards)}
    console = Console(width=80, record=True, file=io.StringIO())  # a pipe: no terminal
    console.print(removal_table(effects))
    text = console.export_text()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    for card, value in effects.items():
        assert re.search(rf"\b{card}\b\W+{re.escape(f'{100 * value:+.4f}%')}", text), card
