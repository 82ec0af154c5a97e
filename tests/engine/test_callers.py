"""A parallel run works from every place a user calls it, and gives the serial run's tallies.

Each caller is a fresh interpreter (a plain script without a ``__main__`` guard, the same code on
stdin, ``python -c``, an interactive session, standard streams closed or replaced the way
Textual replaces them, a working directory with a folder named ``jost_engine``) that runs the
same game on two workers and writes its result to a file; the test compares it with one worker
here, tally for tally. (Inside the Textual app: tests/terminal/test_tui.py; inside a Celery
worker: tests/service/test_engine_in_celery.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jost_engine import run_simulation_from_config

GAME = {"rules": {"decks": 2}, "simulation": {"rounds": 400_000, "seed": 11}}
TIMING = {"elapsed_s", "rounds_per_second"}

SCRIPT = """\
import json, sys
from jost_engine import run_simulation_from_config

result = run_simulation_from_config({game}, workers=2).to_dict()
with open({out!r}, "w") as f:
    json.dump(result, f)
"""


def without_timing(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in TIMING}


@pytest.fixture(scope="module")
def serial() -> dict:
    return without_timing(run_simulation_from_config(GAME, workers=1).to_dict())


def script(out: Path, prelude: str = "") -> str:
    return prelude + SCRIPT.format(game=repr(GAME), out=str(out))


def run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, capture_output=True, timeout=300, **kwargs)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    return done


def read(out: Path) -> dict:
    assert out.exists(), "the caller wrote no result"
    return without_timing(json.loads(out.read_text()))


def test_a_plain_script_without_a_main_guard(tmp_path, serial):
    out = tmp_path / "out.json"
    (tmp_path / "example.py").write_text(script(out))
    run([sys.executable, "example.py"], tmp_path)
    assert read(out) == serial


def test_the_same_script_on_stdin(tmp_path, serial):
    out = tmp_path / "out.json"
    run([sys.executable, "-"], tmp_path, input=script(out).encode())
    assert read(out) == serial


def test_python_dash_c(tmp_path, serial):
    out = tmp_path / "out.json"
    run([sys.executable, "-c", script(out)], tmp_path)
    assert read(out) == serial


def test_an_interactive_session_like_a_notebook_kernel(tmp_path, serial):
    """``python -i`` on a pipe: a __main__ with no __file__ and no spec, as in a Jupyter kernel."""
    out = tmp_path / "out.json"
    probe = "import __main__; assert not hasattr(__main__, '__file__')\n"
    run([sys.executable, "-i"], tmp_path, input=(probe + script(out)).encode())
    assert read(out) == serial


def test_standard_streams_closed(tmp_path, serial):
    out = tmp_path / "out.json"
    (tmp_path / "closed.py").write_text(script(out))
    # fds 0, 1 and 2 closed before Python starts: sys.stdin/stdout/stderr are None
    run(["bash", "-c", f"exec {sys.executable} closed.py 0<&- 1>&- 2>&-"], tmp_path)
    assert read(out) == serial


def test_standard_streams_replaced_as_textual_does(tmp_path, serial):
    """Objects without a real file descriptor in sys.stdout/sys.stderr (and no stdin)."""
    out = tmp_path / "out.json"
    prelude = (
        "import io, sys\n"
        "class Capture(io.StringIO):\n"
        "    def fileno(self):\n"
        "        return -1\n"
        "sys.stdout, sys.stderr, sys.stdin = Capture(), Capture(), None\n"
    )
    run([sys.executable, "-c", script(out, prelude)], tmp_path)
    assert read(out) == serial


def test_a_working_directory_with_a_folder_named_like_the_engine(tmp_path, serial):
    """The workers import the caller's engine, not a ``jost_engine/`` of the working folder."""
    (tmp_path / "jost_engine").mkdir()
    (tmp_path / "jost_engine" / "__init__.py").write_text("raise SystemExit('the folder')\n")
    out = tmp_path / "out.json"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "example.py").write_text(script(out))
    run([sys.executable, str(tmp_path / "sub" / "example.py")], tmp_path)
    assert read(out) == serial


def test_a_second_run_reuses_warm_workers_and_a_killed_one_is_replaced(tmp_path, serial):
    """Workers outlive a run; one that died between runs is replaced, not reported."""
    out = tmp_path / "out.json"
    code = (
        "import json, os, signal, time\n"
        "from jost_engine import run_simulation_from_config\n"
        "from jost_engine.worker_pool import POOL\n"
        f"run_simulation_from_config({GAME!r}, workers=2)\n"
        "pids = sorted(POOL.pids())\n"
        "assert len(pids) == 2, pids\n"
        "os.kill(pids[0], signal.SIGKILL)\n"
        "while pids[0] in POOL.pids(): time.sleep(0.05)\n"
        f"result = run_simulation_from_config({GAME!r}, workers=2).to_dict()\n"
        "again = sorted(POOL.pids())\n"
        "assert pids[1] in again and pids[0] not in again, (pids, again)\n"
        f"json.dump(result, open({str(out)!r}, 'w'))\n"
    )
    run([sys.executable, "-c", code], tmp_path)
    assert read(out) == serial


