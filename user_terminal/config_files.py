"""Reading a saved config file (docs/config.md, "Config") and writing one: every problem names
the file."""

from __future__ import annotations

import json
from pathlib import Path

from jost_engine import Config, ConfigError, parse_config
from user_terminal.errors import JostError, problems_text
from user_terminal.home import write_atomic
from user_terminal.json_files import read_json_file


def config_error_text(error: ConfigError, source: str) -> str:
    """Every problem of a ConfigError, one ``path: message`` per line, naming the config."""
    return problems_text(f"invalid config in {source}", error.problems)


def load_config(path: Path) -> Config:
    """The config in a JSON file; `JostError` names the file and every problem."""
    document = read_json_file(path, "config file")
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
