"""The layering rules of docs/architecture.md, checked."""

import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "secconsole"


def test_import_contracts_hold():
    """The layers and forbidden imports declared in pyproject.toml ([tool.importlinter])."""
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--config", str(SRC.parents[1] / "pyproject.toml")],
                         capture_output=True, text=True, cwd=SRC.parents[1])
    assert run.returncode == 0, run.stdout[-3000:]


def test_nothing_reads_the_wall_clock_but_the_clock():
    pattern = re.compile(r"datetime\.(now|utcnow|today)\(|\btime\.time\(|date\.today\(")
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p.name != "clock.py" and pattern.search(p.read_text())
    ]
    assert offenders == []


def test_sign_in_screen_module_does_not_pull_in_the_database_stack():
    """The first paint must not pay for SQLAlchemy, argon2 or zxcvbn (bench/startup measures it)."""
    code = (
        "import sys\n"
        "import secconsole.cli, secconsole.tui.app\n"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'argon2', 'zxcvbn', 'alembic', 'email_validator', 'psycopg')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_bare_secconsole_builds_no_parser():
    """No arguments: straight to the console, without argparse or the parser (bench/startup)."""
    code = (
        "import sys\n"
        "from secconsole import cli\n"
        "cli.resolve_handler('console:run_console')\n"
        "loaded = [m for m in ('argparse', 'secconsole.cli.parser') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_phone_app_does_not_pull_in_the_database_stack():
    """`secconsole phone` speaks only the push protocol over HTTP: importing it loads no database stack."""
    code = (
        "import sys\n"
        "import secconsole.phone.app, secconsole.phone.client, secconsole.phone.profile\n"
        "from secconsole.cli import resolve_handler\n"
        "from secconsole.cli.parser import build_parser\n"
        "resolve_handler(build_parser().parse_args(['phone']).handler)  # the way `secconsole phone` goes\n"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'argon2', 'alembic', 'psycopg', 'secconsole.store',"
        " 'secconsole.services') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
