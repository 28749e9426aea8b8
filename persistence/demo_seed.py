"""Fictional demo households for the embedded stack: the register and licences a demo needs.

Every person here is invented; ID numbers are built with a correct GB 11643 check digit and checked
like real ones. Seeding is idempotent (rows are keyed by subject and licence number), and runs only in
the development environment (see api/app.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from one_things.demo import demo_credit_code, demo_resident_id
from persistence.enterprises import Enterprise, check_enterprise, get_enterprise
from persistence.licences import add_licence
from persistence.register import Resident, Sex, check_resident, get_resident

MARRIAGE_CERTIFICATE = "marriage_certificate"
CIVIL_AFFAIRS = "civil_affairs"


@dataclass(frozen=True)
class DemoPerson:
    subject: str
    name: str
    birth: date
    sex: Sex
    mobile: str
    region: str
    """The 6-digit region code of the ID number (where the person was first registered)."""
    address: str
    province: str
    district: str
    spouse: str | None = None


# The main demo is the married couple of `one_things.demo`, hukou in this district (徐汇区), so the
# demo application and the pre-filled form agree. The second couple is not married (no marriage
# certificate, no household link); the third family's hukou is in another province. The grandmother files
# for the main couple once they authorise her.
PEOPLE = (
    DemoPerson(
        "demo-mother-1", "李梅", date(1992, 3, 7), Sex.FEMALE, "13800138000", "310104",
        "上海市徐汇区示例路1号101室", "上海市", "徐汇区", spouse="demo-father-1",
    ),
    DemoPerson(
        "demo-father-1", "王强", date(1990, 11, 21), Sex.MALE, "13900139000", "310104",
        "上海市徐汇区示例路1号101室", "上海市", "徐汇区", spouse="demo-mother-1",
    ),
    DemoPerson(
        "demo-mother-2", "陈静", date(1995, 6, 12), Sex.FEMALE, "13700137000", "310105",
        "上海市长宁区样板街8弄3号", "上海市", "长宁区",
    ),
    DemoPerson(
        "demo-father-2", "刘洋", date(1994, 2, 3), Sex.MALE, "13600136000", "310106",
        "上海市静安区演示路20号502室", "上海市", "静安区",
    ),
    DemoPerson(
        "demo-mother-3", "赵敏", date(1993, 9, 18), Sex.FEMALE, "13500135000", "330106",
        "浙江省杭州市西湖区示范路66号", "浙江省", "西湖区", spouse="demo-father-3",
    ),
    DemoPerson(
        "demo-father-3", "孙伟", date(1991, 4, 25), Sex.MALE, "13300133000", "330106",
        "浙江省杭州市西湖区示范路66号", "浙江省", "西湖区", spouse="demo-mother-3",
    ),
    # 李梅's mother: the grandparent the parents authorise to file for them (代办, POST /api/v1/authorisations).
    DemoPerson(
        "demo-grandmother-1", "张兰", date(1966, 8, 14), Sex.FEMALE, "13200132000", "310104",
        "上海市徐汇区示例路1号101室", "上海市", "徐汇区",
    ),
)  # fmt: skip


# Fictional enterprises for the one-things of legal persons (企业信息变更, 开办餐饮店, …): a young
# restaurant company in 徐汇区 and an older logistics company in 浦东新区.
@dataclass(frozen=True)
class DemoEnterprise:
    subject: str
    credit_code: str
    name: str
    legal_representative: str
    address: str
    district: str
    registered_capital: str
    established_on: date


ENTERPRISES = (
    DemoEnterprise(
        "demo-enterprise-1", demo_credit_code(1), "上海示例餐饮管理有限公司", "周敏",
        "上海市徐汇区示例路88号1层", "徐汇区", "100万元人民币", date(2023, 4, 18),
    ),
    DemoEnterprise(
        "demo-enterprise-2", demo_credit_code(2, region="310115"), "上海样板物流有限公司", "吴刚",
        "上海市浦东新区演示大道500号", "浦东新区", "1000万元人民币", date(2015, 9, 1),
    ),
)  # fmt: skip

# The main couple's marriage (each spouse holds a copy with the same number, as on paper).
MARRIAGE_NO = "J310104-2019-000123"
MARRIED_AT = datetime(2019, 5, 20, 2, 0, tzinfo=UTC)


def _resident(person: DemoPerson) -> Resident:
    return Resident(
        subject=person.subject,
        name=person.name,
        id_no=demo_resident_id(person.birth, female=person.sex is Sex.FEMALE, region=person.region),
        birth_date=person.birth,
        sex=person.sex.value,
        mobile=person.mobile,
        hukou_address=person.address,
        province=person.province,
        district=person.district,
        demo=True,
    )


def seed_demo_data(session: Session) -> int:
    """Adds whatever demo residents and licences are missing; returns how many residents were new."""
    new = [_resident(person) for person in PEOPLE if get_resident(session, subject=person.subject) is None]
    for resident in new:
        check_resident(resident)
    session.add_all(new)
    # Spouses are linked once both rows exist, so the self-reference never points at a missing row.
    session.flush()
    for person in PEOPLE:
        stored = get_resident(session, subject=person.subject)
        if stored is not None and stored.spouse_subject != person.spouse:
            stored.spouse_subject = person.spouse
            session.add(stored)
    for spec in ENTERPRISES:
        if get_enterprise(session, subject=spec.subject) is None:
            enterprise = Enterprise(**asdict(spec), demo=True)
            check_enterprise(enterprise)
            session.add(enterprise)
    for holder in ("demo-mother-1", "demo-father-1"):
        add_licence(
            session,
            holder=holder,
            kind=MARRIAGE_CERTIFICATE,
            number=MARRIAGE_NO,
            issuer=CIVIL_AFFAIRS,
            issued_at=MARRIED_AT,
        )
    return len(new)


def seed_demo_data_once(engine: Engine, attempts: int = 3) -> None:
    """`seed_demo_data` in its own transaction, safe when several API processes start at once on one database:
    the one whose rows lose the race on a unique key rolls back and looks again, finding them seeded."""
    for attempt in range(1, attempts + 1):
        try:
            with Session(engine) as session:
                seed_demo_data(session)
                session.commit()
            return
        except IntegrityError:
            if attempt == attempts:
                raise
