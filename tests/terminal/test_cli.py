"""The `jost` command: JSON and human output, the schema, and how bad input is reported."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jost_engine import (
    config_digest,
    config_json_schema,
    default_config,
    parse_config,
    run_simulation_from_config,
)
from jost_engine.profiles import hydrate
from user_terminal import render
from user_terminal.cli import app

runner = CliRunner()


def jost_command() -> list[str]:
    """The installed console script, or the module when the script is not there."""
    script = Path(sys.executable).with_name("jost")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "user_terminal.cli"]


def invoke(*args: str):
    return runner.invoke(app, list(args))


def assert_bad_input(result, *needles: str) -> None:
    """Exit code 2, every needle in the output, and no traceback anywhere."""
    text = result.output
    assert result.exit_code == 2, text
    for needle in needles:
        assert needle in result.stderr, text
    assert "Traceback" not in text
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def test_run_json_equals_the_engine_run_directly():
    """The console script, on all cores, prints only the engine's document on stdout."""
    proc = subprocess.run(
        [*jost_command(), "run", "--rounds", "20000", "--seed", "7", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)  # nothing but the document on stdout
    assert doc["rounds"] == 20000

    # a bare run is the player's default profiles hydrated: the docs/config.md example game
    config = parse_config(hydrate(None, {"rounds": 20000, "seed": 7}))
    assert config.model_dump(exclude={"name"}) == default_config().with_overrides(
        rounds=20000, seed=7
    ).model_dump(exclude={"name"})
    direct = run_simulation_from_config(config, workers=1).to_dict()
    assert doc["net"] == direct["net"]
    assert doc["ev_per_initial_bet"] == direct["ev_per_initial_bet"]
    assert doc["outcomes"] == direct["outcomes"]
    assert doc["config_digest"] == direct["config_digest"] == config_digest(config)


def test_config_file_round_trip(tmp_path):
    path = tmp_path / "single-deck.json"
    data = {
        "name": "Single deck H17",
        "rules": {"decks": 1, "dealer_hits_soft_17": True},
        "simulation": {"rounds": 10000, "seed": 11},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("run", str(path), "--json", "--workers", "1")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rounds"] == 10000
    assert doc["config_digest"] == config_digest(parse_config(path.read_text(encoding="utf-8")))


def test_options_override_the_file(tmp_path):
    path = tmp_path / "game.json"
    path.write_text(json.dumps({"simulation": {"rounds": 5000, "seed": 1}}), encoding="utf-8")
    result = invoke("run", str(path), "--rounds", "3000", "--seed", "2", "--json", "-w", "1")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rounds"] == 3000
    expected = parse_config(path.read_text(encoding="utf-8")).with_overrides(rounds=3000, seed=2)
    assert doc["config_digest"] == config_digest(expected)


def test_human_summary():
    result = invoke("run", "--rounds", "20000", "--seed", "3", "--workers", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for needle in (
        "House edge",
        "95% CI",
        "EV per round",
        "SD per round",
        "Win rate per 100 rounds",
        "20,000",
        "rounds",
        "Outcomes",
        "Blackjack",
        "By true count",
        "True count",
        "EV / round ± SE",
        # the game: the default profiles' names
        "vegas_strip_6d_s17_das_ls",
        "S17",
        "3:2",
        "DAS",
        "late",
        "75% penetration",
    ):
        assert needle in out, needle
    assert "Traceback" not in result.output


def test_human_summary_of_another_game(tmp_path):
    path = tmp_path / "game.json"
    rules = {
        "decks": 2,
        "dealer_hits_soft_17": True,
        "blackjack_payout": 1.2,
        "surrender": "none",
        "shuffle": "continuous",
    }
    path.write_text(json.dumps({"rules": rules}), encoding="utf-8")
    result = invoke("run", str(path), "--rounds", "5000", "--workers", "1", "--quiet")
    assert result.exit_code == 0, result.output
    for needle in ("H17", "6:5", "continuous shuffle", "House edge"):
        assert needle in result.stdout, needle


def test_schema_is_json_with_the_rules():
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema == config_json_schema()
    assert "rules" in schema["properties"]
    rules = schema["$defs"]["Rules"]["properties"]
    for field in ("decks", "dealer_hits_soft_17", "blackjack_payout", "surrender"):
        assert field in rules


# --------------------------------------------------------------------------------------------
# Bad input: exit code 2, every problem, never a traceback
# --------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    assert_bad_input(invoke("run", str(path), "--json"), str(path), "not found")


def test_directory_instead_of_file(tmp_path):
    assert_bad_input(invoke("run", str(tmp_path)), str(tmp_path))


def test_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"rules": {"decks": 6,}', encoding="utf-8")
    assert_bad_input(invoke("run", str(path)), str(path), "not valid JSON", "line 1")


def test_not_an_object(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    assert_bad_input(invoke("run", str(path)), str(path), "JSON object")


def test_every_problem_is_listed(tmp_path):
    path = tmp_path / "two-errors.json"
    path.write_text(json.dumps({"rules": {"decks": 9, "surrender": "sometimes"}}), encoding="utf-8")
    result = invoke("run", str(path), "--json")
    assert_bad_input(result, str(path), "2 problems", "rules.decks: ", "rules.surrender: ")
    assert result.stdout == ""


def test_every_problem_is_listed_by_the_console_script(tmp_path):
    path = tmp_path / "two-errors.json"
    path.write_text(json.dumps({"rules": {"decks": 9, "surrender": "sometimes"}}), encoding="utf-8")
    proc = subprocess.run(
        [*jost_command(), "run", str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "rules.decks" in proc.stderr and "rules.surrender" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_valid_but_unsupported_config(tmp_path):
    path = tmp_path / "infinite.json"
    path.write_text(json.dumps({"rules": {"infinite_deck": True}}), encoding="utf-8")
    result = invoke("run", str(path), "--rounds", "1000", "--workers", "1")
    assert_bad_input(result, str(path), "rules.infinite_deck")


def test_invalid_override():
    assert_bad_input(invoke("run", "--rounds", "0"), "simulation.rounds")


def test_bad_option_value():
    result = invoke("run", "--workers", "0")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------------
# Ctrl-C
# --------------------------------------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


@pytest.mark.skipif(
    not Path("/proc/self/task").exists() or not hasattr(signal, "SIGINT"),
    reason="needs Linux /proc",
)
def test_ctrl_c_stops_the_run_and_its_workers():
    proc = subprocess.Popen(
        [*jost_command(), "run", "--rounds", "1000000000", "--workers", "2", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
            time.sleep(0.2)  # the two worker processes
            workers = _descendants(proc.pid)
        assert len(workers) >= 2, "the workers never started"
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert out == ""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in workers):
        time.sleep(0.1)
    lingering = [p for p in workers if os.path.exists(f"/proc/{p}")]
    assert not lingering, f"processes left behind: {lingering}"


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def test_formatters():
    assert render.format_payout(1.5) == "3:2"
    assert render.format_payout(1.2) == "6:5"
    assert render.format_payout(1.0) == "1:1"
    ev = {"mean": -0.005, "se": 0.001, "ci95": [-0.007, -0.003]}
    assert render.format_house_edge(ev) == "0.500% ± 0.100%"
    assert render.format_house_edge_ci(ev) == "[0.300%, 0.700%]"
    assert render.format_house_edge({"mean": 0.01, "se": None}) == "-1.000%"
    assert render.format_ev(-0.0052, 0.0011) == "-0.0052 ± 0.0011"


def _rendered(renderable) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_by_count_table_keeps_counts_with_enough_rounds():
    result = {
        "by_true_count": [
            {"true_count": -9, "rounds": 5, "frequency": 0.0005, "ev_per_round": -0.1, "se": 0.4},
            {"true_count": 0, "rounds": 9000, "frequency": 0.9, "ev_per_round": -0.01, "se": 0.01},
            {"true_count": 4, "rounds": 995, "frequency": 0.0995, "ev_per_round": 0.02, "se": 0.03},
        ]
    }
    text = _rendered(render.true_count_table(result, default_config()))
    assert "+4" in text and "9,000" in text
    assert "-9" not in text


def test_unbalanced_counts_are_running_counts():
    ko = parse_config({"counting": {"system": "ko"}})
    assert render.counts_by_running_count(ko)
    assert not render.counts_by_running_count(default_config())
    text = _rendered(render.true_count_table({"by_true_count": []}, ko))
    assert "Running count" in text
