"""`jost validate`: the validation report (engine checks in `jost_engine.validation`) on disk.

Writes ``report.md`` (the tables), ``z-scores.png`` (the plot) and ``results.json`` to a
folder, so the documentation can carry the latest report and anyone can reproduce it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from jost_engine.validation import Z_LIMIT, ValidationReport, run_validation
from user_terminal.errors import EXIT_FAILURE, JostError, reported
from user_terminal.home import data_dir

PLOT_NAME = "z-scores.png"


def plot_z_scores(report: ValidationReport, path: Path) -> None:
    """A horizontal bar per rule set, with the ±4 SE pass band marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [c.name for c in report.ev_checks]
    zs = [c.z for c in report.ev_checks]
    colors = ["tab:blue" if c.passed else "tab:red" for c in report.ev_checks]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.6))
    ax.axvspan(-2, 2, color="tab:green", alpha=0.08, label="±2 SE")
    for x in (-Z_LIMIT, Z_LIMIT):
        ax.axvline(x, color="tab:red", linestyle="--", linewidth=1)
    ax.barh(range(len(names)), zs, color=colors)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    limit = max([Z_LIMIT + 1, *(abs(z) + 0.5 for z in zs if abs(z) < 1e6)])
    ax.set_xlim(-limit, limit)
    ax.set_xlabel(f"z = (simulated − exact) / SE  (pass: |z| ≤ {Z_LIMIT:g})")
    mode = "quick" if report.quick else "full"
    ax.set_title(f"Simulated vs exact EV, {report.rounds_per_rule_set:,} rounds each ({mode})")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: ValidationReport, out: Path) -> list[Path]:
    """Write the three files into ``out`` (created if needed); returns their paths."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JostError(f"cannot create {out}: {exc.strerror or exc}") from None
    if not out.is_dir():
        raise JostError(f"{out} is not a folder")
    files = [out / "report.md", out / PLOT_NAME, out / "results.json"]
    try:
        files[0].write_text(report.to_markdown(PLOT_NAME), encoding="utf-8")
        plot_z_scores(report, files[1])
        files[2].write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise JostError(f"cannot write to {out}: {exc.strerror or exc}") from None
    return files


def validate(
    quick: Annotated[
        bool, typer.Option("--quick", help="A short run for CI (under a minute).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for report.md, z-scores.png and results.json "
            "[default: validation/ in your JOST data folder].",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Cores to simulate on (default: all).")
    ] = None,
) -> None:
    """Check the simulator against exact values and write the validation report."""
    with reported():
        out = out if out is not None else data_dir() / "validation"  # never the cwd unasked
        if out.exists() and not out.is_dir():
            raise JostError(f"--out {out} is a file, not a folder")
        report = run_validation(
            quick=quick, workers=workers, progress=lambda m: typer.echo(m, err=True)
        )
        files = write_report(report, out)
    for c in report.ev_checks:
        typer.echo(
            f"{'pass' if c.passed else 'FAIL'}  z={c.z:+6.2f}  {c.name}: "
            f"simulated {100 * c.simulated:+.4f}% ± {100 * c.se:.4f}%, exact {100 * c.exact:+.4f}%"
        )
    for r in report.reference_checks:
        typer.echo(
            f"{'pass' if r.passed else 'FAIL'}  {r.name}: {r.rounds:,} rounds, "
            f"{r.mismatches} differing from the reference"
        )
    typer.echo(f"wrote {', '.join(str(f) for f in files)} in {report.seconds:.0f} s")
    if not report.passed:
        typer.echo("jost: some validation checks failed (see the report)", err=True)
        raise typer.Exit(EXIT_FAILURE)
