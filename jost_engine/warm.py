"""Warming the compiled kernel before a run is timed: load it from numba's disk cache, or compile.

The round loop is compiled per feature set (`jost_engine._kernel.round_loop`): a game loads or
compiles only the variant it plays. The first run of a variant in a fresh environment compiles
it (seconds); every later process loads it from the cache in a fraction of a second. Doing
either before the clock starts keeps it out of the reported rounds per second, and
`kernel_is_cached` lets a caller say "compiling" first. Without a config both mean the default
game's variant. The warm-up plays a few rounds of the game (the default one with a one-line chart of
its own, so that it depends on no bundled data).
"""

from __future__ import annotations

from typing import Any

from jost_engine import _kernel as k
from jost_engine.config import Config, default_config, parse_config
from jost_engine.shards import Shard, run_shard
from jost_engine.table import prepare

COMPILING = "compiling the simulator (first run only)"

_STAND = " ".join(["S"] * 10)
_warmed: set[tuple[int, int, int]] = set()


def _game(config: Config | dict[str, Any] | None) -> Config:
    """The game to warm: ``config`` itself, or the default game with a chart that always
    stands (the default's feature set without the analyzer or a bundled chart)."""
    if config is not None:
        return parse_config(config)
    data = default_config().model_dump(mode="json")
    data["strategy"]["basic"] = {
        "hard": {str(t): _STAND for t in range(4, 22)},
        "soft": {str(t): _STAND for t in range(12, 22)},
        "pairs": {p: _STAND for p in ("2", "3", "4", "5", "6", "7", "8", "9", "10", "A")},
    }
    return parse_config(data)


def variant(config: Config | dict[str, Any] | None = None) -> tuple[int, int, int]:
    """The feature set whose compiled loop ``config`` (default: the default game) plays."""
    t = prepare(_game(config))
    return k.features(t.params, t.bet_by_tc)


def kernel_is_loaded(config: Config | dict[str, Any] | None = None) -> bool:
    """True when this process already holds the game's compiled loop (nothing left to load)."""
    key = variant(config)
    return key in k._loops and bool(k._loops[key].signatures)


def kernel_is_cached(config: Config | dict[str, Any] | None = None) -> bool:
    """True when numba's disk cache holds the game's loop built from this source (a load).

    numba has no public question for this; its cache index is read the way numba itself reads
    it (an index from other source reads as empty) and searched for this variant's key (the
    closure's values are part of it). Any surprise there answers True: the caller then only
    skips the word "compiling", it never skips the work.
    """
    key = variant(config)
    loop = k.round_loop(key)
    if loop.signatures:
        return True
    try:
        cache = loop._cache
        index = cache._cache_file._load_index()
        want = cache._index_key(None, loop.targetctx.codegen())
        return any(key_[1:] == want[1:] for key_ in index)
    except Exception:
        return True


def warm_up(config: Config | dict[str, Any] | None = None) -> bool:
    """Load (or compile) the game's loop in this process; True when it had to compile."""
    key = variant(config)
    if key in _warmed or kernel_is_loaded(config):
        _warmed.add(key)
        return False
    compiled = not kernel_is_cached(config)
    run_shard(_game(config), Shard(0, 10, 1))
    _warmed.add(key)
    return compiled
