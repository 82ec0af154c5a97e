"""The config's own words: its version, the named systems and sets, and the tags of its unions.

(The chart's words, shared with the analyzer and the terminal, are `jost_engine.chart_vocabulary`.)
"""

from typing import Literal

from jost_engine.chart_vocabulary import HARD_HANDS, PAIR_HANDS, SOFT_HANDS

SCHEMA_VERSION: Literal[1] = 1

ALL_HANDS: frozenset[str] = frozenset(HARD_HANDS + SOFT_HANDS + PAIR_HANDS)

NAMED_SYSTEMS: tuple[str, ...] = (
    "hi_lo",
    "ko",
    "hi_opt_1",
    "hi_opt_2",
    "omega_2",
    "zen",
    "wong_halves",
    "red_7",
)
NAMED_DEVIATION_SETS: tuple[str, ...] = ("illustrious_18", "fab_4")

# The named systems as players write them (titles, tables, charts).
SYSTEM_LABELS: dict[str, str] = {
    "hi_lo": "Hi-Lo",
    "ko": "KO",
    "hi_opt_1": "Hi-Opt I",
    "hi_opt_2": "Hi-Opt II",
    "omega_2": "Omega II",
    "zen": "Zen",
    "wong_halves": "Wong Halves",
    "red_7": "Red 7",
}

# Tags of the models' tagged unions; they appear in pydantic's error locations and are removed
# from the paths reported to the user.
TAG_NAMED = "<named>"
TAG_OBJECT = "<object>"
UNION_TAGS = frozenset({TAG_NAMED, TAG_OBJECT})

# The pydantic error type of messages written here, shown to the user verbatim.
JOST_ERROR = "jost"
