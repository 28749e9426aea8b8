"""One language per page: every HTML page of the app, its error pages and its form errors, rendered in Chinese and
in English over HTTP (httpx against the real app in-process), carry no words of the other script.

The pages are enumerated from the app itself (every GET route outside the JSON API and the programs' endpoints),
each requested by a caller its access rule allows (tests/routers/access_rules.py), so a new page is swept the day
it is added; every catalogue definition's notice and form is rendered too, since their words come from the files.

Data is told from the page's own words this way: every catalogue definition carries both names (the schema
requires zh and en), so a catalogue text in the wrong script on a page is a page bug, not data. What people and
registers wrote (residents' and enterprises' names and addresses, text a test typed) is data in whatever script
it was written in: those exact strings are read from the database and the test's inputs and removed before the
check. What remains of the other script must be on the short allow-lists below, each entry with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlmodel import Session, select

from api.sessions import CSRF_FIELD, SESSION_COOKIE, csrf_token
from core.auth import Principal, Role, issue_token
from core.privacy import mask_name
from persistence.enterprises import Enterprise
from persistence.register import Resident
from tests.routers import access_rules as r
from tests.routers.matrix_callers import OwnerObjects, owner_objects
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi
from tests.support.people import register_parents
from tests.support.sessions import session_of
from workflows.contracts import CaseStatus, Holder, ItemStatus

LATIN_ALLOWED_ON_ZH = frozenset(
    {
        "English",  # the language switch names the other language in that language
        "PDF",  # file formats and units as printed on the uploads' hints
        "JPG",
        "JPEG",
        "PNG",
        "MB",
        "KB",
        "CSV",  # the export's format
        "Temporal",  # the workflow engine's product name on the supervisor's link to it
        "JSON",  # the format of the supervisor's download of the access log
        "ISO",  # ISO weeks (ISO 8601), the standard the statistics' weeks follow
    }
)
CJK_ALLOWED_ON_EN = frozenset({"中文"})  # the language switch names the other language in that language
# A Latin word: letters only, not part of a code or number (case numbers 20261122-8NN33MT6, licence numbers YM0001).
LATIN_WORD = re.compile(r"(?<![\w./@-])[A-Za-z]{2,}(?![\w./@-])")
# A code shown where a name belongs (an item, field or key such as birth_certificate), in either language.
SNAKE_CODE = re.compile(r"(?<![\w./@-])[a-z]+(?:_[a-z0-9]+)+(?![\w./@-])")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
# Not pages: programs' endpoints, documentation of the JSON API, the sign-in's machine legs, static files.
NOT_PAGES = (
    "/api/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/contracts/",
    "/static",
    "/demo-idp/.well-known",
    "/demo-idp/jwks",
    "/demo-idp/token",
    "/demo-idp/logout",
    "/auth/callback",
    "/staff/items/{case_no}/{item_code}/materials/{material}",  # the uploaded file itself, not a page
)
OWNER = "citizen-language-owner"
STAFF_ITEM = "vaccination_certificate"  # handled in the platform's own module: its clerk's workbench is a page
CLERK, POINT = "counter-language", "xuhui-centre"
DEPARTMENT_SAID = "请补充出生医院"  # a department's reason for a correction: data, in the department's words
SECOND_CHILD = "王小二"
TYPED = (DEPARTMENT_SAID, "please add the hospital", SECOND_CHILD)  # what the test's own people wrote: data
# Refusals say the rule itself in the page's language, not only a sentence for the kind of error.
SAID = {
    "form values refused": {
        "zh": ("最多 30 个字", "请从列表中选择一项", "不是有效的日期", "必填,请填写", "请上传这份材料"),
        "en": ("at most 30 characters", "choose one of the listed options", "not a calendar date", "please upload"),
    },
    "correction refused": {
        "zh": ("新生儿出生日期: 请按 年-月-日 填写日期",),
        "en": ("write the date as year-month-day",),
    },
}


class _VisibleText(HTMLParser):
    """What a person reads: text outside scripts and styles, and the attributes read aloud or shown on hover.

    Text marked as code (`<code>`, e.g. a CSV column's name in the figures' definitions) is an identifier the
    reader types or finds in a file, the same in both languages: it is left out."""

    READ_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "code"}:
            self._hidden += 1
        self.parts.extend(value for name, value in attrs if name in self.READ_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "code"}:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def foreign_words(text: str, lang: str, data: list[str]) -> list[str]:
    for value in sorted(data, key=len, reverse=True):  # the longest first: a name inside an address
        text = text.replace(value, " ")
    codes = set(SNAKE_CODE.findall(text))
    if lang == "zh":
        return sorted(codes | {word for word in LATIN_WORD.findall(text) if word not in LATIN_ALLOWED_ON_ZH})
    return sorted(codes | {run for run in CJK_RUN.findall(text) if run not in CJK_ALLOWED_ON_EN})


def people_data(api: InProcessApi) -> list[str]:
    """What registers hold and applicants typed, as written and as masked on pages (core/privacy.py)."""
    with Session(api.engine) as session:
        residents = session.exec(select(Resident)).all()
        enterprises = session.exec(select(Enterprise)).all()
    values = [v for p in residents for v in (p.name, p.hukou_address, p.province, p.district)]
    values += [v for e in enterprises for v in (e.name, e.legal_representative, e.address, e.district)]
    values += [str(v) for v in api.newborn()["form"].values()] + list(TYPED)
    return [shown for value in values if value for shown in (value, mask_name(value))]


@dataclass(frozen=True)
class Person:
    principal: Principal | None

    def client(self, api: InProcessApi, lang: str) -> httpx.AsyncClient:
        cookies = {"onething_lang": lang}
        if self.principal is not None:
            cookies[SESSION_COOKIE] = session_of(api, self.principal)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url="http://api", cookies=cookies)

    def csrf(self, api: InProcessApi) -> dict[str, str]:
        assert self.principal is not None
        token = session_of(api, self.principal)
        return {CSRF_FIELD: csrf_token(api.settings.secret_key, token)}


ANONYMOUS = Person(None)
CITIZEN = Person(Principal(role=Role.CITIZEN, subject=OWNER))
ENTERPRISE = Person(Principal(role=Role.CITIZEN, subject="demo-enterprise-1"))
ITEM_STAFF = Person(Principal(role=Role.STAFF, subject="clerk-language", department="cdc"))
SUPERVISOR = Person(Principal(role=Role.SUPERVISOR, subject="supervisor-language"))
LEADER = Person(Principal(role=Role.LEADER, subject="leader-language"))
COUNTER_CLERK = Person(Principal(role=Role.CLERK, subject=CLERK, department=POINT))


def person_for(rule: r.Rule) -> Person:
    """Someone the route's access rule lets past its checks on the owner's objects."""
    if rule == r.PUBLIC:
        return ANONYMOUS
    assert isinstance(rule, frozenset), rule
    for name, person in (
        (r.OWNER, CITIZEN),
        (r.STAFF_OF_ITEM, ITEM_STAFF),
        (r.SUPERVISOR, SUPERVISOR),
        (r.LEADER, LEADER),
        (r.CLERK, COUNTER_CLERK),
    ):
        if name in rule:
            return person
    raise AssertionError(f"no caller for {rule}")


@dataclass(frozen=True)
class Rendering:
    what: str
    person: Person
    method: str = "GET"
    path: str = ""
    form: tuple[tuple[str, str], ...] = ()


async def counter_objects(api: InProcessApi, clerk: httpx.AsyncClient) -> tuple[str, str]:
    """A visit with consent and a case filed in it: the counter's pages are the opening clerk's alone."""
    citizen = "citizen-language-counter"
    register_parents(api.engine, citizen)
    with Session(api.engine) as session:
        resident = session.get(Resident, citizen)
        assert resident is not None
        identity = {"id_no": resident.id_no, "name": resident.name}
    visit = (await clerk.post("/api/v1/counter/verifications", json=identity)).json()["id"]
    await clerk.post(f"/api/v1/counter/verifications/{visit}/consent", json={"agreed": True})
    filed = await clerk.post("/api/v1/counter/applications", json={**api.newborn(), "visit": visit})
    assert filed.status_code == 201, filed.text
    return visit, filed.json()["case_no"]


def page_routes(api: InProcessApi) -> list[str]:
    paths = set()
    for route in iter_route_contexts(api.app.routes):
        path = str(route.path_format)
        if "GET" in (getattr(route, "methods", None) or ()) and not path.startswith(NOT_PAGES):
            paths.add(path)
    return sorted(paths)


def default_answers(api: InProcessApi, code: str) -> str:
    thing = api.catalog.get(code)
    return "&".join(f"{q.code}={q.default or q.options[0].value}" for q in thing.questions)


def renderings(api: InProcessApi, objects: OwnerObjects, visit: str, counter_case: str) -> Iterator[Rendering]:
    values = {
        "code": "newborn",
        "case_no": objects.case_no,
        "item_code": STAFF_ITEM,
        "visit": visit,
        "name": "elder",
        "value": "1",
    }
    for path in page_routes(api):
        rule = r.RULES[("GET", path)]
        filled = path.format(**values)
        if path == "/verify/{code}":
            filled = f"/verify/{objects.verification_code}"
            yield Rendering("unknown licence", ANONYMOUS, path="/verify/NO-SUCH-CODE")
        if path == "/counter/receipts/{case_no}":
            filled = path.format(case_no=counter_case)
        yield Rendering(path, person_for(rule), path=filled)
    for thing in api.catalog.all():
        applicant = ENTERPRISE if thing.applicant == "legal_person" else CITIZEN
        answers = default_answers(api, thing.code)
        yield Rendering(f"notice {thing.code}", ANONYMOUS, path=f"/things/{thing.code}?{answers}")
        yield Rendering(f"form {thing.code}", applicant, path=f"/things/{thing.code}/apply?{answers}")
        yield Rendering(
            f"form errors {thing.code}",
            applicant,
            "POST",
            f"/things/{thing.code}/apply",
            tuple((f"answer.{a.split('=')[0]}", a.split("=")[1]) for a in answers.split("&") if a),
        )
    yield from error_renderings(objects)


def error_renderings(objects: OwnerObjects) -> Iterator[Rendering]:
    """Refusals, error pages and notices after an action (flash-like messages in the query)."""
    case = objects.case_no
    newborn = (("answer.born_in_city", "yes"), ("answer.hukou_location", "this_district"))
    bad_values = (
        ("field.newborn_birth_date", "2020-13-45"),
        ("field.newborn_sex", "是"),
        ("field.newborn_name", "x" * 40),
    )
    yield Rendering("form values refused", CITIZEN, "POST", "/things/newborn/apply", newborn + bad_values)
    yield Rendering("page not found", ANONYMOUS, path="/things/no_such_thing")
    yield Rendering("unknown address", ANONYMOUS, path="/no-such-page")
    yield Rendering("sign-in expired", ANONYMOUS, path="/auth/callback?state=s&code=c")
    yield Rendering("query refused", SUPERVISOR, path="/supervision/items?light=purple")
    yield Rendering("drill-down", SUPERVISOR, path="/supervision/items?light=green&light=yellow&department=cdc")
    yield Rendering("acting for", CITIZEN, path=f"/cases?for={OWNER}")
    yield Rendering("escalated notice", SUPERVISOR, path=f"/supervision/cases/{case}?escalated={STAFF_ITEM}")
    yield Rendering("decided notice", ITEM_STAFF, path=f"/staff?done={case}")
    yield Rendering("case not found", CITIZEN, path="/cases/20260101-AAAAAAAA")
    yield Rendering("stats bad date", LEADER, path="/stats?from=2026-02-31&to=1999-01-01")
    yield Rendering("csrf expired", CITIZEN, "POST", f"/cases/{case}/withdraw", (("confirm", "yes"),))
    yield Rendering("withdraw unconfirmed", CITIZEN, "POST", f"/cases/{case}/withdraw")
    yield Rendering("rating incomplete", CITIZEN, "POST", f"/cases/{case}/rating", (("comment", TYPED[0]),))
    yield Rendering(
        "correction refused",
        CITIZEN,
        "POST",
        f"/cases/{case}/supplement",
        (("item_code", "birth_certificate"), ("field.newborn_birth_date", "tomorrow")),
    )
    yield Rendering("control character", CITIZEN, "POST", f"/cases/{case}/supplement", (("note", "a\x07b"),))
    yield Rendering(
        "decision without reason",
        ITEM_STAFF,
        "POST",
        f"/staff/items/{case}/{STAFF_ITEM}/decision",
        (("decision", "reject"),),
    )
    yield Rendering(
        "choice refused", ITEM_STAFF, "POST", f"/staff/items/{case}/{STAFF_ITEM}/decision", (("decision", "maybe"),)
    )
    yield Rendering("identity mismatch", COUNTER_CLERK, "POST", "/counter/verify", (("id_no", "1234"), ("name", "x")))
    yield Rendering(
        "escalation without note", SUPERVISOR, "POST", f"/supervision/cases/{case}/items/{STAFF_ITEM}/escalate"
    )


async def render(api: InProcessApi, rendering: Rendering, lang: str) -> httpx.Response:
    async with rendering.person.client(api, lang) as client:
        if rendering.method == "GET":
            return await client.get(rendering.path, follow_redirects=True)
        form = dict(rendering.form)
        if rendering.what != "csrf expired" and rendering.person.principal is not None:
            form |= rendering.person.csrf(api)
        return await client.post(rendering.path, data=form, follow_redirects=True)


@pytest.fixture
async def owner(api: InProcessApi, gateway: FakeCaseGateway) -> OwnerObjects:
    objects = await owner_objects(api, OWNER)
    # The case page in its other states: a correction asked of the citizen, and a case done (the rating form).
    asked = {"status": ItemStatus.WAITING_CITIZEN, "holder": Holder.CITIZEN, "round": 1, "reason": DEPARTMENT_SAID}
    await gateway.put(objects.case_no, "birth_certificate", **asked)
    return objects


async def done_case(api: InProcessApi, gateway: FakeCaseGateway) -> str:
    case_no = await api.submit(OWNER, newborn_name=SECOND_CHILD)  # another child: another application
    for item in gateway.states[case_no].items:
        output = {code: f"NO-{index}" for index, code in enumerate(api.catalog.get("newborn").item(item.code).outputs)}
        done = {"status": ItemStatus.COMPLETED, "holder": None, "output": output, "finished_at": gateway.now()}
        await gateway.put(case_no, item.code, **done)
    await gateway.put(case_no, status=CaseStatus.COMPLETED)
    return case_no


async def test_every_page_and_error_speaks_one_language(
    api: InProcessApi, gateway: FakeCaseGateway, owner: OwnerObjects
) -> None:
    async with COUNTER_CLERK.client(api, "zh") as clerk:
        clerk.headers["Authorization"] = "Bearer " + issue_token(api.settings.secret_key, COUNTER_CLERK.principal)  # type: ignore[arg-type]
        visit, counter_case = await counter_objects(api, clerk)
    done = await done_case(api, gateway)
    data = people_data(api)
    leaks, swept, not_pages = [], 0, []
    extra = (
        Rendering("case done", CITIZEN, path=f"/cases/{done}"),
        Rendering("case done, supervised", SUPERVISOR, path=f"/supervision/cases/{done}"),
        Rendering(
            "counter form errors",
            COUNTER_CLERK,
            "POST",
            f"/counter/visits/{visit}/things/newborn",
            (("answer.born_in_city", "yes"), ("answer.hukou_location", "this_district"), ("field.newborn_sex", "x")),
        ),
    )
    for rendering in (*renderings(api, owner, visit, counter_case), *extra):
        for lang in ("zh", "en"):
            response = await render(api, rendering, lang)
            if "text/html" not in response.headers.get("content-type", ""):
                not_pages.append(f"{rendering.what} [{lang}]: {response.status_code} {response.text[:200]}")
                continue
            swept += 1
            shown = " ".join(visible_text(response.text).split())
            leaks += [
                f"{rendering.what} [{lang}] does not say: {said}"
                for said in SAID.get(rendering.what, {}).get(lang, ())
                if said not in shown
            ]
            words = foreign_words(shown, lang, data)
            if words:
                leaks.append(f"{rendering.what} [{lang}, {response.status_code}]: {' | '.join(words)}")
    print(f"swept {swept} renderings")
    assert not_pages == [], "\n".join(not_pages)
    assert leaks == [], "\n".join(leaks)
    assert swept >= 2 * (len(page_routes(api)) + 3 * len(list(api.catalog.all())))
