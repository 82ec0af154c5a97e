"""Results: exact integer tallies from the kernel, and the statistics a player reads off them.

Shards return `Tally` objects (integers only, so merging is exact and order-free); a `Result` is
computed from one merged tally. Amounts are in betting units (the config's ``betting.unit``).
A round is one deal of the dealer's hand: with several spots its net result and its initial bet
are the sums over our spots, so per-round figures (EV, SD, risk) include the spots' correlation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.risk import risk_figures

SCHEMA_VERSION = 1
Z95 = 1.959963984540054

COUNTER_NAMES = {
    k.C_ROUNDS: "rounds",
    k.C_HANDS: "hands",
    k.C_INITIAL_BET: "initial_bet",
    k.C_WAGERED: "wagered",
    k.C_NET: "net",
    k.C_NET2: "net2",
    k.C_BET2: "bet2",
    k.C_NET_BET: "net_bet",
    k.C_BLACKJACK: "blackjack",
    k.C_WIN: "win",
    k.C_PUSH: "push",
    k.C_LOSS: "loss",
    k.C_SURRENDER: "surrender",
    k.C_BUST: "bust",
    k.C_DOUBLE: "double",
    k.C_SPLIT_ROUNDS: "split_rounds",
    k.C_INSURANCE: "insurance",
    k.C_DEALER_BJ: "dealer_blackjack",
    k.C_SHUFFLES: "shuffles",
    k.C_OBSERVED: "rounds_observed",
    k.C_TRIPS: "trips",
    k.C_TRIPS_RUINED: "trips_ruined",
}


@dataclass
class Tally:
    """Integer sums over rounds: what a shard produces and what merges exactly.

    ``net``-like sums are in ``scale`` units (``scale`` = 2 for 3:2, 10 for 6:5); ``by_tc`` maps
    a true count to ``[rounds, net, net², initial bet]``.
    """

    scale: int
    counters: dict[str, int] = field(default_factory=dict)
    by_tc: dict[int, list[int]] = field(default_factory=dict)
    elapsed_s: float = 0.0
    # each round's net (scale units) when run_shard(trace=True); for tests, never merged or sent
    trace: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_arrays(
        cls, scale: int, counters: np.ndarray, by_tc: np.ndarray, tc_max: int, elapsed_s: float
    ) -> Tally:
        names = {name: int(counters[i]) for i, name in COUNTER_NAMES.items()}
        rows = {
            int(i - tc_max): [int(v) for v in by_tc[i]] for i in np.nonzero(by_tc[:, k.T_ROUNDS])[0]
        }
        return cls(scale=scale, counters=names, by_tc=rows, elapsed_s=elapsed_s)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (big integers as strings would be safer in JS; Python keeps them exact)."""
        return {
            "scale": self.scale,
            "counters": dict(self.counters),
            "by_tc": {str(tc): row for tc, row in sorted(self.by_tc.items())},
            "elapsed_s": self.elapsed_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        return cls(
            scale=int(data["scale"]),
            counters={str(n): int(v) for n, v in data["counters"].items()},
            by_tc={int(tc): [int(v) for v in row] for tc, row in data["by_tc"].items()},
            elapsed_s=float(data.get("elapsed_s", 0.0)),
        )


def merge_tallies(parts: list[Tally]) -> Tally:
    """Exact sum of shard tallies (any order, any grouping gives the same integers)."""
    if not parts:
        raise ValueError("nothing to merge")
    scales = {p.scale for p in parts}
    if len(scales) != 1:
        raise ValueError(f"tallies from different games cannot merge (scales {sorted(scales)})")
    total = Tally(scale=parts[0].scale)
    for part in parts:
        for name, value in part.counters.items():
            total.counters[name] = total.counters.get(name, 0) + value
        for tc, row in part.by_tc.items():
            acc = total.by_tc.setdefault(tc, [0] * k.N_TC_COLS)
            for i, v in enumerate(row):
                acc[i] += v
        total.elapsed_s += part.elapsed_s
    return total


def _mean_se(n: int, s1: int, s2: int, scale: int) -> tuple[float, float, float]:
    """Mean, standard error and SD of per-round values from exact integer sums."""
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = s1 / scale / n
    if n < 2:
        return mean, math.nan, math.nan
    # exact integer numerator, one division: no cancellation however many rounds
    var = (n * s2 - s1 * s1) / (n * (n - 1)) / (scale * scale)
    return mean, math.sqrt(var / n), math.sqrt(var)


def _ratio_se(n: int, sx: int, sb: int, sxx: int, sxb: int, sbb: int, scale: int) -> float:
    """Delta-method SE of sum(x)/sum(b): the EV per unit of initial bet when bets vary."""
    if n < 2 or sb == 0:
        return math.nan
    # sum((x - r b)^2) with r = sx/sb, times sb^2 to stay in exact integers
    resid = (sxx * sb * sb - 2 * sx * sxb * sb + sx * sx * sbb) / (sb * sb) / (n - 1)
    mean_b = sb / n
    return math.sqrt(max(resid, 0.0) / n) / mean_b / scale


@dataclass
class Result:
    """A finished simulation's statistics (docs/config.md, "Result")."""

    tally: Tally
    config_digest: str
    engine_version: str
    elapsed_s: float
    bankroll_units: float | None = None
    rounds_per_hour: float = 100.0
    trip_rounds: int | None = None

    def to_dict(self) -> dict[str, Any]:
        t = self.tally
        c = t.counters
        s = t.scale
        n = c["rounds"]  # rounds played (with a bet out)
        observed = c.get("rounds_observed", n) or n  # rounds dealt, watched ones included
        per_round = n or 1
        hands = c["hands"]
        ev_round, se_round, sd_round = _mean_se(n, c["net"], c["net2"], s)
        ev_bet = c["net"] / s / c["initial_bet"] if c["initial_bet"] else math.nan
        se_bet = _ratio_se(n, c["net"], c["initial_bet"], c["net2"], c["net_bet"], c["bet2"], s)
        by_tc = []
        for tc, (rounds, net, net2, bet) in sorted(t.by_tc.items()):
            mean, se, _ = _mean_se(rounds, net, net2, s)
            by_tc.append(
                {
                    "true_count": tc,
                    "rounds": rounds,
                    "frequency": rounds / per_round,
                    "ev_per_round": mean,
                    "se": _finite(se),
                    "average_bet": bet / rounds,
                    "ev_per_initial_bet": net / s / bet,
                    **per_unit_bet(rounds, net2, bet, se, s),
                }
            )
        per_hand = hands or 1
        return {
            "schema_version": SCHEMA_VERSION,
            "engine_version": self.engine_version,
            "config_digest": self.config_digest,
            "rounds": n,
            "rounds_observed": observed,
            "hands": hands,
            "initial_wagered": float(c["initial_bet"]),
            "total_wagered": float(c["wagered"]),
            "net": c["net"] / s,
            "ev_per_initial_bet": {
                "mean": ev_bet,
                "se": _finite(se_bet),
                "ci95": [_finite(ev_bet - Z95 * se_bet), _finite(ev_bet + Z95 * se_bet)],
            },
            "ev_per_round": {"mean": _finite(ev_round), "se": _finite(se_round)},
            "sd_per_round": _finite(sd_round),
            "win_rate_per_100_rounds": _finite(100.0 * ev_round),
            "outcomes": {
                "blackjack": c["blackjack"] / per_hand,
                "win": c["win"] / per_hand,
                "push": c["push"] / per_hand,
                "loss": c["loss"] / per_hand,
                "surrender": c["surrender"] / per_hand,
                "bust": c["bust"] / per_hand,
                "double": c["double"] / per_hand,
                "split": c["split_rounds"] / per_round,
                "insurance_taken": c["insurance"] / per_round,
                "dealer_blackjack": c["dealer_blackjack"] / per_round,
            },
            "by_true_count": by_tc,
            "risk": risk_figures(
                ev_round,
                sd_round,
                bankroll_units=self.bankroll_units,
                rounds_per_hour=self.rounds_per_hour,
                played_share=n / observed if observed else 1.0,
                trips=c.get("trips", 0),
                trips_ruined=c.get("trips_ruined", 0),
                trip_rounds=self.trip_rounds,
            ),
            "shuffles": c["shuffles"],
            "elapsed_s": self.elapsed_s,
            "rounds_per_second": observed / self.elapsed_s if self.elapsed_s > 0 else None,
        }


def per_unit_bet(rounds: int, net2: int, bet: int, se: float, scale: int) -> dict[str, Any]:
    """A true count's figures per unit of initial bet, the input of a bet optimizer.

    Inside one true-count row the bet is constant: the kernel looks the bet up by that very
    (clipped) integer count, and spots by count likewise. So with b = bet / rounds the EV per
    unit bet is Σx / Σb (``ev_per_initial_bet``), its SE is the row's SE / b, and the second
    moment per unit bet E[(x/b)²] = Σx² · rounds / (scale² · (Σb)²), exact from the integer sums
    (one division of integers), so it merges across shards like the sums it comes from.
    """
    return {
        "ev_per_initial_bet_se": _finite(se * rounds / bet),
        "second_moment_per_initial_bet": (net2 * rounds) / (scale * scale * bet * bet),
    }


def _finite(x: float) -> float | None:
    """JSON has no NaN: an undefined statistic (one round) is null."""
    return None if math.isnan(x) else x
