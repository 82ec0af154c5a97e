"""The service this terminal talks to: its URL and API token.

``jost login URL`` stores them in ``<config>/login.json`` with 0600 permissions (the token is a
password). ``JOST_URL`` and ``JOST_TOKEN`` in the environment take precedence over the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from user_terminal.errors import JostError
from user_terminal.home import config_dir, write_atomic

LOGIN_FILE = "login.json"


@dataclass(frozen=True)
class Login:
    url: str
    token: str | None
    username: str | None = None


def login_path() -> Path:
    return config_dir() / LOGIN_FILE


def normalise_url(url: str) -> str:
    """``host:8000`` → ``http://host:8000``; no trailing slash."""
    url = url.strip().rstrip("/")
    if not url:
        raise JostError("the service URL is empty")
    if "://" not in url:
        url = "http://" + url
    if not url.startswith(("http://", "https://")):
        raise JostError(f"the service URL must start with http:// or https://, not {url!r}")
    return url


def _stored() -> dict[str, str]:
    path = login_path()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise JostError(
            f"cannot read the login file {path}: {exc} (run `jost login URL`)"
        ) from None
    if not isinstance(document, dict):
        raise JostError(f"the login file {path} is not a JSON object (run `jost login URL`)")
    return {k: v for k, v in document.items() if isinstance(v, str)}


def current_login() -> Login | None:
    """The configured service, or None when there is none."""
    stored = _stored()
    url = os.environ.get("JOST_URL", "").strip() or stored.get("url")
    if not url:
        return None
    token = os.environ.get("JOST_TOKEN", "").strip() or stored.get("token")
    return Login(normalise_url(url), token or None, stored.get("username"))


def stored_login() -> Login | None:
    """The login kept by ``jost login`` (not the environment's): what ``jost logout`` ends."""
    stored = _stored()
    if not stored.get("url"):
        return None
    return Login(normalise_url(stored["url"]), stored.get("token") or None, stored.get("username"))


def require_login() -> Login:
    """The configured service with a token; says how to get one otherwise."""
    login = current_login()
    if login is None or not login.token:
        raise JostError(
            "no service is configured: run `jost login URL` (or set JOST_URL and JOST_TOKEN)"
        )
    return login


def save_login(url: str, token: str, username: str | None) -> Path:
    path = login_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    document = {"url": normalise_url(url), "token": token}
    if username:
        document["username"] = username
    write_atomic(path, json.dumps(document, indent=2) + "\n", mode=0o600)
    return path


def forget_login() -> bool:
    path = login_path()
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
