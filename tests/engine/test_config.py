"""Tests of the config contract (docs/config.md, v1): models, messages, schema, digest."""

from __future__ import annotations

import copy
import json
import pickle
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from jost_engine.config import (
    Betting,
    Chart,
    Config,
    ConfigError,
    Deviation,
    canonical_json,
    config_digest,
    config_json_schema,
    default_config,
    parse_config,
)
from jost_engine.config.models import MAX_BANKROLL_UNITS, MAX_COUNT
from jost_engine.index_plays import unplayable_named_plays

# The example document of the design contract (CONFIG.md of the design notes), verbatim.
EXAMPLE: dict[str, Any] = {
    "schema_version": 1,
    "name": "Vegas Strip 6D S17 DAS LS — Hi-Lo 1-12",
    "rules": {
        "decks": 6,
        "dealer_hits_soft_17": False,
        "blackjack_payout": 1.5,
        "double_on": "any_two",
        "double_after_split": True,
        "max_split_hands": 4,
        "resplit_aces": False,
        "hit_split_aces": False,
        "surrender": "late",
        "dealer_peeks": True,
        "dealer_blackjack_takes": "all_bets",
        "insurance_offered": True,
        "penetration": 0.75,
        "shuffle": "cut_card",
    },
    "strategy": {"basic": "auto", "deviations": [], "take_insurance_at_true_count": None},
    "counting": {
        "system": "hi_lo",
        "true_count": {"rounding": "floor", "deck_estimation": "half_deck"},
    },
    "betting": {
        "unit": 1,
        "table_min": 1,
        "table_max": 500,
        "ramp": [{"true_count": 0, "units": 1}],
        "wong_out_below": None,
        "wong_in_at": None,
        "spots": 1,
    },
    "bankroll": {"units": None},
    "simulation": {"rounds": 1000000, "seed": 20261124, "players_at_table": 1},
}

# The example as the engine writes it back: every field, including the optional ones.
HYDRATED: dict[str, Any] = copy.deepcopy(EXAMPLE)
HYDRATED["rules"]["infinite_deck"] = False
HYDRATED["simulation"]["rounds_per_hour"] = 100.0  # added with a default (the contract allows it)
HYDRATED["bankroll"]["trip_rounds"] = 10_000  # likewise
HYDRATED["counting"]["initial_running_count"] = None  # likewise
HYDRATED["counting"]["ace_side_count"] = False  # likewise
HYDRATED["betting"]["spots_by_count"] = []  # likewise
HYDRATED["strategy"]["index_numbers"] = "counting_system"  # likewise

RULE_KEYS = set(EXAMPLE["rules"]) | {"infinite_deck"}

DEALERS = ["2", "3", "4", "5", "6", "7", "8", "9", "10", "A"]


