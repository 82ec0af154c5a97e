"""Optimal bets for a game, end to end and checked, not assumed (docs/optimizer.md).

`optimize_game` runs:

1. the **measurement pass**: the game flat at one unit a spot — its rules, strategy and index
   plays, count, penetration, back-counting and spots unchanged, ``wong_out_below`` from the
   constraints — whose by-true-count rows give the per-count figures (`count_figures`);
2. the **optimizer** (`bet_optimizer.optimize_bets`) on them;
3. a **pilot**: one traced shard of the proposed ramp on this machine, for the serial variance
   of the squared results that the SE of an SD needs (`ramp_figures.serial_variance`);
4. the **check**: the game re-simulated with the proposed ramp, a fresh seed, the bankroll and
   bankroll trips, whose measured figures stand beside the predicted ones with their SEs.

Passes 1 and 4 go through ``run(config, label)``, which returns the result document: here by
default, or on a service (the terminal passes its own runner).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from jost_engine.bet_optimizer import (
    BetConstraints,
    BetOptimizerError,
    CountFigures,
    bets_of_ramp,
    count_figures,
    optimize_bets,
    ramp_steps,
)
from jost_engine.betting import bet_by_true_count
from jost_engine.config import Betting, Config, ConfigError, config_digest, parse_config
from jost_engine.ramp_figures import (
    PILOT_ROUNDS,
    agreement,
    measured_moments,
    predicted_moments,
    ramp_figures,
    serial_variance,
)
from jost_engine.risk import ruin_within
from jost_engine.shards import plan_shards
from jost_engine.simulate import run_simulation_from_config
from jost_engine.table import TC_MAX
from jost_engine.version import ENGINE_VERSION

Runner = Callable[[Config, str], Mapping[str, Any]]
MEASURING = "measuring the counts"
CHECKING = "checking the ramp"
DOCUMENT_VERSION = 1


def run_here(config: Config, label: str) -> dict[str, Any]:
    """A pass on this machine's cores."""
    return run_simulation_from_config(config).to_dict()


def _config(document: dict[str, Any], what: str) -> Config:
    try:
        return parse_config(document)
    except ConfigError as exc:
        wording = "; ".join(f"{p.get('path')}: {p.get('message')}" for p in exc.problems)
        raise BetOptimizerError(f"the {what} is not a valid game: {wording}") from None


def fresh_seed(seed: int, offset: int) -> int:
    return (seed + offset) % 2**63


def measurement_config(
    config: Config, constraints: BetConstraints | None = None, rounds: int | None = None
) -> Config:
    """The game flat at one unit a spot, for the per-count figures (no bankroll, no trips)."""
    document = config.model_dump(mode="json")
    betting = document["betting"]
    betting.update(unit=1, table_min=1, table_max=1, ramp=[{"true_count": 0, "units": 1}])
    if constraints is not None and constraints.wong_out_below is not None:
        betting["wong_out_below"] = constraints.wong_out_below
    document["bankroll"]["units"] = None
    if rounds is not None:
        document["simulation"]["rounds"] = rounds
    return _config(document, "measurement pass")


def ramp_config(
    config: Config,
    betting: Mapping[str, Any],
    *,
    bankroll: float | None,
    trip_rounds: int | None = None,
    seed: int | None = None,
    rounds: int | None = None,
) -> Config:
    """The game with ``betting``, a bankroll and trips, another seed or length."""
    document = config.model_dump(mode="json")
    document["betting"] = dict(betting)
    document["bankroll"]["units"] = bankroll
    if trip_rounds is not None:
        document["bankroll"]["trip_rounds"] = trip_rounds
    if seed is not None:
        document["simulation"]["seed"] = seed
    if rounds is not None:
        document["simulation"]["rounds"] = rounds
    return _config(document, "ramp's game")


