"""The Developer Workbench through Django's test client: who may see it, the Raw JSON Runner's
validate and submit, the Job History, a job's page and a one-click re-run."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from service.simulator import services
from service.simulator.models import JobStatus, SimulationJob

pytestmark = pytest.mark.django_db

SMALL = {"rules": {"decks": 2}, "simulation": {"rounds": 10_000, "seed": 3}}
PASSWORD = "staff horse battery"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("carol", password=PASSWORD, is_staff=True)


@pytest.fixture
def bench(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def post_json(client: Client, url: str, body: object) -> tuple[int, dict]:
    text = body if isinstance(body, str) else json.dumps(body)
    reply = client.post(url, text, content_type="application/json")
    return reply.status_code, reply.json()


def finished_job(owner, config=SMALL) -> SimulationJob:
    job = services.job_submit(owner=owner, data=config)[0]
    assert services.job_run(job.pk) == "complete"
    job.refresh_from_db()
    return job


# ---- who may see it ----------------------------------------------------------------------------


def test_anonymous_visitors_get_the_login_page_and_non_staff_get_403(user, client):
    for url in ("/workbench/", "/workbench/jobs/"):
        reply = client.get(url)
        assert reply.status_code == 302 and reply["Location"] == f"/workbench/login/?next={url}"
    login = client.get("/workbench/login/?next=/workbench/")
    assert login.status_code == 200 and b'name="password"' in login.content

    client.force_login(user)  # alice is not staff
    for url in ("/workbench/", "/workbench/jobs/"):
        reply = client.get(url)
        assert reply.status_code == 403 and b"Staff only" in reply.content
    status, body = post_json(client, "/workbench/submit/", SMALL)
    assert (status, body["error"]) == (403, "forbidden")
    client.logout()
    status, body = post_json(client, "/workbench/submit/", SMALL)
    assert (status, body["error"]) == (401, "not_authenticated")
    assert SimulationJob.objects.count() == 0


def test_staff_log_in_with_a_password_and_land_on_the_runner(staff, client):
    wrong = client.post("/workbench/login/", {"username": "carol", "password": "nope"})
    assert wrong.status_code == 200 and b"did not match" in wrong.content
    reply = client.post("/workbench/login/", {"username": "carol", "password": PASSWORD})
    assert reply.status_code == 302 and reply["Location"] == "/workbench/"
    assert client.get("/workbench/").status_code == 200


def test_the_stylesheet_is_served(bench):
    page = bench.get("/workbench/").content.decode()
    assert '<link rel="stylesheet" href="/static/workbench/workbench.css">' in page
    css = bench.get("/static/workbench/workbench.css")
    assert css.status_code == 200 and b"font" in b"".join(css.streaming_content)


# ---- the Raw JSON Runner -----------------------------------------------------------------------


def test_the_runner_is_prefilled_from_the_standard_profiles(bench):
    from service.simulator.selectors import defaults_document

    page = bench.get("/workbench/")
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('<script id="jost-defaults" type="application/json">') + len(
        '<script id="jost-defaults" type="application/json">'
    )
    embedded = json.loads(html[start : html.index("</script>", start)])
    assert embedded == json.loads(json.dumps(defaults_document()[0]))
    for kind in ("rules", "strategy", "counting", "betting", "bankroll"):
        assert f'id="pick-{kind}"' in html


def test_validate_runs_nothing_and_names_each_problem_by_path(bench):
    status, body = post_json(bench, "/workbench/validate/", SMALL)
    assert (status, body["valid"]) == (200, True) and "10,000 rounds" in body["detail"]

    status, body = post_json(
        bench, "/workbench/validate/", {"rules": {"decks": "six", "surrender": "maybe"}}
    )
    assert status == 400 and body["error"] == "invalid_config"
    assert [p["path"] for p in body["problems"]] == ["rules.decks", "rules.surrender"]

    status, body = post_json(bench, "/workbench/validate/", '{"rules": {"decks": 2,}}')
    assert status == 400
    assert body["problems"][0]["path"] == ""
    assert body["problems"][0]["message"].startswith("the config is not valid JSON:")
    assert "line 1, column" in body["problems"][0]["message"]

    status, body = post_json(bench, "/workbench/validate/", [1, 2])
    assert status == 400 and "JSON object" in body["problems"][0]["message"]
    assert SimulationJob.objects.count() == 0


def test_submit_makes_a_job_of_the_developer_and_says_where_to_watch_it(bench, staff):
    status, body = post_json(bench, "/workbench/submit/", SMALL)
    assert status == 202, body
    job = SimulationJob.objects.get(pk=body["job_id"])
    assert job.owner == staff and job.status == JobStatus.PENDING
    assert body["socket"] == f"/ws/jobs/{job.pk}/"
    assert body["job_url"] == f"/workbench/jobs/{job.pk}/"
    status, body = post_json(bench, "/workbench/submit/", {"simulation": {"rounds": 0}})
    assert status == 400 and body["problems"][0]["path"] == "simulation.rounds"


def test_the_runners_posts_need_the_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert post_json(client, "/workbench/validate/", SMALL)[0] == 403
    page = client.get("/workbench/")
    token = page.context["csrf_token"]
    reply = client.post(
        "/workbench/validate/",
        json.dumps(SMALL),
        content_type="application/json",
        headers={"X-CSRFToken": str(token)},
    )
    assert reply.status_code == 200


# ---- the Job History, a job's page, re-run -----------------------------------------------------


def test_the_history_shows_every_users_jobs_with_size_duration_and_pace(bench, user, other_user):
    done = finished_job(user)
    waiting = services.job_submit(owner=other_user, data={"simulation": {"rounds": 77_777}})[0]

    html = bench.get("/workbench/jobs/").content.decode()
    assert str(done.pk) in html and str(waiting.pk) in html
    row = html[html.index(f'data-job="{done.pk}"') :].split("</tr>")[0]
    seconds = (done.finished_at - done.started_at).total_seconds()
    assert "alice" in row and "COMPLETE" in row and "10,000" in row
    assert f"{seconds:.1f} s" in row
    assert f"{int(done.rounds_done / seconds):,}" in row
    for link in (
        f"/workbench/jobs/{done.pk}/config.json",
        f"/workbench/jobs/{done.pk}/#events",
        f"/workbench/jobs/{done.pk}/#result",
        f"/workbench/jobs/{done.pk}/rerun/",
    ):
        assert link in row

    only_pending = bench.get("/workbench/jobs/?status=pending").content.decode()
    assert str(waiting.pk) in only_pending and str(done.pk) not in only_pending
    only_alice = bench.get("/workbench/jobs/?user=alice").content.decode()
    assert str(done.pk) in only_alice and str(waiting.pk) not in only_alice
    assert '<option value="bob">bob</option>' in only_alice


def test_a_jobs_page_shows_its_config_events_and_result(bench, user):
    job = finished_job(user)
    html = bench.get(f"/workbench/jobs/{job.pk}/").content.decode()
    for anchor in ('id="config"', 'id="events"', 'id="result"'):
        assert anchor in html
    assert "started" in html and "completed" in html
    assert '<table class="result" data-table="result">' in html
    assert "<td>ev_per_initial_bet.mean</td>" in html
    assert 'data-table="by_true_count"' in html

    config = bench.get(f"/workbench/jobs/{job.pk}/config.json").json()
    assert config == job.request_data
    tables = bench.get(f"/workbench/jobs/{job.pk}/result-table/").content.decode()
    assert "<td>rounds</td><td>10,000</td>" in tables
    assert bench.get("/workbench/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_rerun_submits_the_same_config_as_the_developers_job(bench, user, staff):
    job = finished_job(user)
    reply = bench.post(f"/workbench/jobs/{job.pk}/rerun/")
    again = SimulationJob.objects.exclude(pk=job.pk).get()
    assert reply.status_code == 302 and reply["Location"] == f"/workbench/?job={again.pk}"
    assert again.owner == staff and again.config_digest == job.config_digest
    assert again.request_data == job.request_data and again.status == JobStatus.PENDING
    page = bench.get(reply["Location"]).content.decode()
    assert f'data-watch="{again.pk}"' in page and "&quot;decks&quot;: 2" in page