def test_a_worker_that_dies_mid_run_is_a_clear_error(tmp_path):
    code = (
        "import os, signal, threading\n"
        "from jost_engine import run_simulation_from_config\n"
        "from jost_engine.worker_pool import POOL\n"
        "def kill_one(done, total):\n"
        "    if done > total // 4 and not getattr(kill_one, 'done', False):\n"
        "        kill_one.done = True\n"
        "        os.kill(POOL.pids()[0], signal.SIGKILL)\n"
        "try:\n"
        "    run_simulation_from_config({'simulation': {'rounds': 20_000_000}}, workers=2,"
        " progress=kill_one)\n"
        "except RuntimeError as exc:\n"
        "    print('ERROR', exc)\n"
    )
    done = run([sys.executable, "-c", code], tmp_path)
    text = done.stdout.decode()
    assert "ERROR a simulation worker stopped: exit status -9" in text, text


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux only")
def test_cancel_stops_the_workers(tmp_path):
    code = (
        "import threading, time\n"
        "from jost_engine import SimulationCancelled, run_simulation_from_config\n"
        "from jost_engine.worker_pool import POOL\n"
        "stop = threading.Event()\n"
        "def progress(done, total):\n"
        "    if done > 0: stop.set()\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    run_simulation_from_config({'simulation': {'rounds': 10**9}}, workers=2,"
        " progress=progress, cancel=stop)\n"
        "except SimulationCancelled:\n"
        "    print('CANCELLED', round(time.monotonic() - start), len(POOL.pids()))\n"
    )
    done = run([sys.executable, "-c", code], tmp_path)
    words = done.stdout.decode().split()
    assert words[0] == "CANCELLED", done.stdout
    assert int(words[1]) < 30 and words[2] == "0"  # stopped at once; no worker left running


def test_inside_a_textual_app(tmp_path, serial):
    """A headless Textual app (which swaps sys.stdout and sys.stderr for its own objects) runs
    the game from one of its thread workers, as `jost tui` does."""
    out = tmp_path / "out.json"
    code = (
        "import json\n"
        "from textual import work\n"
        "from textual.app import App\n"
        "from jost_engine import run_simulation_from_config\n"
        "class Probe(App):\n"
        "    def on_mount(self):\n"
        "        self.simulate()\n"
        "    @work(thread=True)\n"
        "    def simulate(self):\n"
        "        import sys\n"
        "        assert sys.stderr is not sys.__stderr__, 'Textual did not replace stderr'\n"
        f"        result = run_simulation_from_config({GAME!r}, workers=2).to_dict()\n"
        f"        json.dump(result, open({str(out)!r}, 'w'))\n"
        "        self.call_from_thread(self.exit)\n"
        "Probe().run(headless=True)\n"
    )
    run([sys.executable, "-c", code], tmp_path)
    assert read(out) == serial


COMPILE_PROBE = """\
import json, time
from jost_engine import run_simulation_from_config

runs = []
for _ in range(2):
    said, start = [], time.perf_counter()
    result = run_simulation_from_config({game}, workers={workers}, status=said.append)
    runs.append({{"said": said, "wall": time.perf_counter() - start,
                  "elapsed": result.to_dict()["elapsed_s"]}})
print(json.dumps(runs))
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_the_first_run_says_it_compiles_and_keeps_compiling_out_of_the_rate(tmp_path, workers):
    """With an empty numba cache the first run announces the compile (the bar cannot move
    meanwhile) and its elapsed_s, so its rounds per second, leaves the compile out."""
    from jost_engine.simulate import SIMULATING
    from jost_engine.warm import COMPILING

    game = {"simulation": {"rounds": 200_000, "seed": 3}}
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    done = run(
        [sys.executable, "-c", COMPILE_PROBE.format(game=repr(game), workers=workers)],
        tmp_path,
        env=env,
    )
    first, second = json.loads(done.stdout)
    assert first["said"] == [COMPILING, SIMULATING], first
    assert second["said"] == [SIMULATING], second
    # compiling takes seconds; 200,000 rounds take a few hundredths of one
    assert first["wall"] > 2.0 and first["elapsed"] < 0.25 * first["wall"], first
    assert any((tmp_path / "numba-cache").rglob("*.nbi")), "nothing was cached"
