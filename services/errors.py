"""Domain errors: what went wrong in the user's terms, each with a detail a person can act on.

They carry no HTTP status; `api/problems.py` maps each class to one. The detail never holds personal data
(no ID numbers or names): it names case numbers, item codes and field names only.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal a service makes; `context` adds machine-readable members (e.g. `case_no`)."""

    title = "Request failed"

    def __init__(self, detail: str, *, title: str | None = None, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if title is not None:
            self.title = title
        self.context = context


class NotFoundError(DomainError):
    title = "Not found"


class ConflictError(DomainError):
    """The request is well formed but the thing it acts on is not in a state that allows it now."""

    title = "Not possible now"


class NotAllowedError(DomainError):
    title = "Not allowed"


class InvalidError(DomainError):
    """Input that breaks a rule of its contract; `errors` names each field and what is wrong with it."""

    title = "Invalid input"

    def __init__(self, detail: str, errors: list[dict[str, str]], *, title: str | None = None, **context: Any) -> None:
        super().__init__(detail, title=title, **context)
        self.errors = errors


class TooManyError(DomainError):
    """A limit on how often something may be done; `retry_after` in seconds."""

    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, title: str | None = None, **context: Any) -> None:
        super().__init__(detail, title=title, **context)
        self.retry_after = retry_after


class UnavailableError(DomainError):
    """A part we depend on (the case engine) cannot be reached; the same request may be sent again."""

    title = "Service temporarily unavailable"

    def __init__(self, detail: str, *, retry_after: int | None = None, **context: Any) -> None:
        super().__init__(detail, **context)
        self.retry_after = retry_after
