"""A run as the `jost` command shows it: `game_run.run_game` under a Rich progress bar.

On Ctrl-C during a remote run the player is asked whether the job is cancelled on the service
or left running there. Everything the player should read is raised as a `JostError`
(`user_terminal.errors`).
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from jost_engine import Config
from user_terminal.game_run import Outcome, RunStopped, StillRunning, run_game
from user_terminal.progress import progress_bar

Ask = Callable[[str], bool]


def run_in_terminal(
    config: Config,
    source: str,
    *,
    remote: bool = False,
    workers: int | None = None,
    show_progress: bool = True,
    ask: Ask,
    warn: Callable[[str], None],
    poll_s: float = 0.5,
    label: str | None = None,
) -> Outcome:
    """Run here (every core unless ``workers``) or on the service of `jost login`.

    ``warn`` prints a ``jost: …`` line on stderr; while the bar is shown, lines go above it.
    ``label`` names the bar (default "Simulating", "Remote" on the service).
    """
    try:
        label = label or ("Remote" if remote else "Simulating")
        with progress_bar(config.simulation.rounds, show_progress, label) as bar:
            return run_game(
                config,
                remote=remote,
                source=source,
                workers=workers,
                progress=bar,
                status=bar.say if bar is not None else None,
                note=(lambda line: bar.echo(f"jost: {line}")) if bar is not None else warn,
                poll_s=poll_s,
            )
    except StillRunning as stopped:
        if _yes(ask, f"cancel job {stopped.job} on the service? (no: it keeps running there)"):
            raise stopped.cancel() from None
        raise
    except KeyboardInterrupt:  # before the run began or after it ended
        raise RunStopped("interrupted") from None


def _yes(ask: Ask, question: str) -> bool:
    try:
        return ask(question)
    except (KeyboardInterrupt, typer.Abort, EOFError):
        return False
