"""What the job ledger tells whoever listens: an event was logged, progress was written.

The simulator does not know its listeners (live progress over WebSockets connects to these in
`service.live.apps`). Both are sent with ``sender=SimulationJob`` and a ``job_id``; receivers
are called in the writing thread, inside its transaction, so they must neither block nor
raise (a receiver that raises is logged and passed over: a listener never fails a job).

This module imports nothing of the simulator, so an app can connect to it before the models
are loaded.
"""

from __future__ import annotations

from django.dispatch import Signal

# A row of the job's event log was written (``kind``: an `EventKind`); in the same transaction.
job_event_recorded = Signal()

# A worker wrote the job's progress (at most once per ``JOST_PROGRESS_INTERVAL_S`` per run).
job_progress_written = Signal()

# A reaper turn finished (``now``: its clock), outside its transaction: a listener that keeps
# state of its own beside the ledger (service.studies) catches up here after a lost hook.
jobs_reaped = Signal()
