"""The State Council's lists of key one-things (`national_lists.yaml`) and the catalogue's coverage of them.

The lists are data, not code: a new batch is a new block in the file. Coverage is read against whichever
catalogue a command loaded, so `things list` on an operator's folder shows what that folder lacks.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, model_validator

from one_things.schema import Code, Names, Strict

LISTS_FILE = Path(__file__).parent / "national_lists.yaml"


class Listed(Strict):
    """One place on a list: the key one-thing, the definition implementing it, and how sure we are of it."""

    name: Names | None = Field(description="The one-thing as the list names it; null: a place whose name was not found")
    defined_by: Code | None = Field(default=None, description="The catalogue code that implements it")
    unconfirmed: bool = Field(default=False, description="Name or batch not checked against the list itself")
    source: str | None = Field(default=None, description="Where this entry was found, if not the batch's source")
    note: str | None = Field(default=None, description="What we know of an unconfirmed or unnamed entry")

    @model_validator(mode="after")
    def _named_to_be_defined(self) -> Listed:
        if self.name is None and self.defined_by is not None:
            raise ValueError("a place whose name was not found cannot name a definition")
        if (self.unconfirmed or self.name is None) and not self.note:
            raise ValueError("say in `note` what is known of an unconfirmed or unnamed entry")
        return self


class Batch(Strict):
    """One published list (批次)."""

    code: str = Field(pattern=r"^\d{4}_\d$")
    name: Names
    document: str | None = Field(default=None, description="The document's number; none: not found")
    size: int = Field(ge=1, description="How many key one-things the published list has")
    source: str
    things: list[Listed]

    @model_validator(mode="after")
    def _every_place_listed(self) -> Batch:
        if len(self.things) != self.size:
            raise ValueError(f"batch {self.code} lists {len(self.things)} places, its size is {self.size}")
        return self


class NationalLists(Strict):
    version: Literal[1]
    batches: list[Batch]
    shanghai: list[Listed] = Field(default_factory=list, description="Shanghai's own, where they differ")


@cache
def national_lists(path: Path = LISTS_FILE) -> NationalLists:
    """The lists, read once per process: they ship with the package like the registers' vocabulary."""
    return NationalLists.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


Status = Literal["defined", "missing", "not found"]


@dataclass(frozen=True)
class Coverage:
    """One place on a list as a catalogue covers it."""

    listed: Listed
    status: Status

    @property
    def label(self) -> str:
        """The definition's code, or why there is none."""
        if self.status == "defined" and self.listed.defined_by:
            return self.listed.defined_by
        if self.status == "not found":
            return "(name not found)"
        return "missing"


def coverage(entries: list[Listed], codes: Collection[str]) -> list[Coverage]:
    """Each entry against the catalogue's codes: a `defined_by` the catalogue lacks is missing, as is an entry
    nobody has written yet."""
    rows = []
    for entry in entries:
        if entry.name is None:
            status: Status = "not found"
        elif entry.defined_by is not None and entry.defined_by in codes:
            status = "defined"
        else:
            status = "missing"
        rows.append(Coverage(entry, status))
    return rows
