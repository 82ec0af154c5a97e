"""The job services called directly: claims, exactly-once transitions, failures, the reaper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jost_engine import parse_config
from service.celery_app import app
from service.simulator import services, shard_services, signals, tasks
from service.simulator.errors import ConfigInvalid
from service.simulator.models import EventKind, JobStatus, SimulationJob

pytestmark = pytest.mark.django_db

SMALL = {"rules": {"decks": 2}, "simulation": {"rounds": 10_000, "seed": 3}}


def new_job(user, config=SMALL) -> SimulationJob:
    job, created = services.job_submit(owner=user, data=config)
    assert created
    return job


def kinds(job: SimulationJob) -> list[str]:
    return list(job.events.values_list("kind", flat=True))


def test_validation_uses_the_engines_models(settings):
    assert services.validate_job_config(SMALL) == parse_config(SMALL)
    with pytest.raises(ConfigInvalid) as info:
        services.validate_job_config({"rules": {"decks": 0, "double_on": "anything"}})
    assert [p["path"] for p in info.value.problems] == ["rules.decks", "rules.double_on"]
    assert info.value.detail == "the config has 2 problems"


def test_validation_never_runs_the_chart_analysis_in_the_web_request(monkeypatch):
    """A rule set the process has not seen is validated with its family's published chart;
    the optimal chart is built by the worker that plays the game."""
    import jost_engine.analysis

    def analysis(*_: object) -> None:
        raise AssertionError("the exact analyzer ran during validation")

    monkeypatch.setattr(jost_engine.analysis, "basic_chart", analysis)
    services._refusals_of_game.cache_clear()  # a game checked before would not be checked again
    unusual = {"rules": {"decks": 3, "dealer_hits_soft_17": True, "max_split_hands": 3}}
    assert services.validate_job_config(unusual).rules.decks == 3
    refused = {"rules": {"infinite_deck": True}}
    with pytest.raises(ConfigInvalid) as caught:
        services.validate_job_config(refused)
    assert caught.value.problems[0]["path"] == "rules.infinite_deck"


def test_submit_dispatches_once_the_transaction_commits(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = new_job(user)
    assert len(callbacks) == 1
    assert job.status == JobStatus.PENDING
    assert kinds(job) == []  # the row's created_at says when it was submitted


def test_dispatch_sends_time_limits_that_grow_with_the_job(user, monkeypatch, settings):
    sent = {}

    def fake_send_task(name, *, args, **options):
        sent.update(args=args, **options)

    monkeypatch.setattr(app, "send_task", fake_send_task)
    job = new_job(user)
    assert services.job_dispatch(job.pk, job.rounds_total)
    soft, hard = services.time_limits(job.rounds_total)
    assert sent.pop("task_id").startswith(f"{job.pk}.")  # names the job (simulator.deliveries)
    assert sent == {"args": [str(job.pk)], "soft_time_limit": soft, "time_limit": hard}
    assert hard > soft > settings.JOST_TIME_LIMIT_BASE_S
    assert services.time_limits(10**9)[0] > services.time_limits(10**6)[0] + 1000
    job.refresh_from_db()
    assert job.queued_at is not None


def test_messages_are_sent_by_the_names_the_tasks_are_registered_under(user, monkeypatch):
    """The services send by name and never import the tasks; the names must be the tasks'."""
    names = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: names.append(name))
    job = new_job(user)
    assert services.job_dispatch(job.pk, job.rounds_total)
    assert shard_services.shard_dispatch(job.pk, 0, job.rounds_total)
    assert names == [tasks.run_jost_simulation_task.name, tasks.run_jost_shard_task.name]
    assert set(names) <= set(app.tasks)


def test_every_event_logged_is_signalled_to_its_listeners(user):
    heard = []

    def listener(sender, *, job_id, kind, **_):
        heard.append((sender, job_id, kind))

    signals.job_event_recorded.connect(listener)
    try:
        job = new_job(user)
        services.job_claim(job.pk, worker="w1")
        services.job_cancel(job=job)
    finally:
        signals.job_event_recorded.disconnect(listener)
    assert heard == [
        (SimulationJob, job.pk, EventKind.STARTED),
        (SimulationJob, job.pk, EventKind.CANCEL_REQUESTED),
    ]


