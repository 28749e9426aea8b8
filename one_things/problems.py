"""The two kinds of error this package reports.

`FieldProblem` is about a citizen's input (answers, form) and travels to API clients, so its message
never contains the value that was entered. `DefinitionError` is about a catalogue file and is read by
whoever edits it, so it names the file, the line and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class FieldProblem(BaseModel):
    """One problem with one input field, e.g. `form.mother_id_no` or `answers.hukou_location`.

    `message` is English, for programs and logs; `rule` and `values` say the same as data, so a page can say it
    in its own language from its translation catalogue (api/pages/i18n.py, keys `form_<rule>`).
    """

    model_config = ConfigDict(frozen=True)

    field: str
    message: str
    rule: str = ""
    values: dict[str, str] = {}

    def as_error(self) -> dict[str, str]:
        """The `errors` entry of a problem+json body: field, message, and the rule with its values when known."""
        error = {"field": self.field, "message": self.message}
        return error | ({"rule": self.rule, **self.values} if self.rule else {})


@dataclass(frozen=True)
class DefinitionError:
    """One mistake in a definition file, located to a line so an editor can jump to it."""

    path: str
    line: int | None
    location: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        what = f"{self.location}: {self.message}" if self.location else self.message
        return f"{where}: {what} — fix: {self.fix}"


class CatalogError(Exception):
    """A catalogue (or one file of it) is invalid; carries every error found, not just the first."""

    def __init__(self, errors: list[DefinitionError]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        lines = "\n".join(str(error) for error in self.errors)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in the one-thing catalogue:\n{lines}")
