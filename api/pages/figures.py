"""`/figures`: the definitions of every figure on /stats and /supervision, in the page's language.

The text is docs/figures.md (English) or docs/figures.zh.md (Chinese), one anchor per figure, so the pages
link each figure to its definition (`/figures#<anchor>`) and the docs and the product say the same thing.
Rendered with markdown-it-py (CommonMark) rather than by hand; the files are ours, read once per process.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.pages.rendering import PageDep

router = APIRouter(include_in_schema=False)
FIGURES_DOC = "/figures"
DOCS = Path(__file__).resolve().parents[2] / "docs"
SOURCES = {"en": DOCS / "figures.md", "zh": DOCS / "figures.zh.md"}


@cache
def definitions(lang: str) -> Markup:
    # Imported on first use: the parser costs half a second of every process's start otherwise.
    from markdown_it import MarkdownIt

    # html=True: the anchors are written as <a id="…"></a> in our own files; nothing here comes from a user.
    text = SOURCES[lang].read_text(encoding="utf-8")
    return Markup(MarkdownIt("commonmark", {"html": True}).enable("table").render(text))  # noqa: S704


def link(anchor: str) -> str:
    """Where a figure's definition is."""
    return f"{FIGURES_DOC}#{anchor}"


@router.get(FIGURES_DOC, response_class=HTMLResponse)
def figures_page(page: PageDep) -> Response:
    return page.render("figures.html", definitions=definitions(page.lang))
