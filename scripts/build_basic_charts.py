"""Build the bundled total-dependent basic-strategy charts (docs/charts.md).

The 72 chart families differ from one another in a few dozen well-documented cells, so the
charts are written down once as a base chart (4-8 decks, S17, DAS, no surrender, peek) plus the
published rule-dependent changes, the way basic-strategy engines present them. Generating the
JSON from this one table keeps every family consistent: a fix to a rule-dependent cell lands in
every chart that shares it, and pair rows can never drift from the hard/soft rows they stand for.
Close cells were cross-checked against an exact finite-shoe expected-value calculation of the
total-dependent strategy (4, 6 and 8 decks give the same chart, so one 4-8 deck chart serves all).

Usage: ``python scripts/build_basic_charts.py [--out DIR]`` (default: the package's data folder).
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

UP_CARDS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")
HARD_ROWS = tuple(str(t) for t in range(4, 22))
SOFT_ROWS = tuple(str(t) for t in range(12, 22))
PAIR_ROWS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")

DECKS = ("1d", "2d", "4to8d")
SOFT17 = ("s17", "h17")
DAS = ("das", "nodas")
SURRENDER = ("nosurr", "ls", "es")
HOLE = ("peek", "enhc")

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "jost_engine" / "data" / "charts"

# A change is (section, row, columns, token); columns name dealer up cards: "9", "2-6", "10-A".
Change = tuple[str, str, str, str]

# Base: 4-8 decks, dealer stands on soft 17, double after split, no surrender, peek.
BASE_HARD = {
    **{str(t): "H H H H H H H H H H" for t in range(4, 9)},
    "9": "H D D D D H H H H H",
    "10": "D D D D D D D D H H",
    "11": "D D D D D D D D D H",
    "12": "H H S S S H H H H H",
    **{str(t): "S S S S S H H H H H" for t in range(13, 17)},
    **{str(t): "S S S S S S S S S S" for t in range(17, 22)},
}
BASE_SOFT = {
    # Soft 12 is A,A that may not be split (the split limit): no published chart doubles it.
    "12": "H H H H H H H H H H",
    "13": "H H H D D H H H H H",
    "14": "H H H D D H H H H H",
    "15": "H H D D D H H H H H",
    "16": "H H D D D H H H H H",
    "17": "H D D D D H H H H H",
    "18": "S Ds Ds Ds Ds S S H H H",
    "19": "S S S S S S S S S S",
    "20": "S S S S S S S S S S",
    "21": "S S S S S S S S S S",
}

# Deck-count and soft-17 changes to the hard and soft rows.
_TWO_DECK: tuple[Change, ...] = (
    ("hard", "9", "2", "D"),
    ("hard", "11", "A", "D"),
)
_ONE_DECK: tuple[Change, ...] = (
    ("hard", "8", "5-6", "D"),
    ("hard", "9", "2", "D"),
    ("hard", "11", "A", "D"),
    ("soft", "13", "4", "D"),
    ("soft", "14", "4", "D"),
    ("soft", "17", "2", "D"),
    ("soft", "19", "6", "Ds"),
)
_H17_SOFT: tuple[Change, ...] = (
    ("soft", "18", "2", "Ds"),
    ("soft", "19", "6", "Ds"),
)
ROW_CHANGES: dict[tuple[str, str], tuple[Change, ...]] = {
    ("4to8d", "s17"): (),
    ("4to8d", "h17"): (("hard", "11", "A", "D"), *_H17_SOFT),
    ("2d", "s17"): _TWO_DECK,
    ("2d", "h17"): (*_TWO_DECK, ("soft", "14", "4", "D"), *_H17_SOFT),
    # Single deck S17 stands soft 18 against an ace; H17 hits it like the shoe games do.
    ("1d", "s17"): (*_ONE_DECK, ("soft", "18", "A", "S")),
    ("1d", "h17"): _ONE_DECK,
}

# Which dealer up cards each pair splits against (pairs 5,5 and 10,10 never split).
_ALWAYS = "2-A"
SPLITS: dict[tuple[str, str], dict[str, str]] = {
    ("4to8d", "das"): {"2": "2-7", "3": "2-7", "4": "5-6", "6": "2-6", "7": "2-7"},
    ("4to8d", "nodas"): {"2": "4-7", "3": "4-7", "4": "", "6": "3-6", "7": "2-7"},
    ("2d", "das"): {"2": "2-7", "3": "2-7", "4": "5-6", "6": "2-7", "7": "2-8"},
    ("2d", "nodas"): {"2": "4-7", "3": "4-7", "4": "", "6": "2-6", "7": "2-7"},
    ("1d", "das"): {"2": "2-7", "3": "2-8", "4": "4-6", "6": "2-7", "7": "2-8"},
    ("1d", "nodas"): {"2": "3-7", "3": "4-7", "4": "", "6": "2-6", "7": "2-7"},
}
SPLITS_COMMON = {"5": "", "8": _ALWAYS, "9": "2-6,8-9", "10": "", "A": _ALWAYS}
# Single deck H17 with DAS also splits 9,9 against an ace.
SPLIT_EXTRAS: dict[tuple[str, str, str], dict[str, str]] = {("1d", "h17", "das"): {"9": "A"}}

# No hole card, dealer blackjack takes doubles and splits: stop investing more against 10 and A.
ENHC_ROWS: tuple[Change, ...] = (("hard", "11", "10-A", "H"),)
ENHC_NO_SPLIT = {"8": "10-A", "9": "A", "A": "A"}

# Late surrender (after the peek): hard-row cells, by decks and soft 17.
_LS_H17: tuple[Change, ...] = (("hard", "15", "A", "Rh"), ("hard", "17", "A", "Rs"))
LATE: dict[tuple[str, str], tuple[Change, ...]] = {
    ("4to8d", "s17"): (("hard", "15", "10", "Rh"), ("hard", "16", "9-A", "Rh")),
    ("2d", "s17"): (("hard", "15", "10", "Rh"), ("hard", "16", "10-A", "Rh")),
    ("1d", "s17"): (("hard", "16", "10-A", "Rh"),),
}
for _decks in DECKS:
    LATE[(_decks, "h17")] = (*LATE[(_decks, "s17")], *_LS_H17)


def _early(vs_ace: tuple[int, ...], vs_ten: tuple[int, ...], nine: bool) -> tuple[Change, ...]:
    """Early-surrender cells: hit-or-surrender totals against A and 10, stand-or-surrender 17."""
    cells: list[Change] = [("hard", str(t), "A", "Rh") for t in vs_ace]
    cells.append(("hard", "17", "A", "Rs"))
    cells += [("hard", str(t), "10", "Rh") for t in vs_ten]
    if nine:
        cells.append(("hard", "16", "9", "Rh"))
    return tuple(cells)


_STIFFS = (12, 13, 14, 15, 16)
EARLY: dict[tuple[str, str], tuple[Change, ...]] = {
    ("4to8d", "s17"): _early((5, 6, 7, *_STIFFS), (14, 15, 16), nine=True),
    ("4to8d", "h17"): _early((4, 5, 6, 7, *_STIFFS), (14, 15, 16), nine=True),
    ("2d", "s17"): _early((5, 6, 7, *_STIFFS), (14, 15, 16), nine=False),
    ("2d", "h17"): _early((4, 5, 6, 7, 8, *_STIFFS), (14, 15, 16), nine=False),
    ("1d", "s17"): _early((4, 5, 6, 7, *_STIFFS), (15, 16), nine=False),
    ("1d", "h17"): _early((4, 5, 6, 7, 8, *_STIFFS), (15, 16), nine=False),
}

# Pairs that surrender where allowed but split otherwise (token Rp), peek games only: in a
# no-hole-card game 8,8 does not split against 10 or A, so it follows the hard 16 row instead.
SURRENDER_SPLITS: dict[tuple[str, str, str, str], dict[str, str]] = {
    ("4to8d", "h17", "das", "ls"): {"8": "A"},
    ("4to8d", "h17", "nodas", "ls"): {"8": "A"},
    ("2d", "h17", "nodas", "ls"): {"8": "A"},
    **{
        (decks, soft17, das, "es"): {"8": "10-A"}
        for decks, soft17, das in itertools.product(("4to8d", "2d"), SOFT17, DAS)
    },
    **{("1d", soft17, "das", "es"): {"8": "A"} for soft17 in SOFT17},
    **{("1d", soft17, "nodas", "es"): {"8": "10-A"} for soft17 in SOFT17},
}

NAMES = {
    "1d": "1 deck",
    "2d": "2 decks",
    "4to8d": "4-8 decks",
    "s17": "S17",
    "h17": "H17",
    "das": "DAS",
    "nodas": "no DAS",
    "nosurr": "no surrender",
    "ls": "late surrender",
    "es": "early surrender",
    "peek": "peek",
    "enhc": "ENHC",
}
SOURCES = {
    "1d": "Wizard of Odds single-deck basic strategy",
    "2d": "Wizard of Odds double-deck basic strategy",
    "4to8d": "Wizard of Odds 4-8 deck basic strategy",
}


def columns(spec: str) -> list[int]:
    """Column indexes for an up-card spec such as "2-6,8-9" or "A" ("" means none)."""
    result: list[int] = []
    for part in filter(None, spec.split(",")):
        first, _, last = part.partition("-")
        start, stop = UP_CARDS.index(first), UP_CARDS.index(last or first)
        result.extend(range(start, stop + 1))
    return result


def _apply(rows: dict[str, dict[str, list[str]]], changes: tuple[Change, ...]) -> None:
    """Overwrite chart cells in place."""
    for section, row, spec, token in changes:
        for col in columns(spec):
            rows[section][row][col] = token


def _split_columns(decks: str, soft17: str, das: str, hole: str) -> dict[str, set[int]]:
    """The up cards each pair splits against under these rules."""
    specs = {**SPLITS_COMMON, **SPLITS[(decks, das)]}
    split = {pair: set(columns(spec)) for pair, spec in specs.items()}
    for pair, spec in SPLIT_EXTRAS.get((decks, soft17, das), {}).items():
        split[pair] |= set(columns(spec))
    if hole == "enhc":
        for pair, spec in ENHC_NO_SPLIT.items():
            split[pair] -= set(columns(spec))
    return split


def _unsplit_row(pair: str) -> tuple[str, str]:
    """The hard/soft row that a pair is played by when it is not split."""
    if pair == "A":
        return "soft", "12"
    return "hard", str(2 * int(pair))


def build_chart(decks: str, soft17: str, das: str, surrender: str, hole: str) -> dict[str, object]:
    """One family's chart: the base chart with its rule-dependent changes applied."""
    rows: dict[str, dict[str, list[str]]] = {
        "hard": {key: BASE_HARD[key].split() for key in HARD_ROWS},
        "soft": {key: BASE_SOFT[key].split() for key in SOFT_ROWS},
    }
    _apply(rows, ROW_CHANGES[(decks, soft17)])
    if hole == "enhc":
        _apply(rows, ENHC_ROWS)
    if surrender == "ls":
        _apply(rows, LATE[(decks, soft17)])
    elif surrender == "es":
        _apply(rows, EARLY[(decks, soft17)])

    split = _split_columns(decks, soft17, das, hole)
    rp_specs = SURRENDER_SPLITS.get((decks, soft17, das, surrender), {})
    pairs: dict[str, str] = {}
    for pair in PAIR_ROWS:
        section, row = _unsplit_row(pair)
        rp = set(columns(rp_specs.get(pair, ""))) if hole == "peek" else set()
        tokens = [
            ("Rp" if col in rp else "P") if col in split[pair] else rows[section][row][col]
            for col in range(len(UP_CARDS))
        ]
        pairs[pair] = " ".join(tokens)

    name = ", ".join(NAMES[part] for part in (decks, soft17, das, surrender, hole))
    extras = []
    if surrender == "es":
        extras.append("the Wizard of Odds early-surrender strategy")
    if hole == "enhc":
        extras.append("the no-hole-card changes for a dealer blackjack that takes all bets")
    source = (
        f"Follows the {SOURCES[decks]} for these rules"
        + (", with " + " and ".join(extras) if extras else "")
        + "."
    )
    return {
        "name": name,
        "source": source,
        "hard": {key: " ".join(rows["hard"][key]) for key in HARD_ROWS},
        "soft": {key: " ".join(rows["soft"][key]) for key in SOFT_ROWS},
        "pairs": pairs,
    }


def families() -> list[tuple[str, str, str, str, str]]:
    """Every rule family, in file-name order."""
    return list(itertools.product(DECKS, SOFT17, DAS, SURRENDER, HOLE))


def write_charts(out: Path) -> list[Path]:
    """Write all charts into `out`; the bytes depend only on this file, so reruns reproduce them."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for family in families():
        path = out / ("_".join(family) + ".json")
        text = json.dumps(build_chart(*family), indent=2) + "\n"
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    written = write_charts(args.out)
    print(f"wrote {len(written)} charts to {args.out}")


if __name__ == "__main__":
    main()
