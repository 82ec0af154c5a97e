"""JOST engine: a validated config in, blackjack statistics out.

The public API: `run_simulation_from_config` and the pieces it is built from (`plan_shards`,
`run_shard`, `merge_results`), the config models (`Config`, `parse_config`, `ConfigError`,
`config_json_schema`), `Result`, and the exact analyzer `analyze` (`jost_engine.analysis`).
"""

from jost_engine.analysis import Analysis, analyze
from jost_engine.config import (
    Config,
    ConfigError,
    config_digest,
    config_json_schema,
    default_config,
    parse_config,
)
from jost_engine.result import Result, Tally
from jost_engine.shards import Shard, SimulationCancelled, merge_results, plan_shards, run_shard
from jost_engine.simulate import run_simulation_from_config
from jost_engine.version import ENGINE_VERSION

__all__ = [
    "ENGINE_VERSION",
    "Analysis",
    "Config",
    "ConfigError",
    "Result",
    "Shard",
    "SimulationCancelled",
    "Tally",
    "analyze",
    "config_digest",
    "config_json_schema",
    "default_config",
    "merge_results",
    "parse_config",
    "plan_shards",
    "run_shard",
    "run_simulation_from_config",
]
