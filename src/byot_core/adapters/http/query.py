"""Reading the query of ``GET /inbound/explain``: the called number and the source address, each checked."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from byot_core.domain.errors import Problem, ValidationFailed

__all__ = ["explain_query"]

#: The longest query value read; anything longer is no phone number and no address.
MAX_QUERY_VALUE = 64


def explain_query(params: Mapping[str, str]) -> tuple[str, str | None]:
    """The called number (``to``) and the source address (``source``, optional) of an explain request.

    A ``+`` sent unencoded arrives as a space, which the number reader passes over: ``to=+91…`` still reads as
    international. Raises ``ValidationFailed`` listing every problem.
    """
    problems: list[Problem] = []
    called = params.get("to", "").strip()
    source = params.get("source", "").strip() or None
    if not called:
        problems.append(Problem("to", "invalid_field", "to is required: the called number"))
    elif len(called) > MAX_QUERY_VALUE:
        problems.append(Problem("to", "invalid_field", f"to must be at most {MAX_QUERY_VALUE} characters"))
    if source is not None:
        try:
            ipaddress.ip_address(source[:MAX_QUERY_VALUE])
        except ValueError:
            problems.append(Problem("source", "invalid_field", "source must be an IPv4 or IPv6 address"))
    if problems:
        raise ValidationFailed(problems)
    return called, source
