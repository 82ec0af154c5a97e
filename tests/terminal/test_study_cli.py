"""`jost study run` and `jost study show`: documents, lines per point, the cache, sorting,
charts, refusals, and the remote client against a study service in memory."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from jost_engine import parse_study, run_simulation_from_config
from user_terminal import study_cli
from user_terminal.cli import app

runner = CliRunner()
STUDY = {"name": "decks x penetration", "base": {"betting": "hi_lo_1_8"},
         "grid": {"rules.decks": [2, 6], "rules.penetration": [0.7, 0.85]},
         "rounds": 20_000, "seed": 5, "bankroll": 500}  # fmt: skip


@pytest.fixture(autouse=True)
def result_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("JOST_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def study_file(tmp_path: Path) -> Path:
    path = tmp_path / "study.json"
    path.write_text(json.dumps(STUDY), encoding="utf-8")
    return path


@pytest.fixture
def result_file(study_file: Path, tmp_path: Path) -> Path:
    out = tmp_path / "result.json"
    done = runner.invoke(app, ["study", "run", str(study_file), "-w", "1", "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out


def test_run_json_is_the_study_document_with_a_line_per_point_and_then_the_cache(
    study_file: Path, tmp_path: Path
):
    out = tmp_path / "out.json"
    done = runner.invoke(app, ["study", "run", str(study_file), "--workers", "2", "--json",
                               "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc == json.loads(out.read_text(encoding="utf-8"))
    assert doc["document"] == "jost.study_result" and doc["points_total"] == 4
    assert doc["points_cached"] == 0 and doc["study"]["grid"] == STUDY["grid"]
    for n in range(1, 5):
        assert f"point {n}/4 rules.decks=" in done.stderr
    study = parse_study(STUDY)
    for point, row in zip(study.points(), doc["points"], strict=True):
        assert row["label"] == point.label and row["seed"] == point.config.simulation.seed
        plain = run_simulation_from_config(point.config, workers=1).to_dict()
        assert row["result"]["net"] == plain["net"] and row["result"]["hands"] == plain["hands"]
        assert row["summary"]["score"] == row["result"]["risk"]["score"]
    again = runner.invoke(app, ["study", "run", str(study_file), "--json"])
    assert again.exit_code == 0, again.output
    cached = json.loads(again.stdout)
    assert cached["points_cached"] == 4 and again.stderr.count("(cached)") == 4
    assert [p["result"] for p in cached["points"]] == [p["result"] for p in doc["points"]]


def test_show_sorts_by_score_or_any_column_and_prints_the_sorted_table(result_file: Path):
    doc = json.loads(result_file.read_text(encoding="utf-8"))
    scores = {p["index"]: p["summary"]["score"] or -1 for p in doc["points"]}
    shown = runner.invoke(app, ["study", "show", str(result_file), "--json"])
    assert shown.exit_code == 0, shown.output
    table = json.loads(shown.stdout)
    assert table["document"] == "jost.study_table" and table["sorted_by"] == "score"
    assert table["swept"] == ["rules.decks", "rules.penetration"]
    order = [p["index"] for p in table["points"]]
    assert order == sorted(scores, key=lambda i: -scores[i])
    by_pen = runner.invoke(app, ["study", "show", str(result_file), "--sort",
                                 "rules.penetration", "--json"])  # fmt: skip
    pens = [p["label"]["rules.penetration"] for p in json.loads(by_pen.stdout)["points"]]
    assert pens == [0.7, 0.7, 0.85, 0.85]
    printed = runner.invoke(app, ["study", "show", str(result_file)])
    assert printed.exit_code == 0, printed.output
    for header in ("rules.decks", "rules.penetration", "EV/bet", "SCORE", "N0", "RoR"):
        assert header in printed.stdout, header
    best = table["points"][0]["summary"]["score"]
    assert f"{best:.2f}" in printed.stdout.split("SCORE")[1].splitlines()[2]  # the first row
    bad = runner.invoke(app, ["study", "show", str(result_file), "--sort", "luck"])
    assert bad.exit_code == 2 and "cannot sort by 'luck'" in bad.stderr


def test_show_charts_score_and_win_rate_per_hour_as_png_and_in_the_terminal(
    result_file: Path, tmp_path: Path
):
    png = tmp_path / "charts" / "study.png"
    done = runner.invoke(app, ["study", "show", str(result_file), "--chart", str(png),
                               "--x", "rules.penetration", "--lines", "rules.decks"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    drawn = runner.invoke(app, ["study", "show", str(result_file), "--x", "rules.decks"])
    assert drawn.exit_code == 0, drawn.output
    assert "SCORE against rules.decks, one line per rules.penetration" in drawn.stdout
    assert "Win rate per hour against rules.decks" in drawn.stdout
    data = study_cli.chart_data(study_cli.rows_of(json.loads(result_file.read_text()))[1],
                                "rules.penetration", "rules.decks")  # fmt: skip
    assert sorted(data.series) == ["2", "6"] and data.series["2"][0] == [0.7, 0.85]
    wrong = runner.invoke(app, ["study", "show", str(result_file), "--x", "rules.surrender"])
    assert wrong.exit_code == 2 and "not a swept path" in wrong.stderr


def test_a_bad_study_is_refused_with_every_problem_and_nothing_runs(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"grid": {"rules.decks": [2, 12], "betting": ["nope"]},
                               "rounds": 1000}), encoding="utf-8")  # fmt: skip
    done = runner.invoke(app, ["study", "run", str(bad)])
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert f"invalid study in {bad} (2 problems)" in done.stderr
    assert 'grid["rules.decks"][1]: decks must be between 1 and 8, got 12' in done.stderr
    assert 'grid["betting"][0]: no bundled betting profile' in done.stderr
    missing = runner.invoke(app, ["study", "show", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "not found" in missing.stderr


class FakeStudies:
    """The study endpoints of the service in memory: each GET finishes one more point."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.document: dict | None = None
        self.cancelled = False
        self.transport = httpx.MockTransport(self.answer)

    def state(self) -> dict:
        gets = sum(r.method == "GET" for r in self.requests)
        labels = [p.label for p in parse_study(self.document).points()]
        points = [{"index": i, "label": label, "status": "COMPLETE" if i < gets else "RUNNING",
                   "job_id": f"job-{i}",
                   "summary": {"score": 10.0 + i, "ev_per_initial_bet": {"mean": 0.01, "se": 0.001}}
                   if i < gets else None}
                  for i, label in enumerate(labels)]  # fmt: skip
        done = sum(p["status"] == "COMPLETE" for p in points)
        status = "CANCELLED" if self.cancelled else "COMPLETE" if done == len(points) else "RUNNING"
        return {"id": "st-1", "name": self.document["name"], "status": status,
                "points_total": len(points), "points_done": done, "points": points}  # fmt: skip

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/studies/" and request.method == "POST":
            self.document = json.loads(request.content)
            return httpx.Response(202, json={"id": "st-1"})
        if request.url.path == "/api/studies/st-1/cancel/":
            self.cancelled = True
            return httpx.Response(200, json={"id": "st-1", "status": "CANCELLED"})
        if request.url.path == "/api/studies/st-1/" and self.document is not None:
            return httpx.Response(200, json=self.state())
        return httpx.Response(404, json={"error": "not_found", "detail": "no such study"})


