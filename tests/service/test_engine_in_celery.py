"""A parallel engine run inside a real Celery worker's prefork child (a daemonic process, which
`multiprocessing` refuses to give children) gives the serial run's tallies.

The worker is a real ``celery worker`` process on the server-less file-system broker and file
result backend, so this needs no server.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from jost_engine import run_simulation_from_config
from tests.service.live import stop_group

GAME = {"rules": {"decks": 6}, "simulation": {"rounds": 300_000, "seed": 5}}
TIMING = {"elapsed_s", "rounds_per_second"}

APP = """\
from celery import Celery

app = Celery("engine_probe", broker="filesystem://", backend="file://{results}")
app.conf.broker_transport_options = {{
    "data_folder_in": "{queue}", "data_folder_out": "{queue}", "processed_folder": "{done}",
}}
app.conf.worker_hijack_root_logger = False


@app.task
def simulate(game):
    from jost_engine import run_simulation_from_config

    return run_simulation_from_config(game, workers=2).to_dict()
"""


def test_a_parallel_run_inside_a_prefork_celery_worker(tmp_path):
    folders = {name: tmp_path / name for name in ("results", "queue", "done")}
    for folder in folders.values():
        folder.mkdir()
    module = tmp_path / "engine_probe.py"
    module.write_text(APP.format(**{k: str(v) for k, v in folders.items()}))
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "engine_probe", "worker"),
            *("--pool=prefork", "--concurrency=1", "--loglevel=INFO", "--without-gossip"),
        ],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        spec = importlib.util.spec_from_file_location("engine_probe", module)
        assert spec is not None and spec.loader is not None
        probe = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(probe)
        try:
            result = probe.simulate.delay(GAME).get(timeout=180)
        except Exception as exc:
            raise AssertionError(f"{exc}\n{(tmp_path / 'worker.log').read_text()}") from exc
    finally:
        stop_group(worker)
        log.close()
    serial = run_simulation_from_config(GAME, workers=1).to_dict()
    assert {k: v for k, v in result.items() if k not in TIMING} == {
        k: v for k, v in serial.items() if k not in TIMING
    }
    assert Path(tmp_path / "worker.log").read_text().count("succeeded") == 1
