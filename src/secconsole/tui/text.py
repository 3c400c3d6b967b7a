"""Rendering text that people typed: always literal, never Rich or Textual markup, and never an
escape sequence (``core.text.printable`` shows control and bidi characters as visible escapes)."""

from __future__ import annotations

from textual.content import Content

from secconsole.core.text import printable


def plain(text: object) -> Content:
    """``[/]`` and ``[@click=app.quit]x`` show as typed; ``\x1b]0;t\x07`` as those characters."""
    return Content(printable(text, newlines=True))


def template(markup: str, **values: object) -> Content:
    """Our markup, with people's strings substituted as plain text."""
    return Content.from_markup(markup, **{k: printable(v, newlines=True) for k, v in values.items()})

