"""The validation report: the simulator against exact values it must reproduce.

Players trust a simulator whose numbers they can check. Three checks, over a fixed set of rule
sets and fixed seeds, so anyone can reproduce them (`jost validate`):

* the simulated EV of flat-bet basic strategy (a full shoe every round) against the exact
  analyzer's value of the same chart, as a z-score: |z| ≤ 4 passes;
* the analyzer's composition-dependent EV against published exact values (Wizard of Odds,
  Blackjack Appendix 9), to 0.003% of a bet;
* a counted game (count, ramp, index plays, cut card) played by the compiled kernel against
  the plain-Python reference (`jost_engine.reference`), round by round: identical nets pass.

Pure library: it returns data and Markdown; the `jost validate` command draws the plot.
"""

from __future__ import annotations

import copy
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from jost_engine.analysis import basic_chart, game_value
from jost_engine.analysis.hand_values import Policy
from jost_engine.config import Rules, default_config, parse_config
from jost_engine.reference import ReferenceGame
from jost_engine.shards import Shard, run_shard
from jost_engine.simulate import default_workers, run_simulation_from_config
from jost_engine.strategy import decision_tables
from jost_engine.version import ENGINE_VERSION

Z_LIMIT = 4.0  # a statistical check passes within 4 standard errors
PUBLISHED_TOLERANCE = 3e-5  # analyzer vs published exact EV: 0.003% of a bet
SEED = 20261201
QUICK_ROUNDS = 1_000_000
FULL_ROUNDS = 100_000_000
QUICK_REFERENCE_ROUNDS = 2_000
FULL_REFERENCE_ROUNDS = 20_000
PUBLISHED_SOURCE = "Wizard of Odds, Blackjack Appendix 9"

# The rules of Appendix 9's tables: split to 4 hands, no resplit or hit of split aces, no
# surrender; the values are for a full shoe every round (``shuffle: "continuous"``).
APPENDIX_9 = {
    "blackjack_payout": 1.5,
    "double_on": "any_two",
    "double_after_split": True,
    "max_split_hands": 4,
    "resplit_aces": False,
    "hit_split_aces": False,
    "surrender": "none",
    "dealer_peeks": True,
    "dealer_blackjack_takes": "all_bets",
}


@dataclass(frozen=True)
class RuleSet:
    """One game of the validation set; ``published`` is an exact EV from ``PUBLISHED_SOURCE``."""

    name: str
    rules: dict[str, Any]
    published: float | None = None


RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet("6D S17 DAS LS (the default game)", {}),
    RuleSet("1D S17 DAS", {**APPENDIX_9, "decks": 1}, 0.001839),
    RuleSet(
        "1D H17 no DAS",
        {**APPENDIX_9, "decks": 1, "dealer_hits_soft_17": True, "double_after_split": False},
        -0.001513,
    ),
    RuleSet("2D H17 DAS", {**APPENDIX_9, "decks": 2, "dealer_hits_soft_17": True}, -0.003797),
    RuleSet(
        "5D H17 no DAS",
        {**APPENDIX_9, "decks": 5, "dealer_hits_soft_17": True, "double_after_split": False},
        -0.007366,
    ),
    RuleSet(
        "6D H17 DAS, no hole card",
        {**APPENDIX_9, "decks": 6, "dealer_hits_soft_17": True, "dealer_peeks": False},
        -0.0072705,
    ),
    RuleSet(
        "8D H17 no DAS, no hole card",
        {
            **APPENDIX_9,
            "decks": 8,
            "dealer_hits_soft_17": True,
            "double_after_split": False,
            "dealer_peeks": False,
        },
        -0.0089865,
    ),
    RuleSet(
        "6D H17 6:5, no surrender",
        {"decks": 6, "dealer_hits_soft_17": True, "blackjack_payout": 1.2, "surrender": "none"},
    ),
    RuleSet(
        "2D S17 early surrender, RSA, split to 3",
        {"decks": 2, "surrender": "early", "resplit_aces": True, "max_split_hands": 3},
    ),
)

