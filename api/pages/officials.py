"""Officials (department staff, supervisors, leaders): their demo accounts and the page guard.

Officials sign in through the identity provider like everyone (api/pages/signin.py); the embedded demo
provider offers these demo accounts, their role and department carried in its signed claims.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from api.pages.rendering import Page, PageDep, SignInRequiredError, check_form_csrf, current_url
from core.auth import Role
from one_things.catalog import Catalog
from one_things.schema import Names

OFFICIAL_SIGNIN = "/signin/official"
HOME_BY_ROLE = {Role.SUPERVISOR: "/supervision", Role.LEADER: "/stats", Role.STAFF: "/staff", Role.CLERK: "/counter"}
SERVICE_POINTS = {
    "xuhui-centre": Names(zh="徐汇区行政服务中心", en="Xuhui District service centre"),
    "pudong-centre": Names(zh="浦东新区市民中心", en="Pudong New Area citizen centre"),
}
"""The demo service points with a comprehensive window (综合窗口): every counter accepts every one-thing."""


@dataclass(frozen=True)
class DemoOfficial:
    role: Role
    subject: str
    department: str | None
    label: Names


def demo_officials(catalog: Catalog) -> list[DemoOfficial]:
    """A supervisor, a leader, a window clerk per service point and one staff member per department that any
    catalogue entry names."""
    officials = [
        DemoOfficial(Role.SUPERVISOR, "supervisor-1", None, Names(zh="效能监督 · 督查员", en="Supervisor")),
        DemoOfficial(Role.LEADER, "leader-1", None, Names(zh="分管领导", en="Leader")),
    ]
    for point, names in SERVICE_POINTS.items():
        label = Names(zh=f"{names.zh} · 综合窗口", en=f"{names.en} · counter clerk")
        officials.append(DemoOfficial(Role.CLERK, f"counter-{point.removesuffix('-centre')}", point, label))
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
