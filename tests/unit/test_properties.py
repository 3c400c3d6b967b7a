"""Property-based tests (Hypothesis) of every parser and validator: whatever a person types, the
only exception that escapes is the project's own (a ``SecConsoleError``, for input a
``ValidationError`` naming its field), and every refusal says specifically what is wrong.

Example counts are explicit and small (the whole file runs in a few seconds); a failure that
Hypothesis finds is kept in its database and replayed first."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from secconsole.errors import SecConsoleError, ValidationError

RUNS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: zxcvbn takes milliseconds a password: fewer, shorter examples.
SLOW_RUNS = settings(RUNS, max_examples=50)
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)

#: Text as hostile as a person or a paste can make it: markup, escape sequences, bidi and
#: zero-width characters, NUL, surrogates excluded (a str from a terminal never holds them).
HOSTILE = ["[/]", "[@click=app.quit]x[/]", "\x1b]52;c;aGk=\x07", "\x1b]0;pwned\x07", "\u202eevil", "a\u200bb",
           "\x00", "٠١٢٣٤٥", "１２３４５６", "\r\n", " - - ", "9" * 300]
text = st.one_of(st.text(), st.sampled_from(HOSTILE), st.lists(st.sampled_from(HOSTILE + ["a", "1", " "])).map("".join))
digitish = st.text(alphabet=st.sampled_from("0123456789 -\t٣５/a"), max_size=30)


def refused(call, *args, field: str, **kwargs):
    """Run a validator: a result, or a ValidationError for ``field`` with a real sentence."""
    try:
        return call(*args, **kwargs)
    except ValidationError as exc:
        message = str(exc)
        assert exc.field == field, (exc.field, message)
        assert len(message) >= 12 and message[0].isupper() and message.rstrip()[-1] in ".)", message
        return None


# -- codes -----------------------------------------------------------------------------------------


@RUNS
@given(text=st.one_of(text, digitish), digits=st.sampled_from([6, 8]))
@example(text="١٢٣٤٥٦", digits=6)  # Arabic-Indic digits are digits to str.isdigit, not to us
def test_authenticator_and_email_codes(text, digits):
    from secconsole.core.methods import registry
    from secconsole.core.totp import clean_code

    code = refused(clean_code, text, digits, registry.get("totp"), field="code")
    if code is not None:
        assert len(code) == digits and code.isascii() and code.isdigit()


@RUNS
@given(text=st.one_of(text, st.text(alphabet="23456789abcdefghjkmnpqrstuvwxyz- ABC01", max_size=14)))
def test_recovery_codes(text):
    from secconsole.core.methods.recovery import _ALPHABET, clean

    code = refused(clean, text, field="code")
    if code is not None:
        assert len(code) == 10 and set(code) <= set(_ALPHABET)


# -- names, addresses, passwords --------------------------------------------------------------------


@RUNS
@given(text=st.one_of(text, st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}", fullmatch=True)))
def test_usernames(text):
    from secconsole.core.validation import username_key, validate_username

    name = refused(validate_username, text, field="username")
    if name is not None:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{2,31}", name)
        assert username_key(name) == name.lower()


@RUNS
@given(text=st.one_of(text, st.emails(), st.builds(lambda a, b: f"{a}@{b}", text, text)))
def test_email_addresses(text):
    from secconsole.core.validation import validate_email

    address = refused(validate_email, text, field="email")
    if address is not None:
        assert "@" in address and all(c.isprintable() for c in address), repr(address)


@SLOW_RUNS
@given(password=text, username=text, email=text, confirm=st.none() | text, second=st.booleans(),
       policy=st.sampled_from(["classic", "nist"]))
def test_password_checks_never_raise_and_name_each_problem(password, username, email, confirm, second, policy):
    from secconsole.core.passwords import check_password
    from secconsole.core.policy import get_profile

    verdict = check_password(password[:64], get_profile(policy), username=username, email=email,
                             has_second_step=second, confirm=confirm)
    if not verdict.ok:
        assert verdict.problems_sentence().strip()
        assert all(rule.label.strip() for rule in verdict.problems)


# -- the security question --------------------------------------------------------------------------


@RUNS
@given(question=text, answer=text)
def test_security_questions_and_answers(question, answer):
    from secconsole.core.methods.question import ANSWER_MAX, QUESTION_MAX, validate_answer, validate_question

    asked = refused(validate_question, question, field="question")
    if asked is None:
        return
    assert len(asked) <= QUESTION_MAX and asked.isprintable()
    kept = refused(validate_answer, answer, asked, field="answer")
    if kept is not None:
        assert 0 < len(kept) <= ANSWER_MAX


# -- payments and identity --------------------------------------------------------------------------


@RUNS
@given(number=st.one_of(text, digitish, st.from_regex(r"4[0-9]{15}", fullmatch=True)))
@example(number="4242 4242 4242 4242")
def test_card_numbers(number):
    from secconsole.core.payments import card_brand, luhn_ok, parse_card_number

    digits = refused(parse_card_number, number, field="number")
    if digits is not None:
        assert digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19 and luhn_ok(digits)
        assert card_brand(digits)


@RUNS
@given(expiry=st.one_of(text, digitish, st.from_regex(r"\s*\d{1,2}\s*/\s*(\d{2}|\d{4})\s*", fullmatch=True)))
@example(expiry="٠٤/٢٩")
@example(expiry="00/00")
def test_expiry_dates(expiry):
    from secconsole.core.payments import EXPIRY_MAX_YEARS, parse_expiry

    parsed = refused(parse_expiry, expiry, NOW, field="expiry")
    if parsed is not None:
        month, year = parsed
        assert 1 <= month <= 12 and (NOW.year, NOW.month) <= (year, month) and year <= NOW.year + EXPIRY_MAX_YEARS


@RUNS
@given(holder=text)
def test_card_holder_names(holder):
    from secconsole.core.payments import validate_holder

    name = refused(validate_holder, holder, field="holder")
    if name is not None:
        assert name.isprintable()


@RUNS
@given(name=text, born=st.one_of(text, st.dates().map(date.isoformat)))
def test_identity_details(name, born):
    from secconsole.core.identity import parse_birth_date, validate_legal_name

    legal = refused(validate_legal_name, name, field="legal_name")
    if legal is not None:
        assert legal.isprintable()
    refused(parse_birth_date, born, NOW.date(), field="birth_date")


# -- otpauth URIs -----------------------------------------------------------------------------------


@RUNS
@given(issuer=st.one_of(text, st.just("Acme [/] Corp")), name=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{2,31}",
                                                                          fullmatch=True),
       digits=st.sampled_from([6, 8]), period=st.sampled_from([30, 60]), algorithm=st.sampled_from(["SHA1", "SHA256"]))
def test_otpauth_uris_carry_any_issuer_back_intact(issuer, name, digits, period, algorithm):
    """Whatever the operator names the issuer, the URI says it back exactly and parses as one URI."""
    from secconsole.core.totp import TotpParams, key_uri, new_secret

    secret, params = new_secret(), TotpParams(digits=digits, period=period, algorithm=algorithm)
    uri = key_uri(secret, name, issuer, params)
    assert uri.isascii() and uri.isprintable(), uri  # no raw control character inside a QR or a terminal
    parts = urlsplit(uri)
    query = parse_qs(parts.query, keep_blank_values=True)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp") and query["secret"] == [secret]
    if issuer:
        assert unquote(parts.path).endswith(f":{name}") and query["issuer"] == [issuer]


# -- configuration and the command line --------------------------------------------------------------


@RUNS
@given(text=st.one_of(text, st.sampled_from(["nan", "inf", "-inf", "1e309", "-0", "1_0", " 5 "])))
def test_minutes(text):
    """--step-up-minutes and SECCONSOLE_STEP_UP_MINUTES: a finite number of minutes, or None."""
    import math

    from secconsole.config import parse_minutes

    value = parse_minutes(text)
    if value is not None:
        assert math.isfinite(value) and 0 <= value <= 60 * 24 * 366


@RUNS
@given(text=text)
def test_smtp_addresses(text):
    from secconsole.core.delivery import SmtpSettings

    try:
        settings_ = SmtpSettings.parse(text)
    except SecConsoleError as exc:
        assert "HOST:PORT" in str(exc) and "\x1b" not in str(exc) and "\x00" not in str(exc)
    else:
        assert settings_.host and 0 < settings_.port < 65536


WORDS = ["user", "add", "list", "show", "unlock", "reset-2fa", "set-identity", "login", "demo", "console",
         "serve-ssh", "serve-web", "outbox", "db", "upgrade", "unlock-source", "--json", "--db", "--policy", "nist",
         "--open", "--user", "--step-up-minutes", "--smtp", "--port", "--limit", "--method", "--code", "--give-up",
         "--email", "--legal-name", "--birth-date", "--as", "-", "--", "=", "totp", "alice", "--password-stdin",
         "--max-sessions", "--spawn", "--idle-timeout", "x" * 100]


@pytest.fixture(scope="module")
def parser():
    from secconsole.cli.parser import build_parser

    return build_parser()


@RUNS
@given(argv=st.lists(st.one_of(st.sampled_from(WORDS), text), max_size=8))
def test_cli_arguments_parse_or_exit_with_a_message(parser, argv):
    """Any argv: a namespace naming a handler, or SystemExit with a one-line message on stderr."""
    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code == 0:  # --help / --version
            assert out.getvalue().strip()
        else:
            assert exc.code == 2 and err.getvalue().startswith("secconsole") and "(see --help)" in err.getvalue()
            assert "Traceback" not in err.getvalue()
    else:
        assert isinstance(args, argparse.Namespace) and ":" in args.handler


# -- the shared sanitiser ---------------------------------------------------------------------------


@RUNS
@given(text=text)
def test_printable_leaves_nothing_that_drives_a_terminal(text):
    import unicodedata

    from secconsole.core.text import printable, typeable

    shown = printable(text)
    assert shown.isascii() or all(unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in shown)
    assert all(c >= " " and not "\x7f" <= c < "\xa0" for c in shown)
    assert printable(shown) == shown  # already safe text is left as it is
    kept = typeable(text)
    assert all(c >= " " and not "\x7f" <= c < "\xa0" and c not in "\u202a\u202b\u202c\u202d\u202e" for c in kept)
