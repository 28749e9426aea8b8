"""The fault suite's scenarios: each breaks the running stack one way and measures what a user would see.

Every scenario returns figures, each with the bar it must meet (docs/reliability.md §2 lists them with the
issue that set them). A scenario never stops at the first bad number: it measures everything it set out to,
so a failing run still says how far off it is.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from api.sessions import CSRF_FIELD, SESSION_COOKIE, csrf_token
from cli.bad_input import (
    CLAIMLESS,
    FORGED_UPLOADS,
    MALFORMED_JSON,
    MESSAGE_IDS,
    NOT_JSON,
    PAGE_POSTS,
    PAGE_PROBES,
    Who,
    api_operations,
    caller_for,
    claimless_token,
    get_parameter_probes,
)
from cli.chaos_stack import CITIZEN, ChaosStack
from cli.merged_replay import replay_merged
from cli.timed_requests import Sampler, approve_vaccination, latency_ms, timed, wait_queued
from core.auth import Role
from core.database import create_sql_engine
from core.temporal import data_converter
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from persistence.tables import ApplicationRequest, CaseRecord
from workflows.registry import WORKFLOWS

FINISHED = frozenset({"completed", "rejected", "withdrawn"})
DEPARTMENTS = ("health", "public_security", "human_resources", "medical_insurance", "cdc")


@dataclass
class Figure:
    label: str
    value: str
    ok: bool | None = None
    """Whether the figure meets its bar; None for a figure shown for information."""


@dataclass
class Outcome:
    scenario: str
    figures: list[Figure] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    """What a scenario found, one line each (schemathesis: the route and the failure)."""
    seconds: float = 0.0

    def add(self, label: str, value: object, ok: bool | None = None) -> None:
        self.figures.append(Figure(label, str(value), ok))

    @property
    def passed(self) -> bool:
        return all(figure.ok is not False for figure in self.figures)


Scenario = Callable[[ChaosStack, Outcome], Awaitable[None]]


# --- what every scenario needs ------------------------------------------------------------------------


def newborn_body() -> dict[str, object]:
    return demo_request(load_catalog().get("newborn"), date.today())


async def apply_until_answered(
    api: httpx.AsyncClient, key: str, body: dict[str, object], *, give_up_after: float
) -> str | None:
    """Sends the application with its key until the API answers 2xx (as its 503 text asks); the case number."""
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        try:
            response = await api.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})
            if response.status_code in (200, 201):
                case_no: str = response.json()["case_no"]
                return case_no
        except httpx.HTTPError:
            pass  # the API is down or restarting: the key makes the next try safe
        await asyncio.sleep(0.3)
    return None


async def submit_all(stack: ChaosStack, keys: list[str], body: dict[str, object], at_once: int = 10) -> set[str]:
    """Every key's application, `at_once` in flight (clients, not a flood: bursts are stalled-burst's job)."""
    gate = asyncio.Semaphore(at_once)

    async def one(api: httpx.AsyncClient, key: str) -> str | None:
        async with gate:
            return await apply_until_answered(api, key, body, give_up_after=120)

    async with stack.api() as citizen:
        answers = await asyncio.gather(*(one(citizen, key) for key in keys))
    return {case_no for case_no in answers if case_no}


async def wait_finished(stack: ChaosStack, case_nos: set[str], within: float) -> tuple[dict[str, str], float]:
    """Each case's status once all are finished or `within` has passed, and the seconds it took.

    Read from the projection, the rows the citizen's pages show, not through the API: a frozen API
    (stalled-burst measures that) must not read as cases that did not finish."""
    began = time.monotonic()
    statuses: dict[str, str] = {}
    engine = create_sql_engine(stack.settings.projection_url)
    try:
        while time.monotonic() - began < within:
            statuses = await asyncio.to_thread(case_statuses, engine, case_nos)
            if len(statuses) == len(case_nos) and all(status in FINISHED for status in statuses.values()):
                break
            await asyncio.sleep(0.5)
    finally:
        engine.dispose()
    return statuses, time.monotonic() - began


def case_statuses(engine: Engine, case_nos: set[str]) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(
            select(CaseRecord.case_no, CaseRecord.status).where(col(CaseRecord.case_no).in_(case_nos))
        ).all()
    return {case_no: str(status) for case_no, status in rows}


def count_outcomes(outcome: Outcome, case_nos: set[str], statuses: dict[str, str], label: str = "completed") -> int:
    completed = sum(statuses.get(case_no) == "completed" for case_no in case_nos)
    stuck = sum(statuses.get(case_no) not in FINISHED for case_no in case_nos)
    outcome.add(label, f"{completed}/{len(case_nos)}", completed == len(case_nos))
    outcome.add("stuck", stuck, stuck == 0)
    return stuck


async def department_records(stack: ChaosStack, case_nos: set[str]) -> tuple[int, int]:
    """(duplicate records, repeated submissions the departments' idempotency absorbed) for these cases."""
    async with stack.stubs() as stubs:
        records = (await stubs.get("/admin/records")).json()
    ours = [record for record in records if record["case_no"] in case_nos]
    per_item = Counter((record["department"], record["case_no"], record["item_code"]) for record in ours)
    duplicates = sum(count - 1 for count in per_item.values())
    absorbed = sum(max(record["submissions"] - 1, 0) for record in ours)
    return duplicates, absorbed


async def add_records(stack: ChaosStack, outcome: Outcome, case_nos: set[str]) -> None:
    duplicates, absorbed = await department_records(stack, case_nos)
    outcome.add("duplicate department records", duplicates, duplicates == 0)
    outcome.add("repeats absorbed by departments", absorbed)


def cases_per_key(stack: ChaosStack, keys: list[str]) -> Counter[str]:
    """How many cases the projection holds for each Idempotency-Key (the citizen's own database rows)."""
    engine = create_sql_engine(stack.settings.projection_url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(ApplicationRequest.idempotency_key).where(
                    ApplicationRequest.owner == CITIZEN, col(ApplicationRequest.idempotency_key).in_(keys)
                )
            ).all()
    finally:
        engine.dispose()
    return Counter(rows)


def add_one_case_per_key(outcome: Outcome, stack: ChaosStack, keys: list[str], answered: dict[str, str]) -> None:
    per_key = cases_per_key(stack, keys)
    wrong = [key for key in keys if key in answered and per_key[key] != 1]
    outcome.add("keys answered", f"{len(answered)}/{len(keys)}", len(answered) == len(keys))
    outcome.add("keys with other than one case", len(wrong), not wrong)


async def configure(stack: ChaosStack, department: str, **behaviour: Any) -> None:
    async with stack.stubs() as stubs:
        current = (await stubs.get(f"/admin/{department}/config")).json()
        response = await stubs.put(f"/admin/{department}/config", json={**current, **behaviour})
        response.raise_for_status()


# --- worker SIGKILLs ----------------------------------------------------------------------------------


def worker_kills(bundles: int, kills: int, interval: float) -> Scenario:
    async def run(stack: ChaosStack, outcome: Outcome) -> None:
        body = newborn_body()
        case_nos = await submit_all(stack, [f"chaos-wk-{n}" for n in range(bundles)], body)
        restarts: list[float] = []
        health = f"http://{stack.settings.metrics_host}:{stack.settings.worker_health_port}/readyz"
        for _ in range(kills):
            await asyncio.sleep(interval)
            old = stack.kill("worker")
            began = time.monotonic()
            await stack.wait_restarted("worker", old)
            await stack.wait_serving(health, within=120)
            restarts.append(time.monotonic() - began)
        last_kill = time.monotonic()
        statuses, _ = await wait_finished(stack, case_nos, within=120 + bundles)
        recovered = time.monotonic() - last_kill
        outcome.add("worker SIGKILLs", kills)
        count_outcomes(outcome, case_nos, statuses)
        await add_records(stack, outcome, case_nos)
        outcome.add("seconds from the last kill to every case finished", f"{recovered:.1f}")
        mean_restart = f"{statistics.mean(restarts):.1f}" if restarts else "-"
        outcome.add("seconds until a killed worker polls again (mean)", mean_restart)

    return run


# --- Temporal dev server kills during acceptance ------------------------------------------------------


def temporal_kills(bundles: int, kills: int, within: float) -> Scenario:
    async def run(stack: ChaosStack, outcome: Outcome) -> None:
        body = newborn_body()
        keys = [f"chaos-tk-{n}" for n in range(bundles)]

        async def kill_repeatedly() -> None:
            gap = within / kills
            for _ in range(kills):
                old = stack.kill("temporal")
                await stack.wait_restarted("temporal", old)
                await asyncio.sleep(gap)

        async def staggered(api: httpx.AsyncClient, n: int) -> str | None:
            await asyncio.sleep(n * within / bundles)  # acceptances spread over the kills
            return await apply_until_answered(api, keys[n], body, give_up_after=60)

        async with stack.api() as citizen:
            killer = asyncio.create_task(kill_repeatedly())
            answers = await asyncio.gather(*(staggered(citizen, n) for n in range(bundles)))
            await killer
        answered = {key: case_no for key, case_no in zip(keys, answers, strict=True) if case_no}
        case_nos = set(answered.values())
        statuses, _ = await wait_finished(stack, case_nos, within=120 + bundles)
        outcome.add("Temporal kills", f"{kills} in {within:.0f} s")
        add_one_case_per_key(outcome, stack, keys, answered)
        count_outcomes(outcome, case_nos, statuses, label="accepted cases completed")

    return run


# --- API kills while clients retry their key ----------------------------------------------------------


def api_kills(keys_count: int, kills: int) -> Scenario:
    async def run(stack: ChaosStack, outcome: Outcome) -> None:
        body = newborn_body()
        keys = [f"chaos-ak-{n}" for n in range(keys_count)]
        killed = asyncio.Event()

        async def kill_repeatedly() -> None:
            for _ in range(kills):
                await asyncio.sleep(1.0)
                old = stack.kill("api")
                await stack.wait_restarted("api", old)
                await stack.wait_serving(f"{stack.settings.api_url}/healthz", within=120)
            killed.set()

        async def resend(api: httpx.AsyncClient, key: str) -> set[str]:
            """A client that keeps resending its key (it may have missed an answer) until the kills are over
            and it has been answered once since: the case numbers it was told."""
            told: set[str] = set()
            while True:
                answered_after_kills = False
                try:
                    response = await api.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})
                    if response.status_code in (200, 201):
                        told.add(response.json()["case_no"])
                        answered_after_kills = killed.is_set()
                except httpx.HTTPError:
                    pass
                if answered_after_kills:
                    return told
                await asyncio.sleep(1.0)

        async with stack.api(timeout=10) as citizen:
            killer = asyncio.create_task(kill_repeatedly())
            async with asyncio.timeout(300):
                told = await asyncio.gather(*(resend(citizen, key) for key in keys))
            await killer
        answered = {key: min(numbers) for key, numbers in zip(keys, told, strict=True) if numbers}
        contradicted = sum(len(numbers) > 1 for numbers in told)
        statuses, _ = await wait_finished(stack, set(answered.values()), within=120)
        outcome.add("API SIGKILLs", kills)
        add_one_case_per_key(outcome, stack, keys, answered)
        outcome.add("keys answered with more than one case number", contradicted, contradicted == 0)
        count_outcomes(outcome, set(answered.values()), statuses, label="accepted cases completed")

    return run


