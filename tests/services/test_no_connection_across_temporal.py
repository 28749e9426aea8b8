"""No database connection is held while the case engine is called (DESIGN; issue 11: fifteen requests parked their
connections waiting on Temporal and froze the whole API). Each service that calls it is run here with a gateway that
notes how many of the pool's connections are checked out at the moment of the call: none may be."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.auth import Principal, Role
from core.settings import Settings
from one_things.catalog import Catalog
from services import staff_work
from services.cases import send_supplement, withdraw_case
from services.supervision import escalate
from tests.services.test_submission import newborn, submit
from tests.support.fake_gateway import FakeCaseGateway
from workflows.contracts import Holder, ItemStatus


@dataclass
class PoolWatch:
    """The fake engine, with the pool's checked-out connections noted at each call into it."""

    fake: FakeCaseGateway
    engine: Engine
    seen: list[tuple[str, int]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        call = getattr(self.fake, name)

        async def watched(*args: Any, **kwargs: Any) -> Any:
            self.seen.append((name, self.engine.pool.checkedout()))  # type: ignore[attr-defined]
            return await call(*args, **kwargs)

        return watched


async def test_every_call_into_the_case_engine_finds_the_pool_free(
    engine: Engine, session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog
) -> None:
    watch = PoolWatch(gateway, engine)
    owner = "citizen-pool-free"
    case_no, _, _ = await submit(session, watch, settings, catalog, owner, newborn(catalog))  # type: ignore[arg-type]
    await gateway.put(case_no, "birth_certificate", status=ItemStatus.WAITING_CITIZEN, holder=Holder.CITIZEN)
    citizen = Principal(role=Role.CITIZEN, subject=owner)
    clerk = Principal(role=Role.STAFF, subject="clerk-pool-free", department="cdc")
    supervisor = Principal(role=Role.SUPERVISOR, subject="supervisor-pool-free")
    now = datetime.now(UTC)

    await send_supplement(
        session=session,
        cases=watch,  # type: ignore[arg-type]
        catalog=catalog,
        principal=citizen,
        case_no=case_no,
        item_code="birth_certificate",
        form={"newborn_name": "王小宝"},
        now=now,
    )
    await staff_work.application(
        session,
        watch,  # type: ignore[arg-type]
        catalog,
        clerk,
        case_no=case_no,
        item_code="vaccination_certificate",
        now=now,
    )
    await escalate(
        session,
        watch,
        supervisor,
        case_no=case_no,
        item_code="vaccination_certificate",
        note="请加快",
        now=now,  # type: ignore[arg-type]
    )
    await staff_work.decide(
        session,
        watch,  # type: ignore[arg-type]
        clerk,
        case_no=case_no,
        item_code="vaccination_certificate",
        decision="approve",
        output={"vaccination_cert_no": "YM-1"},
        reason=None,
    )
    await withdraw_case(session=session, cases=watch, principal=citizen, case_no=case_no, reason="不办了", now=now)  # type: ignore[arg-type]

    assert [name for name, _ in watch.seen] == [
        "start",
        "supplement",
        "item_application",
        "escalate",
        "decide",
        "withdraw",
    ]
    assert [checked_out for _, checked_out in watch.seen] == [0] * len(watch.seen)
