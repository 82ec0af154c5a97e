"""`jost study run` and `jost study show`: many games at once, here or on the service.

`run` validates the whole study (docs/study.md) before anything runs, then plays every point on
every core with one progress bar and one line per finished point, serving points played before
from the result cache (so an interrupted study resumes where it stopped); with ``--remote`` the
service runs it. `show` prints the table of a saved study result or of a study on the service,
sorted by SCORE or any column, and charts SCORE and win rate per hour against a swept path.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from jost_engine import ConfigError, DiskResultCache, Study, parse_study, run_study
from jost_engine.study_run import PointResult
from user_terminal.credentials import require_login
from user_terminal.errors import EXIT_INTERRUPTED, EXIT_SERVICE, JostError, problems_text, reported
from user_terminal.json_files import read_json_file
from user_terminal.progress import Bar, progress_bar
from user_terminal.prompts import ask, may_overwrite
from user_terminal.remote import FINISHED, ServiceClient
from user_terminal.render import format_count, format_number, format_percent

app = typer.Typer(
    name="study",
    help="Studies: many games at once (a grid of rules, spreads, counts...) and their table.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

POLL_S = 1.0
REMOTE_DOCUMENT = "jost.remote_study"
TABLE_DOCUMENT = "jost.study_table"


def warn(message: str) -> None:
    typer.echo(f"jost: {message}", err=True)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# The service's studies
# --------------------------------------------------------------------------------------------

_STUDY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def study_id(text: str) -> str:
    """A study id as the service writes it; refuses anything else (it goes into a URL)."""
    if not _STUDY_ID.match(text.strip()):
        raise JostError(f"not a study id or a study result file: {text!r}")
    return text.strip()


class StudyClient(ServiceClient):
    """The service client with the study endpoints (`POST /api/studies/` and so on)."""

    def submit_study(self, document: Mapping[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = self._request("POST", "/api/studies/", "the study", json=document)
        return reply

    def study(self, study: str) -> dict[str, Any]:
        sid = study_id(study)
        reply: dict[str, Any] = self._request("GET", f"/api/studies/{sid}/", f"study {sid}")
        return reply

    def cancel_study(self, study: str) -> dict[str, Any]:
        sid = study_id(study)
        reply: dict[str, Any] = self._request(
            "POST", f"/api/studies/{sid}/cancel/", f"cancelling study {sid}"
        )
        return reply


# --------------------------------------------------------------------------------------------
# Rows and columns of the table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: its key for --sort, header, value from a row, text, and sort direction."""

    key: str
    header: str
    value: Callable[[Mapping[str, Any]], Any]
    text: Callable[[Any], str]
    descending: bool = False


def _figure(*path: str) -> Callable[[Mapping[str, Any]], Any]:
    def value(row: Mapping[str, Any]) -> Any:
        node: Any = row.get("summary") or {}
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        return node

    return value


def label_text(value: Any) -> str:
    """A swept value as the study wrote it: 0.75, "hi_lo_1_8", an inline section shortened."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 30 else text[:27] + "..."


FIGURES: tuple[Column, ...] = (
    Column("ev", "EV/bet", _figure("ev_per_initial_bet", "mean"),
           lambda x: format_percent(x, 3, signed=True), True),
    Column("se", "±SE", _figure("ev_per_initial_bet", "se"), lambda x: format_percent(x, 3)),
    Column("sd", "SD/round", _figure("sd_per_round"), lambda x: format_number(x, 3)),
    Column("win100", "Win/100", _figure("win_rate_per_100_rounds"),
           lambda x: format_number(x, 2, signed=True), True),
    Column("win_hour", "Win/hour", _figure("win_rate_per_hour"),
           lambda x: format_number(x, 2, signed=True), True),
    Column("score", "SCORE", _figure("score"), lambda x: format_number(x, 2), True),
    Column("di", "DI", _figure("di"), lambda x: format_number(x, 2), True),
    Column("n0", "N0", _figure("n0"), format_count),
    Column("ror", "RoR", _figure("risk_of_ruin"), lambda x: format_percent(x, 2)),
    Column("rounds", "Rounds", _figure("rounds"), format_count, True),
)  # fmt: skip


def swept_paths(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The paths the points' labels name, in order of first appearance."""
    paths: list[str] = []
    for row in rows:
        paths += [p for p in row.get("label") or {} if p not in paths]
    return paths


