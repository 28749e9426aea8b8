"""Figures a leader and a supervisor can trust: materials the citizens really sent through the API, simulated
cases left out unless asked for, days compared in one unit, lights judged when the board is read, and every
figure linked to its definition. Each test has its own database, so the figures are exactly its cases'.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from api.pages.figures import SOURCES
from api.pages.rendering import LANG_COOKIE
from api.sessions import SESSION_COOKIE
from core.auth import Principal, Role, issue_token
from core.calendar import TZ, is_working_day
from persistence.cases import CaseFigures, project_case
from persistence.register import get_resident
from tests.support.inprocess import InProcessApi, in_process_api
from tests.support.people import register_parents
from workflows.contracts import CaseStatus, ItemStatus, Light

THING = "newborn"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[InProcessApi]:
    async with in_process_api(tmp_path) as running:
        yield running


async def complete(api: InProcessApi, case_no: str, finished_at: datetime | None = None) -> None:
    """What the workflow writes when the last item is done (here the birth certificate's decision stands for
    every item's: it is counted in the supervisors' decided figures)."""
    done = finished_at or datetime.now(UTC)
    await api.gateway.put(case_no, "birth_certificate", status=ItemStatus.COMPLETED, finished_at=done)
    await api.gateway.put(case_no, status=CaseStatus.COMPLETED, finished_at=done)


def official_browser(api: InProcessApi, role: Role, lang: str = "zh") -> httpx.AsyncClient:
    """A page client with an official's session cookie, in `lang`."""
    token = issue_token(api.settings.secret_key, Principal(role=role, subject=f"{role.value}-figures"))
    return api.client({"Cookie": f"{SESSION_COOKIE}={token}; {LANG_COOKIE}={lang}"})


async def file_at_counter(api: InProcessApi, clerk: httpx.AsyncClient, citizen: str) -> str:
    register_parents(api.engine, citizen)
    with Session(api.engine) as session:
        resident = get_resident(session, subject=citizen)
    assert resident is not None
    verified = await clerk.post("/api/v1/counter/verifications", json={"id_no": resident.id_no, "name": resident.name})
    visit = verified.json()["id"]
    await clerk.post(f"/api/v1/counter/verifications/{visit}/consent", json={"agreed": True})
    filed = await clerk.post("/api/v1/counter/applications", json={**api.newborn(), "visit": visit})
    assert filed.status_code == 201, filed.text
    case_no: str = filed.json()["case_no"]
    return case_no


async def newborn_row(api: InProcessApi, **params: str) -> dict:  # type: ignore[type-arg]
    async with api.as_user(Role.LEADER, "leader-figures") as leader:
        response = await leader.get("/api/v1/stats/things", params=params)
    assert response.status_code == 200, response.text
    [row] = [thing for thing in response.json()["things"] if thing["thing"] == THING]
    return row  # type: ignore[no-any-return]


async def test_materials_sent_through_the_api_are_what_stats_shows(api: InProcessApi) -> None:
    # Only the JSON API: the newborn's photo travels base64 in the application body, as `onething example` makes it.
    for subject in ("citizen-api-1", "citizen-api-2"):
        await complete(api, await api.submit(subject))
    row = await newborn_row(api)
    assert row["cases"]["completed"] == 2
    assert row["measured"]["materials_provided"] == 1  # the photo each citizen uploaded, not 0
    assert row["measured"]["materials_exempt"] == 4  # held by the government: shown apart, not "provided"
    assert row["reduction"]["materials"] == 66.7  # 3 before → 1
    assert row["measured"]["trips"] == 0

    # A counter clerk files a third one with the scanned photo: the same material, and the one visit.
    async with api.as_user(Role.CLERK, "counter-figures", "xuhui-centre") as clerk:
        await complete(api, await file_at_counter(api, clerk, "citizen-counter-figures"))
    row = await newborn_row(api)
    assert (row["cases"]["completed"], row["measured"]["materials_provided"]) == (3, 1)
    assert row["measured"]["trips"] == 0.33

    async with official_browser(api, Role.LEADER) as leader:
        page = (await leader.get("/stats")).text
    cell = re.search(r'data-thing="newborn".*?data-figure="materials">(.*?)</td>', page, re.S)
    assert cell is not None
    assert "3 → 1" in cell.group(1)


