"""`onething things ...` and `onething example`: the catalogue from the command line."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from cli.things_graph import graph_command
from cli.things_new import new_command
from cli.things_versions import deployed_version_errors, diff_command
from one_things.catalog import (
    Catalog,
    catalog_files,
    catalog_folder,
    check_files,
    critical_path_days,
    load_catalog,
    sequential_days,
)
from one_things.demo import demo_application, demo_materials
from one_things.jsonschema import schema_text
from one_things.loader import display_path
from one_things.national_lists import Coverage, coverage, national_lists
from one_things.problems import CatalogError

things_app = typer.Typer(
    help="The one-thing catalogue: write, check, draw and list definitions, export the schema.", no_args_is_help=True
)
things_app.command("new")(new_command)
things_app.command("graph")(graph_command)

# Form dates (a newborn's birth date) are Chinese calendar dates, whatever the machine's zone.
_TZ = ZoneInfo("Asia/Shanghai")


def _load_or_exit() -> Catalog:
    try:
        return load_catalog(catalog_folder())
    except CatalogError as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        typer.echo("the catalogue is invalid; run `onething things validate` for details", err=True)
        raise typer.Exit(1) from None


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(_width(row[col]) for row in rows) for col in range(len(rows[0]))]
    lines = ("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


@things_app.command("list")
def list_command() -> None:
    """Every one-thing: promised working days (critical path) beside one by one, and the baseline; then the
    State Council's lists of key one-things, each with the definition implementing it or `missing`."""
    header = ("code", "version", "name", "items", "promised (critical path)", "one by one", "baseline")
    rows: list[tuple[str, ...]] = [header]
    catalog = _load_or_exit()
    for thing in catalog.all():
        codes = [item.code for item in thing.items]
        promised, one_by_one = critical_path_days(thing, codes), sequential_days(thing, codes)
        counts = (str(thing.version), thing.name.zh, str(len(thing.items)), str(promised), str(one_by_one))
        rows.append((thing.code, *counts, str(thing.baseline.days)))
    typer.echo(_table(rows))
    typer.echo("promised and one by one: working days; baseline: calendar days before the reform")
    typer.echo()
    _national_coverage(set(catalog.codes()))


def _coverage_line(row: Coverage) -> tuple[str, str]:
    # An unconfirmed entry is marked where it is read: its name or batch was not checked against the list.
    name = row.listed.name.zh if row.listed.name else "—"
    return ("  " + name + (" *" if row.listed.unconfirmed else ""), row.label)


def _counts(rows: list[Coverage]) -> str:
    defined = sum(row.status == "defined" for row in rows)
    unnamed = sum(row.status == "not found" for row in rows)
    return f"{defined}/{len(rows)} defined" + (f", {unnamed} not found on the list" if unnamed else "")


def _national_coverage(codes: set[str]) -> None:
    """Each batch of the State Council's lists against this catalogue: the definition, or what is missing."""
    lists = national_lists()
    sections = [
        (f"{batch.name.en} ({batch.document or 'document number not found'})", coverage(batch.things, codes))
        for batch in lists.batches
    ]
    national = [row for _, rows in sections for row in rows]
    sections.append(("Shanghai's own, where they differ", coverage(lists.shanghai, codes)))
    # One table for every section, so the definitions line up; each section's heading goes above its rows.
    lines = iter(_table([_coverage_line(row) for _, rows in sections for row in rows]).splitlines())
    for heading, rows in sections:
        typer.echo(f"{heading}: {_counts(rows)}")
        for _ in rows:
            typer.echo(next(lines))
    typer.echo(f"all {len(lists.batches)} national batches: {_counts(national)}")
    typer.echo(
        "* unconfirmed: name or batch not checked against the published list; "
        "not found: a place on the list whose name is unknown (one_things/national_lists.yaml)"
    )


@things_app.command("validate")
def validate_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Definition files or folders", show_default="ONETHING_CATALOG_DIR, else the package catalogue"
        ),
    ] = None,
) -> None:
    """Check definition files; every error is printed as `file:line: ...`. Exit code 1 on any error."""
    files = catalog_files(paths or [catalog_folder()])
    if not files:
        typer.echo("no *.yaml definition files found", err=True)
        raise typer.Exit(1)
    results, across = check_files(files)
    across += deployed_version_errors(results)  # a version cases run on must keep its content
    for result in results:
        if result.thing is not None:
            thing = result.thing
            typer.echo(f"ok    {display_path(result.path)} ({thing.code} v{thing.version}, {len(thing.items)} items)")
            continue
        count = len(result.errors)
        typer.echo(f"FAIL  {display_path(result.path)}: {count} error{'s' if count != 1 else ''}")
        for error in result.errors:
            typer.echo(str(error))
    for error in across:
        typer.echo(str(error))
    total = sum(len(result.errors) for result in results) + len(across)
    bad = sum(1 for result in results if result.errors)
    typer.echo(f"{len(results)} file(s) checked, {bad} with errors, {total} error(s) in all")
    if total:
        raise typer.Exit(1)


things_app.command("diff")(diff_command)


@things_app.command("schema")
def schema_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout")] = None,
) -> None:
    """Print (or write) the JSON Schema of definition files, for editors and other languages."""
    if output is None:
        typer.echo(schema_text(), nl=False)
    else:
        output.write_text(schema_text(), encoding="utf-8")
        typer.echo(f"wrote {display_path(output)}")


def example_command(
    thing: Annotated[str, typer.Argument(help="The one-thing code, e.g. newborn")],
) -> None:
    """Print a valid application body for a fake demo applicant (JSON for POST /api/v1/cases)."""
    catalog = _load_or_exit()
    if thing not in catalog:
        typer.echo(f"unknown one-thing '{thing}'; known: {', '.join(catalog.codes())}", err=True)
        raise typer.Exit(2)
    definition = catalog.get(thing)
    # Every field typed (they match the main demo applicant's register entries) and the materials to provide.
    body = {**demo_application(definition, datetime.now(_TZ).date()), "materials": demo_materials(definition)}
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
