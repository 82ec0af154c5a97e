"""The validation report's rules: what passes, what fails, and what the page says."""

from __future__ import annotations

import math

import pytest

from jost_engine.validation import (
    COUNTED_GAMES,
    RULE_SETS,
    EvCheck,
    ReferenceCheck,
    ValidationReport,
    check_passes,
    check_reference,
    published_agrees,
    render_markdown,
    within_limit,
    z_score,
)


def ev_check(z: float, published: float | None = None, composition: float | None = None):
    check = EvCheck(name="crafted", rounds=1000, seed=1, exact=-0.005, simulated=-0.005 + z * 1e-3,
                    se=1e-3, z=z, published=published, composition=composition)  # fmt: skip
    check.passed = check_passes(check)
    return check


@pytest.mark.parametrize(
    ("z", "ok"), [(0.0, True), (3.99, True), (-4.0, True), (4.01, False), (-7.5, False)]
)
def test_a_z_beyond_4_fails(z, ok):
    assert within_limit(z) is ok
    assert ev_check(z).passed is ok


def test_no_spread_or_no_number_fails_unless_exactly_equal():
    assert z_score(0.1, 0.1, 0.0) == 0.0
    assert z_score(0.2, 0.1, 0.0) == math.inf
    assert not within_limit(math.inf) and not within_limit(math.nan)
    assert z_score(-0.004, -0.005, 0.0005) == pytest.approx(2.0)


def test_the_analyzer_must_agree_with_the_published_value():
    assert published_agrees(None, None)
    assert published_agrees(0.001839, 0.001836)
    assert not published_agrees(0.001839, 0.001739)  # 0.01% off
    assert not published_agrees(0.001839, None)
    assert not ev_check(0.5, published=0.001839, composition=0.0019).passed
    assert ev_check(0.5, published=0.001839, composition=0.00184).passed


def test_the_page_reports_a_failure_and_every_row():
    good, bad = ev_check(1.0), ev_check(4.5)
    bad.name = "a game off by 4.5 SE"
    ref = ReferenceCheck("counted", 10, 1, 3, 10, -1.0, -1.5, passed=False)
    report = ValidationReport(False, 1000, 10, [good, bad], [ref], seconds=12.0, workers=2)
    assert not report.passed
    page = render_markdown(report)
    assert "Some checks FAILED" in page
    assert "| a game off by 4.5 SE |" in page and "+4.50 | **FAIL** |" in page
    assert "| counted | 10 | 10 | -1.0 | -1.5 | 1 | **FAIL** |" in page
    assert "`jost validate --out DIR`" in page and "2,000 in all" in page
    report.ev_checks, report.reference_checks = [good], []
    assert report.passed and "All checks passed" in render_markdown(report, plot=None)


def test_the_fixed_set_has_published_rows_and_counted_games():
    assert len({r.name for r in RULE_SETS}) == len(RULE_SETS) >= 8
    assert sum(r.published is not None for r in RULE_SETS) >= 5
    assert len(COUNTED_GAMES) >= 2


def test_a_counted_game_matches_its_reference():
    name, sections = next(iter(COUNTED_GAMES.items()))
    check = check_reference(name, sections, rounds=300, seed=7)
    assert check.passed and check.mismatches == 0 and check.rounds_played == 300
    assert check.net_kernel == check.net_reference
