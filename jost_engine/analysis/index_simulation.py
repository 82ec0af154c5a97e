"""Index numbers by simulation, as SBA and BJStrike find them: the second, independent method.

For one play (say 16 v 10, stand against the hit it replaces) the compiled loop (`_index_sim`)
deals many shoes: the cell's two-card hand (chosen with its chance off the top, as
`indices.IndexCell` weighs them) and the up card come out, the seen cards are shuffled out to
the depth asked for (half the shoe for a true count; a depth drawn evenly from the top to the
cut card for a running count, as a cut-card game deals), the playing count is read (the hand
and up card among the seen cards, the hole card not), and the round is played both ways from the
same unseen cards: common random numbers, so most of the luck cancels in the difference.
Later decisions follow the chart (the exact method plays them best for the exact cards).

The crossing is where the mean difference changes sign: a least-squares quadratic in the count
over a window around it, ±3 true counts (scaled to the count's spread; a running count's window
is that times the fewest decks remaining it is read at) after a first run over every count,
then ±1.5 around the crossing found. Its standard error is the delta method's, from the
fit's covariance: ``Var(x*) = g Σ gᵀ`` with ``g = −(1, u, u²) / (c₁ + 2 c₂ u)`` at the root ``u`` of
``c₀ + c₁ u + c₂ u²``. More shoes are dealt until the SE is under the precision asked for (0.3
of a true count by default; for a running count 0.3 times the mean decks remaining, the same
precision in true-count terms).

The surrender plays are compared with the chart's play without surrender (the exact method: the
best other play; the same play wherever the two cross).

Limit: over every depth of the shoe (a running count's default) the mean difference at a count
mixes depths whose counts mean different shoes, a curve no quadratic fits well far from the
pivot; there the SE it reports can be half the spread of repeated runs (KO's 13 v 2 at −14:
SE 0.7, runs spread 1.5). At one depth (``decks_remaining``) the SE is the spread of runs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.analysis import _index_sim as kernel
from jost_engine.analysis import basic_chart
from jost_engine.analysis.hand_values import DOUBLE, HIT, SPLIT, STAND, SURRENDER
from jost_engine.analysis.indices import (
    Depth,
    IndexCell,
    default_depth,
    integer_index,
)
from jost_engine.analysis.shoe_at_count import (
    HI_LO,
    PER_DECK,
    TYPE_RANK,
    CountSystem,
    ShoeDepths,
)
from jost_engine.config import Rules
from jost_engine.strategy import chart_row, decision_tables, may_double_on, resolve_token

CODES = {STAND: kernel.STAND, HIT: kernel.HIT, DOUBLE: kernel.DOUBLE, SPLIT: kernel.SPLIT,
         SURRENDER: kernel.SURRENDER}  # fmt: skip
NAMES = {code: name for name, code in CODES.items()}
WINDOW = 3.0  # half-width of the first fitted window, in true counts (scaled)
NARROW = 1.5  # and of the last one
PILOT = 40_000  # pairs of the first run over every count
BATCH = 100_000  # pairs of each later run
STREAMS = 16
PRECISION = 0.3


@dataclass(frozen=True)
class SimulatedIndex:
    """A simulated index: like `indices.IndexValue`, with the crossing's standard error and
    the rounds it took (``trials`` kept, of ``shoes`` dealt)."""

    hand: str
    dealer_up: str
    action: str
    alternative: str
    crossing: float | None
    se: float | None
    direction: Literal["at_or_above", "below"]
    count: Literal["true", "running"]
    decks_remaining: float
    trials: int
    shoes: int
    seconds: float

    @property
    def index(self) -> int | None:
        return integer_index(self.crossing, self.count)

    def deviation(self) -> dict[str, Any]:
        return {"hand": self.hand, "dealer_up": self.dealer_up, "action": self.action,
                self.direction: self.index}  # fmt: skip


class _Setup:
    """The arrays the kernel reads for one play."""

    def __init__(
        self, rules: Rules, cell: IndexCell, count: CountSystem, depth: Depth, up: int
    ) -> None:
        self.up = up
        chart = basic_chart(rules)
        self.dec = decision_tables(chart, rules)[0]
        decks = rules.decks
        rest: list[np.ndarray] = []
        weights, known_tag, p1s, p2s = [], [], [], []
        tags = np.array(count.tags)
        for n, (i, j) in enumerate(cell.hands):
            for seen, chance in cell.known[n]:
                left = (PER_DECK * decks - seen).astype(np.int64)
                rest.append(np.repeat(np.arange(len(PER_DECK)), left))
                weights.append(cell.weights[n] * chance)
                known_tag.append(float(seen @ tags))
                p1s.append(i + 1)
                p2s.append(j + 1)
        self.decks = np.array(rest, dtype=np.int64)
        self.n = self.decks.shape[1]
        self.cumulative = np.cumsum(weights) / sum(weights)
        self.known_tag = np.array(known_tag)
        self.p1s = np.array(p1s, dtype=np.int64)
        self.p2s = np.array(p2s, dtype=np.int64)
        self.value_of = np.array([r + 1 for r in TYPE_RANK], dtype=np.int64)
        self.tag_of = tags
        if isinstance(depth, ShoeDepths):  # the seen cards, the known among them: evenly
            self.m_lo, self.m_hi = 0, round(depth.penetration * 52 * decks) - 3
            self.unit = depth.mean
            self.window = min(depth.decks_remaining)
        else:
            self.m_lo = self.m_hi = self.n - round(52 * depth)
            self.unit = 1.0 if count.balanced else depth
            self.window = self.unit
        self.rules = np.zeros(kernel.N_RULES, dtype=np.int64)
        self.rules[kernel.R_H17] = rules.dealer_hits_soft_17
        self.rules[kernel.R_PEEK] = rules.dealer_peeks
        self.rules[kernel.R_TAKES_ALL] = rules.dealer_blackjack_takes == "all_bets"
        self.rules[kernel.R_MAX_HANDS] = rules.max_split_hands
        self.rules[kernel.R_RSA] = rules.resplit_aces
        self.rules[kernel.R_HSA] = rules.hit_split_aces
        self.rules[kernel.R_SURRENDER] = {"none": 0, "late": 1, "early": 2}[rules.surrender]


def simulated_alternative(rules: Rules, cell: IndexCell, hand: str, dealer_up: str) -> str:
    """The play the simulation compares with: the cell's, or for a surrender index the
    chart's play without surrender."""
    if cell.action != SURRENDER:
        return cell.alternative
    i, j = cell.hands[0]
    total = i + j + 2
    soft = 0 in (i, j) and total <= 11
    value = total + 10 if soft else total
    token = chart_row(basic_chart(rules), "soft" if soft else "hard", str(value))[
        9 if dealer_up == "A" else int(dealer_up) - 2
    ]
    may_double = may_double_on(rules, soft, value)
    play = resolve_token(token, may_double, False)
    return {k.A_HIT: HIT, k.A_STAND: STAND, k.A_DOUBLE: DOUBLE}[play]


