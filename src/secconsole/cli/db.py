"""`secconsole db upgrade`: the schema migrations, run on purpose (PostgreSQL is upgraded only so)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from secconsole.cli.common import resolve_config

if TYPE_CHECKING:
    import argparse


def upgrade(args: argparse.Namespace) -> int:
    from secconsole.services import open_database
    from secconsole.store import migrate

    db = open_database(resolve_config(args))
    try:
        before = migrate.current_revision(db)
        migrate.upgrade(db)
        after = migrate.current_revision(db)
    finally:
        db.dispose()
    if before == after:
        print(f"{db.display_url} is already at schema {after} (the latest).")
    else:
        print(f"Upgraded {db.display_url} from schema {before or 'empty'} to {after}.")
    return 0
