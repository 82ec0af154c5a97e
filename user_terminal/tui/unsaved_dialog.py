"""Asked before unsaved edits to a profile would be lost: save them, drop them, or stay.

The CLI asks before it throws an edit away (``jost profiles edit``); the TUI does the same when
the player moves to another profile or quits with the editor's text unsaved.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

Choice = Literal["save", "discard", "stay"]


class UnsavedEdits(ModalScreen[Choice]):
    """``s`` saves, ``d`` discards, ``escape`` stays where the edits are."""

    DEFAULT_CSS = """
    UnsavedEdits { align: center middle; }
    UnsavedEdits > Vertical { width: 60; height: auto; border: thick $warning; padding: 1 2;
                              background: $surface; }
    UnsavedEdits Horizontal { height: auto; margin-top: 1; }
    UnsavedEdits Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("s", "choose('save')", "Save"),
        Binding("d", "choose('discard')", "Discard"),
        Binding("escape", "choose('stay')", "Stay"),
    ]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self.what} has unsaved edits.", id="unsaved-question")
            with Horizontal():
                yield Button("Save (s)", id="save", variant="primary")
                yield Button("Discard (d)", id="discard", variant="error")
                yield Button("Stay (esc)", id="stay")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)  # type: ignore[arg-type]

    def action_choose(self, choice: Choice) -> None:
        self.dismiss(choice)
