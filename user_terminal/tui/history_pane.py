"""The history pane: past runs kept on this machine, newest first; Enter opens one."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import DataTable

from user_terminal import history
from user_terminal.render import format_percent


class HistoryPane(DataTable):
    class Open(Message):
        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("When (UTC)", "Where", "Rounds", "House edge", "Game")
        self.reload()

    def reload(self) -> None:
        self.clear()
        for run in history.runs():
            edge = format_percent(-run.ev) if run.ev is not None else "n/a"
            where = "local" if run.where == "local" else "remote"
            self.add_row(
                run.at[:19].replace("T", " "),
                where,
                f"{run.rounds:,}",
                edge,
                run.name,
                key=str(run.path),
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(self.Open(str(event.row_key.value)))
