"""One gateway class per integration mode (seed 004 §5), chosen from the department registry.

`DepartmentGateway` is the one interface the department activities call; `Gateways` picks the class for a
department and mode from `GATEWAY_CLASSES`. Adding a mode is one class here (and its tests).
"""

from __future__ import annotations

from activities.gateways.base import DepartmentGateway, GatewayContext, NotRegisteredError
from activities.gateways.choice import GATEWAY_CLASSES, Gateways
from activities.gateways.http import DepartmentHttp

__all__ = ["GATEWAY_CLASSES", "DepartmentGateway", "DepartmentHttp", "GatewayContext", "Gateways", "NotRegisteredError"]
