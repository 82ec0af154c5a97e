"""The one request format: strict JSON (no NaN/Infinity), every failure a clear 400."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing NaN/Infinity and turning every decode failure into a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(f"the body is not UTF-8 text: {exc.reason}") from None
        try:
            return json.loads(text, parse_constant=_no_constants)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"the body is not usable JSON: {exc}") from None
