"""`jost tui` driven by Textual's Pilot at 80×24: keys in, the screen's text asserted, and SVG
snapshots of the profiles and run panes (pytest-textual-snapshot)."""

from __future__ import annotations

import asyncio
import functools
import html
import json
import re
import uuid
from pathlib import Path

import pytest

from tests.terminal.fake_service import URL, FakeService, install
from user_terminal import game_run, history, history_table
from user_terminal.profiles_store import ProfileStore
from user_terminal.remote import ServiceClient
from user_terminal.tui.app import JostApp
from user_terminal.tui.history_pane import HistoryPane
from user_terminal.tui.profiles_pane import ProfilesPane
from user_terminal.tui.unsaved_dialog import UnsavedEdits

SIZE = (80, 24)

# A small fixed set, so the snapshots do not change when the engine's bundled set grows.
PROFILES = [
    {"kind": "rules", "name": "six_deck_s17", "description": "6 decks, S17", "data": {"decks": 6}},
    {
        "kind": "rules",
        "name": "two_deck_h17",
        "description": "2 decks, H17",
        "data": {"decks": 2, "dealer_hits_soft_17": True},
    },
    {"kind": "strategy", "name": "basic", "description": "basic strategy", "data": {}},
    {"kind": "counting", "name": "hi_lo", "description": "Hi-Lo", "data": {}},
    {"kind": "betting", "name": "flat", "description": "flat bet", "data": {}},
    {"kind": "bankroll", "name": "none", "description": "no ruin", "data": {}},
]


@pytest.fixture
def store(jost_home: Path) -> ProfileStore:
    store = ProfileStore(jost_home / "profiles")
    grouped: dict[str, list] = {}
    for profile in PROFILES:
        grouped.setdefault(profile["kind"], []).append(profile)
    store.seed(grouped, {"rules": "six_deck_s17"})
    return store


def screen_text(app: JostApp) -> str:
    """The screen as lines of text, read back from Textual's SVG screenshot."""
    svg = app.export_screenshot()
    lines: dict[int, list[tuple[float, str]]] = {}
    pattern = r'<text[^>]*x="([\d.]+)"[^>]*clip-path="url\(#[^)]*-line-(\d+)\)"[^>]*>(.*?)</text>'
    for match in re.finditer(pattern, svg):
        text = html.unescape(match.group(3)).replace("\xa0", " ")
        lines.setdefault(int(match.group(2)), []).append((float(match.group(1)), text))
    return "\n".join("".join(t for _, t in sorted(lines[n])) for n in sorted(lines))


