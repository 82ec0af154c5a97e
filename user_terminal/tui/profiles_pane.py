"""The profiles pane: browse your profiles, edit one with validation as you type, duplicate it.

Moving to another profile with unsaved edits asks first (save, discard or stay), as the CLI
does; so does quitting (`JostApp.action_quit`).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from user_terminal.errors import JostError
from user_terminal.profiles_store import ProfileError, ProfileStore, parse_profile_text
from user_terminal.tui.unsaved_dialog import Choice, UnsavedEdits


class ProfilesPane(Horizontal):
    """Left: every profile (``*`` the default, ``✗`` unusable). Right: its JSON and its problems."""

    DEFAULT_CSS = """
    ProfilesPane #profile-list { width: 36; height: 1fr; }
    ProfilesPane #profile-editor { height: 1fr; }
    ProfilesPane #profile-status { height: auto; max-height: 8; padding: 0 1; }
    ProfilesPane .valid { color: $success; }
    ProfilesPane .invalid { color: $error; }
    """

    def __init__(self, store: ProfileStore, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.selected: tuple[str, str] | None = None
        self.saved_text = ""  # the selected profile's text as loaded or last saved

    def compose(self) -> ComposeResult:
        yield OptionList(id="profile-list")
        with Vertical():
            yield TextArea("", id="profile-editor", soft_wrap=True)
            yield Static("", id="profile-status")

    def on_mount(self) -> None:
        self.query_one(TextArea).cursor_blink = False
        self.refresh_list()

    def refresh_list(self, select: tuple[str, str] | None = None) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        kind = None
        for entry in self.store.entries():
            if entry.kind != kind:
                kind = entry.kind
                options.add_option(Option(f"── {kind} ──", disabled=True))
            mark = "✗" if entry.problem else ("*" if entry.is_default else " ")
            options.add_option(Option(f"{mark} {entry.name}", id=f"{entry.kind}/{entry.name}"))
        target = select or self.selected
        if options.option_count:
            index = 1  # the first profile, under the first kind's heading
            if target is not None:
                try:
                    index = options.get_option_index(f"{target[0]}/{target[1]}")
                except Exception:
                    index = 1
            options.highlighted = index
            self._show(options.get_option_at_index(index).id or "")

    @property
    def dirty(self) -> bool:
        """The editor holds edits to the selected profile that are not in its file."""
        return self.selected is not None and self.query_one(TextArea).text != self.saved_text

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        target = event.option.id or ""
        kind, _, name = target.partition("/")
        if not name or self.selected == (kind, name):
            return
        if self.dirty:
            self._highlight(self.selected)  # the list stays on the edited profile until asked
            self.ask_about_edits(lambda: self._highlight((kind, name)))
            return
        self._show(target)

    def ask_about_edits(self, then: Callable[[], None]) -> None:
        """Ask what to do with the unsaved edits; ``then`` runs once they are saved or dropped."""
        assert self.selected is not None
        kind, name = self.selected

        def chosen(choice: Choice | None) -> None:
            if choice == "save":
                self.save()
                if self.dirty:  # not saved: its problems are on screen, and the edits kept
                    return
            elif choice == "discard":
                self.saved_text = self.query_one(TextArea).text
            else:
                return
            then()

        self.app.push_screen(UnsavedEdits(f"{kind}/{name}"), chosen)

    def _highlight(self, target: tuple[str, str] | None) -> None:
        if target is None:
            return
        options = self.query_one(OptionList)
        try:
            options.highlighted = options.get_option_index(f"{target[0]}/{target[1]}")
        except Exception:  # the profile is gone (renamed on save): stay
            return

    def _show(self, option_id: str) -> None:
        kind, _, name = option_id.partition("/")
        if not name or self.selected == (kind, name):
            return
        self.selected = (kind, name)
        editor = self.query_one(TextArea)
        try:
            text = self.store.read_text(kind, name)
        except JostError as exc:
            text = ""
            self._status(str(exc), valid=False)
        editor.load_text(text)
        self.saved_text = editor.text
        self.validate()

    def _status(self, message: str, valid: bool) -> None:
        status = self.query_one("#profile-status", Static)
        status.update(message)
        status.set_class(valid, "valid")
        status.set_class(not valid, "invalid")

    def validate(self) -> dict | None:
        """Check the editor's text with the engine's models and show the verdict."""
        if self.selected is None:
            return None
        kind, name = self.selected
        source = f"{kind}/{name}.json"  # short enough for the pane; the folder is the store
        try:
            profile = parse_profile_text(self.query_one(TextArea).text, source, kind)
        except ProfileError as exc:
            self._status(f"✗ {exc}", valid=False)
            return None
        self._status(f"✓ valid {kind} profile — ctrl+s saves, ctrl+n duplicates", valid=True)
        return profile

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.validate()

    def save(self) -> None:
        profile = self.validate()
        if profile is None or self.selected is None:
            self.app.notify("not saved: the profile has problems", severity="error")
            return
        same = (profile["kind"], profile["name"]) == self.selected
        try:
            path = self.store.save(profile, overwrite=same)
        except JostError as exc:
            self._status(f"✗ not saved: {exc}", valid=False)
            return
        self.app.notify(f"saved {path.name}")
        self.selected = None
        self.refresh_list(select=(profile["kind"], profile["name"]))

    def duplicate(self) -> None:
        profile = self.validate()
        if profile is None:
            self.app.notify("fix the profile before duplicating it", severity="error")
            return
        taken = set(self.store.names(profile["kind"]))
        base, n = profile["name"][:58], 1
        name = f"{base}_copy"
        while name in taken:
            n += 1
            name = f"{base}_copy{n}"
        copy = {**profile, "name": name}
        self.store.save(copy)
        self.app.notify(f"duplicated as {name}")
        self.selected = None
        self.refresh_list(select=(profile["kind"], name))
