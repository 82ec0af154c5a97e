"""Fair scheduling: each user has a window of ``JOST_STUDY_WINDOW`` points in the ledger at once.

A study does not submit its points all at once: 1,000 messages on the queue would make every
other user's job wait behind them. Its owner's points enter the ledger as jobs (`job_submit`,
sharded when large) only while fewer than ``JOST_STUDY_WINDOW`` of that owner's points are
PENDING or RUNNING there, oldest study first; when one finishes, the next is submitted. So a job
of another user, submitted at any moment, has at most one window of each busy user's points ahead
of it on the queue, however large their studies are.

A point moves on when its job's finishing event commits (`job_event_recorded`, a hook of the
simulator's signals, in whichever process finished the job). Should that process die between its
commit and the hook, every reaper turn (`jobs_reaped`) settles the points whose jobs finished and
fills the windows that have room: a study never stalls for longer than a reaper interval.

Every transition is conditional (a point leaves SUBMITTED once) and each owner's dispatch holds
the row locks of that owner's running studies, so two processes moving the same study at once
neither run a point twice nor open the window wider than its size.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from service.simulator.errors import JobError
from service.simulator.models import FINISHED, JobStatus, SimulationJob
from service.simulator.services import job_submit
from service.studies.cache import played_before
from service.studies.models import PointStatus, Study, StudyPoint, StudyStatus
from service.studies.signals import study_changed
from service.studies.summary import point_summary

logger = logging.getLogger(__name__)

_JOB_TO_POINT = {
    JobStatus.COMPLETE: PointStatus.COMPLETE,
    JobStatus.FAILED: PointStatus.FAILED,
    JobStatus.CANCELLED: PointStatus.CANCELLED,
}
_FINISHING_KINDS = ("completed", "failed", "cancelled")


# --------------------------------------------------------------------------------------------
# A study's counts and status
# --------------------------------------------------------------------------------------------


def _announce(study_id: Any) -> None:
    study_changed.send_robust(Study, study_id=study_id)


def study_settle(study_id: Any) -> None:
    """Recount a study's points and, once none is waiting or running, finish it: COMPLETE,
    FAILED (a point failed) or CANCELLED (its owner, or someone cancelling a point's job)."""
    now = timezone.now()
    with transaction.atomic():
        study = Study.objects.select_for_update().filter(pk=study_id).first()
        if study is None:
            return
        counts = StudyPoint.objects.filter(study_id=study_id).aggregate(
            done=Count("pk", filter=Q(status=PointStatus.COMPLETE)),
            failed=Count("pk", filter=Q(status=PointStatus.FAILED)),
            cancelled=Count("pk", filter=Q(status=PointStatus.CANCELLED)),
            cached=Count("pk", filter=Q(cached=True)),
        )
        fields: dict[str, Any] = {
            "points_done": counts["done"],
            "points_failed": counts["failed"],
            "points_cached": counts["cached"],
        }
        finished = counts["done"] + counts["failed"] + counts["cancelled"]
        if study.status == StudyStatus.RUNNING and finished == study.points_total:
            if study.cancel_requested or counts["cancelled"]:
                fields["status"] = StudyStatus.CANCELLED
            elif counts["failed"]:
                fields["status"] = StudyStatus.FAILED
            else:
                fields["status"] = StudyStatus.COMPLETE
            fields["finished_at"] = now
        changed = {k: v for k, v in fields.items() if getattr(study, k) != v}
        if changed:
            Study.objects.filter(pk=study_id).update(**changed, updated_at=now)
            transaction.on_commit(partial(_announce, study_id), robust=True)


# --------------------------------------------------------------------------------------------
# Points
# --------------------------------------------------------------------------------------------


def _serve(point: StudyPoint, job_id: Any, *, bankroll: float | None, cached: bool) -> bool:
    """Record a COMPLETE job's result as the point's (a conditional UPDATE; False if the point
    had already moved on)."""
    result = SimulationJob.objects.filter(pk=job_id).values_list("result_data", flat=True).get()
    summary = point_summary(result, bankroll=bankroll)
    return bool(
        StudyPoint.objects.filter(pk=point.pk, status=point.status).update(
            status=PointStatus.COMPLETE,
            job_id=job_id,
            cached=cached,
            summary=summary,
            finished_at=timezone.now(),
        )
    )


def point_settle(point_id: Any) -> bool:
    """A SUBMITTED point whose job has finished takes the job's outcome; False when its job is
    still PENDING or RUNNING (or the point had already moved on)."""
    point = (
        StudyPoint.objects.select_related("study")
        .filter(pk=point_id, status=PointStatus.SUBMITTED)
        .first()
    )
    if point is None:
        return False
    job = (
        SimulationJob.objects.filter(pk=point.job_id).values("status", "error").first()
        if point.job_id is not None
        else None
    )
    if job is None:  # deleted by the retention policy before the point could read it
        outcome, error = PointStatus.FAILED, "its job was deleted before it finished"
    elif job["status"] not in FINISHED:
        return False
    else:
        outcome, error = _JOB_TO_POINT[job["status"]], job["error"]
    if outcome == PointStatus.COMPLETE:
        return _serve(point, point.job_id, bankroll=point.study.bankroll, cached=False)
    return bool(
        StudyPoint.objects.filter(pk=point.pk, status=PointStatus.SUBMITTED).update(
            status=outcome, error=error, finished_at=timezone.now()
        )
    )


def job_finished(job_id: Any) -> None:
    """After a job's finishing event committed: its points take its outcome, their studies are
    recounted and their owners' windows filled."""
    points = list(
        StudyPoint.objects.filter(job_id=job_id, status=PointStatus.SUBMITTED).values_list(
            "pk", "study_id", "study__owner_id"
        )
    )
    for point_id, study_id, owner_id in points:
        point_settle(point_id)
        study_settle(study_id)
        points_dispatch(owner_id)


# --------------------------------------------------------------------------------------------
# The window
# --------------------------------------------------------------------------------------------


def points_dispatch(owner_id: Any) -> int:
    """Fill the owner's window: submit waiting points (oldest study first, in point order)
    while fewer than ``JOST_STUDY_WINDOW`` are in the ledger; a point played before is served
    from the cache instead and takes no place. Returns the number of jobs submitted."""
    window = settings.JOST_STUDY_WINDOW
    submitted = 0
    touched: set[Any] = set()
    with transaction.atomic():
        running = list(
            Study.objects.select_for_update()
            .filter(owner_id=owner_id, status=StudyStatus.RUNNING, cancel_requested=False)
            .order_by("created_at", "id")
            .values_list("pk", "bankroll")
        )
        if not running:
            return 0
        bankrolls = dict(running)
        order = {pk: place for place, (pk, _) in enumerate(running)}
        free = (
            window
            - StudyPoint.objects.filter(
                study__owner_id=owner_id, status=PointStatus.SUBMITTED
            ).count()
        )
        owner = None
        while free > 0:
            waiting = sorted(
                StudyPoint.objects.filter(study_id__in=list(bankrolls), status=PointStatus.WAITING)
                .order_by("study_id", "index")
                .select_for_update()[: free + 32],
                key=lambda p: (order[p.study_id], p.index),
            )
            if not waiting:
                break
            for point in waiting:
                if free <= 0:
                    break
                touched.add(point.study_id)
                bankroll = bankrolls[point.study_id]
                hit = played_before(
                    owner_id=owner_id, cache_key=point.cache_key, config_digest=point.config_digest
                )
                if hit is not None:
                    _serve(point, hit, bankroll=bankroll, cached=True)
                    continue
                owner = owner or get_user_model().objects.get(pk=owner_id)
                _submit(point, owner)
                submitted += 1
                free -= 1
    for study_id in touched:
        study_settle(study_id)
    return submitted


def _submit(point: StudyPoint, owner: Any) -> None:
    """The point becomes a job of the ledger (queued when the caller's transaction commits)."""
    try:
        job, _ = job_submit(owner=owner, data=point.config)
    except JobError as exc:  # the service's limits changed since the study was accepted
        problems = "; ".join(f"{p['path']}: {p['message']}" for p in exc.problems)
        StudyPoint.objects.filter(pk=point.pk, status=PointStatus.WAITING).update(
            status=PointStatus.FAILED,
            error=f"{exc.detail}: {problems}" if problems else exc.detail,
            finished_at=timezone.now(),
        )
        return
    StudyPoint.objects.filter(pk=point.pk, status=PointStatus.WAITING).update(
        status=PointStatus.SUBMITTED, job_id=job.pk, submitted_at=job.created_at
    )


# --------------------------------------------------------------------------------------------
# Hooks (connected in `service.studies.apps`)
# --------------------------------------------------------------------------------------------


def job_event_recorded(job_id: Any, kind: str, **_signal: Any) -> None:
    """Hook: a job's event was logged; a finishing one moves its points once it commits."""
    if str(kind) not in _FINISHING_KINDS:
        return
    transaction.on_commit(partial(_after_job_finished, job_id), robust=True)


def _after_job_finished(job_id: Any) -> None:
    try:
        job_finished(job_id)
    except Exception:  # the next reaper turn catches up (`studies_catch_up`)
        logger.warning("studies: moving the points of job %s failed", job_id, exc_info=True)


def studies_catch_up() -> dict[str, int]:
    """Settle every SUBMITTED point whose job finished and fill every window with room: what
    the finishing hooks would have done, had their process lived. Counts per action."""
    stale = StudyPoint.objects.filter(status=PointStatus.SUBMITTED).filter(
        Q(job__isnull=True) | Q(job__status__in=FINISHED)
    )
    settled = 0
    studies: set[Any] = set()
    for point_id, study_id in stale.values_list("pk", "study_id"):
        settled += point_settle(point_id)
        studies.add(study_id)
    for study_id in (
        Study.objects.filter(status=StudyStatus.RUNNING)
        .exclude(points__status__in=[PointStatus.WAITING, PointStatus.SUBMITTED])
        .values_list("pk", flat=True)
    ):
        studies.add(study_id)
    for study_id in studies:
        study_settle(study_id)
    owners = (
        Study.objects.filter(
            status=StudyStatus.RUNNING,
            cancel_requested=False,
            points__status=PointStatus.WAITING,
        )
        .values_list("owner_id", flat=True)
        .distinct()
    )
    submitted = sum(points_dispatch(owner_id) for owner_id in list(owners))
    return {"points_settled": settled, "points_submitted": submitted}


def jobs_reaped(**_signal: Any) -> None:
    """Hook: a reaper turn finished; catch up with whatever a dead process left undone."""
    try:
        counts = studies_catch_up()
    except Exception:
        logger.warning("studies: catching up after the reaper failed", exc_info=True)
        return
    if any(counts.values()):
        logger.info("studies: %s", counts)
