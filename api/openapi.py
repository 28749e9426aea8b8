"""The OpenAPI document declares the problem+json errors each operation really sends, and only those.

An integrator reads it to know which errors to handle, so an operation's errors come from two places:
- its route names the refusals of the services it calls: `responses=problems(NotFoundError, ConflictError)`,
  the status taken from `DOMAIN_STATUS` so it is decided in one place (or a status for a refusal the router
  itself raises, e.g. a callback's bad signature);
- the rest follows from how FastAPI calls it and is derived here, so it cannot drift from the code:
  a dependency marked with `sends(...)` (sign-in 401, role 403, CSRF 403 on writes, the case engine 503),
  422 when request validation can fail (a body, or a parameter that is more than an optional or path
  `str`), and 400 and 413 when the operation reads a JSON body (one that is not JSON at all, named by line and
  column; one over ONETHING_MAX_BODY_BYTES, api/body_limit.py).
FastAPI adds its own 422 (`HTTPValidationError`, a shape we never send) to every operation with any
parameter and has no option to leave it out, so the generated document is post-processed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic.fields import FieldInfo

from api.problems import DOMAIN_STATUS, PROBLEM_JSON, Problem
from api.sessions import SAFE_METHODS
from services.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])
SCHEMAS = "#/components/schemas/"
_MARK = "__onething_sends__"

DESCRIPTIONS = {
    401: "Not authenticated: no token, an invalid or expired one, or (a department callback) a bad signature",
    400: "Malformed JSON: the body is not JSON; `errors` names the line and column where it breaks",
    403: "Not allowed: the caller's role or account kind, or a write from the browser without its CSRF token",
    404: "Not found, or not visible to this caller",
    409: "Not possible now: the case or item is not in a state that allows it",
    413: (
        "Too large: refused before the body was read to the end (ONETHING_MAX_BODY_BYTES; department callbacks "
        "ONETHING_CALLBACK_MAX_BYTES); send less"
    ),
    422: "Invalid input: `errors` names each field to correct; nothing was changed",
    429: "Too many requests: try again after Retry-After seconds",
    503: "The case engine is not reachable: send the same request again shortly",
}
_RETRY_AFTER = {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {"Retry-After": {**_RETRY_AFTER, "required": True}},
    503: {"Retry-After": _RETRY_AFTER},
}


def problems(*errors: int | type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these errors: domain error classes (as their services raise them) or HTTP statuses."""
    statuses = sorted({error if isinstance(error, int) else _domain_status(error) for error in errors})
    return {status: _problem_response(status) for status in statuses}


def _domain_status(error: type[DomainError]) -> int:
    return next(status for kind, status in DOMAIN_STATUS if issubclass(error, kind))


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": SCHEMAS + Problem.__name__}}},
    }
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


@dataclass(frozen=True)
class Sends:
    always: frozenset[int]
    on_writes: frozenset[int]


def sends(*statuses: int, on_writes: tuple[int, ...] = ()) -> Callable[[F], F]:
    """Marks a dependency with the problems it raises, so every operation using it declares them."""

    def mark(dependency: F) -> F:
        setattr(dependency, _MARK, Sends(frozenset(statuses), frozenset(on_writes)))
        return dependency

    return mark


def operations(app: FastAPI) -> Iterator[RouteContext]:
    """The app's operations as FastAPI's generator sees them: paths, dependencies and responses include those
    of the routers they were included with."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            yield route


def derived_statuses(route: RouteContext) -> set[int]:
    """The problems an operation sends because of its dependencies and its request's shape."""
    writes = not (route.methods or set()) <= SAFE_METHODS
    statuses: set[int] = set()
    can_fail_validation = route.body_field is not None
    for dependant in _dependants(route.dependant):
        mark: Sends | None = getattr(dependant.call, _MARK, None)
        if mark is not None:
            statuses |= mark.always | (mark.on_writes if writes else frozenset())
        can_fail_validation |= dependant.body_params != [] or any(
            _can_fail(field.field_info, in_path=False)
            for field in (*dependant.query_params, *dependant.header_params, *dependant.cookie_params)
        )
        can_fail_validation |= any(_can_fail(field.field_info, in_path=True) for field in dependant.path_params)
    if can_fail_validation:
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {400, 413}
    return statuses


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _can_fail(info: FieldInfo, *, in_path: bool) -> bool:
    """Whether FastAPI can refuse the value: any string fits a plain `str`, and a path always has its part."""
    if info.metadata:  # a constraint: max_length, ge, ...
        return True
    if info.is_required() and not in_path:
        return True
    return info.annotation not in (str, str | None)


def install_openapi(app: FastAPI) -> None:
    """FastAPI's documented way to customise the document: replace `app.openapi`, caching the result."""

    processed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        # FastAPI's own method caches the document until a route is added; each new document is processed once.
        document = FastAPI.openapi(app)
        if not processed or processed[0] is not document:
            processed[:] = [_with_problems(app, document)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _with_problems(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    for route in operations(app):
        derived = problems(*derived_statuses(route))
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            responses: dict[str, Any] = operation["responses"]
            if _is_fastapis_422(responses.get("422")):
                del responses["422"]
            for status, response in derived.items():
                responses.setdefault(str(status), response)
            operation["responses"] = dict(sorted(responses.items()))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = Problem.model_json_schema(ref_template=SCHEMAS + "{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas[Problem.__name__] = problem
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def _is_fastapis_422(response: dict[str, Any] | None) -> bool:
    return response is not None and "application/json" in response.get("content", {})
