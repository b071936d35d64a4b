"""Trunk versions over HTTP: the ``ETag`` a trunk is answered with, and the ``If-Match`` a change may carry.

A trunk's entity tag is its stored revision, quoted (``"3"``): it changes with every change to the trunk itself (its
fields, gateways and identifiers), not with its sync state or its numbers. ``PATCH`` and ``DELETE`` honour
``If-Match`` (RFC 9110): the change is made only if the trunk is still at that revision, otherwise 412. Clients that
send no ``If-Match``, as the guide's do, keep last-write-wins.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from byot_core.adapters.http.errors import ApiError
from byot_core.domain.trunk import Trunk

__all__ = ["if_match", "trunk_etag"]

# One entity tag, optionally weak, then a comma or the end (RFC 9110, section 8.8.3).
_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


def trunk_etag(trunk: Trunk) -> str:
    """The trunk's entity tag: its revision, quoted."""
    return f'"{trunk.revision}"'


def if_match(request: Request) -> frozenset[int] | None:
    """The revisions ``If-Match`` accepts, or ``None`` when there is no condition (no header, or ``*``).

    Tags that are weak or not a revision of this server never match (If-Match compares strongly), so a list of
    only those accepts none. A malformed header is refused (400), not ignored.
    """
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    if not header.strip():
        raise ApiError(400, "invalid_if_match", "If-Match must be * or a list of entity tags")
    revisions: set[int] = set()
    position = 0
    while position < len(header):
        found = _TAG.match(header, position)
        if found is None or found.end() == position:
            raise ApiError(400, "invalid_if_match", "If-Match must be * or a list of entity tags")
        weak, tag = found.group(1), found.group(2)
        if weak is None and tag.isascii() and tag.isdigit() and len(tag) <= 18:
            revisions.add(int(tag))
        position = found.end()
    return frozenset(revisions)
