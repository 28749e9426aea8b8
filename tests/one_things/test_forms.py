from __future__ import annotations

from datetime import date, timedelta

import pytest
from stdnum.cn import ric

from core.bounds import LAST_DAY
from one_things.demo import demo_application, demo_resident_id
from one_things.eligibility import check_eligibility
from one_things.forms import validate_fields, validate_form
from one_things.schema import FieldType, FormField, Names, OneThing
from tests.one_things.conftest import TODAY


def _with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def form(newborn: OneThing) -> dict[str, object]:
    body = demo_application(newborn, TODAY)
    assert isinstance(body["form"], dict)
    return dict(body["form"])


def messages(newborn: OneThing, form: dict[str, object]) -> dict[str, str]:
    return {p.field: p.message for p in validate_form(newborn, form, today=TODAY)[1]}


def test_demo_form_is_valid_and_normalised(newborn: OneThing, form: dict[str, object]) -> None:
    form["newborn_birth_date"] = TODAY - timedelta(days=3)  # a date object is accepted too
    form["contact_phone"] = "138 0013 8000"
    values, problems = validate_form(newborn, form, today=TODAY)
    assert problems == []
    assert values["newborn_birth_date"] == "2025-03-07"
    assert values["contact_phone"] == "13800138000"


def test_resident_id_is_upper_cased() -> None:
    number = next(
        n for seq in range(1, 200) if (n := demo_resident_id(date(1990, 1, 1), female=True, sequence=seq)).endswith("X")
    )
    thing = _thing(FormField(code="id_no", name=Names(zh="身份证", en="ID"), type=FieldType.RESIDENT_ID))
    values, problems = validate_form(thing, {"id_no": number.lower()}, today=TODAY)
    assert problems == []
    assert values["id_no"] == number


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ("310104199203070021", "check digit"),  # last digit changed
        ("31010419920307002", "18 characters"),
        ("3101041992030700A0", "17 digits"),
        (_with_check_digit("31010419921307002"), "birth date"),  # month 13
        (_with_check_digit("99999919920307002"), "region code"),
    ],
)
def test_bad_resident_id_is_explained_without_echoing_it(
    newborn: OneThing, form: dict[str, object], bad: str, hint: str
) -> None:
    form["mother_id_no"] = bad
    problems = validate_form(newborn, form, today=TODAY)[1]
    assert [p.field for p in problems] == ["form.mother_id_no"]
    assert hint in problems[0].message
    for problem in problems:
        assert bad not in problem.model_dump_json()
        assert bad[:10] not in problem.message


def test_future_and_too_old_birth_dates(newborn: OneThing, form: dict[str, object]) -> None:
    form["newborn_birth_date"] = "2025-03-11"
    assert "must not be after today (2025-03-10)" in messages(newborn, form)["form.newborn_birth_date"]
    # A baby over a year old is a valid form, but no longer one the bundle serves.
    form["newborn_birth_date"] = "2024-03-09"
    assert messages(newborn, form) == {}
    [rule] = check_eligibility(newborn, answers={}, form=form, today=TODAY)
    assert rule.rule == "newborn_under_one_year"
    assert "one by one" in rule.reason.en
    form["newborn_birth_date"] = "2024-03-10"
    assert check_eligibility(newborn, answers={}, form=form, today=TODAY) == []


@pytest.mark.parametrize("bad", ["2025/03/07", "07-03-2025", "2025-02-30", 20250307])
def test_dates_must_be_iso(newborn: OneThing, form: dict[str, object], bad: object) -> None:
    form["newborn_birth_date"] = bad
    assert "YYYY-MM-DD" in messages(newborn, form)["form.newborn_birth_date"]


def test_unknown_field_lists_allowed_ones(newborn: OneThing, form: dict[str, object]) -> None:
    form["xyz"] = "hello"
    assert messages(newborn, form)["form.xyz"].startswith(
        "not a field of this one-thing; allowed: mother_name, mother_id_no"
    )


def test_missing_required_and_optional_fields(newborn: OneThing, form: dict[str, object]) -> None:
    del form["newborn_name"]
    form["mother_name"] = "   "
    del form["marriage_cert_no"]  # optional: parents need not be married
    values, problems = validate_form(newborn, form, today=TODAY)
    assert {p.field: p.message for p in problems} == {
        "form.mother_name": "required: enter Mother's name (母亲姓名)",
        "form.newborn_name": "required: enter Newborn's name (新生儿姓名)",
    }
    assert "marriage_cert_no" not in values


