"""`user_terminal.game_run`, the one run path of the CLI and the TUI: here with the engine, or on
a service (an in-memory one, `fake_service`; the live service is in test_remote and test_tui)."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from jost_engine import parse_config, run_simulation_from_config
from jost_engine.profiles import hydrate
from tests.terminal.fake_service import URL, FakeService, install
from user_terminal import game_run
from user_terminal.errors import EXIT_INTERRUPTED, JostError
from user_terminal.game_run import LOCAL, RunStopped, StillRunning, run_game

CONFIG = parse_config(hydrate(None, {"rounds": 4000, "seed": 5}))


@pytest.fixture(scope="module")
def result() -> dict:
    return run_simulation_from_config(CONFIG, workers=1).to_dict()


def test_a_local_run_reports_its_progress_and_where_it_ran(result):
    seen: list[tuple[int, int]] = []
    outcome = run_game(CONFIG, workers=1, progress=lambda d, t: seen.append((d, t)))
    assert (outcome.where, outcome.job) == (LOCAL, None)
    assert outcome.result["net"] == result["net"]
    assert seen[-1] == (4000, 4000)


def test_a_cancelled_local_run_stops_and_a_refused_config_names_its_source():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RunStopped) as stopped:
        run_game(CONFIG, workers=1, cancel=cancel)
    assert (str(stopped.value), stopped.value.job) == ("cancelled", None)
    assert stopped.value.code == EXIT_INTERRUPTED
    infinite = parse_config({"rules": {"infinite_deck": True}, "simulation": {"rounds": 1000}})
    with pytest.raises(JostError, match=r"invalid config in game\.json[\s\S]*infinite_deck"):
        run_game(infinite, source="game.json", workers=1)


def test_a_remote_run_submits_with_an_idempotency_key_and_follows_the_job(monkeypatch, result):
    service = FakeService(result, polls=2)
    install(monkeypatch, service)
    seen: list[tuple[int, int]] = []
    notes: list[str] = []
    outcome = run_game(
        CONFIG, remote=True, progress=lambda d, t: seen.append((d, t)), note=notes.append, poll_s=0
    )
    [submit] = service.submits()
    assert uuid.UUID(submit.headers["Idempotency-Key"])
    assert submit.headers["Authorization"] == "Token fake-token"
    job = service.jobs[submit.headers["Idempotency-Key"]]
    assert (outcome.result, outcome.where, outcome.job) == (result, URL, job)
    assert notes == [f"submitted job {job} to {URL}"]
    assert seen == [(0, 4000), (0, 4000), (4000, 4000)]


def test_setting_cancel_cancels_the_remote_job(monkeypatch, result):
    cancel = threading.Event()
    service = FakeService(result, polls=None)
    install(monkeypatch, service)
    with pytest.raises(RunStopped) as stopped:
        run_game(CONFIG, remote=True, progress=lambda d, t: cancel.set(), cancel=cancel, poll_s=0)
    job = stopped.value.job
    assert service.cancelled == [job]
    assert str(stopped.value) == f"cancelled job {job} on the service"


def test_ctrl_c_during_the_submit_asks_again_with_the_same_key_and_leaves_the_job(
    monkeypatch, result
):
    def interrupt_the_first(request):
        if len(service.submits()) == 1:
            raise KeyboardInterrupt

    service = FakeService(result, polls=None, on_submit=interrupt_the_first)
    install(monkeypatch, service)
    with pytest.raises(StillRunning) as interrupted:
        run_game(CONFIG, remote=True, poll_s=0)
    first, again = service.submits()
    assert first.headers["Idempotency-Key"] == again.headers["Idempotency-Key"]
    job = interrupted.value.job
    assert list(service.jobs.values()) == [job] and service.cancelled == []
    assert f"job {job} keeps running on {URL}" in str(interrupted.value)
    cancelled = interrupted.value.cancel()
    assert service.cancelled == [job]
    assert str(cancelled) == f"interrupted: cancelled job {job}"
    assert cancelled.code == EXIT_INTERRUPTED


def test_the_run_path_imports_no_user_interface():
    """Neither it nor any terminal module it imports imports rich, typer or textual."""
    code = "import sys, user_terminal.game_run; print(*sorted(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "typer" not in loaded and "textual" not in loaded
    root = Path(game_run.__file__).parents[1]
    for name in (m for m in loaded if m.startswith("user_terminal")):
        path = root / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = path.with_suffix("") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
        }
        assert not imported & {"rich", "typer", "textual"}, name
