"""A study point's summary: the figures a player compares games by, from its result document.

Nothing is re-derived: EV, SE, SD and win rate per 100 rounds are the result's own; SCORE, DI,
N0, win rate per hour and risk of ruin are `risk.risk_figures` of the result's EV and SD per
round, for the study's bankroll (and, if given, another pace of play).
"""

from __future__ import annotations

from typing import Any

from jost_engine.result import Result
from jost_engine.risk import risk_figures


def summarize_point(
    result: Result | dict[str, Any],
    *,
    bankroll: float | None,
    hands_per_hour: float | None = None,
) -> dict[str, Any]:
    """The summary of one point (docs/study.md, "Summary"); ``hands_per_hour`` (rounds dealt per
    hour) defaults to the result's own ``simulation.rounds_per_hour``."""
    doc = result.to_dict() if isinstance(result, Result) else result
    ev_round = doc["ev_per_round"]
    played, observed = int(doc["rounds"]), int(doc.get("rounds_observed") or doc["rounds"])
    own_risk = doc.get("risk") or {}
    pace = hands_per_hour if hands_per_hour is not None else own_risk.get("rounds_per_hour", 100.0)
    mu = ev_round["mean"]
    sigma = doc["sd_per_round"]
    risk = risk_figures(
        mu if mu is not None else float("nan"),
        sigma if sigma is not None else float("nan"),
        bankroll_units=bankroll,
        rounds_per_hour=float(pace),
        played_share=played / observed if observed else 1.0,
    )
    ev_bet = doc["ev_per_initial_bet"]
    return {
        "rounds": played,
        "rounds_observed": observed,
        "ev_per_initial_bet": {"mean": ev_bet["mean"], "se": ev_bet["se"]},
        "ev_per_round": {"mean": mu, "se": ev_round["se"]},
        "sd_per_round": sigma,
        "win_rate_per_100_rounds": doc["win_rate_per_100_rounds"],
        "win_rate_per_hour": risk["win_rate_per_hour"],
        "rounds_per_hour": risk["rounds_per_hour"],
        "score": risk["score"],
        "di": risk["di"],
        "n0": risk["n0"],
        "bankroll_units": bankroll,
        "risk_of_ruin": risk["risk_of_ruin"],
    }
