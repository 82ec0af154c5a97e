"""The generated charts, cached in memory and on disk so a rule set pays for its analysis once.

The key holds only the rules that change the play (not penetration, shuffle or insurance) and
the analyzer's version, so a change to the analysis never serves a stale chart. The folder is
``$JOST_CACHE_DIR``, else the platform's user cache folder for ``jost``. Writes go to a temporary
file renamed into place, so concurrent runs never read a half-written chart; an unreadable cache
file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jost_engine.config import Rules

ANALYZER_VERSION = 1
PLAY_RULES = (
    "decks",
    "infinite_deck",
    "dealer_hits_soft_17",
    "blackjack_payout",
    "double_on",
    "double_after_split",
    "max_split_hands",
    "resplit_aces",
    "hit_split_aces",
    "surrender",
    "dealer_peeks",
    "dealer_blackjack_takes",
)

_memory: dict[str, dict[str, Any]] = {}


def chart_rules_key(rules: Rules) -> str:
    """A readable key of the rules that decide the play, e.g. ``6d s17 das ls peek ...``."""
    d = rules.model_dump(mode="json")
    decks = "infinite" if d["infinite_deck"] else f"{d['decks']}d"
    hole = "peek" if d["dealer_peeks"] else f"enhc-{d['dealer_blackjack_takes']}"
    return (
        f"{decks} {'h17' if d['dealer_hits_soft_17'] else 's17'} "
        f"bj {d['blackjack_payout']} double {d['double_on']} "
        f"{'das' if d['double_after_split'] else 'nodas'} split {d['max_split_hands']} "
        f"{'rsa ' if d['resplit_aces'] else ''}{'hsa ' if d['hit_split_aces'] else ''}"
        f"surrender {d['surrender']} {hole}"
    )


def cache_dir() -> Path:
    env = os.environ.get("JOST_CACHE_DIR")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # pragma: no cover - platformdirs is installed with the project
        return Path.home() / ".cache" / "jost"
    return Path(user_cache_dir("jost"))


def play_rules(rules: Rules) -> dict[str, Any]:
    """The rules that change the play, as JSON values."""
    d = rules.model_dump(mode="json")
    return {k: d[k] for k in PLAY_RULES}


def digest(payload: dict[str, Any]) -> str:
    """A short hex key of a JSON payload (sorted keys)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def _digest(rules: Rules) -> str:
    return digest({"v": ANALYZER_VERSION, **play_rules(rules)})


def cached_chart(rules: Rules, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The chart for ``rules`` from memory, then disk, else ``build()`` (and remember it)."""
    return cached_document(
        "charts", _digest(rules), build, lambda chart: {"hard", "soft", "pairs"} <= chart.keys()
    )


def cached_document(
    folder: str,
    key: str,
    build: Callable[[], dict[str, Any]],
    valid: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """A JSON document of the cache: from memory, then ``<cache>/<folder>/<key>.json`` when it
    reads as a dict ``valid`` accepts, else ``build()`` (written there and remembered)."""
    memory_key = f"{folder}/{key}"
    document = _memory.get(memory_key)
    if document is not None:
        return document
    path = cache_dir() / folder / f"{key}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = None
    if not isinstance(document, dict) or not valid(document):
        document = build()
        _write(path, document)
    _memory[memory_key] = document
    return document


def _write(path: Path, document: dict[str, Any]) -> None:
    """Write atomically; a cache that cannot be written is only a slower next run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass
