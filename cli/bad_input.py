"""The bad-input probes of issue 11: values beyond every bound a client can reach, one list for both places that
send them. The routers' tests (tests/routers/test_openapi_boundaries.py, test_bad_input.py, test_uploads.py)
send them in-process and assert each refusal; the fault suite (`onething chaos`, scenario bad-input) sends
them over HTTP to a running stack and counts the 5xx. Only data and pure helpers live here, no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import jwt

from core.auth import ALGORITHM, Role
from core.bounds import LAST_DAY

Who = tuple[Role, str, str | None]
"""(role, subject, department or service point) of a caller."""

# Values just outside what a parameter of each kind can hold: far dates, integers beyond 64 bits, huge and
# control-character strings. Anything else (a valid value) is already exercised by the routers' own tests.
DATES = ["9999-12-31", "0001-01-01", "10000-01-01", "0000-00-00", "2026-02-30", "-0001-01-01"]
INTEGERS = [str(2**63), str(2**63 - 1), str(-(2**63) - 1), str(10**40), "-1", "0", "1e309", "NaN"]
STRINGS = ["x" * 5000, "\x00", "a\x00b", "\x1b[2J", "\u202e", "%", "..", " ", "9" * 40]
HUGE = str(2**63)
LONG = "x" * 5000

SUPERVISOR: Who = (Role.SUPERVISOR, "supervisor-1", None)
LEADER: Who = (Role.LEADER, "leader-1", None)
STAFF: Who = (Role.STAFF, "clerk-health", "health")
CLERK: Who = (Role.CLERK, "window-1", "xuhui-centre")
CITIZEN: Who = (Role.CITIZEN, "citizen-boundaries", None)
READER: Who = (Role.CITIZEN, "citizen-bad-pages", None)
WRITER: Who = (Role.CITIZEN, "citizen-bad-posts", None)
ROLE_BY_PREFIX = [
    ("/api/v1/supervision", SUPERVISOR),
    ("/api/v1/stats", LEADER),
    ("/api/v1/staff", STAFF),
    ("/api/v1/counter", CLERK),
]


def caller_for(path: str) -> Who:
    """A caller of a role that may use the route: a refusal for the role would hide a 500 behind a 403."""
    return next((who for prefix, who in ROLE_BY_PREFIX if path.startswith(prefix)), CITIZEN)


def parameter_values(schema: dict[str, Any]) -> list[str]:
    kinds = [schema, *schema.get("anyOf", [])]
    if any(kind.get("type") == "array" for kind in kinds):
        return parameter_values(next(kind["items"] for kind in kinds if kind.get("type") == "array"))
    if any(kind.get("format") == "date" for kind in kinds):
        return DATES + STRINGS[:2]
    if any(kind.get("type") == "integer" for kind in kinds):
        return INTEGERS + STRINGS[:2]
    return STRINGS + DATES[:2] + INTEGERS[:1]


def get_parameter_probes(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(path template, URL with one query or path parameter beyond its bounds) for every GET parameter of the
    OpenAPI document: walked, not listed by hand, so a route added tomorrow is probed the day it appears."""
    probes = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] not in ("query", "path"):
                continue
            for value in parameter_values(parameter.get("schema", {})):
                probes.append((path, filled(path, parameter["in"], parameter["name"], value)))
    return probes


def filled(path: str, where: str, name: str, value: str) -> str:
    url = path
    for segment in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        url = url.replace(f"{{{segment}}}", quote(value, safe="") if where == "path" and segment == name else "x")
    if where == "query":
        url += f"?{quote(name)}={quote(value, safe='')}"
    return url