def _fit(
    x: np.ndarray, y: np.ndarray, center: float, unit: float, degree: int
) -> tuple[float, float, float]:
    """(root, its SE, the slope there) of the least-squares line (``degree`` 1) or quadratic
    (2) of y on the count near ``center``; the root nearest the centre. Counts in units of
    ``unit``."""
    u = (x - center) / unit
    design = np.column_stack([np.ones_like(u), u, u * u])
    if degree == 1:
        design[:, 2] = 0.0
        design = design[:, :2]
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    sigma2 = float(residual @ residual) / max(len(y) - design.shape[1], 1)
    cov = np.zeros((3, 3))
    cov[: design.shape[1], : design.shape[1]] = sigma2 * np.linalg.inv(design.T @ design)
    c0, c1 = float(coef[0]), float(coef[1])
    c2 = float(coef[2]) if degree == 2 else 0.0
    root = -c0 / c1 if c1 != 0 else math.inf
    if abs(c2) > 1e-12 and c1 * c1 - 4 * c2 * c0 >= 0:
        disc = math.sqrt(c1 * c1 - 4 * c2 * c0)
        roots = [(-c1 + disc) / (2 * c2), (-c1 - disc) / (2 * c2)]
        root = min(roots, key=abs)
    slope = c1 + 2 * c2 * root
    if not math.isfinite(root) or slope == 0:
        return math.inf, math.inf, 0.0
    g = -np.array([1.0, root, root * root]) / slope
    se = math.sqrt(max(float(g @ cov @ g), 0.0))
    return center + unit * root, unit * se, slope


def _run(
    setup: _Setup,
    count: CountSystem,
    actions: tuple[int, int],
    window: tuple[float, float],
    pairs: int,
    seed: np.random.SeedSequence,
) -> tuple[np.ndarray, np.ndarray, int]:
    """``pairs`` (count, difference) pairs in ``window`` (fewer if the shoes run out)."""
    per = math.ceil(pairs / STREAMS)
    out_x = np.zeros(per * STREAMS)
    out_y = np.zeros(per * STREAMS)
    out_n = np.zeros(STREAMS, dtype=np.int64)
    out_attempts = np.zeros(STREAMS, dtype=np.int64)
    seeds = seed.generate_state(STREAMS, np.uint64)
    kernel.simulate(
        setup.decks, setup.cumulative, setup.known_tag, setup.p1s, setup.p2s,
        setup.up, setup.value_of, setup.tag_of, count.irc, count.balanced, setup.m_lo,
        setup.m_hi, window[0], window[1], actions[0], actions[1], setup.rules, setup.dec,
        per, 200 * per, seeds, out_x, out_y, out_n, out_attempts,
    )  # fmt: skip
    keep = np.concatenate([np.arange(s * per, s * per + out_n[s]) for s in range(STREAMS)])
    return out_x[keep], out_y[keep], int(out_attempts.sum())


