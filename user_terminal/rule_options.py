"""The options the analyzer's commands share: the rules of a game and the count of a player.

`jost strategy generate`, `jost strategy indices` and `jost count analyze` take the rules as
options (validated by the engine's config models, so a bad value is named as a config field),
and the last two a count: a named system or custom tags, its initial running count, an ace side
count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jost_engine.analysis.shoe_at_count import CountError, CountSystem, count_system
from jost_engine.config import ConfigError, Counting, Rules, parse_config
from jost_engine.config.vocabulary import NAMED_SYSTEMS
from user_terminal.config_files import config_error_text
from user_terminal.errors import JostError

DecksOption = Annotated[int, typer.Option(help="Decks in the shoe (1-8).")]
H17Option = Annotated[bool, typer.Option("--h17/--s17", help="Dealer hits or stands on soft 17.")]
DasOption = Annotated[bool, typer.Option("--das/--no-das", help="Double after split.")]
DoubleOnOption = Annotated[str, typer.Option(help="any_two, 9_10_11 or 10_11.")]
SurrenderOption = Annotated[str, typer.Option(help="none, late or early.")]
PeekOption = Annotated[
    bool, typer.Option("--peek/--no-peek", help="Dealer peeks, or European no hole card.")
]
SplitsOption = Annotated[int, typer.Option(help="Most hands after splits (1-8).")]
PenetrationOption = Annotated[
    float,
    typer.Option(help="Share of the shoe dealt before the shuffle (a running count's depths)."),
]
SystemOption = Annotated[
    str, typer.Option(help=f"The count: {', '.join(NAMED_SYSTEMS)} (or give --tags).")
]
TagsOption = Annotated[
    str | None,
    typer.Option(
        help='Custom tags instead of --system, 2 to A: "1,1,1,1,1,0,0,0,-1,-1" or '
        '"2=1,3=1,...,10=-1,A=-1".'
    ),
]
IrcOption = Annotated[
    float | None,
    typer.Option("--irc", help="Initial running count (an unbalanced count's indices need it)."),
]
AceSideCountOption = Annotated[
    bool,
    typer.Option(
        "--ace-side-count", help="Count with the ace side count (ace-neutral counts only)."
    ),
]
NameOption = Annotated[str | None, typer.Option(help="Save as a strategy profile of this name.")]
OutOption = Annotated[Path | None, typer.Option(help="Write the strategy profile to this file.")]
ForceOption = Annotated[bool, typer.Option(help="Replace an existing profile of that name.")]
TAG_RANKS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")


def rules_of(options: dict[str, Any]) -> Rules:
    """The rules of the options, or a `JostError` naming every bad one as a config field."""
    try:
        return parse_config({"rules": options}).rules
    except ConfigError as exc:
        raise JostError(config_error_text(exc, "the rule options")) from None


def game_rules(
    decks: int,
    h17: bool,
    das: bool,
    surrender: str,
    double_on: str,
    peek: bool,
    max_split_hands: int,
    **more: Any,
) -> Rules:
    """The rules of the options `strategy indices` and `count analyze` share (and ``more``,
    by the config's field names)."""
    return rules_of(
        {
            "decks": decks,
            "dealer_hits_soft_17": h17,
            "double_after_split": das,
            "surrender": surrender,
            "double_on": double_on,
            "dealer_peeks": peek,
            "max_split_hands": max_split_hands,
            **more,
        }
    )


def parse_tags(text: str) -> dict[str, float]:
    """``"1,1,1,1,1,0,0,0,-1,-1"`` (2..A) or ``"2=1,...,A=-1"`` as a tag table."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        if all("=" in p for p in parts):
            tags = {k.strip().upper(): float(v) for k, v in (p.split("=", 1) for p in parts)}
        else:
            tags = dict(zip(TAG_RANKS, (float(p) for p in parts), strict=True))
    except ValueError:
        raise JostError(
            f"--tags {text!r}: give ten numbers for 2..A, or rank=tag pairs such as 2=1,A=-1"
        ) from None
    missing = [r for r in TAG_RANKS if r not in tags]
    unknown = [r for r in tags if r not in TAG_RANKS]
    if missing or unknown:
        raise JostError(
            f"--tags {text!r}: "
            + "; ".join(
                f"{what} {', '.join(ranks)}"
                for what, ranks in (("missing", missing), ("unknown rank", unknown))
                if ranks
            )
        )
    return tags


def counting_of(system: str, tags: str | None, irc: float | None, ace_side_count: bool) -> Counting:
    """The count options as the config's ``counting`` section (validated)."""
    chosen: Any = {"tags": parse_tags(tags)} if tags is not None else system
    try:
        section = {"system": chosen, "initial_running_count": irc, "ace_side_count": ace_side_count}
        return parse_config({"counting": section}).counting
    except ConfigError as exc:
        raise JostError(config_error_text(exc, "the count options")) from None


def count_of(counting: Counting, decks: int) -> CountSystem:
    """The analyzer's count for the options; `JostError` names the field that cannot be used."""
    try:
        return count_system(
            counting.system, decks, counting.initial_running_count, counting.ace_side_count
        )
    except CountError as exc:
        option = {"counting.initial_running_count": "--irc", "counting.system.tags": "--tags"}
        raise JostError(f"{exc.path} ({option.get(exc.path, exc.path)}): {exc.message}") from None
