"""End to end in a real terminal (tmux, 80x24): what a person sees and types."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from secconsole.core.qr import rasterize
from secconsole.core.totp import TotpParams, code_at

from tmux_helpers import Tmux, console_env, have_tmux, secconsole

pytestmark = pytest.mark.skipif(
    not have_tmux() and not os.environ.get("CI"), reason="tmux is not installed (apt-get install tmux)"
)
QR_CHARS = set("█▀▄ ")


def decode_qr(lines: list[str], tmp_path) -> str:
    """Rasterize the QR cells of a captured screen and decode them with zbarimg."""
    marked = [i for i, line in enumerate(lines) if set(line[:41]) <= QR_CHARS and set(line[:41]) & set("█▀▄")]
    rows = lines[marked[0] : marked[-1] + 1]
    width = max(len(r[:41].rstrip()) for r in rows) + 2
    cells = [" " * width] + [r[:width].ljust(width) for r in rows] + [" " * width]
    pixels = rasterize(cells, large=False)
    image = tmp_path / "capture.pgm"
    image.write_bytes(b"P5 %d %d 255\n" % (len(pixels[0]), len(pixels)) + bytes(v for row in pixels for v in row))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True)
    assert out.returncode == 0, "zbarimg could not decode the code on screen"
    return out.stdout.strip()


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbarimg is not installed (apt-get install zbar-tools)")
def test_enroll_by_scanning_the_screen_then_the_code_is_spent(tmp_path):
    from datetime import datetime, timezone

    term = Tmux(secconsole("demo", "--as", "carol", "--open", "enroll-totp"), console_env(tmp_path))
    try:
        term.wait_for("Use an authenticator app")
        term.keys("Enter")
        screen = term.wait_for("Or type this key:")
        uri = decode_qr(screen, tmp_path)
        match = re.fullmatch(r"otpauth://totp/SecConsole:carol\?secret=([A-Z2-7]{32})&issuer=SecConsole", uri)
        assert match, uri
        shown = "".join(line[41:] for line in screen).replace(" ", "")
        assert match.group(1) in shown  # the key beside the code is the same secret
        term.keys("Enter")
        term.wait_for("Enter the code from your app")
        code = code_at(match.group(1), datetime.now(timezone.utc), TotpParams())
        term.type(code)
        term.keys("Enter")
        term.wait_for("Make recovery codes now?")  # offered after the first second step
        term.keys("n")
        term.wait_for("Signed in as carol")
        term.keys("s")
        term.wait_for("Authenticator app code On since")
    finally:
        term.close()


def test_keys_typed_right_after_tab_land_in_the_next_field(tmp_path):
    """Name, Tab and password in one burst (a fast typist, a password manager): the password
    must not spill into the name field."""
    term = Tmux(secconsole(), console_env(tmp_path))
    try:
        term.wait_for("Sign in to your account")
        term.type("zoe\tTulip-Harbor")
        lines = term.wait_for("•" * len("Tulip-Harbor"))  # all typed keys have been handled
        fields = [line for line in lines if "▊  " in line]
        assert "zoe" in fields[0] and "Tulip" not in fields[0]
        assert "•" * len("Tulip-Harbor") + " " in fields[1]
    finally:
        term.close()


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbarimg is not installed (apt-get install zbar-tools)")
def test_the_code_still_scans_while_notices_arrive(tmp_path):
    """Copying the link and the SSH server's idle warning: the notices go to the line under the
    buttons, so no toast covers the code's quiet zone and the real capture still decodes."""
    import signal

    env = console_env(tmp_path) | {"SECCONSOLE_SSH_SESSION": "1", "SECCONSOLE_SSH_IDLE_WARNING": "60"}
    term = Tmux(secconsole("demo", "--as", "carol", "--open", "enroll-totp"), env)
    try:
        term.wait_for("Use an authenticator app")
        term.keys("Enter")
        term.wait_for("Or type this key:")
        term.keys("c")
        screen = term.wait_for("The setup link was sent")
        assert decode_qr(screen, tmp_path).startswith("otpauth://totp/SecConsole:carol?secret=")
        os.kill(term.pid(), signal.SIGUSR1)
        screen = term.wait_for("Still there?")
        assert decode_qr(screen, tmp_path).startswith("otpauth://totp/SecConsole:carol?secret=")
    finally:
        term.close()
