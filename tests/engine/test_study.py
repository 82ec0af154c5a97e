"""Studies: validation naming every path, the points of a grid, results equal to plain runs,
the result cache, the summary's figures and the target-SE stop."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from jost_engine import (
    ConfigError,
    DiskResultCache,
    parse_config,
    parse_study,
    point_cache_key,
    run_simulation_from_config,
    run_study,
    study_json_schema,
    summarize_point,
)
from jost_engine.profiles import bundled_profile
from jost_engine.risk import risk_figures
from jost_engine.study import chunk_seed, point_seed

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "study.json"
SCHEMA_FILE = ROOT / "docs" / "examples" / "study.schema.json"
TIMING = ("elapsed_s", "rounds_per_second")


def same_result(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k not in TIMING} == {
        k: v for k, v in b.items() if k not in TIMING
    }


def problems_of(document: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_study(document)
    return {p["path"]: p["message"] for p in caught.value.problems}


def test_every_bad_value_is_named_at_its_place_in_the_document():
    found = problems_of(
        {
            "grid": {
                "rules.penetration": [0.7, 2, "x"],
                "betting": ["hi_lo_1_8", "no_such_ramp", {"unit": -1}],
                "rules.decks_typo": [1],
                "simulation.seed": [1],
                "casino": [1],
            },
            "points": [{"rules.decks": "6"}],
        }
    )
    assert (
        found['grid["rules.penetration"][1]'] == "penetration must be between 0.1 and 0.95, got 2"
    )
    assert found['grid["rules.penetration"][2]'] == 'expected a number, got "x"'
    assert "no bundled betting profile named 'no_such_ramp'" in found['grid["betting"][1]']
    assert found['grid["betting"][2].unit'] == "unit must be greater than 0, got -1"
    assert found['grid["rules.decks_typo"][0]'].startswith("unknown field 'decks_typo'")
    assert "set by the study itself" in found['grid["simulation.seed"]']
    assert found['grid["casino"]'].startswith('unknown config section "casino"')
    # the extra point comes after the grid's 3 x 3 x 1 x 1 x 1 points
    assert found["points[9].rules.decks"] == 'expected a whole number, got "6" (extra point 0)'
    assert len(found) == 8 and 'grid["rules.penetration"][0]' not in found


def test_a_bad_base_and_the_study_fields_are_named_too():
    found = problems_of({"base": {"rules": {"decks": 9}, "counting": "no_count"}, "rounds": 5,
                         "target_se": 0.01})  # fmt: skip
    assert found["base.rules.decks"] == "decks must be between 1 and 8, got 9"
    assert "no bundled counting profile" in found["base.counting"]
    assert found["target_se"] == "give rounds or target_se, not both"
    assert problems_of({"rounds": 0, "bankroll": -1, "extra": 1}) == {
        "rounds": "rounds must be at least 1, got 0",
        "bankroll": "bankroll must be greater than 0, got -1",
        "extra": "unknown field 'extra'",
    }
    assert list(problems_of("{not json")) == [""]


def test_a_combination_no_single_value_shows_is_named_by_its_point():
    found = problems_of(
        {"grid": {"betting.wong_out_below": [None, 3], "betting.wong_in_at": [2, 4]}}
    )
    assert list(found) == ["points[2].betting.wong_in_at"]
    assert found["points[2].betting.wong_in_at"].endswith(
        "(betting.wong_out_below=3, betting.wong_in_at=2)"
    )


def test_points_are_the_cartesian_product_in_key_order_then_the_extra_points():
    inline = {"unit": 5, "table_min": 5, "ramp": [{"true_count": 0, "units": 1}]}
    study = parse_study(
        {
            "base": {"rules": "downtown_2d_h17", "simulation": {"rounds_per_hour": 80}},
            "grid": {"rules.decks": [2, 6], "betting": ["hi_lo_1_8", inline]},
            "points": [{"rules.decks": 8, "rules.penetration": 0.8}],
            "rounds": 30_000,
            "seed": 11,
        }
    )
    points = study.points()
    assert [p.index for p in points] == [0, 1, 2, 3, 4]
    assert [p.label for p in points] == [
        {"rules.decks": 2, "betting": "hi_lo_1_8"},
        {"rules.decks": 2, "betting": inline},
        {"rules.decks": 6, "betting": "hi_lo_1_8"},
        {"rules.decks": 6, "betting": inline},
        {"rules.decks": 8, "rules.penetration": 0.8},
    ]
    downtown = bundled_profile("rules", "downtown_2d_h17")["data"]
    ramp_1_8 = parse_config({"betting": bundled_profile("betting", "hi_lo_1_8")["data"]}).betting
    assert points[0].config.betting == ramp_1_8
    assert points[1].config.betting == parse_config({"betting": inline}).betting
    assert points[3].config.rules.decks == 6
    assert points[3].config.rules.dealer_hits_soft_17 == downtown["dealer_hits_soft_17"] is True
    assert points[4].config.rules.penetration == 0.8
    assert points[4].config.betting == parse_config({}).betting  # the base's betting
    for p in points:
        assert p.rounds == p.config.simulation.rounds == 30_000
        assert p.config.simulation.rounds_per_hour == 80
        assert p.config.simulation.seed == point_seed(11, p.config)
    assert len({p.config.simulation.seed for p in points}) == 5


def test_a_point_s_seed_follows_its_game_and_the_study_seed_not_its_place():
    one = parse_study({"grid": {"rules.decks": [2, 6]}, "seed": 5}).points()
    turned = parse_study({"grid": {"rules.decks": [6, 2]}, "seed": 5}).points()
    other = parse_study({"grid": {"rules.decks": [2, 6]}, "seed": 6}).points()
    assert one[0].config == turned[1].config and one[0].cache_key == turned[1].cache_key
    assert one[0].config.simulation.seed != other[0].config.simulation.seed
    assert chunk_seed(123, 0) == 123 and chunk_seed(123, 1) != chunk_seed(123, 2)


def test_every_point_equals_a_plain_run_of_its_config_on_one_pool(tmp_path: Path):
    document = {"base": {"betting": "hi_lo_1_8"},
                "grid": {"rules.decks": [1, 6], "rules.penetration": [0.7, 0.85]},
                "rounds": 120_000, "seed": 3, "bankroll": 400}  # fmt: skip
    seen, moves = [], []
    result = run_study(document, workers=2, on_point=seen.append,
                       progress=lambda done, total: moves.append((done, total)))  # fmt: skip
    assert sorted(p.point.index for p in seen) == [0, 1, 2, 3]
    assert moves[-1] == (480_000, 480_000)
    assert [p.point.index for p in result.points] == [0, 1, 2, 3]
    for done in result.points:
        plain = run_simulation_from_config(done.point.config, workers=1).to_dict()
        assert same_result(done.result, plain), done.point.label
        assert done.result["rounds"] == 120_000 and not done.cached
    doc = result.to_dict()
    assert doc["document"] == "jost.study_result" and doc["points_total"] == 4
    json.dumps(doc, allow_nan=False)  # a JSON document


def test_the_cache_serves_a_point_exactly_and_never_across_engine_versions(tmp_path: Path):
    cache = DiskResultCache(tmp_path / "cache")
    document = {"grid": {"rules.decks": [2, 6]}, "rounds": 20_000, "seed": 9}
    first = run_study(document, workers=1, cache=cache)
    again = run_study(document, workers=1, cache=cache)
    assert [p.cached for p in first.points] == [False, False]
    assert [p.cached for p in again.points] == [True, True]
    for a, b in zip(first.points, again.points, strict=True):
        assert a.result == b.result and a.summary == b.summary
    config = first.points[0].point.config
    key = point_cache_key(config)
    assert key == first.points[0].point.cache_key and cache.get(key) == first.points[0].result
    assert point_cache_key(config, engine_version="0.0.0-other") != key
    assert cache.get(point_cache_key(config, engine_version="0.0.0-other")) is None
    assert point_cache_key(config.with_overrides(rounds=20_001)) != key
    assert point_cache_key(config.with_overrides(seed=1)) != key
    (tmp_path / "cache" / f"{key}.json").write_text("{half a file", encoding="utf-8")
    assert cache.get(key) is None  # a damaged file is a miss, not a crash


def test_the_summary_is_the_result_s_own_figures_and_risk_figures():
    config = parse_config({"betting": bundled_profile("betting", "hi_lo_1_12")["data"],
                           "simulation": {"rounds": 60_000, "seed": 1}})  # fmt: skip
    result = run_simulation_from_config(config, workers=1)
    doc = result.to_dict()
    summary = summarize_point(result, bankroll=300.0, hands_per_hour=120)
    mu, sigma = doc["ev_per_round"]["mean"], doc["sd_per_round"]
    expected = risk_figures(mu, sigma, bankroll_units=300.0, rounds_per_hour=120)
    assert summary["ev_per_initial_bet"] == {
        k: doc["ev_per_initial_bet"][k] for k in ("mean", "se")
    }
    assert summary["ev_per_round"] == doc["ev_per_round"]
    assert summary["win_rate_per_100_rounds"] == doc["win_rate_per_100_rounds"]
    for figure in ("score", "di", "n0", "risk_of_ruin", "win_rate_per_hour"):
        assert summary[figure] == expected[figure], figure
    assert summary["win_rate_per_hour"] == pytest.approx(120 * mu)
    assert summary["risk_of_ruin"] == pytest.approx(math.exp(-2 * mu * 300 / sigma**2))
    own = summarize_point(doc, bankroll=None)
    assert own["win_rate_per_hour"] == doc["risk"]["win_rate_per_hour"]
    assert own["score"] == doc["risk"]["score"] and own["risk_of_ruin"] is None


def test_a_target_se_point_stops_below_the_target_or_at_its_most_rounds():
    document = {"grid": {"rules.decks": [2]}, "target_se": 0.008, "chunk_rounds": 5_000,
                "max_rounds": 200_000, "seed": 4}  # fmt: skip
    (done,) = run_study(document, workers=1).points
    se = done.result["ev_per_initial_bet"]["se"]
    assert se < 0.008 and done.result["rounds"] % 5_000 == 0
    assert done.chunks == done.result["rounds"] // 5_000 >= 2  # one chunk of 5,000 is not enough
    # chunk 0 is a plain run of the point's config; the next chunks have their own seeds
    first = run_simulation_from_config(done.point.config, workers=1).to_dict()
    assert first["ev_per_initial_bet"]["se"] >= 0.008
    capped = {**document, "target_se": 0.0001, "max_rounds": 12_000}
    (short,) = run_study(capped, workers=1).points
    assert short.result["rounds"] == 12_000 and short.chunks == 3  # 5,000 + 5,000 + 2,000
    assert run_study(capped, workers=2).points[0].result["rounds"] == 12_000


def test_the_schema_file_is_current_and_the_example_is_a_valid_study():
    schema = study_json_schema()
    assert schema["$id"] == "urn:jost:schema:study:v1" and "grid" in schema["properties"]
    on_disk = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert on_disk == schema, "docs/examples/study.schema.json is stale: see docs/study.md"
    points = parse_study(EXAMPLE.read_text(encoding="utf-8")).points()
    assert len(points) == 6
