"""Pages for officials (department staff, supervisors, leaders): their demo sign-in and the page guard.

The embedded stack signs officials in by picking a demo account, as it does for residents; production
signs them in through the government's identity service, so the picker answers only in development.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import CatalogDep, SettingsDep
from api.pages.public import local_path
from api.pages.rendering import Page, PageDep, SignInRequiredError, check_form_csrf, current_url
from api.sessions import start_session
from core.auth import Principal, Role, issue_token
from one_things.catalog import Catalog
from one_things.schema import Names

router = APIRouter(include_in_schema=False)
OFFICIAL_SIGNIN = "/signin/official"
HOME_BY_ROLE = {Role.SUPERVISOR: "/supervision", Role.LEADER: "/stats", Role.STAFF: "/staff"}


@dataclass(frozen=True)
class DemoOfficial:
    role: Role
    subject: str
    department: str | None
    label: Names


def demo_officials(catalog: Catalog) -> list[DemoOfficial]:
    """A supervisor, a leader and one clerk per department that any catalogue entry names."""
    officials = [
        DemoOfficial(Role.SUPERVISOR, "supervisor-1", None, Names(zh="效能监督 · 督查员", en="Supervisor")),
        DemoOfficial(Role.LEADER, "leader-1", None, Names(zh="分管领导", en="Leader")),
    ]
    departments: dict[str, Names] = {}
    for thing in catalog.all():
        for department in thing.departments:
            departments.setdefault(department.code, department.name)
    for code, name in sorted(departments.items()):
        label = Names(zh=f"{name.zh} · 窗口工作人员", en=f"{name.en} · staff")
        officials.append(DemoOfficial(Role.STAFF, f"clerk-{code}", code, label))
    return officials


def official_page(*roles: Role) -> Callable[[Page], Awaitable[Page]]:
    """A dependency for a page only officials in `roles` may see; others are sent to the sign-in."""

    async def check(page: PageDep) -> Page:
        if page.principal is None or page.principal.role not in roles:
            raise SignInRequiredError(current_url(page), signin_path=OFFICIAL_SIGNIN)
        await check_form_csrf(page)
        return page

    return check


@router.get(OFFICIAL_SIGNIN, response_class=HTMLResponse)
def signin_page(page: PageDep, catalog: CatalogDep, next: str = "") -> Response:
    return page.render("signin_official.html", officials=demo_officials(catalog), next_url=local_path(next or "/"))


@router.post(OFFICIAL_SIGNIN)
def signin(
    settings: SettingsDep,
    catalog: CatalogDep,
    subject: Annotated[str, Form(max_length=128)],
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    official = next((o for o in demo_officials(catalog) if o.subject == subject), None)
    if settings.environment != "development" or official is None:
        return RedirectResponse(OFFICIAL_SIGNIN, status_code=303)
    principal = Principal(role=official.role, subject=official.subject, department=official.department)
    token = issue_token(settings.secret_key, principal)
    target = local_path(next_url) if next_url and next_url != "/" else HOME_BY_ROLE[official.role]
    response = RedirectResponse(target, status_code=303)
    start_session(response, token, secure=False)  # the embedded stack serves plain HTTP on localhost
    return response
