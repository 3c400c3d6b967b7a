"""Which time steps an authenticator code may match, and when a device clock's drift is learned
or forgotten. Pure: the caller reads the state, asks ``judge``, and writes what it answers.

The rules (issue 11): the window always covers "now" and the learned offset, each with one step
either side; an on-time code that the learned offset does not explain forgets that offset. A code
right only at another offset (within ten minutes) is a drift hit: refused, and remembered as a
candidate. The next drift hit is learned (and accepted) only if it is at the same offset, from a
later device step than the candidate's (so a second, different code), at most ten minutes after
it, and both are newer than the last accepted step (so codes from before a sign-in never count).
"""

from __future__ import annotations

from dataclasses import dataclass

from secconsole.core.totp import TotpParams, matching_step

#: Steps either side of now that count as "now" (RFC 6238's recommended network-delay window).
WINDOW = 1
#: How far a device clock may be off for us to recognise it (and learn it): 10 minutes.
DRIFT_MINUTES = 10


@dataclass(frozen=True)
class DriftState:
    """What ``totp_state`` holds about one enrollment."""

    #: The learned offset of the device clock, in steps.
    learned: int = 0
    #: The newest accepted step; this and older steps are spent.
    last_used: int | None = None
    #: The last drift hit not yet learned: its offset and the device step it matched.
    candidate: int | None = None
    candidate_step: int | None = None


@dataclass(frozen=True)
class Judgement:
    #: The step to claim (None: refused). It may still turn out spent (a replay).
    step: int | None = None
    #: The offset this code taught us (it is accepted at ``step``).
    learned: int | None = None
    #: An on-time code from a device whose offset we had learned: forget the offset.
    reset: bool = False
    #: A drift hit that is not accepted: its offset (for the clock advice).
    drift: int | None = None
    #: What to remember as the candidate after a refusal: (offset, device step), or None.
    candidate: tuple[int, int] | None = None


def drift_radius(params: TotpParams) -> int:
    return DRIFT_MINUTES * 60 // params.period


def judge(secret: str, code: str, current: int, state: DriftState, params: TotpParams) -> Judgement:
    """What ``code`` means at server step ``current`` for an enrollment in ``state``."""
    on_time = around(current, WINDOW)
    shifted = [s for s in around(current + state.learned, WINDOW) if s not in on_time]
    step = matching_step(secret, code, on_time + shifted, params)
    if step is not None:
        explained = abs(step - (current + state.learned)) <= WINDOW
        return Judgement(step=step, reset=state.learned != 0 and not explained)
    radius = drift_radius(params)
    offsets = sorted((d for d in range(-radius, radius + 1)
                      if abs(d) > WINDOW and abs(d - state.learned) > WINDOW), key=abs)
    hit = matching_step(secret, code, (current + d for d in offsets), params)
    if hit is None or (state.last_used is not None and hit <= state.last_used):
        return Judgement()
    offset = hit - current
    if (offset == state.candidate and state.candidate_step is not None
            and 0 < hit - state.candidate_step <= radius):
        return Judgement(step=hit, learned=offset)
    return Judgement(drift=offset, candidate=(offset, hit))


def around(center: int, radius: int) -> list[int]:
    """``center`` first, then outwards: the order in which steps are tried."""
    return [center, *(center + d * sign for d in range(1, radius + 1) for sign in (-1, 1))]
