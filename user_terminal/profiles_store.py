"""The player's profiles: one JSON file per profile at ``<home>/profiles/<kind>/<name>.json``.

A profile (docs/config.md, "Profiles") is ``{"kind", "name", "description", "data"}``; its
``data`` is checked with the engine's own models, so a profile the store accepts always hydrates.
Nothing is overwritten unless the caller says so, and every write is atomic. ``defaults.json``
beside the kind folders names each kind's default profile; it also marks the store as seeded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jost_engine import ConfigError
from jost_engine.json_text import JSONTextError, read_json
from jost_engine.profiles import PROFILE_KINDS, hydrate
from user_terminal.errors import JostError, problems_text
from user_terminal.home import write_atomic

Profile = dict[str, Any]
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULTS_FILE = "defaults.json"


class ProfileError(JostError):
    """A profile that cannot be read, found, written or used."""


class ProfileExists(ProfileError):
    """Writing would replace a profile the player already has."""


@dataclass(frozen=True)
class ProfileEntry:
    """One profile file as listed: its description, whether it is its kind's default, and the
    problem that makes it unusable (None when it is fine)."""

    kind: str
    name: str
    path: Path
    description: str
    is_default: bool
    problem: str | None = None


def check_kind(kind: str) -> str:
    if kind not in PROFILE_KINDS:
        raise ProfileError(f"unknown profile kind {kind!r}; kinds are {', '.join(PROFILE_KINDS)}")
    return kind


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise ProfileError(
            f"bad profile name {name!r}: use letters, digits, '_', '-' or '.', "
            "starting with a letter or digit, at most 64 characters"
        )
    return name


def profile_problems(profile: Any, kind: str | None = None) -> list[dict[str, str]]:
    """Every problem of a profile document, with its path inside the document.

    ``data`` is validated by hydrating it with the engine's bundled profiles of the other kinds,
    so the engine's models (not a copy of their rules) decide what a valid section is.
    """
    if not isinstance(profile, Mapping):
        return [{"path": "", "message": "a profile must be a JSON object {...}"}]
    problems: list[dict[str, str]] = []
    unknown = sorted(set(profile) - {"kind", "name", "description", "data"})
    problems += [{"path": key, "message": "unknown key"} for key in unknown]
    given_kind = profile.get("kind")
    if given_kind not in PROFILE_KINDS:
        problems.append({"path": "kind", "message": f"must be one of {', '.join(PROFILE_KINDS)}"})
    elif kind is not None and given_kind != kind:
        problems.append({"path": "kind", "message": f"is {given_kind!r} in the {kind} folder"})
    name = profile.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(
            {"path": "name", "message": "letters, digits, '_', '-' or '.', at most 64 characters"}
        )
    if not isinstance(profile.get("description", ""), str):
        problems.append({"path": "description", "message": "must be text"})
    data = profile.get("data")
    if not isinstance(data, Mapping):
        problems.append({"path": "data", "message": "must be an object {...} (the section)"})
    elif given_kind in PROFILE_KINDS:
        try:
            hydrate({given_kind: {"kind": given_kind, "name": "check", "data": data}})
        except ConfigError as exc:
            for problem in exc.problems:
                path = str(problem.get("path", ""))
                inner = path.split(".", 1)[1] if "." in path else ""
                where = f"data.{inner}" if inner else "data"
                problems.append({"path": where, "message": str(problem.get("message", ""))})
    return problems


def parse_profile_text(text: str, source: str, kind: str | None = None) -> Profile:
    """A profile from JSON text; `ProfileError` names ``source`` and every problem."""
    try:
        profile = read_json(text, source)
    except JSONTextError as exc:
        raise ProfileError(str(exc)) from None
    problems = profile_problems(profile, kind)
    if problems:
        raise ProfileError(problems_text(f"invalid profile {source}", problems))
    return profile


def dump_profile(profile: Mapping[str, Any]) -> str:
    """The file text of a profile: keys in the contract's order, two-space indent."""
    ordered = {k: profile[k] for k in ("kind", "name", "description", "data") if k in profile}
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"


