"""The OpenAPI document tells the truth: schemathesis (a fuzzer nobody here wrote) runs every
one of its checks against the live service on both stacks, stateful phase included (links from
a submit to the job's status, result, events and cancel), and finds nothing.

Bounded: a few examples per operation (``MAX_EXAMPLES``) and one worker. Every phase runs on
PostgreSQL + Redis (the deployed stack); the embedded stack runs the examples and fuzzing
phases (every check, on its own database and throttle store) but not the coverage and stateful
phases, which exercise the API's own code, the same on both, and took most of its time.
``POST /api/auth/token/revoke/`` is left out of the fuzz (it would end the token the run uses);
tests/service/test_security.py tests it. What the API answers by design to requests a schema
cannot tell from good ones (a wrong password, an unsupported rule combination) is in
tests/service/schemathesis.toml.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis

from tests.service.live import Stack

HERE = Path(__file__).resolve().parent
MAX_EXAMPLES = 5
PHASES = {"postgres-redis": "examples,coverage,fuzzing,stateful", "embedded": "examples,fuzzing"}
RUN_TIMEOUT_S = 240
FORGET_COUNTERS = """
from django.conf import settings
from django.core.cache import caches
from service.tally import SQLiteTallyCache
cache = caches[settings.JOST_THROTTLE_CACHE]
if isinstance(cache, SQLiteTallyCache):
    cache.clear()  # this stack's own file
else:  # a Redis other stacks share: only this stack's keys
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=cache.key_prefix + ":*"):
        client.delete(key)
"""
# The fuzz's accepted submits (up to JOST_MAX_ROUNDS each, and studies of them) would keep this
# session's one worker busy for minutes: the tests after it would wait behind them.
CANCEL_LEFTOVERS = """
from service.simulator.errors import JobNotCancellable
from service.simulator.models import JobStatus, SimulationJob
from service.simulator.services import job_cancel
from service.studies.errors import StudyNotCancellable
from service.studies.models import Study, StudyStatus
from service.studies.services import study_cancel
for study in Study.objects.filter(status=StudyStatus.RUNNING):
    try:
        study_cancel(study=study)
    except StudyNotCancellable:
        pass  # it finished since the query
for job in SimulationJob.objects.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING]):
    try:
        job_cancel(job=job)
    except JobNotCancellable:
        pass  # it finished since the query
"""


def _forget_counters(stack: Stack) -> None:
    """The fuzz's logins and anonymous calls count against 127.0.0.1: clear this stack's
    throttle counters (only its own) so the tests after it start fresh."""
    stack.manage("shell", "-c", FORGET_COUNTERS)


def test_schemathesis_finds_nothing_on_the_live_service(stack: Stack, tmp_path: Path) -> None:
    assert int(schemathesis.__version__.split(".")[0]) >= 4  # the options below are 4.x's
    token = stack.manage("jost_token", "alice")
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{stack.base_url}/api/schema/",
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        "all",
        "--phases",
        PHASES[stack.backend],
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--seed",
        "21",
        "--exclude-operation-id",
        "token_revoke",
        "--request-timeout",
        "30",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=tmp_path
        )
    finally:
        _forget_counters(stack)
        stack.manage("shell", "-c", CANCEL_LEFTOVERS)
    report = done.stdout + done.stderr
    assert done.returncode == 0, f"{report[-6000:]}\n{stack.logs()}"
    assert "0 failures" in report or " passed" in report, report[-3000:]
    if "stateful" in PHASES[stack.backend]:
        assert "Stateful" in report and "covered" in report, report[-3000:]
        covered = int(report.split("API Links:")[1].split("covered")[0].strip())
        assert covered >= 4, report[-3000:]  # submit -> status, result, events, cancel at least
    assert stack.call("GET", "/healthz", user=None).status == 200


def test_the_document_lists_what_the_api_answers(stack: Stack) -> None:
    schema = stack.call("GET", "/api/schema/?format=json", user=None).body
    paths = schema["paths"]
    listing = paths["/api/jobs/"]["get"]["responses"]["200"]["content"]["application/json"]
    page = schema["components"]["schemas"][listing["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    for route, item in paths.items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert "429" in codes, (route, method)
            if any(operation.get("security", [{}])):
                assert "401" in codes, (route, method)
    cancel = paths["/api/jobs/{job_id}/cancel/"]["post"]["responses"]
    assert {"404", "409"} <= set(cancel)
    submit = paths["/api/submit/"]["post"]
    links = submit["responses"]["202"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "status",
        "result",
        "job_events",
        "cancel",
    }
    text = json.dumps(schema)
    assert '"const"' not in text and "x-bundled" not in text


@pytest.mark.parametrize("unit", [5e-324, 1e-300])
def test_a_unit_too_small_for_its_table_is_a_400_not_a_500(stack: Stack, unit: float) -> None:
    """Found by schemathesis: a bet of 500 / 5e-324 units overflowed the engine (a 500)."""
    stack.tokens["alice"] = stack.manage("jost_token", "alice")
    reply = stack.call("POST", "/api/submit/", {"betting": {"unit": unit}})
    assert reply.status == 400, reply.body
    assert reply.body["problems"][0]["path"] == "betting.table_max"
