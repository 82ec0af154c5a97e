"""Reading a config (`parse_config`), the example game, the JSON Schema and the digest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from jost_engine.config.errors import ConfigError, show
from jost_engine.config.models import Config
from jost_engine.config.relations import relation_problems
from jost_engine.config.title import game_title
from jost_engine.config.wording import problems
from jost_engine.json_text import JSONTextError, read_json


def _parse(data: object) -> Config:
    if isinstance(data, str | bytes | bytearray | memoryview):
        try:
            data = read_json(data)
        except JSONTextError as exc:
            raise ConfigError([{"path": "", "message": str(exc)}]) from None
    if isinstance(data, Mapping) and not isinstance(data, dict):
        data = dict(data)
    if not isinstance(data, dict):
        raise ConfigError(
            [{"path": "", "message": f"a config must be a JSON object {{...}}, got {show(data)}"}]
        )
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems(exc)) from None
    between = relation_problems(config)
    if between:
        raise ConfigError(between)
    if not config.name.strip():  # a game without a name is called what it is
        config = config.model_copy(update={"name": game_title(config)})
    return config


def parse_config(data: object) -> Config:
    """Validate a config given as a dict, a JSON string/bytes, or a Config (returned as is).

    Raises ConfigError, listing every problem, and never any other exception.
    """
    if isinstance(data, Config):
        return data
    try:
        return _parse(data)
    except ConfigError:
        raise
    except Exception as exc:  # a last guard: bad input must never escape as another type
        message = f"the config could not be read ({type(exc).__name__})"
        raise ConfigError([{"path": "", "message": message}]) from exc


def default_config() -> Config:
    """The contract's example game (docs/config.md): every field at its default."""
    return parse_config({})


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the config, generated from the models."""
    schema = Config.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:jost:schema:config:v1",
        **schema,
        "title": "JOST simulation config",
        "description": (
            "The fully-hydrated blackjack simulation config (schema_version 1): table rules, "
            "playing strategy, counting system, bet ramp, bankroll and simulation length. "
            "Every field is optional and defaults to the standard 6-deck S17 DAS LS game."
        ),
    }


def canonical_json(config: Config) -> str:
    """The full hydrated document as compact JSON with sorted keys (the digest's input)."""
    return json.dumps(
        config.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def config_digest(config: Config) -> str:
    """SHA-256 (hex) of the canonical JSON, UTF-8 encoded: equal configs, equal digests."""
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()
