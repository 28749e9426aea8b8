"""The enterprise register (市场主体登记): what the government holds about a legal person applicant.

A legal person applies through an account of its own (an opaque subject, like a resident's); the
register links that account to the enterprise, so a one-thing for enterprises is pre-filled from here
as a person's is from the population register. The legal representative's name is personal data.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, Session, SQLModel, col, select
from stdnum.cn import uscc


class Enterprise(SQLModel, table=True):
    __tablename__ = "enterprises"

    subject: str = Field(primary_key=True, max_length=128)
    """The enterprise account's opaque id, never the credit code or a name."""
    credit_code: str = Field(unique=True, max_length=18)
    name: str = Field(max_length=120)
    legal_representative: str = Field(max_length=60)
    address: str = Field(max_length=200)
    district: str = Field(max_length=30)
    registered_capital: str = Field(max_length=40)
    established_on: date
    demo: bool = False


class InvalidEnterpriseError(ValueError):
    """A register entry breaks a rule; the message names the rule, never the value."""


def check_enterprise(enterprise: Enterprise) -> None:
    if not uscc.is_valid(enterprise.credit_code):
        raise InvalidEnterpriseError(f"enterprise {enterprise.subject}: the unified social credit code is not valid")


def get_enterprise(session: Session, *, subject: str) -> Enterprise | None:
    return session.get(Enterprise, subject)


def list_demo_enterprises(session: Session) -> list[Enterprise]:
    query = select(Enterprise).where(col(Enterprise.demo).is_(True)).order_by(Enterprise.subject)
    return list(session.exec(query).all())


def register_values(enterprise: Enterprise | None) -> dict[str, str]:
    """Register attributes by name, as definitions name them in `enterprise_register.<attribute>`."""
    if enterprise is None:
        return {}
    return {
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "legal_representative": enterprise.legal_representative,
        "address": enterprise.address,
        "district": enterprise.district,
        "registered_capital": enterprise.registered_capital,
        "established_on": enterprise.established_on.isoformat(),
    }
