"""The config's pydantic models: rules, strategy, counting, betting, bankroll, simulation.

Strict on purpose: a config decides money-like results, so ``"6"`` is not a deck count,
``true`` is not ``1`` and a misspelt field is an error rather than a silently ignored key.
Validators raise messages written for a player (`wording` rewrites pydantic's own).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from jost_engine.chart_vocabulary import (
    CHART_TOKENS,
    HARD_HANDS,
    HARD_ROWS,
    PAIR_HANDS,
    PAIR_ROWS,
    PAIRS_ONLY_TOKENS,
    SOFT_HANDS,
    SOFT_ROWS,
    TAGGED_RANKS,
    UP_CARDS,
)
from jost_engine.config.errors import ConfigError, show
from jost_engine.config.vocabulary import (
    ALL_HANDS,
    JOST_ERROR,
    NAMED_SYSTEMS,
    SCHEMA_VERSION,
    TAG_NAMED,
    TAG_OBJECT,
)
from jost_engine.config.wording import problems, register_paths


def _error(message: str) -> PydanticCustomError:
    """A validation error whose message is shown to the user verbatim."""
    return PydanticCustomError(JOST_ERROR, "{msg}", {"msg": message})


def _fail(problems: list[tuple[tuple[str | int, ...], str]], value: Any) -> None:
    """Raise several errors at once, each at a location relative to the field being validated."""
    raise ValidationError.from_exception_data(
        "Config",
        [InitErrorDetails(type=_error(msg), loc=loc, input=value) for loc, msg in problems],
    )


def _redetail(err: Any) -> InitErrorDetails:
    """Turn one entry of ``ValidationError.errors()`` back into raisable error details."""
    kind = err["type"]
    detail: dict[str, Any] = {"loc": err["loc"], "input": err.get("input")}
    if kind != JOST_ERROR:
        try:
            ValidationError.from_exception_data(
                "probe", [{"type": kind, "loc": (), "input": None, "ctx": err.get("ctx") or {}}]
            )
        except Exception:
            kind = PydanticCustomError(kind, "{msg}", {"msg": err["msg"]})
        else:
            if err.get("ctx"):
                detail["ctx"] = err["ctx"]
    else:
        kind = _error(err["msg"])
    detail["type"] = kind
    return InitErrorDetails(**detail)  # type: ignore[typeddict-item]


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

# Every count in a config (true, running, index, wonging) lies within this: a shoe of 8 decks
# counted with the largest tags reaches a few hundred, and the kernel keeps counts as integers.
MAX_COUNT = 1000
# The largest bankroll, in units: the kernel keeps a trip's bankroll as a 64-bit integer of
# money units (a few per betting unit), so this leaves room far beyond any real bankroll.
MAX_BANKROLL_UNITS = 1e15


class _Model(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable and exact."""

    model_config = _STRICT


class Rules(_Model):
    """The table rules; the engine plays exactly these, so every rule is spelled out."""

    decks: int = Field(6, ge=1, le=8, description="Decks in the shoe.")
    infinite_deck: bool = Field(
        False, description="Analysis only: draw from an infinite deck (no card removal)."
    )
    dealer_hits_soft_17: bool = Field(False, description="H17 when true, S17 when false.")
    blackjack_payout: float = Field(
        1.5, gt=0, le=10, description="Payout of a natural: 1.5 is 3:2, 1.2 is 6:5."
    )
    double_on: Literal["any_two", "9_10_11", "10_11"] = Field(
        "any_two", description="Two-card totals that may be doubled (the last two: hard only)."
    )
    double_after_split: bool = Field(True, description="Doubling allowed after a split (DAS).")
    max_split_hands: int = Field(
        4, ge=1, le=8, description="Most hands a player may split to; 1 means no splitting."
    )
    resplit_aces: bool = Field(False, description="Aces may be split again (RSA).")
    hit_split_aces: bool = Field(False, description="Split aces may draw more than one card.")
    surrender: Literal["none", "late", "early"] = Field(
        "late", description="Surrender: none, late (after the peek) or early (before it)."
    )
    dealer_peeks: bool = Field(
        True, description="The dealer checks for blackjack; false is European no-hole-card."
    )
    dealer_blackjack_takes: Literal["all_bets", "original_bets"] = Field(
        "all_bets",
        description="Without a peek, what a dealer blackjack takes: all bets or only the original.",
    )
    insurance_offered: bool = Field(True, description="Insurance is offered against an ace.")
    penetration: float = Field(
        0.75, ge=0.1, le=0.95, description="Share of the shoe dealt before a cut-card shuffle."
    )
    shuffle: Literal["cut_card", "continuous"] = Field(
        "cut_card", description="cut_card reshuffles at penetration; continuous is a CSM."
    )

    @field_validator("blackjack_payout")
    @classmethod
    def _payout_is_a_ratio(cls, value: float) -> float:
        """Payouts are quoted as ratios (3:2, 6:5); an arbitrary float is almost surely a typo."""
        ratio = Fraction(value).limit_denominator(1000)
        if abs(float(ratio) - value) > 1e-9:
            raise _error(
                "blackjack_payout must be a ratio such as 1.5 (3:2) or 1.2 (6:5), "
                f"got {show(value)}"
            )
        return value


