"""Pydantic's validation errors rewritten in words a blackjack player understands.

It knows which model sits at which path through `register_paths`, which the models call once
they exist: the wording needs the models' fields, and the models need the wording for
`Config.with_overrides`, so the table is handed over rather than imported.
"""

from __future__ import annotations

import difflib
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

from jost_engine.config.errors import show
from jost_engine.config.vocabulary import JOST_ERROR, UNION_TAGS

# Which model (or row/tag vocabulary) sits at a path; "*" stands for a list index.
_PATHS: dict[str, type[BaseModel] | tuple[str, ...]] = {}


def register_paths(paths: dict[str, type[BaseModel] | tuple[str, ...]]) -> None:
    """The models' table of paths (``jost_engine.config.models`` calls this once)."""
    _PATHS.update(paths)


_ROW_WORDS = {
    "strategy.basic.hard": "the rows of hard totals 4..21",
    "strategy.basic.soft": "the rows of soft totals 12..21",
    "strategy.basic.pairs": "the rows of pairs 2..10 and A",
    "counting.system.tags": "the tags of cards 2..9, 10 and A",
}


def _pattern(loc: tuple[Any, ...]) -> str:
    return ".".join("*" if isinstance(p, int) and not isinstance(p, bool) else str(p) for p in loc)


def _num(value: object) -> str:
    """A bound as people write it: 1, 0.95, 1000000000000."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bounds(model: type[BaseModel] | None, field: object) -> tuple[str | None, str | None]:
    """The lower and upper bounds of a numeric field, in words ("at least 1", "at most 8")."""
    info = model.model_fields.get(field) if model and isinstance(field, str) else None
    low = high = None
    for meta in info.metadata if info else ():
        if isinstance(meta, annotated_types.Ge):
            low = f"at least {_num(meta.ge)}"
        elif isinstance(meta, annotated_types.Gt):
            low = f"greater than {_num(meta.gt)}"
        elif isinstance(meta, annotated_types.Le):
            high = f"at most {_num(meta.le)}"
        elif isinstance(meta, annotated_types.Lt):
            high = f"less than {_num(meta.lt)}"
    return low, high


def _message(err: Any, loc: tuple[Any, ...]) -> str:
    """Rewrite one pydantic error in words a blackjack player understands."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    got = show(value)
    last = loc[-1] if loc else None
    name = str(last) if last is not None else "the config"
    parent_key = _pattern(loc[:-1])
    parent = _PATHS.get(parent_key)
    if parent_key == "counting.system.tags":
        name = f"the tag of {last}"
    elif isinstance(parent, tuple):
        name = f"row {last}"

    if kind == JOST_ERROR:
        return str(err["msg"])
    if kind == "extra_forbidden":
        if isinstance(parent, tuple):
            return f"unknown key '{last}'; expected {_ROW_WORDS[parent_key]}"
        message = f"unknown field '{last}'" if isinstance(last, str) else f"unknown field {last!r}"
        if isinstance(parent, type) and isinstance(last, str):
            close = difflib.get_close_matches(last, list(parent.model_fields), n=1, cutoff=0.6)
            if close:
                message += f" (did you mean '{close[0]}'?)"
        return message
    if kind == "missing":
        if isinstance(parent, tuple):
            return f"{name} is missing; {_ROW_WORDS[parent_key]} are all required"
        return f"required field {name!r} is missing"
    if kind == "literal_error":
        return f"expected {ctx.get('expected', 'one of the allowed values')}, got {got}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"expected a whole number, got {got}"
    if kind in {"float_type", "float_parsing"}:
        return f"expected a number, got {got}"
    if kind == "finite_number":
        return f"expected a finite number, got {got}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"expected true or false, got {got}"
    if kind in {"string_type", "string_sub_type"}:
        return f"expected text, got {got}"
    if kind in {"dict_type", "model_type", "model_attributes_type", "mapping_type"}:
        return f"expected an object {{...}}, got {got}"
    if kind in {"list_type", "tuple_type", "iterable_type"}:
        return f"expected a list [...], got {got}"
    if kind == "too_short":
        if ctx.get("min_length") == 1:
            return f"{name} needs at least one entry"
        return f"{name} needs at least {ctx.get('min_length')} entries"
    if kind == "too_long":
        return f"{name} has too many entries (at most {ctx.get('max_length')})"
    if kind == "multiple_of":
        return f"{name} must be a multiple of {ctx.get('multiple_of')}, got {got}"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        low, high = _bounds(parent if isinstance(parent, type) else None, last)
        if low and high and low.startswith("at least") and high.startswith("at most"):
            return f"{name} must be between {low[9:]} and {high[8:]}, got {got}"
        if low and high:
            return f"{name} must be {low} and {high}, got {got}"
        bound_words = {
            "greater_than": low or f"greater than {_num(ctx.get('gt'))}",
            "greater_than_equal": low or f"at least {_num(ctx.get('ge'))}",
            "less_than": high or f"less than {_num(ctx.get('lt'))}",
            "less_than_equal": high or f"at most {_num(ctx.get('le'))}",
        }
        return f"{name} must be {bound_words[kind]}, got {got}"
    if kind in {"union_tag_not_found", "union_tag_invalid"}:
        return f"unexpected value {got}"
    return str(err.get("msg", "invalid value"))


def problems(exc: ValidationError, prefix: tuple[Any, ...] = ()) -> list[dict[str, str]]:
    """Every error of a pydantic ValidationError as ``{"path", "message"}``, in order."""
    problems: list[dict[str, str]] = []
    for err in exc.errors(include_url=False):
        value = err.get("input")
        if (
            err["type"] == "too_short"
            and isinstance(value, list | tuple)
            and len(value) >= (err.get("ctx") or {}).get("min_length", 0)
        ):
            continue  # pydantic's echo of item errors ("too short after validation")
        loc = prefix + tuple(p for p in err["loc"] if p not in UNION_TAGS)
        problems.append({"path": ".".join(str(p) for p in loc), "message": _message(err, loc)})
    return problems