# --- a department outage ------------------------------------------------------------------------------


def department_outage(bundles: int, seconds: float, department: str = "health") -> Scenario:
    async def run(stack: ChaosStack, outcome: Outcome) -> None:
        begins = datetime.now(UTC)
        ends = begins + timedelta(seconds=seconds)
        await configure(stack, department, outages=[{"start": begins.isoformat(), "end": ends.isoformat()}])
        body = newborn_body()
        case_nos = await submit_all(stack, [f"chaos-out-{n}" for n in range(bundles)], body)
        statuses, _ = await wait_finished(stack, case_nos, within=seconds + 120 + bundles)
        lag = (datetime.now(UTC) - ends).total_seconds()
        await configure(stack, department, outages=[])
        outcome.add(f"{department} unavailable", f"{seconds:.0f} s")
        count_outcomes(outcome, case_nos, statuses)
        outcome.add("seconds from the outage's end to every case finished", f"{lag:.1f}")

    return run


# --- identical bursts with the worker stalled ---------------------------------------------------------


def stalled_burst(
    citizens: int, copies: int, decisions: int, answer_within: float = 10.0, healthz_within: float = 0.1
) -> Scenario:
    async def run(stack: ChaosStack, outcome: Outcome) -> None:
        body = newborn_body()
        # Cases waiting for a CDC clerk's decision: the stubs' auto-clerk (a task of the departments process)
        # would decide each within a second, so that process is frozen too until the burst is over. The other
        # departments' calls of these cases wait meanwhile (as in an outage) and go through once it resumes.
        with stack.stalled("departments"):
            async with stack.api(Role.STAFF, "chaos-cdc-clerk", answer_within, department="cdc") as staff:
                waiting = await submit_all(stack, [f"chaos-decide-{n}" for n in range(decisions)], body)
                queued = await wait_queued(staff, waiting, within=120 + decisions)
                outcome.add(
                    "cases waiting for a staff decision", f"{len(queued)}/{decisions}", len(queued) == decisions
                )
                with stack.stalled("worker"), Sampler(f"{stack.settings.api_url}/healthz", every=0.05) as health:
                    await asyncio.sleep(0.2)
                    scheduled_before = [stack.scheduled_ms("api", main) for main in (True, False)]
                    began = time.monotonic()
                    async with stack.api(timeout=answer_within) as citizen:

                        def apply(key: str) -> Callable[[], Awaitable[httpx.Response]]:
                            headers = {"Idempotency-Key": key}
                            return lambda: citizen.post("/api/v1/applications", json=body, headers=headers)

                        keys = [f"chaos-burst-{c}" for c in range(citizens) for _ in range(copies)]
                        applied, decided = await asyncio.gather(
                            asyncio.gather(*(timed(apply(key)) for key in keys)),
                            asyncio.gather(*(timed(approve_vaccination(staff, case_no)) for case_no in queued)),
                        )
                    burst_seconds = time.monotonic() - began
                    scheduled_after = [stack.scheduled_ms("api", main) for main in (True, False)]
                    await asyncio.sleep(1)
        within = f"{answer_within:.0f} s"
        for label, answers in (("applications", applied), ("staff decisions", decided)):
            unanswered = sum(answer.status is None for answer in answers)
            outcome.add(f"{label} unanswered within {within}", f"{unanswered}/{len(answers)}", unanswered == 0)
            # 503 with Retry-After is the answer for a case its worker cannot reach in time; any other 5xx is a fault.
            failed = sum(
                answer.status is not None and answer.status >= 500 and answer.status != 503 for answer in answers
            )
            outcome.add(f"{label} answered 5xx other than 503", failed, failed == 0)
            statuses = Counter(str(answer.status or "none") for answer in answers)
            outcome.add(f"{label} by status", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
        median, p99, slowest = latency_ms(health.answers)
        answered = sum(answer.status == 200 for answer in health.answers)
        sampled = len(health.answers)
        outcome.add("/healthz samples answered 200", f"{answered}/{sampled}", answered == sampled > 0)
        limit = f"{healthz_within * 1000:.0f} ms"
        outcome.add(f"/healthz max ms (bar {limit})", f"{slowest:.0f}", slowest <= healthz_within * 1000)
        outcome.add("/healthz p99 ms / median ms", f"{p99:.0f} / {median:.0f}")
        outcome.add("seconds until the whole burst was answered", f"{burst_seconds:.1f}")
        # How much of the burst's time the API was ready to run but had no CPU (the machine's other load).
        threads_measured = ("event-loop thread", "all threads")
        for threads, before, after in zip(threads_measured, scheduled_before, scheduled_after, strict=True):
            if before and after:
                ran, waited = after[0] - before[0], after[1] - before[1]
                outcome.add(f"API {threads}: ms on a CPU / runnable, waiting for one", f"{ran:.0f} / {waited:.0f}")

    return run


# --- bad-input probes over HTTP, each role --------------------------------------------------------------


def bad_input_probes() -> Scenario:
    """cli/bad_input.py's probes (the routers' tests send them in-process) against the running stack."""

    async def run(stack: ChaosStack, outcome: Outcome) -> None:
        async with httpx.AsyncClient(base_url=stack.settings.api_url, timeout=30, trust_env=False) as anonymous:
            document = (await anonymous.get("/openapi.json")).json()
        probes = ProbeRun(stack, outcome)
        try:
            for path, url in get_parameter_probes(document):
                await probes.send("GET parameters at their bounds", caller_for(path), "GET", url, route=path)
            for who, url in PAGE_PROBES:
                await probes.send("pages beyond their bounds", who, "GET", url)
            for who, url, fields in PAGE_POSTS:
                await probes.send("page forms with control characters", who, "POST", url, form=fields)
            for message_id in MESSAGE_IDS:
                for url in (f"/api/v1/messages/{message_id}/read", f"/inbox/{message_id}/read"):
                    await probes.send("message ids beyond 64 bits", CITIZEN_PROBER, "POST", url, form={})
            await send_bodies(probes, stack)
            for claims in CLAIMLESS.values():
                token = claimless_token(stack.settings.secret_key, claims)
                for method, path, url in api_operations(document):
                    body: dict[str, object] | None = {} if method == "post" else None
                    await probes.send("tokens without their claims", token, method.upper(), url, json=body, route=path)
        finally:
            await probes.aclose()
        probes.report()

    return run


CITIZEN_PROBER: Who = (Role.CITIZEN, CITIZEN, None)


async def send_bodies(probes: ProbeRun, stack: ChaosStack) -> None:
    """Bodies a JSON parser or the upload check must refuse, and a body over the size cap, to the application route.
    (The Idempotency-Key with control characters of test_bad_input.py is not among them: no HTTP client sends it.)"""
    json_type = {"Content-Type": "application/json"}
    route = "/api/v1/applications"
    for text, _, _ in MALFORMED_JSON:
        await probes.send("malformed JSON", CITIZEN_PROBER, "POST", route, content=text.encode(), headers=json_type)
    for raw in NOT_JSON.values():
        await probes.send("bodies that are not JSON", CITIZEN_PROBER, "POST", route, content=raw, headers=json_type)
    oversized = b" " * (stack.settings.max_body_bytes + 1)
    await probes.send("a body over the size cap", CITIZEN_PROBER, "POST", route, content=oversized, headers=json_type)
    for name, data in FORGED_UPLOADS.items():
        body = {**newborn_body(), "materials": {"newborn_photo": base64.b64encode(data).decode()}}
        headers = {"Idempotency-Key": f"chaos-forged-{name}"}
        await probes.send("forged uploads", CITIZEN_PROBER, "POST", route, json=body, headers=headers)


class ProbeRun:
    """Sends probes signed in as each caller (the API's bearer token and the pages' session cookie with its CSRF
    token), counts answers per group and keeps every 5xx with its route."""

    def __init__(self, stack: ChaosStack, outcome: Outcome) -> None:
        self._stack = stack
        self._outcome = outcome
        self._http = httpx.AsyncClient(base_url=stack.settings.api_url, timeout=30, trust_env=False)
        self.sent: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.unanswered: Counter[str] = Counter()

    async def send(
        self,
        group: str,
        who: Who | str,
        method: str,
        url: str,
        *,
        route: str | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **content: Any,
    ) -> None:
        """`who` is a caller (signed in with a token of their own) or a raw token to send as it is."""
        if isinstance(who, str):
            token = who
        else:
            role, subject, department = who
            token = self._stack.token(role, CITIZEN if role is Role.CITIZEN else subject, department)
        sent = {"Authorization": f"Bearer {token}", "Cookie": f"{SESSION_COOKIE}={token}", **(headers or {})}
        if form is not None:
            content["data"] = {CSRF_FIELD: csrf_token(self._stack.settings.secret_key, token), **form}
        self.sent[group] += 1
        try:
            response = await self._http.request(method, url, headers=sent, **content)
        except httpx.HTTPError as error:
            self.unanswered[group] += 1
            self._outcome.findings.append(f"{group}: no answer ({type(error).__name__}) {method} {route or url[:100]}")
            return
        if response.status_code >= 500:
            self.errors[group] += 1
            self._outcome.findings.append(f"{group}: {response.status_code} {method} {route or url[:100]}")

    def report(self) -> None:
        for group, count in self.sent.items():
            self._outcome.add(f"{group}: 5xx / probes", f"{self.errors[group]}/{count}", not self.errors[group])
        total, errors = sum(self.sent.values()), sum(self.errors.values())
        unanswered = sum(self.unanswered.values())
        self._outcome.add("probes answered 5xx, all groups", f"{errors}/{total}", errors == 0)
        self._outcome.add("probes unanswered", f"{unanswered}/{total}", unanswered == 0)

    async def aclose(self) -> None:
        await self._http.aclose()


# --- schemathesis over the OpenAPI, one run per role --------------------------------------------------


def schemathesis_roles(max_examples: int, max_seconds: int) -> Scenario:
    async def run(stack: ChaosStack, outcome: Outcome) -> None:
        roles = {
            "citizen": stack.token(Role.CITIZEN, CITIZEN),
            "staff": stack.token(Role.STAFF, "chaos-clerk", department="cdc"),
            "supervisor": stack.token(Role.SUPERVISOR, "chaos-supervisor"),
        }
        total = 0
        with tempfile.TemporaryDirectory(prefix="onething-schemathesis-") as tmp:
            for role, bearer in roles.items():
                report = Path(tmp) / f"{role}.xml"
                await asyncio.to_thread(run_schemathesis, stack, bearer, report, max_examples, max_seconds)
                failed, untested = read_report(report, stack.settings.api_url)
                total += len(failed)
                outcome.add(f"{role}: operations with a server error", len(failed), not failed)
                outcome.add(f"{role}: operations schemathesis could not test", len(untested))
                outcome.findings += [f"{role}: {finding}" for finding in failed]
                outcome.findings += [f"{role}, not tested: {finding}" for finding in untested]
        outcome.add("server errors found, all roles", total, total == 0)

    return run


def run_schemathesis(stack: ChaosStack, bearer: str, report: Path, max_examples: int, max_seconds: int) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        *("run", f"{stack.settings.api_url}/openapi.json"),
        *("--header", f"Authorization: Bearer {bearer}"),
        *("--checks", "not_a_server_error"),
        *("--max-examples", str(max_examples), "--max-time", str(max_seconds)),
        # One worker thread: with two, Python 3.11's `ast` parsing (Hypothesis describes its lambdas with it)
        # races between the threads and fails the operation as "AST constructor recursion depth mismatch"
        # (CPython gh-106905), which left routes untested in earlier runs.
        *("--phases", "examples,coverage,fuzzing", "--workers", "1", "--request-timeout", "20"),
        *("--report", "junit", "--report-junit-path", str(report)),
        "--generation-deterministic",
    ]
    # Its own exit code says only whether it found something; the report says what.
    quiet = subprocess.DEVNULL
    # Run in the report's temp folder: schemathesis keeps a `.schemathesis/` cache where it runs.
    subprocess.run(command, stdout=quiet, stderr=quiet, cwd=report.parent, timeout=max_seconds + 120, check=False)


