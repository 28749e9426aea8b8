"""Accepting an application, called directly: what is recorded, what the case engine is asked to start."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.auth import Principal, Role
from core.calendar import TZ, is_working_day
from core.calendar_year import store_year, stored_path
from core.settings import Settings
from one_things.catalog import Catalog
from one_things.demo import demo_request
from one_things.eligibility import individual_definition
from persistence.applications import find_application
from persistence.cases import get_case
from persistence.outbox import pending_for_case
from persistence.register import get_resident
from persistence.tables import ApplicationRequest
from services import submission
from services.cases import send_supplement
from services.errors import InvalidError
from services.outbox import START
from services.submission import ApplicationIn, accept
from tests.support.fake_gateway import FakeCaseGateway, Method, Outcome
from tests.support.people import register_if_test_citizen


async def submit(
    session: Session,
    gateway: FakeCaseGateway,
    settings: Settings,
    catalog: Catalog,
    owner: str,
    body: dict[str, Any],
    key: str | None = None,
) -> tuple[str, list[str], bool]:
    register_if_test_citizen(engine_of(session), owner)
    accepted = await accept(
        session=session,
        cases=gateway,
        settings=settings,
        catalog=catalog,
        caller=owner,
        idempotency_key=key,
        body=ApplicationIn.model_validate(body),
        now=datetime.now(UTC),
    )
    return accepted.case_no, accepted.plan.included, accepted.created


def engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def newborn(catalog: Catalog, born: date | None = None) -> dict[str, Any]:
    body = demo_request(catalog.get("newborn"), date.today())
    if born is not None:
        body["form"] = {**cast(dict[str, Any], body["form"]), "newborn_birth_date": born.isoformat()}
    return body


def alone(item: str, catalog: Catalog, **form: str) -> dict[str, Any]:
    """An application for one item of the newborn bundle on its own (分别办理), with its own form."""
    demo = demo_request(individual_definition(catalog.get("newborn"), item), date.today())
    materials = demo["materials"]
    return {
        "thing": "newborn",
        "individual_item": item,
        "form": {**cast(dict[str, Any], demo["form"]), **form},
        "materials": materials,
    }


async def test_a_case_is_recorded_with_its_start_so_nothing_accepted_is_lost(
    engine: Engine, session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog
) -> None:
    gateway.answer(Method.START, Outcome.UNAVAILABLE)
    case_no, _, created = await submit(
        session, gateway, settings, catalog, "citizen-accepted-first", newborn(catalog), key="k-down"
    )
    assert created
    with Session(engine) as elsewhere:  # committed, not just in this session
        assert find_application(elsewhere, owner="citizen-accepted-first", idempotency_key="k-down") is not None
        found = get_case(elsewhere, case_no=case_no)
        assert found is not None
        resident = get_resident(elsewhere, subject="citizen-accepted-first")
        assert resident is not None
        assert (found[0].status, found[0].channel, found[0].district) == ("running", "bundle", resident.district)
        assert pending_for_case(elsewhere, case_no=case_no, kind=START)  # the start intent, in the same commit

    gateway.answer(Method.START, Outcome.ACCEPT)
    again, _, created = await submit(
        session, gateway, settings, catalog, "citizen-accepted-first", newborn(catalog), key="k-down"
    )
    assert (again, created) == (case_no, False)
    assert list(gateway.states) == [case_no]
    assert [bundle.case_no for bundle in gateway.started] == [case_no, case_no]
    with Session(engine) as elsewhere:
        assert not pending_for_case(elsewhere, case_no=case_no, kind=START)
    # Once started, a repeat asks the engine nothing more.
    await submit(session, gateway, settings, catalog, "citizen-accepted-first", newborn(catalog), key="k-down")
    assert len(gateway.started) == 2


async def test_without_a_key_an_identical_resubmission_is_the_same_case(
    session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog
) -> None:
    body = newborn(catalog)
    first = await submit(session, gateway, settings, catalog, "citizen-double-click", body)
    second = await submit(session, gateway, settings, catalog, "citizen-double-click", body)
    assert (first[2], second[2]) == (True, False)
    assert first[0] == second[0]
    other = await submit(session, gateway, settings, catalog, "citizen-double-click", newborn(catalog, date.today()))
    assert other[0] != first[0]
    assert len(gateway.states) == 2


async def test_a_baby_over_a_year_old_is_told_to_apply_item_by_item_and_can(
    engine: Engine, session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog
) -> None:
    born = date.today() - timedelta(days=400)
    with pytest.raises(InvalidError) as refused:
        await submit(session, gateway, settings, catalog, "citizen-older-baby", newborn(catalog, born))
    assert refused.value.title == "Not eligible for this one-thing"
    assert [e["field"] for e in refused.value.errors] == ["eligibility.newborn_under_one_year"]
    items = refused.value.context["individual_items"]
    assert [item["code"] for item in items] == [item.code for item in catalog.get("newborn").items]
    assert gateway.sent == []

    # On its own, the hukou item asks for the birth certificate number the parents already hold.
    body = alone("hukou_registration", catalog, newborn_birth_date=born.isoformat(), birth_cert_no="O310000000001")
    case_no, included, _ = await submit(session, gateway, settings, catalog, "citizen-older-baby", body)
    assert included == ["hukou_registration"]
    [bundle] = gateway.started
    assert [(item.code, item.depends_on) for item in bundle.thing.items] == [("hukou_registration", [])]
    assert bundle.form["birth_cert_no"] == "O310000000001"
    found = get_case(session, case_no=case_no)
    assert found is not None
    assert found[0].channel == "individual"


async def test_a_correction_is_checked_against_the_form_the_case_was_applied_with(
    session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog
) -> None:
    body = alone("hukou_registration", catalog)
    single, *_ = await submit(session, gateway, settings, catalog, "citizen-corrects", body)
    bundled, *_ = await submit(session, gateway, settings, catalog, "citizen-corrects", newborn(catalog))
    citizen = Principal(role=Role.CITIZEN, subject="citizen-corrects")

    async def correct(case_no: str, form: dict[str, Any]) -> None:
        await send_supplement(
            session=session,
            cases=gateway,
            catalog=catalog,
            principal=citizen,
            case_no=case_no,
            item_code="hukou_registration",
            form=form,
            now=datetime.now(UTC),
        )

    await correct(single, {"birth_cert_no": "O310000000002"})
    assert gateway.messages(Method.SUPPLEMENT, single)[0].form == {"birth_cert_no": "O310000000002"}
    with pytest.raises(InvalidError) as refused:  # in the bundle it comes from the birth certificate item
        await correct(bundled, {"birth_cert_no": "O310000000002"})
    assert [e["field"] for e in refused.value.errors] == ["form.birth_cert_no"]
    assert gateway.messages(Method.SUPPLEMENT, bundled) == []


async def test_the_same_key_at_two_api_processes_at_once_answers_one_case(
    session: Session,
    gateway: FakeCaseGateway,
    settings: Settings,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes both see no application under the key, both record one: the second's commit loses on the
    unique key and its request answers the first one's case, as a repeat (seen as a 500 on PostgreSQL before)."""
    body = newborn(catalog)
    first, _, created = await submit(session, gateway, settings, catalog, "citizen-two-processes", body, key="race")
    assert created
    # The interleaving of two processes: this one looked before the other committed.
    real_find = submission.find_application
    looks: list[str] = []

    def find_as_before_the_other_committed(session: Session, **key: str) -> ApplicationRequest | None:
        looks.append(key["idempotency_key"])
        return None if len(looks) == 1 else real_find(session, **key)

    monkeypatch.setattr(submission, "find_application", find_as_before_the_other_committed)
    second, _, created = await submit(session, gateway, settings, catalog, "citizen-two-processes", body, key="race")
    assert (second, created) == (first, False)
    with Session(engine_of(session)) as elsewhere:
        assert get_case(elsewhere, case_no=first) is not None
    assert list(gateway.states) == [first]


