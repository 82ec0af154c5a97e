"""`jost profiles …`: the player's profiles on disk — list, show, new, edit, copy, delete,
import, export, validate, default. Every save is validated by the engine's models."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from jost_engine.profiles import PROFILE_KINDS
from user_terminal.errors import JostError, fail, reported
from user_terminal.home import write_atomic
from user_terminal.profiles_store import (
    ProfileError,
    ProfileExists,
    ProfileStore,
    dump_profile,
    parse_profile_text,
)
from user_terminal.prompts import ask, interactive, may_overwrite
from user_terminal.seeding import open_store

app = typer.Typer(
    name="profiles",
    help="Your rules, strategy, counting, betting and bankroll profiles (JSON files).",
    no_args_is_help=True,
    rich_markup_mode=None,  # help texts show [default: ...] literally
)

Kind = Annotated[str, typer.Argument(help=f"One of: {', '.join(PROFILE_KINDS)}.")]
Name = Annotated[str, typer.Argument(help="The profile's name (its file name without .json).")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing profile or file.")]


def _warn(message: str) -> None:
    typer.echo(f"jost: {message}", err=True)


def store() -> ProfileStore:
    return open_store(_warn)


def _save(store: ProfileStore, profile: dict, force: bool) -> Path:
    """Save; an existing profile is replaced only with --force or the player's yes."""
    try:
        return store.save(profile, overwrite=False)
    except ProfileExists as exc:
        if not may_overwrite(f"{profile['kind']} profile {profile['name']!r}", force):
            raise ProfileError(f"{exc} (nothing changed; --force replaces it)") from None
    return store.save(profile, overwrite=True)


@app.command("list")
def list_profiles(
    kind: Annotated[str | None, typer.Argument(help="Only this kind.")] = None,
) -> None:
    """List profiles; * marks each kind's default, ✗ a file that cannot be used."""
    with reported():
        profiles = store()
        table = Table(
            box=box.SIMPLE_HEAD, title=f"Profiles in {profiles.root}", title_justify="left"
        )
        for column in ("Kind", "Name", "", "Description"):
            table.add_column(column)
        broken = []
        for entry in profiles.entries(kind):
            if entry.problem:
                broken.append(entry)
                table.add_row(entry.kind, entry.name, "✗", "cannot be used (see below)")
            else:
                table.add_row(
                    entry.kind, entry.name, "*" if entry.is_default else "", entry.description
                )
        Console(width=max(100, Console().width)).print(table)
        for entry in broken:
            typer.echo(f"jost: {entry.problem}", err=True)
        if broken:
            raise typer.Exit(2)


@app.command()
def show(kind: Kind, name: Name) -> None:
    """Print a profile as JSON."""
    with reported():
        typer.echo(dump_profile(store().load(kind, name)), nl=False)


