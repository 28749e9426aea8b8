"""Request ids on every line and in the response; no ID number in any line of a request that carried one."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from core.auth import Role
from core.logging import JsonFormatter
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi

ID_NO = "310104199001011234"  # the shape of a resident ID number: it must reach no log line


@contextmanager
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged meanwhile, at every level, as the production format writes it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


async def test_the_request_id_is_echoed_or_made(api: InProcessApi) -> None:
    async with api.client({}) as anyone:
        given = await anyone.get("/healthz", headers={"X-Request-ID": "lb-0123456789abcdef"})
        made = await anyone.get("/healthz")
        forged = await anyone.get("/healthz", headers={"X-Request-ID": 'x" "level": "ERROR'})
    assert given.headers["X-Request-ID"] == "lb-0123456789abcdef"
    assert len(made.headers["X-Request-ID"]) == 32
    assert forged.headers["X-Request-ID"] != 'x" "level": "ERROR'  # free text is never taken into the logs


async def test_no_log_line_of_a_request_with_an_id_number_contains_it(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    accepted = api.newborn(mother_id_no=ID_NO, father_id_no=ID_NO)
    refused = {**api.newborn(mother_id_no=ID_NO), "thing": "no-such-thing"}
    with json_lines() as out:
        async with api.as_user(Role.CITIZEN, "citizen-logs") as citizen:
            for body in (accepted, refused, {"form": {"id_no": ID_NO}}):
                await citizen.post("/api/v1/applications", json=body, headers={"X-Request-ID": "req-logs-0001"})
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines, "the requests logged nothing: this test would prove nothing"
    assert ID_NO not in out.getvalue()
    assert ID_NO[6:14] not in out.getvalue()  # nor its birth date part on its own
    assert all(line.get("request_id") == "req-logs-0001" for line in lines if line["logger"].startswith("onething"))
