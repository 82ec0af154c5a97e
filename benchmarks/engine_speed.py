"""Engine speed: rounds per second per core, scaling over cores, and the ratio to refsim.c.

Builds ../shared/tools/refsim.c (gcc -O2 -march=native) and runs it in the same process run as
the engine, on the same rules: 6 decks, S17, DAS, 3:2, peek, split to 4, no resplit of aces,
no surrender, total-dependent basic strategy, cut card at 75%; flat bet, and Hi-Lo with a 1-12
ramp (true count floored over exact decks remaining), with the Illustrious 18, and with a second
hand from +2 (engine only). Prints one ``key value`` line per figure.

    python benchmarks/engine_speed.py [--rounds N] [--memory] [--instructions]

``--memory`` also runs a one-billion-round job and reports its peak resident memory.
``--instructions`` also counts instructions per round under valgrind's callgrind (engine and
refsim, the reliable comparison on a shared, noisy machine; minutes).
Compile time is excluded from the per-core figures (numba caches each variant of the round loop
on disk; the first call in a new process loads it); the compile time of each variant from an
empty cache is reported on its own lines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from jost_engine import Shard, default_config, parse_config, run_shard, run_simulation_from_config
from jost_engine.simulate import default_workers
from jost_engine.table import prepare

ROOT = Path(__file__).resolve().parents[1]
REFSIM_C = ROOT.parent / "shared" / "tools" / "refsim.c"
BUILD = ROOT / "benchmarks" / ".build"

HILO_RAMP = [
    {"true_count": -100, "units": 1},
    {"true_count": 2, "units": 2},
    {"true_count": 3, "units": 4},
    {"true_count": 4, "units": 8},
    {"true_count": 5, "units": 12},
]


def refsim_config(rounds: int, counting: bool, indices: bool = False) -> dict:
    """The engine config of refsim.c's game."""
    data = default_config().model_dump(mode="json")
    data["name"] = "refsim.c game" + (" (Hi-Lo 1-12)" if counting else " (flat)")
    data["rules"].update(
        {
            "decks": 6,
            "dealer_hits_soft_17": False,
            "blackjack_payout": 1.5,
            "double_on": "any_two",
            "double_after_split": True,
            "max_split_hands": 4,
            "resplit_aces": False,
            "hit_split_aces": False,
            "surrender": "none",
            "dealer_peeks": True,
            "insurance_offered": False,
            "penetration": 0.75,
            "shuffle": "cut_card",
        }
    )
    data["simulation"]["rounds"] = rounds
    if counting:
        data["counting"] = {
            "system": "hi_lo",
            "true_count": {"rounding": "floor", "deck_estimation": "exact"},
        }
        data["betting"]["ramp"] = HILO_RAMP
        data["betting"]["table_max"] = 500
    if indices:
        data["strategy"]["deviations"] = ["illustrious_18"]
    return data


def case_config(name: str, rounds: int) -> dict:
    """The benchmark's games: refsim.c's, and the variants of it each figure is about."""
    if name in ("flat", "hilo_ramp"):
        return refsim_config(rounds, name == "hilo_ramp")
    if name == "hilo_ramp_i18":
        return refsim_config(rounds, True, indices=True)
    if name == "hilo_ramp_i18_fab4":  # Fab 4 are surrender indices: late surrender here
        data = refsim_config(rounds, True)
        data["rules"]["surrender"] = "late"
        data["strategy"]["deviations"] = ["illustrious_18", "fab_4"]
        return data
    if name == "hilo_ramp_spots":  # two hands from +2 (a round at +2 or more plays two)
        data = refsim_config(rounds, True)
        data["betting"]["spots_by_count"] = [{"true_count": 2, "spots": 2}]
        return data
    if name == "two_spots":  # two hands every round, flat
        data = refsim_config(rounds, False)
        data["betting"]["spots"] = 2
        return data
    if name == "seven_seats":  # our spot and six other players
        data = refsim_config(rounds, False)
        data["simulation"]["players_at_table"] = 7
        return data
    if name == "default_config":
        return default_config().model_dump(mode="json")
    raise ValueError(name)


def compile_seconds(name: str) -> float:
    """A fresh interpreter with an empty numba cache: compiling the game's loop variant (and the
    rare-path functions it calls), measured as its first warm-up."""
    data = json.dumps(case_config(name, 1000))
    code = (
        "import json, sys, time\n"
        "from jost_engine import warm\n"
        "cfg = json.loads(sys.argv[1])\n"
        "t = time.perf_counter(); warm.warm_up(cfg); print(time.perf_counter() - t)\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", code, data], check=True, capture_output=True, text=True, env=env
        )
    return float(out.stdout.strip())


