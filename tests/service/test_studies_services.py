"""Studies in process: validation with every path, limits, the window, the cache (never across
engine versions), cancel, owner-only endpoints and the catch-up after a lost hook.

Jobs run here by calling the simulator's own `job_run` (the memory broker delivers nothing), with
the commit hooks executed, so a finishing job moves its study exactly as on a worker.
"""

from __future__ import annotations

import pytest

from jost_engine import parse_study, run_simulation_from_config
from service.simulator import services as jobs
from service.simulator.models import JobStatus, SimulationJob
from service.studies import scheduling, services
from service.studies.errors import StudyInvalid, TooManyStudies
from service.studies.models import PointStatus, Study, StudyPoint, StudyStatus
from service.studies.summary import point_summary
from tests.service.test_live import stable

pytestmark = pytest.mark.django_db

STUDY = {
    "name": "pen",
    "base": {"rules": {"decks": 2}},
    "grid": {"rules.penetration": [0.6, 0.7, 0.8]},
    "rounds": 4_000,
    "seed": 11,
    "bankroll": 200,
}


@pytest.fixture(autouse=True)
def _window(settings):
    settings.JOST_STUDY_WINDOW = 2


def run_all(study: Study, hooks) -> list[str]:
    """Run the study's submitted jobs one by one (each finish submits the next) to the end."""
    ran = []
    for _ in range(100):
        pending = list(
            StudyPoint.objects.filter(study=study, status=PointStatus.SUBMITTED).values_list(
                "job_id", flat=True
            )
        )
        if not pending:
            break
        for job_id in pending:
            with hooks(execute=True):
                jobs.job_run(job_id, worker="test")
            ran.append(str(job_id))
    study.refresh_from_db()
    return ran


