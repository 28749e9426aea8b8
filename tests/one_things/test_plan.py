from __future__ import annotations

import pytest

from one_things.plan import PlanError, make_plan
from one_things.schema import OneThing

ALL = [
    "birth_certificate",
    "vaccination_certificate",
    "hukou_registration",
    "social_security_card",
    "medical_insurance",
]


def test_defaults_include_every_item(newborn: OneThing) -> None:
    plan = make_plan(newborn, {"hukou_location": "this_district"})
    assert plan.included == ALL
    assert plan.excluded == []
    assert plan.answers == {
        "born_in_city": "yes",
        "hukou_location": "this_district",
        "wants_social_security_card": "yes",
    }
    assert [m.code for m in plan.materials_to_provide] == ["newborn_photo"]  # the seed's "1 material"
    assert {m.code for m in plan.materials_exempt} == {
        "birth_medical_certificate",
        "parents_id_cards",
        "household_register",
        "marriage_certificate",
    }
    assert plan.promised_days == 14
    assert plan.sequential_days == 22


def test_born_elsewhere_drops_the_vaccination_certificate_only(newborn: OneThing) -> None:
    plan = make_plan(newborn, {"born_in_city": "no", "hukou_location": "other_district"})
    assert plan.excluded == ["vaccination_certificate"]
    assert "birth_certificate" in plan.included


def test_hukou_elsewhere_drops_its_dependants(newborn: OneThing) -> None:
    plan = make_plan(newborn, {"hukou_location": "other_province"})
    assert plan.included == ["birth_certificate", "vaccination_certificate"]
    assert plan.excluded == ["hukou_registration", "social_security_card", "medical_insurance"]
    assert plan.materials_to_provide == []
    assert [m.code for m in plan.materials_exempt] == ["parents_id_cards"]
    assert plan.promised_days == 3


def test_no_card_no_photo(newborn: OneThing) -> None:
    plan = make_plan(newborn, {"hukou_location": "this_district", "wants_social_security_card": "no"})
    assert "social_security_card" not in plan.included
    assert "medical_insurance" in plan.included
    assert plan.materials_to_provide == []
    assert plan.promised_days == 2 + 5 + 5


def test_a_later_answer_can_include_again(newborn: OneThing) -> None:
    questions = list(newborn.questions)
    again = questions[2].options[0].model_copy(update={"include": ["vaccination_certificate"]})
    questions[2] = questions[2].model_copy(update={"options": [again, questions[2].options[1]]})
    thing = newborn.model_copy(update={"questions": questions})
    plan = make_plan(thing, {"born_in_city": "no", "hukou_location": "this_district"})
    assert "vaccination_certificate" in plan.included


def test_problems_are_collected_and_name_allowed_values(newborn: OneThing) -> None:
    with pytest.raises(PlanError) as caught:
        make_plan(newborn, {"born_in_city": "maybe", "colour": "blue"})
    problems = {p.field: p.message for p in caught.value.problems}
    assert problems == {
        "answers.colour": (
            "not a question of newborn; allowed: born_in_city, hukou_location, wants_social_security_card"
        ),
        "answers.born_in_city": "not an allowed answer; allowed: yes, no",
        "answers.hukou_location": (
            "please answer: Where will the newborn's hukou be registered?; "
            "allowed: this_district, other_district, other_province"
        ),
    }
    assert "maybe" not in str(caught.value)


def test_answers_that_leave_nothing_are_refused(newborn: OneThing) -> None:
    question = newborn.questions[1]
    options = [
        o.model_copy(update={"exclude": ["birth_certificate", "vaccination_certificate"]}) for o in question.options
    ]
    thing = newborn.model_copy(update={"questions": [question.model_copy(update={"options": options})]})
    with pytest.raises(PlanError) as caught:
        make_plan(thing, {"hukou_location": "this_district"})
    assert caught.value.problems[0].field == "answers"