def read_report(report: Path, api_url: str) -> tuple[list[str], list[str]]:
    """(server errors, operations schemathesis could not test), one line each naming the operation.

    A `failure` is a check that failed (with only `not_a_server_error` checked: a 5xx answer, shown with
    the request that got it); an `error` is schemathesis itself failing (a timeout, a schema it cannot use).
    """
    if not report.exists() or not report.stat().st_size:
        return [], ["no report: schemathesis did not finish"]
    server, untested = [], []
    # The report is a file schemathesis, started by us, just wrote in our own temp folder: not outside input.
    for case in ElementTree.parse(report).getroot().iter("testcase"):  # noqa: S314
        name = case.get("name")
        for failure in case.iter("failure"):
            lines = [line.strip() for line in (failure.text or "").splitlines() if line.strip()]
            status = next((line for line in lines if line.startswith("[5")), failure.get("message") or "failed")
            request = next((line for line in lines if line.startswith("curl ")), "")
            request = request.replace("-H 'Authorization: [Filtered]' ", "").replace(api_url, "")
            server.append(f"{name}: {status} {request}".strip())
            break
        for error in case.iter("error"):
            text = " ".join((error.text or error.get("message") or "error").split())
            untested.append(f"{name}: {text[:300]}")
            break
    return server, untested


