"""``jost history list|show|delete``: the runs this terminal kept (`user_terminal.history`).

A run is named by its id (the file name shown by ``list``), any unique start of it, or ``last``;
``jost compare`` and ``jost chart`` take the same names beside file paths.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from jost_engine import ConfigError, parse_config
from user_terminal import history, history_table
from user_terminal.errors import JostError, reported
from user_terminal.prompts import ask, interactive
from user_terminal.render import render_summary

app = typer.Typer(
    name="history", help="The runs you kept: list, show, delete.", no_args_is_help=True
)

RunRef = Annotated[
    str, typer.Argument(help="A run's id (see `jost history list`), a unique start of it, or last.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of the table.")]


@app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option("--limit", min=1, help="The newest this many.")] = 50,
    json_output: JsonFlag = False,
) -> None:
    """Your kept runs, newest first (``--json``: ``{"runs": [{"id", "at", "where", ...}]}``)."""
    found = history.runs(limit)
    if json_output:
        rows = [
            {"id": r.run_id, "at": r.at, "where": r.where, "name": r.name, "rounds": r.rounds,
             "ev_per_initial_bet": r.ev, "job_id": r.job_id, "path": str(r.path)}
            for r in found
        ]  # fmt: skip
        typer.echo(json.dumps({"runs": rows}, indent=2, ensure_ascii=False))
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in history_table.COLUMNS:
        table.add_column(
            column, **({"overflow": "fold"} if column == "Game" else {"no_wrap": True})
        )
    for r in found:
        table.add_row(*history_table.listed(r))
    Console(width=max(120, Console().width)).print(table)
    typer.echo(f"{len(found)} run(s) in {history.history_dir()}", err=True)


@app.command()
def show(run: RunRef, json_output: JsonFlag = False) -> None:
    """One kept run: its game and result (``--json``: the kept document)."""
    with reported():
        path = history.run_path(run)
        document = history.load(path)
    if json_output:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    try:
        config = parse_config(document.get("config") or {})
    except ConfigError:
        config = None
    typer.echo(f"{path.stem}  {document.get('at', '')}  {document.get('where', 'local')}")
    Console().print(render_summary(document.get("result") or {}, config))


@app.command()
def delete(
    run: RunRef,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a kept run (asks first unless --yes)."""
    with reported():
        path = history.run_path(run)
        if path.resolve().parent != history.history_dir().resolve():
            raise JostError(f"{path} is not a kept run (jost history deletes only its own)")
        if not yes and not (interactive() and ask(f"Delete the run {path.stem}?")):
            raise JostError(f"nothing deleted (--yes deletes {path.stem} without asking)")
        path.unlink()
    typer.echo(f"deleted {path.stem}", err=True)
