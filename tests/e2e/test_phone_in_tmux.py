"""The phone app beside the demo console, each in its own tmux terminal at 80x24, as a person would:
the phone pairs with the code and address alice's console shows, approves the test prompt with the
number the console shows, and at the next sign-in "It wasn't me" shows "Denied" on the console."""

from __future__ import annotations

import os
import re

import pytest

from tmux_helpers import Tmux, console_env, have_tmux, secconsole

#: Two apps and a demo console on a loaded machine: each step may take a while to arrive.
WAIT = 40.0

pytestmark = pytest.mark.skipif(
    not have_tmux() and not os.environ.get("CI"), reason="tmux is not installed (apt-get install tmux)"
)


def test_pair_approve_the_test_prompt_then_report_a_sign_in(tmp_path):
    env = console_env(tmp_path)
    console = Tmux(secconsole("demo", "--as", "alice", "--open", "enroll-push"), env)
    phone = None
    try:
        screen = "\n".join(console.wait_for("server http://", WAIT))
        code = re.search(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b", screen).group(1)
        url = re.search(r"server (http://127\.0\.0\.1:\d+)", screen).group(1)
        phone = Tmux(secconsole("phone", "--profile", str(tmp_path / "phone.json")), env)
        phone.wait_for("No account paired yet", WAIT)
        phone.keys("n")
        phone.wait_for("Pair with an account", WAIT)
        phone.type(f"{code} server {url}")  # the two lines as the console shows them
        phone.keys("Enter")
        phone.wait_for("waiting for prompts", WAIT)
        console.wait_for("secconsole phone", WAIT)  # the console lists the phone it paired
        console.keys("Enter")  # Send a test prompt
        shown = re.search(r"tap (\d\d)\.", "\n".join(console.wait_for("tap ", WAIT))).group(1)
        card = "\n".join(phone.wait_for("Sign-in request", WAIT))
        numbers = re.findall(r"([123]): (\d\d)", card)
        assert "Account  alice" in card and shown in [n for _, n in numbers]
        phone.keys(next(key for key, n in numbers if n == shown), "v")
        phone.wait_for("Approved: alice is signing in.", WAIT)
        console.wait_for("Mobile app prompt,", WAIT)  # on: Home lists it among the ways
        console.keys("o")
        console.wait_for("Sign in to your account", WAIT)
        console.type("alice")
        console.keys("Tab")
        console.type("Tulip-Harbor-42!")
        console.keys("Enter")
        console.wait_for("Waiting for your answer", WAIT)
        phone.wait_for("Sign-in request", WAIT)
        phone.keys("w")
        phone.wait_for("y: yes, it wasn't me", WAIT)
        phone.keys("y")
        console.wait_for("Denied", WAIT)
    finally:
        console.close()
        if phone is not None:
            phone.close()
