"""数据管道 (seed 004 §5.4): the department takes submissions into its pipeline and decides them in batches;
the platform pulls each result (the pull is paced by the activity's retry policy)."""

from __future__ import annotations

from typing import ClassVar

from activities.gateways.contract import ContractGateway
from one_things.schema import IntegrationMode


class DataPipelineGateway(ContractGateway):
    mode: ClassVar[IntegrationMode] = IntegrationMode.BATCH