class _Search:
    """Deal in a window around a centre, fit, recentre, until the crossing's SE is small."""

    def __init__(
        self,
        setup: _Setup,
        count: CountSystem,
        actions: tuple[int, int],
        seeds: Any,
        target: float,
    ) -> None:
        self.setup, self.count, self.actions, self.seeds = setup, count, actions, seeds
        self.target = target
        self.xs: list[np.ndarray] = []
        self.ys: list[np.ndarray] = []
        self.crossing = self.se = math.inf
        self.slope = 0.0
        self.kept = self.shoes = 0

    def run(self, center: float, half: float, degree: int, stop: float, most: int) -> float:
        """Fit within ``center ± half`` until the SE is under ``stop`` × the target (or
        ``most`` pairs are in the window); returns the last centre. ``degree``: 1 a line, 2 a
        quadratic."""
        pairs = BATCH
        for _ in range(40):
            if not math.isfinite(center):
                return center
            window = (center - half, center + half)
            bx, by, dealt = _run(self.setup, self.count, self.actions, window, pairs,
                                 next(self.seeds))  # fmt: skip
            self.shoes += dealt
            self.xs.append(bx)
            self.ys.append(by)
            ax, ay = np.concatenate(self.xs), np.concatenate(self.ys)
            inside = np.abs(ax - center) <= half
            self.kept = int(inside.sum())
            if self.kept < 1000:
                self.crossing = math.inf
                return center
            self.crossing, self.se, self.slope = _fit(
                ax[inside], ay[inside], center, self.setup.unit, degree
            )
            if not math.isfinite(self.crossing):
                return center
            if abs(self.crossing - center) > half / 3:  # recentre the window on the crossing
                center = float(np.clip(self.crossing, center - half, center + half))
                pairs = BATCH
                continue
            goal = stop * self.target
            if self.se <= goal or self.kept >= most:
                return center
            # the SE falls as 1/sqrt(pairs): deal about what the precision still needs
            wanted = math.ceil(self.kept * ((self.se / goal) ** 2 * 1.1 - 1.0))
            pairs = int(min(max(wanted, BATCH), most - self.kept))
        return center


def simulate_index(
    rules: Rules,
    hand: str,
    dealer_up: str,
    action: str,
    count: CountSystem = HI_LO,
    decks_remaining: Depth | None = None,
    precision: float = PRECISION,
    seed: int = 20261124,
    max_pairs: int = 3_000_000,
) -> SimulatedIndex:
    """The simulated index of a play (see the module docstring): dealt until the crossing's
    SE is at most ``precision`` true counts (or ``max_pairs`` rounds were kept)."""
    start = time.perf_counter()
    depth = default_depth(rules, count) if decks_remaining is None else decks_remaining
    cell = IndexCell(rules, hand, dealer_up, action, count)
    alternative = simulated_alternative(rules, cell, hand, dealer_up)
    setup = _Setup(rules, cell, count, depth, 1 if dealer_up == "A" else int(dealer_up))
    actions = (CODES[action], CODES[alternative])
    root_seed = np.random.SeedSequence(seed, spawn_key=(_play_key(hand, dealer_up, action),))
    children = iter(root_seed.spawn(1000))
    x, y, shoes = _run(setup, count, actions, (-math.inf, math.inf), PILOT, next(children))
    u = (x - x.mean()) / setup.unit
    slope, intercept = np.polyfit(u, y, 1)
    center = float(x.mean() - setup.unit * intercept / slope) if slope != 0 else math.inf
    if math.isfinite(center):  # start where the counts are, moving out as the fits say
        center = float(np.clip(center, *np.quantile(x, [0.002, 0.998])))
    search = _Search(setup, count, actions, children, precision * setup.unit)
    search.shoes = shoes
    # first a wide window, to find the crossing; then a narrower one around it, where the
    # quadratic bends less with the mixture of depths a running count reads
    for half, degree, stop in ((WINDOW, 2, 2.0), (NARROW, 2, 1.0)):
        center = search.run(center, half * count.scale * setup.window, degree, stop, max_pairs)
    crossing, se, fitted_slope, kept, shoes = (search.crossing, search.se, search.slope,
                                               search.kept, search.shoes)  # fmt: skip
    half = NARROW * count.scale * setup.window
    found = math.isfinite(crossing) and abs(crossing - center) <= half
    return SimulatedIndex(
        hand=hand,
        dealer_up=dealer_up,
        action=action,
        alternative=alternative,
        crossing=crossing if found else None,
        se=se if found else None,
        direction="at_or_above" if fitted_slope >= 0 else "below",
        count="true" if count.balanced else "running",
        decks_remaining=depth.mean if isinstance(depth, ShoeDepths) else depth,
        trials=kept,
        shoes=shoes,
        seconds=time.perf_counter() - start,
    )


def _play_key(hand: str, dealer_up: str, action: str) -> int:
    """A stable number for a play, so each play draws its own shoes from one seed."""
    text = f"{hand}|{dealer_up}|{action}"
    return sum((n + 1) * ord(c) for n, c in enumerate(text))
