"""Cross-reference checks on a definition that pydantic alone cannot express.

Runs on a parsed `OneThing`; the loader passes a `locate` function so each error names its line.
Whether an included item still depends on an excluded one is decided per application in
`one_things.plan`, not here: it depends on the answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from one_things.checks import Collector as _Collector
from one_things.checks import Loc, Locator, describe
from one_things.checks import allowed as _allowed
from one_things.checks import use as _use
from one_things.format2 import check_format_2
from one_things.hints import did_you_mean
from one_things.problems import DefinitionError
from one_things.registers import check_prefill_sources
from one_things.schema import ApplicantKind, FieldType, Item, OneThing

__all__ = ["Loc", "Locator", "check_definition", "describe"]

DATE_RULES = ("not_in_future", "max_age_days", "min_days_ahead")
"""The fields that limit a `date` field's days."""


def check_definition(
    thing: OneThing, *, path: str = "<definition>", locate: Locator | None = None
) -> list[DefinitionError]:
    """Every cross-reference mistake in `thing`, not just the first."""
    c = _Collector(thing, path, locate)
    _check_duplicates(c)
    _check_items(c)
    _check_cycles(c)
    for index, item in enumerate(thing.items):
        _check_inputs(c, index, item)
    _check_form(c)
    _check_materials(c)
    _check_questions(c)
    _check_eligibility(c)
    check_prefill_sources(c)
    _check_parties(c)
    check_format_2(c)
    return c.errors


def _dupes(c: _Collector, section: Loc, codes: Sequence[str], what: str, key: str = "code") -> None:
    first: dict[str, int] = {}
    for index, code in enumerate(codes):
        if code not in first:
            first[code] = index
            continue
        earlier = c.first_at((*section, first[code], key))
        message = f"{what} code '{code}' is used twice{earlier}"
        c.add((*section, index), message, f"give each {what} a unique {key}", at=(key,))


def _check_duplicates(c: _Collector) -> None:
    t = c.thing
    _dupes(c, ("departments",), [d.code for d in t.departments], "department")
    _dupes(c, ("items",), [i.code for i in t.items], "item")
    _dupes(c, ("form",), [f.code for f in t.form], "form field")
    _dupes(c, ("materials",), [m.code for m in t.materials], "material")
    _dupes(c, ("questions",), [q.code for q in t.questions], "question")
    for qi, question in enumerate(t.questions):
        _dupes(c, ("questions", qi, "options"), [o.value for o in question.options], "option", key="value")


def _check_items(c: _Collector) -> None:
    departments = [d.code for d in c.thing.departments]
    items = [i.code for i in c.thing.items]
    for index, item in enumerate(c.thing.items):
        loc: Loc = ("items", index)
        if item.department not in departments:
            fix = f"{did_you_mean(item.department, departments)}declare it under departments or use one of: "
            c.add(
                loc, f"department '{item.department}' is not declared", fix + _allowed(departments), at=("department",)
            )
        for di, dep in enumerate(item.depends_on):
            if dep not in items:
                fix = _use(dep, [code for code in items if code != item.code])
                c.add(loc, f"depends_on names unknown item '{dep}'", fix, at=("depends_on", di))
        if item.promised_days > item.statutory_days:
            message = f"promised_days {item.promised_days} is more than statutory_days {item.statutory_days}"
            fix = f"lower promised_days to at most {item.statutory_days}"
            c.add(loc, message, fix, at=("promised_days",))
        unnamed = [code for code in item.outputs if code not in item.output_names]
        if len(item.outputs) > 1 and unnamed:  # the workbench would label a field with its code
            fix = f"name each under output_names, e.g. {unnamed[0]}: {{zh: …, en: …}}"
            c.add(loc, f"several outputs, some without a name: {_allowed(unnamed)}", fix, at=("outputs",))


def _check_cycles(c: _Collector) -> None:
    """Report each dependency cycle once, as the path that closes it (a -> b -> a)."""
    index = {item.code: i for i, item in enumerate(c.thing.items)}
    deps = {item.code: [d for d in item.waits_for if d in index] for item in c.thing.items}
    state: dict[str, str] = {}  # "active" while on the DFS stack, "done" after
    reported: set[frozenset[str]] = set()

    def visit(code: str, stack: list[str]) -> None:
        state[code] = "active"
        stack.append(code)
        for dep in deps[code]:
            if state.get(dep) == "active":
                loop = stack[stack.index(dep) :]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    _report_cycle(c, loop, index)
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[code] = "done"

    for item in c.thing.items:
        if item.code not in state:
            visit(item.code, [])


def _report_cycle(c: _Collector, loop: list[str], index: dict[str, int]) -> None:
    # Start the path at the item defined first, so the report does not depend on search order,
    # and point at its depends_on entry that leads into the loop.
    first = min(range(len(loop)), key=lambda i: index[loop[i]])
    path = loop[first:] + loop[:first]
    start = c.thing.items[index[path[0]]]
    following = path[1] if len(path) > 1 else path[0]
    key = "depends_on" if following in start.depends_on else "depends_on_if_included"
    entry = getattr(start, key).index(following)
    message = f"dependency cycle: {' -> '.join([*path, path[0]])}"
    fix = f"remove one of these {key} entries; items must form a chain without loops"
    c.add(("items", index[path[0]]), message, fix, at=(key, entry))


