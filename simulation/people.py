"""The simulated applicants: the fictional demo households of `persistence.demo_seed`, and their newborns.

The parents are the demo residents the API seeds in development, so the form is pre-filled from the
register and the licence library exactly as for the demo personas, and the one material left to
provide is the newborn's photo (the seed's reform: one material). What the government does not hold,
the applicant types: the newborn's details and, for an unmarried couple, the other parent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from one_things.demo import demo_resident_id
from persistence.demo_seed import PEOPLE, DemoPerson
from persistence.register import Sex
from simulation.scenario import SHANGHAI

BY_SUBJECT = {person.subject: person for person in PEOPLE}
GIVEN_NAMES = ("小宝", "欣怡", "子轩", "梓涵", "一诺", "浩然", "雨桐", "俊熙", "思远", "可馨", "沐阳", "安然")
HOSPITALS = ("上海市示例妇幼保健院", "上海市示例第一人民医院", "上海市示例国际妇婴医院", "上海市示例红房子医院")


@dataclass(frozen=True)
class Household:
    mother: str
    father: str
    weight: float
    hukou_location: str
    """The guidance answer their hukou gives: this_district, other_district or other_province."""


HOUSEHOLDS = (
    Household("demo-mother-1", "demo-father-1", 0.55, "this_district"),
    Household("demo-mother-2", "demo-father-2", 0.30, "other_district"),
    Household("demo-mother-3", "demo-father-3", 0.15, "other_province"),
)


@dataclass(frozen=True)
class Application:
    applicant: str
    answers: dict[str, str]
    newborn: dict[str, str]
    household: Household


def draw_application(rng: random.Random, at: datetime) -> Application:
    household = rng.choices(HOUSEHOLDS, weights=[h.weight for h in HOUSEHOLDS])[0]
    applicant = household.mother if rng.random() < 0.7 else household.father
    answers = {
        "born_in_city": "yes" if rng.random() < 0.95 else "no",
        "hukou_location": household.hukou_location,
        "wants_social_security_card": "yes" if rng.random() < 0.9 else "no",
    }
    surname = BY_SUBJECT[household.father].name[0]
    born = at.astimezone(SHANGHAI).date() - timedelta(days=rng.randint(1, 25))
    newborn = {
        "newborn_name": surname + rng.choice(GIVEN_NAMES),
        "newborn_sex": rng.choice(("male", "female")),
        "newborn_birth_date": born.isoformat(),
        "birth_hospital": rng.choice(HOSPITALS),
    }
    return Application(applicant=applicant, answers=answers, newborn=newborn, household=household)


def _person_values(prefix: str, person: DemoPerson) -> dict[str, str]:
    id_no = demo_resident_id(person.birth, female=person.sex is Sex.FEMALE, region=person.region)
    return {f"{prefix}name": person.name, f"{prefix}id_no": id_no}


def typed_fields(application: Application, form: dict[str, Any]) -> dict[str, str]:
    """What the applicant types: every field the pre-filled form left empty that they know a value for."""
    mother, father = BY_SUBJECT[application.household.mother], BY_SUBJECT[application.household.father]
    applicant = BY_SUBJECT[application.applicant]
    known = application.newborn | _person_values("mother_", mother) | _person_values("father_", father)
    known |= {"contact_phone": applicant.mobile, "hukou_address": applicant.address}
    return {
        field["code"]: known[field["code"]]
        for field in form["fields"]
        if not field["prefilled"] and field["code"] in known
    }


def photos(form: dict[str, Any]) -> list[str]:
    """The materials the plan still asks the citizen for (the photo when a social security card is wanted)."""
    return [material["code"] for material in form.get("materials") or [] if not material["exempt"]]


def correction(application: Application) -> dict[str, str]:
    """A 补正 answer: the applicant re-checks and sends their contact number (any form field would do)."""
    return {"contact_phone": BY_SUBJECT[application.applicant].mobile}