def pilot_test(test):
    """Run an async Pilot test on its own event loop (no asyncio plugin needed)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return run


async def wait_until(pilot, condition, tries: int = 300) -> None:
    for _ in range(tries):
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError(f"never happened; the screen:\n{screen_text(pilot.app)}")


# --------------------------------------------------------------------------------------------
# Snapshots
# --------------------------------------------------------------------------------------------


def test_profiles_pane_snapshot(snap_compare, store):
    assert snap_compare(JostApp(store=store), terminal_size=SIZE)


def test_run_pane_snapshot(snap_compare, store):
    assert snap_compare(JostApp(store=store), terminal_size=SIZE, press=["f2"])


# --------------------------------------------------------------------------------------------
# Driving it
# --------------------------------------------------------------------------------------------


@pilot_test
async def test_the_key_legend_and_the_profiles_are_on_screen(store):
    app = JostApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        for key in ("f1 Profiles", "f2 Run", "f3 Results", "f4 History", "^s Save", "^r Start"):
            assert key in text, key
        assert "* six_deck_s17" in text and "two_deck_h17" in text and "── betting ──" in text
        assert '"decks": 6' in text and "✓ valid rules profile" in text


@pilot_test
async def test_editing_validates_as_you_type_and_saves_only_a_valid_profile(store):
    path = store.path("rules", "six_deck_s17")
    before = path.read_text()
    app = JostApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        editor = app.query_one("#profile-editor")
        bad = json.loads(before)
        bad["data"]["decks"] = 9
        editor.load_text(json.dumps(bad, indent=1))
        await pilot.pause()
        status = str(app.query_one("#profile-status").render())
        assert "rules/six_deck_s17.json" in status and "data.decks: decks must be between" in status
        assert "data.decks" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert path.read_text() == before
        good = {**bad, "data": {"decks": 4}}
        editor.load_text(json.dumps(good, indent=1))
        await pilot.pause()
        assert "✓ valid" in screen_text(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: json.loads(path.read_text())["data"] == {"decks": 4})


@pilot_test
async def test_duplicate_makes_a_new_profile_file(store):
    app = JostApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: store.path("rules", "six_deck_s17_copy").exists())
        copy = json.loads(store.path("rules", "six_deck_s17_copy").read_text())
        assert copy["data"] == {"decks": 6}
        assert "six_deck_s17_copy" in screen_text(app)


@pilot_test
async def test_a_corrupt_profile_file_is_named_on_screen(store):
    path = store.path("rules", "six_deck_s17")
    path.write_text('{"kind": "rules", "name": "six_deck_s17", "data": {', encoding="utf-8")
    app = JostApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = app.query_one(ProfilesPane)
        assert pane.selected == ("rules", "six_deck_s17")
        text = screen_text(app)
        assert "✗ six_deck_s17" in text
        status = str(app.query_one("#profile-status").render())
        assert "rules/six_deck_s17.json is not valid JSON" in status
        assert "rules/six_deck_s17.json" in text
        await pilot.press("ctrl+r")  # the run pane says which file stops the run
        await pilot.pause()
        status = str(app.query_one("#run-status").render())
        assert str(path) in status and "not valid JSON" in status


@pilot_test
async def test_a_local_run_shows_its_result_and_is_kept_in_history(store, jost_home):
    app = JostApp(store=store, workers=1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        app.query_one("#run-rounds").value = "20000"
        app.query_one("#run-seed").value = "9"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.query_one("TabbedContent").active == "results")
        await pilot.pause()
        text = screen_text(app)
        assert "House edge" in text and "20,000" in text and "By true count" in text
        chart = str(app.query_one("#results-chart").render())
        assert "EV per round by true count" in chart
        kept = list((jost_home / "history").glob("*.json"))
        assert len(kept) == 1
        record = json.loads(kept[0].read_text())
        simulation = record["config"]["simulation"]
        assert (simulation["rounds"], simulation["seed"]) == (20000, 9)
        assert record["config"]["rules"]["decks"] == 6
        assert f"Game: {record['config']['name']}" in text  # the game's own name
        assert record["config"]["name"].startswith("six_deck_s17 · basic")  # the profiles run
        await pilot.press("f4")
        await pilot.pause()
        text = screen_text(app)
        (run,) = history.runs()
        table = app.query_one(HistoryPane)  # jost history list's columns and wording
        assert [str(c.label) for c in table.columns.values()] == list(history_table.COLUMNS)
        assert table.get_row_at(0) == list(history_table.listed(run))
        assert "EV/bet" in text and "20,000" in text and "six_deck_s17 · basic" in text


async def edit_and_move_down(app, pilot, description: str) -> None:
    """Change the selected profile's description in the editor, then go to the next profile."""
    editor = app.query_one("#profile-editor")
    record = json.loads(editor.text)
    editor.load_text(json.dumps({**record, "description": description}, indent=1))
    await pilot.pause()
    await move_down(app, pilot)


async def move_down(app, pilot) -> None:
    """Go to the next profile in the list, from wherever the focus is."""
    app.screen.set_focus(app.query_one("#profile-list"))
    await pilot.press("down")
    await pilot.pause()


@pilot_test
async def test_moving_to_another_profile_with_unsaved_edits_asks_first(store):
    path = store.path("rules", "six_deck_s17")
    before = path.read_text()
    app = still_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = app.query_one(ProfilesPane)
        await edit_and_move_down(app, pilot, "edited once")
        assert isinstance(app.screen, UnsavedEdits)
        assert "rules/six_deck_s17 has unsaved edits" in screen_text(app)
        await pilot.press("escape")  # stay: the edits and the selection are kept
        await pilot.pause()
        assert pane.selected == ("rules", "six_deck_s17") and pane.dirty
        assert "edited once" in app.query_one("#profile-editor").text
        await move_down(app, pilot)
        await pilot.press("d")  # discard: the file is as it was, and the next profile shows
        await wait_until(pilot, lambda: pane.selected == ("rules", "two_deck_h17"))
        assert path.read_text() == before and '"decks": 2' in app.query_one("#profile-editor").text
        other = store.path("rules", "two_deck_h17")
        await edit_and_move_down(app, pilot, "edited and saved")
        await pilot.press("s")  # save, then move on
        await wait_until(pilot, lambda: pane.selected == ("strategy", "basic"))
        assert json.loads(other.read_text())["description"] == "edited and saved"
        assert not pane.dirty


