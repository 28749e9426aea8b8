"""A fake but valid applicant, for `onething example`, demos, tests and load generation.

Every value is invented. Resident ID numbers get a correct check digit from stdnum so they pass
validation; they are built deterministically (same input, same number) so test output is stable.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import date, timedelta

from stdnum.cn import ric, uscc

from one_things.answers import Answer, field_asked
from one_things.schema import FieldType, FormField, MaterialSource, OneThing

# 徐汇区: a region code valid for every birth year (some codes, like 浦东新区, only exist since 1992).
DEMO_REGION = "310104"
DEMO_PHONE = "13800138000"
NEWBORN_AGE_DAYS = 3


def demo_credit_code(sequence: int = 1, region: str = DEMO_REGION) -> str:
    """A checksum-valid unified social credit code of an enterprise (登记管理部门 9, 类别 1) in `region`."""
    body = f"91{region}MA{sequence:08d}"[:17]
    return body + uscc.calc_check_digit(body)


def demo_resident_id(birth: date, *, female: bool, sequence: int = 1, region: str = DEMO_REGION) -> str:
    """A checksum-valid resident ID number; the order code's last digit is even for women, odd for men."""
    order = (sequence * 2 + (0 if female else 1)) % 1000
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")  # calc_check_digit ignores the last character


_KNOWN: dict[str, Callable[[date], object]] = {
    "mother_name": lambda today: "李梅",
    "mother_id_no": lambda today: demo_resident_id(date(1992, 3, 7), female=True),
    "father_name": lambda today: "王强",
    "father_id_no": lambda today: demo_resident_id(date(1990, 11, 21), female=False),
    "newborn_name": lambda today: "王小宝",
    "newborn_birth_date": lambda today: (today - timedelta(days=NEWBORN_AGE_DAYS)).isoformat(),
    "birth_hospital": lambda today: "上海市示例妇幼保健院",
    "hukou_address": lambda today: "上海市徐汇区示例路1号101室",
    "contact_phone": lambda today: DEMO_PHONE,
    "marriage_cert_no": lambda today: "J310104-2019-000123",
}


def _value(field: FormField, index: int, today: date) -> object:
    if field.code in _KNOWN:
        return _KNOWN[field.code](today)
    if field.type is FieldType.DATE and field.min_days_ahead is not None:
        return (today + timedelta(days=field.min_days_ahead)).isoformat()  # the first day it accepts
    if field.type is FieldType.DATE:
        days = min(NEWBORN_AGE_DAYS, field.max_age_days or NEWBORN_AGE_DAYS)
        return (today - timedelta(days=days)).isoformat()
    if field.type is FieldType.RESIDENT_ID:
        return demo_resident_id(date(1990, 1, 1), female=index % 2 == 0, sequence=index + 1)
    if field.type is FieldType.CREDIT_CODE:
        return demo_credit_code(sequence=index + 1)
    if field.type is FieldType.PHONE:
        return DEMO_PHONE
    if field.type is FieldType.CHOICE:
        return field.choices[0]
    if field.type is FieldType.BOOLEAN:
        return True
    if field.type is FieldType.INTEGER:
        return 1
    text = f"示例{field.name.zh}"
    return text[: field.max_length] if field.max_length else text


def demo_application(thing: OneThing, today: date, answers: Mapping[str, Answer] | None = None) -> dict[str, object]:
    """An application body `{"thing", "answers", "form"}` that passes make_plan and validate_form.

    Answers are `answers`, else each question's default, else its first option (in the newborn bundle: all
    items); the form holds the fields those answers ask for.
    """
    if answers is None:
        answers = {q.code: q.default if q.default is not None else q.options[0].value for q in thing.questions}
    form = {
        field.code: _value(field, index, today) for index, field in enumerate(thing.form) if field_asked(field, answers)
    }
    return {"thing": thing.code, "answers": dict(answers), "form": form}


# A 1×1 PNG: the smallest file that is what it says (materials are checked by their content, not their name).
DEMO_PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def demo_materials(thing: OneThing) -> dict[str, str]:
    """Every material the applicant provides, as the API takes it: base64 under its code."""
    photo = base64.b64encode(DEMO_PHOTO).decode()
    return {material.code: photo for material in thing.materials if material.source is MaterialSource.CITIZEN}


def demo_request(thing: OneThing, today: date, answers: Mapping[str, Answer] | None = None) -> dict[str, object]:
    """An API body for any applicant the definition admits: what the government holds is left out (the
    platform fills it in from the registers, 两个免于提交), and the applicant's materials are included."""
    body = demo_application(thing, today, answers)
    form = body["form"]
    assert isinstance(form, dict)
    typed = {code: value for code, value in form.items() if not _held(thing, code)}
    return {**body, "form": typed, "materials": demo_materials(thing)}


def _held(thing: OneThing, code: str) -> bool:
    return any(field.code == code and field.prefill and not field.editable for field in thing.form)
