"""Rendering text that people typed: always literal, never Rich or Textual markup."""

from __future__ import annotations

from textual.content import Content


def plain(text: object) -> Content:
    """``[/]`` and ``[@click=app.quit]x`` show as typed."""
    return Content(str(text))


def template(markup: str, **values: object) -> Content:
    """Our markup, with people's strings substituted as plain text."""
    return Content.from_markup(markup, **{k: str(v) for k, v in values.items()})

