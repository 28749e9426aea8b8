"""`onething things graph CODE`: the dependency graph of a definition as an SVG file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from one_things.catalog import CatalogError, catalog_folder, load_catalog
from one_things.graph import critical_path_days, sequential_days
from one_things.graph_svg import dependency_svg
from one_things.loader import display_path, load_definition
from one_things.schema import OneThing


def _definition(thing: str) -> OneThing:
    """A catalogue code, or the path of a draft file (a draft need not be in the catalogue yet)."""
    try:
        if thing.endswith((".yaml", ".yml")) or Path(thing).is_file():
            return load_definition(Path(thing))
        catalog = load_catalog(catalog_folder())
    except CatalogError as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        typer.echo("fix these first; `onething things validate` lists every error", err=True)
        raise typer.Exit(1) from None
    if thing not in catalog:
        typer.echo(f"unknown one-thing '{thing}'; known: {', '.join(catalog.codes())} (or give a .yaml file)", err=True)
        raise typer.Exit(2)
    return catalog.get(thing)


def graph_command(
    thing: Annotated[str, typer.Argument(help="A catalogue code (e.g. newborn) or a definition file")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The SVG file to write", show_default="./CODE.svg")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the labels: zh or en")] = "zh",
) -> None:
    """Draw the items, their dependencies and the critical path as SVG (open it in a browser)."""
    if lang not in ("zh", "en"):
        typer.echo(f"unknown language '{lang}'; use zh or en", err=True)
        raise typer.Exit(2)
    language: Literal["zh", "en"] = "zh" if lang == "zh" else "en"
    definition = _definition(thing)
    target = output or Path(f"{definition.code}.svg")
    target.write_text(dependency_svg(definition, lang=language) + "\n", encoding="utf-8")
    codes = [item.code for item in definition.items]
    typer.echo(
        f"wrote {display_path(target)}: critical path {critical_path_days(definition, codes)} working days, "
        f"one by one {sequential_days(definition, codes)}"
    )
