"""A study: one base game and a grid of changes to it, every point validated before any runs.

A player choosing between casinos compares many games at once: rules x decks x penetration x
spread x count. The document (docs/study.md) is a base config, a grid of values per config path
(the points are their cartesian product, in grid key order), optional extra points, and how
long each point runs: a fixed number of rounds, or until the SE of its win rate per initial bet
is below a target. Every point is a plain config, so it runs, merges and caches like any job.

Each point's seed is derived from the study's seed and the point's game (not its place in the
grid), so the same game in two studies with the same seed plays the same cards and is served
from the cache.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jost_engine.config import Config, ConfigError, canonical_json, parse_config
from jost_engine.config.errors import show
from jost_engine.config.wording import problems as wording_problems
from jost_engine.json_text import JSONTextError, read_json
from jost_engine.profiles import PROFILE_KINDS, bundled_profile
from jost_engine.result_cache import point_cache_key

MAX_POINTS = 100_000
DEFAULT_MAX_ROUNDS = 100_000_000
DEFAULT_CHUNK_ROUNDS = 1_000_000
# Paths a study decides itself: each point's length and seed.
_STUDY_PATHS = ("simulation.rounds", "simulation.seed", "schema_version")

Problems = list[dict[str, str]]


class StudyDocument(BaseModel):
    """The study document's own fields (the base and the grid are checked as configs)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    name: str = Field("study", description="A label for people.")
    base: dict[str, Any] = Field(
        default_factory=dict,
        description="The game every point starts from: a config (docs/config.md); a section "
        "(rules, strategy, counting, betting, bankroll) may be a bundled profile's name.",
    )
    grid: dict[str, list[Any]] = Field(
        default_factory=dict,
        description='Values per dotted config path ("rules.penetration": [0.7, 0.8]); a '
        'section path takes profile names or inline sections ("betting": ["hi_lo_1_8"]). '
        "The points are the cartesian product, in key order (the last key changes fastest).",
    )
    points: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Extra points after the grid's: each a set of {path: value} on the base.",
    )
    rounds: int | None = Field(
        None, ge=1, le=10**12, description="Rounds per point (default: the base's)."
    )
    target_se: float | None = Field(
        None,
        gt=0,
        description="Instead of rounds: run each point in chunks until the SE of its EV per "
        "initial bet is below this (or max_rounds is reached).",
    )
    max_rounds: int = Field(
        DEFAULT_MAX_ROUNDS, ge=1, le=10**12, description="With target_se: most rounds a point."
    )
    chunk_rounds: int = Field(
        DEFAULT_CHUNK_ROUNDS, ge=1_000, le=10**10, description="With target_se: rounds a chunk."
    )
    seed: int | None = Field(
        None, ge=0, le=2**63 - 1, description="The study's seed (default: the base's)."
    )
    bankroll: float | None = Field(
        None, gt=0, description="Bankroll in units for each point's risk of ruin."
    )


@dataclass(frozen=True)
class StudyPoint:
    """One game of a study: its place, what it changes (path -> value as written), its hydrated
    config (with the point's seed, and rounds: the point's, or one chunk's with a target SE)."""

    index: int
    label: dict[str, Any]
    config: Config
    rounds: int  # rounds of the point; with a target SE the most it may run
    target_se: float | None = None

    @cached_property
    def cache_key(self) -> str:
        """The key of this point's result: the config's, and with a target SE its stop rule."""
        key = point_cache_key(self.config)
        if self.target_se is None:
            return key
        rule = f"{key}:target_se={self.target_se!r}:max_rounds={self.rounds}"
        return hashlib.sha256(rule.encode()).hexdigest()


@dataclass(frozen=True)
class Study:
    """A validated study: its document and its points."""

    document: StudyDocument
    base: dict[str, Any]  # resolved: profile names replaced by their sections
    seed: int
    rounds: int
    _points: tuple[StudyPoint, ...]

    @property
    def name(self) -> str:
        return self.document.name

    @property
    def target_se(self) -> float | None:
        return self.document.target_se

    @property
    def bankroll(self) -> float | None:
        return self.document.bankroll

    def points(self) -> list[StudyPoint]:
        return list(self._points)

    def to_dict(self) -> dict[str, Any]:
        """The document as given (JSON types), for a service or a result file."""
        return self.document.model_dump(mode="json", exclude_none=True)


