"""`jost strategy indices` for any count and `jost count analyze`, through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from jost_engine.analysis import index_table as table_module
from jost_engine.analysis.indices import index_value
from jost_engine.analysis.shoe_at_count import count_system, shoe_depths
from jost_engine.config import Rules, parse_config
from jost_engine.table import prepare
from user_terminal import indices_cli
from user_terminal.cli import app
from user_terminal.profiles_store import profile_problems

runner = CliRunner()
INDICES = ["strategy", "indices"]


def indices(*args: str):
    result = runner.invoke(app, [*INDICES, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows(doc) -> dict:
    return {row["play"]: row for row in doc["indices"]}


def test_a_balanced_count_s_indices_are_its_own_and_what_its_named_sets_play():
    doc = indices("--system", "omega_2")
    assert doc["system"] == "Omega II" and doc["count"] == "true" and doc["decks_remaining"] == 3
    played = rows(doc)
    assert len(played) == 22 and played["insurance"]["index"] == 5
    for row in doc["indices"]:  # the default game: the named sets play these very numbers
        assert row["index"] == row["named_set"], row
    assert played["10 v 10 double"]["crossing"] == pytest.approx(
        index_value(Rules(), "10", "10", "double", count=count_system("omega_2", 6)).crossing
    )


def test_an_unbalanced_count_s_indices_are_running_counts_over_the_shoe():
    doc = indices("--system", "ko", "--decks", "6")
    middle = shoe_depths(6, 0.75).mean  # the mean depth dealt, top to cut: about 3.7 decks
    assert doc["count"] == "running" and doc["decks_remaining"] == pytest.approx(middle)
    assert rows(doc)["16 v 10 stand"]["index"] == -5  # KO stands on 16 v 10 from -5
    assert "KO indices (running count)" in doc["title"]


def test_custom_tags_are_a_count_like_any_other():
    same = indices("--tags", "2=1,3=1,4=1,5=1,6=1,7=0,8=0,9=0,10=-1,A=-1")
    hi_lo = indices()
    for a, b in zip(same["indices"], hi_lo["indices"], strict=True):
        assert a["crossing"] == pytest.approx(b["crossing"])
    assert indices("--tags", "1,1,1,1,1,1,0,0,-1,0", "--irc", "-24")["count"] == "running"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--tags", "1,1,1,1,1,1,0,0,-1,0"], "counting.initial_running_count (--irc)"),
        (["--tags", "0,0,0,0,0,0,0,0,0,0"], "counting.system.tags (--tags)"),
        (["--tags", "1,1,1"], "give ten numbers"),
        (["--ace-side-count"], "ace side count"),
        (["--system", "hilo"], "counting.system"),
        (["--method", "guess"], "--method"),
        (["--risk-averse"], "--ramp"),
        (["--full", "--method", "simulation"], "--full"),
    ],
)
def test_bad_input_is_one_clear_message_naming_the_field(args, says):
    result = runner.invoke(app, [*INDICES, *args])
    assert result.exit_code == 2, result.output
    assert says in result.stderr and "Traceback" not in result.output


def test_the_simulation_method_shows_the_exact_numbers_beside_its_own():
    doc = indices("--method", "simulation", "--precision", "1.5", "--seed", "1")
    played = rows(doc)
    for row in doc["indices"][1:]:
        assert row["se"] is not None and row["se"] <= 2 * 1.5
        assert abs(row["crossing"] - row["exact_crossing"]) <= 1 + 3 * row["se"], row
    assert played["16 v 10 stand"]["exact_index"] == 0
    console = Console(width=160, record=True)
    indices_cli._print_named(console, doc)
    shown = console.export_text()
    assert "crossing ± SE" in shown and "exact crossing" in shown


def test_risk_averse_indices_follow_a_ramp_profile(tmp_path: Path):
    doc = indices("--risk-averse", "--ramp", "hi_lo_1_12", "--bankroll", "1000")
    played = rows(doc)
    assert played["10 v 10 double"]["risk_averse"] >= played["10 v 10 double"]["index"]
    assert played["insurance"]["risk_averse"] <= played["insurance"]["index"]
    out = tmp_path / "ra.json"
    saved = runner.invoke(app, [*INDICES, "--risk-averse", "--ramp", "hi_lo_1_12",
                                "--bankroll", "1000", "--out", str(out)])  # fmt: skip
    assert saved.exit_code == 0, saved.output
    profile = json.loads(out.read_text(encoding="utf-8"))
    assert profile_problems(profile) == []
    ten = [p for p in profile["data"]["deviations"] if p["hand"] == "10" and p["dealer_up"] == "10"]
    assert ten[0]["at_or_above"] == played["10 v 10 double"]["risk_averse"]


def test_the_indices_are_saved_as_a_strategy_profile_that_a_game_plays(tmp_path: Path):
    out = tmp_path / "omega.json"
    result = runner.invoke(app, [*INDICES, "--system", "omega_2", "--surrender", "none",
                                 "--out", str(out), "--name", "omega_6d"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Fab 4 are computed with late surrender" in result.stdout
    profile = json.loads(out.read_text(encoding="utf-8"))
    assert profile_problems(profile) == []
    data = profile["data"]
    assert len(data["deviations"]) == 17 and data["take_insurance_at_true_count"] == 5
    config = parse_config({"rules": {"surrender": "none"}, "counting": {"system": "omega_2"},
                           "strategy": data})  # fmt: skip
    assert prepare(config).index.active  # the game plays them
    shown = runner.invoke(app, ["profiles", "show", "strategy", "omega_6d"])
    assert shown.exit_code == 0


def test_the_full_table_prints_every_decision_as_a_player_carries_it(tmp_path, monkeypatch):
    full = table_module.index_table

    def ten_only(rules, count, depth=None):  # the whole table takes a minute: one column here
        return full(rules, count, depth, up_cards=("10",))

    monkeypatch.setattr(indices_cli, "index_table", ten_only)
    shown = runner.invoke(app, [*INDICES, "--full"])
    assert shown.exit_code == 0, shown.output
    assert (
        "Hard" in shown.stdout
        and "H -3 R" in shown.stdout
        and "Insurance at or above +3" in (shown.stdout)
    )
    out = tmp_path / "full.json"
    saved = runner.invoke(app, [*INDICES, "--full", "--json", "--out", str(out)])
    doc = json.loads(saved.stdout)
    sixteen = next(c for c in doc["sections"]["hard"] if c["hand"] == "16")
    assert sixteen["plays"] == ["hit", "surrender"] and not sixteen["never_changes"]
    profile = json.loads(out.read_text(encoding="utf-8"))
    assert profile_problems(profile) == [] and profile["data"]["deviations"] == doc["deviations"]
    prepare(parse_config({"strategy": profile["data"]}))


def test_count_analyze_shows_every_named_system_or_one():
    result = runner.invoke(app, ["count", "analyze", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = [row["system"] for row in doc["systems"]]
    assert names[:2] == ["Hi-Lo", "KO"] and "Hi-Opt II with ace side count" in names
    assert doc["systems"][0]["insurance_correlation"] == pytest.approx(0.76, abs=0.002)
    one = json.loads(runner.invoke(app, ["count", "analyze", "--system", "zen", "--json"]).stdout)
    assert [row["system"] for row in one["systems"]] == ["Zen"]
    shown = runner.invoke(app, ["count", "analyze"])
    assert "Omega II" in shown.stdout and "maximise" in shown.stdout
    bad = runner.invoke(app, ["count", "analyze", "--tags", "1,1,1,1,1,1,1,1,1,1"])
    assert bad.exit_code == 2 and "counting.system.tags" in bad.stderr
