"""The `jost` command: run a simulation locally and read its result, or print the config schema.

Kept thin on purpose: loading a config, running the engine with a progress bar and reporting
errors live here; all formatting is in `user_terminal.render`.

Exit codes: 0 success, 1 an unexpected failure inside the engine, 2 bad input (a missing or
unreadable file, invalid JSON, an invalid or unsupported config, a bad option), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from jost_engine import (
    Config,
    ConfigError,
    Result,
    SimulationCancelled,
    config_json_schema,
    default_config,
    parse_config,
    run_simulation_from_config,
)
from user_terminal.render import render_summary

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

DEFAULT_SOURCE = "the default config"

app = typer.Typer(
    name="jost",
    help="JOST: blackjack simulation with exact rules, counting, bet spreads and risk.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """JOST: blackjack simulation with exact rules, counting, bet spreads and risk."""


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print a message to stderr (plain text: paths and messages are never re-wrapped) and exit."""
    typer.echo(f"jost: {message}", err=True)
    raise typer.Exit(code)


def config_error_text(error: ConfigError, source: str) -> str:
    """Every problem of a ConfigError, one ``path: message`` per line, naming the config."""
    count = len(error.problems)
    lines = [f"invalid config in {source} ({count} problem{'s' if count != 1 else ''}):"]
    for problem in error.problems:
        lines.append(f"  {problem.get('path') or '(document)'}: {problem.get('message', '')}")
    return "\n".join(lines)


def _fail_config(error: ConfigError, source: str) -> NoReturn:
    _fail(config_error_text(error, source))


# --------------------------------------------------------------------------------------------
# Loading a config
# --------------------------------------------------------------------------------------------


def describe_source(path: Path | None) -> str:
    return DEFAULT_SOURCE if path is None else str(path)


def load_config(path: Path | None) -> Config:
    """The config in a JSON file, or the engine's default game when there is no file.

    Exits with code 2 and a message naming the file and every problem when it cannot be used.
    """
    if path is None:
        return default_config()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        _fail(f"config file not found: {path}")
    except IsADirectoryError:
        _fail(f"cannot read config file {path}: it is a directory")
    except OSError as exc:
        _fail(f"cannot read config file {path}: {exc.strerror or exc}")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        _fail(f"{path} is not UTF-8 text: {exc.reason} at byte {exc.start}")
    except json.JSONDecodeError as exc:
        _fail(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    except (ValueError, RecursionError) as exc:
        _fail(f"{path} is not usable JSON: {exc}")
    try:
        return parse_config(document)
    except ConfigError as exc:
        _fail_config(exc, str(path))


def apply_overrides(
    config: Config, source: str, rounds: int | None = None, seed: int | None = None
) -> Config:
    """The config with command-line overrides of ``simulation``; exits 2 when they are invalid."""
    try:
        return config.with_overrides(rounds=rounds, seed=seed)
    except ConfigError as exc:
        _fail_config(exc, f"{source} with the command-line options")


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def _compact(n: float) -> str:
    """A round count short enough for a progress bar: 950,000 → "950,000", 16,992,231 → "17.0M"."""
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M")):
        if n >= size:
            return f"{n / size:.1f}{suffix}"
    return f"{n:,.0f}"


class _RoundsColumn(ProgressColumn):
    """Rounds done / total."""

    def render(self, task: Task) -> Text:
        total = _compact(task.total) if task.total is not None else "?"
        return Text(f"{_compact(task.completed)}/{total} rounds", style="progress.download")


class _RateColumn(ProgressColumn):
    """Rounds per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        text = f"{_compact(speed)} rounds/s" if speed else "- rounds/s"
        return Text(text, style="progress.data.speed")


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr; yields the engine's ``progress`` callback (or None)."""
    if not enabled:
        yield None
        return
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]Simulating"),
        BarColumn(bar_width=20),
        TaskProgressColumn(),
        _RoundsColumn(),
        _RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("simulate", total=total)

    def update(done: int, rounds_total: int) -> None:
        progress.update(task, completed=done, total=rounds_total)

    with progress:
        yield update


def simulate(
    config: Config,
    source: str,
    *,
    workers: int | None = None,
    show_progress: bool = True,
) -> Result:
    """Run the config on this machine; exits 2 on a refused config, 130 on Ctrl-C."""
    cancel = threading.Event()
    try:
        with _progress_bar(config.simulation.rounds, show_progress) as progress:
            return run_simulation_from_config(
                config, progress=progress, workers=workers, cancel=cancel
            )
    except ConfigError as exc:
        _fail_config(exc, source)
    except (KeyboardInterrupt, SimulationCancelled):
        cancel.set()
        _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        if os.environ.get("JOST_DEBUG"):
            raise
        _fail(
            f"the simulation failed: {type(exc).__name__}: {exc} "
            "(set JOST_DEBUG=1 to see the traceback)",
            EXIT_FAILURE,
        )


def print_json(document: Any) -> None:
    """A JSON document on stdout, and nothing else."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


@app.command()
def run(
    config_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="CONFIG.json",
            help="A config file (CONFIG.md); without one, the default 6-deck game.",
            show_default=False,
        ),
    ] = None,
    rounds: Annotated[
        int | None, typer.Option("--rounds", "-n", help="Override simulation.rounds.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Override simulation.seed.")] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Worker processes [default: all cores]."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only the result document as JSON on stdout.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide the progress bar.")] = False,
) -> None:
    """Simulate a game on this machine and show the result."""
    source = describe_source(config_file)
    config = apply_overrides(load_config(config_file), source, rounds=rounds, seed=seed)
    show_progress = not quiet and Console(stderr=True).is_terminal
    result = simulate(config, source, workers=workers, show_progress=show_progress)
    document = result.to_dict()
    if json_output:
        print_json(document)
    else:
        Console().print(render_summary(document, config))


@app.command()
def schema() -> None:
    """Print the config's JSON Schema."""
    print_json(config_json_schema())


def _service_runner() -> Any:
    """The service's process runner, imported only here: the terminal never needs Django."""
    try:
        from service import runner
    except ImportError as exc:
        _fail(f"the service is not installed ({exc.name} is missing): pip install 'jost[service]'")
    return runner


@app.command()
def serve(
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port on 127.0.0.1.")
    ] = 8000,
) -> None:
    """Run the service locally: migrate, then the web server and a worker (Ctrl-C stops)."""
    raise typer.Exit(_service_runner().serve(port))


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", "-c", min=1, help="Jobs at once [default: all cores]."),
    ] = None,
    beat: Annotated[
        bool, typer.Option("--beat", help="Also run the reaper's schedule (one per deployment).")
    ] = False,
) -> None:
    """Run a service worker that takes jobs from the queue (settings from the environment)."""
    raise typer.Exit(_service_runner().worker(concurrency, beat=beat))


if __name__ == "__main__":  # pragma: no cover - `python -m user_terminal.cli`
    app()