async def test_simulated_cases_are_left_out_unless_asked_for(tmp_path: Path) -> None:
    async with in_process_api(tmp_path, simulated=True) as simulation:  # what `onething simulate` runs
        for subject in ("citizen-sim-1", "citizen-sim-2"):
            await complete(simulation, await simulation.submit(subject))
        await simulation.submit("citizen-sim-open")
    async with in_process_api(tmp_path) as api:
        await complete(api, await api.submit("citizen-real-1"))
        await api.submit("citizen-real-open")

        default, everything = await newborn_row(api), await newborn_row(api, simulated="true")
        assert (default["cases"]["accepted"], default["cases"]["completed"]) == (2, 1)
        assert (everything["cases"]["accepted"], everything["cases"]["completed"]) == (5, 3)

        async with api.as_user(Role.LEADER, "leader-figures") as leader:
            csv_default = (await leader.get("/api/v1/stats/things.csv")).content.decode("utf-8-sig")
            with_sim = await leader.get("/api/v1/stats/things.csv", params={"simulated": "true"})
            weeks = (await leader.get("/api/v1/stats/volumes")).json()["weeks"]
        async with official_browser(api, Role.LEADER) as leader:
            page_default = (await leader.get("/stats")).text
            page_with = (await leader.get("/stats", params={"simulated": "true"})).text
        [row] = [r for r in csv.DictReader(io.StringIO(csv_default)) if r["thing"] == THING]
        assert (row["accepted"], row["simulated_included"]) == ("2", "no")
        [row] = [r for r in csv.DictReader(io.StringIO(with_sim.content.decode("utf-8-sig"))) if r["thing"] == THING]
        assert (row["accepted"], row["simulated_included"]) == ("5", "yes")
        assert with_sim.headers["content-disposition"].endswith('_with-simulated.csv"')
        assert sum(week["accepted"] for week in weeks if week["thing"] == THING) == 2
        assert "不含模拟数据。" in page_default
        assert "包含模拟数据:以下数字含模拟程序生成的办件。" in page_with
        assert 'href="/stats?simulated=true"' in page_default  # the toggle

        async with api.as_user(Role.SUPERVISOR, "supervisor-figures") as supervisor:
            board = (await supervisor.get("/api/v1/supervision/board")).json()
            board_all = (await supervisor.get("/api/v1/supervision/board", params={"simulated": "true"})).json()
        async with official_browser(api, Role.SUPERVISOR) as supervisor:
            board_page = (await supervisor.get("/supervision", params={"simulated": "true"})).text
        [open_default] = [r for r in board["case_lights"]["thing"] if r["key"] == THING]
        [open_all] = [r for r in board_all["case_lights"]["thing"] if r["key"] == THING]
        assert (open_default["running"], open_all["running"]) == (1, 2)
        [decided] = [r for r in board["performance"]["department"] if r["key"] == "health"]
        [decided_all] = [r for r in board_all["performance"]["department"] if r["key"] == "health"]
        assert (decided["finished"], decided_all["finished"]) == (1, 3)  # the birth certificates decided
        assert (board["with_simulated"], board_all["with_simulated"]) == (False, True)
        assert "包含模拟数据:以下数字含模拟程序生成的办件。" in board_page


async def test_days_before_and_after_are_both_calendar_days(api: InProcessApi) -> None:
    case_no = await api.submit("citizen-days")
    accepted = api.gateway.states[case_no].accepted_at
    finished = accepted + timedelta(days=12)
    await complete(api, case_no, finished)
    row = await newborn_row(api)
    # After: calendar days between the Shanghai dates of the recorded instants, like the 100 calendar days before.
    first, last = accepted.astimezone(TZ).date(), finished.astimezone(TZ).date()
    assert row["measured"]["calendar_days"]["median"] == (last - first).days == 12
    assert row["reduction"]["days"] == 88.0  # (100 − 12) / 100: one unit on both sides
    # Working days are shown for reference only, counted on the Chinese calendar, never against the baseline.
    working = sum(is_working_day(first + timedelta(days=n)) for n in range(1, 13))
    assert row["measured"]["working_days"]["median"] == working < 12

    async with official_browser(api, Role.LEADER) as leader:
        page = (await leader.get("/stats")).text
    assert "办理天数(自然日:改革前 → 实测中位数)" in page
    cell = re.search(r'data-thing="newborn".*?data-figure="days">(.*?)</td>', page, re.S)
    assert cell is not None
    assert "100 → 12" in cell.group(1)


