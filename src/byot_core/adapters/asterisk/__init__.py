"""The Asterisk side: the PJSIP objects a trunk needs, ``pjsip.conf`` rendered from them, and ARI.

``AriClient`` and ``AriTelephony`` need aiohttp (the ``asterisk`` extra); they are imported on first use, so that
rendering configuration works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byot_core.adapters.asterisk.pjsip import (
    INBOUND_CONTEXT,
    OWNED_PREFIX,
    REJECT_CONTEXT,
    PjsipObject,
    desired_objects,
    render_conf,
)

if TYPE_CHECKING:
    from byot_core.adapters.asterisk.ari import AriClient
    from byot_core.adapters.asterisk.telephony import AriTelephony

__all__ = [
    "INBOUND_CONTEXT",
    "OWNED_PREFIX",
    "REJECT_CONTEXT",
    "AriClient",
    "AriTelephony",
    "PjsipObject",
    "desired_objects",
    "render_conf",
]


def __getattr__(name: str) -> Any:
    if name == "AriClient":
        from byot_core.adapters.asterisk.ari import AriClient

        return AriClient
    if name == "AriTelephony":
        from byot_core.adapters.asterisk.telephony import AriTelephony

        return AriTelephony
    raise AttributeError(name)
