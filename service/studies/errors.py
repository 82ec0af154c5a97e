"""Errors of studies; the API turns each into a JSON error with its status (service.api.errors
handles every `JobError`)."""

from __future__ import annotations

from service.simulator.errors import JobError


class StudyInvalid(JobError):
    """The study document, or one of its points, is invalid or beyond this service's limits."""

    code = "invalid_study"


class StudyNotFound(JobError):
    """No such study for this user (another user's study is not found either)."""

    status_code = 404
    code = "not_found"


class TooManyStudies(JobError):
    """The user already has ``JOST_STUDY_MAX_ACTIVE`` studies running."""

    status_code = 409
    code = "too_many_studies"


class StudyNotCancellable(JobError):
    """The study already finished (COMPLETE or FAILED): nothing to cancel."""

    status_code = 409
    code = "not_cancellable"
