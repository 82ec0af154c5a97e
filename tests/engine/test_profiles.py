"""The bundled standard profiles and hydration (docs/config.md, "Profiles")."""

from __future__ import annotations

import pytest

from jost_engine import ConfigError, default_config, parse_config, run_simulation_from_config
from jost_engine.profiles import (
    PROFILE_KINDS,
    bundled_profile,
    bundled_profiles,
    default_profile_names,
    hydrate,
)
from jost_engine.table import prepare

REQUIRED = {
    "rules": {
        "vegas_strip_6d_s17_das_ls",
        "downtown_2d_h17",
        "single_deck_h17_65",
        "atlantic_city_8d_s17_das_ls",
        "european_6d_enhc",
    },
    "strategy": {"basic", "basic_insurance_tc3", "hi_lo_i18_fab4"},
    "counting": {"hi_lo", "ko", "wong_halves", "omega_2", "hi_opt_2", "hi_opt_2_ace_side_count"},
    "betting": {"flat", "hi_lo_1_12", "hi_lo_1_8", "single_deck_1_4", "hi_lo_1_12_two_hands"},
    "bankroll": {"none", "1000_units", "200_units", "400_units"},
}


def test_every_kind_has_its_standard_profiles_in_the_contract_shape():
    profiles = bundled_profiles()
    assert list(profiles) == list(PROFILE_KINDS)
    for kind, items in profiles.items():
        names = [p["name"] for p in items]
        assert len(names) == len(set(names)), f"duplicate {kind} names"
        assert REQUIRED[kind] <= set(names)
        for profile in items:
            assert set(profile) == {"kind", "name", "description", "data"}
            assert profile["kind"] == kind
            assert profile["description"].strip()


def test_defaults_are_bundled_and_compose_the_config_md_example():
    names = default_profile_names()
    assert names == {
        "rules": "vegas_strip_6d_s17_das_ls",
        "strategy": "basic",
        "counting": "hi_lo",
        "betting": "flat",
        "bankroll": "none",
    }
    hydrated = hydrate()
    example = default_config().model_dump(mode="json")
    assert {k: v for k, v in hydrated.items() if k != "name"} == {
        k: v for k, v in example.items() if k != "name"
    }
    counting = bundled_profile("counting", "hi_lo")["data"]
    assert counting["true_count"] == {"rounding": "floor", "deck_estimation": "half_deck"}


@pytest.mark.parametrize("kind", PROFILE_KINDS)
def test_every_profile_hydrates_and_the_simulator_can_play_it(kind):
    for profile in bundled_profiles()[kind]:
        config = parse_config(hydrate({kind: profile}, {"rounds": 1000, "seed": 1}))
        prepare(config)  # refuses settings the simulator does not play yet
        assert (
            config.model_dump(mode="json")[kind]
            == parse_config({kind: profile["data"]}).model_dump(mode="json")[kind]
        )


def test_a_counting_game_from_profiles_runs():
    config = hydrate(
        {"rules": "downtown_2d_h17", "counting": "wong_halves", "betting": "hi_lo_1_12"},
        {"rounds": 20_000, "seed": 5},
    )
    result = run_simulation_from_config(config, workers=1).to_dict()
    assert result["rounds"] == 20_000
    assert result["initial_wagered"] > 20_000  # the ramp raised some bets above one unit


def test_hydrate_takes_names_or_profile_dicts_and_the_simulation_block():
    own = {
        "kind": "rules",
        "name": "my_club",
        "description": "",
        "data": {"decks": 4, "surrender": "none"},
    }
    config = hydrate({"rules": own, "bankroll": "1000_units"}, {"rounds": 5000, "seed": 9})
    assert config["rules"]["decks"] == 4
    assert config["rules"]["dealer_hits_soft_17"] is False  # filled by the model's default
    assert config["bankroll"] == {"units": 1000.0, "trip_rounds": 10_000}
    assert config["simulation"] == {
        "rounds": 5000,
        "seed": 9,
        "players_at_table": 1,
        "rounds_per_hour": 100.0,
    }
    assert config["name"] == "my_club · basic · hi_lo · flat · 1000_units"
    assert hydrate(name="mine")["name"] == "mine"
    assert parse_config(config).model_dump(mode="json") == config


def test_hydrate_reports_every_problem_at_its_path():
    with pytest.raises(ConfigError) as info:
        hydrate(
            {
                "rules": {"kind": "rules", "name": "x", "description": "", "data": {"decks": 9}},
                "betting": "no_such_ramp",
                "colour": "blue",
            }
        )
    paths = [p["path"] for p in info.value.problems]
    assert paths == ["colour", "betting"]
    assert "hi_lo_1_12" in info.value.problems[1]["message"]

    with pytest.raises(ConfigError) as info:
        hydrate({"rules": {"kind": "rules", "name": "x", "description": "", "data": {"decks": 9}}})
    assert [p["path"] for p in info.value.problems] == ["rules.decks"]

    with pytest.raises(ConfigError) as info:
        hydrate({"strategy": bundled_profile("counting", "ko")})
    assert info.value.problems[0]["path"] == "strategy"

    with pytest.raises(ConfigError) as info:
        hydrate({"bankroll": {"units": 5}}, {"rounds": 0})
    assert info.value.problems[0]["path"] == "bankroll"


def test_callers_get_fresh_copies():
    first = bundled_profiles()
    first["rules"][0]["data"]["decks"] = 1
    assert bundled_profiles()["rules"][0]["data"]["decks"] == 6
    with pytest.raises(KeyError, match="kinds are"):
        bundled_profile("table", "x")