def _codes(c: _Collector) -> list[str]:
    return [i.code for i in c.thing.items]


def _broken_chain(c: _Collector, item: Item) -> bool:
    """Whether `item` or anything it waits for names an unknown item in depends_on."""
    codes = set(_codes(c))
    chain = [item, *(c.thing.item(code) for code in _ancestors(c, item))]
    return any(dep not in codes for link in chain for dep in link.depends_on)


def _ancestors(c: _Collector, item: Item) -> set[str]:
    """Every item `item` transitively depends on (stops at unknown codes and cycles)."""
    seen: set[str] = set()
    todo = list(item.depends_on)
    codes = {i.code for i in c.thing.items}
    while todo:
        code = todo.pop()
        if code in seen or code not in codes:
            continue
        seen.add(code)
        todo.extend(c.thing.item(code).depends_on)
    return seen


def _check_inputs(c: _Collector, index: int, item: Item) -> None:
    fields = [f.code for f in c.thing.form]
    items = {i.code: i for i in c.thing.items}
    for name, source in item.inputs.items():
        loc: Loc = ("items", index, "inputs", name)
        parts = source.split(".")
        if parts[0] == "form" and len(parts) == 2:
            if parts[1] not in fields:
                fix = f"{did_you_mean(parts[1], fields)}add a form field '{parts[1]}' or use one of: {_allowed(fields)}"
                c.add(loc, f"source '{source}' names no form field", fix)
        elif parts[0] == "items" and len(parts) == 3:
            _check_item_source(c, loc, item, source, items.get(parts[1]), parts[2])
        elif parts[0] == "answers" and len(parts) == 2:
            questions = [q.code for q in c.thing.questions]
            if parts[1] not in questions:
                c.add(loc, f"source '{source}' names no guidance question", _use(parts[1], questions))
        else:
            fix = (
                "write `form.<field>`, `items.<item>.<output>` or `answers.<question>`, "
                "e.g. items.birth_certificate.birth_cert_no"
            )
            c.add(loc, f"source '{source}' is neither form.<field>, items.<item>.<output> nor answers.<question>", fix)


def _check_item_source(c: _Collector, loc: Loc, item: Item, source: str, producer: Item | None, output: str) -> None:
    producer_code = source.split(".")[1]
    if producer is None:
        c.add(loc, f"source '{source}' names unknown item '{producer_code}'", _use(producer_code, _codes(c)))
    elif producer.code == item.code:
        fix = "take the value from the form or from an item this one depends on"
        c.add(loc, f"source '{source}' reads this item's own output", fix)
    elif output not in producer.outputs:
        if producer.outputs:
            fix = f"{did_you_mean(output, producer.outputs)}add '{output}' to the outputs of {producer.code} "
            fix += f"or use one of: {_allowed(producer.outputs)}"
        else:
            fix = f"item {producer.code} has no outputs yet: add `outputs: [{output}]` to it"
        c.add(loc, f"item '{producer.code}' declares no output '{output}'", fix)
    elif _broken_chain(c, item):
        pass  # a misspelt depends_on entry on the way is reported already; this would repeat that mistake
    elif producer.code in _ancestors(c, item):
        pass  # waited for through depends_on: its output exists whenever this item runs
    elif producer.code in item.depends_on_if_included:
        fix = f"move {producer.code} to depends_on (then {item.code} is left out with it), or read it from the form"
        message = f"source '{source}' reads '{producer.code}', which the answers may leave out (depends_on_if_included)"
        c.add(loc, message, fix)
    else:
        fix = f"add {producer.code} to depends_on of {item.code}"
        message = f"source '{source}' reads item '{producer.code}', which {item.code} does not wait for"
        c.add(loc, message, fix)


def _check_form(c: _Collector) -> None:
    for index, field in enumerate(c.thing.form):
        loc: Loc = ("form", index)
        if field.type is FieldType.CHOICE and not field.choices:
            c.add(loc, "a choice field without choices", "list the allowed values under choices", at=("type",))
        if field.type is not FieldType.CHOICE and field.choices:
            fix = "remove choices or set type: choice"
            c.add(loc, f"choices on a {field.type.value} field are ignored", fix, at=("choices",))
        unnamed = [choice for choice in field.choices if choice not in field.choice_names]
        if unnamed:  # the form would show a code where the applicant reads a choice
            fix = f"name each under choice_names, e.g. {unnamed[0]}: {{zh: …, en: …}}"
            c.add(loc, f"choices without a name: {_allowed(unnamed)}", fix, at=("choices",))
        if stray := [name for name in field.choice_names if name not in field.choices]:
            fix = f"add {_allowed(stray)} to choices or remove the name"
            c.add(loc, f"choice_names for values that are not choices: {_allowed(stray)}", fix, at=("choice_names",))
        date_rules = [k for k in DATE_RULES if getattr(field, k) not in (None, False)]
        if field.type is not FieldType.DATE and date_rules:
            fix = f"remove {' and '.join(date_rules)} or set type: date"
            c.add(loc, f"{' and '.join(date_rules)} only apply to date fields", fix, at=(date_rules[0],))
        if field.not_in_future and field.min_days_ahead:  # no day is both after today and not after today
            fix = "keep not_in_future for a day that has happened, or min_days_ahead for one still to come"
            c.add(loc, "not_in_future and min_days_ahead leave no date to accept", fix, at=("min_days_ahead",))
        if field.editable and not field.prefill:
            fix = "remove editable (every field without prefill is typed anyway) or add a prefill source"
            c.add(loc, "editable only applies to a pre-filled field", fix, at=("editable",))


