"""The history pane: past runs kept on this machine, newest first; Enter opens one.

Its columns and their wording are ``jost history list``'s (`history_table`), so an id read
here works in ``jost history show``, ``jost compare`` and ``jost chart``.
"""

from __future__ import annotations

from textual.message import Message
from textual.widgets import DataTable

from user_terminal import history, history_table


class HistoryPane(DataTable):
    class Open(Message):
        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns(*history_table.COLUMNS)
        self.reload()

    def reload(self) -> None:
        self.clear()
        for run in history.runs():
            self.add_row(*history_table.listed(run), key=str(run.path))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(self.Open(str(event.row_key.value)))
