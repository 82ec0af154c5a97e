"""The named index sets for the count in play: the Illustrious 18, the Fab 4 and insurance,
numbered for any count system and rule set.

Hi-Lo plays its stored sets (`index_plays.hi_lo_sets`: published for shoes, computed for one and
two decks). Any other count gets the same plays with its own numbers, computed by the exact
analyzer (`indices.index_value`) for the game's rules and decks: computed once per count and rule
set, kept in the cache folder beside the generated charts (`chart_cache`), and bundled with the
engine for the common games (`jost_engine/data/index_sets.json`, written by
`write_bundle`). A config that wants the Hi-Lo numbers with another count says so
(``strategy.index_numbers: "hi_lo"``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jost_engine.analysis.chart_cache import (
    ANALYZER_VERSION,
    cached_document,
    chart_rules_key,
    digest,
    play_rules,
)
from jost_engine.analysis.indices import (
    default_depth,
    index_value,
    insurance_crossing,
    insurance_index,
    nearest_index,
    running_index,
)
from jost_engine.analysis.shoe_at_count import HI_LO, CountSystem, count_system
from jost_engine.config import Config, Rules
from jost_engine.index_plays import FAB_4, ILLUSTRIOUS_18, NamedSets, hi_lo_sets

SET_VERSION = 2  # bump when the method changes: cached and bundled sets are then recomputed
BUNDLE = Path(__file__).resolve().parent.parent / "data" / "index_sets.json"
SETS = {"illustrious_18": ILLUSTRIOUS_18, "fab_4": FAB_4}


def set_key(rules: Rules, count: CountSystem) -> str:
    """The cache key of a count's sets: the rules that change the play (and, for a running
    count, whose index averages over the shoe's depths, the penetration), the count, and the
    versions of the analyzer and of this method."""
    payload: dict[str, Any] = {
        "v": SET_VERSION,
        "analyzer": ANALYZER_VERSION,
        "rules": play_rules(rules),
        "count": count.key(),
    }
    if count.counts_running:
        payload["penetration"] = rules.penetration
    return digest(payload)


def compute_index_set(rules: Rules, count: CountSystem) -> dict[str, Any]:
    """The Illustrious 18, the Fab 4 and the insurance index of ``count`` under ``rules``.

    Each play keeps its real crossing. A play the rules do not allow (surrender without
    surrender, a double or split they forbid) or that never changes over the counts searched
    is left out and listed under ``skipped`` with the reason: the chart plays it.
    """
    depth = default_depth(rules, count)
    out: dict[str, Any] = {
        "system": count.label,
        "count": "running" if count.counts_running else "true",
        "game": chart_rules_key(rules),
        "skipped": [],
    }
    for name, plays in SETS.items():
        found = []
        for play in plays:
            label = f"{play['hand']} v {play['dealer_up']} {play['action']}"
            try:
                value = index_value(
                    rules, play["hand"], play["dealer_up"], play["action"], depth, count
                )
            except ValueError as exc:
                out["skipped"].append({"set": name, "play": label, "reason": str(exc)})
                continue
            if value.crossing is None:
                reason = "the play never changes over the counts searched"
                out["skipped"].append({"set": name, "play": label, "reason": reason})
                continue
            found.append({**value.deviation(), "crossing": round(value.crossing, 4)})
        out[name] = found
    crossing = insurance_crossing(rules.decks, depth, count)
    out["insurance"] = {"index": insurance_index(count, crossing), "crossing": round(crossing, 4)}
    return out


def _valid(document: dict[str, Any]) -> bool:
    return {"illustrious_18", "fab_4", "insurance", "count"} <= document.keys()


@cache
def _bundle() -> dict[str, Any]:
    try:
        sets = json.loads(BUNDLE.read_text(encoding="utf-8"))["sets"]
    except (OSError, ValueError, KeyError):
        return {}
    return sets if isinstance(sets, dict) else {}


def index_set(rules: Rules, count: CountSystem) -> dict[str, Any]:
    """`compute_index_set` for ``rules`` and ``count``: bundled, cached, or computed (then
    cached on disk)."""
    key = set_key(rules, count)
    bundled = _bundle().get(key)
    if isinstance(bundled, dict) and _valid(bundled):
        return bundled
    return cached_document("indices", key, lambda: compute_index_set(rules, count), _valid)


def threshold(crossing: float, running: bool, rounding: str) -> int:
    """The integer threshold the kernel compares with, for a real crossing: a running count's
    first count past it; a true count's nearest integer for a floored (or truncated) count,
    the first integer past it for a count rounded to the nearest."""
    if running or rounding == "nearest":
        return running_index(crossing)
    return nearest_index(crossing)


def named_sets(config: Config) -> NamedSets | None:
    """What the config's named sets play, or None when it plays none (nothing to compute).

    Hi-Lo (counted from 0), and any count with ``index_numbers: "hi_lo"``, plays the Hi-Lo
    sets; another count its own numbers for these rules (`index_set`), their thresholds
    rounded for the config's true-count rounding (`threshold`). Raises `CountError` for a
    count that cannot have indices (an unbalanced custom count without its IRC).
    """
    strategy = config.strategy
    if not any(isinstance(item, str) for item in strategy.deviations):
        return None
    counting = config.counting
    decks = config.rules.decks
    if strategy.index_numbers == "hi_lo":
        return hi_lo_sets(decks)
    count = count_system(counting.system, decks, counting.initial_running_count)
    if count.tags == HI_LO.tags and count.irc == 0:
        return hi_lo_sets(decks)
    found = index_set(config.rules, count)
    running = found["count"] == "running"
    rounding = counting.true_count.rounding

    def numbered(plays: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
        out = []
        for play in plays:
            direction = "at_or_above" if "at_or_above" in play else "below"
            n = threshold(play["crossing"], running, rounding)
            out.append({**{k: play[k] for k in ("hand", "dealer_up", "action")}, direction: n})
        return tuple(out)

    return NamedSets(
        {name: numbered(found[name]) for name in SETS},
        float(threshold(found["insurance"]["crossing"], running, rounding)),
        f"{found['system']}, computed by the exact analyzer for {found['game']}",
    )


# The common games bundled with the engine: the rules profiles of jost_engine/data/profiles
# and the two H17 shoes, for every named count but Hi-Lo (whose sets are stored).
BUNDLED_RULES: tuple[dict[str, Any], ...] = (
    {},  # the default game: 6 decks S17 DAS late surrender, 75%
    {"dealer_hits_soft_17": True},
    {"decks": 8},
    {"decks": 8, "dealer_hits_soft_17": True},
    {"decks": 2, "dealer_hits_soft_17": True, "surrender": "none", "penetration": 0.65},
    {
        "decks": 1,
        "dealer_hits_soft_17": True,
        "blackjack_payout": 1.2,
        "double_after_split": False,
        "max_split_hands": 2,
        "surrender": "none",
        "penetration": 0.6,
    },
    {"double_on": "9_10_11", "max_split_hands": 2, "surrender": "none", "dealer_peeks": False},
)
BUNDLED_SYSTEMS = ("ko", "hi_opt_1", "hi_opt_2", "omega_2", "zen", "wong_halves", "red_7")


def bundled_games() -> list[tuple[Rules, CountSystem]]:
    """Every (rules, count) the bundle holds."""
    games = []
    for options in BUNDLED_RULES:
        rules = Rules(**options)
        for system in BUNDLED_SYSTEMS:
            games.append((rules, count_system(system, rules.decks)))
    return games


def write_bundle(path: Path = BUNDLE) -> int:
    """Compute every bundled game's sets and write them to ``path``; returns how many."""
    sets = {
        set_key(rules, count): compute_index_set(rules, count) for rules, count in bundled_games()
    }
    document = {
        "about": "Index sets of the named counts for common games, computed by "
        "jost_engine.analysis.index_sets.write_bundle; keys are set_key(rules, count).",
        "version": SET_VERSION,
        "sets": sets,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    _bundle.cache_clear()
    return len(sets)
