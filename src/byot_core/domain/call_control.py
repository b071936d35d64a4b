"""Acting on a call in progress (beyond the guide): the keys sent into it, and the refusal of a call not in progress.

DTMF digits are those of a telephone keypad and the four extra tones, ``0-9``, ``*``, ``#``, ``A``-``D``, with
``w`` for a half-second pause (as Asterisk's ``SendDTMF`` reads it), at most :data:`MAX_DTMF` of them.
"""

from __future__ import annotations

from byot_core.domain.errors import Conflict, ValidationFailed

__all__ = ["DTMF_CHARACTERS", "MAX_DTMF", "MSG_DTMF", "CallNotInProgress", "dtmf_digits"]

#: What ``digits`` may hold.
DTMF_CHARACTERS = frozenset("0123456789*#ABCDw")
#: The most characters one request may send.
MAX_DTMF = 64
MSG_DTMF = "digits must be 1 to 64 of 0-9, *, #, A-D and w (a half-second pause)"


class CallNotInProgress(Conflict):
    """The call is not answered yet, or has ended: there is nothing to act on."""

    code = "call_not_in_progress"

    def __init__(self) -> None:
        super().__init__("The call is not in progress")


def dtmf_digits(value: object) -> str:
    """The digits to send, checked; raises ``ValidationFailed`` (``invalid_digits`` on ``digits``)."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_DTMF or not set(value) <= DTMF_CHARACTERS:
        raise ValidationFailed.single("digits", "invalid_digits", MSG_DTMF)
    return value
