"""OpenAPI additions: the engine's own config schema as the submit body, the errors every
operation can answer, links from a submit to its job, and no alias paths.

The document must tell the truth to generators (schemathesis runs against it in the tests,
tests/service/test_api_contract.py), so:

* the config's JSON Schema (draft 2020-12, from the engine's models) is rewritten in OpenAPI
  3.0's dialect: numeric ``exclusiveMinimum`` becomes ``minimum`` + ``exclusiveMinimum: true``,
  ``const`` an ``enum`` of one, ``{"type": "null"}`` alternatives ``nullable``, and a ``$ref``
  with siblings an ``allOf`` (3.0 ignores a ``$ref``'s siblings; generators choke on them);
* every operation lists the errors it really answers: 400 (bad input), 401 (authenticated
  ones), 413 and 415 (bodies), 429 (everything is throttled), in the one error shape;
* a submit's 202 links to the job's status, result, events and cancel, so a stateful run can
  follow a job from its creation.
"""

from __future__ import annotations

import json
from typing import Any

from jost_engine import config_json_schema

CONFIG_COMPONENT = "JostConfig"
CONFIG_REF = {"$ref": f"#/components/schemas/{CONFIG_COMPONENT}"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
JOB_LINKS = {"status": "status", "result": "result", "events": "job_events", "cancel": "cancel"}


def _rewrite_refs(node: Any) -> Any:
    """JSON Schema's ``#/$defs/X`` references, moved under OpenAPI's components."""
    text = json.dumps(node).replace('"#/$defs/', '"#/components/schemas/JostConfig_')
    return json.loads(text)


def _is_null(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "null" and len(node) == 1


def openapi_30(node: Any) -> Any:
    """A JSON Schema (2020-12) node in OpenAPI 3.0's dialect (see the module's docstring)."""
    if isinstance(node, list):
        return [openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: openapi_30(value) for key, value in node.items()}
    for bound, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[inclusive] = value
            out[bound] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for combiner in ("anyOf", "oneOf"):
        options = out.get(combiner)
        if isinstance(options, list) and any(_is_null(o) for o in options):
            rest = [o for o in options if not _is_null(o)]
            out["nullable"] = True
            if len(rest) == 1:
                del out[combiner]
                only = rest[0]
                if "$ref" in only:
                    out["allOf"] = [only]
                else:
                    out = {**only, **out}
            else:
                out[combiner] = rest
    if "$ref" in out and len(out) > 1:
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def add_config_schema(result: dict[str, Any], generator: Any, request: Any, public: Any) -> dict:
    """Postprocessing hook: publish the config JSON Schema (generated from the engine models)."""
    schema = config_json_schema()
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[CONFIG_COMPONENT] = openapi_30(_rewrite_refs(schema))
    for name, definition in defs.items():
        components[f"{CONFIG_COMPONENT}_{name}"] = openapi_30(_rewrite_refs(definition))
    return result


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: Any) -> dict:
    """Postprocessing hook: the errors each operation can answer, and a submit's links."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "error": {"type": "string"},
                "detail": {"type": "string"},
                "problems": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "required": ["error", "detail", "problems"],
        },
    )
    for route, path in result.get("paths", {}).items():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            wanted = {"429": "Throttled: wait for Retry-After seconds"}
            if operation.get("parameters") or operation.get("requestBody") or "{" in route:
                wanted["400"] = "Bad input (every problem with its path)"
            if any(entry for entry in operation.get("security", [{}])):
                wanted["401"] = "No valid token: missing, wrong, expired or revoked"
            if method in {"post", "put", "patch"}:
                wanted["400"] = "Bad input (every problem with its path)"
                wanted["413"] = "The body is larger than JOST_MAX_BODY_BYTES"
                wanted["415"] = "The body is not application/json"
            for code, description in wanted.items():
                responses.setdefault(code, _error(description))
            if operation.get("operationId") == "submit" and "202" in responses:
                responses["202"]["links"] = {
                    name: {
                        "operationId": target,
                        "parameters": {"job_id": "$response.body#/job_id"},
                    }
                    for name, target in JOB_LINKS.items()
                }
    return result


def only_canonical_paths(endpoints: list[tuple]) -> list[tuple]:
    """Preprocessing hook: document ``/api/x/`` and not its slash-less alias ``/api/x``."""
    return [e for e in endpoints if e[0].endswith("/")]
