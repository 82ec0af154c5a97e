"""Sharded jobs through the services called directly: the plan, claims, the merge, the reaper.

A 400,000-round job makes 8 engine shards; with ``JOST_SHARD_ROUNDS`` = 150,000 they are grouped
into 3 service shards (3 + 3 + 2 engine shards). Everything runs in this process against the
test database; the live tests (test_shard_live.py) do the same with real workers.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from jost_engine import parse_config, plan_shards, run_simulation_from_config
from service.celery_app import app
from service.simulator import services, shard_services, tasks
from service.simulator.models import EventKind, JobShard, JobStatus, SimulationJob
from service.simulator.shard_services import plan_job_shards

pytestmark = pytest.mark.django_db

BIG = {"rules": {"decks": 6, "surrender": "late"}, "simulation": {"rounds": 400_000, "seed": 21}}
VOLATILE = {"elapsed_s", "rounds_per_second"}


def stable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in VOLATILE}


@pytest.fixture
def shard_rounds(settings) -> int:
    settings.JOST_SHARD_ROUNDS = 150_000
    return settings.JOST_SHARD_ROUNDS


def sharded_job(user, config=BIG) -> SimulationJob:
    job, created = services.job_submit(owner=user, data=config)
    assert created and job.shard_count == 3
    return job


def kinds(job: SimulationJob) -> list[str]:
    return list(job.events.values_list("kind", flat=True))


def shards(job: SimulationJob) -> list[JobShard]:
    return list(JobShard.objects.filter(job=job).order_by("index"))


def test_the_plan_groups_the_engines_shards_evenly_and_covers_every_round():
    config = parse_config({"simulation": {"rounds": 1_000_000_007, "seed": 1}})
    engine = plan_shards(config)
    spans = plan_job_shards(config, 20_000_000)
    assert len(spans) == 51  # ceil(1,000,000,007 / 20,000,000)
    assert [s.index for s in spans] == list(range(51))
    assert spans[0].first == 0 and spans[-1].first + spans[-1].count == len(engine)
    for before, after in pairwise(spans):
        assert after.first == before.first + before.count  # contiguous, no gap, no overlap
    assert sum(s.rounds for s in spans) == 1_000_000_007
    assert max(s.count for s in spans) - min(s.count for s in spans) <= 1
    # never more service shards than engine shards, never fewer than one
    small = parse_config({"simulation": {"rounds": 120_000}})
    assert len(plan_job_shards(small, 1)) == len(plan_shards(small))
    assert len(plan_job_shards(small, 10**9)) == 1


def test_a_job_above_the_setting_gets_shard_rows_and_one_message_per_shard(
    user, shard_rounds, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = sharded_job(user)
    assert len(callbacks) == 1
    rows = shards(job)
    assert [(s.index, s.first_engine_shard, s.engine_shard_count) for s in rows] == [
        (0, 0, 3),
        (1, 3, 3),
        (2, 6, 2),
    ]
    assert sum(s.rounds_total for s in rows) == 400_000
    assert all(s.status == JobStatus.PENDING and s.queued_at is not None for s in rows)

    small, _ = services.job_submit(owner=user, data={"simulation": {"rounds": 150_000}})
    assert small.shard_count == 0 and not JobShard.objects.filter(job=small).exists()


def test_dispatch_sends_each_shard_to_the_shards_queue(user, shard_rounds, monkeypatch, settings):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: sent.append(options))
    job = sharded_job(user)
    assert shard_services.shards_dispatch(job.pk) == 3
    assert [options["args"] for options in sent] == [[str(job.pk), i] for i in range(3)]
    assert {options["queue"] for options in sent} == {settings.JOST_SHARD_QUEUE}
    assert settings.JOST_SHARD_QUEUE in {q.name for q in app.conf.task_queues}
    assert app.conf.task_routes["simulator.run_jost_shard_task"]["queue"].endswith(".shards")


def test_shards_run_in_any_order_merge_to_the_local_result(user, shard_rounds):
    job = sharded_job(user)
    for index in (2, 0, 1):  # the order shards finish in changes nothing
        assert shard_services.shard_run(job.pk, index, worker=f"w{index}") == "complete"
        job.refresh_from_db()
        if index != 1:
            assert job.status == JobStatus.RUNNING and job.result_data is None
    assert job.status == JobStatus.COMPLETE
    assert job.rounds_done == job.rounds_total == 400_000
    assert job.attempts == 1 and job.finished_at is not None
    assert stable(job.result_data) == stable(run_simulation_from_config(BIG, workers=1).to_dict())
    assert kinds(job) == [EventKind.STARTED, EventKind.COMPLETED]
    assert all(s.status == JobStatus.COMPLETE and s.attempts == 1 for s in shards(job))


def test_a_redelivered_shard_message_changes_nothing(user, shard_rounds):
    job = sharded_job(user)
    assert shard_services.shard_run(job.pk, 0) == "complete"
    first = JobShard.objects.get(job=job, index=0)
    # the same message again, while the job runs and after it completed
    assert shard_services.shard_run(job.pk, 0) == "skipped"
    assert tasks.run_jost_shard_task.apply(args=[str(job.pk), 0]).get() == "skipped"
    again = JobShard.objects.get(job=job, index=0)
    assert (again.tally, again.attempts, again.finished_at) == (
        first.tally,
        1,
        first.finished_at,
    )
    for index in (1, 2):
        assert shard_services.shard_run(job.pk, index) == "complete"
    job.refresh_from_db()
    result, updated = job.result_data, job.updated_at
    assert shard_services.shard_run(job.pk, 2) == "skipped"
    job.refresh_from_db()
    assert (job.result_data, job.updated_at) == (result, updated)
    assert kinds(job).count(EventKind.COMPLETED) == 1


def test_progress_is_the_sum_over_shards(user, shard_rounds):
    job = sharded_job(user)
    assert shard_services.shard_run(job.pk, 1) == "complete"
    claim = shard_services.shard_claim(job.pk, 0, worker="w")
    assert shard_services.shard_heartbeat(claim, 12_345)
    job.refresh_from_db()
    assert job.rounds_done == 150_000 + 12_345


def test_a_shard_that_lost_its_claim_stores_nothing_and_only_it_runs_again(user, shard_rounds):
    job = sharded_job(user)
    stale = shard_services.shard_claim(job.pk, 1, worker="old")
    for index in (0, 2):
        assert shard_services.shard_run(job.pk, index, worker="steady") == "complete"
    JobShard.objects.filter(job=job, index=1).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    assert services.jobs_reap()["requeued"] == 1
    assert shard_services.shard_stop_reason(stale) == "lost"
    assert not shard_services.shard_heartbeat(stale, 5)
    assert not shard_services.shard_complete(stale, {"scale": 2, "counters": {}, "by_tc": {}})
    assert JobShard.objects.get(job=job, index=1).tally is None
    assert shard_services.shard_run(job.pk, 1, worker="new") == "complete"
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETE
    assert [s.attempts for s in shards(job)] == [1, 2, 1]
    assert job.attempts == 2
    assert stable(job.result_data) == stable(run_simulation_from_config(BIG, workers=1).to_dict())
    assert kinds(job) == [EventKind.STARTED, EventKind.SHARD_REQUEUED, EventKind.COMPLETED]


def test_a_shard_whose_workers_keep_dying_fails_the_job_with_the_reason(
    user, shard_rounds, settings
):
    settings.JOST_MAX_ATTEMPTS = 2
    job = sharded_job(user)
    running = shard_services.shard_claim(job.pk, 0, worker="healthy")
    later = timezone.now()
    for attempt in (1, 2):
        claim = shard_services.shard_claim(job.pk, 2, worker=f"doomed{attempt}")
        assert claim.attempt == attempt
        later += timedelta(seconds=settings.JOST_STALE_AFTER_S + 1)
        JobShard.objects.filter(job=job, index=0).update(heartbeat_at=later)  # still alive
        counts = services.jobs_reap(now=later)
    assert counts["failed"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("shard 2 of 3 failed: gave up after 2 attempts")
    assert "doomed2" in job.error
    assert [s.status for s in shards(job)] == [
        JobStatus.RUNNING,  # told to stop at its next check
        JobStatus.CANCELLED,  # never started
        JobStatus.FAILED,
    ]
    assert shard_services.shard_stop_reason(running) == "job_over"
    assert shard_services.shard_stopped(running)
    assert shard_services.shard_run(job.pk, 1) == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert kinds(job)[-2:] == [EventKind.SHARD_FAILED, EventKind.FAILED]


def test_an_engine_failure_in_a_shard_fails_the_job_readably(user, shard_rounds, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("the kernel ran out of cards")

    monkeypatch.setattr(shard_services, "run_shards", explode)
    job = sharded_job(user)
    assert shard_services.shard_run(job.pk, 1) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == (
        "shard 1 of 3 failed: the simulation failed: RuntimeError: the kernel ran out of cards"
    )


def test_cancel_stops_running_shards_and_drops_the_rest(user, shard_rounds):
    job = sharded_job(user)
    assert shard_services.shard_run(job.pk, 0) == "complete"
    running = shard_services.shard_claim(job.pk, 1, worker="busy")
    services.job_cancel(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.cancel_requested
    assert [s.status for s in shards(job)] == [
        JobStatus.COMPLETE,
        JobStatus.RUNNING,
        JobStatus.CANCELLED,
    ]
    assert shard_services.shard_run(job.pk, 2) == "skipped"
    assert shard_services.shard_stop_reason(running) == "cancel"
    assert shard_services.shard_stopped(running)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.result_data is None
    assert kinds(job)[-2:] == [EventKind.CANCEL_REQUESTED, EventKind.CANCELLED]


def test_cancel_between_chunks_of_a_running_shard(user, shard_rounds, settings, monkeypatch):
    settings.JOST_PROGRESS_INTERVAL_S = 0.0
    job = sharded_job(user)
    real = shard_services.shard_heartbeat
    seen = []

    def heartbeat_then_cancel(claim, rounds_done=None):
        if rounds_done is not None and not seen:
            seen.append(rounds_done)
            services.job_cancel(job=SimulationJob.objects.get(pk=claim.job_id))
        return real(claim, rounds_done)

    monkeypatch.setattr(shard_services, "shard_heartbeat", heartbeat_then_cancel)
    assert shard_services.shard_run(job.pk, 0) == "cancelled"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert all(s.status == JobStatus.CANCELLED for s in shards(job))
    assert 0 < seen[0] < 150_000


def test_cancelling_a_pending_sharded_job_cancels_every_shard(user, shard_rounds):
    job = sharded_job(user)
    services.job_cancel(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert {s.status for s in shards(job)} == {JobStatus.CANCELLED}
    assert shard_services.shard_run(job.pk, 0) == "skipped"


def test_the_reaper_resends_a_shard_whose_message_was_never_sent(user, shard_rounds, monkeypatch):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: sent.append(options["args"]))
    job = sharded_job(user)
    JobShard.objects.filter(job=job, index=1).update(queued_at=None)
    counts = services.jobs_reap()
    assert counts["redispatched"] == 1
    assert sent == [[str(job.pk), 1]]
    # the job-level reaper leaves sharded jobs to their shards
    SimulationJob.objects.filter(pk=job.pk).update(queued_at=None, created_at=timezone.now())
    assert services.jobs_reap(now=timezone.now() + timedelta(minutes=1))["redispatched"] == 0


def test_the_reaper_resends_a_shard_passed_over_by_a_dead_worker(
    user, shard_rounds, monkeypatch, settings
):
    """Shard 0's message was taken by a worker that died before claiming it; shard 1, sent
    after it on the same first-in-first-out queue, was claimed long ago: shard 0 is sent again."""
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: sent.append(options["args"]))
    job = sharded_job(user)
    shard_services.shard_claim(job.pk, 1, worker="alive")
    soon = timezone.now() + timedelta(seconds=1)
    JobShard.objects.filter(job=job, index=1).update(heartbeat_at=soon + timedelta(hours=1))
    assert services.jobs_reap(now=soon)["redispatched"] == 0  # shard 1 was claimed just now
    later = timezone.now() + timedelta(seconds=settings.JOST_STALE_AFTER_S + 1)
    assert services.jobs_reap(now=later)["redispatched"] == 1
    assert sent == [[str(job.pk), 0]]  # not shard 2, which was sent after shard 1
    assert services.jobs_reap(now=later)["redispatched"] == 0  # sent once, then it is newer
