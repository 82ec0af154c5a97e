"""Shards, exact merging, determinism across cores, progress and cancellation."""

from __future__ import annotations

import random
import threading

import pytest

from jost_engine import (
    ConfigError,
    Shard,
    SimulationCancelled,
    Tally,
    default_config,
    merge_results,
    plan_shards,
    run_shard,
    run_simulation_from_config,
)
from jost_engine.shards import MAX_SHARD_ROUNDS, MIN_SHARD_ROUNDS


def cfg(rounds: int, **rules) -> dict:
    data = default_config().model_dump(mode="json")
    data["simulation"]["rounds"] = rounds
    data["rules"].update(rules)
    return data


def stable(result: dict) -> dict:
    """A result without its timings, which are the only part allowed to differ."""
    return {k: v for k, v in result.items() if k not in ("elapsed_s", "rounds_per_second")}


@pytest.mark.parametrize("rounds", [1, 49_999, 50_000, 1_000_000, 10**9, 10**11])
def test_plan_depends_on_the_config_alone_and_covers_every_round(rounds):
    plan = plan_shards(cfg(rounds))
    assert sum(s.rounds for s in plan) == rounds
    assert [s.index for s in plan] == list(range(len(plan)))
    assert all(s.count == len(plan) for s in plan)
    assert max(s.rounds for s in plan) - min(s.rounds for s in plan) <= 1
    if rounds >= MIN_SHARD_ROUNDS:
        assert all(MIN_SHARD_ROUNDS <= s.rounds <= MAX_SHARD_ROUNDS for s in plan)
    assert plan == plan_shards(cfg(rounds))


def test_same_result_on_one_core_or_two():
    data = cfg(400_000)
    one = run_simulation_from_config(data, workers=1).to_dict()
    two = run_simulation_from_config(data, workers=2).to_dict()
    assert stable(one) == stable(two)
    assert one["rounds"] == 400_000


def test_shards_merge_exactly_in_any_order_and_through_json():
    data = cfg(300_000)
    plan = plan_shards(data)
    assert len(plan) == 6
    parts = [run_shard(data, shard) for shard in plan]
    shuffled = parts[:]
    random.Random(7).shuffle(shuffled)
    revived = [Tally.from_dict(p.to_dict()) for p in shuffled]  # as a worker would send them
    direct = merge_results(parts, data).to_dict()
    assert stable(merge_results(revived, data).to_dict()) == stable(direct)
    assert stable(run_simulation_from_config(data, workers=1).to_dict()) == stable(direct)
    # the merge is a sum of integers: the parts add up to the whole
    assert sum(p.counters["net"] for p in parts) == merge_results(parts).tally.counters["net"]


def test_merging_tallies_of_different_games_is_refused():
    six_five = cfg(1000, blackjack_payout=1.2)
    a = run_shard(cfg(1000), Shard(0, 1000, 1))
    b = run_shard(six_five, Shard(0, 1000, 1))
    with pytest.raises(ValueError, match="different games"):
        merge_results([a, b])


def test_different_seeds_differ_and_the_same_seed_repeats():
    a = run_simulation_from_config(cfg(100_000), workers=1).to_dict()
    b = run_simulation_from_config(cfg(100_000), workers=1).to_dict()
    data = cfg(100_000)
    data["simulation"]["seed"] = 1
    c = run_simulation_from_config(data, workers=1).to_dict()
    assert stable(a) == stable(b)
    assert a["net"] != c["net"]


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_reported_at_least_every_percent(workers):
    seen: list[tuple[int, int]] = []
    run_simulation_from_config(
        cfg(1_000_000), workers=workers, progress=lambda d, t: seen.append((d, t))
    )
    done = [d for d, _ in seen]
    assert all(t == 1_000_000 for _, t in seen)
    assert done == sorted(done)
    assert done[-1] == 1_000_000
    steps = [b - a for a, b in zip([0, *done], done, strict=False)]
    # at most ~1% of the work between reports (each worker reports every 0.5%)
    assert max(steps) <= 10_000 * workers


@pytest.mark.parametrize("workers", [1, 2])
def test_a_running_simulation_stops_between_chunks(workers):
    stop = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 200_000:
            stop.set()

    with pytest.raises(SimulationCancelled):
        run_simulation_from_config(cfg(20_000_000), workers=workers, progress=progress, cancel=stop)
    assert seen[-1] < 2_000_000  # stopped long before the end


def test_cancel_may_be_any_callable():
    with pytest.raises(SimulationCancelled):
        run_simulation_from_config(cfg(200_000), workers=1, cancel=lambda: True)


def test_valid_settings_the_simulator_cannot_play_are_refused_before_running():
    data = cfg(1000)
    data["rules"]["infinite_deck"] = True  # a valid config (for analysis), not for the simulator
    with pytest.raises(ConfigError) as err:
        run_simulation_from_config(data)
    assert [p["path"] for p in err.value.problems] == ["rules.infinite_deck"]


def test_invalid_config_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        run_simulation_from_config({"rules": {"decks": 0}})
    assert err.value.problems[0]["path"] == "rules.decks"
