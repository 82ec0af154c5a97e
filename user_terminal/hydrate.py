"""Hydration: the player's chosen profiles (or each kind's default) → one validated config.

The engine's `jost_engine.profiles.hydrate` composes the sections; this module picks the
profiles from the player's store and says which profile file a problem comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jost_engine import Config, ConfigError, parse_config
from jost_engine.profiles import PROFILE_KINDS, hydrate
from user_terminal.errors import JostError, problems_text
from user_terminal.profiles_store import ProfileStore


def chosen_names(store: ProfileStore, chosen: Mapping[str, str | None]) -> dict[str, str]:
    """The profile name of every kind: the chosen one, else the kind's default."""
    return {kind: chosen.get(kind) or store.default_name(kind) for kind in PROFILE_KINDS}


def compose(
    store: ProfileStore,
    chosen: Mapping[str, str | None] | None = None,
    *,
    rounds: int | None = None,
    seed: int | None = None,
    name: str | None = None,
) -> Config:
    """The fully-hydrated config of the chosen profiles; `JostError` lists every problem."""
    names = chosen_names(store, chosen or {})
    profiles = {kind: store.load(kind, names[kind]) for kind in PROFILE_KINDS}
    simulation: dict[str, Any] | None = None
    if rounds is not None or seed is not None:
        simulation = {k: v for k, v in (("rounds", rounds), ("seed", seed)) if v is not None}
    try:
        return parse_config(hydrate(profiles, simulation, name=name))
    except ConfigError as exc:
        problems = []
        for problem in exc.problems:
            path = str(problem.get("path", ""))
            kind = path.split(".", 1)[0]
            message = str(problem.get("message", ""))
            if kind in names:
                message += f" (from {store.path(kind, names[kind])})"
            problems.append({"path": path, "message": message})
        chosen_text = ", ".join(f"{k} {names[k]}" for k in PROFILE_KINDS)
        heading = f"cannot build a config from {chosen_text}"
        raise JostError(problems_text(heading, problems)) from None
