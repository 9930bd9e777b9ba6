"""One small error hierarchy. Every message is written for the person who will read it.

HTTP status codes are assigned in one place, :mod:`assistant.api`, from these classes.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: ``str(exc)`` is a user-facing message."""


class InputError(AssistantError):
    """The request itself is wrong (empty question, k out of range, bad role…)."""


class NotFoundError(AssistantError):
    """A location or resource that does not exist."""


class CorpusError(AssistantError):
    """The plan text is missing or cannot be parsed."""


class IndexStateError(AssistantError):
    """The index on disk is missing, stale or corrupt and could not be rebuilt."""


class GeneratorError(AssistantError):
    """The configured LLM service failed (down, slow, or answered garbage)."""


class AuthError(AssistantError):
    """No or an unknown API key."""


class ForbiddenError(AssistantError):
    """A valid key that may not do this."""


class RateLimitError(AssistantError):
    """Too many requests from one client."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageError(AssistantError):
    """The feedback store cannot be written (locked, disk full, read-only)."""


class OverloadedError(AssistantError):
    """Every generation slot is busy (HTTP 503 with ``Retry-After``)."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeadlineError(AssistantError):
    """An answer took longer than the request timeout (HTTP 504)."""
