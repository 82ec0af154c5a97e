"""`jost login` and `jost jobs …`: the service this terminal uses and the jobs it runs there."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from jost_engine import Config, ConfigError, parse_config
from user_terminal import history
from user_terminal.credentials import (
    forget_login,
    login_path,
    normalise_url,
    require_login,
    save_login,
    stored_login,
)
from user_terminal.errors import JostError, reported
from user_terminal.remote import ServiceClient, job_id
from user_terminal.render import render_summary

app = typer.Typer(
    name="jobs", help="Your jobs on the service.", no_args_is_help=True, rich_markup_mode=None
)

JobId = Annotated[
    str, typer.Argument(help="The job's id, or a unique start of it (see `jost jobs list`).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the service's JSON.")]


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def client() -> ServiceClient:
    login = require_login()
    return ServiceClient(login.url, login.token)


def login(
    url: Annotated[str, typer.Argument(help="The service, e.g. http://127.0.0.1:8000")],
    username: Annotated[
        str | None, typer.Option("--username", "-u", envvar="JOST_USERNAME", show_envvar=True)
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            "-p",
            envvar="JOST_PASSWORD",
            show_envvar=True,
            help="[default: asked at the terminal]",
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input (scripts)."),
    ] = False,
    token: Annotated[
        str | None, typer.Option("--token", help="Use this API token instead of a password.")
    ] = None,
) -> None:
    """Log in to a service and keep its URL and token (0600) for --remote and `jost jobs`.

    Without a terminal (a script, CI) give the username with ``--username`` or JOST_USERNAME
    and the password with ``--password-stdin``, JOST_PASSWORD or ``--password``."""
    with reported():
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise JostError("--password-stdin: standard input gave no password")
        with ServiceClient(normalise_url(url), token) as service:
            if token:
                service.check_token()
            else:
                username = username or _ask("Username", "--username or JOST_USERNAME")
                password = password or _ask(
                    "Password", "--password-stdin or JOST_PASSWORD", hide_input=True
                )
                token = service.token(username, password)
        path = save_login(url, token, username)
        who = f" as {username}" if username else ""
        typer.echo(f"logged in to {normalise_url(url)}{who}; token kept in {path}", err=True)


def _ask(what: str, instead: str, *, hide_input: bool = False) -> str:
    """Ask at the terminal; with no terminal to ask at, say what to give instead (exit 2)."""
    if not sys.stdin.isatty():
        raise JostError(f"no terminal to ask for the {what.lower()}: give {instead}")
    return str(typer.prompt(what, hide_input=hide_input, err=True))


def logout() -> None:
    """End the token on the service (so a copy of it is useless) and forget the stored login.

    The local login is forgotten even when the service cannot be reached or already refuses the
    token; then it says so, since the token may still work there until it expires.
    """
    path = login_path()
    stored = stored_login()
    if stored is not None and stored.token:
        try:
            with ServiceClient(stored.url, stored.token) as service:
                service.revoke_token()
            typer.echo(f"revoked the token on {stored.url}", err=True)
        except JostError as exc:
            typer.echo(f"could not revoke the token on {stored.url}: {exc}", err=True)
    typer.echo(f"removed {path}" if forget_login() else "not logged in", err=True)


def _progress(job: dict[str, Any]) -> str:
    progress = job.get("progress") or {}
    done, total = progress.get("rounds_done", 0), progress.get("rounds_total", 0)
    return f"{done:,}/{total:,} ({progress.get('fraction', 0):.0%})"


@app.command("list")
def list_jobs(
    status: Annotated[
        str | None, typer.Option("--status", help="PENDING, RUNNING, COMPLETE, FAILED, CANCELLED")
    ] = None,
    page: Annotated[int, typer.Option("--page", min=1)] = 1,
    json_output: JsonFlag = False,
) -> None:
    """Your jobs, newest first."""
    with reported(), client() as service:
        body = service.jobs(status, page)
    if json_output:
        print_json(body)
        return
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("Job", no_wrap=True, min_width=36)  # whole: it is what you type next
    for column in ("Status", "Rounds", "Created"):
        table.add_column(column, no_wrap=True)
    table.add_column("Name", overflow="fold")
    for job in body.get("results", []):
        table.add_row(
            str(job["job_id"]),
            str(job["status"]),
            _progress(job),
            str(job.get("created_at", ""))[:19],
            str(job.get("name", "")),
        )
    Console(width=max(140, Console().width)).print(table)
    typer.echo(f"{body.get('count', 0)} job(s)", err=True)


@app.command()
def status(job: JobId, json_output: JsonFlag = False) -> None:
    """A job's status and progress."""
    with reported(), client() as service:
        body = service.status(job)
    if json_output:
        print_json(body)
        return
    typer.echo(f"{body['job_id']}  {body['status']}  {_progress(body)}  {body.get('name', '')}")
    if body.get("error"):
        typer.echo(f"error: {body['error']}")


@app.command()
def result(job: JobId, json_output: JsonFlag = False) -> None:
    """A finished job's result (the summary, or the document with --json)."""
    with reported(), client() as service:
        job = service.resolve(job)
        document = service.result(job)
    if json_output:
        print_json(document)
        return
    Console().print(render_summary(document, _known_config(job)))


def _known_config(job: str) -> Config | None:
    """The job's config when this terminal submitted it (kept in the run history)."""
    try:
        config = history.config_of_job(job_id(job))
        return parse_config(config) if config else None
    except (ConfigError, JostError):
        return None


@app.command()
def cancel(job: JobId) -> None:
    """Cancel a job: a waiting one at once, a running one within seconds."""
    with reported(), client() as service:
        body = service.cancel(job)
    state = body.get("status")
    typer.echo(f"job {body['job_id']}: {'cancelled' if state == 'CANCELLED' else 'cancelling'}")
