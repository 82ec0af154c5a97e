"""The documentation site: it builds strictly, and its generated references match the code."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _reference_script():
    spec = importlib.util.spec_from_file_location(
        "docs_reference", ROOT / "scripts" / "docs_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs_reference = _reference_script()
STALE = "is stale: run `python scripts/docs_reference.py` and commit the result"


def test_mkdocs_build_strict_passes(tmp_path: Path):
    pytest.importorskip(
        "mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'"
    )
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    python_api = (site / "python" / "index.html").read_text(encoding="utf-8")
    assert (
        "run_simulation_from_config" in python_api
        and "Run a simulation on this machine" in python_api
    )
    assert (site / "api" / "openapi.yaml").exists()
    assert "z-scores.png" in (site / "validation" / "report" / "index.html").read_text("utf-8")


def test_openapi_file_is_current():
    pytest.importorskip("drf_spectacular", reason="the service extra is not installed")
    spec = docs_reference.openapi_yaml()
    assert "/api/submit/" in spec and "JostConfig" in spec
    assert docs_reference.OPENAPI.read_text(encoding="utf-8") == spec, (
        f"docs/api/openapi.yaml {STALE}"
    )
    page = docs_reference.endpoints_markdown(spec)
    assert docs_reference.ENDPOINTS.read_text(encoding="utf-8") == page, (
        f"docs/api/endpoints.md {STALE}"
    )


def test_cli_reference_is_current():
    page = docs_reference.cli_markdown()
    for command in ("jost run", "jost validate", "jost analyze", "jost profiles list", "jost jobs"):
        assert f"## `{command}" in page, command
    assert docs_reference.CLI.read_text(encoding="utf-8") == page, f"docs/cli.md {STALE}"


def test_config_reference_is_current():
    page = docs_reference.config_reference_markdown()
    assert "| `decks` | integer | `6` | ≥ 1, ≤ 8 |" in page  # read from the models' bounds
    current = docs_reference.CONFIG_REFERENCE.read_text(encoding="utf-8")
    assert current == page, f"docs/config-reference.md {STALE}"


def test_every_page_is_in_the_nav():
    import yaml

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]

    def pages(node) -> set[str]:
        if isinstance(node, str):
            return {node}
        if isinstance(node, list):
            return set().union(*(pages(n) for n in node))
        return set().union(*(pages(v) for v in node.values()))

    on_disk = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert on_disk == pages(nav)


def test_the_check_mode_names_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    stale = tmp_path / "cli.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(docs_reference, "generated_files", lambda: {stale: "new\n"})
    monkeypatch.setattr(docs_reference, "ROOT", tmp_path)
    assert docs_reference.main(["--check"]) == 1
    assert "stale: cli.md" in capsys.readouterr().err
    assert stale.read_text(encoding="utf-8") == "old\n"
    assert docs_reference.main([]) == 0 and stale.read_text(encoding="utf-8") == "new\n"


def test_readme_links_the_docs_and_keeps_its_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/demo" in readme and "bash scripts/test" in readme
    assert "mkdocs" in readme and "docs/index.md" in readme