# Counted games for the kernel-vs-reference check (sections merged into the default config).
COUNTED_GAMES: dict[str, dict[str, Any]] = {
    "6D Hi-Lo 1-8 ramp, Illustrious 18 + Fab 4, insurance at +3": {
        "strategy": {"deviations": ["illustrious_18", "fab_4"], "take_insurance_at_true_count": 3},
        "betting": {
            "ramp": [
                {"true_count": 0, "units": 1},
                {"true_count": 2, "units": 4},
                {"true_count": 4, "units": 8},
            ]
        },
    },
    "2D H17 KO ramp, 3 players, wong out": {
        "rules": {"decks": 2, "dealer_hits_soft_17": True},
        "counting": {"system": "ko"},
        "simulation": {"players_at_table": 3},
        "betting": {
            "wong_out_below": -6,
            "ramp": [{"true_count": -1, "units": 1}, {"true_count": 1, "units": 4}],
        },
    },
}


@dataclass
class EvCheck:
    """The simulator against the analyzer for one rule set (and the analyzer against print)."""

    name: str
    rounds: int
    seed: int
    exact: float  # exact EV of the chart the simulator plays
    simulated: float
    se: float
    z: float
    composition: float | None = None  # analyzer's composition-dependent EV (published rows)
    published: float | None = None
    passed: bool = False


@dataclass
class ReferenceCheck:
    """The compiled kernel against the plain-Python reference for one counted game."""

    name: str
    rounds: int
    mismatches: int
    first_mismatch: int | None
    rounds_played: int  # rounds with our bet out (back-counting sits some out)
    net_kernel: float  # units
    net_reference: float
    passed: bool = False


@dataclass
class ValidationReport:
    """Every check, how it was run, and whether all passed."""

    quick: bool
    rounds_per_rule_set: int
    reference_rounds: int
    ev_checks: list[EvCheck] = field(default_factory=list)
    reference_checks: list[ReferenceCheck] = field(default_factory=list)
    seconds: float = 0.0
    workers: int | None = None
    engine_version: str = ENGINE_VERSION

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.ev_checks) and all(
            c.passed for c in self.reference_checks
        )

    @property
    def total_rounds(self) -> int:
        return sum(c.rounds for c in self.ev_checks)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed, "total_rounds": self.total_rounds}

    def to_markdown(self, plot: str | None = "z-scores.png") -> str:
        return render_markdown(self, plot)


def z_score(simulated: float, exact: float, se: float) -> float:
    """Standard errors between a simulated mean and the exact value (inf when SE is 0)."""
    diff = simulated - exact
    if se > 0:
        return diff / se
    return 0.0 if diff == 0 else math.copysign(math.inf, diff)


def within_limit(z: float, limit: float = Z_LIMIT) -> bool:
    """A statistical check passes when the z-score is finite and at most ``limit`` in size."""
    return bool(math.isfinite(z) and abs(z) <= limit)


def published_agrees(published: float | None, computed: float | None) -> bool:
    """An exact value agrees with a published one to ``PUBLISHED_TOLERANCE`` (or none given)."""
    if published is None:
        return True
    return computed is not None and bool(abs(computed - published) <= PUBLISHED_TOLERANCE)


def check_passes(check: EvCheck) -> bool:
    """The pass/fail rule of a row: within 4 SE, and the analyzer agrees with print."""
    return within_limit(check.z) and published_agrees(check.published, check.composition)


def game_config(rule_set: RuleSet, rounds: int, seed: int) -> dict[str, Any]:
    """Flat-bet basic strategy ("auto" chart) on a full shoe every round, as the analyzer."""
    cfg = copy.deepcopy(default_config().model_dump(mode="json"))
    cfg["rules"].update(rule_set.rules)
    cfg["rules"]["shuffle"] = "continuous"
    cfg["simulation"].update(rounds=rounds, seed=seed)
    return cfg