def check_trip_rounds(mu: float, sigma: float, bankroll: float, config: Config) -> int:
    """Trips long enough that 90% of the lifetime ruin has happened in them, but short enough
    that every shard of the check finishes a few (trips restart at each shard)."""
    shard = min(s.rounds for s in plan_shards(config))
    cap = max(100, min(shard // 3, config.simulation.rounds // 100))
    if mu <= 0 or sigma <= 0:
        return min(cap, 10_000)
    lifetime = math.exp(-2 * mu * bankroll / sigma**2)
    rounds = 1_000
    while rounds < cap and (ruin_within(mu, sigma, bankroll, rounds) or 0.0) < 0.9 * lifetime:
        rounds *= 2
    return min(rounds, cap)


def _game(config: Config) -> dict[str, Any]:
    return {"name": config.name, "config_digest": config_digest(config)}


def _count_rows(figures: CountFigures, columns: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    rows = []
    for i, count in enumerate(figures.true_count.tolist()):
        row: dict[str, Any] = {
            "true_count": count,
            "rounds": int(figures.rounds[i]),
            "frequency": float(figures.frequency[i]),
            "spots": int(figures.spots[i]),
            "ev_per_unit_bet": float(figures.ev[i]),
            "ev_per_unit_bet_se": float(figures.ev_se[i]),
            "second_moment_per_unit_bet": float(figures.second_moment[i]),
        }
        for name, values in columns.items():
            value = values[i]
            row[name] = int(value) if np.issubdtype(values.dtype, np.integer) else float(value)
        rows.append(row)
    return rows


def optimize_game(
    config: Config | dict[str, Any],
    constraints: BetConstraints,
    *,
    rounds: int | None = None,
    check: bool = True,
    trip_rounds: int | None = None,
    run: Runner = run_here,
    pilot_rounds: int = PILOT_ROUNDS,
    simple_levels: int = 5,
) -> dict[str, Any]:
    """The optimal-bets document (docs/optimizer.md): the ramp, its per-count figures, the
    simplified ramp, and the predicted beside the measured figures. Raises `BetOptimizerError`
    for constraints no ramp meets."""
    cfg = parse_config(config)
    constraints.check()
    measure_cfg = measurement_config(cfg, constraints, rounds)
    started = time.perf_counter()
    flat = run(measure_cfg, MEASURING)
    measure_s = time.perf_counter() - started
    figures = count_figures(flat, measure_cfg)
    optimum = optimize_bets(figures, constraints, simple_levels)
    base = {**measure_cfg.betting.model_dump(mode="json")}
    betting = optimum.betting(base)
    simple_betting = optimum.betting(base, simplified=True)
    seed = cfg.simulation.seed
    provisional = predicted_moments(figures, optimum.ramp.bets)
    bankroll = constraints.bankroll
    check_cfg = ramp_config(cfg, betting, bankroll=bankroll, seed=fresh_seed(seed, 1),
                            rounds=measure_cfg.simulation.rounds)  # fmt: skip
    trips = trip_rounds or check_trip_rounds(provisional.mu, provisional.sigma, bankroll, check_cfg)
    check_cfg = ramp_config(check_cfg, betting, bankroll=bankroll, trip_rounds=trips)
    tau = None
    pilot_rounds = min(pilot_rounds, max(measure_cfg.simulation.rounds, 200_000))
    if pilot_rounds:
        pilot = ramp_config(check_cfg, betting, bankroll=None, seed=fresh_seed(seed, 2))
        tau = serial_variance(pilot, pilot_rounds)
    predicted_m = predicted_moments(figures, optimum.ramp.bets, tau)
    predicted = ramp_figures(predicted_m, bankroll, trips)
    simple = ramp_figures(predicted_moments(figures, optimum.simplified.bets, tau), bankroll, trips)
    document: dict[str, Any] = {
        "document": "jost.optimal_bets",
        "schema_version": DOCUMENT_VERSION,
        "engine_version": ENGINE_VERSION,
        "game": _game(cfg),
        "constraints": _constraints(constraints, optimum.lowest, optimum.highest),
        "ramp": optimum.steps(),
        "betting": betting,
        "by_true_count": _count_rows(
            figures,
            {
                "ideal_units": optimum.ideal,
                "units": optimum.ramp.bets,
                "simplified_units": optimum.simplified.bets,
            },
        ),
        "predicted": predicted,
        "measured": None,
        "agreement": None,
        "simplified": {
            "levels": simple_levels,
            "ramp": optimum.steps(simplified=True),
            "betting": simple_betting,
            "predicted": simple,
            "score_given_up": _given_up(predicted["score"], simple["score"]),
            "win_rate_per_hour_given_up": _given_up(
                predicted["win_rate_per_hour"], simple["win_rate_per_hour"]
            ),
        },
        "optimizer_seconds": optimum.seconds,
        "passes": {
            "measurement": _pass(measure_cfg, flat, measure_s),
            "check": None,
            "pilot_rounds": pilot_rounds or None,
        },
    }
    if check:
        started = time.perf_counter()
        checked = run(check_cfg, CHECKING)
        check_s = time.perf_counter() - started
        measured_m = measured_moments(checked, check_cfg, tau)
        trip = (checked.get("risk") or {}).get("trip")
        measured = ramp_figures(measured_m, bankroll, trips, trip)
        document["measured"] = measured
        document["agreement"] = agreement(predicted, measured)
        document["passes"]["check"] = _pass(check_cfg, checked, check_s)
    return document


def _pass(config: Config, result: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    return {
        "rounds": config.simulation.rounds,
        "seed": config.simulation.seed,
        "config_digest": config_digest(config),
        "seconds": seconds,
        "simulation_s": result.get("elapsed_s"),
    }


def _given_up(best: Mapping[str, Any], simple: Mapping[str, Any]) -> dict[str, float | None]:
    if best.get("value") is None or simple.get("value") is None:
        return {"value": None, "share": None}
    lost = best["value"] - simple["value"]
    return {"value": lost, "share": lost / best["value"] if best["value"] else None}


def _constraints(c: BetConstraints, lowest: int, highest: int) -> dict[str, Any]:
    return {
        "bankroll_units": c.bankroll,
        "objective": "kelly" if c.kelly is not None else "risk_of_ruin",
        "ror": c.ror,
        "kelly": c.kelly,
        "risk_target": c.risk,
        "max_spread": c.max_spread,
        "unit": c.unit,
        "table_min": c.table_min,
        "table_max": c.table_max,
        "wong_out_below": c.wong_out_below,
        "max_step": c.max_step,
        "lowest_bet_units": lowest,
        "highest_bet_units": highest,
    }


def ramp_bets(betting: Betting, counts: np.ndarray) -> np.ndarray:
    """Units a spot the engine bets at each count with ``betting`` (table limits, rounding)."""
    table = bet_by_true_count(betting, TC_MAX)
    return table[np.clip(counts, -TC_MAX, TC_MAX) + TC_MAX]


def compare_ramps(
    config: Config | dict[str, Any],
    ramps: Mapping[str, Mapping[str, Any]],
    *,
    bankroll: float | None,
    rounds: int | None = None,
    run: Runner = run_here,
) -> dict[str, Any]:
    """Several ``betting`` sections (by name) on one measurement pass of the game: SCORE, DI,
    N0, win rate per hour and risk of each, predicted with their SEs (docs/optimizer.md)."""
    cfg = parse_config(config)
    measure_cfg = measurement_config(cfg, rounds=rounds)
    flat = run(measure_cfg, MEASURING)
    figures = count_figures(flat, measure_cfg)
    game_spots = (cfg.betting.spots, cfg.betting.spots_by_count)
    rows = []
    for name, section in ramps.items():
        betting = _config({**cfg.model_dump(mode="json"), "betting": dict(section)}, name).betting
        if (betting.spots, betting.spots_by_count) != game_spots:
            raise BetOptimizerError(
                f"the ramp {name!r} plays other spots than the game ({betting.spots} and "
                f"{len(betting.spots_by_count)} spots steps against {cfg.betting.spots} and "
                f"{len(cfg.betting.spots_by_count)}): the game's pass cannot price it"
            )
        if betting.wong_out_below != measure_cfg.betting.wong_out_below or (
            betting.wong_in_at != measure_cfg.betting.wong_in_at
        ):
            raise BetOptimizerError(
                f"the ramp {name!r} backcounts otherwise than the game (wong_in_at, "
                "wong_out_below): the game's pass cannot price it"
            )
        bets = ramp_bets(betting, figures.true_count)
        steps = ramp_steps(figures.true_count, bets)
        rows.append(
            {
                "name": name,
                "ramp": steps,
                "unit": betting.unit,
                "spread": float(bets.max() / bets.min()),
                "figures": ramp_figures(predicted_moments(figures, bets), bankroll),
            }
        )
    return {
        "document": "jost.ramp_comparison",
        "schema_version": DOCUMENT_VERSION,
        "engine_version": ENGINE_VERSION,
        "game": _game(cfg),
        "bankroll_units": bankroll,
        "measurement": _pass(measure_cfg, flat, float(flat.get("elapsed_s") or 0.0)),
        "ramps": rows,
    }


__all__ = [
    "CHECKING",
    "MEASURING",
    "BetConstraints",
    "BetOptimizerError",
    "bets_of_ramp",
    "compare_ramps",
    "measurement_config",
    "optimize_game",
    "ramp_config",
    "run_here",
]
