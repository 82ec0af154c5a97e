"""`jost compare` and `jost chart`: results side by side, and PNG charts of a result."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from user_terminal import chart
from user_terminal.cli import app

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="module")
def two_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    paths = []
    for name, betting in (("flat.json", "flat"), ("spread.json", "hi_lo_1_8")):
        result = runner.invoke(
            app,
            ["run", "-n", "20000", "--seed", "4", "-w", "1", "--json", "--betting", betting],
            env={"JOST_HOME": str(folder / "home")},
        )
        assert result.exit_code == 0, result.output
        paths.append(folder / name)
        paths[-1].write_text(result.stdout, encoding="utf-8")
    return paths


def test_compare_puts_results_side_by_side(two_results, tmp_path):
    flat, spread = two_results
    result = invoke("compare", str(flat), str(spread))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for needle in ("flat.json", "spread.json", "House edge", "SD per round", "N0", "SCORE"):
        assert needle in out, needle
    sd = [json.loads(p.read_text())["sd_per_round"] for p in two_results]
    row = next(line for line in out.splitlines() if "SD per round" in line)
    assert f"{sd[0]:.3f}" in row and f"{sd[1]:.3f}" in row


def test_compare_reads_kept_runs_and_names_bad_files(tmp_path, jost_home):
    assert invoke("run", "-n", "3000", "-w", "1", "--json").exit_code == 0
    [kept] = (jost_home / "history").glob("*.json")
    result = invoke("compare", str(kept))
    assert result.exit_code == 0 and "vegas_strip_6d_s17_das_ls" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"rounds": 5}', encoding="utf-8")
    refused = invoke("compare", str(kept), str(bad))
    assert (
        refused.exit_code == 2
        and str(bad) in refused.stderr
        and "ev_per_initial_bet" in refused.stderr
    )
    missing = invoke("compare", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "not found" in missing.stderr


def test_chart_writes_a_png(two_results, tmp_path):
    out = tmp_path / "spread.png"
    result = invoke("chart", str(two_results[1]), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = invoke("chart", str(two_results[1]), "--out", str(out))
    assert again.exit_code == 2 and "exists" in again.stderr


def test_chart_data_is_the_result(two_results):
    document = json.loads(two_results[1].read_text())
    counts, evs, ses = chart.ev_by_count(document)
    rows = {r["true_count"]: r for r in document["by_true_count"] if r["frequency"] >= 0.001}
    assert counts == sorted(rows)
    assert evs == [rows[c]["ev_per_round"] for c in counts]
    assert ses == [rows[c]["se"] for c in counts]
    xs, ys, mean, sd = chart.bankroll_curve(document, 10_000)
    assert mean == pytest.approx(document["ev_per_round"]["mean"] * 10_000)
    assert sd == pytest.approx(document["sd_per_round"] * 100)
    peak = xs[ys.index(max(ys))]
    assert peak == pytest.approx(mean, abs=sd / 20)
    text = invoke("chart", str(two_results[1])).stdout  # no --out: drawn in the terminal
    assert "EV per round by true count" in text


def test_kept_runs_are_listed_shown_compared_and_deleted_by_id_or_last(jost_home):
    for rounds in ("3000", "4000"):
        assert invoke("run", "-n", rounds, "-w", "1", "--json").exit_code == 0
    listed = json.loads(invoke("history", "list", "--json").stdout)["runs"]
    assert [r["rounds"] for r in listed] == [4000, 3000]  # newest first
    newest, older = (r["id"] for r in listed)
    assert newest in invoke("history", "list").stdout

    shown = invoke("history", "show", "last")
    assert shown.exit_code == 0 and shown.stdout.startswith(newest) and "4,000" in shown.stdout
    kept = json.loads(invoke("history", "show", older[:-3], "--json").stdout)  # a unique start
    assert kept["result"]["rounds"] == 3000

    compared = invoke("compare", "last", older)
    assert compared.exit_code == 0 and "House edge" in compared.stdout
    assert invoke("chart", "last").exit_code == 0
    both = invoke("compare", newest[:4])  # the year: the start of both ids
    assert both.exit_code == 2 and "2 kept runs start with" in both.stderr

    refused = runner.invoke(app, ["history", "delete", "last"], input="n\n")
    assert refused.exit_code == 2 and len(list((jost_home / "history").glob("*.json"))) == 2
    assert invoke("history", "delete", "last", "--yes").exit_code == 0
    assert [p.stem for p in (jost_home / "history").glob("*.json")] == [older]
    assert invoke("history", "show", newest).exit_code == 2


def test_a_back_counting_result_shows_rounds_watched_and_played_and_the_hours_assumed():
    from rich.console import Console

    from jost_engine import parse_config, run_simulation_from_config
    from user_terminal.render import render_summary

    config = parse_config(
        {
            "betting": {"ramp": [{"true_count": 0, "units": 1}, {"true_count": 2, "units": 4}],
                        "wong_in_at": 1, "wong_out_below": 0},
            "bankroll": {"units": 400, "trip_rounds": 2000},
            "simulation": {"rounds": 60_000, "seed": 3},
        }
    )  # fmt: skip
    result = run_simulation_from_config(config, workers=1).to_dict()
    console = Console(width=160, record=True)
    console.print(render_summary(result, config))
    text = " ".join(console.export_text().split())
    played, trip = result["rounds"], result["risk"]["trip"]
    assert "Rounds observed 60,000" in text
    assert f"Rounds played {played:,} ({played / 60_000:.1%} of those dealt)" in text
    assert f"(100 rounds dealt, {100 * played / 60_000:.0f} played)" in text
    assert "Win rate per 100 rounds played" in text
    assert f"measured over {trip['trips']:,} trips; formula {100 * trip['formula']:.2f}%" in text
    assert "Game: 6D S17 DOA DAS LS 75%, Hi-Lo 1-4, wonging" in text


def test_the_terminal_chart_is_titled_and_its_bars_grow_from_zero(two_results):
    document = json.loads(two_results[1].read_text())
    rows = [{"true_count": -1, "frequency": 0.5, "ev_per_round": -0.5, "se": 0.1,
             "ev_per_initial_bet": -0.25, "ev_per_initial_bet_se": 0.05},
            {"true_count": 1, "frequency": 0.5, "ev_per_round": -0.1, "se": 0.1,
             "ev_per_initial_bet": -0.05, "ev_per_initial_bet_se": 0.05}]  # fmt: skip
    text = chart.terminal_chart({**document, "by_true_count": rows}, 40, 12, title="1D H17")
    assert "1D H17: EV per round by true count" in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()
    plot = [re.split("[┤│]", line, maxsplit=1)[1].rstrip("│") for line in plain if "┤" in line]
    top, bottom = plot[0], plot[-1]
    quarter = len(top) // 4
    # every count loses: both bars hang from zero (the top row), only the -0.5 reaches down
    assert "█" in top[:quarter] and "█" in top[-quarter:]
    assert "█" in bottom[:quarter] and "█" not in bottom[-quarter:]
    counts, evs, ses = chart.ev_by_count({"by_true_count": rows}, per_bet=True)
    assert (counts, evs, ses) == ([-1, 1], [-0.25, -0.05], [0.05, 0.05])
    per_bet = invoke("chart", str(two_results[1]), "--per-bet").stdout
    assert "EV per initial bet (%)" in per_bet and two_results[1].stem in per_bet


def test_the_game_table_names_what_the_table_and_the_rules_will_not_let_be_played(tmp_path):
    game = tmp_path / "g.json"
    ramp = [{"true_count": -100, "units": 1}, {"true_count": 3, "units": 1000}]
    game.write_text(
        json.dumps(
            {
                "rules": {"max_split_hands": 1},
                "strategy": {"deviations": ["illustrious_18"]},
                "betting": {"table_max": 500, "ramp": ramp},
            }
        )
    )
    out = " ".join(invoke("run", str(game), "--dry-run").stdout.split())
    assert "Hi-Lo 1-500" in out and "1-500 spread (2 steps); the ramp asks 1-1000" in out
    assert "the table takes 1-500" in out
    assert "Note the Illustrious 18's 10,10 v 5, 10,10 v 6 never play" in out
    assert "(rules.max_split_hands 1)" in out
