"""Reading a saved config file (CONFIG.md) and writing one: every problem names the file."""

from __future__ import annotations

import json
from pathlib import Path

from jost_engine import Config, ConfigError, parse_config
from user_terminal.errors import JostError, problems_text
from user_terminal.home import write_atomic


def config_error_text(error: ConfigError, source: str) -> str:
    """Every problem of a ConfigError, one ``path: message`` per line, naming the config."""
    return problems_text(f"invalid config in {source}", error.problems)


def load_config(path: Path) -> Config:
    """The config in a JSON file; `JostError` names the file and every problem."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise JostError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise JostError(f"cannot read config file {path}: it is a directory") from None
    except OSError as exc:
        raise JostError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise JostError(f"{path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise JostError(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise JostError(f"{path} is not usable JSON: {exc}") from None
    try:
        return parse_config(document)
    except ConfigError as exc:
        raise JostError(config_error_text(exc, str(path))) from None


def apply_overrides(
    config: Config, source: str, rounds: int | None = None, seed: int | None = None
) -> Config:
    """The config with command-line overrides of ``simulation``."""
    try:
        return config.with_overrides(rounds=rounds, seed=seed)
    except ConfigError as exc:
        raise JostError(config_error_text(exc, f"{source} with the command-line options")) from None


def save_config(config: Config, path: Path) -> Path:
    """The fully-hydrated config as a file `jost run FILE` runs again."""
    text = json.dumps(config.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise JostError(f"cannot write the config to {path}: {exc.strerror or exc}") from None
    return path
