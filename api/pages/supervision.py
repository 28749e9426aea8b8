"""The supervisors' pages: the board (live), the drill-down lists behind its cells, a case and its 督办."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from api.charts import Series, grouped_bar_chart, stacked_bar_chart
from api.deps import CaseGatewayDep, CatalogDep, ClockDep, SessionDep, SettingsDep
from api.pages.case_view import local_time
from api.pages.figures import link
from api.pages.officials import official_page
from api.pages.rendering import Page, control_characters
from api.params import CaseNo, Code, CodeFilter
from core.auth import Role
from core.bounds import Day
from core.calendar_year import next_year_missing
from core.settings import Settings
from one_things.catalog import Catalog
from persistence.supervision import LightName, attention_items
from services import audit
from services.supervision import board, case_detail, escalate, period

router = APIRouter(include_in_schema=False)
CASE_PAGE_READS = 50
SupervisorPage = Annotated[Page, Depends(official_page(Role.SUPERVISOR))]
Simulated = Annotated[bool, Query(description="Count the cases made by `onething simulate` too")]


class Labels:
    """Names of departments, items and one-things in the page's language, from the whole catalogue: current
    names first, then those only earlier versions still used by running cases have (a removed item).

    An item is named by its own one-thing (`thing`), in the case's `version` when given: two one-things may
    have items with one code (newborn's and employee hiring's social_security_card) and different names."""

    def __init__(self, page: Page, catalog: Catalog) -> None:
        self._names: dict[tuple[str, ...], str] = {}
        self._items: dict[tuple[str, int | None, str], str] = {}
        for thing in catalog.every_version():
            self._names.setdefault(("thing", thing.code), page.name(thing.name))
            for department in thing.departments:
                self._names.setdefault(("department", department.code), page.name(department.name))
            for item in thing.items:
                self._items[(thing.code, thing.version, item.code)] = page.name(item.name)
                self._items.setdefault((thing.code, None, item.code), page.name(item.name))
        self._none = page.t("sv_district_none")

    def __call__(self, kind: str, code: str, thing: str | None = None, version: int | None = None) -> str:
        if kind == "district":
            return code or self._none
        if kind == "item":
            if thing is None:
                return code  # no one-thing, no name: another one-thing's would be a guess
            return self._items.get((thing, version, code)) or self._items.get((thing, None, code), code)
        return self._names.get((kind, code), code)


LIGHT_COLOURS = {"green": "#1e7b34", "yellow": "#9a6700", "red": "#b42318"}


def board_charts(page: Page, figures: dict[str, Any], label: Labels) -> list[tuple[Markup, str]]:
    """The board's figures a supervisor reads at a glance: open items by light, on-time rate, clock days; each
    with the anchor of its definition (/figures)."""
    lights = figures["item_lights"]["department"]
    decided = figures["performance"]["department"]
    charts: list[tuple[Markup, str]] = []
    if lights:
        charts.append(
            (
                stacked_bar_chart(
                    chart_id="chart-lights",
                    title=page.t("sv_lights_department"),
                    categories=[label("department", row.key) for row in lights],
                    series=[
                        Series(page.t(f"l_{light}"), [getattr(row, light) for row in lights], colour)
                        for light, colour in LIGHT_COLOURS.items()
                    ],
                ),
                "sv-item-lights",
            )
        )
    if decided:
        names = [label("department", row.key) for row in decided]
        charts.append(
            (
                grouped_bar_chart(
                    chart_id="chart-on-time",
                    title=f"{page.t('sv_performance')} · %",
                    categories=names,
                    series=[
                        Series(page.t("sv_on_time"), [_percent(row.on_time_rate) for row in decided]),
                        Series(page.t("sv_statutory"), [_percent(row.statutory_rate) for row in decided]),
                    ],
                    unit="%",
                ),
                "sv-on-time",
            )
        )
        charts.append(
            (
                grouped_bar_chart(
                    chart_id="chart-clock-days",
                    title=f"{page.t('sv_median')} / {page.t('sv_p90')} · {page.t('sv_days_unit')}",
                    categories=names,
                    series=[
                        Series(page.t("sv_median"), [row.median_days for row in decided]),
                        Series(page.t("sv_p90"), [row.p90_days for row in decided]),
                    ],
                ),
                "sv-clock-days",
            )
        )
    return charts


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(100 * rate, 1)


def _render_board(
    page: Page,
    session: Any,
    catalog: Catalog,
    since: date | None,
    until: date | None,
    template: str,
    now: datetime,
    settings: Settings,
    simulated: bool = False,
) -> Response:
    span = period(since, until, now)
    figures = board(session, now=now, span=span, with_simulated=simulated)
    label = Labels(page, catalog)
    period_query = {k: v for k, v in (("since", since), ("until", until)) if v}
    return page.render(
        template,
        b=figures,
        charts=board_charts(page, figures, label),
        label=label,
        moment=local_time,
        calendar_missing=next_year_missing(settings.calendar_folder, now),
        query=urlencode({**period_query, **({"simulated": "true"} if simulated else {})}),
        toggle_query=urlencode({**period_query, **({} if simulated else {"simulated": "true"})}),
        definition=link,
    )


@router.get("/supervision", response_class=HTMLResponse)
def board_page(
    clock: ClockDep,
    page: SupervisorPage,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    since: Day | None = None,
    until: Day | None = None,
    simulated: Simulated = False,
) -> Response:
    return _render_board(page, session, catalog, since, until, "supervision.html", clock.now(), settings, simulated)


@router.get("/supervision/live", response_class=HTMLResponse)
def board_live(
    clock: ClockDep,
    page: SupervisorPage,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    since: Day | None = None,
    until: Day | None = None,
    simulated: Simulated = False,
) -> Response:
    """The board's figures alone, fetched every few seconds by the page so lights change without a reload."""
    return _render_board(
        page, session, catalog, since, until, "supervision_board.html", clock.now(), settings, simulated
    )


