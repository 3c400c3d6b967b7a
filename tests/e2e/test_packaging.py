"""A built wheel carries everything the console needs: styles, migrations, data files."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    return next(out.glob("secconsole-*.whl"))


def test_wheel_contains_styles_migrations_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for tcss in (ROOT / "styles").glob("*.tcss"):
        assert f"secconsole/styles/{tcss.name}" in names
    assert "secconsole/store/migrations/env.py" in names
    for version in (ROOT / "src/secconsole/store/migrations/versions").glob("0*.py"):
        assert f"secconsole/store/migrations/versions/{version.name}" in names
    assert "secconsole/core/data/extra-common-passwords.txt" in names
    assert "secconsole/store/migrations/script.py.mako" in names


def test_installed_wheel_runs_the_app_with_its_styles(wheel, tmp_path):
    """Install the wheel (not the checkout) and paint the sign-in screen with its styles."""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True, capture_output=True,
    )
    code = f"""
import sys, asyncio
sys.path.insert(0, {str(site)!r})
import secconsole
assert secconsole.__file__.startswith({str(site)!r}), secconsole.__file__
from secconsole.tui.styles import stylesheet
assert str(stylesheet("app")).startswith({str(site)!r})
from secconsole.config import resolve
from secconsole.tui.app import SecConsoleApp

async def main():
    app = SecConsoleApp(resolve(data_dir={str(tmp_path / "data")!r}, environ={{}}), cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        card = app.screen.query_one("#signin-card")
        print("card width", card.region.width)

asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "card width 44" in result.stdout