def study_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the study document."""
    schema = StudyDocument.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:jost:schema:study:v1",
        **schema,
        "title": "JOST study",
        "description": "Many games at once: a base config, a grid of values per config path "
        "(their cartesian product), optional extra points, rounds or a target SE per point, "
        "a seed and a bankroll (docs/study.md).",
    }


def point_seed(study_seed: int, config: Config) -> int:
    """A point's seed: SHA-256 of the study seed and the game (its config without name, seed
    and rounds), first 8 bytes, top bit cleared. The same game and study seed, the same cards."""
    game = config.model_copy(
        update={
            "name": "",
            "simulation": config.simulation.model_copy(update={"seed": 0, "rounds": 1}),
        }
    )
    text = f"jost-study:{study_seed}:{canonical_json(game)}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") & (2**63 - 1)


def chunk_seed(seed: int, chunk: int) -> int:
    """The seed of a target-SE point's chunk ``chunk``; chunk 0 plays the point's own seed."""
    if chunk == 0:
        return seed
    text = f"jost-study-chunk:{seed}:{chunk}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") & (2**63 - 1)


# ---- reading the document -------------------------------------------------------------------


def _section(kind: str, value: Any) -> tuple[Any, str | None]:
    """A section value as the config takes it: a profile's name or profile dict -> its data."""
    if isinstance(value, str):
        try:
            return copy.deepcopy(bundled_profile(kind, value)["data"]), None
        except KeyError as exc:
            return None, str(exc.args[0])
    if isinstance(value, Mapping) and isinstance(value.get("data"), Mapping) and "kind" in value:
        if value["kind"] != kind:
            return None, f"a {show(value['kind'])} profile cannot stand for {kind}"
        return copy.deepcopy(dict(value["data"])), None
    return copy.deepcopy(value), None


def _resolve_base(base: dict[str, Any], problems: Problems) -> dict[str, Any]:
    document = copy.deepcopy(base)
    for kind in PROFILE_KINDS:
        if kind in document:
            value, problem = _section(kind, document[kind])
            if problem:
                problems.append({"path": f"base.{kind}", "message": problem})
                del document[kind]  # named once: the config check does not see it
            else:
                document[kind] = value
    return document


def _path_problem(path: str) -> str | None:
    parts = path.split(".")
    if not path or any(not p for p in parts):
        return f"{show(path)} is not a config path such as rules.penetration"
    if path in _STUDY_PATHS or any(path.startswith(p + ".") for p in _STUDY_PATHS):
        return f"{path} is set by the study itself (rounds, target_se, seed), not by its points"
    if parts[0] not in Config.model_fields:
        return f"unknown config section {show(parts[0])}; sections are " + ", ".join(
            Config.model_fields
        )
    return None


def _apply(document: dict[str, Any], path: str, value: Any) -> str | None:
    """Set ``path`` in ``document`` to ``value`` (a section's profile resolved); a problem."""
    if path in PROFILE_KINDS:
        value, problem = _section(path, value)
        if problem:
            return problem
    *parents, last = path.split(".")
    where = document
    for i, part in enumerate(parents):
        inner = where.setdefault(part, {})
        if not isinstance(inner, dict):
            above = ".".join(parents[: i + 1])
            return f"{above} is {show(inner)} in the base, not an object a path can go into"
        where = inner
    where[last] = copy.deepcopy(value)
    return None


def _config_problems(document: dict[str, Any]) -> Problems:
    try:
        parse_config(document)
    except ConfigError as exc:
        return exc.problems
    return []


def _under(prefix: str, problems: Problems, key: str | None = None) -> Problems:
    """Config problems placed under ``prefix``: a problem inside ``key`` keeps its tail."""
    placed = []
    for p in problems:
        path = p["path"]
        if key is not None and (path == key or path.startswith(key + ".")):
            placed.append({"path": prefix + path[len(key) :], "message": p["message"]})
        elif key is not None:
            placed.append({"path": prefix, "message": f"{path or '(config)'}: {p['message']}"})
        else:
            placed.append({"path": f"{prefix}.{path}" if path else prefix, "message": p["message"]})
    return placed


def _read(data: dict[str, Any] | str | bytes) -> StudyDocument:
    if isinstance(data, str | bytes):
        try:
            data = read_json(data)
        except JSONTextError as exc:
            raise ConfigError([{"path": "", "message": str(exc)}]) from None
    if not isinstance(data, Mapping):
        raise ConfigError(
            [{"path": "", "message": f"a study must be a JSON object {{...}}, got {show(data)}"}]
        )
    try:
        return StudyDocument.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(wording_problems(exc)) from None


def _label_text(label: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)[:40]}" for k, v in label.items())


