"""Errors of the job domain; the API turns each into a JSON error with its HTTP status.

They carry what a client needs — a stable ``code``, a sentence, and for configs every problem as
``{"path", "message"}`` — and nothing about HTTP beyond the status they map to.
"""

from __future__ import annotations


class JobError(Exception):
    """Base of the service's expected errors."""

    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []


class ConfigInvalid(JobError):
    """The submitted config is invalid, unsupported or beyond this service's limits."""

    code = "invalid_config"


class JobNotFound(JobError):
    """No such job for this user (another user's job is not found either)."""

    status_code = 404
    code = "not_found"


class ResultNotReady(JobError):
    """The job exists but has no result (yet, or ever)."""

    status_code = 404
    code = "result_not_ready"


class JobNotCancellable(JobError):
    """The job already finished, so there is nothing to cancel."""

    status_code = 409
    code = "not_cancellable"


class IdempotencyConflict(JobError):
    """An Idempotency-Key was reused with a different config."""

    status_code = 409
    code = "idempotency_conflict"
