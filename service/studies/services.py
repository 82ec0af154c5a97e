"""Everything that changes a study: submit (every point validated first) and cancel.

A study is accepted whole or not at all: the document (`jost_engine.parse_study`), then every
point as a job of this service (`validate_job_config`: what the simulator cannot play, more
rounds than a job may have), then the study limits. Points already played by this user come
from the cache at once (`cache`); the others enter the ledger through the owner's window
(`scheduling`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from jost_engine import ConfigError, config_digest, parse_study
from jost_engine import Study as EngineStudy
from service.simulator.errors import ConfigInvalid, JobNotCancellable
from service.simulator.models import SimulationJob
from service.simulator.services import job_cancel, validate_job_config
from service.studies import scheduling
from service.studies.cache import played_before_many
from service.studies.errors import StudyInvalid, StudyNotCancellable, TooManyStudies
from service.studies.models import PointStatus, Study, StudyPoint, StudyStatus
from service.studies.summary import point_summary

Problems = list[dict[str, str]]


def _refused(problems: Problems) -> StudyInvalid:
    count = len(problems)
    return StudyInvalid(f"the study has {count} problem{'s' if count != 1 else ''}", problems)


def validate_study(data: object) -> EngineStudy:
    """The engine's validation of the document and of every point, plus this service's limits
    (``JOST_STUDY_MAX_POINTS``, ``JOST_STUDY_MAX_ROUNDS``, and every point as a job); raises
    `StudyInvalid` listing every problem with its path (``points[7].simulation.rounds``)."""
    if not isinstance(data, dict):
        raise _refused([{"path": "", "message": "a study must be a JSON object {...}"}])
    try:
        study = parse_study(data)
    except ConfigError as exc:
        raise _refused(list(exc.problems)) from None
    problems: Problems = []
    if study.target_se is not None:
        problems.append(
            {
                "path": "target_se",
                "message": "this service runs a fixed number of rounds per point: give rounds "
                "(a target SE runs locally: jost study run)",
            }
        )
    points = study.points()
    if len(points) > settings.JOST_STUDY_MAX_POINTS:
        problems.append(
            {
                "path": "grid",
                "message": f"this service runs at most {settings.JOST_STUDY_MAX_POINTS:,} "
                f"points per study, got {len(points):,}",
            }
        )
        raise _refused(problems)  # not worth checking each of too many points
    rounds = sum(point.rounds for point in points)
    if rounds > settings.JOST_STUDY_MAX_ROUNDS:
        problems.append(
            {
                "path": "rounds",
                "message": f"this service runs at most {settings.JOST_STUDY_MAX_ROUNDS:,} "
                f"rounds per study, got {rounds:,} rounds in {len(points)} points",
            }
        )
    for point in points:
        try:
            validate_job_config(point.config.model_dump(mode="json"))
        except ConfigInvalid as exc:
            problems += [
                {"path": f"points[{point.index}].{p['path']}".rstrip("."), "message": p["message"]}
                for p in exc.problems
            ]
    if problems:
        raise _refused(problems)
    return study


def study_submit(*, owner: AbstractBaseUser, data: object) -> Study:
    """Validate a study and accept it: its points are recorded, those played before served from
    the cache, and the first window of the rest submitted as jobs (sent once this commits)."""
    study = validate_study(data)
    active = Study.objects.filter(owner=owner, status=StudyStatus.RUNNING).count()
    if active >= settings.JOST_STUDY_MAX_ACTIVE:
        raise TooManyStudies(
            f"you have {active} studies running; this service runs at most "
            f"{settings.JOST_STUDY_MAX_ACTIVE} at once per user: wait for one or cancel one",
            [{"path": "", "message": "too many studies running"}],
        )
    points = study.points()
    now = timezone.now()
    rows = [
        StudyPoint(
            index=point.index,
            label=_json_label(point.label),
            config=point.config.model_dump(mode="json"),
            cache_key=point.cache_key,
            config_digest=config_digest(point.config),
            rounds=point.rounds,
        )
        for point in points
    ]
    with transaction.atomic():
        row = Study.objects.create(
            owner=owner,
            name=study.name[:200],
            document=study.to_dict(),
            bankroll=study.bankroll,
            engine_version=settings.JOST_ENGINE_VERSION,
            points_total=len(rows),
            rounds_total=sum(p.rounds for p in rows),
            created_at=now,
            updated_at=now,
        )
        for point in rows:
            point.study = row
        hits = played_before_many(
            owner_id=owner.pk, points=[(p.cache_key, p.config_digest) for p in rows]
        )
        results = dict(
            SimulationJob.objects.filter(pk__in=set(hits.values())).values_list("pk", "result_data")
        )
        for point in rows:
            job_id = hits.get(point.cache_key)
            if job_id is not None:
                point.status, point.job_id, point.cached = PointStatus.COMPLETE, job_id, True
                point.summary = point_summary(results[job_id], bankroll=study.bankroll)
                point.finished_at = now
        StudyPoint.objects.bulk_create(rows, batch_size=500)
        scheduling.study_settle(row.pk)
        scheduling.points_dispatch(owner.pk)
    row.refresh_from_db()
    return row


def _json_label(label: dict[str, Any]) -> dict[str, Any]:
    return {str(path): value for path, value in label.items()}


def study_cancel(*, study: Study) -> Study:
    """Cancel a study: waiting points at once, and every point's job (`job_cancel`: PENDING at
    once, RUNNING at its next check). Cancelling a cancelled study is a no-op; a COMPLETE or
    FAILED one raises `StudyNotCancellable`."""
    if study.status in (StudyStatus.COMPLETE, StudyStatus.FAILED):
        raise StudyNotCancellable(f"study {study.id} already finished ({study.status})")
    now = timezone.now()
    with transaction.atomic():
        locked = Study.objects.select_for_update().get(pk=study.pk)
        if locked.status == StudyStatus.RUNNING:
            Study.objects.filter(pk=study.pk).update(cancel_requested=True, updated_at=now)
            StudyPoint.objects.filter(study=study, status=PointStatus.WAITING).update(
                status=PointStatus.CANCELLED, finished_at=now
            )
    submitted = StudyPoint.objects.filter(study=study, status=PointStatus.SUBMITTED)
    for point in submitted.select_related("job"):
        if point.job is not None:
            # one that finished meanwhile is not cancellable: the point takes its result
            with contextlib.suppress(JobNotCancellable):
                job_cancel(job=point.job)
        scheduling.point_settle(point.pk)
    scheduling.study_settle(study.pk)
    study.refresh_from_db()
    if study.status in (StudyStatus.COMPLETE, StudyStatus.FAILED):
        raise StudyNotCancellable(f"study {study.id} already finished ({study.status})")
    return study
