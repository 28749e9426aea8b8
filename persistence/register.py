"""The population register: what the government already knows about a resident (两个免于提交).

In production this table is fed from the shared-data platform; in the embedded stack it holds the
demo households of `persistence.demo_seed`. Residents are found by their opaque sign-in subject,
never by name or ID number, so lookups can be logged and traced without personal data.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Field, Session, SQLModel, col, select
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from core.privacy import mask_id_no


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Resident(SQLModel, table=True):
    __tablename__ = "residents"

    subject: str = Field(primary_key=True, max_length=128)
    """The opaque account id the resident signs in with; never personal data."""
    name: str = Field(max_length=60)
    id_no: str = Field(unique=True, max_length=18)
    birth_date: date
    sex: str = Field(max_length=8)
    mobile: str = Field(max_length=20)
    hukou_address: str = Field(max_length=200)
    province: str = Field(max_length=30)
    district: str = Field(max_length=30)
    spouse_subject: str | None = Field(default=None, foreign_key="residents.subject", max_length=128)
    demo: bool = False
    """A fictional resident of the embedded stack, offered on the demo sign-in page."""


class InvalidResidentError(ValueError):
    """A register entry breaks a rule; the message names the rule, never the value."""


def check_resident(resident: Resident) -> None:
    """The ID number is a valid GB 11643 number whose birth date and sex digit match the person."""
    try:
        number = ric.validate(resident.id_no)
    except stdnum_errors.ValidationError:
        raise InvalidResidentError(f"resident {resident.subject}: the ID number is not valid") from None
    if ric.get_birth_date(number) != resident.birth_date:
        raise InvalidResidentError(f"resident {resident.subject}: the ID number's birth date differs")
    # The 17th digit is the order code's last: odd for men, even for women.
    expected = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    if resident.sex != expected:
        raise InvalidResidentError(f"resident {resident.subject}: the ID number's sex digit differs")
    if resident.spouse_subject == resident.subject:
        raise InvalidResidentError(f"resident {resident.subject}: cannot be their own spouse")


def get_resident(session: Session, *, subject: str) -> Resident | None:
    return session.get(Resident, subject)


def find_by_id_no(session: Session, *, id_no: str) -> Resident | None:
    """The one lookup by ID number: a window clerk checking the ID card of a citizen standing at the counter."""
    return session.exec(select(Resident).where(Resident.id_no == id_no)).first()


def get_spouse(session: Session, *, resident: Resident) -> Resident | None:
    if resident.spouse_subject is None:
        return None
    return session.get(Resident, resident.spouse_subject)


class DemoCitizen(BaseModel):
    """An entry of the demo sign-in page: enough to choose a persona, no full ID number."""

    subject: str
    label: str
    name: str
    id_no_masked: str
    mother: bool
    married: bool
    hukou: str
    """Province and district of the hukou, e.g. 上海市徐汇区."""


def list_demo_citizens(session: Session) -> list[DemoCitizen]:
    residents = session.exec(select(Resident).where(col(Resident.demo).is_(True)).order_by(Resident.subject)).all()
    return [_demo_citizen(resident) for resident in residents]


def _demo_citizen(resident: Resident) -> DemoCitizen:
    role = "母亲" if resident.sex == Sex.FEMALE else "父亲"
    married = resident.spouse_subject is not None
    hukou = f"{resident.province}{resident.district}"
    label = f"{resident.name}({role} · {'已婚' if married else '未婚'} · 户籍{hukou})"
    return DemoCitizen(
        subject=resident.subject,
        label=label,
        name=resident.name,
        id_no_masked=mask_id_no(resident.id_no),
        mother=resident.sex == Sex.FEMALE,
        married=married,
        hukou=hukou,
    )