TOGGLE_C = "#include <valgrind/callgrind.h>\nvoid cg_toggle(void) { CALLGRIND_TOGGLE_COLLECT; }\n"
COUNT_PY = """\
import ctypes, json, sys
from jost_engine import Shard, parse_config, run_shard
from jost_engine.table import prepare
cfg = parse_config(json.loads(sys.argv[1])); t = prepare(cfg); rounds = int(sys.argv[2])
run_shard(cfg, Shard(0, 1000, 1), tables=t)
toggle = ctypes.CDLL(sys.argv[3]).cg_toggle
toggle(); run_shard(cfg, Shard(0, rounds, 1), tables=t); toggle()
"""
# valgrind's CPU lacks AVX-512: both sides are built for one fixed x86-64 model, so that the
# engine's numba cache built natively is loaded (not recompiled) under valgrind
COUNT_CPU = {
    "NUMBA_CPU_NAME": "haswell",
    "NUMBA_CPU_FEATURES": "+64bit,+avx,+avx2,+bmi,+bmi2,+cmov,+cx16,+cx8,+f16c,+fma,+fxsr,"
    "+lzcnt,+mmx,+movbe,+popcnt,+sse,+sse2,+sse3,+sse4.1,+sse4.2,+ssse3,+xsave",
}


def _collected(stderr: str) -> int:
    line = next(x for x in stderr.splitlines() if "Collected" in x)
    return int(line.split()[-1])


def instructions_per_round(names: list[str], rounds: int = 50_000) -> dict[str, float]:
    """Instructions per round under callgrind: the engine's timed shard only (collection
    toggled around it), refsim.c's as the difference of two lengths."""
    if shutil.which("valgrind") is None or shutil.which("gcc") is None:
        return {}
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "cg_toggle.c").write_text(TOGGLE_C)
    lib = BUILD / "libcg_toggle.so"
    gcc = ["gcc", "-O2", "-shared", "-fPIC", "-o", str(lib), str(BUILD / "cg_toggle.c")]
    subprocess.run(gcc, check=True)
    env = {**os.environ, **COUNT_CPU}
    cg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    counts: dict[str, float] = {}
    for name in names:
        # the layout of a long job (chunks of a million rounds), so the count is the kernel's
        # per round and not the Python around each chunk
        data = json.dumps(case_config(name, 200_000_000))
        cmd = [sys.executable, "-c", COUNT_PY, data, str(rounds), str(lib)]
        subprocess.run(cmd, check=True, env=env, capture_output=True)  # natively: the cache
        done = subprocess.run(
            [*cg, "--collect-atstart=no", *cmd], env=env, capture_output=True, text=True
        )
        counts[name] = _collected(done.stderr) / rounds
    exe = BUILD / "refsim_x86-64-v3"
    build = ["gcc", "-O2", "-march=x86-64-v3", "-o", str(exe), str(REFSIM_C), "-lm"]
    if REFSIM_C.exists():
        subprocess.run(build, check=True)
        for ramp in (0, 1):
            runs = [
                subprocess.run(
                    [*cg, str(exe), str(n), "1", str(ramp)], capture_output=True, text=True
                )
                for n in (1_000_000, 3_000_000)
            ]
            total = _collected(runs[1].stderr) - _collected(runs[0].stderr)
            counts[f"refsim_{'hilo_ramp' if ramp else 'flat'}"] = total / 2_000_000
    return counts


def build_refsim() -> Path | None:
    if not REFSIM_C.exists() or shutil.which("gcc") is None:
        return None
    BUILD.mkdir(parents=True, exist_ok=True)
    exe = BUILD / "refsim"
    subprocess.run(
        ["gcc", "-O2", "-march=native", "-o", str(exe), str(REFSIM_C), "-lm"], check=True
    )
    return exe


def run_refsim(exe: Path, rounds: int, ramp: int) -> float:
    out = subprocess.run(
        [str(exe), str(rounds), "1", str(ramp)], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[4])  # rounds per second


def engine_one_core(data: dict, rounds: int) -> float:
    """Rounds per second of the compiled kernel on one core (one shard, this process)."""
    cfg = parse_config(data)
    tables = prepare(cfg)
    run_shard(cfg, Shard(0, 1000, 1), tables=tables)  # load the cached kernel
    start = time.perf_counter()
    run_shard(cfg, Shard(0, rounds, 1), tables=tables)
    return rounds / (time.perf_counter() - start)


def engine_all_cores(data: dict, rounds: int, workers: int) -> float:
    """Steady-state rounds per second on ``workers`` processes (already started and warm)."""
    warm = {**data, "simulation": {**data["simulation"], "rounds": 100_000 * workers}}
    run_simulation_from_config(warm, workers=workers)
    data = {**data, "simulation": {**data["simulation"], "rounds": rounds}}
    result = run_simulation_from_config(data, workers=workers).to_dict()
    return result["rounds_per_second"]


