"""A point's summary as the service stores it: the engine's `summarize_point` of the job's
result for the study's bankroll, with every figure that has no value (no edge: no N0) as null,
since PostgreSQL's JSON has no NaN or infinity."""

from __future__ import annotations

import math
from typing import Any

from jost_engine import summarize_point


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def point_summary(result: dict[str, Any], *, bankroll: float | None) -> dict[str, Any]:
    """The figures a player compares games by (docs/study.md, "Summary")."""
    return dict(_json_safe(summarize_point(result, bankroll=bankroll)))
