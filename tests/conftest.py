"""The order test files are handed out in: the longest first.

Under xdist (``scripts/test``: two processes, whole files each) files go out in collection
order, so a long file collected last — the fresh-venv first-touch test is alphabetically near the
end — ran alone while the other process sat idle. Starting with the longest files leaves the
short ones to fill the end. Only whole files move; the tests inside each keep their order.
The list is a scheduling hint from `--durations` (seconds on this 2-core machine), not a rule:
a file missing from it simply runs after these, in collection order.
"""

from __future__ import annotations

import pytest

LONGEST_FIRST = (
    "tests/service/test_api_contract.py",  # ~200 s: schemathesis on both backends
    "tests/engine/test_index_methods.py",  # ~150 s
    "tests/test_first_touch.py",  # ~120 s: a fresh venv from the lock
    "tests/engine/test_analysis.py",
    "tests/engine/test_callers.py",
    "tests/terminal/test_tui.py",
    "tests/service/test_live.py",
    "tests/service/test_ws_live.py",
    "tests/terminal/test_indices_cli.py",
    "tests/service/test_browser.py",
    "tests/service/test_faults.py",
    "tests/service/test_serve.py",
    "tests/service/test_shard_live.py",
    "tests/engine/test_published.py",
    "tests/service/test_study_live.py",
    "tests/service/test_security_deploy.py",
    "tests/engine/test_count_indices.py",
)
_RANK = {path: rank for rank, path in enumerate(LONGEST_FIRST)}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return _RANK.get(path, len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: each file's tests, and the rest, keep their order