@pilot_test
async def test_an_invalid_edit_is_neither_saved_nor_left_when_save_is_chosen(store):
    path = store.path("rules", "six_deck_s17")
    before = path.read_text()
    app = still_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = app.query_one(ProfilesPane)
        app.query_one("#profile-editor").load_text('{"kind": "rules", "name": "six_deck_s17"')
        await pilot.pause()
        await move_down(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        assert pane.selected == ("rules", "six_deck_s17") and pane.dirty
        assert path.read_text() == before


@pilot_test
async def test_quitting_with_unsaved_edits_asks_first(store):
    app = still_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        editor = app.query_one("#profile-editor")
        editor.load_text(editor.text.replace('"decks": 6', '"decks": 4'))
        await pilot.press("f2")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedEdits) and app.is_running
        assert app.query_one("TabbedContent").active == "profiles"
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
    assert app.return_code == 0
    assert json.loads(store.path("rules", "six_deck_s17").read_text())["data"] == {"decks": 6}


async def start_a_remote_run(pilot, rounds: str | None = None) -> None:
    """On the run pane: ``rounds`` (or the pane's), on the service, ctrl+r."""
    await pilot.press("f2")
    if rounds is not None:
        pilot.app.query_one("#run-rounds").value = rounds
    pilot.app.query_one("#run-where").value = "remote"
    await pilot.press("ctrl+r")


@pilot_test
async def test_a_remote_run_from_the_tui(store, jost_home, service, monkeypatch):
    monkeypatch.setenv("JOST_URL", service.base_url)
    monkeypatch.setenv("JOST_TOKEN", service.tokens["alice"])
    keys: list[str | None] = []

    class KeyedClient(ServiceClient):
        def submit(self, config, idempotency_key=None):
            keys.append(idempotency_key)
            return super().submit(config, idempotency_key)

    monkeypatch.setattr(game_run, "ServiceClient", KeyedClient)
    app = JostApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await start_a_remote_run(pilot, "30000")
        await wait_until(pilot, lambda: app.query_one("TabbedContent").active == "results")
        assert "30,000" in screen_text(app)
    [record] = [json.loads(p.read_text()) for p in (jost_home / "history").glob("*.json")]
    assert record["where"] == service.base_url and record["job_id"]
    [key] = keys  # one submission, which a retry could not make twice
    assert uuid.UUID(key)


@pilot_test
async def test_a_remote_tui_run_sends_an_idempotency_key(store, jost_home, monkeypatch):
    fake = FakeService()
    install(monkeypatch, fake)
    app = still_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await start_a_remote_run(pilot, "3000")
        await wait_until(pilot, lambda: app.query_one("TabbedContent").active == "results")
        assert "3,000" in screen_text(app)
    [submit] = fake.submits()
    key = submit.headers["Idempotency-Key"]
    assert uuid.UUID(key)
    [record] = [json.loads(p.read_text()) for p in (jost_home / "history").glob("*.json")]
    assert (record["where"], record["job_id"]) == (URL, fake.jobs[key])


@pilot_test
async def test_esc_cancels_the_remote_job_of_a_tui_run(store, jost_home, monkeypatch):
    fake = FakeService(polls=None)  # runs until it is cancelled
    install(monkeypatch, fake)
    app = still_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await start_a_remote_run(pilot)
        await wait_until(pilot, lambda: any("/status/" in r.url.path for r in fake.requests))
        await pilot.press("escape")
        status = app.query_one("#run-status")
        await wait_until(pilot, lambda: "cancelled job" in str(status.render()))
        [job] = fake.jobs.values()
        assert fake.cancelled == [job]
        assert str(status.render()) == f"✗ cancelled job {job} on the service"
    assert not list((jost_home / "history").glob("*.json"))


# --------------------------------------------------------------------------------------------
# Every key from everywhere
# --------------------------------------------------------------------------------------------

PANES = {"f1": "profiles", "f2": "run", "f3": "results", "f4": "history"}


