"""The simulation config: pydantic models, validation, JSON Schema and digest.

A package of four small modules: `vocabulary` (its words), `models`, `errors` (`ConfigError`)
with `wording` (messages for a player), and `parsing` (`parse_config`, schema, digest).

One JSON document (``docs/config.md``, version 1) travels between the terminal, the
service and the engine; these models are its single source of truth. Every field has the
default of the contract's example, so ``parse_config({})`` is the example game and a partial
document is hydrated field by field. Every invalid document raises :class:`ConfigError`,
which lists *all* problems at once as ``{"path": "rules.decks", "message": "..."}`` with
messages written for a blackjack player.
"""

from jost_engine.config.errors import ConfigError
from jost_engine.config.models import (
    Bankroll,
    Betting,
    Chart,
    Config,
    Counting,
    CustomTags,
    Deviation,
    RampStep,
    Rules,
    Simulation,
    Strategy,
    TrueCountMethod,
)
from jost_engine.config.parsing import (
    canonical_json,
    config_digest,
    config_json_schema,
    default_config,
    parse_config,
)
from jost_engine.config.vocabulary import NAMED_DEVIATION_SETS, NAMED_SYSTEMS, SCHEMA_VERSION

__all__ = [
    "NAMED_DEVIATION_SETS",
    "NAMED_SYSTEMS",
    "SCHEMA_VERSION",
    "Bankroll",
    "Betting",
    "Chart",
    "Config",
    "ConfigError",
    "Counting",
    "CustomTags",
    "Deviation",
    "RampStep",
    "Rules",
    "Simulation",
    "Strategy",
    "TrueCountMethod",
    "canonical_json",
    "config_digest",
    "config_json_schema",
    "default_config",
    "parse_config",
]
