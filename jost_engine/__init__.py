"""JOST engine: a validated config in, blackjack statistics out.

The public API: `run_simulation_from_config` and the pieces it is built from (`plan_shards`,
`run_shard`, `merge_results`), the config models (`Config`, `parse_config`, `ConfigError`,
`config_json_schema`), `Result`, the exact analyzer `analyze` (`jost_engine.analysis`), and
studies: many games at once (`parse_study`, `run_study`, `summarize_point`, `point_cache_key`).
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
from jost_engine.result_cache import DiskResultCache, ResultCache, point_cache_key
from jost_engine.shards import (
    Shard,
    SimulationCancelled,
    merge_results,
    plan_shards,
    run_shard,
    run_shards,
)
from jost_engine.simulate import run_simulation_from_config
from jost_engine.study import Study, StudyPoint, parse_study, study_json_schema
from jost_engine.study_run import PointResult, StudyResult, run_study
from jost_engine.study_summary import summarize_point
from jost_engine.version import ENGINE_VERSION

__all__ = [
    "ENGINE_VERSION",
    "Analysis",
    "Config",
    "ConfigError",
    "DiskResultCache",
    "PointResult",
    "Result",
    "ResultCache",
    "Shard",
    "SimulationCancelled",
    "Study",
    "StudyPoint",
    "StudyResult",
    "Tally",
    "analyze",
    "config_digest",
    "config_json_schema",
    "default_config",
    "merge_results",
    "parse_config",
    "parse_study",
    "plan_shards",
    "point_cache_key",
    "run_shard",
    "run_shards",
    "run_simulation_from_config",
    "run_study",
    "study_json_schema",
    "summarize_point",
]