def still_app(store: ProfileStore, **kwargs) -> JostApp:
    """The app without animations (a tab switch waits 0.3 s for the tab underline's)."""
    app = JostApp(store=store, **kwargs)
    app.animation_level = "none"
    return app


def focusable_in(app: JostApp, pane: str) -> list:
    """The widgets of a pane that can hold the focus, and the tabs above it."""
    contents = app.query_one("TabbedContent")
    inside = [w for w in contents.get_pane(pane).query("*") if w.focusable and w.display]
    return [app.query_one("Tabs"), *inside]


@pilot_test
async def test_f1_to_f4_work_from_every_focusable_widget_of_every_pane(store):
    app = still_app(store, workers=1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        contents = app.query_one("TabbedContent")
        tried = 0
        for home_key, home in PANES.items():
            await pilot.press(home_key)
            await pilot.pause()
            for index in range(len(focusable_in(app, home))):
                for key, target in PANES.items():
                    await pilot.press(home_key)
                    widget = focusable_in(app, home)[index]
                    app.screen.set_focus(widget)
                    assert app.focused is widget
                    await pilot.press(key)
                    assert contents.active == target, (
                        f"{key} from {widget!r} on {home} left the screen on {contents.active}"
                    )
                    tried += 1
        assert tried >= 4 * 4 * 3  # every pane has the tabs and at least two widgets


@pilot_test
async def test_f_keys_work_while_a_picker_is_open(store):
    app = still_app(store, workers=1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        app.screen.set_focus(app.query_one("#pick-rules"))
        await pilot.press("enter")  # the picker's list is open
        await pilot.pause()
        assert app.query_one("#pick-rules").expanded
        await pilot.press("f3")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "results"
        await pilot.press("f2")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "run"


@pilot_test
async def test_ctrl_r_starts_a_run_from_every_focusable_widget_of_every_pane(store, jost_home):
    app = still_app(store, workers=1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        app.query_one("#run-rounds").value = "2000"
        contents = app.query_one("TabbedContent")
        runs = 0
        for home_key, home in PANES.items():
            await pilot.press(home_key)
            await pilot.pause()
            for index in range(len(focusable_in(app, home))):
                await pilot.press(home_key)
                await pilot.pause()
                app.screen.set_focus(focusable_in(app, home)[index])
                await pilot.pause()
                await pilot.press("ctrl+r")
                runs += 1
                await wait_until(
                    pilot,
                    lambda n=runs: (
                        len(list((jost_home / "history").glob("*.json"))) == n
                        and contents.active == "results"
                    ),
                )
        assert runs >= 12


@pilot_test
async def test_ctrl_s_and_ctrl_n_work_from_every_widget_of_the_profiles_pane(store):
    app = still_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        path = store.path("rules", "six_deck_s17")
        for widget in focusable_in(app, "profiles"):
            record = json.loads(path.read_text())
            record["description"] = f"saved from {widget.__class__.__name__}"
            app.query_one("#profile-editor").load_text(json.dumps(record, indent=1))
            await pilot.pause()
            app.screen.set_focus(widget)
            await pilot.pause()
            await pilot.press("ctrl+s")
            await wait_until(
                pilot,
                lambda w=widget: (
                    json.loads(path.read_text())["description"]
                    == f"saved from {w.__class__.__name__}"
                ),
            )
        before = len(store.names("rules"))
        widgets = focusable_in(app, "profiles")
        for n, widget in enumerate(widgets, start=1):
            app.screen.set_focus(widget)
            await pilot.pause()
            await pilot.press("ctrl+n")
            await wait_until(pilot, lambda n=n: len(store.names("rules")) == before + n)


@pilot_test
async def test_a_million_rounds_on_two_workers_from_the_rounds_field_opens_the_result(
    store, jost_home
):
    """The default run, started with the focus in the Rounds field: the run's own workers start
    inside the app (whose stderr is not a real file), and the result opens by itself."""
    app = JostApp(store=store, workers=2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        while app.focused is not app.query_one("#run-rounds"):
            await pilot.press("tab")
        assert app.query_one("#run-rounds").value == "1000000"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.query_one("TabbedContent").active == "results", 1200)
        await pilot.pause()
        text = screen_text(app)
        assert "House edge" in text and "1,000,000" in text, text
        status = str(app.query_one("#run-status").render())
        assert status == "done", status