def columns(rows: Sequence[Mapping[str, Any]]) -> list[Column]:
    """#, each swept path, the figures, and the status when any point is not complete."""
    found = [Column("index", "#", lambda r: r.get("index"), str)]
    for path in swept_paths(rows):
        found.append(
            Column(path, path, lambda r, p=path: (r.get("label") or {}).get(p), label_text)
        )
    found += FIGURES
    if any(row.get("status") != "COMPLETE" for row in rows):
        found.append(Column("status", "Status", lambda r: r.get("status"), str))
    return found


def sort_rows(
    rows: Sequence[Mapping[str, Any]], key: str, columns_: Sequence[Column]
) -> list[Mapping[str, Any]]:
    """Rows by a column (SCORE, EV and win rates high first, the rest low first); points
    without the figure (no edge, not finished) last."""
    by_key = {c.key: c for c in columns_}
    column = by_key.get(key)
    if column is None:
        raise JostError(f"cannot sort by {key!r}; columns are {', '.join(by_key)}")

    def order(row: Mapping[str, Any]) -> tuple[int, Any]:
        value = column.value(row)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (1, 0)
        if isinstance(value, bool | int | float):
            return (0, -value if column.descending else value)
        return (0, label_text(value))

    return sorted(rows, key=order)


def study_table(rows: Sequence[Mapping[str, Any]], title: str, key: str) -> Table:
    """The table of ``jost study show``: one row per point, sorted by ``key``."""
    cols = columns(rows)
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    labels = set(swept_paths(rows))
    for column in cols:
        justify = "left" if column.key in labels else "right"
        table.add_column(column.header, justify=justify, no_wrap=True)
    for row in sort_rows(rows, key, cols):
        table.add_row(*(column.text(column.value(row)) for column in cols))
    return table


def print_table(table: Table) -> None:
    """On stdout, as wide as the table needs (a pipe gets every column whole)."""
    needed = Console(width=1000).measure(table).maximum
    Console(width=max(Console().width, needed)).print(table)


def table_document(rows: Sequence[Mapping[str, Any]], name: str, key: str) -> dict[str, Any]:
    """The ``jost.study_table`` document of ``show --json`` (docs/study.md)."""
    cols = columns(rows)
    ordered = sort_rows(rows, key, cols)
    return {
        "document": TABLE_DOCUMENT,
        "name": name,
        "sorted_by": key,
        "swept": swept_paths(rows),
        "points": [
            {k: row.get(k) for k in ("index", "label", "status", "cached", "job_id", "summary")}
            for row in ordered
        ],
    }


