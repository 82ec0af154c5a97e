"""A study of many points on two workers: the cost of a point beyond its rounds, and the cache.

Starts its own service (tests/service/live.py: Gunicorn, two solo-pool Celery workers, i.e. one
engine core each, PostgreSQL, a Redis of its own) and measures:

* ``run``: a study of ``--points`` (default 200) points of ``--rounds`` (default 2,000,000)
  rounds each, submitted once: wall time from submit to COMPLETE, against the sum of the points'
  own run times on the workers (each job's start to finish, from the database), and against
  ``--local-sample`` points run one by one in this process (one core) and scaled to all points.
  The overhead per point is what two workers spend beyond half the sum of the points' times.
* ``cached``: the same study submitted again: every point is served by the cache, no job runs.

    python benchmarks/study_scale.py
    python benchmarks/study_scale.py --points 40 --rounds 1e6 --json

Prints one line per part (the stable format below), or one JSON document with ``--json``:
``{"points", "rounds_per_point", "workers", "run": {...}, "cached": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jost_engine import parse_study, run_simulation_from_config  # noqa: E402
from tests.service.live import OwnRedis, Stack, start_stack  # noqa: E402

POSTGRES = os.environ.get("JOST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SWEEP: dict[str, list[Any]] = {  # 10 x 5 x 2 x 2 = 200 games: the default study's grid
    "rules.penetration": [0.6, 0.625, 0.65, 0.675, 0.7, 0.725, 0.75, 0.775, 0.8, 0.825],
    "rules.decks": [1, 2, 4, 6, 8],
    "rules.dealer_hits_soft_17": [False, True],
    "rules.double_after_split": [True, False],
}
FINISHED = {"COMPLETE", "FAILED", "CANCELLED"}


def study_document(points: int, rounds: int) -> dict[str, Any]:
    """The 200-game grid above, or for another --points a grid of that many penetrations."""
    if points == math.prod(len(values) for values in SWEEP.values()):
        grid = SWEEP
    elif points >= 2:
        spaced = [round(0.5 + 0.4 * i / (points - 1), 6) for i in range(points)]
        grid = {"rules.penetration": spaced}
    else:
        raise SystemExit("--points must be at least 2")
    return {"name": f"scale {points}", "grid": grid, "rounds": rounds, "seed": 2026}


def wait_study(stack: Stack, study_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = stack.call("GET", f"/api/studies/{study_id}/").body
        if body["status"] in FINISHED:
            return body
        time.sleep(0.1)
    raise SystemExit(f"study {study_id} did not finish in {timeout} s\n{stack.logs()}")


def submitted(stack: Stack, document: dict[str, Any], timeout: float) -> tuple[float, dict]:
    start = time.perf_counter()
    reply = stack.call("POST", "/api/studies/", document)
    if reply.status != 202:
        raise SystemExit(f"the study was refused: {reply.status} {reply.body}")
    body = wait_study(stack, reply.body["id"], timeout)
    return time.perf_counter() - start, body


def point_seconds(stack: Stack, job_ids: list[str]) -> float:
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        (total,) = conn.execute(
            "SELECT sum(extract(epoch FROM finished_at - started_at)) "
            "FROM simulator_simulationjob WHERE id = ANY(%s::uuid[])",
            (job_ids,),
        ).fetchone()
    return float(total or 0.0)


def local_seconds(document: dict[str, Any], sample: int) -> float:
    """Seconds per point, run one by one here (one core), over the first ``sample`` points."""
    points = parse_study(document).points()[:sample]
    run_simulation_from_config(points[0].config, workers=1)  # compiled before the clock runs
    start = time.perf_counter()
    for point in points:
        run_simulation_from_config(point.config, workers=1)
    return (time.perf_counter() - start) / max(len(points), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--rounds", type=float, default=2e6)
    parser.add_argument("--local-sample", type=int, default=10)
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--json", action="store_true", help="one JSON document instead")
    args = parser.parse_args()
    rounds = int(args.rounds)
    document = study_document(args.points, rounds)
    folder = Path(tempfile.mkdtemp(prefix="jost-study-scale-"))
    redis_server = OwnRedis(folder)
    redis_server.start()
    stack = start_stack(
        "postgres-redis",
        folder,
        base_env=dict(os.environ),
        postgres_url=POSTGRES,
        redis_url=redis_server.url,
        label="-bench-studies",
        settings={"JOST_STUDY_WINDOW": "8", "JOST_SHARD_ROUNDS": "1000000000"},
        workers=2,
    )
    figures: dict[str, Any] = {"points": args.points, "rounds_per_point": rounds, "workers": 2}
    try:
        wall, study = submitted(stack, document, args.max_seconds)
        if study["status"] != "COMPLETE":
            raise SystemExit(f"the study ended {study['status']}: {study}")
        if study["points_total"] != args.points:
            raise SystemExit(f"the study has {study['points_total']} points, not {args.points}")
        jobs = [p["job_id"] for p in study["points"]]
        inside = point_seconds(stack, jobs)
        per_point_local = local_seconds(document, args.local_sample)
        figures["run"] = {
            "wall_s": wall,
            "sum_point_run_s": inside,
            "local_one_by_one_s": per_point_local * args.points,
            "overhead_per_point_ms": 1000 * (2 * wall - inside) / args.points,
            "rounds_per_s": rounds * args.points / wall,
        }
        cached_wall, again = submitted(stack, document, args.max_seconds)
        figures["cached"] = {
            "wall_s": cached_wall,
            "points_cached": again["points_cached"],
            "same_jobs": [p["job_id"] for p in again["points"]] == jobs,
        }
    finally:
        stack.stop()
        redis_server.kill()
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    run, cached = figures["run"], figures["cached"]
    print(
        f"run: {args.points} points x {rounds:,} rounds on 2 workers ({os.cpu_count()} cores): "
        f"wall {run['wall_s']:.1f} s, sum of point runs {run['sum_point_run_s']:.1f} s, "
        f"one by one here {run['local_one_by_one_s']:.1f} s, "
        f"overhead {run['overhead_per_point_ms']:.0f} ms/point, "
        f"{run['rounds_per_s'] / 1e6:.1f} M rounds/s"
    )
    print(
        f"cached: {cached['points_cached']}/{args.points} points from the cache in "
        f"{cached['wall_s']:.2f} s, same jobs {'yes' if cached['same_jobs'] else 'NO'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
