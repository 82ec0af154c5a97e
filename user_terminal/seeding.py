"""First start: fill an empty profile store with the standard set.

From the configured service's ``/api/defaults/`` when there is one (so a team shares one set),
otherwise — or when it cannot be reached — from the engine's bundled defaults, which are the
same set, so the terminal works offline.
"""

from __future__ import annotations

from collections.abc import Callable

from jost_engine.profiles import bundled_profiles, default_profile_names
from user_terminal.credentials import current_login
from user_terminal.errors import JostError
from user_terminal.home import profiles_dir
from user_terminal.profiles_store import ProfileStore
from user_terminal.remote import ServiceClient


def _service_defaults(warn: Callable[[str], None]) -> tuple[dict, dict, str] | None:
    try:
        login = current_login()
    except JostError as exc:
        warn(str(exc))
        return None
    if login is None:
        return None
    try:
        with ServiceClient(login.url, timeout=5) as client:
            document = client.defaults()
    except JostError as exc:
        warn(f"{exc}; starting from the engine's bundled profiles instead")
        return None
    profiles, defaults = document.get("profiles"), document.get("defaults")
    if not isinstance(profiles, dict) or not isinstance(defaults, dict):
        warn(f"{login.url}/api/defaults/ is not a profile set; using the bundled profiles")
        return None
    return profiles, defaults, login.url


def open_store(warn: Callable[[str], None] = lambda _: None) -> ProfileStore:
    """The player's profile store, seeded on first use; ``warn`` hears what went differently."""
    store = ProfileStore(profiles_dir())
    if store.is_seeded():
        return store
    remote = _service_defaults(warn)
    if remote is not None:
        profiles, defaults, source = remote
    else:
        profiles, defaults = bundled_profiles(), default_profile_names()
        source = "the engine's bundled defaults"
    for note in store.seed(profiles, defaults):
        warn(f"left out a default profile: {note}")
    warn(f"first start: your profiles are in {store.root} (from {source})")
    return store
