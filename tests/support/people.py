"""Register the test's own applicants as parents, so the rules on who may apply hold for them as for anyone.

Tests use a citizen of their own (`citizen-<what the test does>`) so their cases never meet; such a citizen
is registered here as a married mother, her spouse as `<subject>-spouse`, with valid ID numbers of their own.
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from one_things.demo import demo_resident_id
from persistence.register import Resident, Sex, check_resident, get_resident

TEST_CITIZENS = "citizen-"


def _unused_id(session: Session, birth: date, *, female: bool, seed: int) -> str:
    for sequence in range(seed, seed + 400):
        id_no = demo_resident_id(birth, female=female, sequence=sequence % 400 + 100)
        if session.exec(select(Resident.subject).where(Resident.id_no == id_no)).first() is None:
            return id_no
    raise AssertionError("no free test ID number")


def _person(session: Session, subject: str, *, female: bool, seed: int) -> Resident:
    birth = date(1985, 1, 1) + timedelta(days=seed % 3000)
    resident = Resident(
        subject=subject,
        name="测试母亲" if female else "测试父亲",
        id_no=_unused_id(session, birth, female=female, seed=seed),
        birth_date=birth,
        sex=(Sex.FEMALE if female else Sex.MALE).value,
        mobile="13800138000",
        hukou_address="上海市徐汇区测试路1号",
        province="上海市",
        district="徐汇区",
    )
    check_resident(resident)
    return resident


def register_parents(engine: Engine, subject: str) -> None:
    """Idempotent: `subject` as a married mother and `<subject>-spouse` as her husband."""
    with Session(engine) as session:
        if get_resident(session, subject=subject) is not None:
            return
        seed = zlib.crc32(subject.encode())
        mother = _person(session, subject, female=True, seed=seed)
        session.add(mother)
        session.flush()
        father = _person(session, f"{subject}-spouse", female=False, seed=seed + 1)
        father.spouse_subject = subject
        session.add(father)
        session.flush()
        mother.spouse_subject = father.subject
        session.add(mother)
        session.commit()


def register_if_test_citizen(engine: Engine, subject: str) -> None:
    if subject.startswith(TEST_CITIZENS) and not subject.endswith("-spouse"):
        register_parents(engine, subject)


def held_personal_data(engine: Engine, subject: str) -> list[str]:
    """The names and ID numbers the register holds for `subject` and their spouse (to assert they leak nowhere)."""
    with Session(engine) as session:
        resident = get_resident(session, subject=subject)
        assert resident is not None
        spouse = get_resident(session, subject=resident.spouse_subject or "")
    return [value for person in (resident, spouse) if person for value in (person.name, person.id_no)]