@app.command()
def new(
    kind: Kind,
    name: Name,
    base: Annotated[
        str | None, typer.Option("--from", help="Start from this profile [default: the default].")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    edit: Annotated[
        bool | None,
        typer.Option("--edit/--no-edit", help="Open $EDITOR [default: when in a terminal]."),
    ] = None,
) -> None:
    """Make a profile from another one (the kind's default unless --from), then edit it."""
    with reported():
        profiles = store()
        start = profiles.load(kind, base or profiles.default_name(kind))
        profile = {
            "kind": kind,
            "name": name,
            "description": description if description is not None else f"from {start['name']}",
            "data": start["data"],
        }
        if profiles.path(kind, name).exists():
            raise ProfileError(f"{kind} profile {name!r} exists: {profiles.path(kind, name)}")
        path = profiles.save(profile)
        typer.echo(f"created {path}", err=True)
        if interactive() if edit is None else edit:
            _edit(profiles, kind, name)


def editor_command() -> list[str]:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(editor)


def _edit(profiles: ProfileStore, kind: str, name: str) -> Path:
    """Edit a copy in $EDITOR until it is valid (or the player gives up); then replace the file."""
    path = profiles.path(kind, name)
    text = profiles.read_text(kind, name)
    fd, temp_name = tempfile.mkstemp(prefix=f"{kind}-{name}-", suffix=".json")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        while True:
            command = [*editor_command(), str(temp)]
            try:
                code = subprocess.call(command)
            except OSError as exc:
                raise JostError(
                    f"cannot start the editor {command[0]!r}: {exc.strerror or exc}"
                ) from None
            if code != 0:
                raise JostError(f"the editor exited with code {code}; {path} is unchanged")
            edited = temp.read_text(encoding="utf-8")
            try:
                profile = parse_profile_text(edited, f"your edit of {path}", kind)
                if profile["name"] != name:
                    raise ProfileError(
                        f"your edit of {path} renames it to {profile['name']!r}: keep the name "
                        f"{name!r} (`jost profiles copy` makes a new one)"
                    )
            except ProfileError as exc:
                if interactive() and ask(f"{exc}\nEdit again?", default=True):
                    continue
                raise ProfileError(f"{exc}\n{path} is unchanged") from None
            if edited == text:
                typer.echo(f"no change to {path}", err=True)
                return path
            profiles.save(profile, overwrite=True)
            typer.echo(f"saved {path}", err=True)
            return path
    finally:
        temp.unlink(missing_ok=True)


@app.command()
def edit(kind: Kind, name: Name) -> None:
    """Edit a profile in $EDITOR; it is saved only when valid."""
    with reported():
        _edit(store(), kind, name)


@app.command()
def copy(kind: Kind, source: Name, target: Name, force: Force = False) -> None:
    """Copy a profile under a new name."""
    with reported():
        profiles = store()
        profile = profiles.load(kind, source)
        profile["name"] = target
        typer.echo(f"created {_save(profiles, profile, force)}", err=True)


@app.command()
def delete(
    kind: Kind,
    name: Name,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a profile (not a kind's default)."""
    with reported():
        profiles = store()
        if not profiles.path(kind, name).exists():
            raise ProfileError(f"no {kind} profile named {name!r}")
        if not yes and not (interactive() and ask(f"Delete {kind} profile {name!r}?")):
            fail(f"not deleted: {kind} profile {name!r} (--yes deletes without asking)")
        typer.echo(f"deleted {profiles.delete(kind, name)}", err=True)


@app.command("import")
def import_profile(
    file: Annotated[Path, typer.Argument(help="A profile JSON file.")],
    name: Annotated[str | None, typer.Option("--name", help="Save under this name.")] = None,
    force: Force = False,
) -> None:
    """Add a profile from a file (validated first)."""
    with reported():
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise JostError(f"profile file not found: {file}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise JostError(f"cannot read profile file {file}: {exc}") from None
        profile = parse_profile_text(text, str(file))
        if name:
            profile["name"] = name
        typer.echo(f"imported {_save(store(), profile, force)}", err=True)


@app.command()
def export(
    kind: Kind,
    name: Name,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here, not stdout.")] = None,
    force: Force = False,
) -> None:
    """Write a profile to a file (or stdout) to share it."""
    with reported():
        text = dump_profile(store().load(kind, name))
        if out is None:
            typer.echo(text, nl=False)
            return
        if out.exists() and not may_overwrite(str(out), force):
            raise JostError(f"{out} exists (nothing written; --force replaces it)")
        write_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)


@app.command()
def validate(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Files, KIND or KIND/NAME [default: every profile you have]."),
    ] = None,
) -> None:
    """Check profiles with the engine's models; each problem with its path."""
    with reported():
        profiles = store()
        bad = 0
        checked = 0
        for target in targets or list(PROFILE_KINDS):
            as_file = Path(target)
            if as_file.is_file() or target.endswith(".json"):
                try:
                    text = as_file.read_text(encoding="utf-8-sig")
                    parse_profile_text(text, str(as_file))
                    typer.echo(f"ok  {as_file}")
                except (OSError, UnicodeDecodeError) as exc:
                    bad += 1
                    typer.echo(f"jost: cannot read {as_file}: {exc}", err=True)
                except ProfileError as exc:
                    bad += 1
                    typer.echo(f"jost: {exc}", err=True)
                checked += 1
                continue
            kind, _, name = target.partition("/")
            entries = [e for e in profiles.entries(kind) if not name or e.name == name]
            if name and not entries:
                raise ProfileError(f"no {kind} profile named {name!r}")
            for entry in entries:
                checked += 1
                if entry.problem:
                    bad += 1
                    typer.echo(f"jost: {entry.problem}", err=True)
                else:
                    typer.echo(f"ok  {entry.path}")
        typer.echo(f"{checked - bad} of {checked} profiles valid", err=True)
        if bad:
            raise typer.Exit(2)


@app.command()
def default(
    kind: Kind,
    name: Annotated[str | None, typer.Argument(help="Make this the default.")] = None,
) -> None:
    """Show or set a kind's default profile (used when `jost run` has no --KIND)."""
    with reported():
        profiles = store()
        if name is None:
            typer.echo(profiles.default_name(kind))
            return
        profiles.load(kind, name)
        profiles.set_default(kind, name)
        typer.echo(f"the default {kind} profile is now {name}", err=True)
