"""Each way's screens and panels: ``tui/methods/<kind>.py`` may define ``Panel`` (its part of the
challenge) and ``EnrollScreen`` (the wizard its Settings switch runs).

A way without a module of its own, or without a ``Panel``, gets ``panel.WayPanel``, built from its
registry line (what it reads, what choosing it does); without an ``EnrollScreen`` its switch says
it cannot be turned on here."""

from __future__ import annotations

import importlib
import importlib.util

from secconsole.core.methods.base import WaySpec


def _module(kind: str):
    name = f"{__name__}.{kind}"
    if not kind.isidentifier() or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def panel_class(spec: WaySpec) -> type:
    from secconsole.tui.methods.panel import WayPanel

    return getattr(_module(spec.kind), "Panel", WayPanel)


def enroll_screen(spec: WaySpec) -> type | None:
    return getattr(_module(spec.kind), "EnrollScreen", None)
