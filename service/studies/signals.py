"""What a study tells whoever listens: its counts or status changed (``study_id``), sent with
``sender=Study`` once the change has committed. Live progress (`service.live`) subscribes; the
studies app does not know its listeners, as the simulator does not know its own."""

from __future__ import annotations

from django.dispatch import Signal

study_changed = Signal()
