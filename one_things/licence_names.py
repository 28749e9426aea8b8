"""What a licence is called and who issued it, from the catalogue: a licence row stores only codes.

Here rather than beside the wallet's views, because the worker's expiry reminders name licences too and
the catalogue is what both read.
"""

from __future__ import annotations

from one_things.catalog import Catalog
from one_things.schema import Names

OTHER_ISSUERS: dict[str, Names] = {
    "civil_affairs": Names(zh="上海市民政局", en="Shanghai Civil Affairs Bureau"),
}
"""Issuers of licences that no one-thing definition names as a department (seeded from other systems)."""


def licence_name(catalog: Catalog, *, kind: str, thing: str | None) -> Names:
    """The item's result_name (a case's result) or the material's name; the kind code if neither."""
    for definition in catalog.every_version():
        if thing is not None and definition.code != thing:
            continue
        for item in definition.items:
            if item.code == kind:
                return item.result_name or item.name
        for material in definition.materials:
            if material.code == kind:
                return material.name
    return Names(zh=kind, en=kind)


def issuer_name(catalog: Catalog, issuer: str) -> Names:
    for definition in catalog.every_version():
        for department in definition.departments:
            if department.code == issuer:
                return department.name
    return OTHER_ISSUERS.get(issuer, Names(zh=issuer, en=issuer))
