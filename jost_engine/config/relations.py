"""Rules between fields of a config, checked where the config is parsed.

Each field may be valid alone while the game they describe cannot be played: more spots and
other players than a table has seats, an index play the rules forbid, a named index set none of
whose plays the rules allow. These are refused by `parse_config` with the path of the field to
change, so a saved, analysed or dry-run config is one that runs (the simulator checks them again
for a `Config` built by hand).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jost_engine.config.models import Config, Deviation, Rules

TABLE_SEATS = 7  # our spots and the other players together


def seat_problems(config: Config) -> list[dict[str, str]]:
    others = config.simulation.players_at_table - 1
    betting = config.betting
    most = max([betting.spots, *(step.spots for step in betting.spots_by_count)])
    if most + others <= TABLE_SEATS:
        return []
    path = "betting.spots" if betting.spots + others > TABLE_SEATS else "betting.spots_by_count"
    return [
        {
            "path": path,
            "message": f"{most} spots and {others} other players "
            f"(simulation.players_at_table {others + 1}) need {most + others} seats; "
            f"a table has {TABLE_SEATS}",
        }
    ]


def play_problem(hand: str, action: str, rules: Rules) -> str | None:
    """Why the rules never let ``action`` be played on ``hand`` (None when they may)."""
    if action == "surrender" and rules.surrender == "none":
        return 'these rules have no surrender (rules.surrender "none")'
    if action == "split" and rules.max_split_hands < 2:
        return "these rules allow no split (rules.max_split_hands 1)"
    if action == "double" and rules.double_on != "any_two" and "," not in hand:
        totals = (9, 10, 11) if rules.double_on == "9_10_11" else (10, 11)
        if not hand.isdigit() or int(hand) not in totals:
            allowed = "/".join(map(str, totals))
            return f'these rules double only hard {allowed} (rules.double_on "{rules.double_on}")'
    return None


def _custom_play_problem(item: Deviation, config: Config) -> str | None:
    if reason := play_problem(item.hand, item.action, config.rules):
        on = f" on {item.hand}" if item.action == "double" else ""
        return f"a {item.action} index{on}, but {reason}"
    if "," in item.hand and item.action != "split":
        return (
            "an index play on a pair can only split (or not split) it; "
            "use the hand's total for other plays"
        )
    return None


def index_play_problems(config: Config) -> list[dict[str, str]]:
    """Index plays that cannot happen under these rules: a surrender or split index without
    surrender or splits, a pair's index that is not a split, and the Fab 4 (surrender plays
    only) without surrender."""
    problems = []
    for i, item in enumerate(config.strategy.deviations):
        if item == "fab_4" and config.rules.surrender == "none":
            problems.append(
                {
                    "path": f"strategy.deviations.{i}",
                    "message": "the Fab 4 are surrender plays, but these rules have no "
                    'surrender (rules.surrender "none")',
                }
            )
        elif not isinstance(item, str) and (reason := _custom_play_problem(item, config)):
            problems.append({"path": f"strategy.deviations.{i}.action", "message": reason})
    return problems


def relation_problems(config: Config) -> list[dict[str, str]]:
    """Every problem between fields of a valid-field config, each with its path."""
    return seat_problems(config) + index_play_problems(config)
