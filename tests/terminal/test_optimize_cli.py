"""`jost optimize bets`, `jost optimize compare` and `jost trip`: documents, tables, saved
profiles, charts, remote passes and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jost_engine import parse_config
from jost_engine.profiles import hydrate
from tests.terminal.fake_service import FakeService, install
from tests.terminal.test_cli import assert_bad_input
from user_terminal.cli import app

runner = CliRunner()
ROUNDS = "400000"


@pytest.fixture
def game_file(tmp_path: Path) -> Path:
    path = tmp_path / "game.json"
    config = {"name": "six decks with indices",
              "strategy": {"deviations": ["illustrious_18", "fab_4"]}}  # fmt: skip
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def invoke(*args: str):
    return runner.invoke(app, list(args))


def optimize_json(game_file: Path, *extra: str) -> dict:
    result = invoke("optimize", "bets", str(game_file), "--bankroll", "2000", "--ror", "0.05",
                    "--rounds", ROUNDS, "--json", *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_bets_json_is_the_documented_document(game_file: Path):
    doc = optimize_json(game_file, "--max-spread", "8", "--unit", "5", "--table-min", "10")
    assert doc["document"] == "jost.optimal_bets"
    for key in ("ramp", "betting", "predicted", "measured", "agreement", "simplified",
                "by_true_count", "constraints", "passes", "optimizer_seconds"):  # fmt: skip
        assert key in doc, key
    # `ramp` is in betting.ramp form: the game plays it
    config = parse_config({"betting": {**doc["betting"], "ramp": doc["ramp"]}})
    assert config.betting.unit == 5 and config.betting.table_min == 10
    units = [step["units"] for step in doc["ramp"]]
    assert units == sorted(units) and units[0] == 2 and max(units) <= 16
    for side in ("predicted", "measured"):
        for figure in ("ev_per_round", "sd_per_round", "score", "risk_of_ruin"):
            assert set(doc[side][figure]) == {"value", "se"}, (side, figure)
    assert doc["measured"]["trip"]["measured"]["trips"] > 0
    assert doc["passes"]["check"]["seed"] == doc["passes"]["measurement"]["seed"] + 1


def test_bets_prints_the_ramp_beside_the_ev_by_count_and_saves_a_profile(
    game_file: Path, jost_home: Path
):
    result = invoke("optimize", "bets", str(game_file), "--bankroll", "2000", "--kelly", "0.5",
                    "--rounds", ROUNDS, "--save-profile", "my_optimal", "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout
    for needle in ("Bets by count", "EV / unit", "Ramp: ≤", "Simplified", "Predicted and measured",
                   "SCORE", "Risk of ruin", "Kelly fraction 0.5", "optimizer"):  # fmt: skip
        assert needle in out, needle
    saved = jost_home / "profiles" / "betting" / "my_optimal.json"
    profile = json.loads(saved.read_text(encoding="utf-8"))
    assert profile["kind"] == "betting" and profile["data"]["ramp"]
    hydrate({"betting": profile})  # a valid betting profile
    again = invoke("optimize", "bets", str(game_file), "--bankroll", "2000", "--rounds", ROUNDS,
                   "--save-profile", "my_optimal", "-q")  # fmt: skip
    assert_bad_input(again, "my_optimal")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--bankroll", "400", "--ror", "0.05", "--max-spread", "1"],
         ["spread 1-1", "100.0%"]),
        (["--bankroll", "3", "--unit", "5", "--table-min", "25"],
         ["bankroll (3 units)", "table minimum", "by 2 units"]),
        (["--bankroll", "400", "--table-min", "25", "--table-max", "10"],
         ["table maximum (10)", "by 15"]),
        (["--bankroll", "400", "--ror", "0.05", "--kelly", "0.5"], ["not both"]),
        (["--ror", "0.05"], ["--bankroll"]),
    ],
)  # fmt: skip
def test_impossible_constraints_are_refused_without_a_traceback(game_file, args, needles):
    assert_bad_input(invoke("optimize", "bets", str(game_file), "--rounds", "60000", *args),
                     *needles)  # fmt: skip


def test_bets_runs_its_passes_on_the_service(game_file: Path, monkeypatch):
    service = FakeService(polls=1)
    install(monkeypatch, service)
    doc = optimize_json(game_file, "--remote")
    assert len(service.submits()) == 2  # the measurement pass, then the check
    first, second = (json.loads(r.content) for r in service.submits())
    assert first["betting"]["ramp"] == [{"true_count": 0.0, "units": 1.0}]
    assert second["betting"]["ramp"] == [
        {"true_count": float(s["true_count"]), "units": float(s["units"])} for s in doc["ramp"]
    ]
    assert second["simulation"]["seed"] == first["simulation"]["seed"] + 1
    assert doc["measured"] is not None


def test_compare_lays_ramps_side_by_side(game_file: Path, tmp_path: Path):
    optimal = tmp_path / "optimal.json"
    optimal.write_text(json.dumps(optimize_json(game_file)), encoding="utf-8")
    result = invoke("optimize", "compare", str(game_file), "--bankroll", "2000", "--rounds",
                    ROUNDS, "--ramp", str(optimal), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = [r["name"] for r in doc["ramps"]]
    assert names[0] == "game" and "hi_lo_1_12" in names and "optimal" in names
    assert "hi_lo_1_12_two_hands" not in names  # two spots: the game's pass cannot price it
    for ramp in doc["ramps"]:
        assert {"score", "di", "n0", "win_rate_per_hour", "risk_of_ruin"} <= set(ramp["figures"])
    table = invoke("optimize", "compare", str(game_file), "--bankroll", "2000", "--rounds",
                   ROUNDS, "--betting", "hi_lo_1_8", "--betting", "hi_lo_1_12", "-q")  # fmt: skip
    assert table.exit_code == 0, table.output
    for needle in ("SCORE", "DI", "N0", "Win rate per hour", "Risk of ruin", "hi_lo_1_8"):
        assert needle in table.stdout
    two_hands = invoke("optimize", "compare", str(game_file), "--rounds", "60000", "--betting",
                       "hi_lo_1_12_two_hands", "-q")  # fmt: skip
    assert_bad_input(two_hands, "other spots")


def test_trip_gives_the_trip_figures_and_a_chart(game_file: Path, tmp_path: Path):
    chart = tmp_path / "trip.png"
    result = invoke("trip", str(game_file), "--betting", "hi_lo_1_12", "--bankroll", "400",
                    "--hours", "20", "--goal", "200", "--rounds", ROUNDS, "--json",
                    "--chart", str(chart))  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["document"] == "jost.trip" and doc["hours"] == 20 and doc["rounds"] == 2000
    assert doc["loss"]["units"] == 400 and doc["loss"]["measured"]["trip_rounds"] == 2000
    assert doc["goal"]["units"] == 200 and 0 < doc["goal"]["ever"] < 1
    assert [b["percentile"] for b in doc["percentiles"]] == [5, 25, 50, 75, 95]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = invoke("trip", str(game_file), "--betting", "hi_lo_1_12", "--bankroll", "400",
                  "--hours", "20", "--goal", "200", "--rounds", ROUNDS, "-q")  # fmt: skip
    assert text.exit_code == 0, text.output
    for needle in ("Lose 400 at any point", "Win 200 before losing 400", "95th percentile",
                   "Hours to N0", "Bankroll for 5.0% risk over the trip"):  # fmt: skip
        assert needle in text.stdout, needle
    assert_bad_input(invoke("trip", str(game_file), "--hours", "5"), "--bankroll")
