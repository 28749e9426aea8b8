"""Two one-things with an item of one code (newborn's and employee hiring's social_security_card): the supervision
board shows each under its own one-thing's name, with its own figures, and drills down to its own cases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from core.auth import Role
from one_things.catalog import load_catalog
from one_things.schema import IntegrationMode
from persistence.cases import project_case
from tests.routers.test_data_access import browser
from tests.support.inprocess import InProcessApi, in_process_api
from workflows.contracts import CaseState, CaseStatus, ItemState, ItemStatus

CARD = "social_security_card"
NOW = datetime.now(UTC)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[InProcessApi]:
    # A database of its own: the board counts every case there is.
    async with in_process_api(tmp_path) as running:
        yield running


def card_case(case_no: str, thing: str, *, finished: bool, late: bool) -> CaseState:
    started = NOW - timedelta(days=10)
    due = NOW - timedelta(days=1) if late else NOW + timedelta(days=5)
    item = ItemState(
        code=CARD,
        department="human_resources",
        mode=IntegrationMode.STANDARD_MODULE,
        promised_days=5,
        status=ItemStatus.COMPLETED if finished else ItemStatus.RUNNING,
        started_at=started,
        finished_at=NOW - timedelta(hours=1) if finished else None,
        due_at=due,
        statutory_due_at=due,
        yellow_at=due - timedelta(days=1),
    )
    version = load_catalog().get(thing).version
    return CaseState(
        case_no=case_no,
        thing=thing,
        version=version,
        owner=f"owner-{case_no}",
        accepted_at=started,
        status=CaseStatus.RUNNING,
        items=[item],
        seq=1,
    )


def rows(page: str, table: str) -> dict[str, str]:
    """thing -> the row's text in one of the board's tables, for the social security card rows."""
    body = page.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    found = re.findall(rf'<tr data-key="{CARD}" data-thing="(\w+)">(.*?)</tr>', body, re.S)
    return {thing: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip() for thing, text in found}


async def test_items_sharing_a_code_show_their_own_names_and_separate_figures(api: InProcessApi) -> None:
    catalog = load_catalog()
    newborn_name = catalog.get("newborn").item(CARD).name.zh
    hiring_name = catalog.get("employee_hiring").item(CARD).name.zh
    assert newborn_name != hiring_name  # the premise: one code, two items
    with Session(api.engine) as session:
        for state in (
            card_case("NB-OPEN", "newborn", finished=False, late=False),
            card_case("NB-DONE", "newborn", finished=True, late=False),
            card_case("EH-OPEN", "employee_hiring", finished=False, late=True),
            card_case("EH-DONE", "employee_hiring", finished=True, late=True),
            card_case("EH-DONE2", "employee_hiring", finished=True, late=True),
        ):
            project_case(session, state=state, now=NOW)
        session.commit()

    async with api.as_user(Role.SUPERVISOR, "supervisor-items") as supervisor:
        board = (await supervisor.get("/api/v1/supervision/board")).json()
    lights = {(row["thing"], row["key"]): row for row in board["item_lights"]["item"]}
    assert (lights[("newborn", CARD)]["green"], lights[("newborn", CARD)]["red"]) == (1, 0)
    assert (lights[("employee_hiring", CARD)]["green"], lights[("employee_hiring", CARD)]["red"]) == (0, 1)
    decided = {(row["thing"], row["key"]): row for row in board["performance"]["item"]}
    assert (decided[("newborn", CARD)]["finished"], decided[("newborn", CARD)]["on_time"]) == (1, 1)
    assert (decided[("employee_hiring", CARD)]["finished"], decided[("employee_hiring", CARD)]["on_time"]) == (2, 0)

    async with browser(api, Role.SUPERVISOR, "supervisor-items") as page:
        shown = (await page.get("/supervision")).text
        lit, performed = rows(shown, "lights-item"), rows(shown, "performance-item")
        assert lit["newborn"].startswith(newborn_name)
        assert lit["employee_hiring"].startswith(hiring_name)
        assert performed["newborn"].startswith(f"{newborn_name} 1 100.0%")
        assert performed["employee_hiring"].startswith(f"{hiring_name} 2 0.0%")
        red = f"/supervision/items?light=red&item={CARD}&thing=employee_hiring"
        assert f'href="{red}"' in shown
        drilled = (await page.get(red)).text
        assert 'data-case="EH-OPEN"' in drilled
        assert "NB-OPEN" not in drilled
        assert hiring_name in drilled
