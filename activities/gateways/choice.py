"""Which gateway serves a department in a mode: the registry's connection, the mode's class."""

from __future__ import annotations

from activities.gateways.async_callback import AsyncCallbackGateway
from activities.gateways.base import DepartmentGateway, GatewayContext, NotRegisteredError
from activities.gateways.data_pipeline import DataPipelineGateway
from activities.gateways.standard_module import StandardModuleGateway
from activities.gateways.sync_rest import SyncRestGateway
from one_things.department_registry import HTTP_MODES, Registry
from one_things.live_registry import LiveRegistry
from one_things.schema import IntegrationMode

GATEWAY_CLASSES: dict[IntegrationMode, type[DepartmentGateway]] = {
    gateway.mode: gateway
    for gateway in (StandardModuleGateway, SyncRestGateway, AsyncCallbackGateway, DataPipelineGateway)
}


class Gateways:
    """The gateways of one worker process, built on first use and kept (their HTTP clients and rate limits)
    until the registry changes: a live registry's new version is used from the next call on."""

    def __init__(self, registry: Registry | LiveRegistry, context: GatewayContext) -> None:
        self._live = registry if isinstance(registry, LiveRegistry) else None
        self._registry = registry.current() if isinstance(registry, LiveRegistry) else registry
        self._context = context
        self._built: dict[tuple[str, IntegrationMode], DepartmentGateway] = {}

    def _current(self) -> Registry:
        if self._live is not None:
            registry = self._live.current()
            if registry is not self._registry:
                self._registry, self._built = registry, {}
        return self._registry

    def for_mode(self, department: str, mode: IntegrationMode) -> DepartmentGateway:
        key = (department, mode)
        registry = self._current()
        if key not in self._built:
            try:
                connection = registry.connection(department)
            except LookupError:
                raise NotRegisteredError(department) from None
            self._built[key] = GATEWAY_CLASSES[mode](department, connection, self._context)
        return self._built[key]

    def for_notices(self, department: str) -> DepartmentGateway:
        """Withdrawals and escalations carry no mode: they go to the department's system when it has one."""
        try:
            connection = self._current().connection(department)
        except LookupError:
            raise NotRegisteredError(department) from None
        system_modes = [mode for mode in connection.modes if mode in HTTP_MODES]
        return self.for_mode(department, system_modes[0] if system_modes else IntegrationMode.STANDARD_MODULE)
