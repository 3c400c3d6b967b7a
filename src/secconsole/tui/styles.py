"""Find the TCSS files: inside the installed package, or in the repo's top-level styles/."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve()
_CANDIDATES = (_HERE.parent.parent / "styles", _HERE.parents[3] / "styles")


def stylesheet(name: str) -> Path:
    """The path of ``styles/NAME.tcss``; a missing file is an installation fault, said plainly."""
    for folder in _CANDIDATES:
        path = folder / f"{name}.tcss"
        if path.is_file():
            return path
    raise FileNotFoundError(f"secconsole's styles/{name}.tcss is missing from this installation")
