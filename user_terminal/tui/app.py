"""The Textual app: four panes in tabs and a key legend at the bottom; fits 80×24."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, TabbedContent, TabPane, Tabs

from jost_engine import parse_config
from user_terminal import history
from user_terminal.game_run import keep
from user_terminal.profiles_store import ProfileStore
from user_terminal.seeding import open_store
from user_terminal.tui.history_pane import HistoryPane
from user_terminal.tui.profiles_pane import ProfilesPane
from user_terminal.tui.results_pane import ResultsPane
from user_terminal.tui.run_pane import RunPane


class JostApp(App):
    """Profiles, Run, Results, History — every action on a key shown in the footer."""

    TITLE = "JOST"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("f1", "tab('profiles')", "Profiles"),
        Binding("f2", "tab('run')", "Run"),
        Binding("f3", "tab('results')", "Results"),
        Binding("f4", "tab('history')", "History"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+n", "duplicate", "Copy"),
        Binding("ctrl+r", "run", "Start"),
        Binding("ctrl+q", "quit", "Quit"),
        Binding("escape", "cancel_run", "Cancel run", show=False),
    ]

    def __init__(self, store: ProfileStore | None = None, workers: int | None = None) -> None:
        super().__init__()
        self.notes: list[str] = []
        self.store = store or open_store(self.notes.append)
        self.run_workers = workers

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="profiles"):
            with TabPane("Profiles", id="profiles"):
                yield ProfilesPane(self.store)
            with TabPane("Run", id="run"):
                yield RunPane(self.store, self.run_workers)
            with TabPane("Results", id="results"):
                yield ResultsPane()
            with TabPane("History", id="history"):
                yield HistoryPane()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for note in self.notes:
            self.notify(note, timeout=6)

    # ---- actions --------------------------------------------------------------------------------

    def show(self, tab: str) -> None:
        """Make ``tab`` the visible pane, taking the focus off the pane being hidden first.

        Textual refocuses a hidden focused widget onto the next one in the chain, which can be
        in the pane just left, and `TabbedContent` then switches back to the pane that holds
        the focus: the switch was undone, and every key after it too. The tabs themselves hold
        the focus instead; Tab moves it into the pane.
        """
        contents = self.query_one(TabbedContent)
        self.screen.set_focus(contents.query_one(Tabs))
        contents.active = tab

    def action_tab(self, tab: str) -> None:
        self.show(tab)
        if tab == "run":
            self.query_one(RunPane).reload_profiles()
        if tab == "history":
            self.query_one(HistoryPane).reload()

    def _active(self) -> str:
        return self.query_one(TabbedContent).active

    def action_save(self) -> None:
        if self._active() == "profiles":
            self.query_one(ProfilesPane).save()

    def action_duplicate(self) -> None:
        if self._active() == "profiles":
            self.query_one(ProfilesPane).duplicate()

    async def action_quit(self) -> None:
        """Quit, asking first when a profile has unsaved edits."""
        profiles = self.query_one(ProfilesPane)
        if profiles.dirty:
            self.show("profiles")
            profiles.ask_about_edits(self.exit)
            return
        self.exit()

    def action_run(self) -> None:
        self.action_tab("run")
        self.query_one(RunPane).start()

    def action_cancel_run(self) -> None:
        self.query_one(RunPane).stop()

    # ---- messages -----------------------------------------------------------------------------

    def on_run_pane_finished(self, message: RunPane.Finished) -> None:
        problem = keep(message.config, message.outcome)
        if problem:
            self.notify(problem, severity="warning")
        self.query_one(HistoryPane).reload()
        self.show("results")
        self.query_one(ResultsPane).show(message.outcome.result, message.config)

    def on_history_pane_open(self, message: HistoryPane.Open) -> None:
        try:
            record = history.load(Path(message.path))
            config = parse_config(record["config"]) if record.get("config") else None
            result = record["result"]
            name = str((record.get("config") or {}).get("name", ""))
        except Exception as exc:
            self.notify(f"cannot open {message.path}: {exc}", severity="error")
            return
        self.show("results")
        self.query_one(ResultsPane).show(result, config, name)
