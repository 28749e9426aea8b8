"""Check and normalise the one form (一表申请) against a definition's form fields.

Messages go back to the applicant and into logs, so they describe the rule, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from core.bounds import INT64_MAX, LAST_DAY, single_line
from one_things.answers import Answer, field_asked, field_required
from one_things.problems import FieldProblem
from one_things.schema import FieldType, FormField, OneThing

MAX_TEXT = 1000
"""A text field without its own max_length: still bounded, as everything crossing the edge is."""
OLDEST_DAY = date(1900, 1, 1)
"""The earliest day a form may give (a parent's birth date can predate the service, unlike its records)."""
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Exactly the two values the pages' yes/no control posts (and JSON's true / false): a typed "是" or "perhaps" is
# a refusal that says so, never a guess.
_BOOLEANS = {"true": True, "false": False}


class _RuleError(Exception):
    """A rule was broken; the message is safe to show (it holds no entered value). `rule` and `values` say it as
    data, so a page words it in its own language."""

    def __init__(self, message: str, rule: str, **values: object) -> None:
        super().__init__(message)
        self.rule = rule
        self.values = {name: str(value) for name, value in values.items()}


def validate_form(
    thing: OneThing, form: Mapping[str, object], *, today: date, answers: Mapping[str, Answer] | None = None
) -> tuple[dict[str, object], list[FieldProblem]]:
    """Normalised values (ISO dates, upper-case ID numbers) and every problem, by `form.<code>`.

    `today` is passed in so a workflow or a test decides what "today" is. With the guidance `answers`, a
    field with `required_when` is required when an answer says so and refused when none does (it was not
    asked); without them (a correction), such a field is optional.
    """
    fields = {field.code: field for field in thing.form}
    problems = [
        FieldProblem(
            field=f"form.{code}",
            message=f"not a field of this one-thing; allowed: {', '.join(fields)}",
            rule="unknown_field",
        )
        for code in form
        if code not in fields
    ]
    values: dict[str, object] = {}
    for field in thing.form:
        raw = form.get(field.code)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if not field_asked(field, answers):
            if not empty:
                message = f"{_label(field)}: not asked with these answers; leave it out"
                problems.append(FieldProblem(field=f"form.{field.code}", message=message, rule="not_asked"))
            continue
        if empty:
            if field_required(field, answers):
                message = f"required: enter {_label(field)}"
                problems.append(FieldProblem(field=f"form.{field.code}", message=message, rule="required"))
            continue
        try:
            values[field.code] = _check(field, raw, today)
        except _RuleError as exc:
            message = f"{_label(field)}: {exc}"
            problems.append(FieldProblem(field=f"form.{field.code}", message=message, rule=exc.rule, values=exc.values))
    return values, problems


def _label(field: FormField) -> str:
    return f"{field.name.en} ({field.name.zh})"


def _check(field: FormField, raw: object, today: date) -> object:
    value = _CHECKS[field.type](field, raw, today)
    if field.max_length is not None and isinstance(value, str) and len(value) > field.max_length:
        raise _RuleError(f"at most {field.max_length} characters", "max_length", limit=field.max_length)
    return value


def _text(field: FormField, raw: object, today: date) -> str:
    if not isinstance(raw, str):
        raise _RuleError("must be text", "text")
    limit = field.max_length or MAX_TEXT
    if len(raw.strip()) > limit:
        raise _RuleError(f"at most {limit} characters", "max_length", limit=limit)
    try:
        return single_line(raw.strip())
    except ValueError as error:
        raise _RuleError(str(error), "control_character") from None


def date_bounds(field: FormField, today: date) -> tuple[date, date]:
    """The first and last day a date field accepts on `today` (Asia/Shanghai): what `_date` checks, for a date
    picker to offer only those days."""
    first, last = OLDEST_DAY, LAST_DAY
    if field.max_age_days is not None:
        first = max(first, today - timedelta(days=field.max_age_days))
    if field.min_days_ahead is not None:
        first = max(first, today + timedelta(days=field.min_days_ahead))
    if field.not_in_future:
        last = min(last, today)
    return first, last


