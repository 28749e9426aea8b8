"""统一配置开发 over synchronous REST: the department's system answers the submission in the same exchange."""

from __future__ import annotations

from typing import ClassVar

from activities.gateways.contract import ContractGateway
from one_things.schema import IntegrationMode


class SyncRestGateway(ContractGateway):
    mode: ClassVar[IntegrationMode] = IntegrationMode.SYNC_REST
