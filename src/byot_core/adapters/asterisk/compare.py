"""Comparing a desired PJSIP object with what Asterisk reports for it.

Asterisk answers every GET and PUT with the whole object, defaults included, and normalised (recorded from Asterisk
22): booleans as ``true``/``false``, codecs as ``(ulaw|alaw)`` with no ``disallow`` attribute, ``match`` entries as
``addr/netmask`` with hostnames already resolved. So only the attributes the library owns are compared, each in the
form Asterisk reports it.

``PUT`` merges into an existing object, and ``match`` and ``contact`` only grow: when one of them must lose an entry
the object is deleted and created again. (``allow`` is safe to PUT: ``disallow=all`` is sent first and clears it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import netaddr

from byot_core.adapters.asterisk.pjsip import PjsipObject

__all__ = ["GROWING", "differences", "expected", "fields_body"]

#: Options that a PUT extends rather than replaces.
GROWING = frozenset({"match", "contact"})
_BOOLEANS = frozenset(
    {"direct_media", "rtp_symmetric", "force_rport", "ice_support", "line", "media_encryption_optimistic", "use_avpf"}
)
# Reported as Yes/No (Asterisk's default for it reads "No"), compared whatever the case.
_YES_NO = frozenset({"dtls_auto_generate_cert"})
_UNREPORTED = frozenset({"disallow"})


def fields_body(obj: PjsipObject) -> dict[str, Any]:
    """The JSON body of the PUT that writes the object."""
    return {"fields": [{"attribute": key, "value": value} for key, value in obj.fields]}


def _codecs(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def _match_entry(value: str) -> str | None:
    """``addr/netmask`` for an address or CIDR; ``None`` for a hostname (Asterisk resolves it: not comparable)."""
    try:
        network = netaddr.IPNetwork(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None
    return f"{network.network}/{network.netmask}"


def expected(obj: PjsipObject) -> dict[str, str]:
    """The owned attributes as Asterisk will report them (``match`` as a sorted, comma-joined list of literals)."""
    values: dict[str, str] = {}
    disallowed: list[str] = []
    matches: list[str] = []
    for key, value in obj.fields:
        if key == "disallow":
            disallowed = _codecs(value)
        elif key == "allow":
            allowed = _codecs(value)
            if "all" not in disallowed:
                allowed = [c for c in allowed if c not in disallowed]
            values["allow"] = "(" + "|".join(allowed) + ")"
        elif key == "match":
            entry = _match_entry(value)
            if entry is not None:
                matches.append(entry)
        elif key in _BOOLEANS:
            values[key] = "true" if value in ("yes", "true") else "false"
        elif key in _YES_NO:
            values[key] = "Yes" if value in ("yes", "true") else "No"
        elif key not in _UNREPORTED:
            values[key] = value
    if obj.type == "identify":
        values["match"] = ",".join(sorted(set(matches)))
    return values


def _same(key: str, reported: str | None, wanted: str) -> bool:
    if key in _YES_NO:
        return (reported or "").lower() == wanted.lower()
    return reported == wanted


def differences(obj: PjsipObject, reported: Mapping[str, str]) -> frozenset[str]:
    """The owned attributes whose reported value differs from the desired one.

    An identify that matches hostnames is compared on its literal entries: each must be reported, and other
    entries (the resolved addresses) are accepted.
    """
    want = expected(obj)
    differ = {key for key, value in want.items() if key != "match" and not _same(key, reported.get(key), value)}
    if "match" in want:
        have = {m for m in reported.get("match", "").split(",") if m}
        literal = {m for m in want["match"].split(",") if m}
        has_hostnames = any(_match_entry(v) is None for k, v in obj.fields if k == "match")
        if not literal <= have or (not has_hostnames and have != literal):
            differ.add("match")
    return frozenset(differ)
