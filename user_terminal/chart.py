"""Charts of a result: EV by true count, and the bankroll after a session.

The result document has no simulated bankroll paths, so the bankroll chart is the normal
approximation every risk formula uses: after N rounds the bankroll is normal with mean
``N·EV`` and SD ``√N·SD`` (per round figures of the run). Labels say so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from user_terminal.errors import JostError
from user_terminal.render import MIN_COUNT_FREQUENCY

DEFAULT_SESSION_ROUNDS = 10_000


def ev_by_count(
    result: Mapping[str, Any], min_frequency: float = MIN_COUNT_FREQUENCY, per_bet: bool = False
) -> tuple[list[int], list[float], list[float]]:
    """(counts, EV, SE) of the counts seen in at least ``min_frequency`` of rounds: per round in
    units, or with ``per_bet`` per initial bet (a fraction of what was bet at that count)."""
    rows = [r for r in result.get("by_true_count", []) if r.get("frequency", 0) >= min_frequency]
    value, se = (
        ("ev_per_initial_bet", "ev_per_initial_bet_se") if per_bet else ("ev_per_round", "se")
    )
    return (
        [int(r["true_count"]) for r in rows],
        [float(r[value]) for r in rows],
        [float(r.get(se) or 0.0) for r in rows],
    )


def ev_label(per_bet: bool) -> str:
    return "EV per initial bet" if per_bet else "EV per round (units)"


def session_rounds(result: Mapping[str, Any]) -> int:
    trip = (result.get("risk") or {}).get("trip") or {}
    return int(trip.get("trip_rounds") or DEFAULT_SESSION_ROUNDS)


def bankroll_curve(
    result: Mapping[str, Any], rounds: int, points: int = 201
) -> tuple[list[float], list[float], float, float]:
    """(bankroll change, density, mean, sd) after ``rounds`` rounds (normal approximation)."""
    mean = float(result["ev_per_round"]["mean"]) * rounds
    sd = float(result["sd_per_round"]) * math.sqrt(rounds)
    if not sd > 0:
        raise JostError("the result has no spread (SD 0): nothing to draw for the bankroll")
    xs = [mean - 4 * sd + 8 * sd * i / (points - 1) for i in range(points)]
    ys = [math.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)) for x in xs]
    return xs, ys, mean, sd


def save_png(
    result: Mapping[str, Any],
    out: Path,
    title: str = "",
    rounds: int | None = None,
    per_bet: bool = False,
) -> Path:
    """Draw both charts into one PNG with matplotlib (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    counts, evs, ses = ev_by_count(result, per_bet=per_bet)
    rounds = rounds or session_rounds(result)
    xs, ys, mean, sd = bankroll_curve(result, rounds)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 8), constrained_layout=True)
    if title:
        figure.suptitle(title)
    if counts:
        colours = ["tab:green" if ev > 0 else "tab:red" for ev in evs]
        top.bar(counts, evs, yerr=ses, color=colours, capsize=2)
    else:
        top.text(0.5, 0.5, "no counts in the result", ha="center", transform=top.transAxes)
    top.axhline(0, color="black", linewidth=0.8)
    top.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts are whole numbers
    if per_bet:
        top.yaxis.set_major_formatter(PercentFormatter(1.0))
    top.set_xlabel("True count")
    top.set_ylabel(f"{ev_label(per_bet)} ± SE")
    top.set_title("EV by true count")
    bottom.plot(xs, ys, color="tab:blue")
    bottom.fill_between(xs, ys, where=[x < 0 for x in xs], color="tab:red", alpha=0.3)
    bottom.axvline(mean, color="black", linestyle="--", linewidth=0.8, label=f"mean {mean:+,.1f}")
    bottom.set_xlabel(f"Bankroll change after {rounds:,} rounds (units)")
    bottom.set_ylabel("Density")
    bottom.set_title(f"Bankroll distribution (normal approximation, SD {sd:,.1f} units)")
    bottom.legend()
    return write_png(figure, out)


def write_png(figure: Any, out: Path) -> Path:
    """Write a matplotlib figure as a PNG (its folder made if needed), then close it."""
    import matplotlib.pyplot as plt

    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        figure.savefig(out, format="png", dpi=100)
    except OSError as exc:
        raise JostError(f"cannot write the chart to {out}: {exc.strerror or exc}") from None
    finally:
        plt.close(figure)
    return out


def terminal_chart(
    result: Mapping[str, Any],
    width: int = 70,
    height: int = 14,
    title: str = "",
    per_bet: bool = False,
) -> str:
    """EV by true count as a plain-text bar chart (plotext), for the terminal UI: bars grow
    from zero, down for a count that loses."""
    import plotext as plt

    counts, evs, _ = ev_by_count(result, per_bet=per_bet)
    if per_bet:
        evs = [100 * ev for ev in evs]
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    what = "EV per initial bet (%)" if per_bet else "EV per round by true count"
    plt.title(f"{title}: {what}" if title else what)
    if counts:
        plt.bar([str(c) for c in counts], evs, minimum=0)
    plt.xlabel("true count")
    return plt.build()
