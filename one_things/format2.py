"""Checks on the constructs format 2 adds: conditional dependencies, fields required by an answer,
multi-select questions and their defaults, dates that must lie ahead (`min_days_ahead`), and the `format: 2`
declaration they need.

A format 1 file means the same under format 2 (every construct it can use kept its meaning), so old files
load unchanged and no migration command is needed; a file that uses a format 2 construct must say
`format: 2`, so an older platform refuses it by its declared format rather than by a puzzling unknown key,
and an author sees at the top of the file which rules it follows.
"""

from __future__ import annotations

from one_things.checks import Collector, Loc, use
from one_things.schema import OneThing


def check_format_2(c: Collector) -> None:
    if c.thing.format < 2:
        for loc, key, what in _format_2_uses(c.thing):
            fix = "add `format: 2` at the top of the file (everything a format 1 file says means the same in format 2)"
            c.add(loc, f"{what} needs format 2", fix, at=(key,))
    _check_conditional_dependencies(c)
    _check_required_when(c)
    _check_multi_select(c)


def _format_2_uses(thing: OneThing) -> list[tuple[Loc, str, str]]:
    """(entry, key, what) for every format 2 construct the definition uses."""
    uses: list[tuple[Loc, str, str]] = []
    for index, item in enumerate(thing.items):
        if item.depends_on_if_included:
            uses.append((("items", index), "depends_on_if_included", "depends_on_if_included"))
        for name, source in item.inputs.items():
            if source.startswith("answers."):
                uses.append((("items", index, "inputs"), name, f"input '{name}' reads an answer ({source}), which"))
    for index, field in enumerate(thing.form):
        if field.required_when:
            uses.append((("form", index), "required_when", "required_when"))
        if field.min_days_ahead is not None:
            uses.append((("form", index), "min_days_ahead", "min_days_ahead"))
    for qi, question in enumerate(thing.questions):
        if question.multiple:
            uses.append((("questions", qi), "multiple", "multiple"))
        for oi, option in enumerate(question.options):
            if option.notice is not None:
                uses.append((("questions", qi, "options", oi), "notice", "notice"))
    return uses


def _check_conditional_dependencies(c: Collector) -> None:
    codes = [item.code for item in c.thing.items]
    for index, item in enumerate(c.thing.items):
        loc: Loc = ("items", index)
        for di, dep in enumerate(item.depends_on_if_included):
            at: Loc = ("depends_on_if_included", di)
            if dep == item.code:
                fix = "remove it: an item cannot wait for itself"
                c.add(loc, "depends_on_if_included names the item itself", fix, at=at)
            elif dep not in codes:
                fix = use(dep, [code for code in codes if code != item.code])
                c.add(loc, f"depends_on_if_included names unknown item '{dep}'", fix, at=at)
            elif dep in item.depends_on:
                fix = f"keep {dep} in depends_on (left out with it) or here (waited for only when included), not both"
                c.add(loc, f"'{dep}' is in both depends_on and depends_on_if_included", fix, at=at)


def _check_required_when(c: Collector) -> None:
    options = {q.code: [o.value for o in q.options] for q in c.thing.questions}
    for index, field in enumerate(c.thing.form):
        loc: Loc = ("form", index)
        if field.required_when and field.required:
            fix = "add `required: false`: the field is then asked for and required only when an answer says so"
            c.add(loc, "required_when on a field that is required for every answer", fix, at=("required_when",))
        for ci, condition in enumerate(field.required_when):
            at: Loc = ("required_when", ci)
            if condition.question not in options:
                fix = use(condition.question, options)
                c.add(loc, f"required_when names unknown question '{condition.question}'", fix, at=(*at, "question"))
                continue
            for ai, answer in enumerate(condition.answers):
                if answer not in options[condition.question]:
                    fix = use(answer, options[condition.question])
                    message = f"required_when names '{answer}', which is not an option of {condition.question}"
                    c.add(loc, message, fix, at=(*at, "answers", ai))


def _check_multi_select(c: Collector) -> None:
    for qi, question in enumerate(c.thing.questions):
        loc: Loc = ("questions", qi)
        values = [o.value for o in question.options]
        if question.multiple and isinstance(question.default, str):
            fix = f"write the default as a list: default: [{question.default}] (or [] for none chosen)"
            c.add(loc, "the default of a multi-select question is a list of answers", fix, at=("default",))
        elif not question.multiple and isinstance(question.default, list):
            fix = "give one answer as the default, or add `multiple: true` to let the applicant choose several"
            c.add(loc, "a list default on a question with one answer", fix, at=("default",))
        elif isinstance(question.default, list):
            for di, value in enumerate(question.default):
                if value not in values:
                    c.add(loc, f"default '{value}' is not an option", use(value, values), at=("default", di))
