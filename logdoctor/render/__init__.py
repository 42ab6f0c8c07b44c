"""Report renderers over an `Analysis`: text (Rich), markdown (tickets) and html (one file).

Each takes only an Analysis (plus an optional title), so `analyze`, the nightly batch summary
and the store report share them.  The modules are imported on use: the terminal report should
not pay for Jinja2, nor the html report for Rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from logdoctor.report_model import Analysis

__all__ = ["render", "render_html", "render_markdown", "render_text"]


def render_text(
    analysis: Analysis, console: Console, *, verbose: int = 0, title: str | None = None
) -> None:
    from logdoctor.render.text import render_text as _render_text

    _render_text(analysis, console, verbose=verbose, title=title)


def render_markdown(analysis: Analysis, *, title: str | None = None) -> str:
    from logdoctor.render.markdown import render_markdown as _render_markdown

    return _render_markdown(analysis, title=title)


def render_html(analysis: Analysis, *, title: str | None = None) -> str:
    from logdoctor.render.html import render_html as _render_html

    return _render_html(analysis, title=title)


def render(analysis: Analysis, fmt: str, *, title: str | None = None, verbose: int = 0) -> str:
    """The report as a string in `fmt` (markdown, html, or text without colour, for files)."""
    if fmt == "markdown":
        return render_markdown(analysis, title=title)
    if fmt == "html":
        return render_html(analysis, title=title)
    if fmt == "text":
        from io import StringIO

        from rich.console import Console

        buffer = StringIO()
        plain = Console(
            file=buffer,
            no_color=True,
            color_system=None,
            highlight=False,
            emoji=False,
            markup=False,
            width=100,
        )
        render_text(analysis, plain, verbose=verbose, title=title)
        return buffer.getvalue()
    raise ValueError(f"no renderer for format {fmt!r}")