@pytest.fixture
def studies(monkeypatch: pytest.MonkeyPatch) -> FakeStudies:
    fake = FakeStudies()
    monkeypatch.setattr(study_cli, "StudyClient",
                        partial(study_cli.StudyClient, transport=fake.transport))  # fmt: skip
    monkeypatch.setattr(study_cli, "POLL_S", 0.0)
    monkeypatch.setenv("JOST_URL", "http://jost.test")
    monkeypatch.setenv("JOST_TOKEN", "fake-token")
    return fake


def test_run_remote_submits_the_study_and_follows_it_to_the_end(
    study_file: Path, studies: FakeStudies, result_cache: Path
):
    done = runner.invoke(app, ["study", "run", str(study_file), "--remote", "--json"])
    assert done.exit_code == 0, done.output
    assert studies.document == parse_study(STUDY).to_dict()  # the document, validated
    assert studies.requests[0].headers["Authorization"] == "Token fake-token"
    doc = json.loads(done.stdout)
    assert doc["document"] == "jost.remote_study" and doc["status"] == "COMPLETE"
    assert doc["points_done"] == 4 and "study st-1 submitted" in done.stderr
    assert done.stderr.count("point ") == 4 and not result_cache.exists()  # nothing ran here
    shown = runner.invoke(app, ["study", "show", "st-1", "--json"])
    assert shown.exit_code == 0, shown.output
    table = json.loads(shown.stdout)
    assert [p["index"] for p in table["points"]] == [3, 2, 1, 0]  # SCORE 13, 12, 11, 10
    assert table["points"][0]["job_id"] == "job-3"
    unknown = runner.invoke(app, ["study", "show", "st-2"])
    assert unknown.exit_code == 2 and "no such study" in unknown.stderr
    odd = runner.invoke(app, ["study", "show", "../etc"])
    assert odd.exit_code == 2


def test_remote_needs_a_login(study_file: Path):
    done = runner.invoke(app, ["study", "run", str(study_file), "--remote"])
    assert done.exit_code == 2 and "jost login" in done.stderr
