"""RFC 9457 problem+json for every error a client sees: what went wrong, where, and what to do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.errors import (
    ConflictError,
    DomainError,
    InvalidError,
    NotAllowedError,
    NotFoundError,
    TooManyError,
    UnavailableError,
)

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """Some errors add the rule as data (`rule`, with its values as further members, e.g. `limit`): the pages
    word it in their language from it."""

    model_config = ConfigDict(extra="allow")

    field: str = Field(description="The field, dotted for nested ones (e.g. form.birth_date, Idempotency-Key)")
    message: str = Field(description="What is wrong with it, in English")
    rule: str | None = Field(default=None, description="The rule broken, e.g. required, max_length, date_format")


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error this API sends, as application/problem+json.

    Some problems add members of their own (e.g. `case_no`, or `individual_items` when an applicant is not
    eligible for the bundle), hence extra members are allowed.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="A URI for the kind of problem; about:blank for all today")
    title: str = Field(description="A short summary, the same for every occurrence of the problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="This occurrence: what went wrong and what to do about it")
    errors: list[FieldError] = Field(
        default_factory=list, description="Invalid input only (left out otherwise): every field to correct"
    )


class ProblemError(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    if errors:
        body["errors"] = errors
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def invalid_input(errors: list[dict[str, str]]) -> ProblemError:
    fields = ", ".join(error["field"] for error in errors)
    return ProblemError(
        422, "Invalid input", f"Please correct: {fields}. Nothing was started or changed.", errors=errors
    )


DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (NotFoundError, 404),
    (ConflictError, 409),
    (NotAllowedError, 403),
    (InvalidError, 422),
    (TooManyError, 429),
    (UnavailableError, 503),
]


def from_domain(error: DomainError) -> ProblemError:
    """The one mapping of the services' refusals to HTTP: status, title, detail, fields and Retry-After."""
    status = next((code for kind, code in DOMAIN_STATUS if isinstance(error, kind)), 400)
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    errors = error.errors if isinstance(error, InvalidError) else None
    return ProblemError(status, error.title, error.detail, errors=errors, headers=headers, **error.context)


PageRenderer = Callable[[Request, ProblemError], Response | None]
"""Renders a problem as an HTML page for a request a person made; None for a program's request."""


def install_problem_handlers(app: FastAPI, render_page: PageRenderer | None = None) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, error: ProblemError) -> Response:
        # The same errors, as a page for people and as problem+json for programs.
        page = render_page(request, error) if render_page is not None else None
        if page is not None:
            return page
        return problem_response(error.status, error.title, error.detail, error.errors, error.headers, **error.extra)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, error: DomainError) -> Response:
        return await _problem(request, from_domain(error))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        # A page's bad query or form value too: a page for a person, problem+json for a program.
        return await _problem(request, malformed_json(error) or invalid_input(field_errors(error.errors())))

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_exhausted(request: Request, _error: SQLAlchemyTimeoutError) -> Response:
        # Every database connection stayed taken for db_pool_timeout_seconds: busy, not broken. An answer within
        # that bound, never a request queued without end.
        busy = ProblemError(
            503,
            "Service busy",
            "The service is busy just now; send the same request again shortly.",
            headers={"Retry-After": "2"},
        )
        return await _problem(request, busy)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        headers = dict(error.headers or {})
        problem = ProblemError(error.status_code, _title(error.status_code), str(error.detail), headers=headers)
        return await _problem(request, problem)


def field_errors(issues: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic's issues as `errors`: its own messages name the field; the input value is left out, as it may be
    personal data. For a page that builds a body from a posted form, as for the JSON API. `rule` is pydantic's
    error type (with its limits, e.g. `max_length`), which the pages word in their own language."""
    return [
        {
            "field": ".".join(str(part) for part in issue["loc"] if part != "body") or "body",
            "message": issue["msg"],
            "rule": str(issue.get("type", "")),
            **{name: str(value) for name, value in issue.get("ctx", {}).items() if isinstance(value, int | str)},
        }
        for issue in issues
    ]


def malformed_json(error: RequestValidationError) -> ProblemError | None:
    """A body that is not JSON at all, named by line and column (FastAPI gives a character offset, which a
    person cannot find in their file), or None for any other validation error."""
    issue = next((issue for issue in error.errors() if issue.get("type") == "json_invalid"), None)
    if issue is None:
        return None
    document = error.body if isinstance(error.body, str) else ""
    offset = next((part for part in reversed(issue["loc"]) if isinstance(part, int)), 0)
    line = document.count("\n", 0, offset) + 1
    column = offset - (document.rfind("\n", 0, offset) + 1) + 1
    reason = str(issue.get("ctx", {}).get("error", "not JSON"))
    where = f"line {line}, column {column}"
    return ProblemError(
        400,
        "Malformed JSON",
        f"The body is not valid JSON: {reason} at {where}. Send a JSON document (Content-Type: application/json).",
        errors=[{"field": "body", "message": f"{reason} at {where}"}],
        line=line,
        column=column,
    )


def _title(status: int) -> str:
    return {
        401: "Not signed in",
        403: "Not allowed",
        404: "Not found",
        405: "Method not allowed",
        413: "Request too large",
    }.get(status, "Request failed")
