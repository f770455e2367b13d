"""Errors of the job queue, each naming what to fix."""

from __future__ import annotations


class JobError(Exception):
    """Base class of job queue errors."""


class UnknownJobType(JobError, LookupError):
    """No plugin declares a handler for the job type."""

    def __init__(self, job_type: str, known: list[str]) -> None:
        listed = ", ".join(known) if known else "none"
        super().__init__(f"unknown job type {job_type!r}; the installed plugins handle: {listed}")
        self.job_type = job_type
        self.known = known


class JobNotFound(JobError, LookupError):
    """No job has that id."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")
        self.job_id = job_id


class JobStateConflict(JobError):
    """The job is not in a state that allows the change."""


class BrokerUnavailable(JobError):
    """The configured broker does not answer."""
