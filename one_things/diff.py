"""What changed between two definitions, for `onething things diff` and the version-check message.

Every list of a definition is keyed by its codes (items, form fields, materials, questions and their
options, eligibility rules, departments), so a moved entry is not a change and a renamed code is a
removal plus an addition, which is what it means for running cases too. After the changes come their
effects: promised working days along the critical path, the one-by-one sum, and the baseline figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from one_things.graph import dependency_order, sequential_days
from one_things.schema import Names, OneThing

SECTIONS = (
    ("departments", "Departments 部门"),
    ("items", "Items 事项"),
    ("form", "Form fields 表单字段"),
    ("materials", "Materials 材料"),
    ("questions", "Guidance questions 情形引导"),
    ("eligibility", "Eligibility 适用条件"),
)
"""Top-level lists of entries with a `code`, in the order the diff shows them."""
GENERAL = ("name", "life_event", "summary", "keywords", "applicant", "sla")
ADDED, REMOVED, CHANGED = "+", "-", "~"
WORDS = {ADDED: "added", REMOVED: "removed", CHANGED: "changed"}


@dataclass(frozen=True)
class Change:
    section: str
    sign: str
    """ADDED, REMOVED or CHANGED."""
    code: str
    title: str
    """The entry's names (or its one-line description when added or removed)."""
    details: list[str] = field(default_factory=list)
    """`field: old → new` for a changed entry."""

    def brief(self) -> str:
        """One line for an error message: `items.social_security_card: promised_days: 7 → 3`."""
        what = ", ".join(self.details) if self.sign == CHANGED else WORDS[self.sign]
        return f"{self.section}.{self.code}: {what}" if self.code else f"{self.section}: {what}"


def changes(old: OneThing, new: OneThing) -> list[Change]:
    """Every difference in meaning, section by section; empty when the two say the same."""
    found: list[Change] = []
    general = _field_deltas(_dump(old), _dump(new), GENERAL)
    if general:
        found.append(Change("definition", CHANGED, "", _names(new.name), general))
    if old.code != new.code:
        found.append(Change("definition", CHANGED, "", _names(new.name), [f"code: {old.code} → {new.code}"]))
    for section, _ in SECTIONS:
        found.extend(_section(section, _dump(old)[section], _dump(new)[section]))
    baseline = _field_deltas(_dump(old)["baseline"], _dump(new)["baseline"], tuple(_dump(new)["baseline"]))
    if baseline:
        found.append(Change("baseline", CHANGED, "", "baseline 改革前", baseline))
    return found


def diff_lines(old: OneThing, new: OneThing, *, summary: bool = True) -> list[str]:
    """The human-readable diff: a header, the changes by section, then (with `summary`) their effects."""
    lines = [f"{new.code} {_names(new.name)}: version {old.version} → {new.version}"]
    found = changes(old, new)
    if not found:
        lines.append("  no change in meaning (comments, order and formatting do not count)")
    titles = dict(SECTIONS) | {"definition": "Definition 总体", "baseline": "Baseline 改革前基线"}
    for section in ("definition", *(code for code, _ in SECTIONS), "baseline"):
        entries = [change for change in found if change.section == section]
        if not entries:
            continue
        lines.append(titles[section])
        for change in entries:
            what = " ".join(part for part in (change.code, change.title) if part)
            lines.append(f"  {change.sign} {WORDS[change.sign]} {what}")
            lines.extend(f"      {detail}" for detail in change.details)
    if summary:
        lines.extend(effect_lines(old, new))
    return lines


def effect_lines(old: OneThing, new: OneThing) -> list[str]:
    """Promised working days with every item included, and the before/after figures against the baseline."""
    old_path, new_path = critical_path(old), critical_path(new)
    old_days, new_days = _path_days(old, old_path), _path_days(new, new_path)
    old_sum, new_sum = _all_sequential(old), _all_sequential(new)
    return [
        "Effect 影响 (every item included; working days)",
        f"  promised, critical path 承诺时限(关键路径): {_move(old_days, new_days)}",
        f"      was: {' → '.join(old_path) or '(none)'}",
        f"      now: {' → '.join(new_path) or '(none)'}",
        f"  one by one, sequential sum 逐项办理合计: {_move(old_sum, new_sum)}",
        f"  saved by running items in parallel 并联节省: {_move(old_sum - old_days, new_sum - new_days)}",
        "Against the baseline 对比改革前",
        f"  days 时间: {_move(old.baseline.days, new.baseline.days)} calendar days before; "
        f"promised {_move(old_days, new_days)} working days after",
        f"  materials 材料: {_move(old.baseline.materials, new.baseline.materials)} before; the citizen provides "
        f"{_move(_provided(old), _provided(new))}, exempt (免于提交) {_move(_exempt(old), _exempt(new))}",
        f"  steps 环节: {_move(old.baseline.steps, new.baseline.steps)} before; "
        f"trips 跑动: {_move(old.baseline.trips, new.baseline.trips)} before",
    ]


