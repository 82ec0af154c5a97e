"""A web process warms up before its first request: nothing written, nothing sent, heap frozen."""

from __future__ import annotations

import gc

import pytest

from service.simulator.models import SimulationJob
from service.warmup import warm_web_process

pytestmark = pytest.mark.django_db


def test_warm_up_writes_and_sends_nothing_and_freezes_the_startup_heap(
    django_capture_on_commit_callbacks,
):
    gc.unfreeze()
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            warm_web_process()
        assert gc.get_freeze_count() > 1000  # Django, DRF, the engine's models
        assert SimulationJob.objects.count() == 0
        assert callbacks == []
    finally:
        gc.unfreeze()
