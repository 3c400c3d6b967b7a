"""Find the TCSS files: inside the installed package, or in the repo's top-level styles/."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_STYLES = Path(__file__).resolve().parent.parent / "styles"
_REPO_STYLES = Path(__file__).resolve().parents[3] / "styles"


def styles_dir() -> Path:
    for candidate in (_PACKAGE_STYLES, _REPO_STYLES):
        if (candidate / "app.tcss").is_file():
            return candidate
    raise FileNotFoundError("secconsole's styles/app.tcss is missing from this installation")


def stylesheet() -> Path:
    return styles_dir() / "app.tcss"
