"""The `jost` command: profiles, hydration, local and remote runs, results, charts and the TUI.

Kept thin on purpose: each command parses its options and calls the module that owns the idea
(`profiles_store`, `hydrate`, `running` over `game_run`, `remote`, `compare`, `chart`, `render`,
`tui`).

Exit codes: 0 success, 1 an unexpected failure inside the engine, 2 bad input (a missing or
unreadable file, invalid JSON, an invalid profile or config, a bad option, a request the service
refused), 3 the service (unreachable, a refused token, a failed job), 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from jost_engine import Config, config_json_schema
from user_terminal import (
    analyze_cli,
    history,
    history_cli,
    jobs_cli,
    optimize_cli,
    profiles_cli,
    study_cli,
    trip_cli,
    validate_cli,
)
from user_terminal.config_files import apply_overrides, load_config, save_config
from user_terminal.credentials import require_login
from user_terminal.errors import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    JostError,
    fail,
    reported,
)
from user_terminal.game_run import keep
from user_terminal.hydrate import compose
from user_terminal.prompts import ask, may_overwrite
from user_terminal.render import game_table, render_summary
from user_terminal.result_files import read_result
from user_terminal.running import run_in_terminal
from user_terminal.seeding import open_store

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILURE", "EXIT_INTERRUPTED", "app"]

app = typer.Typer(
    name="jost",
    help="JOST: blackjack simulation with exact rules, counting, bet spreads and risk.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts show [default: ...] literally
)
app.add_typer(profiles_cli.app)
app.add_typer(jobs_cli.app)
app.add_typer(history_cli.app)
app.command()(jobs_cli.login)
app.command()(jobs_cli.logout)
app.command()(analyze_cli.analyze)
app.add_typer(analyze_cli.strategy_app)
app.add_typer(analyze_cli.count_app)
app.command()(validate_cli.validate)
app.add_typer(optimize_cli.app)
app.command()(trip_cli.trip)
app.add_typer(study_cli.app)


@app.callback()
def main() -> None:
    """JOST: blackjack simulation with exact rules, counting, bet spreads and risk."""


def _warn(message: str) -> None:
    typer.echo(f"jost: {message}", err=True)


def print_json(document: Any) -> None:
    """A JSON document on stdout, and nothing else."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _profile_option(kind: str) -> Any:
    return typer.Option(f"--{kind}", help=f"The {kind} profile [default: your default {kind}].")


def build_config(
    config_file: Path | None,
    chosen: dict[str, str | None],
    rounds: int | None,
    seed: int | None,
) -> tuple[Config, str]:
    """(config, where it came from): a saved config file, or the chosen profiles hydrated."""
    if config_file is not None:
        flags = [f"--{kind}" for kind, name in chosen.items() if name]
        if flags:
            raise JostError(f"give a config file or profiles ({', '.join(flags)}), not both")
        source = str(config_file)
        return apply_overrides(load_config(config_file), source, rounds, seed), source
    config = compose(open_store(_warn), chosen, rounds=rounds, seed=seed)
    return config, "your profiles"


@app.command()
def run(
    config_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[CONFIG.json]",
            help="A saved config (docs/config.md); without one, your profiles are hydrated.",
            show_default=False,
        ),
    ] = None,
    rules: Annotated[str | None, _profile_option("rules")] = None,
    strategy: Annotated[str | None, _profile_option("strategy")] = None,
    counting: Annotated[str | None, _profile_option("counting")] = None,
    betting: Annotated[str | None, _profile_option("betting")] = None,
    bankroll: Annotated[str | None, _profile_option("bankroll")] = None,
    rounds: Annotated[
        int | None, typer.Option("--rounds", "-n", help="Override simulation.rounds.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Override simulation.seed.")] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Worker processes [default: all cores]."),
    ] = None,
    remote: Annotated[
        bool, typer.Option("--remote", help="Run on the service of `jost login` (or JOST_URL).")
    ] = False,
    save_to: Annotated[
        Path | None,
        typer.Option("--save-config", metavar="FILE", help="Save the hydrated config here."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Build (and save) the config, do not run it.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --save-config.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only the result document as JSON on stdout.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide the progress bar.")] = False,
) -> None:
    """Simulate a game — from your profiles or a saved config — here or on a service."""
    with reported():
        chosen = {
            "rules": rules,
            "strategy": strategy,
            "counting": counting,
            "betting": betting,
            "bankroll": bankroll,
        }
        if remote:
            require_login()  # before anything else: say at once when there is no service
        config, source = build_config(config_file, chosen, rounds, seed)
        if save_to is not None:
            if save_to.exists() and not may_overwrite(str(save_to), force):
                raise JostError(f"{save_to} exists (nothing saved; --force replaces it)")
            _warn(f"saved the config to {save_config(config, save_to)}")
        if dry_run:
            if json_output:
                print_json(config.model_dump(mode="json"))
            else:
                Console().print(game_table(config))
            return
        outcome = run_in_terminal(
            config,
            source,
            remote=remote,
            workers=workers,
            show_progress=not quiet and Console(stderr=True).is_terminal,
            ask=ask,
            warn=_warn,
        )
        problem = keep(config, outcome)
        if problem:
            _warn(problem)
    if json_output:
        print_json(outcome.result)
    else:
        Console().print(render_summary(outcome.result, config))


@app.command()
def schema() -> None:
    """Print the config's JSON Schema."""
    print_json(config_json_schema())


@app.command()
def compare(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="RESULT...",
            help="Result files (`jost run --json > A.json`), kept runs' ids (`jost history "
            "list`, any unique start of one) or last.",
        ),
    ],
) -> None:
    """Put several results side by side."""
    from user_terminal.compare import compare_table

    with reported():
        results = [read_result(history.run_path(name)) for name in files]
    Console(width=max(100, 32 + 22 * len(results))).print(compare_table(results))


@app.command()
def chart(
    result_file: Annotated[
        str,
        typer.Argument(
            metavar="RESULT", help="A result file, a kept run's id (or unique start), or last."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write a PNG here [default: draw in the terminal]."),
    ] = None,
    rounds: Annotated[
        int | None,
        typer.Option("--rounds", min=1, help="Session length of the bankroll chart [10,000]."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    per_bet: Annotated[
        bool,
        typer.Option("--per-bet", help="EV per initial bet (%) instead of units per round."),
    ] = False,
) -> None:
    """Draw EV by true count and the bankroll distribution (PNG with matplotlib), titled with
    the game (its name, or the result file's)."""
    from user_terminal import chart as charts

    with reported():
        item = read_result(history.run_path(result_file))
        title = str((item.config or {}).get("name") or item.path.stem)
        if out is None:
            typer.echo(charts.terminal_chart(item.result, title=title, per_bet=per_bet))
            return
        if out.exists() and not may_overwrite(str(out), force):
            raise JostError(f"{out} exists (nothing written; --force replaces it)")
        _warn(f"wrote {charts.save_png(item.result, out, title, rounds, per_bet=per_bet)}")


@app.command()
def tui() -> None:
    """The full-screen terminal UI: profiles, runs, results and history."""
    from user_terminal.tui.app import JostApp

    JostApp().run()


def _service_runner() -> Any:
    """The service's process runner, imported only here: the terminal never needs Django."""
    try:
        from service import runner
    except ImportError as exc:
        fail(f"the service is not installed ({exc.name} is missing): pip install 'jost[service]'")
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
