"""`jost profiles …` and hydration: the player's profile files, validated, never clobbered."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jost_engine import config_digest, parse_config
from jost_engine.profiles import bundled_profile, bundled_profiles, default_profile_names, hydrate
from user_terminal import home
from user_terminal.cli import app
from user_terminal.profiles_store import ProfileStore

runner = CliRunner()


def invoke(*args: str, input: str | None = None):
    result = runner.invoke(app, list(args), input=input)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def profile_file(jost_home: Path, kind: str, name: str) -> Path:
    return jost_home / "profiles" / kind / f"{name}.json"


def write_editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR: a Python script that rewrites the file it is given with ``body``'s code."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import json, sys\n"
        "path = sys.argv[1]\n"
        "profile = json.load(open(path, encoding='utf-8'))\n"
        f"{body}\n"
        "open(path, 'w', encoding='utf-8').write(json.dumps(profile))\n",
        encoding="utf-8",
    )
    return f"{sys.executable} {script}"


# --------------------------------------------------------------------------------------------
# First start and listing
# --------------------------------------------------------------------------------------------


def test_first_start_seeds_the_bundled_profiles_and_marks_defaults(jost_home):
    result = invoke("profiles", "list")
    assert result.exit_code == 0, result.output
    assert "first start" in result.stderr and "bundled" in result.stderr
    for kind, profiles in bundled_profiles().items():
        for profile in profiles:
            on_disk = json.loads(profile_file(jost_home, kind, profile["name"]).read_text())
            assert on_disk == profile
            assert profile["name"] in result.stdout
    lines = result.stdout.splitlines()
    for kind, name in default_profile_names().items():
        row = next(line for line in lines if f" {name} " in line and kind in line)
        assert "*" in row, row
    # the second start is quiet
    assert "first start" not in invoke("profiles", "list").stderr


def test_seeding_never_replaces_a_file_that_is_there(jost_home):
    mine = {"kind": "betting", "name": "flat", "description": "mine", "data": {"unit": 5}}
    path = profile_file(jost_home, "betting", "flat")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(mine), encoding="utf-8")
    assert invoke("profiles", "show", "betting", "flat").exit_code == 0
    assert json.loads(path.read_text()) == mine


def test_show_prints_the_profile(jost_home):
    result = invoke("profiles", "show", "counting", "ko")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == bundled_profile("counting", "ko")


def test_unknown_kind_and_name_are_one_line_errors():
    result = invoke("profiles", "show", "shoes", "x")
    assert result.exit_code == 2 and "unknown profile kind 'shoes'" in result.stderr
    result = invoke("profiles", "show", "rules", "nope")
    assert result.exit_code == 2
    assert "no rules profile named 'nope'" in result.stderr and "downtown_2d_h17" in result.stderr
    result = invoke("profiles", "show", "rules", "../etc/passwd")
    assert result.exit_code == 2 and "bad profile name" in result.stderr


# --------------------------------------------------------------------------------------------
# Hydration
# --------------------------------------------------------------------------------------------


def test_bare_run_hydrates_the_default_profiles():
    result = invoke("run", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == hydrate()


def test_profile_flags_build_the_config_and_save_it(tmp_path):
    saved = tmp_path / "game.json"
    flags = ["--rules", "downtown_2d_h17", "--betting", "hi_lo_1_12", "--bankroll", "400_units"]
    result = invoke(
        "run", *flags, "-n", "4000", "--seed", "5", "--save-config", str(saved), "--json", "-w", "1"
    )
    assert result.exit_code == 0, result.output
    expected = hydrate(
        {"rules": "downtown_2d_h17", "betting": "hi_lo_1_12", "bankroll": "400_units"},
        {"rounds": 4000, "seed": 5},
    )
    assert json.loads(saved.read_text()) == expected
    doc = json.loads(result.stdout)
    assert doc["config_digest"] == config_digest(parse_config(expected))
    assert doc["rounds"] == 4000
    # the saved file runs again to the same result
    again = invoke("run", str(saved), "--json", "-w", "1")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["net"] == doc["net"]
    # and is never replaced without --force
    refused = invoke(
        "run", "--rules", "single_deck_h17_65", "--save-config", str(saved), "--dry-run"
    )
    assert refused.exit_code == 2 and "exists" in refused.stderr
    assert json.loads(saved.read_text()) == expected
    forced = invoke(
        "run", "--rules", "single_deck_h17_65", "--save-config", str(saved), "--dry-run", "--force"
    )
    assert forced.exit_code == 0
    assert json.loads(saved.read_text())["rules"]["decks"] == 1


def test_a_config_file_and_profile_flags_do_not_mix(tmp_path):
    saved = tmp_path / "game.json"
    saved.write_text("{}", encoding="utf-8")
    result = invoke("run", str(saved), "--rules", "downtown_2d_h17")
    assert result.exit_code == 2 and "not both" in result.stderr


def test_a_run_is_kept_in_the_history(jost_home):
    result = invoke("run", "-n", "2000", "-w", "1", "--json")
    assert result.exit_code == 0, result.output
    kept = list((jost_home / "history").glob("*.json"))
    assert len(kept) == 1
    record = json.loads(kept[0].read_text())
    assert record["where"] == "local"
    assert record["result"] == json.loads(result.stdout)
    assert record["config"] == hydrate(None, {"rounds": 2000})


# --------------------------------------------------------------------------------------------
# A broken profile on disk
# --------------------------------------------------------------------------------------------


def test_a_corrupt_profile_file_is_named_with_its_problem(jost_home):
    invoke("profiles", "list")
    path = profile_file(jost_home, "rules", "downtown_2d_h17")
    path.write_text('{"kind": "rules", "name": "downtown_2d_h17", "data": {"decks": 2,', "utf-8")
    run = invoke("run", "--rules", "downtown_2d_h17", "-n", "1000")
    assert run.exit_code == 2
    assert str(path) in run.stderr and "not valid JSON" in run.stderr and "line 1" in run.stderr
    listed = invoke("profiles", "list")
    assert listed.exit_code == 2 and "✗" in listed.stdout and str(path) in listed.stderr
    checked = invoke("profiles", "validate")
    assert checked.exit_code == 2 and str(path) in checked.stderr
    total = sum(len(profiles) for profiles in bundled_profiles().values())
    assert f"{total - 1} of {total} profiles valid" in checked.stderr


def test_an_invalid_profile_lists_every_problem_with_its_path(jost_home):
    invoke("profiles", "list")
    path = profile_file(jost_home, "rules", "downtown_2d_h17")
    profile = json.loads(path.read_text())
    profile["data"].update(decks=9, surrender="sometimes")
    path.write_text(json.dumps(profile), encoding="utf-8")
    run = invoke("run", "--rules", "downtown_2d_h17", "-n", "1000")
    assert run.exit_code == 2
    assert f"invalid profile {path} (2 problems)" in run.stderr
    assert "data.decks:" in run.stderr and "data.surrender:" in run.stderr


def test_a_profile_whose_name_differs_from_its_file_is_refused(jost_home):
    invoke("profiles", "list")
    path = profile_file(jost_home, "counting", "ko")
    profile = json.loads(path.read_text())
    profile["name"] = "kayo"
    path.write_text(json.dumps(profile), encoding="utf-8")
    result = invoke("profiles", "show", "counting", "ko")
    assert result.exit_code == 2 and str(path) in result.stderr and "kayo" in result.stderr


# --------------------------------------------------------------------------------------------
# Changing profiles
# --------------------------------------------------------------------------------------------


def test_new_copy_default_and_delete(jost_home):
    result = invoke("profiles", "new", "betting", "my_ramp", "--from", "hi_lo_1_8", "--no-edit")
    assert result.exit_code == 0, result.output
    mine = json.loads(profile_file(jost_home, "betting", "my_ramp").read_text())
    assert mine["data"] == bundled_profile("betting", "hi_lo_1_8")["data"]
    assert invoke("profiles", "new", "betting", "my_ramp", "--no-edit").exit_code == 2

    assert invoke("profiles", "copy", "betting", "my_ramp", "my_ramp2").exit_code == 0
    assert invoke("profiles", "copy", "betting", "flat", "my_ramp2").exit_code == 2  # exists
    assert (
        json.loads(profile_file(jost_home, "betting", "my_ramp2").read_text())["data"]
        == mine["data"]
    )

    assert invoke("profiles", "default", "betting", "my_ramp").exit_code == 0
    assert invoke("profiles", "default", "betting").stdout.strip() == "my_ramp"
    dry = invoke("run", "--dry-run", "--json")
    assert json.loads(dry.stdout)["betting"]["ramp"] == mine["data"]["ramp"]

    refused = invoke("profiles", "delete", "betting", "my_ramp", "--yes")
    assert refused.exit_code == 2 and "default" in refused.stderr
    assert invoke("profiles", "delete", "betting", "my_ramp2").exit_code == 2  # not asked: kept
    assert profile_file(jost_home, "betting", "my_ramp2").exists()
    assert invoke("profiles", "delete", "betting", "my_ramp2", "--yes").exit_code == 0
    assert not profile_file(jost_home, "betting", "my_ramp2").exists()


def test_import_validates_and_never_overwrites_unasked(jost_home, tmp_path):
    source = tmp_path / "shared.json"
    good = {
        "kind": "rules",
        "name": "downtown_2d_h17",
        "description": "a friend's",
        "data": {"decks": 4},
    }
    source.write_text(json.dumps(good), encoding="utf-8")
    invoke("profiles", "list")
    before = profile_file(jost_home, "rules", "downtown_2d_h17").read_text()
    refused = invoke("profiles", "import", str(source))
    assert refused.exit_code == 2 and "exists" in refused.stderr
    assert profile_file(jost_home, "rules", "downtown_2d_h17").read_text() == before
    assert invoke("profiles", "import", str(source), "--name", "four_deck").exit_code == 0
    assert json.loads(profile_file(jost_home, "rules", "four_deck").read_text())["data"] == {
        "decks": 4
    }
    assert invoke("profiles", "import", str(source), "--force").exit_code == 0
    assert json.loads(profile_file(jost_home, "rules", "downtown_2d_h17").read_text()) == good

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"kind": "betting", "name": "x", "data": {"unit": -1, "spots": 9}}), "utf-8"
    )
    result = invoke("profiles", "import", str(bad))
    assert result.exit_code == 2
    assert (
        str(bad) in result.stderr and "data.unit" in result.stderr and "data.spots" in result.stderr
    )
    assert not profile_file(jost_home, "betting", "x").exists()


def test_export_round_trips(tmp_path):
    out = tmp_path / "ko.json"
    assert invoke("profiles", "export", "counting", "ko", "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == bundled_profile("counting", "ko")
    again = invoke("profiles", "export", "counting", "hi_lo", "--out", str(out))
    assert again.exit_code == 2 and "exists" in again.stderr
    assert invoke("profiles", "validate", str(out)).exit_code == 0


def test_edit_saves_a_valid_change(jost_home, tmp_path, monkeypatch):
    monkeypatch.setenv("EDITOR", write_editor(tmp_path, "profile['data']['decks'] = 4"))
    result = invoke("profiles", "edit", "rules", "downtown_2d_h17")
    assert result.exit_code == 0, result.output
    assert "saved" in result.stderr
    saved = json.loads(profile_file(jost_home, "rules", "downtown_2d_h17").read_text())
    assert saved["data"]["decks"] == 4


def test_edit_refuses_an_invalid_change_and_keeps_the_file(jost_home, tmp_path, monkeypatch):
    invoke("profiles", "list")
    path = profile_file(jost_home, "rules", "downtown_2d_h17")
    before = path.read_text()
    monkeypatch.setenv("EDITOR", write_editor(tmp_path, "profile['data']['decks'] = 0"))
    result = invoke("profiles", "edit", "rules", "downtown_2d_h17")
    assert result.exit_code == 2
    assert "data.decks" in result.stderr and "unchanged" in result.stderr
    assert path.read_text() == before


# --------------------------------------------------------------------------------------------
# Writes are atomic
# --------------------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path, monkeypatch):
    store = ProfileStore(tmp_path / "profiles")
    profile = bundled_profile("bankroll", "200_units")
    path = store.save(profile)
    before = path.read_text()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    changed = {**profile, "data": {"units": 300}}
    with pytest.raises(OSError):
        store.save(changed, overwrite=True)
    assert path.read_text() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_login_file_is_private(jost_home):
    from user_terminal.credentials import current_login, save_login

    path = save_login("127.0.0.1:9", "secret", "alice")
    assert path.parent == home.config_dir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    login = current_login()
    assert login is not None and login.url == "http://127.0.0.1:9" and login.token == "secret"