# --- every finished history replays -------------------------------------------------------------------


def replay_histories() -> Scenario:
    async def run(stack: ChaosStack, outcome: Outcome) -> None:
        client = await stack.temporal()
        histories: list[WorkflowHistory] = []
        async for execution in client.list_workflows('ExecutionStatus != "Running"'):
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            histories.append(await handle.fetch_history())

        async def each() -> AsyncIterator[WorkflowHistory]:
            for history in histories:
                yield history

        replayer = Replayer(workflows=WORKFLOWS, data_converter=data_converter(stack.settings.codec_key))
        results = await replayer.replay_workflows(each(), raise_on_replay_failure=False)
        failed = len(results.replay_failures)
        outcome.add("finished histories replayed", f"{len(histories) - failed}/{len(histories)}", failed == 0)
        outcome.findings += [f"{run_id}: {error}" for run_id, error in results.replay_failures.items()]
        if results.replay_failures:
            kept = stack.data_dir / "replay-failures"
            kept.mkdir(exist_ok=True)
            for history in histories:
                if history.run_id in results.replay_failures:
                    # Payloads stay encrypted by the codec: the file carries no personal data in the clear.
                    (kept / f"{history.run_id}.json").write_text(history.to_json())
            outcome.findings.append(f"failing histories kept in {kept} (with --keep, after the run too)")
        # The same histories as a worker taking over a case rebuilds them (cli/merged_replay.py).
        merged = await replay_merged(histories, WORKFLOWS, data_converter(stack.settings.codec_key))
        outcome.add(
            "replayed with commandless tasks merged",
            f"{merged.histories - len(merged.failures)}/{merged.histories}",
            not merged.failures,
        )
        outcome.add("commandless tasks merged", merged.merged_tasks)
        outcome.findings += [f"{run_id} (merged): {error}" for run_id, error in merged.failures.items()]

    return run
