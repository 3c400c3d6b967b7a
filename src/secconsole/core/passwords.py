"""Password hashing (argon2id) and the policy checks behind the live checklist."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from secconsole.core.policy import PolicyProfile

#: OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
ARGON2_MEMORY_KIB = 19_456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


def normalize(password: str) -> str:
    """NFKC, as SP 800-63B asks, so the same password typed on two keyboards matches."""
    return unicodedata.normalize("NFKC", password)


class PasswordHasher:
    """argon2id hashing with one fixed parameter set; ``needs_rehash`` compares against it."""

    def __init__(
        self,
        memory_kib: int = ARGON2_MEMORY_KIB,
        time_cost: int = ARGON2_TIME_COST,
        parallelism: int = ARGON2_PARALLELISM,
    ) -> None:
        import argon2

        self._argon2 = argon2
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalize(password))

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, normalize(password))
        except self._argon2.exceptions.VerificationError:
            return False
        except self._argon2.exceptions.InvalidHashError:
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)

    def burn(self, password: str) -> None:
        """Spend the time of one verification, so unknown usernames cost as much as known ones."""
        if self._dummy is None:
            self._dummy = self.hash("not a password anyone has")
        self.verify(self._dummy, password)


@dataclass(frozen=True)
class Rule:
    """One line of the password checklist."""

    id: str
    label: str
    ok: bool
    #: Extra words shown when the rule fails (e.g. zxcvbn's warning).
    hint: str = ""


@dataclass(frozen=True)
class PasswordCheck:
    rules: list[Rule] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(rule.ok for rule in self.rules)

    @property
    def problems(self) -> list[Rule]:
        return [rule for rule in self.rules if not rule.ok]

    def problems_sentence(self) -> str:
        """One sentence naming every broken rule in the checklist's own words, for error messages
        (``user add``, the sign-up and change-password forms); "" when there is none."""
        named = [rule.label.lower() + (f" ({rule.hint.rstrip('.')})" if rule.hint else "") for rule in self.problems]
        if not named:
            return ""
        listed = named[0] if len(named) == 1 else "; ".join(named[:-1]) + "; and " + named[-1]
        return f"Password must meet: {listed}."


_SYMBOL = re.compile(r"[^0-9A-Za-z\s]")


def check_password(
    password: str,
    profile: PolicyProfile,
    *,
    username: str = "",
    email: str = "",
    has_second_step: bool = False,
    confirm: str | None = None,
) -> PasswordCheck:
    """Evaluate every rule of the profile. The same result drives the checklist and the save."""
    rules = profile.password
    pw = normalize(password)
    minimum = rules.min_length_with_second_step if has_second_step else rules.min_length
    if rules.min_length != rules.min_length_with_second_step and not has_second_step:
        length_label = (
            f"At least {rules.min_length} characters "
            f"({rules.min_length_with_second_step} once two-step verification is on)"
        )
    else:
        length_label = f"At least {minimum} characters"
    out = [Rule("length", length_label, len(pw) >= minimum)]
    if len(pw) > rules.max_length:
        out.append(Rule("max_length", f"At most {rules.max_length} characters", False))
    if rules.composition:
        out += [
            Rule("upper", "An uppercase letter", any(c.isupper() for c in pw)),
            Rule("lower", "A lowercase letter", any(c.islower() for c in pw)),
            Rule("digit", "A number", any(c.isdigit() for c in pw)),
            Rule("symbol", "A symbol", bool(_SYMBOL.search(pw))),
        ]
    out.append(Rule("common", "Not a common or breached one", bool(pw) and not is_common(pw)))
    context = [w for w in _context_words(username, email) if len(w) >= 3]
    lowered = pw.lower()
    out.append(
        Rule(
            "personal",
            "Not your username or email",
            bool(pw) and not any(w in lowered for w in context),
        )
    )
    score, hint = _guessability(pw, context)
    out.append(Rule("guessable", "Hard to guess", bool(pw) and score >= rules.min_guess_score, hint))
    if confirm is not None:
        out.append(Rule("match", "Both entries match", bool(pw) and pw == normalize(confirm)))
    return PasswordCheck(out)


def is_common(password: str) -> bool:
    key = normalize(password).lower()
    return key in _common_passwords()


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    extra = resources.files("secconsole.core").joinpath("data/extra-common-passwords.txt").read_text("utf-8")
    words = {line.strip().lower() for line in extra.splitlines() if line.strip() and not line.startswith("#")}
    return frozenset(words) | frozenset(FREQUENCY_LISTS["passwords"])


def _context_words(username: str, email: str) -> list[str]:
    words = [username.lower()]
    if "@" in email:
        words.append(email.split("@", 1)[0].lower())
    return [w for w in words if w]


def _guessability(password: str, context: list[str]) -> tuple[int, str]:
    if not password:
        return 0, ""
    from zxcvbn import zxcvbn

    # zxcvbn refuses more than 72 characters (its matching is quadratic); a 72-character prefix
    # that is hard to guess makes the whole password hard to guess.
    result = zxcvbn(password[:72], user_inputs=context + ["secconsole", "upwork"])
    feedback = result.get("feedback") or {}
    hint = feedback.get("warning") or next(iter(feedback.get("suggestions") or []), "")
    return int(result["score"]), hint
