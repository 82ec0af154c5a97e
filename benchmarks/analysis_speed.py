"""Exact-analyzer speed: a full analysis (optimal chart + exact EVs) of one rule set, cold.

Every case runs in a fresh Python process with no chart cache (a fresh ``JOST_CACHE_DIR``), so
each figure includes what a first analysis pays: the imports and loading the compiled kernels.
Numba's on-disk cache is warm (a first process fills it and is not timed) unless
``--numba-cold``, which gives every case an empty ``NUMBA_CACHE_DIR`` (everything compiles).
The analyzer is single-threaded, so every figure is one core's. Prints one ``key value`` line
per figure; ``cold_s`` is imports + chart + composition-dependent EV from the process's start,
``cold_eor_s`` that plus the effects of removal (ten more analyses; finite decks, with
``--eor`` for all cases, else the first only), ``process_s`` the whole child process's wall time.

    python benchmarks/analysis_speed.py [--repeat N] [--eor] [--numba-cold]

Targets (issue 17): a 6-deck rule set, chart + composition-dependent EV in a cold process,
under 1 s; with the effects of removal under 3 s; an infinite deck under 0.2 s (analysis,
after the imports: ``analysis_s``).
"""

from __future__ import annotations

import time

_START = time.perf_counter()  # the child's figures count from here, before any import

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

CASES = {
    "6d_s17_das_ls_peek": {"decks": 6},
    "6d_h17_das_nosurr_peek": {"decks": 6, "dealer_hits_soft_17": True, "surrender": "none"},
    "8d_h17_nodas_es_enhc": {"decks": 8, "dealer_hits_soft_17": True, "double_after_split": False,
                             "surrender": "early", "dealer_peeks": False},
    "2d_s17_das_nosurr_peek": {"decks": 2, "surrender": "none"},
    "1d_h17_das_nosurr_peek": {"decks": 1, "dealer_hits_soft_17": True, "surrender": "none"},
    "infinite_s17_das_ls_peek": {"infinite_deck": True},
}  # fmt: skip


def child(name: str, eor: bool) -> None:
    """One cold analysis of case ``name``; prints its figures as one JSON line."""
    from jost_engine.analysis import effects_of_removal
    from jost_engine.analysis.basic_strategy import generate_chart
    from jost_engine.analysis.game_value import game_value
    from jost_engine.analysis.hand_values import Policy, new_dealer_memo
    from jost_engine.chart_vocabulary import UP_VALUES
    from jost_engine.config import Rules
    from jost_engine.strategy import decision_tables

    t0 = time.perf_counter()
    r = Rules(**CASES[name])
    memos = {up: new_dealer_memo() for up in UP_VALUES}  # as analyze() shares them
    chart, steps = generate_chart(r, memos)
    t1 = time.perf_counter()
    cd = game_value(r, dealer_memos=memos).ev
    t2 = time.perf_counter()
    td = game_value(r, Policy(*decision_tables(chart, r)), dealer_memos=memos).ev
    t3 = time.perf_counter()
    out = {"import_s": t0 - _START, "chart_s": t1 - t0, "cd_ev_s": t2 - t1,
           "chart_ev_s": t3 - t2, "analysis_s": t3 - t0, "cold_s": t2 - _START}  # fmt: skip
    if eor and not r.infinite_deck:
        effects_of_removal(r, dealer_memos=memos, base=cd)  # as analyze() calls it
        t4 = time.perf_counter()
        out["eor_s"] = t4 - t3
        out["cold_eor_s"] = out["cold_s"] + out["eor_s"]
    out |= {"policy_iterations": steps, "ev_composition": cd, "ev_chart": td}
    print(json.dumps(out))


def run_child(name: str, eor: bool, env: dict[str, str]) -> dict[str, float]:
    """``child`` in a fresh process with an empty chart cache; its figures and wall time."""
    env = {**env, "JOST_CACHE_DIR": tempfile.mkdtemp(prefix="jost-bench-")}
    if env.get("NUMBA_CACHE_DIR") == "fresh":
        env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="jost-bench-numba-")
    cmd = [sys.executable, __file__, "--child", name] + (["--eor"] if eor else [])
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "process_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (best is kept)")
    parser.add_argument("--eor", action="store_true", help="effects of removal for every case")
    parser.add_argument("--numba-cold", action="store_true", help="an empty numba cache each run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.eor)
        return
    env = dict(os.environ)
    print(f"python {platform.python_version()}")
    print(f"machine {platform.machine()} cpus {os.cpu_count()}")
    if args.numba_cold:
        env["NUMBA_CACHE_DIR"] = "fresh"
        print("numba_cache cold (every kernel compiles in each process)")
    else:
        start = time.perf_counter()
        run_child("1d_h17_das_nosurr_peek", False, env)  # fills numba's cache if it is stale
        print(f"numba_cache warm (filled in {time.perf_counter() - start:.2f} s)")
    for i, name in enumerate(CASES):
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            run = run_child(name, args.eor or i == 0, env)
            if not best or run["cold_s"] < best["cold_s"]:
                best = run
        for key, value in best.items():
            if key.endswith("_s"):
                print(f"analysis.{name}.{key} {value:.2f}")
        print(f"analysis.{name}.policy_iterations {best['policy_iterations']}")
        print(f"analysis.{name}.ev_composition {best['ev_composition']:+.6f}")
        print(f"analysis.{name}.ev_chart {best['ev_chart']:+.6f}")


if __name__ == "__main__":
    main()