def patched(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of the example with the value at a dotted path replaced (or added)."""
    doc = copy.deepcopy(EXAMPLE if base is None else base)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


def problems_of(data: object) -> list[dict[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.problems


def simple_chart(**overrides: Any) -> dict[str, Any]:
    """A legal (if silly) chart: hit hard and soft below 17, stand above, split every pair."""
    chart: dict[str, Any] = {
        "name": "test chart",
        "hard": {str(t): ("S " * 10 if t >= 17 else "H " * 10).strip() for t in range(4, 22)},
        "soft": {str(t): ("S " * 10 if t >= 18 else "H " * 10).strip() for t in range(12, 22)},
        "pairs": {p: " ".join(["P"] * 10) for p in DEALERS},
    }
    chart.update(overrides)
    return chart


# --------------------------------------------------------------------------------------------
# The example, defaults and round trips
# --------------------------------------------------------------------------------------------


def test_example_parses_and_round_trips() -> None:
    config = parse_config(EXAMPLE)
    dumped = config.model_dump(mode="json")
    assert dumped == HYDRATED
    assert parse_config(dumped) == config
    assert parse_config(json.dumps(dumped)) == config


def test_empty_document_is_the_example_game() -> None:
    # the same game; without a name it is called what it is (the example names itself)
    assert parse_config({}).model_dump(mode="json") == {**HYDRATED, "name": parse_config({}).name}
    assert parse_config({}).name == "6D S17 DOA DAS LS 75%, flat"
    assert default_config().model_copy(update={"name": EXAMPLE["name"]}) == parse_config(EXAMPLE)
    assert default_config().rules.decks == 6
    assert default_config().simulation.rounds == 1_000_000
    assert default_config().simulation.seed == 20261124


def test_partial_sections_are_hydrated_field_by_field() -> None:
    config = parse_config({"rules": {"decks": 2, "dealer_hits_soft_17": True}})
    assert config.rules.decks == 2
    assert config.rules.dealer_hits_soft_17 is True
    assert config.rules.surrender == "late"
    assert config.betting == default_config().betting


def test_json_text_and_bytes_are_accepted() -> None:
    text = json.dumps(EXAMPLE, ensure_ascii=False)
    assert parse_config(text) == parse_config(EXAMPLE)
    assert parse_config(text.encode("utf-8")) == parse_config(EXAMPLE)
    assert parse_config(b"\xef\xbb\xbf{}") == default_config()  # a UTF-8 byte-order mark


def test_a_config_is_returned_as_is() -> None:
    config = default_config()
    assert parse_config(config) is config


def test_models_are_frozen() -> None:
    config = default_config()
    with pytest.raises(ValidationError):
        config.rules.decks = 2  # type: ignore[misc]
    with pytest.raises(ValidationError):
        config.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("rules.decks", 1),
        ("rules.decks", 8),
        ("rules.infinite_deck", True),
        ("rules.blackjack_payout", 1.2),
        ("rules.blackjack_payout", 1),
        ("rules.blackjack_payout", 2),
        ("rules.blackjack_payout", 10),
        ("rules.double_on", "9_10_11"),
        ("rules.double_on", "10_11"),
        ("rules.max_split_hands", 1),
        ("rules.max_split_hands", 8),
        ("rules.surrender", "none"),
        ("rules.surrender", "early"),
        ("rules.dealer_peeks", False),
        ("rules.dealer_blackjack_takes", "original_bets"),
        ("rules.penetration", 0.1),
        ("rules.penetration", 0.95),
        ("rules.shuffle", "continuous"),
        ("strategy.deviations", ["illustrious_18", "fab_4"]),
        ("strategy.take_insurance_at_true_count", 3),
        ("counting.system", "ko"),
        ("counting.system", "red_7"),
        ("counting.system", "wong_halves"),
        ("counting.true_count", {"rounding": "nearest", "deck_estimation": "exact"}),
        ("counting.true_count", {"rounding": "truncate", "deck_estimation": "full_deck"}),
        ("betting.ramp", [{"true_count": -1, "units": 0.5}, {"true_count": 2.5, "units": 12}]),
        ("betting.wong_out_below", -1),
        ("betting.wong_in_at", 1),
        ("betting.spots", 3),
        ("betting.table_max", 1),
        ("bankroll.units", 400),
        ("simulation.rounds", 1),
        ("simulation.rounds", 10**12),
        ("simulation.seed", 0),
        ("simulation.seed", 2**63 - 1),
        ("simulation.players_at_table", 7),
    ],
)
def test_legal_values_are_accepted(path: str, value: Any) -> None:
    node: Any = parse_config(patched(path, value)).model_dump(mode="json")
    for part in path.split("."):
        node = node[part]
    assert node == value


def test_wong_both_given_in_order_is_accepted() -> None:
    doc = patched("betting.wong_out_below", -1)
    doc["betting"]["wong_in_at"] = 1
    config = parse_config(doc)
    assert (config.betting.wong_out_below, config.betting.wong_in_at) == (-1, 1)


def test_custom_tags_are_accepted() -> None:
    tags = {"2": 1, "3": 1, "4": 2, "5": 2, "6": 1.5, "7": 1, "8": 0, "9": -0.5, "10": -2, "A": 0}
    config = parse_config(patched("counting.system", {"tags": tags}))
    assert config.counting.system.tags == tags  # type: ignore[union-attr]
    assert list(config.counting.system.tags) == DEALERS  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# Rejected values: every constraint names its path
# --------------------------------------------------------------------------------------------

BAD: list[tuple[str, Any, str, str]] = [
    # (dotted path to replace, bad value, expected problem path, a fragment of the message)
    ("schema_version", 2, "schema_version", "schema_version 1"),
    ("schema_version", True, "schema_version", "schema_version 1"),
    ("schema_version", "1", "schema_version", "schema_version 1"),
    ("schema_version", 1.0, "schema_version", "schema_version 1"),
    ("name", 5, "name", "expected text"),
    ("rules", [], "rules", "expected an object"),
    ("rules.decks", 0, "rules.decks", "between 1 and 8"),
    ("rules.decks", 9, "rules.decks", "between 1 and 8"),
    ("rules.decks", "6", "rules.decks", "whole number"),
    ("rules.decks", 6.0, "rules.decks", "whole number"),
    ("rules.decks", True, "rules.decks", "whole number"),
    ("rules.decks", None, "rules.decks", "whole number"),
    ("rules.decks", 10**100, "rules.decks", "between 1 and 8"),
    ("rules.infinite_deck", "yes", "rules.infinite_deck", "true or false"),
    ("rules.dealer_hits_soft_17", 1, "rules.dealer_hits_soft_17", "true or false"),
    ("rules.blackjack_payout", 0, "rules.blackjack_payout", "greater than 0"),
    ("rules.blackjack_payout", -1.5, "rules.blackjack_payout", "greater than 0"),
    ("rules.blackjack_payout", 10.5, "rules.blackjack_payout", "at most 10"),
    ("rules.blackjack_payout", 1.2345678, "rules.blackjack_payout", "ratio such as 1.5 (3:2)"),
    ("rules.blackjack_payout", float("nan"), "rules.blackjack_payout", "finite"),
    ("rules.blackjack_payout", float("inf"), "rules.blackjack_payout", "finite"),
    ("rules.blackjack_payout", "3:2", "rules.blackjack_payout", "expected a number"),
    ("rules.blackjack_payout", 10**400, "rules.blackjack_payout", "expected a number"),
    ("rules.double_on", "any", "rules.double_on", "'any_two', '9_10_11' or '10_11'"),
    ("rules.double_after_split", "true", "rules.double_after_split", "true or false"),
    ("rules.max_split_hands", 0, "rules.max_split_hands", "between 1 and 8"),
    ("rules.max_split_hands", 9, "rules.max_split_hands", "between 1 and 8"),
    ("rules.surrender", "LATE", "rules.surrender", "'none', 'late' or 'early'"),
    ("rules.surrender", None, "rules.surrender", "'none', 'late' or 'early'"),
    ("rules.dealer_peeks", None, "rules.dealer_peeks", "true or false"),
    ("rules.dealer_blackjack_takes", "obo", "rules.dealer_blackjack_takes", "'original_bets'"),
    ("rules.insurance_offered", [], "rules.insurance_offered", "true or false"),
    ("rules.penetration", 0.05, "rules.penetration", "between 0.1 and 0.95"),
    ("rules.penetration", 0.96, "rules.penetration", "between 0.1 and 0.95"),
    ("rules.penetration", 1, "rules.penetration", "between 0.1 and 0.95"),
    ("rules.penetration", float("-inf"), "rules.penetration", "finite"),
    ("rules.shuffle", "csm", "rules.shuffle", "'cut_card' or 'continuous'"),
    ("rules.deks", 6, "rules.deks", "unknown field 'deks' (did you mean 'decks'?)"),
    ("strategy.basic", "basic", "strategy.basic", "'auto'"),
    ("strategy.basic", 1, "strategy.basic", 'expected "auto" or a chart object'),
    ("strategy.basic", None, "strategy.basic", 'expected "auto" or a chart object'),
    ("strategy.deviations", "illustrious_18", "strategy.deviations", "expected a list"),
    ("strategy.deviations", ["i18"], "strategy.deviations.0", "'illustrious_18' or 'fab_4'"),
    ("strategy.deviations", [7], "strategy.deviations.0", "named set"),
    ("strategy.take_insurance_at_true_count", "3", "strategy.take_insurance_at_true_count", ""),
    ("strategy.extra", 1, "strategy.extra", "unknown field 'extra'"),
    ("counting.system", "hilo", "counting.system", "'hi_lo'"),
    ("counting.system", 3, "counting.system", "named system"),
    ("counting.true_count.round", "x", "counting.true_count.round", "did you mean 'rounding'"),
    ("counting.true_count.rounding", "round", "counting.true_count.rounding", "'floor'"),
    ("counting.true_count.deck_estimation", "x", "counting.true_count.deck_estimation", "exact"),
    ("betting.unit", 0, "betting.unit", "greater than 0"),
    ("betting.unit", -1, "betting.unit", "greater than 0"),
    ("betting.table_min", 0, "betting.table_min", "greater than 0"),
    ("betting.table_max", -5, "betting.table_max", "greater than 0"),
    ("betting.table_max", 0.5, "betting.table_max", "at least table_min"),
    ("betting.ramp", [], "betting.ramp", "at least one"),
    ("betting.ramp", None, "betting.ramp", "expected a list"),
    ("betting.ramp.0", 5, "betting.ramp.0", "expected an object"),
    ("betting.ramp.0.units", 0, "betting.ramp.0.units", "greater than 0"),
    ("betting.ramp.0.units", "1", "betting.ramp.0.units", "expected a number"),
    ("betting.ramp.0.true_count", None, "betting.ramp.0.true_count", "expected a number"),
    ("betting.ramp.0.tc", 1, "betting.ramp.0.tc", "unknown field 'tc'"),
    ("betting.wong_in_at", "high", "betting.wong_in_at", "expected a number"),
    ("betting.spots", 0, "betting.spots", "between 1 and 3"),
    ("betting.spots", 4, "betting.spots", "between 1 and 3"),
    ("bankroll.units", 0, "bankroll.units", "greater than 0"),
    ("bankroll.units", -100, "bankroll.units", "greater than 0"),
    ("simulation.rounds", 0, "simulation.rounds", "between 1 and 1000000000000"),
    ("simulation.rounds", 10**12 + 1, "simulation.rounds", "between 1 and"),
    ("simulation.rounds", 1e6, "simulation.rounds", "whole number"),
    ("simulation.seed", -1, "simulation.seed", "between 0 and 9223372036854775807"),
    ("simulation.seed", 2**63, "simulation.seed", "between 0 and"),
    ("simulation.players_at_table", 8, "simulation.players_at_table", "between 1 and 7"),
    ("simulation.players_at_table", 0, "simulation.players_at_table", "between 1 and 7"),
    ("simulation.threads", 4, "simulation.threads", "unknown field 'threads'"),
    ("extra_section", {}, "extra_section", "unknown field 'extra_section'"),
]


@pytest.mark.parametrize(("path", "value", "where", "fragment"), BAD)
def test_bad_values_are_rejected_with_their_path(
    path: str, value: Any, where: str, fragment: str
) -> None:
    problems = problems_of(patched(path, value))
    assert [p["path"] for p in problems] == [where], problems
    assert fragment in problems[0]["message"]
    assert "Input should" not in problems[0]["message"]  # pydantic's wording is rewritten


def test_ramp_must_increase_and_the_message_names_the_step() -> None:
    ramp = [
        {"true_count": 1, "units": 1},
        {"true_count": 2, "units": 2},
        {"true_count": 2, "units": 4},
        {"true_count": 0, "units": 8},
    ]
    problems = problems_of(patched("betting.ramp", ramp))
    assert [p["path"] for p in problems] == [
        "betting.ramp.2.true_count",
        "betting.ramp.3.true_count",
    ]
    assert "step 2" in problems[0]["message"]
    assert "step 1" in problems[0]["message"]


def test_wong_out_must_not_exceed_wong_in() -> None:
    doc = patched("betting.wong_out_below", 2)
    doc["betting"]["wong_in_at"] = 1
    problems = problems_of(doc)
    assert [p["path"] for p in problems] == ["betting.wong_in_at"]
    assert "wong_out_below" in problems[0]["message"]


def test_custom_tags_are_checked_card_by_card() -> None:
    tags: dict[str, Any] = dict.fromkeys(DEALERS, 0)
    tags.update({"3": 0.3, "4": 5, "5": "1", "K": 1})
    del tags["A"]
    problems = problems_of(patched("counting.system", {"tags": tags}))
    paths = {p["path"]: p["message"] for p in problems}
    assert set(paths) == {
        "counting.system.tags.3",
        "counting.system.tags.4",
        "counting.system.tags.5",
        "counting.system.tags.A",
        "counting.system.tags.K",
    }
    assert "multiple of 0.5" in paths["counting.system.tags.3"]
    assert "at most 4" in paths["counting.system.tags.4"]
    assert "missing" in paths["counting.system.tags.A"]
    assert "unknown key 'K'" in paths["counting.system.tags.K"]


# --------------------------------------------------------------------------------------------
# ConfigError
# --------------------------------------------------------------------------------------------


def test_all_problems_are_listed_at_once() -> None:
    doc = patched("rules.decks", 0)
    doc["betting"]["ramp"][0]["units"] = -1
    doc["simulation"]["sedd"] = 3
    with pytest.raises(ConfigError) as info:
        parse_config(doc)
    err = info.value
    assert [p["path"] for p in err.problems] == [
        "rules.decks",
        "betting.ramp.0.units",
        "simulation.sedd",
    ]
    assert "did you mean 'seed'" in err.problems[2]["message"]
    lines = str(err).splitlines()
    assert len(lines) == 4  # a heading and one line per problem
    for problem, line in zip(err.problems, lines[1:], strict=True):
        assert problem["path"] in line and problem["message"] in line


def test_config_error_from_a_plain_message() -> None:
    err = ConfigError("no config given")
    assert err.problems == [{"path": "", "message": "no config given"}]
    assert "no config given" in str(err)


def test_config_error_is_a_value_error_and_pickles() -> None:
    with pytest.raises(ValueError) as info:
        parse_config({"rules": {"decks": 0}})
    err = info.value
    assert isinstance(err, ConfigError)
    clone = pickle.loads(pickle.dumps(err))
    assert isinstance(clone, ConfigError)
    assert clone.problems == err.problems
    assert str(clone) == str(err)


@pytest.mark.parametrize(
    "data",
    [
        None,
        5,
        3.5,
        True,
        [],
        [EXAMPLE],
        "",
        "   ",
        "[1, 2]",
        "{",
        "null",
        "NaN",
        '{"rules": {"decks": NaN}}',
        b"\xff\xfe\x00",
        "1" * 5000,  # beyond Python's int-from-text limit
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON parser's recursion
        object(),
        {1: 2},
        {None: 1},
        {("a",): 1},
    ],
)
def test_any_bad_input_raises_only_config_error(data: object) -> None:
    problems = problems_of(data)
    assert problems
    for problem in problems:
        assert isinstance(problem["path"], str)
        assert isinstance(problem["message"], str) and problem["message"]


def test_self_referencing_input_raises_config_error() -> None:
    loop: dict[str, Any] = {}
    loop["rules"] = loop
    assert problems_of(loop)


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


def test_a_chart_is_accepted_and_normalised() -> None:
    chart = simple_chart()
    chart["hard"]["11"] = ["D"] * 9 + ["H"]  # a list of tokens is accepted too
    chart["pairs"]["8"] = "Rp Rp Rp Rp Rp Rp Rp Rp Rp Rp"
    chart["soft"]["18"] = "Ds  Ds Ds Ds Ds S S H H H"  # any whitespace separates tokens
    config = parse_config(patched("strategy.basic", chart))
    basic = config.strategy.basic
    assert isinstance(basic, Chart)
    assert basic.hard["11"] == ("D",) * 9 + ("H",)
    assert basic.hard["16"] == ("H",) * 10
    assert basic.soft["18"] == ("Ds", "Ds", "Ds", "Ds", "Ds", "S", "S", "H", "H", "H")
    assert list(basic.hard) == [str(t) for t in range(4, 22)]
    assert list(basic.pairs) == DEALERS
    dumped = config.model_dump(mode="json")["strategy"]["basic"]
    assert dumped["hard"]["11"] == "D D D D D D D D D H"  # written back in the chart format
    assert dumped["source"] is None
    assert parse_config(config.model_dump(mode="json")) == config


CHART_BAD: list[tuple[str, Any, str, str]] = [
    ("hard.16", "H H H H H H H H H", "strategy.basic.hard.16", "expected 10 tokens"),
    ("hard.16", ["H"] * 11, "strategy.basic.hard.16", "got 11"),
    ("hard.16", "", "strategy.basic.hard.16", "got 0"),
    ("hard.16", "H H H H H H H H H X", "strategy.basic.hard.16", 'unknown token "X"'),
    ("hard.16", "h h h h h h h h h h", "strategy.basic.hard.16", "unknown token"),
    ("hard.8", "H H H P H H H H H H", "strategy.basic.hard.8", "only allowed in pairs rows"),
    ("soft.13", "Rp H H H H H H H H H", "strategy.basic.soft.13", "only allowed in pairs rows"),
    ("hard.16", ["H"] * 9 + [1], "strategy.basic.hard.16", "must be text"),
    ("hard.16", 16, "strategy.basic.hard.16", "expected a row"),
    ("hard.16", None, "strategy.basic.hard.16", "expected a row"),
    ("hard.22", "S S S S S S S S S S", "strategy.basic.hard.22", "unknown key '22'"),
    ("soft.11", "H H H H H H H H H H", "strategy.basic.soft.11", "unknown key '11'"),
    ("pairs.11", "P P P P P P P P P P", "strategy.basic.pairs.11", "unknown key '11'"),
    ("pairs.T", "P P P P P P P P P P", "strategy.basic.pairs.T", "unknown key 'T'"),
    ("hard", [], "strategy.basic.hard", "expected an object"),
    ("name", None, "strategy.basic.name", "expected text"),
    ("source", 3, "strategy.basic.source", "expected text"),
    ("tokens", [], "strategy.basic.tokens", "unknown field 'tokens'"),
]


@pytest.mark.parametrize(("path", "value", "where", "fragment"), CHART_BAD)
def test_chart_errors_name_the_row(path: str, value: Any, where: str, fragment: str) -> None:
    chart = patched(path, value, base=simple_chart())
    problems = problems_of(patched("strategy.basic", chart))
    assert [p["path"] for p in problems] == [where], problems
    assert fragment in problems[0]["message"]


def test_chart_message_for_a_short_row_matches_the_contract() -> None:
    chart = simple_chart()
    chart["hard"]["16"] = "H H H H H H H H H"
    problems = problems_of(patched("strategy.basic", chart))
    assert problems == [
        {
            "path": "strategy.basic.hard.16",
            "message": "expected 10 tokens (dealer 2..10, A), got 9",
        }
    ]


def test_chart_missing_rows_are_each_reported() -> None:
    chart = simple_chart()
    del chart["hard"]["17"], chart["hard"]["18"], chart["pairs"]["A"]
    del chart["soft"]
    problems = problems_of(patched("strategy.basic", chart))
    assert [p["path"] for p in problems] == [
        "strategy.basic.hard.17",
        "strategy.basic.hard.18",
        "strategy.basic.soft",
        "strategy.basic.pairs.A",
    ]
    assert "missing" in problems[0]["message"]


def test_chart_problems_in_several_rows_are_all_listed() -> None:
    chart = simple_chart()
    chart["hard"]["9"] = "D D D"
    chart["soft"]["14"] = "P H H H H H H H H H"
    chart["pairs"]["2"] = "P P P P P P Q H H H"
    problems = problems_of(patched("strategy.basic", chart))
    assert [p["path"] for p in problems] == [
        "strategy.basic.hard.9",
        "strategy.basic.soft.14",
        "strategy.basic.pairs.2",
    ]
    assert "dealer 8" in problems[2]["message"]


def test_chart_model_can_be_used_on_its_own() -> None:
    chart = Chart.model_validate(simple_chart())
    assert chart.name == "test chart"
    assert chart.pairs["A"] == ("P",) * 10


def test_configs_with_charts_and_tags_are_hashable() -> None:
    doc = patched("strategy.basic", simple_chart())
    doc["counting"]["system"] = {"tags": dict.fromkeys(DEALERS, 1)}
    assert hash(parse_config(doc)) == hash(parse_config(copy.deepcopy(doc)))
    assert hash(default_config()) == hash(parse_config({**EXAMPLE, "name": ""}))


# --------------------------------------------------------------------------------------------
# Deviations
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "play",
    [
        {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": 0},
        {"hand": "12", "dealer_up": "4", "action": "hit", "below": 0},
        {"hand": "11", "dealer_up": "A", "action": "double", "at_or_above": 1},
        {"hand": "A8", "dealer_up": "6", "action": "double", "at_or_above": 1.5},
        {"hand": "AA", "dealer_up": "6", "action": "double", "at_or_above": 5},
        {"hand": "10,10", "dealer_up": "5", "action": "split", "at_or_above": 5},
        {"hand": "A,A", "dealer_up": "A", "action": "split", "below": -8},
        {"hand": "15", "dealer_up": "10", "action": "surrender", "at_or_above": 0},
        {"hand": "4", "dealer_up": "2", "action": "hit", "below": 10},
        {"hand": "21", "dealer_up": "2", "action": "stand", "at_or_above": -10},
    ],
)
def test_legal_deviations(play: dict[str, Any]) -> None:
    config = parse_config(patched("strategy.deviations", ["fab_4", play]))
    dev = config.strategy.deviations[1]
    assert isinstance(dev, Deviation)
    assert dev.hand == play["hand"]
    assert config.model_dump(mode="json")["strategy"]["deviations"][1] == {
        "at_or_above": None,
        "below": None,
        **play,
    }


DEV = {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": 0}

DEVIATION_BAD: list[tuple[dict[str, Any], list[str], str]] = [
    ({**DEV, "below": 2}, ["strategy.deviations.0"], "exactly one of"),
    ({**DEV, "at_or_above": None}, ["strategy.deviations.0"], "exactly one of"),
    ({**DEV, "hand": "22"}, ["strategy.deviations.0.hand"], "unknown hand"),
    ({**DEV, "hand": "3"}, ["strategy.deviations.0.hand"], "unknown hand"),
    ({**DEV, "hand": "A10"}, ["strategy.deviations.0.hand"], "unknown hand"),
    ({**DEV, "hand": "8-8"}, ["strategy.deviations.0.hand"], "unknown hand"),
    ({**DEV, "hand": 16}, ["strategy.deviations.0.hand"], "unknown hand"),
    ({**DEV, "dealer_up": 10}, ["strategy.deviations.0.dealer_up"], "'10' or 'A'"),
    ({**DEV, "dealer_up": "T"}, ["strategy.deviations.0.dealer_up"], "'10' or 'A'"),
    ({**DEV, "action": "stay"}, ["strategy.deviations.0.action"], "'surrender'"),
    ({**DEV, "action": "split"}, ["strategy.deviations.0.action"], "needs a pair"),
    ({**DEV, "at_or_above": "0"}, ["strategy.deviations.0.at_or_above"], "expected a number"),
    ({**DEV, "at_or_above": float("nan")}, ["strategy.deviations.0.at_or_above"], "finite"),
    ({**DEV, "index": 0}, ["strategy.deviations.0.index"], "unknown field 'index'"),
    (
        {"dealer_up": "10", "at_or_above": 0},
        ["strategy.deviations.0.hand", "strategy.deviations.0.action"],
        "required field 'hand' is missing",
    ),
    (
        {"hand": "9", "dealer_up": "1", "action": "split"},
        [
            "strategy.deviations.0.dealer_up",
            "strategy.deviations.0",
            "strategy.deviations.0.action",
        ],
        "'2', '3'",
    ),
]


@pytest.mark.parametrize(("play", "where", "fragment"), DEVIATION_BAD)
def test_bad_deviations(play: dict[str, Any], where: list[str], fragment: str) -> None:
    problems = problems_of(patched("strategy.deviations", ["illustrious_18", play]))
    paths = [p["path"].replace(".deviations.1", ".deviations.0") for p in problems]
    assert paths == where, problems
    assert fragment in problems[0]["message"]


# --------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------


def test_json_schema_is_json_and_describes_the_document() -> None:
    schema = config_json_schema()
    text = json.dumps(schema, allow_nan=False)
    assert json.loads(text) == schema
    assert schema["$id"]
    assert schema["title"]
    assert schema["description"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(HYDRATED)
    defs = schema["$defs"]
    assert set(defs["Rules"]["properties"]) == RULE_KEYS
    assert set(defs["Strategy"]["properties"]) == set(HYDRATED["strategy"])
    assert set(defs["Counting"]["properties"]) == set(HYDRATED["counting"])
    assert set(defs["TrueCountMethod"]["properties"]) == set(HYDRATED["counting"]["true_count"])
    assert set(defs["Betting"]["properties"]) == set(HYDRATED["betting"])
    assert set(defs["RampStep"]["properties"]) == {"true_count", "units"}
    assert set(defs["Bankroll"]["properties"]) == set(HYDRATED["bankroll"])
    assert set(defs["Simulation"]["properties"]) == set(HYDRATED["simulation"])
    assert set(defs["Deviation"]["required"]) == {"hand", "dealer_up", "action"}
    for name, definition in defs.items():
        assert definition.get("additionalProperties") is False, name


def test_json_schema_records_constraints_and_defaults() -> None:
    schema = config_json_schema()
    rules = schema["$defs"]["Rules"]["properties"]
    assert (rules["decks"]["minimum"], rules["decks"]["maximum"]) == (1, 8)
    assert set(rules["surrender"]["enum"]) == {"none", "late", "early"}
    assert set(rules["double_on"]["enum"]) == {"any_two", "9_10_11", "10_11"}
    assert (rules["penetration"]["minimum"], rules["penetration"]["maximum"]) == (0.1, 0.95)
    assert schema["properties"]["schema_version"]["const"] == 1
    for section in ("rules", "strategy", "counting", "betting", "bankroll", "simulation"):
        assert schema["properties"][section]["default"] == HYDRATED[section]
    chart = schema["$defs"]["Chart"]["properties"]
    assert chart["hard"]["required"] == [str(t) for t in range(4, 22)]
    assert chart["soft"]["required"] == [str(t) for t in range(12, 22)]
    assert chart["pairs"]["required"] == DEALERS
    row_pattern = chart["hard"]["properties"]["16"]["oneOf"][0]["pattern"]
    assert re.match(row_pattern, "H H H H H H S S S Rh")
    assert not re.match(row_pattern, "H H H H H H S S S P")


# --------------------------------------------------------------------------------------------
# Canonical JSON and digest
# --------------------------------------------------------------------------------------------


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def test_canonical_json_is_sorted_and_compact() -> None:
    text = canonical_json(parse_config(EXAMPLE))
    assert json.loads(text) == HYDRATED
    again = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert text == again
    assert text.startswith(
        '{"bankroll":{"trip_rounds":10000,"units":null},"betting":{"ramp":[{"true_count":0.0,'
    )
    assert '"unit":1.0,' in text  # numbers of float fields are always written as floats
    assert " " not in text.replace("Vegas Strip 6D S17 DAS LS — Hi-Lo 1-12", "")


def test_digest_is_stable_under_key_order_and_hydration() -> None:
    digest = config_digest(parse_config(EXAMPLE))
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert config_digest(parse_config(reversed_keys(EXAMPLE))) == digest
    assert config_digest(parse_config({"name": EXAMPLE["name"]})) == digest
    assert config_digest(parse_config(json.dumps(EXAMPLE))) == digest
    assert config_digest(parse_config(HYDRATED)) == digest


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("rules.decks", 2),
        ("rules.blackjack_payout", 1.2),
        ("betting.ramp.0.units", 2),
        ("simulation.seed", 1),
        ("name", "another name"),
        ("strategy.deviations", ["fab_4"]),
    ],
)
def test_digest_changes_when_a_value_changes(path: str, value: Any) -> None:
    assert config_digest(parse_config(patched(path, value))) != config_digest(default_config())


# --------------------------------------------------------------------------------------------
# with_overrides
# --------------------------------------------------------------------------------------------


def test_with_overrides() -> None:
    config = default_config()
    assert config.with_overrides() is config
    changed = config.with_overrides(rounds=500, seed=7)
    assert (changed.simulation.rounds, changed.simulation.seed) == (500, 7)
    assert changed.simulation.players_at_table == 1
    assert changed.rules == config.rules
    assert config.simulation.rounds == 1_000_000  # the original is untouched
    assert config.with_overrides(seed=0).simulation.seed == 0
    with pytest.raises(ConfigError) as info:
        config.with_overrides(rounds=0, seed=-1)
    assert [p["path"] for p in info.value.problems] == ["simulation.rounds", "simulation.seed"]


def test_betting_table_limits_checked_on_the_model_too() -> None:
    with pytest.raises(ValidationError):
        Betting(table_min=10, table_max=5)


def test_a_table_min_over_the_default_table_max_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"betting": {"table_min": 1000}})
    assert [p["path"] for p in info.value.problems] == ["betting.table_max"]
    assert "at least table_min (1000)" in info.value.problems[0]["message"]
    assert (
        parse_config({"betting": {"table_min": 1000, "table_max": 2000}}).betting.table_max == 2000
    )


# --------------------------------------------------------------------------------------------
# Fuzzing: parse_config returns a Config or raises ConfigError, nothing else
# --------------------------------------------------------------------------------------------


def collect_vocabulary() -> list[str]:
    words: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                words.add(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            words.add(value)

    walk(HYDRATED)
    walk(simple_chart())
    words.update(
        ["hard", "soft", "pairs", "tags", "hand", "dealer_up", "action", "at_or_above", "below"]
    )
    words.update(["illustrious_18", "fab_4", "A", "A,A", "8,8", "A7", "Ds", "P", "Rp"])
    return sorted(words)


VOCABULARY = collect_vocabulary()

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(VOCABULARY)
)
keys = st.sampled_from(VOCABULARY) | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
    max_leaves=40,
)

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_parses_or_config_error(data: object) -> None:
    try:
        config = parse_config(data)
    except ConfigError as err:
        assert err.problems
        for problem in err.problems:
            assert set(problem) == {"path", "message"}
            assert isinstance(problem["path"], str)
            assert isinstance(problem["message"], str) and problem["message"]
        assert str(err)
    else:
        assert isinstance(config, Config)
        assert parse_config(json.loads(canonical_json(config))) == config


@FUZZ
@given(st.dictionaries(keys, json_values, max_size=8) | json_values)
def test_fuzz_random_json(data: object) -> None:
    check_parses_or_config_error(data)
    try:
        text = json.dumps(data)
    except (TypeError, ValueError):
        return
    check_parses_or_config_error(text)


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path of the document, containers included, so whole sections get replaced too."""
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += leaf_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += leaf_paths(item, (*prefix, index))
    return paths


RICH_EXAMPLE = copy.deepcopy(HYDRATED)
RICH_EXAMPLE["strategy"]["basic"] = simple_chart()
RICH_EXAMPLE["strategy"]["deviations"] = ["fab_4", DEV]
RICH_EXAMPLE["betting"]["ramp"] = [{"true_count": 1, "units": 1}, {"true_count": 3, "units": 8}]
RICH_EXAMPLE["counting"]["system"] = {"tags": dict.fromkeys(DEALERS, 0)}
MUTABLE_PATHS = leaf_paths(HYDRATED) + leaf_paths(RICH_EXAMPLE)


@FUZZ
@given(
    st.booleans(),
    st.sampled_from(MUTABLE_PATHS),
    json_values,
    st.booleans(),
)
def test_fuzz_mutated_example(rich: bool, path: tuple[Any, ...], value: Any, add: bool) -> None:
    doc = copy.deepcopy(RICH_EXAMPLE if rich else HYDRATED)
    node: Any = doc
    try:
        for part in path[:-1]:
            node = node[part]
        if add and isinstance(node, dict):
            node[f"{path[-1]}_x"] = value  # an unknown sibling key
        else:
            node[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return  # the path belongs to the other example
    check_parses_or_config_error(doc)


def test_rich_example_is_valid() -> None:
    config = parse_config(RICH_EXAMPLE)
    assert isinstance(config.strategy.basic, Chart)


# Every number the config accepts must reach the kernel: its tables are 64-bit integers, so a
# count or bankroll past them was once a 500 from the service ("Python int too large to convert
# to C long") instead of a ConfigError.
_EXTREMES = {
    "bankroll.units": MAX_BANKROLL_UNITS,
    "betting.wong_in_at": MAX_COUNT,
    "betting.wong_out_below": -MAX_COUNT,
    "strategy.take_insurance_at_true_count": MAX_COUNT,
    "counting.initial_running_count": -MAX_COUNT,
}


def _with(path: str, value: float) -> dict[str, Any]:
    section, key = path.split(".")
    return {section: {key: value}}


@pytest.mark.parametrize("path", sorted(_EXTREMES))
def test_the_largest_accepted_numbers_prepare_for_the_kernel(path: str) -> None:
    from jost_engine.table import prepare

    tables = prepare(parse_config(_with(path, _EXTREMES[path])))
    assert tables.params.dtype.kind == "i"


@pytest.mark.parametrize("path", sorted(_EXTREMES))
def test_a_number_past_the_kernel_is_a_config_error_naming_its_path(path: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(_with(path, _EXTREMES[path] * 10))
    assert [p["path"] for p in err.value.problems] == [path]


def test_index_and_ramp_counts_past_the_kernel_are_config_errors() -> None:
    far = MAX_COUNT + 1
    with pytest.raises(ConfigError) as err:
        parse_config(
            {
                "strategy": {
                    "deviations": [
                        {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": far}
                    ]
                },
                "betting": {"ramp": [{"true_count": -far, "units": 1}]},
            }
        )
    assert sorted(p["path"] for p in err.value.problems) == [
        "betting.ramp.0.true_count",
        "strategy.deviations.0.at_or_above",
    ]


# ---- rules between fields, checked where the config is parsed ---------------------------


def test_more_spots_and_players_than_seats_are_refused_at_parse_with_the_path() -> None:
    for data, path in (
        ({"betting": {"spots": 3}, "simulation": {"players_at_table": 7}}, "betting.spots"),
        (
            {
                "betting": {"spots_by_count": [{"true_count": 2, "spots": 3}]},
                "simulation": {"players_at_table": 6},
            },
            "betting.spots_by_count",
        ),
    ):
        with pytest.raises(ConfigError) as err:
            parse_config(data)
        (problem,) = err.value.problems
        assert problem["path"] == path
        assert "need 9 seats" in problem["message"] or "need 8 seats" in problem["message"]
        assert "a table has 7" in problem["message"]
    # the largest game that fits: 3 spots and 4 other players
    parse_config({"betting": {"spots": 3}, "simulation": {"players_at_table": 5}})


def test_index_plays_the_rules_forbid_are_refused_at_parse() -> None:
    surrender = {"hand": "15", "dealer_up": "10", "action": "surrender", "at_or_above": 0}
    cases = [
        ({"rules": {"surrender": "none"}, "strategy": {"deviations": ["fab_4"]}},
         "strategy.deviations.0", "Fab 4"),
        ({"rules": {"surrender": "none"},
          "strategy": {"deviations": ["illustrious_18", surrender]}},
         "strategy.deviations.1.action", "no surrender"),
        ({"strategy": {"deviations": [{"hand": "8,8", "dealer_up": "10", "action": "stand",
                                       "at_or_above": 0}]}},
         "strategy.deviations.0.action", "can only split"),
        ({"rules": {"double_on": "10_11"},
          "strategy": {"deviations": [{"hand": "9", "dealer_up": "2", "action": "double",
                                       "at_or_above": 1}]}},
         "strategy.deviations.0.action", 'double only hard 10/11 (rules.double_on "10_11")'),
        ({"rules": {"double_on": "9_10_11"},
          "strategy": {"deviations": [{"hand": "A7", "dealer_up": "3", "action": "double",
                                       "at_or_above": 1}]}},
         "strategy.deviations.0.action", "a double index on A7"),
    ]  # fmt: skip
    for data, path, words in cases:
        with pytest.raises(ConfigError) as err:
            parse_config(data)
        assert [(p["path"], words in p["message"]) for p in err.value.problems] == [(path, True)]
    # the Fab 4 with surrender, and the Illustrious 18 without it, are games
    parse_config({"rules": {"surrender": "late"}, "strategy": {"deviations": ["fab_4"]}})
    parse_config({"rules": {"surrender": "none"}, "strategy": {"deviations": ["illustrious_18"]}})
    nine = {"hand": "9", "dealer_up": "2", "action": "double", "at_or_above": 1}
    parse_config({"rules": {"double_on": "9_10_11"}, "strategy": {"deviations": [nine]}})


def test_the_plays_of_a_named_set_the_rules_never_allow_are_named_as_warnings() -> None:
    full = parse_config({"strategy": {"deviations": ["illustrious_18", "fab_4"]}})
    assert unplayable_named_plays(full) == []
    narrow = parse_config(
        {"rules": {"max_split_hands": 1, "double_on": "10_11", "insurance_offered": False},
         "strategy": {"deviations": ["illustrious_18"]}}
    )  # fmt: skip
    assert unplayable_named_plays(narrow) == [
        "the Illustrious 18's 10,10 v 5, 10,10 v 6 never play: these rules allow no split "
        "(rules.max_split_hands 1)",
        "the Illustrious 18's 9 v 2, 9 v 7 never play: these rules double only hard 10/11 "
        '(rules.double_on "10_11")',
        "the Illustrious 18's insurance index never plays: rules.insurance_offered false",
    ]
    # one deck's computed set has its own plays; a 9 double there is named the same way
    single = parse_config(
        {
            "rules": {"decks": 1, "double_on": "10_11"},
            "strategy": {"deviations": ["illustrious_18"]},
        }
    )
    assert any("9 v 2" in note and "10/11" in note for note in unplayable_named_plays(single))


# ---- the name of a game given none ---------------------------------------------------------


def test_a_game_without_a_name_is_named_from_its_rules_and_play() -> None:
    cases = [
        ({"rules": {"decks": 1, "blackjack_payout": 1.2}}, "1D S17 DOA DAS LS 6:5 75%, flat"),
        (
            {
                "name": "  ",
                "rules": {"decks": 2, "dealer_hits_soft_17": True, "double_on": "10_11",
                          "double_after_split": False, "surrender": "none",
                          "dealer_peeks": False, "penetration": 0.65},
                "betting": {"ramp": [{"true_count": 0, "units": 1},
                                     {"true_count": 4, "units": 8}]},
                "strategy": {"deviations": ["illustrious_18"]},
                "counting": {"system": "ko"},
            },
            "2D H17 D10-11 NDAS ENHC 65%, KO 1-8, I18",
        ),
        ({"rules": {"shuffle": "continuous"}}, "6D S17 DOA DAS LS CSM, flat"),
    ]  # fmt: skip
    for data, title in cases:
        assert parse_config(data).name == title
    assert parse_config({"name": "Downtown"}).name == "Downtown"  # a given name is kept
    # two unnamed games are told apart, and the name survives a round trip
    config = parse_config({"rules": {"decks": 8}})
    assert config.name != parse_config({}).name
    assert parse_config(config.model_dump(mode="json")) == config


def test_the_title_shows_the_spread_actually_bet_within_the_table_limits() -> None:
    ramp = [{"true_count": 0, "units": 1}, {"true_count": 3, "units": 1000}]
    capped = parse_config({"betting": {"ramp": ramp, "table_max": 500}})
    assert capped.name.endswith("Hi-Lo 1-500")
    fits = parse_config({"betting": {"ramp": ramp, "table_max": 5000}})
    assert fits.name.endswith("Hi-Lo 1-1000")
