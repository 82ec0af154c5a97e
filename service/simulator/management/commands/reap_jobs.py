"""``manage.py reap_jobs [--every SECONDS]``: recover stale jobs without Celery beat."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from service.simulator.services import jobs_reap


class Command(BaseCommand):
    help = (
        "Re-queue RUNNING jobs whose heartbeat stopped (or fail them after JOST_MAX_ATTEMPTS) "
        "and re-send lost PENDING jobs. Once, or every N seconds with --every."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0.0, metavar="SECONDS")

    def handle(self, *args: Any, every: float = 0.0, **options: Any) -> None:
        while True:
            counts = jobs_reap()
            self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
            if every <= 0:
                return
            time.sleep(every)
            close_old_connections()  # a long-lived loop must not keep a dead connection