# --------------------------------------------------------------------------------------------
# Strategy: charts and deviations
# --------------------------------------------------------------------------------------------


def _row_validator(pairs: bool) -> Callable[[Any], tuple[str, ...]]:
    """Build the validator of one chart row; ``P`` and ``Rp`` are legal only in pairs rows."""

    def validate(value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            tokens = value.split()
        elif isinstance(value, list | tuple):
            bad = [i + 1 for i, token in enumerate(value) if not isinstance(token, str)]
            if bad:
                first = value[bad[0] - 1]
                raise _error(
                    f'every token must be text such as "H"; entry {bad[0]} is {show(first)}'
                )
            tokens = list(value)
        else:
            raise _error(
                'expected a row: ten space-separated tokens such as "H H S S S H H H H H" '
                f"(or a list of ten tokens), got {show(value)}"
            )
        if len(tokens) != 10:
            raise _error(f"expected 10 tokens (dealer 2..10, A), got {len(tokens)}")
        problems = []
        for up, token in zip(UP_CARDS, tokens, strict=True):
            if token not in CHART_TOKENS:
                problems.append(
                    f"unknown token {show(token)} under dealer {up} "
                    f"(tokens are {' '.join(CHART_TOKENS)})"
                )
            elif token in PAIRS_ONLY_TOKENS and not pairs:
                problems.append(f'"{token}" under dealer {up} is only allowed in pairs rows')
        if problems:
            raise _error("; ".join(problems))
        return tuple(tokens)

    return validate


def _row_schema(pairs: bool) -> dict[str, Any]:
    tokens = list(CHART_TOKENS) if pairs else [t for t in CHART_TOKENS if t not in {"P", "Rp"}]
    alternatives = "|".join(tokens)
    return {
        "description": "Ten actions, one per dealer up card 2..10, A.",
        "oneOf": [
            {"type": "string", "pattern": rf"^\s*({alternatives})(\s+({alternatives})){{9}}\s*$"},
            {"type": "array", "items": {"enum": tokens}, "minItems": 10, "maxItems": 10},
        ],
    }


def _rows_model(title: str, keys: tuple[str, ...], pairs: bool) -> type[BaseModel]:
    """A model with one required field per row key, used to validate a chart section."""
    row = Annotated[
        tuple[str, ...],
        PlainValidator(_row_validator(pairs)),
        WithJsonSchema(_row_schema(pairs)),
    ]
    fields: dict[str, Any] = {f"row_{key}": (row, Field(alias=key)) for key in keys}
    return create_model(title, __config__=_STRICT, **fields)


def _section(title: str, keys: tuple[str, ...], pairs: bool, what: str) -> Any:
    """The annotated type of a chart section: a ``{row: tokens}`` dict checked row by row."""
    model = _rows_model(title, keys, pairs)

    def validate(value: Any) -> dict[str, tuple[str, ...]]:
        rows = model.model_validate(value)
        return {key: getattr(rows, f"row_{key}") for key in keys}

    schema = model.model_json_schema()
    schema["description"] = what
    return Annotated[
        dict[str, tuple[str, ...]],
        PlainValidator(validate),
        PlainSerializer(lambda rows: {k: " ".join(v) for k, v in rows.items()}, when_used="json"),
        WithJsonSchema(schema),
    ]


class Chart(_Model):
    """A basic-strategy chart (docs/charts.md); rows are normalised to tuples of ten tokens.

    In JSON output every row is written back as the space-separated string of the chart format.
    """

    name: str = Field("custom", description="Human-readable name of the chart.")
    source: str | None = Field(None, description="Where the chart comes from.")
    hard: _section("HardRows", HARD_ROWS, False, "Hard totals 4..21.")  # type: ignore[valid-type]
    soft: _section("SoftRows", SOFT_ROWS, False, "Soft totals 12..21 (soft 12 is A,A unsplit).")  # type: ignore[valid-type]
    pairs: _section("PairRows", PAIR_ROWS, True, "Pairs 2..10 and A.")  # type: ignore[valid-type]

    def __hash__(self) -> int:
        # Frozen models hash their fields, but dicts are unhashable; hash the rows instead so
        # a Config holding a chart can still key a cache.
        rows = (tuple(self.hard.items()), tuple(self.soft.items()), tuple(self.pairs.items()))
        return hash((self.name, self.source, rows))


def _check_hand(value: Any) -> Any:
    if isinstance(value, str) and value in ALL_HANDS:
        return value
    raise _error(
        f'unknown hand {show(value)}; use a hard total "4".."21", a soft hand '
        '"A2".."A9" or "AA", or a pair "2,2".."10,10" or "A,A"'
    )


# str to type checkers; the validator admits exactly the hands of the vocabulary.
_Hand = Annotated[
    str,
    PlainValidator(_check_hand),
    WithJsonSchema({"enum": list(HARD_HANDS + SOFT_HANDS + PAIR_HANDS), "type": "string"}),
]


class Deviation(_Model):
    """One index play: play ``action`` when the true count is at/above (or below) a threshold."""

    hand: _Hand = Field(
        description='Hard total "16", soft hand "A7" ("AA" is soft 12) or pair "8,8".'
    )
    dealer_up: Literal["2", "3", "4", "5", "6", "7", "8", "9", "10", "A"] = Field(
        description="The dealer's up card."
    )
    action: Literal["hit", "stand", "double", "split", "surrender"]
    at_or_above: float | None = Field(
        None, ge=-MAX_COUNT, le=MAX_COUNT, description="Deviate when true count >= this."
    )
    below: float | None = Field(
        None, ge=-MAX_COUNT, le=MAX_COUNT, description="Deviate when true count < this."
    )

    @model_validator(mode="wrap")
    @classmethod
    def _one_threshold(cls, data: Any, handler: Callable[[Any], Deviation]) -> Deviation:
        """Exactly one threshold, and splits only for pairs; reported with the field errors."""
        extra: list[tuple[tuple[str | int, ...], str]] = []
        if isinstance(data, dict):
            given = [k for k in ("at_or_above", "below") if data.get(k) is not None]
            if len(given) != 1:
                extra.append(
                    ((), "give exactly one of 'at_or_above' or 'below' (the index threshold)")
                )
            hand = data.get("hand")
            if (
                data.get("action") == "split"
                and isinstance(hand, str)
                and hand in ALL_HANDS
                and hand not in PAIR_HANDS
            ):
                extra.append(
                    (("action",), f'"split" needs a pair hand such as "8,8", not {show(hand)}')
                )
        try:
            result = handler(data)
        except ValidationError as exc:
            details = [_redetail(e) for e in exc.errors(include_url=False)]
            details += [InitErrorDetails(type=_error(m), loc=loc, input=data) for loc, m in extra]
            raise ValidationError.from_exception_data("Deviation", details) from None
        if extra:
            _fail(extra, data)
        return result


def _union_tag(model: type[BaseModel]) -> Callable[[Any], str | None]:
    def pick(value: Any) -> str | None:
        if isinstance(value, str):
            return TAG_NAMED
        if isinstance(value, dict | model):
            return TAG_OBJECT
        return None

    return pick


_DeviationItem = Annotated[
    Annotated[Literal["illustrious_18", "fab_4"], Tag(TAG_NAMED)]
    | Annotated[Deviation, Tag(TAG_OBJECT)],
    Discriminator(
        _union_tag(Deviation),
        custom_error_type=JOST_ERROR,
        custom_error_message='expected a named set ("illustrious_18", "fab_4") or an index play '
        'object such as {"hand": "16", "dealer_up": "10", "action": "stand", "at_or_above": 0}',
    ),
]

_Basic = Annotated[
    Annotated[Literal["auto"], Tag(TAG_NAMED)] | Annotated[Chart, Tag(TAG_OBJECT)],
    Discriminator(
        _union_tag(Chart),
        custom_error_type=JOST_ERROR,
        custom_error_message='expected "auto" or a chart object',
    ),
]


class Strategy(_Model):
    """How the hands are played: basic strategy plus optional count-based deviations."""

    basic: _Basic = Field(
        "auto", description='"auto" (correct basic strategy for the rules) or a chart object.'
    )
    deviations: tuple[_DeviationItem, ...] = Field(
        (), strict=False, description="Index plays or named sets (illustrious_18, fab_4)."
    )
    take_insurance_at_true_count: float | None = Field(
        None,
        ge=-MAX_COUNT,
        le=MAX_COUNT,
        description="Take insurance at or above this true count; null never takes it.",
    )
    index_numbers: Literal["counting_system", "hi_lo"] = Field(
        "counting_system",
        description="Whose numbers the named sets play: counting_system, the count in play "
        "(Hi-Lo's published and computed sets for hi_lo, the exact analyzer's for any other "
        "count and these rules, cached on disk), or hi_lo, the Hi-Lo numbers whatever the "
        "count (an explicit choice).",
    )


# --------------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------------


class TrueCountMethod(_Model):
    """How the running count becomes a true count (players estimate; the engine copies them)."""

    rounding: Literal["floor", "truncate", "nearest"] = "floor"
    deck_estimation: Literal["exact", "half_deck", "full_deck"] = "half_deck"


_Tag = Annotated[float, Field(ge=-4, le=4, multiple_of=0.5)]
_TagValues: type[BaseModel] = create_model(
    "CardTags",
    __config__=_STRICT,
    **{f"card_{key}": (_Tag, Field(alias=key)) for key in TAGGED_RANKS},  # type: ignore[call-overload]
)


def _validate_tags(value: Any) -> dict[str, float]:
    tags = _TagValues.model_validate(value)
    return {key: getattr(tags, f"card_{key}") for key in TAGGED_RANKS}


class CustomTags(_Model):
    """A home-made count: one tag per rank (2..9, 10 for all ten-value cards, A)."""

    tags: Annotated[
        dict[str, float],
        PlainValidator(_validate_tags),
        WithJsonSchema(_TagValues.model_json_schema()),
    ] = Field(description="Tag of each rank, a multiple of 0.5 within -4..4.")

    def __hash__(self) -> int:
        return hash(tuple(self.tags.items()))


_System = Annotated[
    Annotated[Literal[NAMED_SYSTEMS], Tag(TAG_NAMED)]  # type: ignore[valid-type]
    | Annotated[CustomTags, Tag(TAG_OBJECT)],
    Discriminator(
        _union_tag(CustomTags),
        custom_error_type=JOST_ERROR,
        custom_error_message='expected a named system such as "hi_lo" or {"tags": {...}}',
    ),
]


class Counting(_Model):
    """The card-counting system and how it converts to a true count."""

    system: _System = Field("hi_lo", description="A named system or custom tags.")
    true_count: TrueCountMethod = TrueCountMethod()
    initial_running_count: float | None = Field(
        None,
        ge=-MAX_COUNT,
        le=MAX_COUNT,
        description="Running count after a shuffle; null: the system's own "
        "(KO 4 - 4 x decks, Red 7 -2 x decks, 0 for balanced counts).",
    )
    ace_side_count: bool = Field(
        False,
        description="Keep a side count of aces and adjust the betting count by the aces above "
        "or below one in 13 of the cards remaining (ace-neutral counts: hi_opt_1, hi_opt_2, "
        "omega_2, or custom tags with the ace at 0).",
    )

    @field_validator("ace_side_count")
    @classmethod
    def _ace_neutral(cls, value: bool, info: ValidationInfo) -> bool:
        """An ace side count only makes sense beside a count that leaves the ace out."""
        system = info.data.get("system")
        if not value or system is None:
            return value
        tags = system if isinstance(system, str) else None
        if tags is not None and tags not in ("hi_opt_1", "hi_opt_2", "omega_2"):
            raise _error(
                f"an ace side count goes with an ace-neutral count (hi_opt_1, hi_opt_2, "
                f'omega_2 or custom tags with "A": 0); {tags} counts the ace itself'
            )
        if tags is None and (system.tags.get("A") != 0 or system.tags.get("10") == 0):
            raise _error(
                'an ace side count needs custom tags with "A": 0 and a non-zero "10" tag '
                "(the side count weighs each ace like a ten)"
            )
        return value


# --------------------------------------------------------------------------------------------
# Betting, bankroll, simulation
# --------------------------------------------------------------------------------------------


class RampStep(_Model):
    """From this true count up (to the next step), bet this many units."""

    true_count: float = Field(
        ge=-MAX_COUNT,
        le=MAX_COUNT,
        description="Running count for unbalanced systems (KO, Red 7).",
    )
    units: float = Field(gt=0, description="Bet in betting units.")


class SpotsStep(_Model):
    """From this true count up (to the next step), play this many hands (spots)."""

    true_count: float = Field(
        ge=-MAX_COUNT,
        le=MAX_COUNT,
        description="Running count for unbalanced systems (KO, Red 7).",
    )
    spots: int = Field(ge=1, le=3, description="Hands played each round, 1 to 3.")


def _increasing_steps(steps: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    """Steps of a count-indexed table (ramp, spots) must go in strictly increasing count."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for i in range(1, len(steps)):
        before, now = steps[i - 1].true_count, steps[i].true_count
        if now <= before:
            problems.append(
                (
                    (i, "true_count"),
                    f"{what} step {i} has true_count {now:g}, which must be greater than "
                    f"step {i - 1}'s {before:g} (steps go in increasing count)",
                )
            )
    if problems:
        _fail(problems, steps)
    return steps


MAX_BET_UNITS = 1e9  # the largest bet, in units, a table may allow


class Betting(_Model):
    """The bet spread: a ramp over the true count, table limits, wonging and spots."""

    unit: float = Field(1, gt=0, description="Size of one betting unit.")
    table_min: float = Field(1, gt=0)
    # checked against table_min even when left at its default (a table_min of 1000 alone is
    # a table whose minimum is over its maximum)
    table_max: float = Field(500, gt=0, validate_default=True)
    ramp: tuple[RampStep, ...] = Field(
        (RampStep(true_count=0, units=1),),
        min_length=1,
        strict=False,
        description="Steps in strictly increasing true_count; below the first, its units.",
    )
    wong_out_below: float | None = Field(
        None, ge=-MAX_COUNT, le=MAX_COUNT, description="Leave the table below this count."
    )
    wong_in_at: float | None = Field(
        None, ge=-MAX_COUNT, le=MAX_COUNT, description="Enter the table at this count."
    )
    spots: int = Field(1, ge=1, le=3, description="Hands played each round.")
    spots_by_count: tuple[SpotsStep, ...] = Field(
        (),
        strict=False,
        description="Spots by true count: from each step's true_count up, its spots; below the "
        "first step (or with no steps), `spots`. Each spot bets the ramp's bet.",
    )

    @field_validator("table_max")
    @classmethod
    def _max_not_below_min(cls, value: float, info: ValidationInfo) -> float:
        low = info.data.get("table_min")
        if low is not None and value < low:
            raise _error(f"table_max ({value:g}) must be at least table_min ({low:g})")
        unit = info.data.get("unit")
        if unit is not None and not value / unit <= MAX_BET_UNITS:
            # bets are whole units: a table of more units than this overflows their arithmetic
            raise _error(
                f"table_max ({value:g}) is more than {MAX_BET_UNITS:g} units of {unit:g}: "
                "use a larger unit"
            )
        return value

    @field_validator("ramp")
    @classmethod
    def _ramp_increasing(cls, steps: tuple[RampStep, ...]) -> tuple[RampStep, ...]:
        """A ramp is a step function of the count; out-of-order steps would be ambiguous."""
        return _increasing_steps(steps, "ramp")

    @field_validator("spots_by_count")
    @classmethod
    def _spots_increasing(cls, steps: tuple[SpotsStep, ...]) -> tuple[SpotsStep, ...]:
        """Spots by count is a step function of the count, like the ramp."""
        return _increasing_steps(steps, "spots")

    @field_validator("wong_in_at")
    @classmethod
    def _wong_order(cls, value: float | None, info: ValidationInfo) -> float | None:
        out = info.data.get("wong_out_below")
        if value is not None and out is not None and out > value:
            raise _error(
                f"wong_in_at ({value:g}) must be at least wong_out_below ({out:g}), "
                "or the player would leave as soon as they sit down"
            )
        return value


class Bankroll(_Model):
    """The bankroll for risk of ruin; null means no ruin is modelled."""

    units: float | None = Field(
        None, gt=0, le=MAX_BANKROLL_UNITS, description="Bankroll in betting units, or null."
    )
    trip_rounds: int = Field(
        10_000,
        ge=1,
        le=10**9,
        description="With a bankroll: rounds in each simulated trip for the measured risk of ruin.",
    )


class Simulation(_Model):
    """How long to run and from which seed; the same config and seed give the same result."""

    rounds: int = Field(1_000_000, ge=1, le=10**12)
    seed: int = Field(20261124, ge=0, le=2**63 - 1)
    players_at_table: int = Field(1, ge=1, le=7)
    rounds_per_hour: float = Field(
        100, gt=0, le=10_000, description="Rounds played per hour, for win rate per hour."
    )


# --------------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------------


def _check_version(value: Any) -> int:
    if type(value) is int and value == SCHEMA_VERSION:
        return value
    raise _error(
        f"unsupported schema_version {show(value)}; this engine reads schema_version "
        f"{SCHEMA_VERSION}"
    )


class Config(_Model):
    """The fully-hydrated simulation config (docs/config.md, schema_version 1)."""

    schema_version: Annotated[
        Literal[1],
        PlainValidator(_check_version),
        WithJsonSchema({"const": SCHEMA_VERSION, "type": "integer"}),
    ] = Field(SCHEMA_VERSION, description="Version of this JSON contract; only 1 exists.")
    name: str = Field(
        "",
        description="A label for people; not used by the engine. Left out or blank, the game is "
        'named from its rules and play, e.g. "1D S17 DOA DAS 6:5 75%, flat".',
    )
    rules: Rules = Rules()
    strategy: Strategy = Strategy()
    counting: Counting = Counting()
    betting: Betting = Betting()
    bankroll: Bankroll = Bankroll()
    simulation: Simulation = Simulation()

    def with_overrides(self, rounds: int | None = None, seed: int | None = None) -> Config:
        """This config with another length or seed (validated; raises ConfigError)."""
        updates = {k: v for k, v in (("rounds", rounds), ("seed", seed)) if v is not None}
        if not updates:
            return self
        try:
            simulation = Simulation.model_validate({**self.simulation.model_dump(), **updates})
        except ValidationError as exc:
            raise ConfigError(problems(exc, prefix=("simulation",))) from None
        return self.model_copy(update={"simulation": simulation})


# Which model (or row/tag vocabulary) sits at a path; "*" stands for a list index.
register_paths(
    {
        "": Config,
        "rules": Rules,
        "strategy": Strategy,
        "strategy.basic": Chart,
        "strategy.basic.hard": HARD_ROWS,
        "strategy.basic.soft": SOFT_ROWS,
        "strategy.basic.pairs": PAIR_ROWS,
        "strategy.deviations.*": Deviation,
        "counting": Counting,
        "counting.system": CustomTags,
        "counting.system.tags": TAGGED_RANKS,
        "counting.true_count": TrueCountMethod,
        "betting": Betting,
        "betting.ramp.*": RampStep,
        "bankroll": Bankroll,
        "simulation": Simulation,
    }
)
