"""The security question: a backup step whose answer is kept only as a hash."""

from __future__ import annotations

import re
import unicodedata

from secconsole.core import audit, throttle
from secconsole.core.lookup import require_account
from secconsole.core.methods import attempts, registry
from secconsole.core.methods.base import MethodContext, MethodState, Reason, StepResult
from secconsole.core.views import QuestionPrompt
from secconsole.errors import ValidationError

PRESET_QUESTIONS = (
    "What was the name of your first pet?",
    "In what city were you born?",
    "What was the make of your first car?",
    "What is the name of the street you grew up on?",
    "What was your childhood nickname?",
    "What is the middle name of your oldest sibling?",
)
QUESTION_MIN, QUESTION_MAX = 10, 200
ANSWER_MIN, ANSWER_MAX = 3, 100


def normalize_answer(answer: str) -> str:
    """Case, accents' composition and spacing do not matter: "  New  York" == "new york"."""
    return " ".join(unicodedata.normalize("NFKC", answer).casefold().split())


def validate_question(question: str) -> str:
    text = " ".join(question.split())
    if not text:
        raise ValidationError("Choose a question or write your own.", field="question")
    if any(not c.isprintable() for c in text):
        raise ValidationError("The question may not contain control characters.", field="question")
    if len(text) < QUESTION_MIN:
        raise ValidationError(f"Write a question of at least {QUESTION_MIN} characters.", field="question")
    if len(text) > QUESTION_MAX:
        raise ValidationError(
            f"That question is too long: {len(text)} characters, at most {QUESTION_MAX}.", field="question"
        )
    return text


def validate_answer(answer: str, question: str) -> str:
    norm = normalize_answer(answer)
    if not norm:
        raise ValidationError("Enter an answer.", field="answer")
    if len(norm) < ANSWER_MIN:
        raise ValidationError(f"An answer needs at least {ANSWER_MIN} characters.", field="answer")
    if len(norm) > ANSWER_MAX:
        raise ValidationError(f"An answer has at most {ANSWER_MAX} characters.", field="answer")
    if re.search(rf"\b{re.escape(norm)}\b", normalize_answer(question)):
        raise ValidationError("The answer may not be part of the question.", field="answer")
    return norm


QUESTION_FAILED = "question.failed"
QUESTION_PASSED = "question.passed"


class SecurityQuestions:
    spec = registry.get("question")

    def __init__(self, ctx: MethodContext) -> None:
        self.ctx = ctx
        self.db, self.clock, self.hasher, self.profile = ctx.db, ctx.clock, ctx.hasher, ctx.profile

    @staticmethod
    def state(session, account) -> MethodState:
        return MethodState("question", account.security_question is not None)


    def begin(self, account_id: int, *, source: str) -> str:
        return ""

    def prompt(self, account_id: int) -> QuestionPrompt:
        """What the challenge shows: the question, and the wrong answers left before it locks."""
        return QuestionPrompt(self.question_of(account_id), attempts.tries_left(self.ctx, self.spec, account_id))

    def question_of(self, account_id: int) -> str | None:
        with self.db.transaction(readonly=True) as session:
            return require_account(session, account_id).security_question

    def verify(self, account_id: int, answer: str, *, source: str) -> StepResult:
        """A challenge answer: throttled per account and audited like a code."""
        if not normalize_answer(answer):
            raise ValidationError(self.spec.ask_for(), field="answer")
        now = self.clock.now()
        with self.db.transaction() as session:
            stored = require_account(session, account_id).security_answer_hash
            attempt = attempts.claim(self.ctx, self.spec, session, account_id, now)
        if not attempt.allowed:
            return StepResult.blocked(attempt.gate, answers="answers",
                                      locked_message="Too many wrong answers: the security question is locked.")
        matched = stored is not None and self.hasher.verify(stored, normalize_answer(answer))
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            if matched:
                throttle.refund(session, attempt)
                audit.record(session, at=now, kind=QUESTION_PASSED, source=source, account_id=account_id,
                             username=account.username)
                return StepResult.accepted("Answer accepted.")
            gate = attempts.wrong(self.ctx, self.spec, session, attempt, now, account, source=source,
                                  kind=QUESTION_FAILED)
        return StepResult.refused(Reason.WRONG, "That answer is not right.", gate=gate)

    def set(self, account_id: int, question: str, answer: str, *, source: str) -> bool:
        """Set or replace the question and its answer; True once saved."""
        text = validate_question(question)
        hashed = self.hasher.hash(validate_answer(answer, text))
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            had = account.security_question is not None
            account.security_question = text
            account.security_answer_hash = hashed
            session.add(account)
            self.ctx.notices.record(session, account, at=self.clock.now(), kind=audit.QUESTION_SET, source=source,
                                    replaced=had)
        return True

    def remove(self, account_id: int, *, source: str) -> None:
        with self.db.transaction() as session:
            account = require_account(session, account_id)
            if account.security_question is None:
                raise ValidationError("There is no security question to remove.")
            account.security_question = None
            account.security_answer_hash = None
            session.add(account)
            self.ctx.notices.record(session, account, at=self.clock.now(), kind=audit.QUESTION_REMOVED, source=source)
