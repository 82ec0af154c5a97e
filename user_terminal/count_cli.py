"""`jost count analyze`: a count system's betting correlation, playing efficiency and insurance
correlation for rules given as options (Griffin's definitions, docs/methodology.md), with its
balance, its level and the tags that would maximise each measure; without a count, every named
system side by side.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jost_engine.analysis.count_analysis import (
    analyze_count,
    best_tags,
    game_effects,
    named_systems,
)
from jost_engine.chart_vocabulary import UP_CARDS
from user_terminal.errors import JostError, reported
from user_terminal.rule_options import (
    AceSideCountOption,
    DasOption,
    DecksOption,
    DoubleOnOption,
    H17Option,
    IrcOption,
    PeekOption,
    SplitsOption,
    TagsOption,
    count_of,
    counting_of,
    game_rules,
)

app = typer.Typer(name="count", help="The analysis of count systems.", rich_markup_mode=None)
MEASURES = (
    ("betting_correlation", "BC"),
    ("playing_efficiency", "PE"),
    ("insurance_correlation", "IC"),
)


@app.command()
def analyze(
    system: Annotated[
        str | None,
        typer.Option(help="A named system (or --tags); none: every named system side by side."),
    ] = None,
    tags: TagsOption = None,
    irc: IrcOption = None,
    ace_side_count: AceSideCountOption = False,
    decks: DecksOption = 6,
    h17: H17Option = False,
    das: DasOption = True,
    surrender: Annotated[str, typer.Option(help="none, late or early.")] = "late",
    double_on: DoubleOnOption = "any_two",
    peek: PeekOption = True,
    max_split_hands: SplitsOption = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
) -> None:
    """Betting correlation, playing efficiency and insurance correlation of a count.

    Computed from the exact analyzer's effects of removal for these rules (the playing
    efficiency at half the shoe), cached on disk after the first run of a rule set.
    """
    with reported():
        rules = game_rules(decks, h17, das, surrender, double_on, peek, max_split_hands)
        if system is None and tags is None:
            if irc is not None or ace_side_count:
                raise JostError("--irc and --ace-side-count need --system or --tags")
            counts = named_systems(decks)
        else:
            counts = [count_of(counting_of(system or "hi_lo", tags, irc, ace_side_count), decks)]
        start = time.perf_counter()
        try:
            effects = game_effects(rules)
        except ValueError as exc:
            raise JostError(str(exc)) from None
        document: dict[str, Any] = {
            "rules": rules.model_dump(mode="json"),
            "systems": [analyze_count(c, effects).to_dict() for c in counts],
            "best_tags": best_tags(effects),
            "seconds": round(time.perf_counter() - start, 1),
        }
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    _print(Console(), document, single=len(counts) == 1)


def _tag_text(tags: dict[str, float]) -> str:
    return " ".join(f"{v:+.3g}" for v in (tags[r] for r in (*UP_CARDS[:-1], "A"))) if tags else ""


def _print(console: Console, document: dict[str, Any], single: bool) -> None:
    rules = document["rules"]
    title = (
        f"Count systems · {rules['decks']} decks "
        f"{'H17' if rules['dealer_hits_soft_17'] else 'S17'} "
        f"{'DAS' if rules['double_after_split'] else 'no DAS'} surrender {rules['surrender']}"
    )
    table = Table(title=title, show_edge=False)
    for col in ("system", "tags 2..9, 10, A", "balance", "level", "BC", "PE", "IC"):
        table.add_column(col, justify="left" if col in ("system", "tags 2..9, 10, A") else "right")
    for row in document["systems"]:
        table.add_row(
            row["system"], _tag_text(row["tags"]), f"{row['balance']:+g}", f"{row['level']:g}",
            *(f"{row[key]:.3f}" for key, _ in MEASURES),
        )  # fmt: skip
    console.print(table)
    best = Table(title="The tags that would maximise each measure (largest tag 1)", show_edge=False)
    for col in ("measure", "tags 2..9, 10, A", "value"):
        best.add_column(col, justify="right" if col == "value" else "left")
    for key, short in MEASURES:
        entry = document["best_tags"][key]
        best.add_row(short, _tag_text(entry["tags"]), f"{entry['value']:.3f}")
    console.print(best)
    console.print(
        "BC betting correlation · PE playing efficiency (half the shoe) · IC insurance "
        "correlation (Griffin, The Theory of Blackjack; docs/methodology.md)."
        + ("" if single else " Tags: Red 7's 7 is its average, half a point.")
    )
    console.print(f"Computed in {document['seconds']:g} s.")
