"""Index plays: how a deviation resolves against the chart, and the count it reads."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from jost_engine import _kernel as k
from jost_engine.config import ConfigError, default_config, parse_config
from jost_engine.index_plays import (
    FAB_4,
    ILLUSTRIOUS_18,
    ILLUSTRIOUS_18_DOUBLE_DECK,
    ILLUSTRIOUS_18_INSURANCE,
    ILLUSTRIOUS_18_INSURANCE_DOUBLE_DECK,
    ILLUSTRIOUS_18_INSURANCE_SINGLE_DECK,
    ILLUSTRIOUS_18_SINGLE_DECK,
    _cell,
    index_tables,
)
from jost_engine.table import chart_for

from .stacked import play_kernel, play_reference


def cfg(deviations, **rules) -> dict:
    data = copy.deepcopy(default_config().model_dump(mode="json"))
    data["strategy"]["deviations"] = deviations
    data["rules"].update(rules)
    return data


def chain(config: dict, ctx: int, soft: int, value: int, up: int) -> list[tuple[int, int, int]]:
    """The (threshold, play at or above, play below) links of one decision cell."""
    c = parse_config(config)
    t = index_tables(c, chart_for(c), c.rules)
    devs = t.devs.reshape(-1, 4)
    d = int(t.dev_first[k._di(ctx, soft, value, up)])
    links = []
    while d >= 0:
        links.append(tuple(int(x) for x in devs[d][:3]))
        d = int(devs[d][3])
    return links


H, S, D, R, GO_ON = k.A_HIT, k.A_STAND, k.A_DOUBLE, k.A_SURRENDER, -1


def test_the_published_sets_have_their_sizes():
    assert len(ILLUSTRIOUS_18) == 17  # plus the insurance index
    assert len(FAB_4) == 4


def test_an_index_changes_the_play_in_both_directions():
    c = cfg(["illustrious_18"], surrender="none")
    assert chain(c, k.CTX_FIRST, 0, 16, 10) == [(0, S, H)]  # stand at 0+, hit below
    assert chain(c, k.CTX_FIRST, 0, 13, 2) == [(-1, S, H)]  # the chart stands; hit below -1
    assert chain(c, k.CTX_FIRST, 0, 11, 1) == [(1, D, H)]  # S17 chart hits 11 v A
    assert chain(c, k.CTX_LATER, 0, 11, 1) == []  # three cards: no double, no index
    assert chain(c, k.CTX_LATER, 0, 16, 10) == [(0, S, H)]


def test_surrender_is_decided_first():
    both = cfg(["illustrious_18", "fab_4"], surrender="late")
    # 15 v 10: surrender at 0+, else stand at +4 (never below 0), else hit
    assert chain(both, k.CTX_FIRST, 0, 15, 10) == [(0, R, GO_ON), (4, S, H)]
    assert chain(both, k.CTX_LATER, 0, 15, 10) == [(4, S, H)]
    # 16 v 10: the chart surrenders and no surrender index says otherwise
    assert chain(both, k.CTX_FIRST, 0, 16, 10) == []
    assert chain(both, k.CTX_LATER, 0, 16, 10) == [(0, S, H)]
    # without surrender in the rules the Fab 4 could do nothing: refused where it is parsed
    with pytest.raises(ConfigError) as err:
        parse_config(cfg(["fab_4"], surrender="none"))
    assert [p["path"] for p in err.value.problems] == ["strategy.deviations.0"]


def test_below_thresholds_and_custom_plays():
    c = cfg([{"hand": "A7", "dealer_up": "2", "action": "double", "below": -3}])
    assert chain(c, k.CTX_FIRST, 1, 18, 2) == [(-3, S, D)]
    c = cfg([{"hand": "12", "dealer_up": "4", "action": "hit", "at_or_above": 0.5}])
    assert chain(c, k.CTX_FIRST, 0, 12, 4) == [(1, H, S)]  # integer counts: 0.5 acts at 1


def test_pair_indices_split_or_not():
    c = parse_config(cfg(["illustrious_18"]))
    t = index_tables(c, chart_for(c), c.rules)
    devs = t.devs.reshape(-1, 4)
    d = int(t.pair_first[k._pi(k.CTX_FIRST, 10, 6)])
    assert tuple(devs[d][:3]) == (4, k.PAIR_SPLIT, 0)
    assert np.count_nonzero(t.pair_first >= 0) == 4  # 10,10 v 5 and v 6, two contexts each


def test_illustrious_18_brings_its_insurance_index():
    assert index_tables(*_parts(cfg(["illustrious_18"]))).insurance_index == 3
    own = cfg(["illustrious_18"])
    own["strategy"]["take_insurance_at_true_count"] = 2
    assert index_tables(*_parts(own)).insurance_index == 2
    assert index_tables(*_parts(cfg([]))).insurance_index is None


def test_the_number_of_decks_picks_the_set():
    sets = {
        1: (ILLUSTRIOUS_18_SINGLE_DECK, ILLUSTRIOUS_18_INSURANCE_SINGLE_DECK),
        2: (ILLUSTRIOUS_18_DOUBLE_DECK, ILLUSTRIOUS_18_INSURANCE_DOUBLE_DECK),
        3: (ILLUSTRIOUS_18, ILLUSTRIOUS_18_INSURANCE),
        6: (ILLUSTRIOUS_18, ILLUSTRIOUS_18_INSURANCE),
    }
    # the sets differ where it matters here, so a game given the wrong one fails below
    assert ILLUSTRIOUS_18_SINGLE_DECK[0] != ILLUSTRIOUS_18[0] != ILLUSTRIOUS_18_DOUBLE_DECK[0]
    assert len({insurance for _, insurance in sets.values()}) == 3
    for decks, (plays, insurance) in sets.items():
        c = parse_config(cfg(["illustrious_18"], decks=decks, surrender="none"))
        t = index_tables(c, chart_for(c), c.rules)
        assert t.insurance_index == insurance
        devs = t.devs.reshape(-1, 4)
        for play in plays:
            section, soft_or_card, value = _cell(play["hand"])
            up = 1 if play["dealer_up"] == "A" else int(play["dealer_up"])
            if section == "pairs":
                d = int(t.pair_first[k._pi(k.CTX_FIRST, soft_or_card, up)])
                assert tuple(devs[d][:2]) == (play["at_or_above"], k.PAIR_SPLIT), (decks, play)
            else:
                d = int(t.dev_first[k._di(k.CTX_FIRST, soft_or_card, value, up)])
                expected = (play["at_or_above"], ACTION[play["action"]])
                assert tuple(devs[d][:2]) == expected, (decks, play)


ACTION = {"stand": S, "hit": H, "double": D, "surrender": R}


def _parts(config: dict):
    c = parse_config(config)
    return c, chart_for(c), c.rules


def test_index_plays_read_the_cards_face_up_but_not_the_hole_card():
    # one deck, Hi-Lo: 10,6 v 10 with a 2 in the hole. Face up: 10, 10, 6 -> running count -1,
    # true count -1 (one deck left): below a 16 v 10 index of stand at 0, so the player hits.
    # Counting the hole card (+1) would give 0 and a stand. (The shoe value of the index: the
    # one-deck Illustrious 18 stand only from +2, which would not tell the two apart.)
    stand_at_0 = {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": 0}
    c = cfg([stand_at_0], decks=1, surrender="none")
    cards = [10, 10, 6, 2, 5, 10]  # hit: 5 makes 21; the dealer's 12 draws 10 and busts
    assert play_kernel(c, cards).nets == [1.0]
    assert play_reference(c, cards).nets == [1.0]
    stood = copy.deepcopy(c)
    stood["strategy"]["deviations"] = [
        {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": -1}
    ]
    # standing on 16: the dealer's 12 draws the 5 and makes 17
    assert play_kernel(stood, cards).nets == [-1.0]