def test_a_broker_outage_at_submit_leaves_the_job_pending_for_the_reaper(user, monkeypatch):
    def refuse(name, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app, "send_task", refuse)
    job = new_job(user)
    assert services.job_dispatch(job.pk, job.rounds_total) is False
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.queued_at is None

    monkeypatch.undo()
    monkeypatch.setattr(app, "send_task", lambda name, **kw: None)
    later = timezone.now() + timedelta(seconds=30)
    assert services.jobs_reap(now=later)["redispatched"] == 1
    job.refresh_from_db()
    assert job.queued_at is not None


def test_a_job_is_claimed_once_per_attempt(user):
    job = new_job(user)
    first = services.job_claim(job.pk, worker="w1")
    assert first is not None and first.attempt == 1
    assert services.job_claim(job.pk, worker="w2") is None  # a duplicate message
    assert services.job_run(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.attempts == 1 and job.worker == "w1"


def test_a_redelivered_message_never_runs_a_finished_job_again(user):
    job = new_job(user)
    assert services.job_run(job.pk) == "complete"
    job.refresh_from_db()
    result, finished_at = job.result_data, job.finished_at
    assert services.job_run(job.pk) == "skipped"
    assert tasks.run_jost_simulation_task.apply(args=[str(job.pk)]).get() == "skipped"
    job.refresh_from_db()
    assert (job.result_data, job.finished_at, job.attempts) == (result, finished_at, 1)
    assert kinds(job).count(EventKind.COMPLETED) == 1


def test_the_celery_task_runs_the_job(user):
    job = new_job(user)
    assert tasks.run_jost_simulation_task.apply(args=[str(job.pk)]).get() == "complete"
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETE
    assert job.result_data["rounds"] == 10_000


def test_a_worker_that_lost_its_claim_writes_nothing(user):
    job = new_job(user)
    stale = services.job_claim(job.pk, worker="old")
    SimulationJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert services.jobs_reap()["requeued"] == 1
    fresh = services.job_claim(job.pk, worker="new")
    assert fresh.attempt == 2
    assert services.job_stop_reason(stale) == "lost"
    assert not services.job_heartbeat(stale, 5)
    assert not services.job_complete(stale, {"rounds": 1})
    assert not services.job_fail(stale, "too late")
    assert services.job_complete(fresh, {"rounds": 10_000})
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETE and job.result_data == {"rounds": 10_000}


def test_the_reaper_requeues_then_gives_up_with_the_reason(user, settings):
    settings.JOST_MAX_ATTEMPTS = 2
    job = new_job(user)
    later = timezone.now()
    for attempt in (1, 2):
        claim = services.job_claim(job.pk, worker=f"w{attempt}")
        assert claim.attempt == attempt
        later += timedelta(seconds=settings.JOST_STALE_AFTER_S + 1)
        counts = services.jobs_reap(now=later)
    assert counts["failed"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("gave up after 2 attempts")
    assert "w2" in job.error
    assert kinds(job) == [
        EventKind.STARTED,
        EventKind.REQUEUED,
        EventKind.STARTED,
        EventKind.FAILED,
    ]


def test_the_reaper_leaves_live_jobs_alone_and_finishes_cancelled_ones(user, settings):
    alive = new_job(user)
    services.job_claim(alive.pk, worker="busy")
    doomed = new_job(user)
    services.job_claim(doomed.pk, worker="gone")
    services.job_cancel(job=doomed)
    later = timezone.now() + timedelta(seconds=settings.JOST_STALE_AFTER_S + 1)
    SimulationJob.objects.filter(pk=alive.pk).update(heartbeat_at=later)
    counts = services.jobs_reap(now=later)
    assert counts == {"requeued": 0, "failed": 0, "cancelled": 1, "redispatched": 0, "expired": 0}
    alive.refresh_from_db()
    doomed.refresh_from_db()
    assert alive.status == JobStatus.RUNNING
    assert doomed.status == JobStatus.CANCELLED


def test_an_engine_failure_is_a_readable_failed_job(user, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("the kernel ran out of cards")

    monkeypatch.setattr(services, "run_simulation_from_config", explode)
    job = new_job(user)
    assert services.job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "the simulation failed: RuntimeError: the kernel ran out of cards"
    assert job.finished_at is not None


def test_a_job_past_its_time_limit_fails_with_the_reason(user):
    job = new_job(user, {"simulation": {"rounds": 5_000_000}})
    assert services.job_run(job.pk, time_limit_s=1e-9) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("time limit exceeded")


def test_cancel_is_read_between_chunks_and_ends_cancelled(user, monkeypatch, settings):
    settings.JOST_PROGRESS_INTERVAL_S = 0.0
    job = new_job(user, {"simulation": {"rounds": 2_000_000}})
    real = services.job_heartbeat
    seen = []

    def heartbeat_then_cancel(claim, rounds_done=None):
        if rounds_done is not None:
            seen.append(rounds_done)
            SimulationJob.objects.filter(pk=claim.job_id).update(cancel_requested=True)
        return real(claim, rounds_done)

    monkeypatch.setattr(services, "job_heartbeat", heartbeat_then_cancel)
    assert services.job_run(job.pk) == "cancelled"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert len(seen) == 1 and 0 < seen[0] < 2_000_000  # it stopped after the next chunk
    assert job.rounds_done == seen[0]


def test_progress_is_written_at_most_once_per_interval(user, monkeypatch, settings):
    settings.JOST_PROGRESS_INTERVAL_S = 3600.0
    writes = []
    real = services.job_heartbeat
    monkeypatch.setattr(
        services, "job_heartbeat", lambda claim, done=None: writes.append(done) or real(claim, done)
    )
    job = new_job(user, {"simulation": {"rounds": 1_000_000}})
    assert services.job_run(job.pk) == "complete"
    assert writes == []  # 200 progress reports, no write within the hour


def test_celery_is_configured_for_late_acks_and_one_message_at_a_time():
    task = tasks.run_jost_simulation_task
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.ignore_result is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_acks_late is True
    routes = app.conf.task_routes
    assert routes["simulator.reap_stale_jobs"]["queue"].endswith(".control")
    assert "reap-stale-jobs" in app.conf.beat_schedule


def test_the_reap_jobs_command_reports_what_it_did(user, settings):
    from io import StringIO

    from django.core.management import call_command

    job = new_job(user)
    services.job_claim(job.pk, worker="vanished")
    SimulationJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOST_STALE_AFTER_S + 5)
    )
    out = StringIO()
    call_command("reap_jobs", stdout=out)
    assert out.getvalue().split() == [
        "requeued=1",
        "failed=0",
        "cancelled=0",
        "redispatched=0",
        "expired=0",
    ]
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING


def test_the_jost_token_command_creates_a_user_once(django_user_model):
    from io import StringIO

    from django.core.management import call_command

    from service.accounts.tokens import token_find

    first, again = StringIO(), StringIO()
    call_command("jost_token", "carol", stdout=first)
    call_command("jost_token", "carol", stdout=again)
    keys = [first.getvalue().strip(), again.getvalue().strip()]
    # only digests are stored, so each call issues a new key; both work, for the one user
    assert keys[0] != keys[1] and all(len(key) == 40 for key in keys)
    assert {token_find(key).user.username for key in keys} == {"carol"}
    assert django_user_model.objects.filter(username="carol").count() == 1
    assert not django_user_model.objects.get(username="carol").has_usable_password()


def test_finished_jobs_expire_by_policy_only(user, settings):
    done = new_job(user)
    services.job_run(done.pk)
    waiting = new_job(user)
    much_later = timezone.now() + timedelta(days=400)
    assert services.jobs_reap(now=much_later)["expired"] == 0  # kept unless a policy is set
    settings.JOST_RETENTION_DAYS = 30
    SimulationJob.objects.filter(pk=waiting.pk).update(queued_at=much_later)
    assert services.jobs_reap(now=much_later)["expired"] == 1
    assert list(SimulationJob.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_a_job_without_a_name_is_named_from_its_own_rules(user, django_capture_on_commit_callbacks):
    """The README's example names no game: the job list shows its rules, not a default's name."""
    data = {"rules": {"decks": 2, "dealer_hits_soft_17": True}, "simulation": {"rounds": 1000}}
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = services.job_submit(owner=user, data=data)
    assert job.name == parse_config(data).name
    assert job.name.startswith("2D H17") and "Vegas" not in job.name