async def test_a_deadline_passed_without_any_write_shows_red_when_the_board_is_read(api: InProcessApi) -> None:
    case_no = await api.submit("citizen-overnight")
    state = api.gateway.states[case_no]
    now = datetime.now(UTC)
    # The last write, yesterday: every item on time, the bundle green, its forecast within its promise. Since
    # then the first item's deadline has passed and nothing has written the case.
    items = [
        item.model_copy(update={"due_at": now - timedelta(hours=1), "yellow_at": now - timedelta(hours=20)})
        if item.status is ItemStatus.RUNNING
        else item
        for item in state.items
    ]
    items = [item.model_copy(update={"light": Light.GREEN}) if item.due_at else item for item in items]
    last_write = state.model_copy(update={"items": items, "seq": state.seq + 1})
    figures = CaseFigures(promised_at=now + timedelta(days=9), forecast_at=now + timedelta(days=8), light="green")
    with Session(api.engine) as session:
        assert project_case(session, state=last_write, now=now - timedelta(days=1), figures=figures)
        session.commit()

    async with api.as_user(Role.SUPERVISOR, "supervisor-figures") as supervisor:
        board = (await supervisor.get("/api/v1/supervision/board")).json()
        at_risk = (await supervisor.get("/api/v1/supervision/cases/at-risk")).json()
        detail = (await supervisor.get(f"/api/v1/supervision/cases/{case_no}")).json()
    async with official_browser(api, Role.SUPERVISOR) as supervisor:
        page = (await supervisor.get("/supervision")).text
    [bundles] = [row for row in board["case_lights"]["thing"] if row["key"] == THING]
    assert (bundles["running"], bundles["green"], bundles["red"]) == (1, 0, 1)
    assert [(row["case_no"], row["light"]) for row in at_risk] == [(case_no, "red")]
    assert [row["case_no"] for row in board["at_risk"]] == [case_no]
    assert detail["light"] == "red"
    assert re.search(rf'data-case="{case_no}".*?light red', page, re.S)


async def test_every_figure_links_to_its_definition(api: InProcessApi) -> None:
    await complete(api, await api.submit("citizen-links"))
    await api.submit("citizen-links-open")
    async with official_browser(api, Role.LEADER) as leader:
        stats_page = (await leader.get("/stats")).text
    async with official_browser(api, Role.SUPERVISOR) as supervisor:
        pages = [stats_page, (await supervisor.get("/supervision")).text]
    anchors = {lang: set(re.findall(r'<a id="([a-z0-9-]+)"></a>', path.read_text())) for lang, path in SOURCES.items()}
    assert anchors["zh"] == anchors["en"]  # the two languages define the same figures
    for page in pages:
        linked = set(re.findall(r'href="/figures#([a-z0-9-]+)"', page))
        assert linked, "no figure links to its definition"
        assert linked <= anchors["en"], linked - anchors["en"]
    assert {"stats-steps", "stats-calendar-days", "stats-materials", "stats-trips", "stats-good-rate"} <= set(
        re.findall(r'href="/figures#([a-z0-9-]+)"', pages[0])
    )
    assert {"sv-item-lights", "sv-bundle-lights", "sv-on-time", "sv-at-risk", "sv-overdue"} <= set(
        re.findall(r'href="/figures#([a-z0-9-]+)"', pages[1])
    )
    async with api.client() as anyone:
        anyone.cookies.set(LANG_COOKIE, "zh")
        zh = await anyone.get("/figures")
        anyone.cookies.set(LANG_COOKIE, "en")
        en = await anyone.get("/figures")
    assert zh.status_code == en.status_code == 200
    assert '<a id="stats-materials"></a>' in zh.text
    assert "提交材料" in zh.text
    assert "Materials provided" in en.text
    assert not re.search(r"[\u4e00-\u9fff]", en.text.split("<main", 1)[1].split("</main>", 1)[0])