class ProfileStore:
    """The profiles folder. Every method reads the disk: other programs may edit the files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # ---- where -------------------------------------------------------------------------------

    def path(self, kind: str, name: str) -> Path:
        return self.root / check_kind(kind) / f"{check_name(name)}.json"

    @property
    def defaults_path(self) -> Path:
        return self.root / DEFAULTS_FILE

    def is_seeded(self) -> bool:
        return self.defaults_path.exists()

    # ---- reading -----------------------------------------------------------------------------

    def names(self, kind: str) -> list[str]:
        folder = self.root / check_kind(kind)
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.json") if not p.name.startswith("."))

    def defaults(self) -> dict[str, str]:
        """Each kind's default profile name (a kind without one is left out)."""
        path = self.defaults_path
        try:
            document = read_json(path.read_bytes(), str(path))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ProfileError(f"cannot read {path}: {exc}") from None
        except JSONTextError as exc:
            raise ProfileError(str(exc)) from None
        if not isinstance(document, dict):
            raise ProfileError(f"{path} must be a JSON object of kind → profile name")
        return {k: v for k, v in document.items() if k in PROFILE_KINDS and isinstance(v, str)}

    def default_name(self, kind: str) -> str:
        name = self.defaults().get(check_kind(kind))
        if name is None:
            raise ProfileError(
                f"no default {kind} profile is set in {self.defaults_path}: "
                f"name one with --{kind} NAME or `jost profiles default {kind} NAME`"
            )
        return name

    def read_text(self, kind: str, name: str) -> str:
        path = self.path(kind, name)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            have = ", ".join(self.names(kind)) or "none"
            raise ProfileError(f"no {kind} profile named {name!r} (you have: {have})") from None
        except UnicodeDecodeError as exc:
            raise ProfileError(f"{path} is not UTF-8 text: {exc.reason}") from None
        except OSError as exc:
            raise ProfileError(f"cannot read {path}: {exc.strerror or exc}") from None

    def load(self, kind: str, name: str) -> Profile:
        """One valid profile; `ProfileError` names the file and every problem otherwise."""
        path = self.path(kind, name)
        profile = parse_profile_text(self.read_text(kind, name), str(path), kind)
        if profile["name"] != name:
            raise ProfileError(
                f"invalid profile {path}: its name is {profile['name']!r} but the file is "
                f"{path.name} (rename one to match)"
            )
        return profile

    def entries(self, kind: str | None = None) -> list[ProfileEntry]:
        """Every profile of a kind (or of all kinds), unusable ones included with their problem."""
        kinds = [check_kind(kind)] if kind else list(PROFILE_KINDS)
        try:
            defaults = self.defaults()
        except ProfileError:
            defaults = {}
        found: list[ProfileEntry] = []
        for k in kinds:
            for name in self.names(k):
                path = self.path(k, name) if NAME_PATTERN.match(name) else self.root / k / name
                description, problem = "", None
                try:
                    description = self.load(k, name).get("description", "")
                except ProfileError as exc:
                    problem = str(exc)
                found.append(
                    ProfileEntry(k, name, path, description, defaults.get(k) == name, problem)
                )
        return found

    # ---- writing -----------------------------------------------------------------------------

    def save(self, profile: Mapping[str, Any], *, overwrite: bool = False) -> Path:
        """Validate and write a profile; `ProfileExists` when it would replace one unasked."""
        problems = profile_problems(profile)
        if problems:
            name = profile.get("name", "?") if isinstance(profile, Mapping) else "?"
            raise ProfileError(problems_text(f"profile {name!r} refused", problems))
        path = self.path(profile["kind"], profile["name"])
        if path.exists() and not overwrite:
            raise ProfileExists(f"{profile['kind']} profile {profile['name']!r} exists: {path}")
        write_atomic(path, dump_profile(profile))
        return path

    def delete(self, kind: str, name: str) -> Path:
        path = self.path(kind, name)
        if not path.exists():
            raise ProfileError(f"no {kind} profile named {name!r}")
        if self.defaults().get(kind) == name:
            raise ProfileError(
                f"{name!r} is the default {kind} profile: make another the default first "
                f"(`jost profiles default {kind} NAME`)"
            )
        path.unlink()
        return path

    def set_default(self, kind: str, name: str) -> None:
        if not self.path(kind, name).exists():
            raise ProfileError(f"no {kind} profile named {name!r}")
        defaults = self.defaults()
        defaults[kind] = name
        self._write_defaults(defaults)

    def _write_defaults(self, defaults: Mapping[str, str]) -> None:
        ordered = {k: defaults[k] for k in PROFILE_KINDS if k in defaults}
        write_atomic(self.defaults_path, json.dumps(ordered, indent=2) + "\n")

    def seed(self, profiles: Mapping[str, list[Profile]], defaults: Mapping[str, str]) -> list[str]:
        """Write a standard set (never over an existing file) and mark the store seeded.

        Returns a note for each profile left out because it is not valid for this engine.
        """
        skipped: list[str] = []
        for kind in PROFILE_KINDS:
            for profile in profiles.get(kind, []):
                problems = profile_problems(profile, kind)
                if problems:
                    skipped.append(f"{kind}/{profile.get('name', '?')}: {problems[0]['message']}")
                    continue
                if not self.path(kind, profile["name"]).exists():
                    self.save(profile)
        chosen = {k: v for k, v in defaults.items() if k in PROFILE_KINDS}
        for kind in PROFILE_KINDS:
            names = self.names(kind)
            if chosen.get(kind) not in names and names:
                chosen[kind] = names[0]
        self._write_defaults(chosen)
        return skipped