def check_rule_set(
    rule_set: RuleSet, rounds: int, seed: int, workers: int | None = None
) -> EvCheck:
    """Simulate one rule set and compare it with the exact value of the same chart."""
    cfg = game_config(rule_set, rounds, seed)
    rules = Rules(**cfg["rules"])
    chart = basic_chart(rules)  # the chart "auto" plays
    exact = float(game_value(rules, Policy(*decision_tables(chart, rules))).ev)
    composition = float(game_value(rules).ev) if rule_set.published is not None else None
    ev = run_simulation_from_config(cfg, workers=workers).to_dict()["ev_per_initial_bet"]
    check = EvCheck(
        name=rule_set.name,
        rounds=rounds,
        seed=seed,
        exact=exact,
        simulated=float(ev["mean"]),
        se=float(ev["se"]),
        z=z_score(float(ev["mean"]), exact, float(ev["se"])),
        composition=composition,
        published=rule_set.published,
    )
    check.passed = check_passes(check)
    return check


def check_reference(name: str, sections: dict[str, Any], rounds: int, seed: int) -> ReferenceCheck:
    """Play ``rounds`` rounds in the kernel and in the reference; compare every round's net."""
    cfg = copy.deepcopy(default_config().model_dump(mode="json"))
    for section, values in sections.items():
        cfg[section].update(values)
    cfg["simulation"].update(rounds=rounds, seed=seed)
    config = parse_config(cfg)
    tally = run_shard(config, Shard(0, rounds, 1), trace=True)
    assert tally.trace is not None  # asked for with trace=True
    kernel = [int(x) for x in tally.trace]
    game = ReferenceGame(config)
    reference = [game.play_round() for _ in range(rounds)]
    differing = [i for i, (a, b) in enumerate(zip(kernel, reference, strict=True)) if a != b]
    return ReferenceCheck(
        name=name,
        rounds=rounds,
        mismatches=len(differing),
        first_mismatch=differing[0] if differing else None,
        rounds_played=game.rounds_played,
        net_kernel=sum(kernel) / tally.scale,
        net_reference=sum(reference) / tally.scale,
        passed=not differing and len(kernel) == rounds and game.rounds_played > 0,
    )


def run_validation(
    *,
    quick: bool = False,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    rule_sets: tuple[RuleSet, ...] = RULE_SETS,
    counted_games: dict[str, dict[str, Any]] | None = None,
) -> ValidationReport:
    """Run every check; ``quick`` uses fewer rounds (the same rule sets, seeds and checks)."""
    say = progress or (lambda _message: None)
    counted = COUNTED_GAMES if counted_games is None else counted_games
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    ref_rounds = QUICK_REFERENCE_ROUNDS if quick else FULL_REFERENCE_ROUNDS
    report = ValidationReport(quick, rounds, ref_rounds, workers=workers or default_workers())
    start = time.perf_counter()
    for i, rule_set in enumerate(rule_sets):
        say(f"[{i + 1}/{len(rule_sets)}] {rule_set.name}: {rounds:,} rounds")
        report.ev_checks.append(check_rule_set(rule_set, rounds, SEED + i, workers))
    for j, (name, sections) in enumerate(counted.items()):
        say(f"[reference {j + 1}/{len(counted)}] {name}: {ref_rounds:,} rounds")
        report.reference_checks.append(check_reference(name, sections, ref_rounds, SEED + j))
    report.seconds = time.perf_counter() - start
    return report


def _pct(x: float | None, digits: int = 4) -> str:
    return "—" if x is None else f"{100 * x:+.{digits}f}%"


