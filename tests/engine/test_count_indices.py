"""Index numbers for any count (`jost_engine.analysis.indices` with `shoe_at_count`): the
counts' own shoes, sanity laws between counts, bad input, and the named sets a config plays."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

from jost_engine.analysis import chart_cache
from jost_engine.analysis.index_sets import (
    BUNDLE,
    bundled_games,
    compute_index_set,
    index_set,
    named_sets,
    set_key,
    threshold,
)
from jost_engine.analysis.index_table import index_table
from jost_engine.analysis.indices import (
    IndexCell,
    index_value,
    insurance_crossing,
    known_cards,
)
from jost_engine.analysis.shoe_at_count import (
    HI_LO,
    PER_DECK,
    CountError,
    CountSystem,
    count_spread,
    count_system,
    expected_left,
    rank_counts,
    shoe_depths,
)
from jost_engine.config import ConfigError, Rules, default_config, parse_config
from jost_engine.index_plays import FAB_4, ILLUSTRIOUS_18, hi_lo_sets, index_tables
from jost_engine.table import chart_for, prepare

SHOE = Rules(decks=6, dealer_hits_soft_17=False, double_after_split=True, surrender="late")
PLAYS = ILLUSTRIOUS_18 + FAB_4
SOME = [("16", "10", "stand"), ("10,10", "6", "split"), ("11", "A", "double"),
        ("15", "10", "surrender"), ("12", "4", "stand")]  # fmt: skip


@cache
def crossing(system: str, hand: str, up: str, action: str, depth: float | None = None) -> float:
    count = count_system(system, 6)
    value = index_value(SHOE, hand, up, action, depth, count)
    assert value.crossing is not None
    return float(value.crossing)


def custom(tags: dict[str, float], irc: float | None = None) -> CountSystem:
    return count_system({"tags": tags}, 6, irc)


def doubled(system: str) -> dict[str, float]:
    named = count_system(system, 6)
    return {r: 2 * t for r, t in zip(("A", "2", "3", "4", "5", "6", "7", "8", "9", "10"),
                                     named.rank_tags, strict=True)}  # fmt: skip


# ---- the counts ------------------------------------------------------------------------------


def test_every_named_count_is_read_as_published():
    assert count_system("hi_lo", 6) == HI_LO
    ko = count_system("ko", 6)
    assert ko.counts_running and ko.irc == -20 and ko.per_deck == 4
    red7 = count_system("red_7", 2)
    assert red7.irc == -4 and red7.per_deck == 2 and red7.tags[6:8] == (1.0, 0.0)
    halves = count_system("wong_halves", 6)
    assert halves.balanced and halves.level == 1.5
    assert count_system("omega_2", 6).level == 2 and not count_system("zen", 6).counts_running


def test_the_ace_side_count_is_a_balanced_count_of_adjusted_tags():
    plain, asc = count_system("hi_opt_2", 6), count_system("hi_opt_2", 6, None, True)
    assert asc.balanced and asc.ace_side_count and asc.label == "Hi-Opt II with ace side count"
    w = 2  # minus the ten's tag: an ace weighs like a ten
    np.testing.assert_allclose(np.array(asc.tags[1:]), np.array(plain.tags[1:]) + w / 13)
    assert asc.tags[0] == pytest.approx(w / 13 - w)
    assert (
        crossing("hi_opt_2", "10", "10", "double")
        != index_value(SHOE, "10", "10", "double", count=asc).crossing
    )


@pytest.mark.parametrize("system", ["omega_2", "ko", "red_7", "hi_opt_2"])
def test_the_seen_cards_have_the_count_asked_for(system):
    count = count_system(system, 6)
    known = np.zeros(11)
    known[[0, 9, 10]] = 1  # an ace, a nine and a ten are known
    for depth, value in ((3.0, 4.0), (1.5, -3.0), (4.5, 2.5)):
        left = expected_left(count, 6, depth, value, known)
        seen = PER_DECK * 6 - left
        assert seen.sum() == pytest.approx(52 * (6 - depth))
        tags = float(seen @ np.array(count.tags)) + count.irc
        assert tags == pytest.approx(value * depth if count.balanced else value)


def test_a_count_reads_its_own_neutral_shoe():
    ko = count_system("ko", 6)
    for depth in (6 - 1e-9, 3.0, 1.0):  # KO from its IRC: 4 - 4 x decks remaining
        assert count_spread(ko, 6, depth)[0] == pytest.approx(4 - 4 * depth)
        left = expected_left(ko, 6, depth, 4 - 4 * depth)
        np.testing.assert_allclose(left / left.sum(), PER_DECK / PER_DECK.sum(), rtol=1e-9)


def test_red_7_knows_a_seven_is_red_half_the_time():
    variants = known_cards(count_system("red_7", 6), 6, (8, 6, 9))  # 9,7 v 10
    assert [round(chance, 6) for _, chance in variants] == [0.5, 0.5]
    assert {float(seen[6]) for seen, _ in variants} == {0.0, 1.0}
    assert len(known_cards(HI_LO, 6, (8, 6, 9))) == 1  # colour-blind counts: one variant


# ---- laws between counts --------------------------------------------------------------------


@pytest.mark.parametrize("system", ["hi_lo", "omega_2"])
def test_doubling_every_tag_doubles_every_true_count_index(system):
    twice = custom(doubled(system))
    for hand, up, action in SOME:
        once = crossing(system, hand, up, action)
        assert index_value(SHOE, hand, up, action, count=twice).crossing == pytest.approx(
            2 * once, abs=2e-3
        )
    assert insurance_crossing(6, count=twice) == pytest.approx(
        2 * insurance_crossing(6, count=count_system(system, 6)), abs=1e-9
    )


def test_doubling_an_unbalanced_count_and_its_irc_doubles_its_running_count_index():
    ko = count_system("ko", 6)
    twice = custom(doubled("ko"), 2 * ko.irc)
    for hand, up, action in SOME[:3]:
        assert index_value(SHOE, hand, up, action, count=twice).crossing == pytest.approx(
            2 * crossing("ko", hand, up, action), abs=5e-3
        )


def test_ko_running_count_indices_are_hi_lo_s_at_the_pivot():
    # KO counts the 7 as Hi-Lo's +1: from its IRC 4 - 4 x decks, a running count of +4 is a
    # true count of about +4 at every depth (the pivot). 15 v 10 stand is a Hi-Lo +4.01: KO
    # stands from about +4 whatever the depth.
    assert crossing("hi_lo", "15", "10", "stand") == pytest.approx(4, abs=0.05)
    for depth in (1.5, 3.0, 4.5):
        assert crossing("ko", "15", "10", "stand", depth) == pytest.approx(4, abs=1)
    assert crossing("ko", "15", "10", "stand") == pytest.approx(4, abs=0.5)  # the shoe's depths
    # away from the pivot a running count moves by the decks remaining per true count:
    # KO's running count index, read as a true count at its depth, is Hi-Lo's within half a
    # count, but for 16 v 9, where the seven KO counts (a card that breaks the 16 if it hits,
    # and makes the dealer's 9 a 16) moves the play: KO stands only at a higher count.
    for play in ILLUSTRIOUS_18:
        args = (play["hand"], play["dealer_up"], play["action"])
        ko, hi_lo = crossing("ko", *args, 3.0), crossing("hi_lo", *args)
        if args[:2] == ("16", "9"):
            assert (ko - 4) / 3 + 4 > hi_lo + 2
            continue
        assert (ko - 4) / 3 + 4 == pytest.approx(hi_lo, abs=0.5), play


def test_every_named_count_has_every_illustrious_18_and_fab_4_play():
    for system in ("ko", "hi_opt_1", "hi_opt_2", "omega_2", "zen", "wong_halves", "red_7"):
        found = index_set(SHOE, count_system(system, 6))
        assert found["skipped"] == [], system
        assert len(found["illustrious_18"]) == 17 and len(found["fab_4"]) == 4
        assert all("at_or_above" in play for play in found["illustrious_18"])


# ---- bad input ---------------------------------------------------------------------------------


def test_a_count_that_counts_nothing_or_lacks_its_irc_is_refused_by_name():
    with pytest.raises(CountError, match="same tag") as nothing:
        count_system(
            {"tags": dict.fromkeys(("2", "3", "4", "5", "6", "7", "8", "9", "10", "A"), 0)}, 6
        )
    assert nothing.value.path == "counting.system.tags"
    unbalanced = {"2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 0, "9": 0, "10": -1, "A": 0}
    with pytest.raises(CountError, match="initial_running_count") as irc:
        count_system({"tags": unbalanced}, 6)
    assert irc.value.path == "counting.initial_running_count"
    assert count_system({"tags": unbalanced}, 6, -24).irc == -24
    with pytest.raises(CountError) as asc:
        count_system("hi_lo", 6, None, True)
    assert asc.value.path == "counting.ace_side_count"


def test_an_index_for_a_play_the_rules_forbid_is_refused_naming_the_rule():
    with pytest.raises(ValueError, match=r"rules\.surrender"):
        IndexCell(SHOE.model_copy(update={"surrender": "none"}), "15", "10", "surrender")
    with pytest.raises(ValueError, match=r"rules\.max_split_hands"):
        IndexCell(SHOE.model_copy(update={"max_split_hands": 1}), "10,10", "6", "split")


def config(system, deviations=("illustrious_18", "fab_4"), **extra) -> dict:
    data = default_config().model_dump(mode="json")
    data["counting"]["system"] = system
    data["strategy"]["deviations"] = list(deviations)
    for path, value in extra.items():
        section, field = path.split("__")
        data[section][field] = value
    return data


def test_a_game_refuses_index_plays_it_cannot_number_or_play():
    unbalanced = {"tags": {"2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 0, "9": 0,
                           "10": -1, "A": 0}}  # fmt: skip
    zero = {"tags": dict.fromkeys(("2", "3", "4", "5", "6", "7", "8", "9", "10", "A"), 0)}
    surrender = {"hand": "15", "dealer_up": "10", "action": "surrender", "at_or_above": 0}
    split = {"hand": "8,8", "dealer_up": "10", "action": "split", "below": 5}
    cases = [
        (config(unbalanced), "counting.initial_running_count"),
        (config(zero), "counting.system.tags"),
        (config("hi_lo", [surrender], rules__surrender="none"), "strategy.deviations.0.action"),
        (config("hi_lo", [split], rules__max_split_hands=1), "strategy.deviations.0.action"),
    ]
    for data, path in cases:
        with pytest.raises(ConfigError) as exc:
            prepare(parse_config(data))
        assert [p["path"] for p in exc.value.problems] == [path]
    # without named sets the same counts simulate as before
    prepare(parse_config(config(zero, [])))
    prepare(parse_config(config(unbalanced, [])))


# ---- the named sets a game plays ---------------------------------------------------------


def test_hi_lo_keeps_its_published_and_stored_sets():
    for decks in (1, 2, 6):
        data = config("hi_lo", rules__decks=decks)
        c = parse_config(data)
        assert named_sets(c) == hi_lo_sets(decks)
        default = index_tables(c, chart_for(c), c.rules)  # the tables before this change
        played = prepare(c).index
        assert (
            played.devs == default.devs
        ).all() and played.insurance_index == default.insurance_index
    assert named_sets(parse_config(config("hi_lo", []))) is None  # nothing to compute


def test_another_count_plays_its_own_numbers_unless_told_to_play_hi_lo():
    c = parse_config(config("omega_2"))
    sets = named_sets(c)
    assert sets is not None and "Omega II" in sets.source
    found = index_set(c.rules, count_system("omega_2", 6))
    assert [p["at_or_above"] for p in sets.plays["illustrious_18"]] == [
        threshold(p["crossing"], False, "floor") for p in found["illustrious_18"]
    ]
    assert sets.plays["illustrious_18"] != hi_lo_sets(6).plays["illustrious_18"]
    assert sets.insurance == 5  # Omega II's insurance index, +5.13 at half a six-deck shoe
    explicit = parse_config(config("omega_2", strategy__index_numbers="hi_lo"))
    assert named_sets(explicit) == hi_lo_sets(6)
    ko = parse_config(config("ko"))
    assert prepare(ko).index.insurance_index == 2  # a running count: the first count past +1.72


def test_thresholds_follow_the_true_count_rounding():
    assert threshold(0.42, False, "floor") == 0 and threshold(0.52, False, "floor") == 1
    assert threshold(0.42, False, "nearest") == 1 and threshold(-0.6, False, "nearest") == 0
    assert threshold(-5.81, True, "floor") == -5 and threshold(4.0, True, "floor") == 4


def test_a_count_s_sets_are_computed_once_and_kept_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("JOST_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(chart_cache, "_memory", {})
    rules = SHOE.model_copy(update={"decks": 4})  # not bundled
    count = count_system("zen", 4)
    first = index_set(rules, count)
    path = tmp_path / "indices" / f"{set_key(rules, count)}.json"
    assert json.loads(path.read_text(encoding="utf-8")) == first
    monkeypatch.setattr(chart_cache, "_memory", {})
    monkeypatch.setattr("jost_engine.analysis.index_sets.compute_index_set", None)  # not again
    assert index_set(rules, count) == first
    # a running count's key holds the penetration its depths come from; a true count's not
    ko = count_system("ko", 6)
    deeper = SHOE.model_copy(update={"penetration": 0.85})
    assert set_key(SHOE, ko) != set_key(deeper, ko)
    assert set_key(SHOE, count) == set_key(SHOE.model_copy(update={"penetration": 0.85}), count)


def test_the_bundled_sets_are_current():
    bundled = json.loads(BUNDLE.read_text(encoding="utf-8"))["sets"]
    games = bundled_games()
    assert sorted(bundled) == sorted(set_key(rules, count) for rules, count in games)
    for rules, count in games[:3]:  # the default game's first counts, recomputed
        assert compute_index_set(rules, count) == bundled[set_key(rules, count)]


# ---- the full table ----------------------------------------------------------------------------


def test_the_full_table_agrees_with_each_index_and_says_when_nothing_changes():
    table = index_table(SHOE, HI_LO, up_cards=("6", "10"))
    cells = {(c.hand, c.dealer_up): c for cells in table.cells.values() for c in cells}
    assert cells[("20", "6")].never_changes and cells[("20", "6")].text(False) == "S"
    for hand, up, action in (("10", "10", "double"), ("10,10", "6", "split"),
                             ("12", "6", "stand"), ("15", "10", "surrender")):  # fmt: skip
        cell = cells[(hand, up)]
        exact = crossing("hi_lo", hand, up, action)
        # the change into the play, interpolated between whole counts
        at = cell.plays.index(action)
        assert cell.changes[at - 1] == pytest.approx(exact, abs=0.1), cell
    # 16 v 10 with late surrender: hit below -3, surrender from it (standing never is best)
    assert cells[("16", "10")].text(False) == "H -3 R"
    assert {"hand": "10,10", "dealer_up": "6", "action": "split", "at_or_above": 5} in (
        table.deviations()
    )
    pairs = [d for d in table.deviations() if "," in d["hand"]]
    assert pairs and all(d["action"] == "split" for d in pairs)


def test_a_running_count_s_table_spans_its_counts():
    table = index_table(SHOE, count_system("ko", 6), up_cards=("10",))
    middle = shoe_depths(6, 0.75).mean
    assert table.running and table.counts[10] == pytest.approx(4 - 4 * middle)
    assert table.counts[0] == pytest.approx(table.counts[10] - 10 * middle)


def test_rank_counts_join_the_sevens():
    assert rank_counts(np.arange(11.0)).tolist() == [0, 1, 2, 3, 4, 5, 13, 8, 9, 10]
