"""The dialplan every Asterisk node needs: the ``extensions.conf`` contexts the trunks' endpoints name.

``byot-inbound`` sends every DID, with or without ``+``, to the library's Stasis application; ``byot-reject`` refuses
calls to trunks whose inbound calls are disabled (cause 21, which the carrier gets as 403).

With several instances of the library, each runs its own application, and a call tries them in turn: ``Stasis``
fails at once, setting ``STASISSTATUS`` to ``FAILED``, when no websocket is connected for the application it names,
so the next is tried without waiting. A call reaches the first application in the list that is connected; giving each
node the list in another order (``rotate``) spreads calls among instances.

``byot-outbound`` is where an answered outbound call goes: the library originates into it (label ``byot``), naming
its own application in the channel variable ``BYOT_APP``, which is tried first; the others follow in turn. So a call
whose instance died while it rang reaches another instance once answered, instead of being dropped by Asterisk
(observed: an answered call originated into an application that is gone is hung up at once).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from byot_core.adapters.asterisk.pjsip import INBOUND_CONTEXT, REJECT_CONTEXT

__all__ = ["APP_VARIABLE", "OUTBOUND_ARG", "OUTBOUND_CONTEXT", "OUTBOUND_LABEL", "render_extensions"]

#: The context answered outbound calls run through, and the label of its first step (an originate naming a label
#: that the node's dialplan lacks is refused with 404 before anything is dialled).
OUTBOUND_CONTEXT = "byot-outbound"
OUTBOUND_LABEL = "byot"
#: The channel variable naming the application that placed the call (tried first).
APP_VARIABLE = "BYOT_APP"
#: The Stasis argument of outbound channels, so their StasisStart is not taken for an inbound call.
OUTBOUND_ARG = "byot-outbound"
_NEXT_IF_FAILED = ' same => n,GotoIf($["${STASISSTATUS}" != "FAILED"]?done)'

# What Asterisk accepts in an application name without quoting, and ARI in a URL: no commas, spaces or parentheses.
_APP_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_PATTERNS = ("_X.", "_+X.")


def _check(apps: Sequence[str]) -> None:
    if not apps:
        raise ValueError("at least one application is needed")
    for app in apps:
        if not _APP_NAME.fullmatch(app):
            raise ValueError(f"application name {app!r} must be 1 to 64 letters, digits, '_', '.' or '-'")
    if len(set(apps)) != len(apps):
        raise ValueError("each application may be named once")


def render_extensions(apps: Sequence[str], *, rotate: int = 0) -> str:
    """The ``extensions.conf`` contexts for these Stasis applications, tried in turn (after ``rotate`` steps).

    Raises ``ValueError`` for an empty list, a name Asterisk would misread, or a name given twice.
    """
    _check(apps)
    shift = rotate % len(apps)
    order = [*apps[shift:], *apps[:shift]]
    lines = [
        f"; byot-core: each inbound call enters the first connected application of: {', '.join(order)}.",
        "; Stasis fails at once (STASISSTATUS=FAILED) for an application with no websocket connected.",
        f"[{INBOUND_CONTEXT}]",
    ]
    for pattern in _PATTERNS:
        lines += _in_turn(f"exten => {pattern},1,", [f"Stasis({app},${{EXTEN}})" for app in order])
    lines += ["", f"[{REJECT_CONTEXT}]", *(f"exten => {pattern},1,Hangup(21)" for pattern in _PATTERNS)]
    lines += [
        "",
        "; An answered outbound call enters the application that placed it, else the first connected one of the list.",
        f"[{OUTBOUND_CONTEXT}]",
        *_in_turn(
            f"exten => s,1({OUTBOUND_LABEL}),",
            [f"Stasis({app},{OUTBOUND_ARG})" for app in [f"${{{APP_VARIABLE}}}", *order]],
        ),
    ]
    return "\n".join(lines) + "\n"


def _in_turn(head: str, steps: list[str]) -> list[str]:
    """Steps tried one after the other while Stasis fails, then a hang-up."""
    lines: list[str] = []
    for index, step in enumerate(steps):
        lines.append(f"{head if index == 0 else ' same => n,'}{step}")
        if index < len(steps) - 1:
            lines.append(_NEXT_IF_FAILED)
    lines.append(" same => n(done),Hangup()" if len(steps) > 1 else " same => n,Hangup()")
    return lines
