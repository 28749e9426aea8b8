"""The registers' vocabulary (`registers.yaml`, beside the catalogue) and the check of every pre-fill source.

A `prefill` that names nothing the registers hold used to validate and then silently never fill; every
source is now checked against the declared vocabulary, and a wrong one is refused with the nearest valid one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field

from one_things.checks import Collector, allowed
from one_things.hints import did_you_mean
from one_things.schema import Code, MaterialSource, Names, OneThing, Strict

VOCABULARY_FILE = Path(__file__).parent / "registers.yaml"


class Register(Strict):
    """One register a form field may be pre-filled from."""

    name: Names
    applicant: Literal["person", "legal_person", "any"]
    attributes: list[Code] = Field(min_length=1)


class Vocabulary(Strict):
    version: Literal[1]
    registers: dict[Code, Register]


@cache
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """The vocabulary, read once per process: it ships with the code that fills the values."""
    return Vocabulary.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def sources_for(thing: OneThing) -> list[str]:
    """Every `<register>.<attribute>` a field of `thing` may name, in the vocabulary's order."""
    found: list[str] = []
    for code, register in vocabulary().registers.items():
        if register.applicant not in ("any", thing.applicant.value):
            continue
        found += [f"{code}.{attribute}" for attribute in register.attributes]
        if code == MaterialSource.LICENCE_LIBRARY.value:
            own = [m.code for m in thing.materials if m.source is MaterialSource.LICENCE_LIBRARY]
            found += [f"{code}.{kind}" for kind in own if kind not in register.attributes]
    return found


def check_prefill_sources(c: Collector) -> None:
    sources = sources_for(c.thing)
    registers = {source.partition(".")[0] for source in sources}
    for index, field in enumerate(c.thing.form):
        source = field.prefill
        if not source or source in sources:
            continue
        register = source.partition(".")[0]
        if register not in registers:
            shown = " or ".join(f"{r}.<attribute>" for r in sorted(registers))
            fix = f"for applicant: {c.thing.applicant.value}, use {shown}"
            message = f"prefill source '{register}' does not hold data of this applicant"
        else:
            same_register = [s for s in sources if s.startswith(f"{register}.")]
            fix = f"{did_you_mean(source, sources)}use one of: {allowed(same_register)}"
            message = f"prefill source '{source}' is not in the registers' vocabulary (one_things/registers.yaml)"
        c.add(("form", index), message, fix, at=("prefill",))