def test_a_study_runs_through_the_window_and_every_point_is_the_local_run(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        study = services.study_submit(owner=user, data=STUDY)
    assert study.status == StudyStatus.RUNNING and study.points_total == 3
    statuses = list(StudyPoint.objects.filter(study=study).values_list("status", flat=True))
    assert statuses == [PointStatus.SUBMITTED, PointStatus.SUBMITTED, PointStatus.WAITING]
    ran = run_all(study, django_capture_on_commit_callbacks)
    assert len(ran) == 3 and study.status == StudyStatus.COMPLETE and study.points_done == 3
    for point, row in zip(parse_study(STUDY).points(), study.points.order_by("index"), strict=True):
        local = run_simulation_from_config(point.config, workers=1).to_dict()
        assert row.summary == point_summary(local, bankroll=200)
        assert stable(SimulationJob.objects.get(pk=row.job_id).result_data) == stable(local)


def test_a_second_identical_study_is_served_from_the_cache_and_never_across_versions(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.study_submit(owner=user, data=STUDY)
    run_all(first, django_capture_on_commit_callbacks)
    jobs_before = SimulationJob.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        again = services.study_submit(owner=user, data={**STUDY, "bankroll": 100})
    assert again.status == StudyStatus.COMPLETE and again.points_cached == 3
    assert SimulationJob.objects.count() == jobs_before
    old = {p.index: p for p in first.points.all()}
    for point in again.points.all():
        assert point.cached and point.job_id == old[point.index].job_id
        assert point.summary["bankroll_units"] == 100  # this study's bankroll, same result
        assert point.summary["ev_per_round"] == old[point.index].summary["ev_per_round"]
    SimulationJob.objects.update(engine_version="0.0.0-another-engine")
    with django_capture_on_commit_callbacks(execute=True):
        other = services.study_submit(owner=user, data=STUDY)
    assert other.points_cached == 0 and other.status == StudyStatus.RUNNING


def test_a_plain_job_of_the_same_game_serves_a_point(user, django_capture_on_commit_callbacks):
    point = parse_study(STUDY).points()[1]
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = jobs.job_submit(owner=user, data=point.config.model_dump(mode="json"))
    jobs.job_run(job.pk, worker="test")
    with django_capture_on_commit_callbacks(execute=True):
        study = services.study_submit(owner=user, data=STUDY)
    served = study.points.get(index=1)
    assert served.cached and served.job_id == job.pk and served.status == PointStatus.COMPLETE
    assert study.points_cached == 1


def test_every_problem_is_refused_with_its_path(user, settings):
    bad = {**STUDY, "grid": {"rules.decks": [2, 0]}, "rounds": 2_000}
    with pytest.raises(StudyInvalid) as info:
        services.study_submit(owner=user, data=bad)
    assert [p["path"] for p in info.value.problems] == ['grid["rules.decks"][1]']
    with pytest.raises(StudyInvalid) as info:
        services.study_submit(owner=user, data={**STUDY, "rounds": None, "target_se": 0.01})
    assert [p["path"] for p in info.value.problems] == ["target_se"]
    settings.JOST_MAX_ROUNDS = 3_000
    with pytest.raises(StudyInvalid) as info:
        services.study_submit(owner=user, data=STUDY)
    paths = [p["path"] for p in info.value.problems]
    assert paths == [f"points[{i}].simulation.rounds" for i in range(3)]
    assert Study.objects.count() == 0 and SimulationJob.objects.count() == 0


def test_another_users_job_waits_behind_at_most_one_window_of_a_study(
    user, other_user, django_capture_on_commit_callbacks
):
    """Fair between users: a ten-point study puts two jobs (the window) in the ledger; a job
    another user submits then is next after them, ahead of the study's other eight points."""
    ten = {**STUDY, "grid": {"rules.penetration": [0.5 + 0.04 * i for i in range(10)]}}
    with django_capture_on_commit_callbacks(execute=True):
        study = services.study_submit(owner=user, data=ten)
    assert SimulationJob.objects.filter(owner=user).count() == 2  # the window, not ten
    with django_capture_on_commit_callbacks(execute=True):
        theirs = jobs.job_submit(owner=other_user, data={"simulation": {"rounds": 1_000}})[0]
    run_all(study, django_capture_on_commit_callbacks)
    order = list(SimulationJob.objects.order_by("created_at", "id").values_list("owner", flat=True))
    assert order.index(other_user.pk) == 2  # behind the two of the window, before the rest
    assert order.count(user.pk) == 10 and study.status == StudyStatus.COMPLETE
    theirs.refresh_from_db()
    assert theirs.status == JobStatus.PENDING  # untouched by the study's runs


def test_limits_are_refused(user, settings, django_capture_on_commit_callbacks):
    settings.JOST_STUDY_MAX_POINTS = 2
    with pytest.raises(StudyInvalid) as info:
        services.study_submit(owner=user, data=STUDY)
    assert (
        info.value.problems[0]["path"] == "grid"
        and "at most 2 points" in info.value.detail + (info.value.problems[0]["message"])
    )
    settings.JOST_STUDY_MAX_POINTS = 10
    settings.JOST_STUDY_MAX_ROUNDS = 11_999
    with pytest.raises(StudyInvalid) as info:
        services.study_submit(owner=user, data=STUDY)
    assert info.value.problems[0]["path"] == "rounds"
    assert "12,000 rounds" in info.value.problems[0]["message"]
    settings.JOST_STUDY_MAX_ROUNDS = 12_000
    settings.JOST_STUDY_MAX_ACTIVE = 1
    with django_capture_on_commit_callbacks(execute=True):
        services.study_submit(owner=user, data=STUDY)
    with pytest.raises(TooManyStudies):
        services.study_submit(owner=user, data={**STUDY, "seed": 12})


def test_cancel_stops_every_point(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        study = services.study_submit(owner=user, data=STUDY)
        study = services.study_cancel(study=study)
    assert study.status == StudyStatus.CANCELLED
    assert set(study.points.values_list("status", flat=True)) == {PointStatus.CANCELLED}
    assert set(SimulationJob.objects.values_list("status", flat=True)) == {JobStatus.CANCELLED}
    assert services.study_cancel(study=study).status == StudyStatus.CANCELLED  # a no-op


def test_a_lost_hook_is_caught_up_by_the_reaper_turn(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        study = services.study_submit(owner=user, data=STUDY)
    first = study.points.get(index=0)
    with django_capture_on_commit_callbacks(execute=False):  # the process died after its commit
        jobs.job_run(first.job_id, worker="test")
    assert study.points.get(index=0).status == PointStatus.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        jobs.jobs_reap()  # any worker's reaper turn
    assert study.points.get(index=0).status == PointStatus.COMPLETE
    assert study.points.get(index=2).status == PointStatus.SUBMITTED  # the window moved on
    assert scheduling.studies_catch_up() == {"points_settled": 0, "points_submitted": 0}


def test_the_endpoints_are_owner_only(api, other_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reply = api.post("/api/studies/", STUDY, format="json")
    assert reply.status_code == 202, reply.json()
    sid = reply.json()["id"]
    detail = api.get(f"/api/studies/{sid}/").json()
    assert detail["points_total"] == 3 and [p["status"] for p in detail["points"]] == [
        "PENDING",
        "PENDING",
        "WAITING",
    ]
    assert detail["points"][0]["result_url"].endswith(
        f"/api/results/{detail['points'][0]['job_id']}/"
    )
    assert api.get("/api/studies/").json()["count"] == 1
    assert other_api.get(f"/api/studies/{sid}/").status_code == 404
    assert other_api.post(f"/api/studies/{sid}/cancel/").status_code == 404
    assert other_api.get("/api/studies/").json()["count"] == 0
    refused = api.post("/api/studies/", {**STUDY, "grid": {"rules.decks": [0]}}, format="json")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_study"
    assert refused.json()["problems"][0]["path"] == 'grid["rules.decks"][0]'
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = api.post(f"/api/studies/{sid}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