async def test_a_case_carries_the_working_days_it_is_accepted_with(
    session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog, tmp_path: Path
) -> None:
    folder = tmp_path / "calendar"
    own = settings.model_copy(update={"calendar_dir": folder})
    this_year = datetime.now(TZ).year
    march = [date(this_year + 1, 3, day) for day in range(1, 8)]
    monday = next(day for day in march if day.weekday() == 0)
    saturday = next(day for day in march if day.weekday() == 5)
    announcement = tmp_path / "announcement.yaml"
    announcement.write_text(f"year: {this_year + 1}\ndays_off: [{monday}]\nworkdays: [{saturday}]\n", encoding="utf-8")
    store_year(folder, announcement)  # `onething calendar load`

    case_no, _, _ = await submit(session, gateway, own, catalog, "citizen-calendar", newborn(catalog))
    (bundle,) = [started for started in gateway.started if started.case_no == case_no]
    assert bundle.calendar is not None
    carried = bundle.calendar.days()
    assert carried.years == {this_year, this_year + 1}
    assert not carried.is_working_day(monday)
    assert carried.is_working_day(saturday)
    day = date(this_year, 1, 1)
    while day.year == this_year:  # the package's holidays and make-up days come along
        assert carried.is_working_day(day) is is_working_day(day), day
        day += timedelta(days=1)

    # A loaded year that no longer reads does not refuse the citizen: the case's items ask the activity.
    stored_path(folder, this_year + 1).write_text("year: soon\n", encoding="utf-8")
    broken, _, created = await submit(session, gateway, own, catalog, "citizen-calendar-broken", newborn(catalog))
    assert created
    (bundle,) = [started for started in gateway.started if started.case_no == broken]
    assert bundle.calendar is None