def api_operations(document: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(method, path template, URL) of every signed-in /api/v1 operation, path parameters filled with `x`.
    Callbacks, licence checks and material downloads take no sign-in: a signature or code is the key."""
    public = ("/api/v1/callbacks", "/api/v1/verify", "/api/v1/department-materials")
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/") or path.startswith(public):
            continue
        url = path.replace("{verdict}", "confirm")
        for segment in [part for part in url.split("/") if part.startswith("{")]:
            url = url.replace(segment, "x")
        for method in operations:
            yield method, path, url


# Page URLs with a value beyond their bounds, and who may open each page.
PAGE_PROBES: list[tuple[Who, str]] = [
    (SUPERVISOR, f"/supervision?since=0001-01-01&until={LAST_DAY}"),
    (SUPERVISOR, "/supervision?until=9999-12-31"),
    (SUPERVISOR, "/supervision/live?since=0001-01-01"),
    (SUPERVISOR, "/supervision/live?until=9999-12-31"),
    (SUPERVISOR, f"/supervision/items?department={LONG}"),
    (SUPERVISOR, "/supervision/items?thing=a%00b"),
    (SUPERVISOR, f"/supervision/cases/{LONG}"),
    (LEADER, "/stats?from=0001-01-01&to=9999-12-31"),
    (STAFF, f"/staff?done={LONG}"),
    (STAFF, f"/staff/items/{LONG}/birth_certificate"),
    (READER, f"/things/newborn/apply?item={LONG}"),
    (READER, f"/cases/{LONG}"),
    (READER, "/cases/a%00b"),
    (READER, f"/verify/{LONG}"),
    (READER, f"/prefs/lang/en?next={'/' * 3000}"),
    (CLERK, f"/counter/visits/{LONG}"),
]

# Pages that read their form by hand: (who, URL, posted fields besides the CSRF token).
PAGE_POSTS: list[tuple[Who, str, dict[str, str]]] = [
    (STAFF, "/staff/items/X/birth_certificate/decision", {"decision": "approve", "output.birth_cert_no": "A\x00B"}),
    (STAFF, "/staff/items/X/birth_certificate/decision", {"decision": "reject", "reason": "no\x1b[2Jthing"}),
    (SUPERVISOR, "/supervision/cases/X/items/birth_certificate/escalate", {"note": "催\u202e办"}),
    (WRITER, "/cases/X/rectifications/health", {"verdict": "contest", "note": "a\x00"}),
    (WRITER, "/cases/X/supplement", {"item_code": "a\x00", "note": "ok"}),
]

MESSAGE_IDS = [HUGE, "0", f"-{HUGE}1"]
"""Message ids beyond 64 bits or below 1: `POST /api/v1/messages/{id}/read` and `/inbox/{id}/read`."""

# JSON bodies broken where a parser reports it: (body, line, column of the fault).
MALFORMED_JSON = [
    ('{"thing": "newborn",\n  "form": {\n    "child_name": "小明",,\n  }\n}', 3, 24),
    ("{", 1, 2),
    ('{"a": 1}\n\n   x', 3, 4),
]
NOT_JSON = {
    "not-utf8": b"\xff\xfe{not utf-8",
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
    "huge-float": b'{"thing": "newborn", "form": 1e999999}',
    "integer-of-5000-digits": b'{"thing": "newborn", "form": {}, "answers": {"a": 1' + b"1" * 5000 + b"}}",
    "nul": b"\x00",
}
BAD_IDEMPOTENCY_KEY = "key\x7f\x1b[2J"

# Uploads whose first bytes claim an accepted format and whose rest is something else (HTML a browser would run).
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
FORGED_UPLOADS = {
    "png-header-then-html": b"\x89PNG\r\n\x1a\n" + HTML,
    "jpeg-header-then-html": b"\xff\xd8\xff\xe0" + HTML,
    "pdf-header-then-html": b"%PDF-1.7\n" + HTML + b"\n%%EOF\n",
    "html": HTML,
    "empty": b"",
}

# Signed tokens lacking a claim their role needs, or carrying one no role may have.
CLAIMLESS: dict[str, dict[str, object]] = {
    "staff-without-department": {"sub": "clerk-nodept", "role": "staff"},
    "clerk-without-service-point": {"sub": "window-nopoint", "role": "clerk"},
    "staff-with-empty-department": {"sub": "clerk-empty", "role": "staff", "dept": ""},
    "staff-with-nul-department": {"sub": "clerk-nul", "role": "staff", "dept": "health\x00"},
    "subject-with-nul": {"sub": "citizen\x00x", "role": "citizen"},
    "overlong-subject": {"sub": "c" * 500, "role": "citizen"},
}


def claimless_token(secret_key: str, claims: dict[str, object]) -> str:
    """A token signed with the right key, valid for ten minutes, carrying only `claims` (core.auth's names)."""
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 600, "src": "demo", **claims}, secret_key, ALGORITHM)
