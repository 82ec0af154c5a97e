"""A newcomer's first touches, as they make them: the README's commands on a fresh copy, and
the README's Python example saved as a plain script or fed on stdin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the test venv's traces (a new user's shell)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "NUMBA_CACHE_DIR"}
        and not k.startswith(("JOST_", "PYTEST", "DJANGO_"))
    }
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir)
    env.update(extra)
    return env


def python_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "the README has no Python example"
    return blocks[0]


def run_example(
    tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, *args],
        input=stdin,
        cwd=tmp_path,
        env=clean_env(JOST_HOME=str(tmp_path / "home")),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_readme_python_example_runs_as_a_plain_script(tmp_path):
    """No ``if __name__ == "__main__":`` guard, as a user saves it; every core."""
    (tmp_path / "example.py").write_text(python_example())
    done = run_example(tmp_path, "example.py")
    printed = done.stdout.splitlines()
    assert printed[0].startswith("{'mean': ") and "'se': " in printed[0], done.stdout
    assert len(printed) == 2 and printed[1].count(" ") >= 2, done.stdout


def test_the_readme_python_example_runs_on_stdin(tmp_path):
    done = run_example(tmp_path, "-", stdin=python_example())
    assert done.stdout.startswith("{'mean': "), done.stdout


def fresh_copy(target: Path) -> Path:
    """The working tree as a clone of it would hold it: tracked files and new files git does
    not ignore, and nothing built (no .venv, no caches)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if not source.is_file():
            continue  # deleted in the working tree
        dest = target / os.fsdecode(name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(source.read_bytes())
        dest.chmod(source.stat().st_mode)
    return target


def test_scripts_demo_on_a_fresh_copy_sets_up_from_the_lock_and_prints_the_house_edge(tmp_path):
    """A new venv from requirements/run.txt on a copy that never saw a build, then the run."""
    copy = fresh_copy(tmp_path / "jost")
    assert not (copy / ".venv").exists()
    done = subprocess.run(
        ["bash", "scripts/demo", "--rounds", "100000"],
        cwd=copy,
        env=clean_env(PYTHON=base_python(), JOST_HOME=str(tmp_path / "home")),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert re.search(r"House edge\s+-?\d+\.\d+% ± \d+\.\d+%", done.stdout), done.stdout
    assert re.search(r"Rounds\s+100,000\b", done.stdout), done.stdout
    frozen = subprocess.run(
        [str(copy / ".venv" / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = {pin(line) for line in (copy / "requirements" / "run.txt").read_text().splitlines()}
    installed = {pin(line) for line in frozen.splitlines()}
    pins.discard(None)
    assert pins <= installed, f"not installed as locked: {sorted(pins - installed)}"


def pin(line: str) -> tuple[str, str] | None:
    """(name, version) of a ``name==version`` line that applies here, else None."""
    line = line.split("#", 1)[0].strip()
    if "==" not in line:
        return None
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate():
        return None
    [spec] = req.specifier
    return canonicalize_name(req.name), spec.version


def base_python() -> str:
    """The interpreter this venv was made from: what a fresh machine's python3 is."""
    base = (
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    )
    return str(base if base.exists() else Path(sys.base_prefix) / "bin" / "python3")