def _date(field: FormField, raw: object, today: date) -> str:
    if isinstance(raw, date):
        value = raw
    elif isinstance(raw, str) and _ISO_DATE.match(raw.strip()):
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            raise _RuleError("not a calendar date; write YYYY-MM-DD, e.g. 2025-03-07", "date_not_calendar") from None
    else:
        raise _RuleError("write the date as YYYY-MM-DD, e.g. 2025-03-07", "date_format")
    if not OLDEST_DAY <= value <= LAST_DAY:
        raise _RuleError(
            f"must be between {OLDEST_DAY.isoformat()} and {LAST_DAY.isoformat()}",
            "date_range",
            first=OLDEST_DAY.isoformat(),
            last=LAST_DAY.isoformat(),
        )
    if field.not_in_future and value > today:
        raise _RuleError(f"must not be after today ({today.isoformat()})", "date_future", today=today.isoformat())
    if field.min_days_ahead is not None and value < today + timedelta(days=field.min_days_ahead):
        earliest = (today + timedelta(days=field.min_days_ahead)).isoformat()
        if field.min_days_ahead == 0:
            raise _RuleError(f"must not be before today ({earliest})", "date_past", today=earliest)
        raise _RuleError(
            f"must be at least {field.min_days_ahead} days after today (on or after {earliest})",
            "date_too_soon",
            days=field.min_days_ahead,
            earliest=earliest,
        )
    if field.max_age_days is not None and value < today - timedelta(days=field.max_age_days):
        earliest = (today - timedelta(days=field.max_age_days)).isoformat()
        raise _RuleError(
            f"must be at most {field.max_age_days} days ago (on or after {earliest})",
            "date_too_old",
            days=field.max_age_days,
            earliest=earliest,
        )
    return value.isoformat()


def _resident_id(field: FormField, raw: object, today: date) -> str:
    if not isinstance(raw, str):
        raise _RuleError("must be text: 18 characters", "text")
    number = ric.compact(raw)
    # stdnum's own messages are generic too, but ours say what to do and never include the number.
    try:
        return str(ric.validate(number))
    except stdnum_errors.InvalidLength:
        raise _RuleError("a resident ID number has 18 characters", "id_length") from None
    except stdnum_errors.InvalidFormat:
        raise _RuleError("a resident ID number is 17 digits followed by a digit or X", "id_format") from None
    except stdnum_errors.InvalidChecksum:
        raise _RuleError(
            "the check digit does not match; please re-check the number for a typo", "id_checksum"
        ) from None
    except stdnum_errors.ValidationError:
        raise _RuleError(
            "the region code or birth date inside the number is not valid; please re-check it", "id_invalid"
        ) from None


def _credit_code(field: FormField, raw: object, today: date) -> str:
    if not isinstance(raw, str):
        raise _RuleError("must be text: 18 characters", "text")
    try:
        return str(uscc.validate(raw))
    except stdnum_errors.InvalidLength:
        raise _RuleError("a unified social credit code has 18 characters", "uscc_length") from None
    except stdnum_errors.InvalidFormat:
        raise _RuleError(
            "a unified social credit code has digits and capital letters except I, O, S, V, Z", "uscc_format"
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise _RuleError(
            "the check character does not match; please re-check the code for a typo", "uscc_checksum"
        ) from None
    except stdnum_errors.ValidationError:
        raise _RuleError("not a valid unified social credit code; please re-check it", "uscc_invalid") from None


def _phone(field: FormField, raw: object, today: date) -> str:
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise _RuleError("must be a mobile number", "phone")
    number = re.sub(r"[\s-]", "", str(raw))
    if number.startswith("+86"):
        number = number[3:]
    if not _MOBILE.match(number):
        raise _RuleError("a mainland mobile number has 11 digits and starts with 13 to 19", "phone")
    return number


def _choice(field: FormField, raw: object, today: date) -> str:
    if not isinstance(raw, str) or raw.strip() not in field.choices:
        raise _RuleError(f"choose one of: {', '.join(field.choices)}", "choice")
    return raw.strip()


def _boolean(field: FormField, raw: object, today: date) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip() in _BOOLEANS:
        return _BOOLEANS[raw.strip()]
    raise _RuleError("answer true or false", "boolean")


def _integer(field: FormField, raw: object, today: date) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"-?\d{1,19}", raw.strip()):
        value = int(raw.strip())
    else:
        raise _RuleError("must be a whole number", "integer")
    if not -INT64_MAX - 1 <= value <= INT64_MAX:  # what the projection's JSON and the databases can hold
        raise _RuleError("must be a whole number within 64 bits", "integer_range")
    return value


_CHECKS: dict[FieldType, Callable[[FormField, object, date], object]] = {
    FieldType.TEXT: _text,
    FieldType.DATE: _date,
    FieldType.RESIDENT_ID: _resident_id,
    FieldType.CREDIT_CODE: _credit_code,
    FieldType.PHONE: _phone,
    FieldType.CHOICE: _choice,
    FieldType.BOOLEAN: _boolean,
    FieldType.INTEGER: _integer,
}


def validate_fields(
    thing: OneThing, fields: Mapping[str, object], *, today: date
) -> tuple[dict[str, object], list[FieldProblem]]:
    """Like `validate_form` for a correction (补正): only the fields sent are checked, none is required."""
    values, problems = validate_form(thing, fields, today=today)
    sent = {f"form.{code}" for code in fields}
    return values, [problem for problem in problems if problem.field in sent]
