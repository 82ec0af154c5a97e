"""The bundled basic-strategy charts: present, well formed (docs/charts.md), right where the
published strategies agree, and reproducible from scripts/build_basic_charts.py.

The tests read the JSON files directly, so they check the data the package ships, not the
engine's interpretation of it.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHARTS = ROOT / "jost_engine" / "data" / "charts"
SCRIPT = ROOT / "scripts" / "build_basic_charts.py"

UP_CARDS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")
HARD_ROWS = [str(t) for t in range(4, 22)]
SOFT_ROWS = [str(t) for t in range(12, 22)]
PAIR_ROWS = ["2", "3", "4", "5", "6", "7", "8", "9", "10", "A"]
TOKENS = {"H", "S", "D", "Ds", "P", "Rh", "Rs", "Rp"}
SURRENDER_TOKENS = {"Rh", "Rs", "Rp"}

PARTS = (("1d", "2d", "4to8d"), ("s17", "h17"), ("das", "nodas"), ("nosurr", "ls", "es"))
PARTS += (("peek", "enhc"),)
FAMILIES = ["_".join(parts) for parts in itertools.product(*PARTS)]


@cache
def load(family: str) -> dict[str, Any]:
    return json.loads((CHARTS / f"{family}.json").read_text(encoding="utf-8"))


def cell(family: str, section: str, row: str, up: str) -> str:
    return load(family)[section][row].split()[UP_CARDS.index(up)]


def unsplit_row(pair: str) -> tuple[str, str]:
    """The hard/soft row a pair is played by when it does not split."""
    return ("soft", "12") if pair == "A" else ("hard", str(2 * int(pair)))


def matching(selector: str) -> list[str]:
    """Families whose name has every `_`-separated part of the selector ("*" matches all)."""
    wanted = [] if selector == "*" else selector.split("_")
    return [f for f in FAMILIES if all(part in f.split("_") for part in wanted)]


def test_there_are_72_families() -> None:
    assert len(FAMILIES) == 72


def test_every_family_has_a_chart() -> None:
    missing = [f for f in FAMILIES if not (CHARTS / f"{f}.json").is_file()]
    assert missing == []


@pytest.mark.parametrize("family", FAMILIES)
def test_chart_is_well_formed(family: str) -> None:
    path = CHARTS / f"{family}.json"
    text = path.read_text(encoding="utf-8")
    chart = json.loads(text)
    assert list(chart) == ["name", "source", "hard", "soft", "pairs"]
    assert isinstance(chart["name"], str) and chart["name"]
    assert isinstance(chart["source"], str) and chart["source"].endswith(".")
    assert list(chart["hard"]) == HARD_ROWS
    assert list(chart["soft"]) == SOFT_ROWS
    assert list(chart["pairs"]) == PAIR_ROWS
    for section in ("hard", "soft", "pairs"):
        for key, row in chart[section].items():
            tokens = row.split(" ")
            assert len(tokens) == 10, (section, key)
            assert set(tokens) <= TOKENS, (section, key)
            if section != "pairs":
                assert not {"P", "Rp"} & set(tokens), (section, key)
    # Written for readable diffs: indent 2, trailing newline.
    assert text == json.dumps(chart, indent=2) + "\n"


def test_names_are_distinct_and_describe_the_rules() -> None:
    names = {load(f)["name"] for f in FAMILIES}
    assert len(names) == len(FAMILIES)
    assert load("4to8d_s17_das_ls_peek")["name"] == "4-8 decks, S17, DAS, late surrender, peek"
    assert "Wizard of Odds" in load("1d_h17_nodas_es_enhc")["source"]


@pytest.mark.parametrize("family", FAMILIES)
def test_pair_rows_that_do_not_split_equal_the_hand_row(family: str) -> None:
    chart = load(family)
    for pair in PAIR_ROWS:
        section, row = unsplit_row(pair)
        for up, token, own in zip(
            UP_CARDS, chart["pairs"][pair].split(), chart[section][row].split(), strict=True
        ):
            if token not in {"P", "Rp"}:
                assert token == own, (pair, up)
    assert "P" not in chart["pairs"]["5"] and "P" not in chart["pairs"]["10"]


@pytest.mark.parametrize("family", FAMILIES)
def test_surrender_tokens_follow_the_surrender_rule(family: str) -> None:
    chart = load(family)
    tokens = {
        t
        for section in ("hard", "soft", "pairs")
        for r in chart[section].values()
        for t in r.split()
    }
    if "_nosurr_" in family:
        assert not tokens & SURRENDER_TOKENS
    else:
        assert tokens & SURRENDER_TOKENS
    if family.endswith("_enhc"):
        assert "Rp" not in tokens
    # Nobody surrenders against a dealer 2-8, a soft hand, or 18 and up.
    for section in ("hard", "soft", "pairs"):
        for key, row in chart[section].items():
            for up, token in zip(UP_CARDS, row.split(), strict=True):
                if token in SURRENDER_TOKENS:
                    assert up in {"9", "10", "A"} and section != "soft", (section, key, up)
                    if section == "hard":
                        assert int(key) <= 17


def test_early_surrender_surrenders_at_least_where_late_surrender_does() -> None:
    for late in matching("ls"):
        early = late.replace("_ls_", "_es_")
        for section in ("hard", "pairs"):
            for key in load(late)[section]:
                for up in UP_CARDS:
                    if cell(late, section, key, up) in SURRENDER_TOKENS:
                        assert cell(early, section, key, up) in SURRENDER_TOKENS, (late, key, up)


# (families, section, row, up, allowed tokens): cells the published strategies agree on.
KNOWN_CELLS = [
    # Every family.
    ("*", "hard", "12", "2", "H"),
    ("*", "hard", "12", "4", "S"),
    ("*", "hard", "12", "6", "S"),
    ("*", "hard", "13", "2", "S"),
    ("*", "hard", "16", "6", "S"),
    ("*", "hard", "16", "7", "H"),
    ("*", "hard", "10", "9", "D"),
    ("*", "hard", "10", "10", "H"),
    ("*", "hard", "9", "3", "D"),
    ("*", "hard", "11", "6", "D"),
    ("*", "hard", "18", "10", "S"),
    ("*", "soft", "17", "6", "D"),
    ("*", "soft", "18", "4", "Ds"),
    ("*", "soft", "18", "7", "S"),
    ("*", "soft", "18", "9", "H"),
    ("*", "soft", "18", "10", "H"),
    ("*", "soft", "20", "6", "S"),
    ("*", "pairs", "8", "7", "P"),
    ("*", "pairs", "9", "7", "S"),
    ("*", "pairs", "9", "10", "S"),
    ("*", "pairs", "9", "6", "P"),
    ("*", "pairs", "10", "6", "S"),
    ("*", "pairs", "A", "10", "P"),
    ("*", "pairs", "7", "7", "P"),
    ("*", "pairs", "4", "2", "H"),
    # 4-8 decks.
    ("4to8d", "hard", "9", "2", "H"),
    ("4to8d", "hard", "8", "6", "H"),
    ("4to8d", "soft", "13", "4", "H"),
    ("4to8d", "soft", "15", "4", "D"),
    ("4to8d", "soft", "17", "2", "H"),
    ("4to8d", "pairs", "6", "7", "H"),
    ("4to8d", "pairs", "7", "8", "H"),
    ("4to8d_s17_peek", "hard", "11", "A", "H"),
    ("4to8d_h17_peek", "hard", "11", "A", "D"),
    ("4to8d_s17", "soft", "18", "2", "S"),
    ("4to8d_h17", "soft", "18", "2", "Ds"),
    ("4to8d_s17", "soft", "19", "6", "S"),
    ("4to8d_h17", "soft", "19", "6", "Ds"),
    ("4to8d_das", "pairs", "2", "2", "P"),
    ("4to8d_das", "pairs", "6", "2", "P"),
    ("4to8d_nodas", "pairs", "2", "3", "H"),
    ("4to8d_nodas", "pairs", "3", "3", "H"),
    ("4to8d_nodas", "pairs", "2", "4", "P"),
    ("4to8d_nodas", "pairs", "6", "2", "H"),
    # Double deck.
    ("2d_peek", "hard", "11", "A", "D"),
    ("2d", "hard", "9", "2", "D"),
    ("2d", "hard", "8", "6", "H"),
    ("2d_das", "pairs", "6", "7", "P"),
    ("2d_s17", "soft", "18", "A", "H"),
    # Single deck.
    ("1d_peek", "hard", "11", "A", "D"),
    ("1d", "hard", "8", "5", "D"),
    ("1d", "hard", "8", "6", "D"),
    ("1d", "hard", "9", "2", "D"),
    ("1d", "soft", "13", "4", "D"),
    ("1d", "soft", "17", "2", "D"),
    ("1d", "soft", "19", "6", "Ds"),
    ("1d_s17", "soft", "18", "A", "S"),
    ("1d_h17", "soft", "18", "A", "H"),
    ("1d_das", "pairs", "4", "4", "P"),
    ("1d_das", "pairs", "3", "8", "P"),
    ("1d_das", "pairs", "7", "8", "P"),
    ("1d_nodas", "pairs", "4", "5", "D"),
    # Double after split.
    ("das", "pairs", "4", "5", "P"),
    ("das", "pairs", "2", "2", "P"),
    ("nodas", "pairs", "4", "5", "H|D"),
    ("nodas", "pairs", "4", "6", "H|D"),
    # Late surrender.
    ("ls", "hard", "16", "10", "Rh"),
    ("ls", "hard", "16", "A", "Rh"),
    ("ls", "hard", "14", "10", "H"),
    ("4to8d_ls", "hard", "15", "10", "Rh"),
    ("4to8d_ls", "hard", "16", "9", "Rh"),
    ("4to8d_s17_ls", "hard", "15", "A", "H"),
    ("4to8d_s17_ls", "hard", "17", "A", "S"),
    ("h17_ls", "hard", "15", "A", "Rh"),
    ("h17_ls", "hard", "17", "A", "Rs"),
    ("4to8d_h17_ls_peek", "pairs", "8", "A", "Rp"),
    ("s17_ls_peek", "pairs", "8", "A", "P"),
    ("ls_peek", "pairs", "8", "10", "P"),
    # Early surrender.
    ("es", "hard", "16", "10", "Rh"),
    ("es", "hard", "15", "10", "Rh"),
    ("es", "hard", "5", "A", "Rh"),
    ("es", "hard", "7", "A", "Rh"),
    ("es", "hard", "12", "A", "Rh"),
    ("es", "hard", "16", "A", "Rh"),
    ("es", "hard", "17", "A", "Rs"),
    ("es", "hard", "10", "A", "H"),
    ("es", "hard", "11", "A", "H|D"),
    ("es", "pairs", "3", "A", "Rh"),
    ("es", "pairs", "6", "A", "Rh"),
    ("es", "pairs", "7", "A", "Rh"),
    ("es_peek", "pairs", "8", "A", "Rp"),
    ("4to8d_es", "hard", "14", "10", "Rh"),
    ("4to8d_es", "pairs", "7", "10", "Rh"),
    ("2d_es", "hard", "14", "10", "Rh"),
    ("4to8d_es_peek", "pairs", "8", "10", "Rp"),
    # Hole card.
    ("peek", "hard", "11", "10", "D"),
    ("enhc", "hard", "11", "10", "H"),
    ("enhc", "hard", "11", "A", "H"),
    ("enhc", "pairs", "A", "A", "H"),
    ("enhc_nosurr", "pairs", "8", "10", "H"),
    ("enhc_nosurr", "pairs", "8", "A", "H"),
    ("enhc", "pairs", "8", "9", "P"),
    ("nosurr_peek", "pairs", "8", "A", "P"),
    ("nosurr_peek", "pairs", "A", "A", "P"),
]


@pytest.mark.parametrize(
    ("selector", "section", "row", "up", "allowed"),
    KNOWN_CELLS,
    ids=[f"{s}:{sec}{row}v{up}" for s, sec, row, up, _ in KNOWN_CELLS],
)
def test_known_cells(selector: str, section: str, row: str, up: str, allowed: str) -> None:
    families = matching(selector)
    assert families, selector
    wrong = {
        f: cell(f, section, row, up)
        for f in families
        if cell(f, section, row, up) not in allowed.split("|")
    }
    assert wrong == {}


def test_hard_17_and_up_stand_and_small_totals_hit_without_surrender() -> None:
    for family in matching("nosurr"):
        chart = load(family)
        for total in range(17, 22):
            assert chart["hard"][str(total)] == " ".join(["S"] * 10), (family, total)
        for total in ("20", "21"):
            assert chart["soft"][total] == " ".join(["S"] * 10), (family, total)
        for total in range(4, 8):
            assert chart["hard"][str(total)] == " ".join(["H"] * 10), (family, total)


def test_script_reproduces_the_bundled_charts(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(f"{f}.json" for f in FAMILIES)
    for family in FAMILIES:
        name = f"{family}.json"
        assert (tmp_path / name).read_bytes() == (CHARTS / name).read_bytes(), family
