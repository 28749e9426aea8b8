"""A year's official 调休 schedule as operator data: one validated file per year in the calendar folder.

The State Council publishes next year's holidays and make-up workdays in November or December; the
`holidays` package carries them only after a release. An operator copies the announcement into a file
(YAML, or JSON, which YAML reads as well) and runs `onething calendar load FILE`:

    year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知   # optional, shown by `calendar show`
    days_off: [2027-01-01, 2027-02-05..2027-02-11]     # a day, or FIRST..LAST
    workdays: [2027-02-06]                             # make-up working Saturdays/Sundays (调休上班)

Every mistake is reported as `file:line: message — fix: ...`, as the catalogue validator does; only a file
without mistakes is stored. The folder is read again whenever a file in it changes, so the API counts the new
days at its next request, and cases accepted from then on carry them (`case_calendar`).

Not built on the catalogue's loader (one_things/loader.py): core may not import it, and this format is four
keys, so the node walk below is the smaller thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml

from core.calendar import TZ, Adjustments, YearsCalendar, adjustments_from, published_by_package, years_calendar
from core.settings import Settings

_KEYS = ("year", "source", "days_off", "workdays")
_EXAMPLE = "year: 2027, days_off: [2027-01-01, 2027-02-05..2027-02-11], workdays: [2027-02-06]"
_Report = Callable[[int | None, str, str], None]
MAX_BYTES = 64 * 1024
"""A year of dates is a few hundred bytes; anything near this is not a calendar."""


@dataclass(frozen=True)
class YearProblem:
    """One mistake in a calendar file, located to a line so an editor can jump to it."""

    path: str
    line: int | None
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message} — fix: {self.fix}"


class CalendarFileError(ValueError):
    def __init__(self, problems: list[YearProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class YearSchedule:
    year: int
    days_off: frozenset[date]
    workdays: frozenset[date]
    source: str = ""


def parse_year(text: str, path: str) -> tuple[YearSchedule | None, list[YearProblem]]:
    """The schedule in `text`, or None and every mistake found (all of them, in file order)."""
    problems: list[YearProblem] = []

    def problem(line: int | None, message: str, fix: str) -> None:
        problems.append(YearProblem(path, line, message, fix))

    if len(text.encode("utf-8")) > MAX_BYTES:
        problem(None, f"the file is larger than {MAX_BYTES} bytes", "keep one year's dates only")
        return None, problems
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem(mark.line + 1 if mark else None, f"not valid YAML or JSON: {exc.problem}", "check the line's syntax")
        return None, problems
    except yaml.YAMLError as exc:
        problem(None, f"not valid YAML or JSON: {exc}", "check the file's syntax")
        return None, problems
    if not isinstance(root, yaml.MappingNode):
        problem(_line(root) if root else 1, "the file must be a mapping of year, days_off and workdays", _EXAMPLE)
        return None, problems
    keys = _keys(root, problem)
    year = _year(root, keys, problem)
    lists = {name: _days(keys[name], year, name, problem) if name in keys else {} for name in ("days_off", "workdays")}
    days_off = keys.get("days_off")
    if year is not None and (days_off is None or (isinstance(days_off, yaml.SequenceNode) and not days_off.value)):
        where = _line(days_off) if days_off is not None else _line(root)
        problem(where, "days_off is missing or empty: every year has public holidays", f"add them, e.g. {_EXAMPLE}")
    for day, line in lists["workdays"].items():
        if day in lists["days_off"]:
            problem(line, f"{day} is both a day off and a workday", "keep it in one of the two lists")
        elif day.weekday() < 5:
            problem(line, f"{day} is a {day:%A}, a working day anyway", "list only make-up Saturdays and Sundays")
    if problems or year is None:
        return None, sorted(problems, key=lambda p: p.line or 0)
    source = keys["source"].value if "source" in keys and isinstance(keys["source"], yaml.ScalarNode) else ""
    return YearSchedule(year, frozenset(lists["days_off"]), frozenset(lists["workdays"]), str(source)), []


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _keys(root: yaml.MappingNode, problem: _Report) -> dict[str, yaml.Node]:
    keys: dict[str, yaml.Node] = {}
    for key, value in root.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else ""
        if name not in _KEYS:
            problem(_line(key), f"unknown key {name!r}", f"use only {', '.join(_KEYS)}")
        elif name in keys:
            problem(_line(key), f"key {name!r} appears twice", "keep one of them")
        else:
            keys[name] = value
    return keys


def _year(root: yaml.MappingNode, keys: dict[str, yaml.Node], problem: _Report) -> int | None:
    node = keys.get("year")
    if node is None:
        problem(_line(root), "year is missing", "add the year the announcement is for, e.g. year: 2027")
        return None
    text = node.value if isinstance(node, yaml.ScalarNode) else ""
    if not (isinstance(text, str) and text.isdigit() and 2000 <= int(text) <= 2100):
        problem(_line(node), f"year must be a number such as 2027, not {text!r}", "write the four digits of the year")
        return None
    return int(text)


def _days(node: yaml.Node, year: int | None, name: str, problem: _Report) -> dict[date, int]:
    """The days of one list with the line each is written on."""
    if not isinstance(node, yaml.SequenceNode):
        fix = f"write e.g. {name}: [2027-01-01, 2027-02-05..2027-02-11]"
        problem(_line(node), f"{name} must be a list of days", fix)
        return {}
    days: dict[date, int] = {}
    for entry in node.value:
        line = _line(entry)
        text = entry.value if isinstance(entry, yaml.ScalarNode) else ""
        try:
            span = list(_span(str(text)))
        except ValueError:
            problem(line, f"{text!r} is not a day", "write YYYY-MM-DD, or FIRST..LAST for a run of days")
            continue
        for day in span:
            if year is not None and day.year != year:
                problem(line, f"{day} is not in {year}", f"list only days of {year}; another year is another file")
            elif day in days:
                problem(line, f"{day} is listed twice in {name} (first at line {days[day]})", "remove one of them")
            else:
                days[day] = line
    return days


def _span(text: str) -> Iterator[date]:
    first, _, last = text.partition("..")
    start = date.fromisoformat(first.strip())
    end = date.fromisoformat(last.strip()) if last else start
    if end < start or (end - start).days > 31:
        raise ValueError(text)
    while start <= end:
        yield start
        start += timedelta(days=1)


def read_year(path: Path) -> YearSchedule:
    """A stored or offered file, raising CalendarFileError with every mistake."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        unreadable = YearProblem(str(path), None, f"cannot read it: {exc}", "give a UTF-8 text file")
        raise CalendarFileError([unreadable]) from None
    schedule, problems = parse_year(text, str(path))
    if schedule is None:
        raise CalendarFileError(problems)
    return schedule


