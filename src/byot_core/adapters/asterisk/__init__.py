"""The Asterisk side: the PJSIP objects a trunk needs, and ``pjsip.conf`` rendered from them."""

from byot_core.adapters.asterisk.pjsip import (
    INBOUND_CONTEXT,
    OWNED_PREFIX,
    REJECT_CONTEXT,
    PjsipObject,
    desired_objects,
    render_conf,
)

__all__ = ["INBOUND_CONTEXT", "OWNED_PREFIX", "REJECT_CONTEXT", "PjsipObject", "desired_objects", "render_conf"]
