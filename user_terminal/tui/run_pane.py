"""The run pane: compose a config from profiles, start it here or on the service, watch it run."""

from __future__ import annotations

import threading
import time

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import Input, Label, ProgressBar, Select, Static

from jost_engine import Config
from jost_engine.profiles import PROFILE_KINDS
from jost_engine.simulate import SIMULATING
from user_terminal.credentials import Login, require_login
from user_terminal.errors import JostError
from user_terminal.game_run import Outcome, RunFailed, RunStopped, describe, run_game
from user_terminal.hydrate import compose
from user_terminal.profiles_store import ProfileStore
from user_terminal.progress import compact

LOCAL, REMOTE = "local", "remote"


class RunPane(Vertical):
    """Five profile pickers, rounds and seed, where to run; ctrl+r runs, Esc cancels."""

    DEFAULT_CSS = """
    RunPane Grid { grid-size: 2; grid-columns: 12 1fr; grid-rows: 1; grid-gutter: 0 1; }
    RunPane Grid { height: auto; }
    RunPane Label { padding: 0 0; }
    RunPane #run-progress { margin-top: 1; }
    RunPane #run-status { height: auto; padding: 0 1; }
    """

    class Finished(Message):
        """A run that ended with its result: the config and its `Outcome`."""

        def __init__(self, config: Config, outcome: Outcome) -> None:
            super().__init__()
            self.config, self.outcome = config, outcome

    def __init__(self, store: ProfileStore, workers: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.engine_workers = workers
        self.cancel = threading.Event()
        self.running = False

    def compose(self) -> ComposeResult:
        defaults = self.store.defaults()
        with Grid():
            for kind in PROFILE_KINDS:
                yield Label(kind.capitalize())
                yield Select(
                    self._options(kind, defaults),
                    id=f"pick-{kind}",
                    value=defaults.get(kind, Select.NULL),
                    allow_blank=True,
                    compact=True,
                )
            yield Label("Rounds")
            yield Input("1000000", id="run-rounds", type="integer", compact=True)
            yield Label("Seed")
            yield Input(
                "", id="run-seed", placeholder="the profile default", type="integer", compact=True
            )
            yield Label("Where")
            yield Select(
                [("this machine", LOCAL), ("the service", REMOTE)],
                id="run-where",
                value=LOCAL,
                allow_blank=False,
                compact=True,
            )
        yield ProgressBar(total=1, id="run-progress", show_eta=True)  # not animated while idle
        yield Static("ctrl+r runs; Esc cancels a run.", id="run-status")

    def on_mount(self) -> None:
        self.reload_profiles()

    def reload_profiles(self) -> None:
        defaults = self.store.defaults()
        for kind in PROFILE_KINDS:
            picker = self.query_one(f"#pick-{kind}", Select)
            keep = picker.value if picker.value is not Select.NULL else None
            names = self.store.names(kind)
            picker.set_options(self._options(kind, defaults))
            choice = keep if keep in names else defaults.get(kind)
            if choice in names:
                picker.value = choice

    def _options(self, kind: str, defaults: dict[str, str]) -> list[tuple[str, str]]:
        """(label, name) of each profile of a kind; ``*`` marks the default."""
        names = self.store.names(kind)
        return [(("* " if defaults.get(kind) == n else "") + n, n) for n in names]

    def _say(self, message: str, error: bool = False) -> None:
        status = self.query_one("#run-status", Static)
        status.update(message)
        status.set_class(error, "error")
        status.styles.color = "red" if error else None

    def _number(self, field: str) -> int | None:
        text = self.query_one(f"#run-{field}", Input).value.strip()
        return int(text) if text else None

    def build(self) -> Config:
        chosen = {}
        for kind in PROFILE_KINDS:
            value = self.query_one(f"#pick-{kind}", Select).value
            chosen[kind] = None if value is Select.NULL else str(value)
        return compose(self.store, chosen, rounds=self._number("rounds"), seed=self._number("seed"))

    def start(self) -> None:
        if self.running:
            self._say("a run is going: Esc cancels it", error=True)
            return
        try:
            config = self.build()
            where = self.query_one("#run-where", Select).value
            login = require_login() if where == REMOTE else None
        except (JostError, ValueError) as exc:
            self._say(f"✗ {exc}", error=True)
            return
        self.cancel.clear()
        self.running = True
        self.query_one(ProgressBar).update(total=config.simulation.rounds, progress=0)
        self._say(f"running {config.name} …")
        self._run(config, login)

    def stop(self) -> None:
        if self.running:
            self.cancel.set()
            self._say("cancelling …")

    def _progress(self, done: int, total: int, started: float) -> None:
        self.query_one(ProgressBar).update(total=total or None, progress=done)
        rate = done / max(time.monotonic() - started, 1e-9)
        self._say(
            f"{compact(done)}/{compact(total)} rounds, {compact(rate)} rounds/s — Esc cancels"
        )

    @work(thread=True, exclusive=True)
    def _run(self, config: Config, login: Login | None) -> None:
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, done, total, started)

        def status(line: str) -> None:
            if line != SIMULATING:
                self.app.call_from_thread(self._say, f"{line} …")

        try:
            outcome = run_game(
                config,
                remote=login is not None,
                source="your profiles",
                workers=self.engine_workers,
                progress=progress,
                status=status,
                cancel=self.cancel,
                login=login,
            )
        except RunStopped as exc:  # Esc: a local run says so; a remote one names its job
            message = str(exc) if exc.job is None else f"✗ {exc}"
        except RunFailed as exc:
            message = f"✗ the run failed: {describe(exc.error)}"
        except JostError as exc:
            message = f"✗ {exc}"
        except Exception as exc:  # say so in the pane, never crash the UI
            message = f"✗ the run failed: {describe(exc)}"
        else:
            self.app.call_from_thread(self._done, self.Finished(config, outcome), "done")
            return
        self.app.call_from_thread(self._done, None, message)

    def _done(self, finished: Finished | None, message: str) -> None:
        self.running = False
        self._say(message, error=message.startswith("✗"))
        if finished is not None:
            self.post_message(finished)