def _point_config(base: dict[str, Any], label: Mapping[str, Any]) -> tuple[Any, Problems]:
    """(the point's config or None, its problems at config paths)."""
    document = copy.deepcopy(base)
    found: Problems = []
    for key, value in label.items():
        problem = _apply(document, key, value)
        if problem:
            found.append({"path": key, "message": problem})
    if found:
        return None, found
    try:
        return parse_config(document), []
    except ConfigError as exc:
        return None, exc.problems


def _shape_problems(doc: StudyDocument) -> Problems:
    """Paths the grid and the extra points cannot use, and empty value lists."""
    problems: Problems = []
    if doc.rounds is not None and doc.target_se is not None:
        problems.append({"path": "target_se", "message": "give rounds or target_se, not both"})
    for key, values in doc.grid.items():
        where = f"grid[{json.dumps(key)}]"
        path_problem = _path_problem(key)
        if path_problem:
            problems.append({"path": where, "message": path_problem})
        elif not values:
            problems.append({"path": where, "message": "a grid path needs at least one value"})
    grid_count = math.prod(len(v) for v in doc.grid.values())
    for j, extra in enumerate(doc.points):
        for key in extra:
            path_problem = _path_problem(key)
            if path_problem:
                where = f"points[{grid_count + j}]"
                problems.append({"path": where, "message": f"{path_problem} (extra point {j})"})
    if grid_count + len(doc.points) > MAX_POINTS:
        total = grid_count + len(doc.points)
        message = f"the study has {total:,} points; at most {MAX_POINTS:,}"
        problems.append({"path": "grid", "message": message})
    return problems


def _value_problems(doc: StudyDocument, base: dict[str, Any]) -> Problems:
    """Each grid value and each extra point on the base alone: a bad value is named once, at
    its own place."""
    problems: Problems = []
    for key, values in doc.grid.items():
        if _path_problem(key):
            continue
        for i, value in enumerate(values):
            _, found = _point_config(base, {key: value})
            problems += _under(f"grid[{json.dumps(key)}][{i}]", found, key)
    grid_count = math.prod(len(v) for v in doc.grid.values())
    for j, extra in enumerate(doc.points):
        if any(_path_problem(key) for key in extra):
            continue
        _, found = _point_config(base, extra)
        problems += [
            {"path": p["path"], "message": f"{p['message']} (extra point {j})"}
            for p in _under(f"points[{grid_count + j}]", found)
        ]
    return problems


def parse_study(data: dict[str, Any] | str | bytes | Study) -> Study:
    """Validate a whole study before anything runs; `ConfigError` lists every problem with its
    path: ``base.rules.decks``, ``grid["rules.penetration"][2]``, and a point's own problems
    (an extra point's, or a combination no single value shows) as
    ``points[7].betting.table_max``, numbered as `Study.points` numbers them (the grid's
    points, then the extra ones)."""
    if isinstance(data, Study):
        return data
    doc = _read(data)
    problems = _shape_problems(doc)
    base = _resolve_base(doc.base, problems)
    base_problems = _under("base", _config_problems(base))
    problems += base_problems or _value_problems(doc, base)
    if problems:
        raise ConfigError(problems)
    seed = doc.seed if doc.seed is not None else parse_config(base).simulation.seed
    target = doc.target_se
    rounds = doc.max_rounds if target is not None else (doc.rounds or _base_rounds(base))
    run_rounds = doc.chunk_rounds if target is not None else rounds
    grid_count = math.prod(len(v) for v in doc.grid.values())
    labels: list[dict[str, Any]] = [
        dict(zip(doc.grid, combo, strict=True)) for combo in itertools.product(*doc.grid.values())
    ]
    labels += [dict(extra) for extra in doc.points]
    points: list[StudyPoint] = []
    for index, label in enumerate(labels):
        config, found = _point_config(base, label)
        if found:
            what = (
                f"extra point {index - grid_count}" if index >= grid_count else _label_text(label)
            )
            problems += [
                {"path": p["path"], "message": f"{p['message']} ({what})"}
                for p in _under(f"points[{index}]", found)
            ]
            continue
        config = config.with_overrides(rounds=run_rounds)
        config = config.with_overrides(seed=point_seed(seed, config))
        points.append(StudyPoint(index, label, config, rounds, target))
    if problems:
        raise ConfigError(problems)
    return Study(doc, base, seed, rounds, tuple(points))


def _base_rounds(base: dict[str, Any]) -> int:
    return parse_config(base).simulation.rounds
