"""Asynchronous with a signed callback: the department acknowledges, then posts its result to the platform."""

from __future__ import annotations

from typing import ClassVar

from activities.gateways.contract import ContractGateway
from one_things.schema import IntegrationMode


class AsyncCallbackGateway(ContractGateway):
    mode: ClassVar[IntegrationMode] = IntegrationMode.ASYNC_CALLBACK

    def callback_url(self) -> str | None:
        return self.platform_callback_url()
