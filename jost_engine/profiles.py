"""The bundled standard profiles, and hydration: one profile of each kind → a full config.

A profile (docs/config.md, "Profiles") is one named, reusable section of a config:
``{"kind", "name", "description", "data"}``. The engine ships the standard set in
``data/profiles/<kind>.json`` so the terminal works offline, and the service's
``/api/defaults/`` serves the very same set — one source, so they can never disagree.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jost_engine.config import ConfigError, parse_config

__all__ = [
    "PROFILE_KINDS",
    "bundled_profile",
    "bundled_profiles",
    "default_profile_names",
    "hydrate",
]

# The config sections a profile can stand for, in the document's order.
PROFILE_KINDS: tuple[str, ...] = ("rules", "strategy", "counting", "betting", "bankroll")

Profile = dict[str, Any]


@cache
def _load(kind: str) -> tuple[str, tuple[str, ...]]:
    """(default name, profiles as JSON text) of one kind; text so callers get fresh copies."""
    path = resources.files("jost_engine") / "data" / "profiles" / f"{kind}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    profiles = tuple(json.dumps(p, ensure_ascii=False) for p in document["profiles"])
    return document["default"], profiles


def bundled_profiles() -> dict[str, list[Profile]]:
    """The standard profiles grouped by kind (a fresh copy each call: callers may mutate it)."""
    return {kind: [json.loads(p) for p in _load(kind)[1]] for kind in PROFILE_KINDS}


def default_profile_names() -> dict[str, str]:
    """The profile of each kind a new player starts with (together: the contract's example game)."""
    return {kind: _load(kind)[0] for kind in PROFILE_KINDS}


def bundled_profile(kind: str, name: str) -> Profile:
    """One bundled profile by kind and name; `KeyError` names the choices when there is none."""
    if kind not in PROFILE_KINDS:
        raise KeyError(f"unknown profile kind {kind!r}; kinds are {', '.join(PROFILE_KINDS)}")
    for text in _load(kind)[1]:
        profile = json.loads(text)
        if profile["name"] == name:
            return profile
    names = ", ".join(json.loads(p)["name"] for p in _load(kind)[1])
    raise KeyError(f"no bundled {kind} profile named {name!r}; bundled: {names}")


def _section(kind: str, given: Any, problems: list[dict[str, str]]) -> tuple[str, Any]:
    """(profile name, section data) for one kind, or a problem at that kind's path."""
    if isinstance(given, str):
        try:
            given = bundled_profile(kind, given)
        except KeyError as exc:
            problems.append({"path": kind, "message": str(exc.args[0])})
            return "", None
    if not isinstance(given, Mapping) or not isinstance(given.get("data"), Mapping):
        problems.append(
            {
                "path": kind,
                "message": 'expected a profile {"kind", "name", "description", "data": {...}} '
                "or the name of a bundled profile",
            }
        )
        return "", None
    if given.get("kind", kind) != kind:
        problems.append(
            {"path": kind, "message": f"a {given.get('kind')!r} profile cannot stand for {kind}"}
        )
        return "", None
    return str(given.get("name") or kind), copy.deepcopy(dict(given["data"]))


def hydrate(
    profiles_by_kind: Mapping[str, Profile | str] | None = None,
    simulation: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
) -> dict[str, Any]:
    """Compose one profile of each kind and a ``simulation`` block into a validated config.

    A kind may be given as a profile dict or a bundled profile's name; a missing kind takes the
    bundled default. Returns the fully-hydrated document (every field spelt out, as JSON types);
    raises `ConfigError` with every problem, at the config path it comes from.
    """
    given = dict(profiles_by_kind or {})
    problems: list[dict[str, str]] = [
        {
            "path": str(kind),
            "message": f"unknown profile kind; kinds are {', '.join(PROFILE_KINDS)}",
        }
        for kind in given
        if kind not in PROFILE_KINDS
    ]
    defaults = default_profile_names()
    document: dict[str, Any] = {}
    names: list[str] = []
    for kind in PROFILE_KINDS:
        profile_name, data = _section(kind, given.get(kind, defaults[kind]), problems)
        names.append(profile_name)
        document[kind] = data
    if problems:
        raise ConfigError(problems)
    document["name"] = name if name is not None else " · ".join(names)
    if simulation is not None:
        document["simulation"] = dict(simulation)
    return parse_config(document).model_dump(mode="json")
