"""OpenAPI additions: the engine's own config schema as the submit body, and no alias paths."""

from __future__ import annotations

import json
from typing import Any

from jost_engine import config_json_schema

CONFIG_COMPONENT = "JostConfig"
CONFIG_REF = {"$ref": f"#/components/schemas/{CONFIG_COMPONENT}"}


def _rewrite_refs(node: Any) -> Any:
    """JSON Schema's ``#/$defs/X`` references, moved under OpenAPI's components."""
    text = json.dumps(node).replace('"#/$defs/', '"#/components/schemas/JostConfig_')
    return json.loads(text)


def add_config_schema(result: dict[str, Any], generator: Any, request: Any, public: Any) -> dict:
    """Postprocessing hook: publish the config JSON Schema (generated from the engine models)."""
    schema = config_json_schema()
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[CONFIG_COMPONENT] = _rewrite_refs(schema)
    for name, definition in defs.items():
        components[f"{CONFIG_COMPONENT}_{name}"] = _rewrite_refs(definition)
    return result


def only_canonical_paths(endpoints: list[tuple]) -> list[tuple]:
    """Preprocessing hook: document ``/api/x/`` and not its slash-less alias ``/api/x``."""
    return [e for e in endpoints if e[0].endswith("/")]
