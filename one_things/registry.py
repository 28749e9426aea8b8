"""The shared registry of licence types and materials: one code, one name, for every one-thing.

A licence a resident holds (a marriage certificate) or a material an item needs (a hukou booklet) means the
same thing in every definition and on every page, so its name is kept once, in `_registry.yaml` beside the
definitions, and definitions refer to it by code. Before, each definition named them itself and the first file
to use a code won: a new definition could rename every resident's marriage certificate, on the public
verification page too. Chosen over per-one-thing namespaces (`newborn.marriage_certificate`) because these
are shared facts: the licence library holds one marriage certificate, which several one-things read.
Items stay per one-thing: an item is identified by (thing, item), see docs/catalog.md.

Pure data, like `one_things.schema`; reading the file is `one_things.registry_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import Field

from one_things.schema import Code, Names, Strict

REGISTRY_FILE = "_registry.yaml"
"""The registry's file name in a catalogue folder; the leading _ keeps it apart from the definitions."""


class RegistryEntry(Strict):
    """A licence type or a material: its code and the one name every page shows."""

    code: Code = Field(description="The key definitions refer to (materials[].code, prefill licence_library.<code>)")
    name: Names = Field(description="The name every one-thing, the wallet and the verification page show")


class RegistryDocument(Strict):
    """The registry file as written."""

    licences: list[RegistryEntry] = Field(
        default_factory=list, description="Licence types the licence library (电子证照库) holds, e.g. 结婚证"
    )
    materials: list[RegistryEntry] = Field(
        default_factory=list, description="Other materials items need (shared data or provided by the applicant)"
    )


class Section(StrEnum):
    LICENCES = "licences"
    MATERIALS = "materials"


@dataclass(frozen=True)
class Registered:
    """One entry as found: which section, its name, and where it is written (for messages)."""

    section: Section
    name: Names
    line: int | None


@dataclass(frozen=True)
class Registry:
    """The validated registry of one catalogue folder."""

    path: str
    """The file, as shown in messages."""
    entries: dict[str, Registered] = field(default_factory=dict)

    def get(self, code: str) -> Registered | None:
        return self.entries.get(code)

    def name(self, code: str) -> Names | None:
        found = self.entries.get(code)
        return found.name if found is not None else None

    def codes(self, section: Section | None = None) -> list[str]:
        return [code for code, entry in self.entries.items() if section is None or entry.section is section]

    def where(self, code: str) -> str:
        """`one_things/catalog/_registry.yaml:12`: where an entry is written."""
        found = self.entries.get(code)
        return f"{self.path}:{found.line}" if found is not None and found.line is not None else self.path
