"""The definition format's applicant kinds, credit codes and eligibility rules, as an author meets them."""

from __future__ import annotations

from datetime import date
from typing import Any

from one_things.demo import demo_credit_code
from one_things.forms import validate_form
from one_things.schema import OneThing
from one_things.validation import check_definition
from tests.workflows.harness import DEFINITION


def thing(**changes: Any) -> OneThing:
    return OneThing.model_validate({**DEFINITION, **changes})


def messages(definition: OneThing) -> list[str]:
    return [f"{error.message} | {error.fix}" for error in check_definition(definition)]


def test_credit_codes_are_checked_and_normalised() -> None:
    company = thing(
        form=[{"code": "uscc", "name": {"zh": "统一社会信用代码", "en": "Credit code"}, "type": "credit_code"}]
    )
    code = demo_credit_code()
    values, problems = validate_form(company, {"uscc": code.lower()}, today=date(2026, 12, 1))
    assert (values, problems) == ({"uscc": code}, [])
    _, problems = validate_form(
        company, {"uscc": code[:-1] + ("0" if code[-1] != "0" else "1")}, today=date(2026, 12, 1)
    )
    assert [p.message for p in problems] == [
        "Credit code (统一社会信用代码): the check character does not match; please re-check the code for a typo"
    ]


def test_eligibility_rules_must_name_a_date_field_or_a_question_option() -> None:
    rules = [
        {"code": "recent", "reason": {"zh": "原因", "en": "why"}, "field": "applicant", "within_days": 30},
        {"code": "both", "reason": {"zh": "原因", "en": "why"}},
    ]
    assert messages(thing(eligibility=rules)) == [
        "field 'applicant' is not a date field of the form | use one of: (none declared)",
        "a rule must read exactly one of a form field or a question | give either field + within_days (a date rule)"
        " or question + not_in (an answer rule)",
    ]


def test_legal_person_definitions_read_the_enterprise_register() -> None:
    form = [
        {
            "code": "applicant",
            "name": {"zh": "企业名称", "en": "Name"},
            "type": "text",
            "prefill": "population_register.name",
        }
    ]
    assert messages(thing(applicant="legal_person", form=form)) == [
        "prefill source 'population_register' does not hold data of this applicant"
        " | for applicant: legal_person, use enterprise_register.<attribute> or licence_library.<attribute>"
    ]
