"""RFC 9457 problem+json for every error the stubs return, each naming the field and the fix."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_TYPE = "https://onething.dev/problems/departments/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("onething.departments")


class ProblemError(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}


def problem_response(
    status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"type": PROBLEM_TYPE + slug, "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path")]
    return ".".join(parts) or "body"


async def _validation(_request: Request, error: Exception) -> JSONResponse:
    # The input value itself is left out of the detail: it may be personal data from the payload.
    assert isinstance(error, RequestValidationError)
    problems = [f"{_field(tuple(item['loc']))}: {item['msg']}" for item in error.errors()]
    detail = "Fix these fields and send again — " + "; ".join(problems)
    return problem_response(422, "invalid-request", "The request body does not match the contract", detail)


async def _problem(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProblemError)
    return problem_response(error.status, error.slug, error.title, error.detail, error.headers)


async def _http(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = str(error.detail) if error.detail else "See the HTTP contract in docs/departments.md."
    if error.status_code == 404:
        detail = "No such endpoint; the stubs serve /departments/{department}/... and /admin/... (docs/departments.md)."
    headers = dict(error.headers) if error.headers else None
    return problem_response(error.status_code, "http", f"HTTP {error.status_code}", detail, headers)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(500, "internal", "Internal error", "The stub failed unexpectedly; retry the call.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