def render_markdown(report: ValidationReport, plot: str | None = "z-scores.png") -> str:
    """The report as a Markdown page: summary, how to reproduce, the tables, the plot."""
    mode = "quick" if report.quick else "full"
    command = "jost validate --quick" if report.quick else "jost validate"
    verdict = "**All checks passed.**" if report.passed else "**Some checks FAILED.**"
    n_pass = sum(c.passed for c in report.ev_checks)
    lines = [
        "# Validation report",
        "",
        f"{verdict} {n_pass} of {len(report.ev_checks)} rule sets within {Z_LIMIT:g} SE of "
        f"the exact value; {sum(c.passed for c in report.reference_checks)} of "
        f"{len(report.reference_checks)} counted games identical to the reference.",
        "",
        f"* Run: {mode}, {report.rounds_per_rule_set:,} rounds per rule set "
        f"({report.total_rounds:,} in all) and {report.reference_rounds:,} rounds per counted "
        f"game, in {report.seconds:,.0f} s on "
        f"{report.workers or 'all'} {'core' if report.workers == 1 else 'cores'} "
        f"(Python {platform.python_version()}, {platform.machine()}).",
        f"* Engine version {report.engine_version}; seeds {SEED} + the row number (from 0).",
        f"* Reproduce: `{command} --out DIR` writes this page (`report.md`), the plot and "
        "`results.json` to DIR. Seeds are fixed and results do not depend on the number of "
        "cores, so the same rounds give the same figures on any machine.",
        "",
        "## The simulator against the exact analyzer",
        "",
        'Flat-bet basic strategy (the chart `strategy.basic: "auto"` generates for the '
        'rules), a full shoe every round (`shuffle: "continuous"`). *Exact EV* is the '
        "analyzer's value of that same chart played exactly; z = (simulated − exact) / SE. "
        f"A row passes when |z| ≤ {Z_LIMIT:g} and, where a published value exists, the "
        "analyzer's composition-dependent EV is within "
        f"{100 * PUBLISHED_TOLERANCE:.3f}% of it.",
        "",
        "| rule set | exact EV | simulated EV ± SE | z | pass/fail |",
        "|---|---:|---:|---:|:---:|",
    ]
    for c in report.ev_checks:
        lines.append(
            f"| {c.name} | {_pct(c.exact)} | {_pct(c.simulated)} ± {100 * c.se:.4f}% | "
            f"{c.z:+.2f} | {'pass' if c.passed else '**FAIL**'} |"
        )
    published = [c for c in report.ev_checks if c.published is not None]
    if published:
        lines += [
            "",
            "## The analyzer against published exact values",
            "",
            f"Published: {PUBLISHED_SOURCE} (composition-dependent play, splits to four "
            "hands, no resplit or hit of split aces, no surrender). The published value plays "
            "each two-card hand best for its exact cards; the simulator plays a "
            "total-dependent chart, so its exact EV above is lower by the *strategy "
            "allowance* shown here.",
            "",
            "| rule set | published EV | analyzer (composition) | difference | "
            "strategy allowance | pass/fail |",
            "|---|---:|---:|---:|---:|:---:|",
        ]
        for c in published:
            assert c.published is not None and c.composition is not None
            ok = published_agrees(c.published, c.composition)
            lines.append(
                f"| {c.name} | {_pct(c.published)} | {_pct(c.composition, 5)} | "
                f"{_pct(c.composition - c.published, 5)} | {_pct(c.composition - c.exact)} | "
                f"{'pass' if ok else '**FAIL**'} |"
            )
    if report.reference_checks:
        lines += [
            "",
            "## The counted game against the plain-Python reference",
            "",
            "`jost_engine/reference.py` plays the same game as the compiled kernel in plain "
            "Python from the same seed; every round's net result (exact integer units) must "
            "be identical.",
            "",
            "| counted game | rounds dealt | played | net units (kernel) | "
            "net units (reference) | differing rounds | pass/fail |",
            "|---|---:|---:|---:|---:|---:|:---:|",
        ]
        for r in report.reference_checks:
            lines.append(
                f"| {r.name} | {r.rounds:,} | {r.rounds_played:,} | {r.net_kernel:+,.1f} | "
                f"{r.net_reference:+,.1f} | {r.mismatches} | {'pass' if r.passed else '**FAIL**'} |"
            )
    if plot:
        lines += ["", "## z-scores", "", f"![z-score of each rule set]({plot})"]
    return "\n".join(lines) + "\n"
