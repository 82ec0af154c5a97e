"""The one request format: strict JSON (no NaN/Infinity), every failure a clear 400.

JSON can carry text no database column can store: a NUL (PostgreSQL refuses it in text) or a
lone surrogate such as ``"\\ud800"`` (not encodable as UTF-8). Such text, and documents nested
deeper than any config is, are refused here with the path of the first offending value, so
they never reach a query (where they were 500s).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from jost_engine.json_text import JSONTextError, read_json

MAX_DEPTH = 64  # a config is a handful of levels deep


class UnstorableText(ValueError):
    """A value the service cannot keep; the message names its path."""


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not a Unicode character)"
    return None


def refuse_unstorable(document: Any) -> Any:
    """``document`` unchanged, or UnstorableText naming the first bad key or string's path."""
    pending: list[tuple[Any, str, int]] = [(document, "", 0)]
    while pending:
        node, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise UnstorableText(f"{path or 'the body'}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, str):
            problem = _text_problem(node)
            if problem:
                raise UnstorableText(f"{path or 'the body'}: the text {problem}")
        elif isinstance(node, dict):
            for key, value in node.items():
                problem = _text_problem(str(key))
                where = f"{path}.{key!r}" if path else repr(key)
                if problem:
                    raise UnstorableText(f"{where}: the key {problem}")
                pending.append((value, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(node, list):
            pending.extend(
                (item, f"{path}.{i}" if path else str(i), depth + 1) for i, item in enumerate(node)
            )
    return document


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing NaN/Infinity and unstorable text, every failure a 400.

    The reading and the wording are the engine's (`jost_engine.json_text.read_json`), the same
    as for configs read from files.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            return refuse_unstorable(read_json(raw, "the body", strict=True))
        except (JSONTextError, UnstorableText) as exc:
            raise ParseError(str(exc)) from None
