"""``secconsole demo --list-screens``, ``--list-states`` and ``--state`` (issue 16), run as a
person runs them: a real process, its output and exit status; refused outside demo mode."""

from __future__ import annotations

import pytest

from secconsole.cli import EXIT_USAGE
from secconsole.demo.states import STATES
from secconsole.tui.routes import ROUTES

from test_cli import assert_clean_error, run


def _listed(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    return {line.split()[0]: line.split(None, 1)[1] for line in lines}


def test_list_screens_names_every_screen_with_what_it_shows(tmp_path):
    result = run(tmp_path, "demo", "--list-screens")
    assert result.returncode == 0 and result.stderr == ""
    listed = _listed(result.stdout)
    assert list(listed) == list(ROUTES)
    assert listed["challenge-sms"] == "sign-in's second step, on a text-message code"
    assert listed["enroll-totp-code"] == "authenticator wizard: enter a code"
    assert max(map(len, result.stdout.splitlines())) <= 80
    assert not (tmp_path / "data").exists()  # listing makes no database


def test_list_states_names_every_state_with_a_line_each(tmp_path):
    result = run(tmp_path, "demo", "--list-states")
    assert result.returncode == 0 and result.stderr == ""
    listed = _listed(result.stdout)
    assert list(listed) == list(STATES)
    assert listed["locked"] == "sign-in locked by wrong passwords: the sign-in screen (as bob)"
    assert max(map(len, result.stdout.splitlines())) <= 80


@pytest.mark.parametrize("args", [
    ["--state", "locked"], ["console", "--state", "locked"], ["--list-screens"], ["console", "--list-states"],
    ["--list-states", "demo"],
])
def test_demo_options_are_refused_outside_demo_mode(tmp_path, args):
    result = run(tmp_path, *args)
    assert result.returncode == EXIT_USAGE
    option = next(a for a in args if a.startswith("--"))
    assert_clean_error(result, f"{option} exists only in demo mode: secconsole demo {option}")
    assert not (tmp_path / "data").exists()


def test_an_unknown_state_is_a_usage_error(tmp_path):
    result = run(tmp_path, "demo", "--state", "nowhere")
    assert result.returncode == EXIT_USAGE
    assert_clean_error(result, "invalid choice: 'nowhere'")


def test_the_challenge_needs_someone_whose_password_passed(tmp_path):
    result = run(tmp_path, "demo", "--open", "challenge")
    assert_clean_error(result, "--open challenge needs --as USER")


def test_demo_deep_links_are_refused_in_the_normal_console(tmp_path):
    result = run(tmp_path, "--open", "challenge-sms")
    assert_clean_error(result, "--open challenge-sms: this console has no such screen: it exists only in demo mode")
