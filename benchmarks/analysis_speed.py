"""Exact-analyzer speed: a full analysis (optimal chart + exact EVs) of one rule set, cold.

"Cold" means no chart cache (a fresh ``JOST_CACHE_DIR`` and an empty in-memory cache); the
compiled kernels are loaded once first (numba caches them on disk) and that load is reported
on its own line. The analyzer is single-threaded, so every figure is one core's. Prints one
``key value`` line per figure.

    python benchmarks/analysis_speed.py [--repeat N]

Targets (issue 4): a 6-deck rule set under 5 s, an infinite deck under 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

CASES = {
    "6d_s17_das_ls_peek": {"decks": 6},
    "6d_h17_das_nosurr_peek": {"decks": 6, "dealer_hits_soft_17": True, "surrender": "none"},
    "8d_h17_nodas_es_enhc": {"decks": 8, "dealer_hits_soft_17": True, "double_after_split": False,
                             "surrender": "early", "dealer_peeks": False},
    "2d_s17_das_nosurr_peek": {"decks": 2, "surrender": "none"},
    "1d_h17_das_nosurr_peek": {"decks": 1, "dealer_hits_soft_17": True, "surrender": "none"},
    "infinite_s17_das_ls_peek": {"infinite_deck": True},
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (best is kept)")
    args = parser.parse_args()
    os.environ["JOST_CACHE_DIR"] = tempfile.mkdtemp(prefix="jost-bench-")

    from jost_engine.analysis import chart_cache
    from jost_engine.analysis.basic_strategy import generate_chart
    from jost_engine.analysis.game_value import game_value
    from jost_engine.analysis.hand_values import Policy, new_dealer_memo
    from jost_engine.chart_vocabulary import UP_VALUES
    from jost_engine.config import Rules
    from jost_engine.strategy import decision_tables

    print(f"python {platform.python_version()}")
    print(f"machine {platform.machine()} cpus {os.cpu_count()}")
    start = time.perf_counter()
    generate_chart(Rules(decks=1, max_split_hands=2))  # loads every compiled kernel
    print(f"analysis.kernel_load_s {time.perf_counter() - start:.2f}")
    for name, rules in CASES.items():
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            chart_cache._memory.clear()
            r = Rules(**rules)
            t0 = time.perf_counter()
            memos = {up: new_dealer_memo() for up in UP_VALUES}  # as analyze() shares them
            chart, steps = generate_chart(r, memos)
            t1 = time.perf_counter()
            cd = game_value(r, dealer_memos=memos).ev
            t2 = time.perf_counter()
            td = game_value(r, Policy(*decision_tables(chart, r)), dealer_memos=memos).ev
            t3 = time.perf_counter()
            run = {"chart_s": t1 - t0, "cd_ev_s": t2 - t1, "chart_ev_s": t3 - t2,
                   "total_s": t3 - t0}  # fmt: skip
            if not best or run["total_s"] < best["total_s"]:
                best = run
        for key, value in best.items():
            print(f"analysis.{name}.{key} {value:.2f}")
        print(f"analysis.{name}.policy_iterations {steps}")
        print(f"analysis.{name}.ev_composition {cd:+.6f}")
        print(f"analysis.{name}.ev_chart {td:+.6f}")


if __name__ == "__main__":
    main()
