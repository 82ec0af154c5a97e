"""The bet optimizer: the ramp that wins the most for a bankroll at a risk, from per-count figures.

A ramp is a bet ``b_i`` (whole betting units, per spot) for every true count ``i``. From a
simulated pass the engine knows, per count, its frequency ``p_i`` among the rounds played, the
EV per unit of the ramp's bet ``m_i`` and the second moment per unit² ``q_i`` (the result's
by-true-count rows; `count_figures`). A ramp then wins, per round played,

    μ = Σ p_i b_i m_i,   E[x²] = Σ p_i b_i² q_i,   σ² = E[x²] − μ²,

and a bankroll of B units is ruined with probability exp(−2μB/σ²) (the diffusion formula of
`jost_engine.risk`). The optimizer finds, among ramps that respect the table and the player's
constraints (`BetConstraints`), the one with

* a target risk of ruin r: the largest μ with exp(−2μB/σ²) ≤ r (at r = e⁻² = 13.5% this is the
  SCORE-optimal ramp);
* a Kelly fraction k: the largest μ − E[x²]/(2kB), the second-order expected log growth of a
  k-Kelly bettor, whose unconstrained answer is b_i = k·B·m_i/q_i (Kelly-proportional bets).

Without constraints both answers are proportional to edge over second moment, b_i = t·m_i/q_i,
for one scale t (Cauchy–Schwarz: that shape maximises μ²/E[x²], i.e. the DI). With them the
problem is, for a multiplier λ = 1/(2t), the separable concave programme

    maximise Σ p_i (b_i m_i − λ b_i² q_i)

over whole units lo ≤ b_i ≤ top (lo the table minimum in units, top the spread × lo capped by the
table maximum), bets that never fall as the count rises, and, optionally, no step up between
neighbouring counts larger than a cover factor. A dynamic programme over the counts solves it
exactly for each λ (`_dynamic_programme`). The Kelly objective is this programme with
λ = 1/(2kB); the risk target scans λ for the largest μ whose risk is within the target, then a
local search of one- and two-unit trades finishes the rounding (the risk constraint is not
separable, so the scan meets the discrete optimum only approximately: within one unit at a
count). The simplified ramp is the same programme restricted to a few round-number levels.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jost_engine.betting import spots_by_true_count
from jost_engine.config import Config
from jost_engine.table import TC_MAX

KELLY_RISK = math.exp(-2.0)  # the risk of ruin of full-Kelly betting, 13.5%
SIMPLE_LEVELS = 5  # levels of the simplified ramp
NICE_MANTISSAS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0)
_NEG = -np.inf


class BetOptimizerError(ValueError):
    """Constraints that no ramp can meet, or figures that cannot be optimised; the message says
    which constraint and by how much."""


@dataclass(frozen=True)
class CountFigures:
    """Per true count (running count for unbalanced systems): what a ramp is optimised from.

    ``ev`` and ``second_moment`` are per unit of the ramp's bet, so a round at count i with a
    bet of b units per spot wins b·ev[i] on average and b²·second_moment[i] in the square
    (several spots included: their figures are per spot-unit, the round's net over all spots).
    """

    true_count: np.ndarray  # int64, increasing
    rounds: np.ndarray  # int64: rounds played at the count
    frequency: np.ndarray  # share of the rounds played
    ev: np.ndarray
    ev_se: np.ndarray
    second_moment: np.ndarray
    spots: np.ndarray  # spots played at the count (each bets the ramp's bet)
    rounds_played: int
    played_share: float  # rounds played / rounds dealt (back-counting watches the rest)
    rounds_per_hour: float  # rounds dealt per hour

    @property
    def played_per_hour(self) -> float:
        return self.rounds_per_hour * self.played_share

    def moments(self, bets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(μ, E[x²]) per round of ``bets`` (the last axis runs over the counts)."""
        b = np.asarray(bets, dtype=float)
        return b @ (self.frequency * self.ev), (b * b) @ (self.frequency * self.second_moment)


def count_figures(result: Mapping[str, Any], config: Config) -> CountFigures:
    """The per-count figures of a result document (docs/config.md, "Result") and its config.

    Exact for any pass whose bet is a function of the integer count (every ramp the engine
    plays); the natural one is a flat one-unit pass. With spots by count, each count's figures
    are turned into figures per unit of the per-spot bet (× spots, × spots²).
    """
    rows = [r for r in result.get("by_true_count") or [] if r.get("rounds")]
    if not rows:
        raise BetOptimizerError("the result has no rounds by true count to optimise from")
    if any(r.get("second_moment_per_initial_bet") is None for r in rows):
        raise BetOptimizerError(
            "the result has no second moment per unit bet by true count (it comes from an "
            "older engine): run the game again"
        )
    counts = np.array([int(r["true_count"]) for r in rows], dtype=np.int64)
    spots = spots_by_true_count(config.betting, TC_MAX)[np.clip(counts, -TC_MAX, TC_MAX) + TC_MAX]
    played = int(result["rounds"])
    observed = int(result.get("rounds_observed") or played)
    return CountFigures(
        true_count=counts,
        rounds=np.array([int(r["rounds"]) for r in rows], dtype=np.int64),
        frequency=np.array([float(r["rounds"]) / played for r in rows]),
        ev=spots * np.array([float(r["ev_per_initial_bet"]) for r in rows]),
        ev_se=spots * np.array([float(r.get("ev_per_initial_bet_se") or 0.0) for r in rows]),
        second_moment=spots**2
        * np.array([float(r["second_moment_per_initial_bet"]) for r in rows]),
        spots=spots,
        rounds_played=played,
        played_share=played / observed if observed else 1.0,
        rounds_per_hour=float(config.simulation.rounds_per_hour),
    )


@dataclass(frozen=True)
class BetConstraints:
    """What the player asks for. Money (``unit``, ``table_min``, ``table_max``) in the casino's
    currency; ``bankroll`` in betting units. Give ``ror`` or ``kelly``; neither means the
    SCORE-optimal ramp (a risk of 13.5%).

    ``max_step`` (cover): a bet is at most ``max_step`` times the bet one count lower (rounded
    down to whole units, but always allowing one unit more). ``wong_out_below`` leaves the table
    below that count (it changes which rounds are played, so it is part of the measured pass).
    """

    bankroll: float
    ror: float | None = None
    kelly: float | None = None
    max_spread: float = 12.0
    unit: float = 1.0
    table_min: float = 1.0
    table_max: float = 500.0
    wong_out_below: float | None = None
    max_step: float | None = None

    @property
    def risk(self) -> float:
        """The risk of ruin aimed at (with a Kelly fraction: its diffusion risk, e^(−2/k))."""
        if self.kelly is not None:
            return math.exp(-2.0 / self.kelly)
        return KELLY_RISK if self.ror is None else self.ror

    def bet_range(self) -> tuple[int, int]:
        """(lowest, highest) bet in whole units; raises `BetOptimizerError` naming what fails."""
        self.check()
        lo = math.ceil(self.table_min / self.unit - 1e-9)
        top = min(
            math.floor(self.max_spread * lo + 1e-9), math.floor(self.table_max / self.unit + 1e-9)
        )
        return lo, top

    def check(self) -> None:
        problems = []
        if self.ror is not None and self.kelly is not None:
            problems.append("give a risk of ruin or a Kelly fraction, not both")
        if self.ror is not None and not 0 < self.ror < 1:
            problems.append(f"the risk of ruin must be between 0 and 1 (got {self.ror:g})")
        if self.kelly is not None and not 0 < self.kelly <= 1:
            problems.append(
                f"the Kelly fraction must be above 0 and at most 1 (got {self.kelly:g})"
            )
        if not self.max_spread >= 1:
            problems.append(f"the spread must be at least 1 (got {self.max_spread:g})")
        if self.max_step is not None and not self.max_step > 1:
            problems.append(f"the largest step must be a factor above 1 (got {self.max_step:g})")
        positive = {
            "unit": self.unit,
            "table minimum": self.table_min,
            "table maximum": self.table_max,
            "bankroll": self.bankroll,
        }
        for name, value in positive.items():
            if not value > 0:
                problems.append(f"the {name} must be positive (got {value:g})")
        if problems:
            raise BetOptimizerError("; ".join(problems))
        if self.table_max < self.table_min:
            raise BetOptimizerError(
                f"the table maximum ({self.table_max:g}) is below the table minimum "
                f"({self.table_min:g}) by {self.table_min - self.table_max:g}"
            )
        lo = math.ceil(self.table_min / self.unit - 1e-9)
        if lo * self.unit > self.table_max + 1e-9:
            raise BetOptimizerError(
                f"no whole number of units of {self.unit:g} lies between the table minimum "
                f"({self.table_min:g}) and maximum ({self.table_max:g}): the smallest legal "
                f"bet would be {lo * self.unit:g}, {lo * self.unit - self.table_max:g} above "
                "the maximum"
            )
        if self.bankroll < lo:
            raise BetOptimizerError(
                f"the bankroll ({self.bankroll:g} units) is smaller than the table minimum "
                f"({self.table_min:g} = {lo} units of {self.unit:g}) by "
                f"{_units(lo - self.bankroll)}"
            )


def _units(amount: float) -> str:
    return f"{amount:g} unit" + ("" if amount == 1 else "s")


@dataclass(frozen=True)
class Ramp:
    """Bets per count (``bets[i]`` units per spot at ``figures.true_count[i]``) and their
    figures by formula."""

    bets: np.ndarray
    ev_per_round: float
    second_moment: float
    risk_of_ruin: float

    @property
    def sd_per_round(self) -> float:
        return math.sqrt(max(self.second_moment - self.ev_per_round**2, 0.0))

    @property
    def score(self) -> float | None:
        sd = self.sd_per_round
        return 1e6 * (self.ev_per_round / sd) ** 2 if self.ev_per_round > 0 and sd > 0 else None


@dataclass(frozen=True)
class Optimum:
    """The optimal ramp, the ideal (unrounded, unconstrained-by-steps) bets, the simplified
    ramp, and how long the optimisation took."""

    constraints: BetConstraints
    lowest: int
    highest: int
    ramp: Ramp
    ideal: np.ndarray
    simplified: Ramp
    seconds: float
    counts: np.ndarray = field(repr=False)

    def steps(self, simplified: bool = False) -> list[dict[str, float]]:
        """The ramp in the form of ``betting.ramp``."""
        return ramp_steps(self.counts, (self.simplified if simplified else self.ramp).bets)

    def betting(self, base: Mapping[str, Any], simplified: bool = False) -> dict[str, Any]:
        """A ``betting`` section: ``base`` (the game's) with this ramp and the table."""
        c = self.constraints
        section = dict(base)
        section.update(
            unit=c.unit, table_min=c.table_min, table_max=c.table_max,
            ramp=self.steps(simplified),
        )  # fmt: skip
        if c.wong_out_below is not None:
            section["wong_out_below"] = c.wong_out_below
        return section


def risk_of_ruin(mu: np.ndarray, second: np.ndarray, bankroll: float) -> np.ndarray:
    """exp(−2μB/σ²), σ² = E[x²] − μ², elementwise; 1 without an edge."""
    var = np.maximum(second - mu * mu, 1e-300)
    with np.errstate(over="ignore", invalid="ignore"):
        risk = np.exp(-2.0 * mu * bankroll / var)
    return np.where(mu > 0, risk, 1.0)


def evaluate(figures: CountFigures, bets: np.ndarray, bankroll: float) -> Ramp:
    mu, second = figures.moments(bets)
    risk = float(risk_of_ruin(np.asarray(mu), np.asarray(second), bankroll))
    return Ramp(np.asarray(bets, dtype=np.int64), float(mu), float(second), risk)


def ramp_steps(counts: np.ndarray, bets: np.ndarray) -> list[dict[str, float]]:
    """``betting.ramp`` steps giving ``bets`` at ``counts``: a step where the bet changes; the
    first step (whose units also hold below it) one count before the first rise."""
    steps: list[dict[str, float]] = []
    for count, bet in zip(counts.tolist(), bets.tolist(), strict=True):
        if not steps or bet != steps[-1]["units"]:
            steps.append({"true_count": count, "units": bet})
    if len(steps) == 1:
        steps[0]["true_count"] = 0
    else:
        steps[0]["true_count"] = steps[1]["true_count"] - 1
    return steps


def bets_of_ramp(counts: np.ndarray, steps: Sequence[Mapping[str, float]]) -> np.ndarray:
    """The units a ``betting.ramp`` bets at each count (before the table's limits)."""
    ordered = sorted(steps, key=lambda s: s["true_count"])
    bets = np.full(counts.shape, float(ordered[0]["units"]))
    for step in ordered:
        bets[counts >= step["true_count"]] = float(step["units"])
    return bets


def nice_levels(lo: int, top: int, unit: float) -> np.ndarray:
    """Bets in units whose money is a round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8 × 10ⁿ)
    between ``lo`` and ``top``, with both ends."""
    chosen = {lo, top}
    for exponent in range(-2, 9):
        for mantissa in NICE_MANTISSAS:
            units = mantissa * 10.0**exponent / unit
            whole = round(units)
            if abs(units - whole) < 1e-9 and lo <= whole <= top:
                chosen.add(int(whole))
    return np.array(sorted(chosen), dtype=np.int64)


# --------------------------------------------------------------------------------------------
# The dynamic programme
# --------------------------------------------------------------------------------------------


def _window_starts(levels: np.ndarray, max_step: float | None) -> np.ndarray:
    """For each level j, the lowest level index j' from which a step up to j is allowed."""
    if max_step is None:
        return np.zeros(levels.size, dtype=np.int64)
    cap = np.maximum(levels + 1, np.floor(max_step * levels + 1e-9))
    # caps rise with the level, so the first j' whose cap reaches levels[j]
    return np.searchsorted(cap, levels, side="left").astype(np.int64)


def _range_max(f: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """max(f[..., start[j] : end[j] + 1]) for every j (−inf where the window is empty), by a
    sparse table over the last axis."""
    size = f.shape[-1]
    tables = [f]
    width = 1
    while 2 * width <= size:
        prev, nxt = tables[-1], np.full_like(f, _NEG)
        nxt[..., : size - 2 * width + 1] = np.maximum(
            prev[..., : size - 2 * width + 1], prev[..., width : size - width + 1]
        )
        tables.append(nxt)
        width *= 2
    length = end - start + 1
    empty = length <= 0
    k = np.floor(np.log2(np.maximum(length, 1))).astype(np.int64)
    by_position = np.moveaxis(np.stack(tables), -1, 1)  # (table, position, ...lead)
    left = by_position[k, np.where(empty, 0, start)]  # (window, ...lead)
    right = by_position[k, np.where(empty, 0, end - (1 << k) + 1)]
    best = np.moveaxis(np.maximum(left, right), 0, -1)
    return np.where(empty, _NEG, best)


def _dynamic_programme(
    a: np.ndarray,
    c: np.ndarray,
    levels: np.ndarray,
    lams: np.ndarray,
    starts: np.ndarray,
    max_levels: int | None,
) -> np.ndarray:
    """For every multiplier λ in ``lams``: the bets (one of ``levels`` per count) maximising
    Σ_i (a_i b_i − λ c_i b_i²) (a = p·m, c = p·q) with bets that never fall as the count rises,
    each step up from level j' to j allowed only when ``starts[j] <= j'``, and at most
    ``max_levels`` distinct levels (None: any). Returns (len(lams), counts) bets.

    f_i(k, j), the best sum over counts ≤ i ending at level j with k levels used, is the gain
    at i plus the best f_{i−1} it may follow: the same level, or (a new level) any level in the
    window [starts[j], j − 1]; without a limit on levels both are one window [starts[j], j].
    Windows are maxima of a sparse table, so a programme costs O(counts × levels × log levels).
    """
    n, size = a.size, levels.size
    lv = levels.astype(float)
    position = np.arange(size)
    limited = max_levels is not None
    depth = max_levels if max_levels is not None else 1
    prefix = not starts.any()

    def gain(i: int) -> np.ndarray:
        return a[i] * lv[None, :] - lams[:, None] * (c[i] * lv * lv)[None, :]

    f = np.full((lams.size, depth, size), _NEG)
    f[:, 0, :] = gain(0)
    history = [f]
    for i in range(1, n):
        if limited:
            best = f.copy()
            best[:, 1:, :] = np.maximum(f[:, 1:, :], _range_max(f[:, :-1, :], starts, position - 1))
        elif prefix:  # no cover: every lower level may precede, a running maximum
            best = np.maximum.accumulate(f, axis=-1)
        else:
            best = _range_max(f, starts, position)
        f = gain(i)[:, None, :] + best
        history.append(f)
    rows = np.arange(lams.size)
    choice = f.reshape(lams.size, -1).argmax(axis=1)
    k, j = choice // size, choice % size
    chosen = np.empty((lams.size, n), dtype=np.int64)
    chosen[:, n - 1] = j
    for i in range(n - 2, -1, -1):
        prev = history[i]
        lower = starts[j][:, None]
        if limited:
            stay = prev[rows, k, j]
            window = (position[None, :] >= lower) & (position[None, :] < j[:, None])
            up_values = np.where(
                window & (k[:, None] > 0), prev[rows, np.maximum(k - 1, 0), :], _NEG
            )
            up = up_values.argmax(axis=1)
            go_up = up_values[rows, up] > stay
            j, k = np.where(go_up, up, j), np.where(go_up, k - 1, k)
        else:
            window = (position[None, :] >= lower) & (position[None, :] <= j[:, None])
            j = np.where(window, prev[:, 0, :], _NEG).argmax(axis=1)
        chosen[:, i] = j
    return levels[chosen]


def _allowed(bets: np.ndarray, lo: int, top: int, max_step: float | None) -> np.ndarray:
    """Which rows of ``bets`` are ramps within the constraints."""
    ok = np.all((bets >= lo) & (bets <= top), axis=-1)
    ok &= np.all(bets[..., 1:] >= bets[..., :-1], axis=-1)
    if max_step is not None:
        cap = np.maximum(bets[..., :-1] + 1, np.floor(max_step * bets[..., :-1] + 1e-9))
        ok &= np.all(bets[..., 1:] <= cap, axis=-1)
    return ok


def _polish(
    figures: CountFigures, bets: np.ndarray, c: BetConstraints, lo: int, top: int
) -> np.ndarray:
    """Moves of one unit (one count up or down, one up and another down, a run of neighbouring
    counts up) while they raise the win rate within the risk target: the rounding the scan over
    λ leaves (a cover may need a run of counts raised together)."""
    n = bets.size
    eye = np.eye(n, dtype=np.int64)
    singles = np.concatenate([eye, -eye])
    ups, downs = np.nonzero(~np.eye(n, dtype=bool))
    first, last = np.triu_indices(n, 1)
    counts = np.arange(n)
    blocks = ((counts >= first[:, None]) & (counts <= last[:, None])).astype(np.int64)
    moves = np.concatenate([singles, eye[ups] - eye[downs], blocks])
    target = c.risk
    mu = float(figures.moments(bets)[0])
    for _ in range(10 * n):
        candidates = bets[None, :] + moves
        ok = _allowed(candidates, lo, top, c.max_step)
        mus, seconds = figures.moments(candidates)
        ok &= risk_of_ruin(mus, seconds, c.bankroll) <= target
        ok &= mus > mu + 1e-12 * max(abs(mu), 1.0)
        if not ok.any():
            break
        best = int(np.argmax(np.where(ok, mus, _NEG)))
        bets, mu = candidates[best], float(mus[best])
    return bets


# --------------------------------------------------------------------------------------------
# The optimizer
# --------------------------------------------------------------------------------------------


def _ratios(figures: CountFigures) -> np.ndarray:
    """Edge over second moment per count: the unconstrained optimal bet per unit of scale."""
    q = figures.second_moment
    return np.where(q > 0, figures.ev / np.where(q > 0, q, 1.0), 0.0)


def _scales(figures: CountFigures, lo: int, top: int, points: int) -> np.ndarray:
    """Scales t (bets = t·m/q) from every bet at the minimum to every edge at the maximum."""
    r = _ratios(figures)
    common = r[(r > 0) & (figures.frequency >= 1e-4)]
    if common.size == 0:
        common = r[r > 0]
    low = 0.25 * lo / float(r.max())
    # far past every edge at the maximum: with a cover, low counts must rise for high ones to
    high = max(4e3 * top / float(common.min()), 100.0 * low)
    return np.geomspace(low, high, points)


def _solve(
    figures: CountFigures,
    c: BetConstraints,
    levels: np.ndarray,
    max_levels: int | None,
    lo: int,
    top: int,
) -> tuple[np.ndarray, float]:
    """(bets, scale t) of the best ramp on ``levels``; `BetOptimizerError` when none meets the
    risk target."""
    a = figures.frequency * figures.ev
    q = figures.frequency * figures.second_moment
    starts = _window_starts(levels, c.max_step)
    if c.kelly is not None:
        scale = c.kelly * c.bankroll
        bets = _dynamic_programme(a, q, levels, np.array([0.5 / scale]), starts, max_levels)
        return bets[0], scale
    if not (figures.ev > 0).any():
        raise BetOptimizerError(_no_edge_message(figures, c))
    ts = _scales(figures, lo, top, 64)
    best_bets, best_t, best_mu, least = None, 0.0, _NEG, (math.inf, None)
    for _ in range(2):
        bets = _dynamic_programme(a, q, levels, 0.5 / ts, starts, max_levels)
        mus, seconds = figures.moments(bets)
        risks = risk_of_ruin(mus, seconds, c.bankroll)
        i_least = int(np.argmin(risks))
        if risks[i_least] < least[0]:
            least = (float(risks[i_least]), bets[i_least])
        feasible = np.nonzero(risks <= c.risk)[0]
        if feasible.size == 0:
            break
        i = int(feasible[np.argmax(mus[feasible])])
        if mus[i] > best_mu:
            best_bets, best_t, best_mu = bets[i], float(ts[i]), float(mus[i])
        ts = np.geomspace(ts[max(i - 1, 0)], ts[min(i + 1, ts.size - 1)], 48)
    if best_bets is None:
        raise BetOptimizerError(_too_risky_message(figures, c, least[0], least[1], lo))
    return best_bets, best_t


def optimize_bets(
    figures: CountFigures, constraints: BetConstraints, simple_levels: int = SIMPLE_LEVELS
) -> Optimum:
    """The optimal ramp for ``constraints`` (module docstring), its ideal bets and a simplified
    ramp of at most ``simple_levels`` round-number bets. Raises `BetOptimizerError` (which
    constraint, by how much) when no ramp meets them."""
    start = time.perf_counter()
    lo, top = constraints.bet_range()
    every = np.arange(lo, top + 1, dtype=np.int64)
    bets, scale = _solve(figures, constraints, every, None, lo, top)
    if constraints.kelly is None:
        bets = _polish(figures, bets, constraints, lo, top)
    levels = nice_levels(lo, top, constraints.unit)
    try:
        simple, _ = _solve(figures, constraints, levels, simple_levels, lo, top)
    except BetOptimizerError:  # round numbers alone cannot meet the target: the ramp's own
        simple = bets
    ideal = np.clip(scale * _ratios(figures), lo, top)
    return Optimum(
        constraints=constraints,
        lowest=lo,
        highest=top,
        ramp=evaluate(figures, bets, constraints.bankroll),
        ideal=ideal,
        simplified=evaluate(figures, simple, constraints.bankroll),
        seconds=time.perf_counter() - start,
        counts=figures.true_count,
    )


def _no_edge_message(figures: CountFigures, c: BetConstraints) -> str:
    return (
        f"no count of this game has an edge (the best is {100 * float(figures.ev.max()):+.2f}% "
        f"per unit bet at {int(figures.true_count[np.argmax(figures.ev)]):+d}): no ramp reaches "
        f"a risk of ruin of {c.risk:.1%}, ruin is certain"
    )


def _too_risky_message(
    figures: CountFigures, c: BetConstraints, least: float, bets: np.ndarray | None, lo: int
) -> str:
    text = (
        f"no ramp within the constraints (spread 1-{c.max_spread:g}, table {c.table_min:g} to "
        f"{c.table_max:g}, unit {c.unit:g}) reaches a risk of ruin of {c.risk:.1%} with a "
        f"bankroll of {c.bankroll:,.0f} units: the least risk any reaches is {least:.1%}, "
        f"{least - c.risk:.1%} above the target"
    )
    if bets is not None:
        mu, second = figures.moments(bets)
        if mu > 0:
            needed = -math.log(c.risk) * (second - mu * mu) / (2 * mu)
            text += (
                f"; that ramp would need a bankroll of {needed:,.0f} units "
                f"({needed - c.bankroll:,.0f} more)"
            )
        else:
            text += f" (at this spread the game has no edge: {float(mu):+.4f} units a round)"
    wider = [s for s in (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100)
             if s > c.max_spread]  # fmt: skip
    # a wider spread allows every ramp a narrower one does: bisect for the narrowest that works
    low, high = -1, len(wider)
    while high - low > 1:
        middle = (low + high) // 2
        if _reaches(figures, BetConstraints(**{**c.__dict__, "max_spread": float(wider[middle])})):
            high = middle
        else:
            low = middle
    if high < len(wider):
        return text + f"; a spread of 1-{wider[high]} would reach it"
    return text


def _reaches(figures: CountFigures, c: BetConstraints) -> bool:
    try:
        lo, top = c.bet_range()
        _solve(figures, c, np.arange(lo, top + 1, dtype=np.int64), None, lo, top)
    except BetOptimizerError:
        return False
    return True