def critical_path(thing: OneThing) -> list[str]:
    """The longest chain of promised days through the dependencies (first one found on a tie)."""
    finish: dict[str, int] = {}
    before: dict[str, str | None] = {}
    for code in dependency_order(thing):
        item = thing.item(code)
        previous = max(item.waits_for, key=lambda dep: finish[dep], default=None)
        before[code] = previous
        finish[code] = (finish[previous] if previous else 0) + item.promised_days
    last: str | None = max(finish, key=lambda code: finish[code], default=None)
    path: list[str] = []
    while last is not None:
        path.append(last)
        last = before[last]
    return path[::-1]


def _path_days(thing: OneThing, path: list[str]) -> int:
    return sum(thing.item(code).promised_days for code in path)


def _all_sequential(thing: OneThing) -> int:
    return sequential_days(thing, [item.code for item in thing.items])


def _provided(thing: OneThing) -> int:
    return sum(1 for material in thing.materials if not material.exempt)


def _exempt(thing: OneThing) -> int:
    return sum(1 for material in thing.materials if material.exempt)


def _move(old: int, new: int) -> str:
    if old == new:
        return f"{new} (unchanged)"
    return f"{old} → {new} ({new - old:+d})"


def _dump(thing: OneThing) -> dict[str, Any]:
    return thing.model_dump(mode="json")


def _names(names: Names | dict[str, str]) -> str:
    values = names.model_dump() if isinstance(names, Names) else names
    return f"{values['zh']} / {values['en']}"


def _key(entry: dict[str, Any]) -> str:
    return str(entry.get("code", entry.get("value")))


def _title(entry: dict[str, Any]) -> str:
    for name in ("name", "label", "text", "reason"):
        if isinstance(entry.get(name), dict):
            return _names(entry[name])
    return ""


def _section(section: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    before = {_key(entry): entry for entry in old}
    after = {_key(entry): entry for entry in new}
    found = [
        Change(section, REMOVED, code, f"{_title(entry)}{_facts(section, entry)}")
        for code, entry in before.items()
        if code not in after
    ]
    for code, entry in after.items():
        if code not in before:
            found.append(Change(section, ADDED, code, f"{_title(entry)}{_facts(section, entry)}"))
        elif details := _field_deltas(before[code], entry, tuple(key for key in entry if key != "code")):
            found.append(Change(section, CHANGED, code, _title(entry), details + _notes(section, before[code], entry)))
    return found


def _facts(section: str, entry: dict[str, Any]) -> str:
    """What a reader wants to know at once about an added or removed entry."""
    if section == "items":
        return (
            f" ({entry['department']}, {entry['mode']}, promised {entry['promised_days']} / "
            f"statutory {entry['statutory_days']} working days)"
        )
    if section == "materials":
        exempt = entry["source"] != "citizen"
        return f" ({entry['source']}, {'exempt 免于提交' if exempt else 'the citizen provides it'})"
    if section == "form":
        return f" ({entry['type']}, {'required' if entry['required'] else 'optional'})"
    return ""


def _notes(section: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    if section == "materials" and (old["source"] == "citizen") != (new["source"] == "citizen"):
        now = "the citizen must now provide it" if new["source"] == "citizen" else "now exempt 免于提交"
        return [f"exempt status: {now}"]
    return []


def _field_deltas(old: dict[str, Any], new: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    deltas = []
    for key in keys:
        before, after = old.get(key), new.get(key)
        if before != after:
            deltas.append(f"{key}: {_delta(before, after)}")
    return deltas


def _delta(old: Any, new: Any) -> str:
    if isinstance(old, dict) and isinstance(new, dict) and not _is_names(old) and not _is_names(new):
        return _dict_delta(old, new)
    if isinstance(old, list) and isinstance(new, list):
        if all(isinstance(entry, dict) for entry in old + new):
            return _entries_delta(old, new)
        added = [str(value) for value in new if value not in old]
        removed = [str(value) for value in old if value not in new]
        if not added and not removed:
            return f"order {_value(old)} → {_value(new)}"
        return " ".join([*(f"+{value}" for value in added), *(f"-{value}" for value in removed)])
    return f"{_value(old)} → {_value(new)}"


def _dict_delta(old: dict[str, Any], new: dict[str, Any]) -> str:
    parts = [f"+{key}={_value(new[key])}" for key in new if key not in old]
    parts += [f"-{key}" for key in old if key not in new]
    parts += [f"{key}: {_delta(old[key], new[key])}" for key in new if key in old and old[key] != new[key]]
    return "; ".join(parts)


def _entries_delta(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> str:
    """Nested entries (a question's options), keyed like the top-level sections."""
    parts = [
        f"{sign}{_key(entry)}"
        for sign, entries, others in ((ADDED, new, old), (REMOVED, old, new))
        for entry in entries
        if _key(entry) not in {_key(other) for other in others}
    ]
    before = {_key(entry): entry for entry in old}
    for entry in new:
        previous = before.get(_key(entry))
        if previous is not None and previous != entry:
            inner = _field_deltas(previous, entry, tuple(entry))
            parts.append(f"{_key(entry)} ({', '.join(inner)})")
    return "; ".join(parts) if parts else f"order {[_key(e) for e in old]} → {[_key(e) for e in new]}"


def _is_names(value: dict[str, Any]) -> bool:
    return set(value) == {"zh", "en"}


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict) and _is_names(value):
        return _names(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(entry) for entry in value) + "]" if value else "(none)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_value(entry)}" for key, entry in value.items()) + "}"
    return str(value)