def test_phone_choice_and_length(newborn: OneThing, form: dict[str, object]) -> None:
    form["contact_phone"] = "02161234567"
    form["newborn_sex"] = "boy"
    form["birth_hospital"] = "医" * 101
    found = messages(newborn, form)
    assert "11 digits and starts with 13 to 19" in found["form.contact_phone"]
    assert "02161234567" not in found["form.contact_phone"]
    assert found["form.newborn_sex"].endswith("choose one of: male, female")
    assert found["form.birth_hospital"].endswith("at most 100 characters")


def test_no_message_echoes_a_personal_value(newborn: OneThing, form: dict[str, object]) -> None:
    form.update(mother_name=123, hukou_address="上海" * 200, contact_phone="12345")
    problems = validate_form(newborn, form, today=TODAY)[1]
    text = " ".join(p.message for p in problems)
    assert len(problems) == 3
    assert "12345" not in text
    assert "上海上海" not in text


def test_boolean_and_integer_fields() -> None:
    thing = _thing(
        FormField(code="agree", name=Names(zh="同意", en="Agree"), type=FieldType.BOOLEAN),
        FormField(code="count", name=Names(zh="数量", en="Count"), type=FieldType.INTEGER),
    )
    assert validate_form(thing, {"agree": "true", "count": "3"}, today=TODAY) == ({"agree": True, "count": 3}, [])
    assert validate_form(thing, {"agree": False, "count": 3}, today=TODAY)[0] == {"agree": False, "count": 3}
    problems = validate_form(thing, {"agree": "是", "count": True}, today=TODAY)[1]
    assert [p.message for p in problems] == [
        "Agree (同意): answer true or false",
        "Count (数量): must be a whole number",
    ]
    assert [(p.rule, p.values) for p in problems] == [("boolean", {}), ("integer", {})]


def _thing(*fields: FormField) -> OneThing:
    from one_things.catalog import load_catalog

    return load_catalog().get("newborn").model_copy(update={"form": list(fields)})


def test_validate_fields_checks_only_what_is_sent(newborn: OneThing) -> None:
    values, problems = validate_fields(newborn, {"contact_phone": "13800138000"}, today=TODAY)
    assert (values, problems) == ({"contact_phone": "13800138000"}, [])
    problems = validate_fields(newborn, {"newborn_name": "", "nope": 1}, today=TODAY)[1]
    assert [p.field for p in problems] == ["form.nope", "form.newborn_name"]


def test_a_date_that_must_lie_ahead() -> None:
    """An event's date under 大型群众性活动安全管理条例 art. 11: the permit is applied for 20 days before it."""
    thing = _thing(
        FormField(code="event_date", name=Names(zh="举办日期", en="Date"), type=FieldType.DATE, min_days_ahead=20),
        FormField(code="start", name=Names(zh="开始日期", en="Start"), type=FieldType.DATE, min_days_ahead=0),
    )
    earliest = TODAY + timedelta(days=20)
    accepted = {"event_date": earliest.isoformat(), "start": TODAY.isoformat()}
    assert validate_form(thing, accepted, today=TODAY) == (accepted, [])
    too_soon = {"event_date": (earliest - timedelta(days=1)).isoformat(), "start": "2025-03-09"}
    problems = validate_form(thing, too_soon, today=TODAY)[1]
    assert [(p.rule, p.values) for p in problems] == [
        ("date_too_soon", {"days": "20", "earliest": "2025-03-30"}),
        ("date_past", {"today": "2025-03-10"}),
    ]
    assert problems[0].message == "Date (举办日期): must be at least 20 days after today (on or after 2025-03-30)"


def test_date_bounds_are_the_days_the_form_accepts() -> None:
    from one_things.forms import date_bounds

    ahead = FormField(code="d", name=Names(zh="日", en="D"), type=FieldType.DATE, min_days_ahead=20)
    past = FormField(code="d", name=Names(zh="日", en="D"), type=FieldType.DATE, not_in_future=True, max_age_days=30)
    for field in (ahead, past):
        first, last = date_bounds(field, TODAY)
        thing = _thing(field)
        for day, ok in ((first, True), (last, True), (first - timedelta(days=1), False)):
            assert (validate_form(thing, {"d": day.isoformat()}, today=TODAY)[1] == []) is ok, (field, day)
        if last < LAST_DAY:
            assert validate_form(thing, {"d": (last + timedelta(days=1)).isoformat()}, today=TODAY)[1]
    assert date_bounds(past, TODAY) == (TODAY - timedelta(days=30), TODAY)
