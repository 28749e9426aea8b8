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
    """A case's result: the result_name (else name) of the item `kind` of its own one-thing `thing`; any other
    licence (seeded, imported, or a kind no item of `thing` has): the registry's name; the kind code if neither.

    Never another one-thing's item or material: the first file to use a code used to name it for everyone."""
    if thing is not None:
        for definition in catalog.every_version():
            if definition.code != thing:
                continue
            for item in definition.items:
                if item.code == kind:
                    return item.result_name or item.name
    return catalog.registry.name(kind) or Names(zh=kind, en=kind)


def issuer_name(catalog: Catalog, issuer: str) -> Names:
    for definition in catalog.every_version():
        for department in definition.departments:
            if department.code == issuer:
                return department.name
    return OTHER_ISSUERS.get(issuer, Names(zh=issuer, en=issuer))
