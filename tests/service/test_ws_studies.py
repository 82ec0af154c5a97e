"""A study's live socket in-process (Channels' WebsocketCommunicator): who may watch, the state,
one ``point`` per finished point with its summary, ``progress`` as the counts move, and
``finished`` with the close — live, after a reconnect, and for a cancelled study.

Jobs run by calling the simulator's own `job_run`, as a worker would; the tests commit for real
(the consumer's database calls close connections that sit in a transaction)."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from service.accounts.tokens import token_issue
from service.live import consumers
from service.simulator import services as jobs
from service.studies import services
from service.studies.models import PointStatus, StudyPoint
from tests.service.test_studies_services import STUDY  # three points of 4,000 rounds
from tests.service.test_ws import open_socket, received, refused

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@pytest.fixture(autouse=True)
def _fast(monkeypatch, settings):
    """Watchers re-read every 50 ms; a window of two points, so one waits at the start."""
    monkeypatch.setattr(consumers, "POLL_WITHOUT_LAYER_S", 0.05)
    settings.JOST_STUDY_WINDOW = 2


def run_one_submitted(study_id) -> str | None:
    """Run the first submitted point's job to its end (its finish submits the next point)."""
    job_id = (
        StudyPoint.objects.filter(study_id=study_id, status=PointStatus.SUBMITTED)
        .order_by("index")
        .values_list("job_id", flat=True)
        .first()
    )
    if job_id is not None:
        jobs.job_run(job_id, worker="test")
    return job_id


def summaries(study_id) -> dict[int, dict]:
    return dict(StudyPoint.objects.filter(study_id=study_id).values_list("index", "summary"))


async def until_closed(socket) -> tuple[list[dict], int]:
    """Every message up to the close, and the close code."""
    got = []
    while True:
        message = await socket.receive_output(timeout=10)
        if message["type"] == "websocket.close":
            return got, message["code"]
        got.append(json.loads(message["text"]))


def test_only_the_owner_with_a_token_may_watch_a_study(user, other_user):
    study = services.study_submit(owner=user, data=STUDY)
    other = token_issue(other_user)

    async def scenario():
        message, code = await refused(f"/ws/studies/{study.pk}/")
        assert (message["error"], code) == ("not_authenticated", consumers.NOT_AUTHENTICATED)
        message, code = await refused(f"/ws/studies/{study.pk}/?token={other}")
        assert (message["error"], code) == ("not_found", consumers.NOT_FOUND)

    async_to_sync(scenario)()


def test_a_study_socket_sends_each_point_as_it_finishes_then_closes(user):
    study = services.study_submit(owner=user, data=STUDY)
    token = token_issue(user)

    async def scenario():
        socket = await open_socket(f"/ws/studies/{study.pk}?token={token}")
        state = await received(socket)
        assert state["type"] == "state" and state["study_id"] == str(study.pk)
        assert state["status"] == "RUNNING" and state["name"] == "pen"
        assert (state["points_total"], state["points_finished"], state["points_done"]) == (3, 0, 0)
        assert (state["rounds_done"], state["rounds_total"]) == (0, 12_000)

        await db(run_one_submitted)(study.pk)
        point = await received(socket)
        assert point["type"] == "point" and point["index"] == 0
        assert point["status"] == "COMPLETE" and point["cached"] is False
        assert point["label"] == {"rules.penetration": 0.6}
        progress = await received(socket)
        assert progress["type"] == "progress"
        assert (progress["points_finished"], progress["points_done"]) == (1, 1)
        assert progress["rounds_done"] == 4_000 and progress["fraction"] == pytest.approx(1 / 3)

        while await db(run_one_submitted)(study.pk):
            pass
        rest, code = await until_closed(socket)
        assert code == 1000
        kinds = [m["type"] for m in rest]
        assert kinds[-1] == "finished" and rest[-1]["status"] == "COMPLETE"
        assert sorted(m["index"] for m in rest if m["type"] == "point") == [1, 2]
        assert rest[-2]["type"] == "progress" and rest[-2]["points_done"] == 3
        assert rest[-2]["rounds_done"] == 12_000
        return point, rest

    first, rest = async_to_sync(scenario)()
    known = summaries(study.pk)
    for message in [first, *rest]:
        if message["type"] == "point":
            assert message["summary"] == known[message["index"]] is not None

    async def reconnect():  # a finished study: its state, every point, finished, the close
        socket = await open_socket(f"/ws/studies/{study.pk}/?token={token}")
        messages, code = await until_closed(socket)
        assert code == 1000
        assert messages[0]["type"] == "state" and messages[0]["status"] == "COMPLETE"
        assert [m["index"] for m in messages if m["type"] == "point"] == [0, 1, 2]
        assert messages[-1] == {"type": "finished", "status": "COMPLETE"}

    async_to_sync(reconnect)()


def test_a_cancelled_study_says_so_and_closes(user):
    study = services.study_submit(owner=user, data=STUDY)
    token = token_issue(user)

    async def scenario():
        socket = await open_socket(f"/ws/studies/{study.pk}/?token={token}")
        assert (await received(socket))["status"] == "RUNNING"
        await db(services.study_cancel)(study=study)
        messages, code = await until_closed(socket)
        assert code == 1000
        assert messages[-1] == {"type": "finished", "status": "CANCELLED"}
        assert {m["status"] for m in messages if m["type"] == "point"} == {"CANCELLED"}

    async_to_sync(scenario)()