def cold_parallel_start_seconds(workers: int) -> float:
    """A fresh interpreter's first parallel run of a tiny job: starting its worker processes."""
    code = (
        "import time\n"
        "from jost_engine import default_config, run_simulation_from_config\n"
        "if __name__ == '__main__':\n"
        "    d = default_config().model_dump(mode='json')\n"
        f"    d['simulation']['rounds'] = {50_000 * workers}\n"
        "    t = time.perf_counter()\n"
        f"    run_simulation_from_config(d, workers={workers})\n"
        "    print(time.perf_counter() - t)\n"
    )
    script = BUILD / "cold_start.py"
    BUILD.mkdir(parents=True, exist_ok=True)
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def first_call_seconds() -> float:
    """A fresh interpreter's first simulation: import, cached-kernel load and 1000 rounds."""
    code = (
        "import time; t = time.perf_counter();"
        "from jost_engine import Shard, default_config, run_shard;"
        "run_shard(default_config(), Shard(0, 1000, 1));"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


class TreeMemory:
    """Peak memory (PSS) of this process and all its descendants (workers, worker server).

    Sampled from /proc every 0.2 s while a job runs: the workers outlive the run (warm for the
    next one), and getrusage counts only children that have been waited for.
    """

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            parents: dict[int, int] = {}
            rss: dict[int, int] = {}
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    status = Path(f"/proc/{entry}/status").read_text()
                    rollup = Path(f"/proc/{entry}/smaps_rollup").read_text()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                parents[int(entry)] = int(fields.get("PPid", "0").strip())
                # proportional set size: pages shared by forked workers are counted once
                pss = [line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")]
                rss[int(entry)] = int(pss[0]) if pss else 0
            total = 0
            for pid, kb in rss.items():
                p = pid
                while p and p != me:
                    p = parents.get(p, 0)
                if p == me:
                    total += kb
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(0.2)


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30_000_000)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--instructions", action="store_true")
    args = parser.parse_args()
    workers = default_workers()
    rounds = args.rounds

    print("benchmark engine_speed v1")
    print(f"machine cores={workers} cpu={platform.processor() or platform.machine()}")
    print(f"first_call_seconds {first_call_seconds():.3f}")
    print(f"cold_parallel_start_seconds {cold_parallel_start_seconds(workers):.3f}")
    exe = build_refsim()
    for label, counting in (("flat", False), ("hilo_ramp", True)):
        data = case_config(label, rounds)
        ref = run_refsim(exe, rounds, int(counting)) if exe else None
        one = engine_one_core(data, rounds)
        many = engine_all_cores(data, rounds * workers, workers)
        print(f"{label}.refsim_rounds_per_s {ref:.0f}" if ref else f"{label}.refsim unavailable")
        print(f"{label}.engine_1core_rounds_per_s {one:.0f}")
        if ref:
            print(f"{label}.engine_vs_refsim {one / ref:.3f}")
        print(f"{label}.engine_{workers}cores_rounds_per_s {many:.0f}")
        print(f"{label}.scaling_{workers}cores {many / one:.3f}")
    flat = engine_one_core(case_config("flat", rounds), rounds)
    for name in ("hilo_ramp_i18", "hilo_ramp_i18_fab4"):
        rate = engine_one_core(case_config(name, rounds), rounds)
        print(f"{name}.engine_1core_rounds_per_s {rate:.0f}")
        print(f"{name}.flat_over_it {flat / rate:.3f}")
    # rounds per second; a round of these plays several hands
    for name in ("hilo_ramp_spots", "two_spots", "seven_seats"):
        rate = engine_one_core(case_config(name, rounds), rounds)
        print(f"{name}.engine_1core_rounds_per_s {rate:.0f}")
        print(f"{name}.over_flat {rate / flat:.3f}")
    default = default_config().model_dump(mode="json")
    print(f"default_config.engine_1core_rounds_per_s {engine_one_core(default, rounds):.0f}")
    # each feature set's loop compiles on first use only (flat, counted plays, several seats)
    for name in ("flat", "hilo_ramp_i18", "two_spots"):
        print(f"compile_seconds.{name} {compile_seconds(name):.1f}")
    if args.instructions:
        for name, count in instructions_per_round(
            ["flat", "hilo_ramp", "hilo_ramp_i18_fab4", "two_spots", "seven_seats"]
        ).items():
            print(f"instructions_per_round.{name} {count:.0f}")
    if args.memory:
        data = refsim_config(1_000_000_000, False)
        start = time.perf_counter()
        with TreeMemory() as memory:
            run_simulation_from_config(data, workers=workers)
        print(f"billion.seconds {time.perf_counter() - start:.1f}")
        print(f"billion.peak_total_pss_mb {memory.peak_kb / 1024:.0f}")
    print(f"peak_rss_mb {peak_rss_mb():.0f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
