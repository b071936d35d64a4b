"""The dialplan every Asterisk node needs: the ``extensions.conf`` contexts the trunks' endpoints name.

``byot-inbound`` sends every DID, with or without ``+``, to the library's Stasis application; ``byot-reject`` refuses
calls to trunks whose inbound calls are disabled (cause 21, which the carrier gets as 403).

With several instances of the library, each runs its own application, and a call tries them in turn: ``Stasis``
fails at once, setting ``STASISSTATUS`` to ``FAILED``, when no websocket is connected for the application it names,
so the next is tried without waiting. A call reaches the first application in the list that is connected; giving each
node the list in another order (``rotate``) spreads calls among instances.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from byot_core.adapters.asterisk.pjsip import INBOUND_CONTEXT, REJECT_CONTEXT

__all__ = ["render_extensions"]

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
        for index, app in enumerate(order):
            head = f"exten => {pattern},1," if index == 0 else " same => n,"
            lines.append(f"{head}Stasis({app},${{EXTEN}})")
            if index < len(order) - 1:
                lines.append(' same => n,GotoIf($["${STASISSTATUS}" != "FAILED"]?done)')
        lines.append(" same => n(done),Hangup()" if len(order) > 1 else " same => n,Hangup()")
    lines += ["", f"[{REJECT_CONTEXT}]", *(f"exten => {pattern},1,Hangup(21)" for pattern in _PATTERNS)]
    return "\n".join(lines) + "\n"