@router.get("/supervision/items", response_class=HTMLResponse)
def items_page(
    clock: ClockDep,
    page: SupervisorPage,
    session: SessionDep,
    catalog: CatalogDep,
    light: Annotated[list[LightName], Query()] = ["red"],  # noqa: B006 - FastAPI copies query defaults
    department: CodeFilter = None,
    item: CodeFilter = None,
    thing: CodeFilter = None,
    district: CodeFilter = None,
    simulated: Simulated = False,
) -> Response:
    rows = attention_items(
        session,
        now=clock.now(),
        lights=light,
        department=department,
        item=item,
        thing=thing,
        district=district,
        limit=500,
        with_simulated=simulated,
    )
    filters = {"department": department, "item": item, "thing": thing, "district": district}
    return page.render(
        "supervision_items.html",
        rows=rows,
        lights=light,
        filters={k: v for k, v in filters.items() if v is not None},
        with_simulated=simulated,
        definition=link,
        label=Labels(page, catalog),
    )


@router.get("/supervision/cases/{case_no}", response_class=HTMLResponse)
def case_page(
    clock: ClockDep,
    case_no: CaseNo,
    page: SupervisorPage,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    escalated: str | None = None,
) -> Response:
    assert page.principal is not None
    detail = case_detail(session, catalog, settings, case_no, reader=page.principal, now=clock.now())
    return page.render(
        "supervision_case.html",
        d=detail,
        reads=audit.search(session, case_no=case_no, limit=CASE_PAGE_READS).entries,
        escalated=escalated,
        definition=link,
        label=Labels(page, catalog),
        moment=local_time,
    )


@router.post("/supervision/cases/{case_no}/items/{item_code}/escalate")
async def escalate_form(
    clock: ClockDep,
    case_no: CaseNo,
    item_code: Code,
    page: SupervisorPage,
    session: SessionDep,
    cases: CaseGatewayDep,
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    assert page.principal is not None
    if (refused := control_characters(page, texts=(note,))) is not None:
        return refused
    await escalate(session, cases, page.principal, case_no=case_no, item_code=item_code, note=note, now=clock.now())
    return RedirectResponse(f"/supervision/cases/{case_no}?{urlencode({'escalated': item_code})}", status_code=303)
