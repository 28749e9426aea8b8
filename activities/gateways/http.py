"""HTTP to the departments' systems: the registry's credentials, timeouts and rate limit on every call,
and the department's answer turned into what Temporal's retry needs (a refusal is final; an outage is
retried, no sooner than the department's Retry-After)."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from aiolimiter import AsyncLimiter
from temporalio.exceptions import ApplicationError

from core.clock import SYSTEM_CLOCK, Clock
from one_things.department_registry import BearerAuth, DepartmentConnection, MutualTls
from workflows.policies import REFUSED as REFUSED_ERROR

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
"""4xx answers that mean "not now" rather than "never"; every other 4xx is a refusal."""
RETRY_AFTER_STATUS = frozenset({429, 503})
"""Answers whose Retry-After says when the department can take the call again (RFC 9110 §10.2.3)."""


class DepartmentHttp:
    """The worker's HTTP side of every department: one shared client, a client of its own for a department
    that wants a client certificate, one rate limiter per department (per worker process)."""

    def __init__(self, client: httpx.AsyncClient, clock: Clock = SYSTEM_CLOCK) -> None:
        self._client = client
        self._clock = clock
        self._tls_clients: dict[str, httpx.AsyncClient] = {}
        self._limiters: dict[str, AsyncLimiter] = {}

    async def request(
        self, code: str, connection: DepartmentConnection, method: str, path: str, body: dict[str, object] | None
    ) -> httpx.Response:
        """The department's successful answer; an ApplicationError (refused, or retry later) otherwise."""
        assert connection.base_url is not None, "the registry requires a base_url for every mode that calls out"
        timeout = httpx.Timeout(connection.timeouts.call_seconds, connect=connection.timeouts.connect_seconds)
        limiter = self._limiter(code, connection)
        client = self._client_for(code, connection)
        headers = _auth_headers(connection)
        if limiter is None:
            response = await client.request(
                method, connection.base_url + path, json=body, headers=headers, timeout=timeout
            )
        else:
            async with limiter:
                response = await client.request(
                    method, connection.base_url + path, json=body, headers=headers, timeout=timeout
                )
        raise_for_status(
            response, cap=timedelta(seconds=connection.retry.max_retry_after_seconds), now=self._clock.now()
        )
        return response

    async def aclose(self) -> None:
        for client in self._tls_clients.values():
            await client.aclose()
        self._tls_clients.clear()

    def _client_for(self, code: str, connection: DepartmentConnection) -> httpx.AsyncClient:
        if not isinstance(connection.auth, MutualTls):
            return self._client
        if code not in self._tls_clients:
            tls = connection.auth
            context = ssl.create_default_context(cafile=str(tls.ca_file) if tls.ca_file else None)
            context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
            self._tls_clients[code] = httpx.AsyncClient(verify=context)
        return self._tls_clients[code]

    def _limiter(self, code: str, connection: DepartmentConnection) -> AsyncLimiter | None:
        if connection.rate_limit is None:
            return None
        if code not in self._limiters:
            limit = connection.rate_limit
            self._limiters[code] = AsyncLimiter(limit.calls, limit.per_seconds)
        return self._limiters[code]


def _auth_headers(connection: DepartmentConnection) -> dict[str, str]:
    if not isinstance(connection.auth, BearerAuth):
        return {}
    try:
        token = connection.auth.token()
    except (LookupError, OSError) as error:
        # Retried: an operator who fixes the secret gets the submission delivered, nothing is lost.
        raise ApplicationError(f"no credentials for the department: {error}", type="DepartmentCredentials") from None
    return {"Authorization": f"Bearer {token}"}


def raise_for_status(response: httpx.Response, *, cap: timedelta, now: datetime) -> None:
    """4xx means the department refuses this request as it is: retrying would not help."""
    if response.is_success:
        return
    status = response.status_code
    detail = _problem_detail(response)
    if 400 <= status < 500 and status not in RETRYABLE_STATUS:
        raise ApplicationError(
            f"department refused the request ({status}): {detail}", type=REFUSED_ERROR, non_retryable=True
        )
    delay = retry_after(response, cap=cap, now=now) if status in RETRY_AFTER_STATUS else None
    raise ApplicationError(
        f"department unavailable ({status}): {detail}", type="DepartmentUnavailable", next_retry_delay=delay
    )


def retry_after(response: httpx.Response, *, cap: timedelta, now: datetime) -> timedelta | None:
    """The wait the department asked for (delay-seconds or an HTTP-date), at most `cap`; None when absent,
    unreadable or already over (the retry policy's own backoff applies then)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        # Measured against the department's own clock (its Date header) when it sent one, so a skew
        # between its clock and ours does not lengthen or cut the wait.
        delay = _as_utc(when) - _sent_at(response, now)
    if delay <= timedelta(0):
        return None
    return min(delay, cap)


def _sent_at(response: httpx.Response, now: datetime) -> datetime:
    for value in response.headers.get_list("Date"):
        try:
            return _as_utc(parsedate_to_datetime(value))
        except (TypeError, ValueError, IndexError):
            continue
    return _as_utc(now)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _problem_detail(response: httpx.Response) -> str:
    try:
        problem = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(problem, dict):
        return str(problem.get("detail") or problem.get("title") or response.reason_phrase)
    return response.reason_phrase
