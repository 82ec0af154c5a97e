"""The result cache: a point whose game this user has played before is not simulated again.

A result is a function of the fully hydrated config (seed and rounds included) and of the
engine that played it, so the cache is the ledger itself: a COMPLETE job of the same owner
whose point had the same `jost_engine.point_cache_key` (config + engine version), or a plain
job of the same owner with the same config digest and engine version. A result of another
engine version never matches. The cached point refers to that job, whose full result stays
retrievable at ``/api/results/<job_id>/`` (owner-only, so the cache is per user).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from service.simulator.models import JobStatus, SimulationJob
from service.studies.models import PointStatus, StudyPoint


def played_before(*, owner_id: Any, cache_key: str, config_digest: str) -> Any | None:
    """The id of a COMPLETE job of this owner that played this point's game, or None."""
    found = played_before_many(owner_id=owner_id, points=[(cache_key, config_digest)])
    return found.get(cache_key)


def played_before_many(*, owner_id: Any, points: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``{cache_key: job id}`` for every ``(cache_key, config_digest)`` played before (two
    queries, however many points)."""
    wanted = dict(points)
    if not wanted:
        return {}
    found: dict[str, Any] = dict(
        StudyPoint.objects.filter(
            study__owner_id=owner_id,
            cache_key__in=list(wanted),
            status=PointStatus.COMPLETE,
            job__status=JobStatus.COMPLETE,
            job__engine_version=settings.JOST_ENGINE_VERSION,  # a rolling deploy's other engine
        ).values_list("cache_key", "job_id")
    )
    missing = {digest: key for key, digest in wanted.items() if key not in found}
    if missing:
        plain = SimulationJob.objects.filter(
            owner_id=owner_id,
            config_digest__in=list(missing),
            engine_version=settings.JOST_ENGINE_VERSION,
            status=JobStatus.COMPLETE,
        ).values_list("config_digest", "id")
        for digest, job_id in plain:
            found.setdefault(missing[digest], job_id)
    return found