def _check_materials(c: _Collector) -> None:
    items = [i.code for i in c.thing.items]
    for index, material in enumerate(c.thing.materials):
        for ii, code in enumerate(material.items):
            if code not in items:
                c.add(("materials", index), f"items names unknown item '{code}'", _use(code, items), at=("items", ii))


def _check_questions(c: _Collector) -> None:
    items = [i.code for i in c.thing.items]
    for qi, question in enumerate(c.thing.questions):
        values = [o.value for o in question.options]
        if isinstance(question.default, str) and question.default not in values:
            fix = _use(question.default, values)
            c.add(("questions", qi), f"default '{question.default}' is not an option", fix, at=("default",))
        for oi, option in enumerate(question.options):
            loc: Loc = ("questions", qi, "options", oi)
            for key in ("include", "exclude"):
                for ii, code in enumerate(getattr(option, key)):
                    if code not in items:
                        c.add(loc, f"{key} names unknown item '{code}'", _use(code, items), at=(key, ii))
            for code in sorted(set(option.include) & set(option.exclude)):
                fix = "keep it in include or in exclude, not both"
                c.add(loc, f"item '{code}' is both included and excluded", fix, at=("exclude",))


def _check_eligibility(c: _Collector) -> None:
    dates = [f.code for f in c.thing.form if f.type is FieldType.DATE]
    questions = {q.code: [o.value for o in q.options] for q in c.thing.questions}
    for index, rule in enumerate(c.thing.eligibility):
        loc: Loc = ("eligibility", index)
        by_field, by_question = rule.field is not None, rule.question is not None
        if by_field == by_question:
            fix = "give either field + within_days (a date rule) or question + not_in (an answer rule)"
            c.add(loc, "a rule must read exactly one of a form field or a question", fix)
            continue
        if by_field:
            if rule.field not in dates:
                c.add(
                    loc,
                    f"field '{rule.field}' is not a date field of the form",
                    _use(rule.field or "", dates),
                    at=("field",),
                )
            if rule.within_days is None:
                c.add(loc, "a date rule needs within_days", "add within_days: the most days ago the date may be")
        elif rule.question not in questions:
            fix = _use(rule.question or "", questions)
            c.add(loc, f"question '{rule.question}' is not a guidance question", fix, at=("question",))
        else:
            options = questions[rule.question or ""]
            for oi, value in enumerate(rule.not_in):
                if value not in options:
                    fix = _use(value, options)
                    c.add(
                        loc,
                        f"not_in names '{value}', which is not an option of {rule.question}",
                        fix,
                        at=("not_in", oi),
                    )
            if not rule.not_in:
                c.add(loc, "an answer rule needs not_in", "list the answers that rule the bundle out under not_in")


def _check_parties(c: _Collector) -> None:
    """Each party's id_field is a resident ID the population register fills in: that is what the check reads."""
    parties = c.thing.may_apply.parties
    if parties and c.thing.applicant is ApplicantKind.LEGAL_PERSON:
        fix = "remove may_apply.parties: a legal person applies through its own account or an authorised employee"
        c.add(("may_apply",), "parties apply only to one-things of persons", fix, at=("parties",))
        return
    _dupes(c, ("may_apply", "parties"), [p.code for p in parties], "party")
    fields = {field.code: field for field in c.thing.form}
    for index, party in enumerate(parties):
        loc: Loc = ("may_apply", "parties", index)
        field = fields.get(party.id_field)
        if field is None:
            c.add(
                loc,
                f"id_field names unknown form field '{party.id_field}'",
                _use(party.id_field, fields),
                at=("id_field",),
            )
        elif field.type is not FieldType.RESIDENT_ID or not (field.prefill or "").startswith("population_register."):
            fix = f"point id_field at a resident_id field with prefill: population_register.* ({field.code} is not)"
            c.add(loc, "id_field must be a resident ID pre-filled from the population register", fix, at=("id_field",))
        elif field.editable:
            c.add(
                loc,
                f"{field.code} is editable: an applicant could type anyone's number",
                "remove editable from it",
                at=("id_field",),
            )
