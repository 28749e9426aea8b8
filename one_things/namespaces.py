"""Checks between a definition and what other files own: the registry's licence types and materials.

A definition refers to a licence type or a material by its registry code and may leave its name out; the name
is then filled in from the registry before the file is parsed, so every page and every case snapshot shows the
registry's name. A file that writes a different name would rename the licence or material for every one-thing
(and every resident's wallet): it is refused, on the line of that name, with the way to rename it properly.
A code the registry does not know is refused with the nearest known code.

Runs on the raw YAML data, before the format check, because a name the file leaves out must be there for the
format check to pass. Checks within one file are `one_things.validation`; two files with one code `catalog`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from one_things.hints import did_you_mean
from one_things.problems import DefinitionError
from one_things.registry import Registry, Section
from one_things.schema import MaterialSource
from one_things.validation import Loc, describe

Locator = Callable[[Loc], int | None]
LICENCE_PREFILL = "licence_library."


def resolve_registry_names(
    data: Any, registry: Registry, *, path: str, locate: Locator
) -> tuple[Any, list[DefinitionError]]:
    """`data` with every material's name taken from the registry, and every reference the registry refuses."""
    if not isinstance(data, dict):
        return data, []  # not a definition at all: the format check says so
    data = copy.deepcopy(data)
    errors: list[DefinitionError] = []

    def refuse(loc: Loc, at: Loc, message: str, fix: str) -> None:
        errors.append(DefinitionError(path, locate((*loc, *at)), describe(data, loc), message, fix))

    materials = data.get("materials")
    for index, material in enumerate(materials if isinstance(materials, list) else []):
        if isinstance(material, dict) and isinstance(material.get("code"), str):
            _material(registry, material, ("materials", index), refuse)
    form = data.get("form")
    for index, field in enumerate(form if isinstance(form, list) else []):
        prefill = field.get("prefill") if isinstance(field, dict) else None
        if isinstance(prefill, str) and prefill.startswith(LICENCE_PREFILL):
            _licence_prefill(registry, prefill.removeprefix(LICENCE_PREFILL), ("form", index), refuse)
    return data, errors


Refuse = Callable[[Loc, Loc, str, str], None]


def _material(registry: Registry, material: dict[str, Any], loc: Loc, refuse: Refuse) -> None:
    code: str = material["code"]
    licence = material.get("source") == MaterialSource.LICENCE_LIBRARY.value
    found = registry.get(code)
    if found is None:
        section = Section.LICENCES if licence else None
        what = "licence type" if licence else "material"
        fix = f"{did_you_mean(code, registry.codes(section))}add `- code: {code}` with its name under "
        fix += f"{(section or Section.MATERIALS).value}: in {registry.path}, then leave `name:` out here"
        refuse(loc, ("code",), f"{what} '{code}' is not in the registry of licences and materials", fix)
        material.setdefault("name", {"zh": code, "en": code})  # refused anyway; spares a second message
        return
    if licence and found.section is not Section.LICENCES:
        message = f"'{code}' is a material in the registry, not a licence type the licence library holds"
        licences = ", ".join(registry.codes(Section.LICENCES))
        fix = f"use source: shared_data or citizen, or one of the licence types: {licences}"
        refuse(loc, ("source",), message, fix)
    written = material.get("name")
    registered = found.name.model_dump()
    if written is None:
        material["name"] = registered
    elif written != registered:
        shown = f"{written.get('zh')} / {written.get('en')}" if isinstance(written, dict) else repr(written)
        message = (
            f"would rename '{code}' for every one-thing: the registry ({registry.where(code)}) names it "
            f"{found.name.zh} / {found.name.en}, this file {shown}"
        )
        fix = (
            f"remove `name:` here (the registry's name is used); if it is a different {found.section.value[:-1]}, "
            f"give it a code of its own and add that to {registry.path}; to rename it everywhere, change it in "
            f"{registry.where(code)}"
        )
        refuse(loc, ("name",), message, fix)


def _licence_prefill(registry: Registry, code: str, loc: Loc, refuse: Refuse) -> None:
    found = registry.get(code)
    if found is not None and found.section is Section.LICENCES:
        return
    licences = registry.codes(Section.LICENCES)
    fix = f"{did_you_mean(code, licences)}use licence_library.<code> with a licence type of {registry.path}: "
    refuse(loc, ("prefill",), f"prefill names '{code}', which is not a licence type", fix + ", ".join(licences))
