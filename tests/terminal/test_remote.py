"""`jost login`, `jost run --remote` and `jost jobs …` against a real service (Gunicorn + Celery
on PostgreSQL + Redis), and every way talking to it can fail: one line, a non-zero exit."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import uuid

import pytest
from typer.testing import CliRunner

from jost_engine import run_simulation_from_config
from jost_engine.profiles import hydrate
from tests.terminal.conftest import PASSWORD
from user_terminal.cli import app
from user_terminal.credentials import login_path
from user_terminal.errors import JostError
from user_terminal.remote import ServiceClient

runner = CliRunner()
LONG = "1000000000"  # a job that runs until it is cancelled


def invoke(*args: str, input: str | None = None):
    result = runner.invoke(app, list(args), input=input)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def one_line_error(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("jost: ")]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def logged_in(service, monkeypatch):
    monkeypatch.setenv("JOST_URL", service.base_url)
    monkeypatch.setenv("JOST_TOKEN", service.tokens["alice"])
    return service


def cancel_everything(service) -> None:
    """Leave the one worker free for the next test."""
    jobs = service.call("GET", "/api/jobs/?status=RUNNING").body["results"]
    jobs += service.call("GET", "/api/jobs/?status=PENDING").body["results"]
    for job in jobs:
        service.call("POST", f"/api/jobs/{job['job_id']}/cancel/")
        service.wait_for(job["job_id"], lambda s: s["status"] == "CANCELLED")


# --------------------------------------------------------------------------------------------
# Login
# --------------------------------------------------------------------------------------------


def test_login_keeps_a_private_token_that_opens_the_job_list(service):
    result = invoke("login", service.base_url, "--username", "alice", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    path = login_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert set(stored) == {"url", "token", "username"}
    assert (stored["url"], stored["username"]) == (service.base_url, "alice")
    assert len(stored["token"]) == 40 and stored["token"] != service.tokens["alice"]  # a new one
    listed = invoke("jobs", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert "results" in json.loads(listed.stdout)


def test_logout_revokes_the_token_on_the_service_and_forgets_it(service):
    invoke("login", service.base_url, "--username", "alice", "--password", PASSWORD)
    token = json.loads(login_path().read_text())["token"]
    service.tokens["copy"] = token
    assert service.call("GET", "/api/jobs/", user="copy").status == 200
    result = invoke("logout")
    assert result.exit_code == 0 and "revoked the token" in result.stderr, result.output
    assert not login_path().exists()
    deadline = time.monotonic() + 15  # other web processes remember a token JOST_TOKEN_CACHE_S
    while service.call("GET", "/api/jobs/", user="copy").status != 401:
        assert time.monotonic() < deadline, "the revoked token still works"
        time.sleep(0.5)
    assert service.call("GET", "/api/jobs/").status == 200  # alice's other tokens still work


def test_login_without_a_terminal_reads_the_password_from_stdin_or_the_environment(service):
    from user_terminal.credentials import stored_login

    for args, stdin, env in (
        (["-u", "alice", "--password-stdin"], PASSWORD + "\n", {}),
        ([], None, {"JOST_USERNAME": "alice", "JOST_PASSWORD": PASSWORD}),
    ):
        login_path().unlink(missing_ok=True)
        result = runner.invoke(app, ["login", service.base_url, *args], input=stdin, env=env)
        assert result.exit_code == 0, result.output
        assert stored_login().username == "alice"
    # nothing to read the password from, and no terminal to ask at: what to give, exit 2
    for args in (["-u", "alice"], ["-u", "alice", "--password-stdin"]):
        result = runner.invoke(app, ["login", service.base_url, *args], input="")
        one_line_error(result, 2, "password")
        assert "Aborted" not in result.output


def test_login_with_a_wrong_password_is_one_line(service):
    result = invoke("login", service.base_url, "-u", "alice", "-p", "wrong")
    one_line_error(result, 2, "refused the login", "unknown username or wrong password")
    assert not login_path().exists()


def test_first_start_seeds_profiles_from_the_service(service, jost_home):
    invoke("login", service.base_url, "--token", service.tokens["alice"])
    result = invoke("profiles", "list")
    assert result.exit_code == 0, result.output
    assert f"from {service.base_url}" in result.stderr
    defaults = service.call("GET", "/api/defaults/", user=None).body
    for kind, profiles in defaults["profiles"].items():
        for profile in profiles:
            path = jost_home / "profiles" / kind / f"{profile['name']}.json"
            assert json.loads(path.read_text()) == profile


# --------------------------------------------------------------------------------------------
# Remote runs and jobs
# --------------------------------------------------------------------------------------------


def test_remote_run_follows_progress_and_equals_the_engine(logged_in, jost_home):
    result = invoke(
        "run", "--remote", "--betting", "hi_lo_1_8", "-n", "60000", "--seed", "3", "--json"
    )
    assert result.exit_code == 0, result.output
    assert "submitted job" in result.stderr
    doc = json.loads(result.stdout)
    config = hydrate({"betting": "hi_lo_1_8"}, {"rounds": 60000, "seed": 3})
    local = run_simulation_from_config(config, workers=1).to_dict()
    assert doc["net"] == local["net"] and doc["config_digest"] == local["config_digest"]
    kept = [json.loads(p.read_text()) for p in (jost_home / "history").glob("*.json")]
    assert [r["where"] for r in kept] == [logged_in.base_url]
    job = kept[0]["job_id"]
    # the summary of a job this terminal submitted names its game
    summary = invoke("jobs", "result", job)
    assert (
        summary.exit_code == 0 and "hi_lo_1_8" in summary.stdout and "House edge" in summary.stdout
    )
    status = invoke("jobs", "status", job)
    assert (
        status.exit_code == 0 and "COMPLETE" in status.stdout and "60,000/60,000" in status.stdout
    )


def test_follow_reports_progress_until_the_result(logged_in):
    config = hydrate(None, {"rounds": 200000, "seed": 1})
    seen: list[tuple[int, int, str]] = []
    with ServiceClient(logged_in.base_url, logged_in.tokens["alice"]) as client:
        job = client.submit(config)["job_id"]
        result = client.follow(job, lambda d, t, s: seen.append((d, t, s)), poll_s=0.05)
    assert result["rounds"] == 200000
    assert seen[-1] == (200000, 200000, "COMPLETE")
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)


def test_jobs_list_status_cancel_and_a_result_that_is_not_there(logged_in):
    cancel_everything(logged_in)
    with ServiceClient(logged_in.base_url, logged_in.tokens["alice"]) as client:
        job = client.submit(hydrate(None, {"rounds": int(LONG)}))["job_id"]
    logged_in.wait_for(job, lambda s: s["status"] == "RUNNING")
    listed = invoke("jobs", "list", "--status", "running")
    assert listed.exit_code == 0 and job in listed.stdout and "RUNNING" in listed.stdout
    early = invoke("jobs", "result", job)
    one_line_error(early, 2, "404", "running")
    cancelled = invoke("jobs", "cancel", job)
    assert cancelled.exit_code == 0 and job in cancelled.stdout
    logged_in.wait_for(job, lambda s: s["status"] == "CANCELLED")
    assert "CANCELLED" in invoke("jobs", "status", job).stdout
    for start in (job[:8], job[:13], job[:13].replace("-", "").upper()):  # a unique start will do
        shortened = invoke("jobs", "status", start)
        assert shortened.exit_code == 0 and shortened.stdout.startswith(job), start
    one_line_error(invoke("jobs", "status", "ffffffff-0000-0"), 2, "no job of yours starts with")
    again = invoke("jobs", "cancel", job)  # cancelling twice is harmless
    assert again.exit_code == 0 and "cancelled" in again.stdout


def test_a_job_that_does_not_exist_is_a_one_line_404(logged_in):
    one_line_error(invoke("jobs", "status", str(uuid.uuid4())), 2, "404")
    one_line_error(invoke("jobs", "status", "not-a-job"), 2, "not a job id")


def test_ctrl_c_offers_to_cancel_the_remote_job(logged_in, jost_home):
    env = {**os.environ, "JOST_URL": logged_in.base_url, "JOST_TOKEN": logged_in.tokens["alice"]}
    proc = subprocess.Popen(
        [sys.executable, "-m", "user_terminal.cli", "run", "--remote", "-n", LONG, "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        running = []
        while time.monotonic() < deadline and not running:
            time.sleep(0.2)
            running = logged_in.call("GET", "/api/jobs/?status=RUNNING").body["results"]
        assert running, "the job never started"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate("y\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "cancel job" in err and f"cancelled job {running[0]['job_id']}" in err
    assert "Traceback" not in err and out == ""
    logged_in.wait_for(running[0]["job_id"], lambda s: s["status"] == "CANCELLED")


# --------------------------------------------------------------------------------------------
# A service that cannot be used
# --------------------------------------------------------------------------------------------


def test_an_unreachable_service_is_one_line(monkeypatch):
    from tests.service.live import free_port

    monkeypatch.setenv("JOST_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("JOST_TOKEN", "whatever")
    one_line_error(invoke("jobs", "list"), 3, "cannot reach the service")
    invoke("profiles", "list")  # the first start (it says it fell back to bundled profiles)
    one_line_error(invoke("run", "--remote", "-n", "1000"), 3, "cannot reach the service")


def test_an_unreachable_service_at_first_start_falls_back_to_bundled_profiles(
    jost_home, monkeypatch
):
    from tests.service.live import free_port

    monkeypatch.setenv("JOST_URL", f"http://127.0.0.1:{free_port()}")
    result = invoke("profiles", "list")
    assert result.exit_code == 0
    assert "cannot reach the service" in result.stderr and "bundled" in result.stderr
    assert (jost_home / "profiles" / "rules" / "downtown_2d_h17.json").exists()


def test_a_bad_token_is_one_line(service, monkeypatch):
    monkeypatch.setenv("JOST_URL", service.base_url)
    monkeypatch.setenv("JOST_TOKEN", "0" * 40)
    one_line_error(invoke("jobs", "list"), 3, "401", "jost login")
    invoke("profiles", "list")  # the first start, seeded from /api/defaults/ (no token needed)
    one_line_error(invoke("run", "--remote", "-n", "1000"), 3, "401")


def test_no_login_is_one_line():
    one_line_error(invoke("jobs", "list"), 2, "jost login URL")
    one_line_error(invoke("run", "--remote"), 2, "jost login URL")


def test_something_that_is_not_a_jost_service_is_one_line(tmp_path, monkeypatch):
    import http.server
    import threading

    from tests.service.live import free_port

    port = free_port()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port),
        type(
            "Html",
            (http.server.BaseHTTPRequestHandler,),
            {
                "do_GET": lambda self: (
                    self.send_response(200),
                    self.send_header("Content-Type", "text/html"),
                    self.end_headers(),
                    self.wfile.write(b"<html>hi</html>"),
                ),
                "log_message": lambda self, *a: None,
            },
        ),
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("JOST_URL", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("JOST_TOKEN", "x")
        one_line_error(invoke("jobs", "list"), 3, "not JSON")
    finally:
        server.shutdown()


def test_a_start_of_several_job_ids_is_refused_with_them():
    """The service answers the prefix query with two jobs: the client names both, runs nothing."""
    import httpx

    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        ids = ["05b90c21-a1b7-400c-b35b-dc0d36dbf001", "05b90c21-ffff-400c-b35b-dc0d36dbf002"]
        rows = [{"job_id": i, "status": "COMPLETE"} for i in ids]
        return httpx.Response(200, json={"count": 2, "results": rows})

    transport = httpx.MockTransport(answer)
    with (
        ServiceClient("http://jost.test", "t", transport=transport) as client,
        pytest.raises(JostError) as err,
    ):
        client.status("05b90c21")
    assert "2 jobs start with '05b90c21'" in str(err.value) and "dc0d36dbf002" in str(err.value)
    assert [u.path for u in seen] == ["/api/jobs/"] and seen[0].params["id"] == "05b90c21"
    with pytest.raises(JostError, match="not a job id"):
        ServiceClient("http://jost.test", "t").status("05b")  # too short to be a start