def stored_path(folder: Path, year: int) -> Path:
    return folder / f"{year}.yaml"


def store_year(folder: Path, source_file: Path) -> YearSchedule:
    """Validate `source_file` and keep its text as the folder's file for its year (replacing an earlier one)."""
    schedule = read_year(source_file)
    folder.mkdir(parents=True, exist_ok=True)
    target = stored_path(folder, schedule.year)
    partial = target.with_suffix(".yaml.part")
    partial.write_text(source_file.read_text(encoding="utf-8"), encoding="utf-8")
    partial.replace(target)  # atomic: a reader sees the old year or the new one, never half a file
    return schedule


def stored_years(folder: Path) -> dict[int, YearSchedule]:
    """Every year loaded into `folder`, read again only when a file in it changed."""
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return _read_folder(tuple((path, path.stat().st_mtime_ns, path.stat().st_size) for path in files))


@cache
def _read_folder(files: tuple[tuple[Path, int, int], ...]) -> dict[int, YearSchedule]:
    years = {}
    for path, _, _ in files:
        schedule = read_year(path)
        if path.stem != str(schedule.year):
            raise CalendarFileError([YearProblem(str(path), None, "holds another year", "load it with calendar load")])
        years[schedule.year] = schedule
    return years


def calendar_for(settings: Settings) -> Adjustments:
    """The years loaded into the calendar folder and the older single file (ONETHING_CALENDAR_ADJUSTMENTS), as one."""
    extra = adjustments_from(settings.calendar_adjustments)
    years = stored_years(settings.calendar_folder).values()
    return Adjustments(
        days_off=extra.days_off.union(*(year.days_off for year in years)),
        workdays=extra.workdays.union(*(year.workdays for year in years)),
    )


def case_calendar(settings: Settings, accepted_at: datetime) -> YearsCalendar:
    """The working days of the year (Asia/Shanghai) a case is accepted in and of the next, as `calendar_for` and
    the installed `holidays` package count them now: the years its deadlines reach, bar long pauses for 补正."""
    year = accepted_at.astimezone(TZ).year
    return years_calendar(frozenset({year, year + 1}), calendar_for(settings))


def next_year_missing(folder: Path, now: datetime) -> int | None:
    """From December 1st (Asia/Shanghai), next year when its schedule is known neither from a loaded file nor
    from the installed `holidays` package; else None. Deadlines running into that year would count its
    make-up Saturdays as days off and its substituted days off as working days."""
    today = now.astimezone(TZ).date()
    if today.month != 12:
        return None
    year = today.year + 1
    try:
        loaded = stored_years(folder)
    except CalendarFileError:
        return year  # a file in the folder no longer reads (edited by hand): as good as missing, say so
    return None if year in loaded or published_by_package(year) else year


def missing_warning(year: int) -> str:
    return (
        f"the official holidays and make-up workdays of {year} are not loaded: deadlines reaching into {year} "
        f"may be counted wrongly; load the State Council's announcement with `onething calendar load FILE`"
    )
