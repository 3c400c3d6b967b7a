"""Ways to confirm it's you: one module per way behind one protocol, listed in ``registry``.

``base`` says what they have in common (``WaySpec``, ``SecondStep``, ``StepResult``); ``registry``
lists them; ``enrollment`` turns them off and reads their state; ``attempts`` counts an answer
before it is checked (``throttle.claim_attempt``); ``totp``, ``question``,
``recovery`` and ``email`` are the ways of this version."""

from secconsole.core.methods.base import (
    Answer,
    Capabilities,
    MethodContext,
    MethodState,
    Reason,
    Role,
    SecondStep,
    Setup,
    Start,
    StepResult,
    WaySpec,
)

__all__ = [
    "Answer", "Capabilities", "MethodContext", "MethodState", "Reason", "Role", "SecondStep", "Setup",
    "Start", "StepResult", "WaySpec",
]
