"""`secconsole phone`: the companion phone app (secconsole.phone), on its own profile file."""

from __future__ import annotations

import sys

from secconsole.cli import EXIT_USER_ERROR


def run(args) -> int:
    from secconsole.core.text import printable
    from secconsole.phone.profile import Profile, ProfileError

    try:
        profile = Profile.open(args.profile)
    except ProfileError as exc:
        print(f"secconsole phone: {printable(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    try:
        from secconsole.phone.app import PhoneApp

        app = PhoneApp(profile)
        app.run()
        return app.return_code or 0
    finally:
        profile.close()
