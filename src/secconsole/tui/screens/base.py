"""Screens that share a look, and so a stylesheet nested under their type.

Textual reads a screen's CSS_PATH into the app's one stylesheet the first time the screen is
shown, and it stays there: a rule not nested under a type would style every screen after it. Each
file in styles/ nests its rules under the screen (or these bases) it belongs to."""

from __future__ import annotations

from textual.screen import Screen

from secconsole.tui.styles import stylesheet


class CardScreen(Screen[None]):
    """One card in the middle of the screen (``.form-body`` > ``.form-card``): every form, and
    Contact support. styles/forms.tcss is nested under this type."""

    CSS_PATH = [stylesheet("forms")]


class SectionsScreen(Screen[None]):
    """A page of titled sections and one-line rows: Settings and Payments. styles/settings.tcss is
    nested under this type."""

    CSS_PATH = [stylesheet("settings")]