def rows_of(document: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(name, rows) of a local study result (``jost.study_result``) or a service study."""
    if not isinstance(document, Mapping) or not isinstance(document.get("points"), list):
        raise JostError("not a study result: it has no points (see `jost study run --out`)")
    rows = []
    for point in document["points"]:
        if not isinstance(point, Mapping):
            raise JostError("not a study result: a point is not an object")
        rows.append({"status": "COMPLETE", **point})
    name = document.get("name") or (document.get("study") or {}).get("name") or "study"
    return str(name), rows


# --------------------------------------------------------------------------------------------
# Charts: SCORE and win rate per hour against a swept path, one line per value of another
# --------------------------------------------------------------------------------------------


@dataclass
class ChartData:
    """The lines of a chart: per value of ``lines``, x values and the two figures."""

    x: str
    lines: str | None
    fixed: dict[str, Any]
    series: dict[str, tuple[list[Any], list[float | None], list[float | None]]]


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def chart_data(rows: Sequence[Mapping[str, Any]], x: str | None, lines: str | None) -> ChartData:
    """Points that have ``x`` (and ``lines``), the other swept paths at their first value."""
    paths = swept_paths(rows)
    if x is None:
        values_of = {p: [(r.get("label") or {}).get(p) for r in rows] for p in paths}
        numeric = [p for p in paths if _numeric([v for v in values_of[p] if v is not None])]
        if not paths:
            raise JostError("the study sweeps nothing: there is no x for a chart")
        x = (numeric or paths)[0]
    if x not in paths:
        raise JostError(f"--x {x!r} is not a swept path; swept: {', '.join(paths) or 'none'}")
    if lines is not None and (lines not in paths or lines == x):
        raise JostError(f"--lines {lines!r} must be another swept path; swept: {', '.join(paths)}")
    if lines is None:
        others = [p for p in paths if p != x]
        lines = others[0] if others else None
    kept = [r for r in rows if x in (r.get("label") or {})]
    fixed: dict[str, Any] = {}
    for path in paths:
        if path in (x, lines):
            continue
        present = [r["label"][path] for r in kept if path in r["label"]]
        if present:
            fixed[path] = present[0]
            kept = [r for r in kept if r["label"].get(path, present[0]) == present[0]]
    series: dict[str, tuple[list[Any], list[float | None], list[float | None]]] = {}
    for row in sorted(kept, key=lambda r: label_text(r["label"][x])):
        name = label_text(row["label"].get(lines)) if lines else "all"
        xs, scores, rates = series.setdefault(name, ([], [], []))
        xs.append(row["label"][x])
        scores.append(_figure("score")(row))
        rates.append(_figure("win_rate_per_hour")(row))
    for name, (xs, scores, rates) in series.items():
        if _numeric(xs):
            order = sorted(range(len(xs)), key=lambda i: xs[i])
            series[name] = ([xs[i] for i in order], [scores[i] for i in order],
                            [rates[i] for i in order])  # fmt: skip
    return ChartData(x, lines, fixed, series)


def _title(data: ChartData, figure: str) -> str:
    title = f"{figure} against {data.x}" + (f", one line per {data.lines}" if data.lines else "")
    if data.fixed:
        title += " (" + ", ".join(f"{p}={label_text(v)}" for p, v in data.fixed.items()) + ")"
    return title


def save_chart(data: ChartData, out: Path, name: str) -> Path:
    """Both charts in one PNG (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from user_terminal.chart import write_png

    figure, axes = plt.subplots(2, 1, figsize=(8, 8), constrained_layout=True)
    figure.suptitle(name)
    for axis, (figure_name, pick) in zip(
        axes, (("SCORE", 1), ("Win rate per hour", 2)), strict=True
    ):
        for line, values in data.series.items():
            xs = values[0] if _numeric(values[0]) else [label_text(v) for v in values[0]]
            ys = [math.nan if y is None else y for y in values[pick]]
            axis.plot(xs, ys, marker="o", label=line)
        axis.set_title(_title(data, figure_name), fontsize=9)
        axis.set_xlabel(data.x)
        axis.set_ylabel(figure_name + (" (units)" if pick == 2 else ""))
        if data.lines:
            axis.legend(title=data.lines, fontsize=8)
    return write_png(figure, out)


def terminal_chart(data: ChartData, width: int = 80, height: int = 14) -> str:
    """Both charts as plain text (plotext), one under the other."""
    import plotext as plt

    drawn = []
    for figure_name, pick in (("SCORE", 1), ("Win rate per hour", 2)):
        plt.clear_figure()
        plt.plotsize(width, height)
        plt.theme("clear")
        plt.title(_title(data, figure_name))
        for line, values in data.series.items():
            points = [(x, y) for x, y in zip(values[0], values[pick], strict=True) if y is not None]
            if not points:
                continue
            xs = [p[0] for p in points]
            if not _numeric(xs):
                xs = [label_text(v) for v in xs]
            plt.plot(xs, [p[1] for p in points], label=line, marker="dot")
        plt.xlabel(data.x)
        drawn.append(plt.build())
    return "\n".join(drawn)


# --------------------------------------------------------------------------------------------
# jost study run
# --------------------------------------------------------------------------------------------


def load_study(path: Path) -> Study:
    """The study in a file; `JostError` names the file and every problem with its path."""
    document = read_json_file(path, "study file")
    try:
        return parse_study(document)
    except ConfigError as exc:
        raise JostError(problems_text(f"invalid study in {path}", exc.problems)) from None


def point_line(done: PointResult | Mapping[str, Any], total: int) -> str:
    """One line per finished point: its place, what it changes, SCORE, EV and where from."""
    row = done.to_dict(with_result=False) if isinstance(done, PointResult) else done
    label = ", ".join(f"{p}={label_text(v)}" for p, v in (row.get("label") or {}).items())
    score = _figure("score")(row)
    ev = _figure("ev_per_initial_bet", "mean")(row)
    se = _figure("ev_per_initial_bet", "se")(row)
    where = " (cached)" if row.get("cached") else ""
    return (
        f"point {int(row['index']) + 1}/{total} {label or 'base'}: SCORE "
        f"{format_number(score, 2)}, EV {format_percent(ev, 3, signed=True)} ± "
        f"{format_percent(se, 3)}{where}"
    )


def _write(document: Mapping[str, Any], out: Path, force: bool) -> None:
    if out.exists() and not may_overwrite(str(out), force):
        raise JostError(f"{out} exists (nothing written; --force replaces it)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as exc:
        raise JostError(f"cannot write {out}: {exc.strerror or exc}") from None
    warn(f"wrote {out}")


def run_local(
    study: Study, *, workers: int | None, cache: bool, show_progress: bool, quiet: bool
) -> dict[str, Any]:
    """The study on this machine's cores: the ``jost.study_result`` document."""
    total = study.rounds * len(study.points())
    count = len(study.points())
    with progress_bar(total, show_progress, "Study") as bar:
        say = bar.echo if bar is not None else warn

        def finished(point: PointResult) -> None:
            if not quiet:
                say(point_line(point, count))

        try:
            result = run_study(
                study,
                workers=workers,
                cache=DiskResultCache() if cache else None,
                progress=bar,
                on_point=finished,
                status=bar.say if isinstance(bar, Bar) else None,
            )
        except KeyboardInterrupt:
            kept = " (finished points are cached: run it again to go on)" if cache else ""
            raise JostError(f"interrupted{kept}", EXIT_INTERRUPTED) from None
    return result.to_dict()


@contextmanager
def _points_bar(total: int, enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    progress = Progress(
        TextColumn("[bold]Remote study"), BarColumn(bar_width=20), MofNCompleteColumn(),
        TextColumn("points"), console=Console(stderr=True), transient=True,
    )  # fmt: skip
    progress.add_task("points", total=total)
    with progress:
        yield progress


def run_remote(study: Study, *, show_progress: bool, quiet: bool) -> dict[str, Any]:
    """The study on the service of `jost login`; its final study document."""
    login = require_login()
    with StudyClient(login.url, login.token) as client:
        sid = str(client.submit_study(study.to_dict())["id"])
        warn(f"study {sid} submitted to {login.url} (`jost study show {sid}`)")
        seen: set[Any] = set()
        total = len(study.points())
        try:
            with _points_bar(total, show_progress) as bar:
                say = (lambda line: bar.console.print(line, markup=False)) if bar else warn
                while True:
                    state = client.study(sid)
                    for point in state.get("points") or []:
                        if point.get("status") in FINISHED and point.get("index") not in seen:
                            seen.add(point.get("index"))
                            if not quiet:
                                say(point_line(point, total))
                    if bar is not None:
                        bar.update(bar.task_ids[0], completed=int(state.get("points_done") or 0),
                                   total=int(state.get("points_total") or total))  # fmt: skip
                    if state.get("status") in FINISHED:
                        break
                    time.sleep(POLL_S)
        except KeyboardInterrupt:
            question = f"cancel study {sid} on the service? (no: it keeps running there)"
            if _yes(question):
                client.cancel_study(sid)
                raise JostError(f"interrupted: cancelled study {sid}", EXIT_INTERRUPTED) from None
            raise JostError(
                f"interrupted: study {sid} keeps running on {login.url}", EXIT_INTERRUPTED
            ) from None
    return {"document": REMOTE_DOCUMENT, "service": login.url, **state}


def _yes(question: str) -> bool:
    try:
        return ask(question)
    except (KeyboardInterrupt, typer.Abort, EOFError):
        return False


@app.command("run")
def run(
    study_file: Annotated[
        Path, typer.Argument(metavar="STUDY.json", help="A study document (docs/study.md).")
    ],
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Worker processes [default: all cores]."),
    ] = None,
    remote: Annotated[
        bool, typer.Option("--remote", help="Run on the service of `jost login` (or JOST_URL).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write the study's document here."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Simulate every point, even one played before.")
    ] = False,
    sort: Annotated[str, typer.Option("--sort", help="Sort the table by this column.")] = "score",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only the study's document as JSON on stdout.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar, no line per point.")
    ] = False,
) -> None:
    """Run every point of a study here on every core (or on the service) and show its table."""
    with reported():
        if remote:
            require_login()
        study = load_study(study_file)
        show = not quiet and Console(stderr=True).is_terminal
        if remote:
            document = run_remote(study, show_progress=show, quiet=quiet)
        else:
            document = run_local(
                study, workers=workers, cache=not no_cache, show_progress=show, quiet=quiet
            )
        if out is not None:
            _write(document, out, force)
        name, rows = rows_of(document)
        if json_output:
            print_json(document)
        else:
            print_table(study_table(rows, name, sort))
        if remote and document.get("status") != "COMPLETE":
            raise JostError(
                f"study {document.get('id')} ended {document.get('status')}", EXIT_SERVICE
            )


# --------------------------------------------------------------------------------------------
# jost study show
# --------------------------------------------------------------------------------------------


def read_study_document(source: str) -> dict[str, Any]:
    """A saved study document (a file), or the study of that id on the service."""
    path = Path(source)
    if path.exists() or source.endswith(".json") or "/" in source:
        document = read_json_file(path, "study result file")
        if not isinstance(document, dict):
            raise JostError(f"{path} is not a study result (see `jost study run --out`)")
        return document
    sid = study_id(source)
    login = require_login()
    with StudyClient(login.url, login.token) as client:
        return {"document": REMOTE_DOCUMENT, "service": login.url, **client.study(sid)}


@app.command("show")
def show(
    source: Annotated[
        str, typer.Argument(metavar="ID|FILE", help="A study id on the service, or a result file.")
    ],
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            help="Column: score, ev, se, sd, win100, win_hour, di, n0, ror, "
            "rounds, index, or a swept path.",
        ),
    ] = "score",
    chart: Annotated[
        Path | None,
        typer.Option("--chart", metavar="PNG", help="Write SCORE and win rate per hour here."),
    ] = None,
    x: Annotated[
        str | None,
        typer.Option("--x", metavar="PATH", help="The swept path along the charts' x axis."),
    ] = None,
    lines: Annotated[
        str | None,
        typer.Option("--lines", metavar="PATH", help="One line per value of this swept path."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --chart.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only the sorted table as JSON on stdout.")
    ] = False,
) -> None:
    """Show a study's points sorted by SCORE (or any column), and chart them (--chart, --x)."""
    with reported():
        name, rows = rows_of(read_study_document(source))
        if json_output:
            print_json(table_document(rows, name, sort))
        else:
            print_table(study_table(rows, name, sort))
        if chart is not None or x is not None or lines is not None:
            data = chart_data(rows, x, lines)
            if chart is None:
                if not json_output:
                    typer.echo(terminal_chart(data))
                return
            if chart.exists() and not may_overwrite(str(chart), force):
                raise JostError(f"{chart} exists (nothing written; --force replaces it)")
            warn(f"wrote {save_chart(data, chart, name)}")
